"""Incremental linking: records not yet in the person index join it without retraining.

The latest run's saved model scores new-vs-existing and new-vs-new pairs only. Existing
persons are treated as single nodes, so a new record joins a person (or starts one), and
a new record that links two existing persons merges them under the lower person id.
Existing links are not re-scored; the tolerance against a full relink is stated in
docs/linkage.md and measured by tests/linkage/test_incremental.py.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from splink import Linker

from sharewell.config import Settings
from sharewell.errors import NotFound
from sharewell.linkage.engines import scratch_connection
from sharewell.linkage.index import (
    PERSON_ID_SQL,
    cannot_link_sql,
    cluster_edges,
    linkable_edges_sql,
    split_conflicting_clusters,
)
from sharewell.linkage.model import (
    PERSON_FIELDS,
    ModelSpec,
    anchor_sql,
    differs_sql,
    household_sql,
    settings_hash,
    veto_sql,
)
from sharewell.linkage.prepare import prepared_records_sql
from sharewell.linkage.rivals import with_rivals_sql
from sharewell.linkage.run import (
    PAIR_COLUMNS,
    RunSummary,
    attach_workspace,
    new_run_id,
    review_queue_sql,
    runs_dir,
)
from sharewell.linkage.training import PREDICT_FLOOR, Step
from sharewell.store.snapshot import publish_snapshot

__all__ = ["link_new_records"]


def _spec_of(model: dict[str, object]) -> ModelSpec:
    """The fields the saved model compares (read from its levels' SQL), for the vetoes."""
    text = json.dumps(model["comparisons"])
    present = frozenset(f for f in PERSON_FIELDS if f"{f}_l" in text)
    return ModelSpec(present=present)


def _tf_columns(model: dict[str, object]) -> list[str]:
    cols = set()
    for comparison in model["comparisons"]:  # type: ignore[attr-defined]
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column"):
                cols.add(level["tf_adjustment_column"])
    return sorted(cols)


def link_new_records(settings: Settings, *, step: Step = lambda _: None) -> RunSummary:
    """Link records of ``person_records`` missing from ``person_index`` using the saved model."""
    t0 = time.perf_counter()
    run_id = new_run_id()
    run_dir = runs_dir(settings) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).replace(tzinfo=None)
    con = scratch_connection(run_dir / "tmp")
    try:
        attach_workspace(con, settings)
        last = con.execute(
            "SELECT run_id, threshold, model_json, model_path FROM ws.linkage_runs "
            "ORDER BY started DESC LIMIT 1"
        ).fetchall()
        if not last:
            raise NotFound("no linkage run to extend: run `sharewell link` (a full run) first")
        _, threshold, model_json, model_path = last[0]
        model = json.loads(model_json)
        spec = _spec_of(model)

        step("preparing records")
        con.execute("CREATE TABLE sw_records AS " + prepared_records_sql("ws.person_records"))
        con.execute(
            "CREATE TABLE sw_new AS SELECT * FROM sw_records r "
            "ANTI JOIN ws.person_index i USING (unique_id)"
        )
        con.execute(
            "CREATE TABLE sw_existing AS SELECT * FROM sw_records r "
            "SEMI JOIN ws.person_index i USING (unique_id)"
        )
        n_new = int(con.execute("SELECT count(*) FROM sw_new").fetchall()[0][0])
        n_all = int(con.execute("SELECT count(*) FROM sw_records").fetchall()[0][0])
        if n_new == 0:
            con.execute(
                "CREATE TABLE sw_pairs AS SELECT NULL::VARCHAR AS unique_id_l, "
                "NULL::VARCHAR AS unique_id_r, NULL::DOUBLE AS match_probability, "
                "NULL::DOUBLE AS match_weight, NULL::VARCHAR AS veto, FALSE AS anchor, "
                "FALSE AS household, FALSE AS differs LIMIT 0"
            )
        else:
            step("scoring new records against the index and each other")
            _score_new(con, model, spec)

        step("assigning persons")
        # Rivals: the links already in the index count as the better links they may lose to.
        con.execute("ALTER TABLE sw_pairs RENAME TO sw_scored")
        con.execute(
            "CREATE TABLE sw_pairs AS "
            + with_rivals_sql("sw_scored", float(threshold), context="ws.person_links")
        )
        con.execute(
            "CREATE TABLE sw_edges AS " + linkable_edges_sql("sw_pairs", threshold, "sw_records")
        )
        _assign(con)
        step("writing the person index")
        counts = _write(con, run_id, started, float(threshold), model, model_path, n_all, n_new)
        step("publishing the read snapshot")
        publish_snapshot(con, "ws")
    finally:
        con.close()
    return RunSummary(
        run_id=run_id,
        kind="incremental",
        engine="duckdb",
        records=n_all,
        new_records=n_new,
        pairs_scored=counts["pairs"],
        links=counts["links"],
        persons=counts["persons"],
        threshold=float(threshold),
        threshold_method="from the last run",
        review_pairs=counts["review"],
        rejected_but_joined=0,
        model_path=Path(model_path),
        seconds=round(time.perf_counter() - t0, 2),
    )


