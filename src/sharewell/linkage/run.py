"""A full linkage run over the hub's workspace: train, predict, cluster, write the index.

The workspace is attached to a scratch in-memory DuckDB (which spills to the run
directory) so Splink's working tables never land in the workspace file; results are
written to the workspace in one transaction at the end, so a failed run leaves the
previous index untouched.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from sharewell.config import Engine, Settings
from sharewell.errors import LinkageError, NotFound, StoreError
from sharewell.faults import fault_point
from sharewell.linkage.engines import EngineSession, open_engine, scratch_connection
from sharewell.linkage.index import (
    PERSON_ID_SQL,
    cannot_link_sql,
    cluster_edges,
    ensure_tables,
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
from sharewell.linkage.threshold import choose_threshold, probability_to_weight
from sharewell.linkage.training import Step, guard_blocking, model_dict, predict, train_linker
from sharewell.store.snapshot import publish_snapshot

__all__ = ["REVIEW_BAND", "RunSummary", "attach_workspace", "link_workspace", "runs_dir"]

# Pairs within this many match-weight units (factor 2**3 = 8 in odds) of the threshold
# go to clerical review.
REVIEW_BAND = 3.0
PAIR_COLUMNS = "unique_id_l, unique_id_r, match_probability, match_weight"


@dataclass(frozen=True)
class RunSummary:
    """What a linkage run did."""

    run_id: str
    kind: str
    engine: str
    records: int
    new_records: int
    pairs_scored: int
    links: int
    persons: int
    threshold: float
    threshold_method: str
    review_pairs: int
    rejected_but_joined: int
    model_path: Path
    seconds: float
    clusters_split: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    # What training fell back on (an EM session skipped, a prior m); empty when nothing.
    training_notes: tuple[str, ...] = ()


def runs_dir(settings: Settings) -> Path:
    """Where each run keeps its model and scored pairs."""
    return settings.hub_dir / "linkage" / "runs"


def new_run_id() -> str:
    """A sortable, unique run id."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def attach_workspace(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Attach the hub's workspace as ``ws``; a clear error if it is missing or busy."""
    path = settings.workspace_path()
    if not path.exists():
        raise NotFound(f"no analytic workspace at {path}: run `sharewell init {settings.hub_dir}`")
    try:
        con.execute(f"ATTACH '{path}' AS ws")
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot open the workspace {path} (is another process using it?): {exc}"
        ) from exc
    ensure_tables(con)


def source_columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    """Column names of ``relation``."""
    return {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}


def present_fields(con: duckdb.DuckDBPyConnection, table: str) -> frozenset[str]:
    """The person fields with at least one value in ``table``."""
    counts = con.execute(
        "SELECT " + ", ".join(f"count({c})" for c in PERSON_FIELDS) + f" FROM {table}"
    ).fetchall()[0]
    assert counts is not None
    return frozenset(c for c, n in zip(PERSON_FIELDS, counts, strict=True) if n)


def histogram(con: duckdb.DuckDBPyConnection, pairs: str) -> list[tuple[float, int, float]]:
    """Scored pairs by match weight (half-unit bins): start, pairs, sum of probabilities."""
    rows = con.execute(
        f"SELECT floor(match_weight * 2) / 2 AS w, count(*), sum(match_probability) "
        f"FROM {pairs} WHERE veto IS NULL GROUP BY w ORDER BY w"
    ).fetchall()
    return [(float(w), int(n), float(s)) for w, n, s in rows]


class _Timer:
    def __init__(self, step: Step) -> None:
        self.step = step
        self.timings: dict[str, float] = {}
        self._name: str | None = None
        self._start = time.perf_counter()

    def __call__(self, name: str) -> None:
        self._close()
        self._name = name
        self._start = time.perf_counter()
        self.step(name)

    def _close(self) -> None:
        if self._name is not None:
            self.timings[self._name] = round(time.perf_counter() - self._start, 2)

    def done(self) -> dict[str, float]:
        self._close()
        self._name = None
        return self.timings


def _score_on_engine(
    con: duckdb.DuckDBPyConnection,
    session: EngineSession,
    spec: ModelSpec,
    n_records: int,
    run_dir: Path,
    timer: _Timer,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Train and predict on the engine; leaves scored pairs in scratch table ``sw_pairs``.

    Returns the trained model and training's notes (what it had to fall back on).
    """
    if session.name == "duckdb":
        records = session.db_api.register("sw_records", table_name="sw_records")
    else:
        path = run_dir / "records.parquet"
        con.execute(f"COPY sw_records TO '{path}' (FORMAT parquet)")
        records = session.register_parquet(path, "sw_records")
    training = train_linker(records, spec, n_records=n_records, step=timer)
    linker = training.linker
    timer("scoring candidate pairs")
    scored = predict(linker)
    model = model_dict(linker)
    details = run_dir / "pairs.parquet"
    session.write_parquet(scored, details)
    source = f"read_parquet('{details}/*.parquet')" if details.is_dir() else f"'{details}'"
    con.execute(
        f"CREATE OR REPLACE TABLE sw_pairs AS SELECT {PAIR_COLUMNS}, {veto_sql(spec)} AS veto, "
        f"{anchor_sql(spec)} AS anchor, {household_sql(spec)} AS household, "
        f"{differs_sql(spec)} AS differs "
        f"FROM {source}"
    )
    scored.drop_table_from_database_and_remove_from_cache()
    return model, training.notes


def link_workspace(
    settings: Settings,
    *,
    threshold: float | None = None,
    engine: Engine | None = None,
    step: Step = lambda _: None,
) -> RunSummary:
    """Link every record in ``person_records`` afresh and replace the person index."""
    if threshold is not None and not 0 < threshold < 1:
        raise LinkageError(f"threshold must be a probability between 0 and 1, not {threshold}")
    engine = engine or settings.engine
    run_id = new_run_id()
    run_dir = runs_dir(settings) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    timer = _Timer(step)

    session = open_engine(engine, temp_dir=run_dir / "tmp", spark_master=settings.spark_master)
    con = (
        session.db_api.duckdb_con
        if session.name == "duckdb"
        else scratch_connection(run_dir / "tmp")
    )
    try:
        attach_workspace(con, settings)
        if "person_records" not in {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'ws' "
                "UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'ws'"
            ).fetchall()
        }:
            raise NotFound("the workspace has no person_records yet: ingest some extracts first")
        timer("preparing records")
        con.execute(
            "CREATE OR REPLACE TABLE sw_records AS "
            + prepared_records_sql(
                "ws.person_records", has=source_columns(con, "ws.person_records")
            )
        )
        n = int(con.execute("SELECT count(*) FROM sw_records").fetchall()[0][0])
        if n < 2:
            raise LinkageError(f"person_records has {n} record(s): at least 2 are needed")
        spec, guard_notes = guard_blocking(
            con, "sw_records", ModelSpec(present=present_fields(con, "sw_records")), n
        )
        model, notes = _score_on_engine(con, session, spec, n, run_dir, timer)
        notes = (*guard_notes, *notes)
        model_path = run_dir / "model.json"
        model_path.write_text(json.dumps(model, indent=2))

        timer("choosing the threshold")
        if threshold is None:
            choice = choose_threshold(histogram(con, "sw_pairs"))
            thr, method = choice.match_probability, choice.method
        else:
            thr, method = threshold, "given"
        timer("clustering into persons")
        con.execute("CREATE OR REPLACE TABLE sw_scored AS SELECT * FROM sw_pairs")
        con.execute("CREATE OR REPLACE TABLE sw_pairs AS " + with_rivals_sql("sw_scored", thr))
        # Vetoed pairs with their reasons, for the report and for finding what went wrong.
        con.execute(
            f"COPY (SELECT {PAIR_COLUMNS}, veto FROM sw_pairs WHERE veto IS NOT NULL) "
            f"TO '{run_dir / 'vetoes.parquet'}' (FORMAT parquet)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE sw_edges AS "
            + linkable_edges_sql("sw_pairs", thr, "sw_records")
        )
        cluster_edges(con, "sw_records", "sw_edges", "sw_clusters")
        con.execute("CREATE OR REPLACE TABLE sw_cannot_link AS " + cannot_link_sql("sw_pairs"))
        con.execute(
            "CREATE OR REPLACE TABLE sw_relatives AS "
            "SELECT unique_id_l, unique_id_r FROM sw_pairs WHERE household"
        )
        split = split_conflicting_clusters(
            con,
            "sw_clusters",
            "sw_edges",
            "sw_cannot_link",
            records="sw_records",
            relatives="sw_relatives",
        )
        rejected_joined = _rejected_but_joined(con, "sw_clusters")
        timer("writing the person index")
        summary = _write_full_run(
            con,
            run_id=run_id,
            started=started,
            engine=engine,
            model=model,
            model_path=model_path,
            threshold=thr,
            method=method,
        )
        timer("publishing the read snapshot")
        publish_snapshot(con, "ws")
    finally:
        if session.name != "duckdb":
            con.close()
        session.close()
    timings = timer.done()
    return RunSummary(
        run_id=run_id,
        kind="full",
        engine=engine,
        records=n,
        new_records=n,
        pairs_scored=summary["pairs"],
        links=summary["links"],
        persons=summary["persons"],
        threshold=thr,
        threshold_method=method,
        review_pairs=summary["review"],
        rejected_but_joined=rejected_joined,
        model_path=model_path,
        seconds=round(time.perf_counter() - t0, 2),
        clusters_split=split,
        timings=timings,
        training_notes=notes,
    )


def _rejected_but_joined(con: duckdb.DuckDBPyConnection, clusters: str) -> int:
    """Rejected pairs that still share a person through other records (reported, not hidden)."""
    row = con.execute(
        f"""
        SELECT count(*) FROM ws.linkage_review_decisions d
        JOIN {clusters} a ON a.unique_id = d.unique_id_l
        JOIN {clusters} b ON b.unique_id = d.unique_id_r
        WHERE d.decision = 'reject' AND a.cluster_id = b.cluster_id
        """
    ).fetchall()[0]
    return int(row[0]) if row else 0


def review_queue_sql(pairs: str, threshold: float, run_id: str) -> str:
    """Undecided pairs within ``REVIEW_BAND`` match weight of the threshold."""
    w = probability_to_weight(threshold)
    return f"""
    SELECT '{run_id}' AS run_id, {PAIR_COLUMNS} FROM {pairs} AS p
    ANTI JOIN ws.linkage_review_decisions AS d
        ON d.unique_id_l = p.unique_id_l AND d.unique_id_r = p.unique_id_r
    WHERE p.veto IS NULL AND p.match_weight BETWEEN {w - REVIEW_BAND!r} AND {w + REVIEW_BAND!r}
    """


def _write_full_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    started: datetime,
    engine: str,
    model: dict[str, Any],
    model_path: Path,
    threshold: float,
    method: str,
) -> dict[str, int]:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ws.person_index")
        con.execute(
            "INSERT INTO ws.person_index SELECT unique_id, "
            + PERSON_ID_SQL.format(col="cluster_id")
            + f", '{run_id}' FROM sw_clusters"
        )
        fault_point("link.index_replaced")
        con.execute("DELETE FROM ws.person_links")
        con.execute(f"INSERT INTO ws.person_links SELECT {PAIR_COLUMNS}, '{run_id}' FROM sw_edges")
        con.execute("DELETE FROM ws.linkage_review_queue")
        con.execute(
            "INSERT INTO ws.linkage_review_queue " + review_queue_sql("sw_pairs", threshold, run_id)
        )
        counts = con.execute(
            """
            SELECT (SELECT count(*) FROM sw_records), (SELECT count(*) FROM sw_pairs),
                   (SELECT count(*) FROM sw_edges),
                   (SELECT count(DISTINCT cluster_id) FROM sw_clusters),
                   (SELECT count(*) FROM ws.linkage_review_queue)
            """
        ).fetchall()[0]
        assert counts is not None
        records, pairs, links, persons, review = (int(c) for c in counts)
        con.execute(
            "INSERT INTO ws.linkage_runs VALUES "
            "(?, 'full', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                started,
                datetime.now(UTC).replace(tzinfo=None),
                engine,
                settings_hash(model),
                threshold,
                method,
                records,
                records,
                pairs,
                links,
                persons,
                review,
                str(model_path),
                json.dumps(model),
            ],
        )
        fault_point("link.before_commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"pairs": pairs, "links": links, "persons": persons, "review": review}