def _score_new(con: duckdb.DuckDBPyConnection, model: dict[str, object], spec: ModelSpec) -> None:
    from splink import DuckDBAPI

    db_api = DuckDBAPI(connection=con)
    everyone = db_api.register("sw_records", table_name="sw_records")
    existing = db_api.register("sw_existing", table_name="sw_existing")
    new = db_api.register("sw_new", table_name="sw_new")
    linker = Linker(everyone, model, log_level=None)
    # Term frequencies from every record, as a full relink would compute them.
    for col in _tf_columns(model):
        linker.table_management.compute_tf_table(col)
    between = linker.inference.predict_between(
        existing, new, threshold_match_probability=PREDICT_FLOOR, warning_mode="never"
    )
    within = linker.inference.predict_within(
        new, threshold_match_probability=PREDICT_FLOOR, warning_mode="never"
    )
    veto = veto_sql(spec)
    # Pairs are stored lower id first, as the full run and review decisions store them.
    con.execute(
        f"""
        CREATE TABLE sw_pairs AS
        SELECT least(unique_id_l, unique_id_r) AS unique_id_l,
               greatest(unique_id_l, unique_id_r) AS unique_id_r,
               match_probability, match_weight, {veto} AS veto, {anchor_sql(spec)} AS anchor,
               {household_sql(spec)} AS household, {differs_sql(spec)} AS differs
        FROM (SELECT * FROM {between.physical_name}
              UNION ALL BY NAME SELECT * FROM {within.physical_name})
        QUALIFY row_number() OVER (PARTITION BY least(unique_id_l, unique_id_r),
                                   greatest(unique_id_l, unique_id_r)) = 1
        """
    )


def _assign(con: duckdb.DuckDBPyConnection) -> None:
    # Existing persons become single nodes '#<person_id>'; new records stay themselves.
    con.execute(
        """
        CREATE TABLE sw_node_of AS
        SELECT unique_id, '#' || person_id AS node FROM ws.person_index
        UNION ALL SELECT unique_id, unique_id FROM sw_new
        """
    )
    mapped = """
        SELECT least(a.node, b.node) AS unique_id_l, greatest(a.node, b.node) AS unique_id_r,
               max(e.match_probability) AS match_probability, max(e.match_weight) AS match_weight,
               bool_or(e.anchor) AS anchor, bool_and(e.household) AS household
        FROM {src} e
        JOIN sw_node_of a ON a.unique_id = e.unique_id_l
        JOIN sw_node_of b ON b.unique_id = e.unique_id_r
        WHERE a.node <> b.node
        GROUP BY ALL
    """
    con.execute("CREATE TABLE sw_node_edges AS " + mapped.format(src="sw_edges"))
    con.execute(
        "CREATE TABLE sw_cl_raw AS SELECT *, 1.0 AS match_probability, 0.0 AS match_weight, "
        "FALSE AS anchor, FALSE AS household "
        "FROM (" + cannot_link_sql("sw_pairs") + ")"
    )
    con.execute(
        "CREATE TABLE sw_node_cannot AS SELECT unique_id_l, unique_id_r FROM ("
        + mapped.format(src="sw_cl_raw")
        + ")"
    )
    con.execute(
        """
        CREATE TABLE sw_nodes AS
        SELECT unique_id FROM sw_new
        UNION SELECT unique_id_l FROM sw_node_edges UNION SELECT unique_id_r FROM sw_node_edges
        """
    )
    cluster_edges(con, "sw_nodes", "sw_node_edges", "sw_clusters")
    split_conflicting_clusters(con, "sw_clusters", "sw_node_edges", "sw_node_cannot")
    # Each cluster's person: its lowest existing person, else a new id from its records.
    con.execute(
        f"""
        CREATE TABLE sw_cluster_person AS
        SELECT cluster_id,
               coalesce(min(CASE WHEN unique_id LIKE '#%' THEN substr(unique_id, 2) END),
                        {PERSON_ID_SQL.format(col="min(unique_id)")}) AS person_id
        FROM sw_clusters GROUP BY cluster_id
        """
    )


def _write(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started: datetime,
    threshold: float,
    model: dict[str, object],
    model_path: str,
    n_all: int,
    n_new: int,
) -> dict[str, int]:
    con.execute("BEGIN TRANSACTION")
    try:
        # Records withdrawn or superseded since the last run leave the index.
        con.execute(
            "DELETE FROM ws.person_index i WHERE unique_id NOT IN "
            "(SELECT unique_id FROM sw_records)"
        )
        # Existing persons merged into another take the surviving id.
        con.execute(
            """
            UPDATE ws.person_index SET person_id = m.person_id, run_id = ?
            FROM (SELECT substr(c.unique_id, 2) AS old_id, p.person_id
                  FROM sw_clusters c JOIN sw_cluster_person p USING (cluster_id)
                  WHERE c.unique_id LIKE '#%' AND substr(c.unique_id, 2) <> p.person_id) m
            WHERE ws.person_index.person_id = m.old_id
            """,
            [run_id],
        )
        con.execute(
            """
            INSERT INTO ws.person_index
            SELECT n.unique_id, coalesce(p.person_id, """
            + PERSON_ID_SQL.format(col="n.unique_id")
            + """), ?
            FROM sw_new n
            LEFT JOIN sw_clusters c ON c.unique_id = n.unique_id
            LEFT JOIN sw_cluster_person p USING (cluster_id)
            """,
            [run_id],
        )
        con.execute(f"INSERT INTO ws.person_links SELECT {PAIR_COLUMNS}, '{run_id}' FROM sw_edges")
        con.execute(
            "INSERT INTO ws.linkage_review_queue " + review_queue_sql("sw_pairs", threshold, run_id)
        )
        review = int(
            con.execute(
                "SELECT count(*) FROM ws.linkage_review_queue WHERE run_id = ?", [run_id]
            ).fetchall()[0][0]
        )
        persons = int(
            con.execute("SELECT count(DISTINCT person_id) FROM ws.person_index").fetchall()[0][0]
        )
        pairs = int(con.execute("SELECT count(*) FROM sw_pairs").fetchall()[0][0])
        links = int(con.execute("SELECT count(*) FROM sw_edges").fetchall()[0][0])
        con.execute(
            "INSERT INTO ws.linkage_runs VALUES "
            "(?, 'incremental', ?, ?, 'duckdb', ?, ?, 'from the last run', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                started,
                datetime.now(UTC).replace(tzinfo=None),
                settings_hash(model),
                threshold,
                n_all,
                n_new,
                pairs,
                links,
                persons,
                review,
                model_path,
                json.dumps(model),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"review": review, "persons": persons, "pairs": pairs, "links": links}
