"""The person index in the workspace: its tables, clustering into persons, and writing.

All SQL runs on a DuckDB connection that has the workspace attached as ``ws``.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
from splink import DuckDBAPI
from splink.clustering import cluster_pairwise_predictions_at_threshold

from sharewell.linkage.rivals import SOFT_VETOES

__all__ = [
    "PERSON_ID_SQL",
    "ambiguous_records",
    "choose_by_generation",
    "cluster_edges",
    "constrained_components",
    "ensure_tables",
    "linkable_edges_sql",
    "split_conflicting_clusters",
]

# A person id is a hash of the cluster's lowest record id: stable while that record stays
# in the cluster, meaningless outside the hub (it reveals nothing about the person).
PERSON_ID_SQL = "'P' || upper(substr(md5({col}), 1, 12))"

DDL = """
CREATE TABLE IF NOT EXISTS {s}linkage_runs (
    run_id VARCHAR, kind VARCHAR, started TIMESTAMP, finished TIMESTAMP, engine VARCHAR,
    settings_hash VARCHAR, threshold DOUBLE, threshold_method VARCHAR, records BIGINT,
    new_records BIGINT, pairs_scored BIGINT, links BIGINT, persons BIGINT,
    review_pairs BIGINT, model_path VARCHAR, model_json VARCHAR
);
CREATE TABLE IF NOT EXISTS {s}person_index (
    unique_id VARCHAR, person_id VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS {s}person_links (
    unique_id_l VARCHAR, unique_id_r VARCHAR, match_probability DOUBLE, match_weight DOUBLE,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS {s}linkage_review_queue (
    run_id VARCHAR, unique_id_l VARCHAR, unique_id_r VARCHAR, match_probability DOUBLE,
    match_weight DOUBLE
);
CREATE TABLE IF NOT EXISTS {s}linkage_review_decisions (
    unique_id_l VARCHAR, unique_id_r VARCHAR, decision VARCHAR, reviewer VARCHAR,
    decided_at TIMESTAMP, note VARCHAR, PRIMARY KEY (unique_id_l, unique_id_r)
);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection, schema: str = "ws") -> None:
    """Create linkage's workspace tables if missing."""
    con.execute(DDL.format(s=f"{schema}." if schema else ""))


def linkable_edges_sql(pairs: str, threshold: float, records: str) -> str:
    """Edges that join records: unvetoed pairs at/above ``threshold`` less rejected, plus accepted.

    An analyst's decision outranks the model either way; accepted pairs are included only
    when both records are still present.
    """
    return f"""
    SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight, p.anchor,
           coalesce(p.household, FALSE) AS household
    FROM {pairs} AS p
    ANTI JOIN (SELECT * FROM ws.linkage_review_decisions WHERE decision = 'reject') AS d
        ON d.unique_id_l = p.unique_id_l AND d.unique_id_r = p.unique_id_r
    WHERE p.match_probability >= {threshold!r} AND p.veto IS NULL
    UNION ALL
    SELECT d.unique_id_l, d.unique_id_r, 1.0 AS match_probability,
           NULL::DOUBLE AS match_weight, TRUE AS anchor, FALSE AS household
    FROM ws.linkage_review_decisions AS d
    SEMI JOIN {records} AS a ON a.unique_id = d.unique_id_l
    SEMI JOIN {records} AS b ON b.unique_id = d.unique_id_r
    ANTI JOIN (
        SELECT * FROM {pairs} WHERE match_probability >= {threshold!r} AND veto IS NULL
    ) AS q
        ON q.unique_id_l = d.unique_id_l AND q.unique_id_r = d.unique_id_r
    WHERE d.decision = 'accept'
    """


def cluster_edges(
    con: duckdb.DuckDBPyConnection, nodes: str, edges: str, out: str, node_col: str = "unique_id"
) -> None:
    """Connected components of ``edges`` over ``nodes`` into table ``out`` (node, cluster_id)."""
    db_api = DuckDBAPI(connection=con)
    cc = cluster_pairwise_predictions_at_threshold(
        nodes,
        edges,
        db_api=db_api,
        node_id_column_name=node_col,
        edge_id_column_name_left=f"{node_col}_l",
        edge_id_column_name_right=f"{node_col}_r",
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT {node_col}, cluster_id FROM {cc.physical_name}"
    )
    cc.drop_table_from_database_and_remove_from_cache()


def constrained_components(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    cannot_link: Iterable[tuple[str, str]],
) -> dict[str, str]:
    """Union edges strongest first, skipping any that would join a cannot-link pair.

    ``edges`` must be ordered strongest first. Returns node -> lowest node of its group.
    """
    parent = {n: n for n in nodes}
    members = {n: {n} for n in parent}
    forbidden: dict[str, set[str]] = {}
    for a, b in cannot_link:
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, big = (ra, rb) if len(members[ra]) < len(members[rb]) else (rb, ra)
        if any(forbidden.get(n, set()) & members[big] for n in members[small]):
            continue
        parent[small] = big
        members[big] |= members.pop(small)
    return {n: min(members[find(n)]) for n in parent}


def ambiguous_records(
    groups: dict[str, str],
    edges: Iterable[tuple[str, str]],
    cannot_link: Iterable[tuple[str, str]],
) -> set[str]:
    """Records linked to two groups that must stay apart, and compatible with both.

    A record with no birthday linked to both a father and his son could be either; a
    son's own record, barred from the father's group by its birthday, is not ambiguous.
    """
    touched: dict[str, set[str]] = {n: {g} for n, g in groups.items()}
    for a, b in edges:
        touched[a].add(groups[b])
        touched[b].add(groups[a])
    barred: dict[str, set[str]] = {}
    for a, b in cannot_link:
        if a in groups and b in groups:
            barred.setdefault(a, set()).add(groups[b])
            barred.setdefault(b, set()).add(groups[a])
    return {n for n, gs in touched.items() if len(gs - barred.get(n, set())) > 1}


def choose_by_generation(
    ambiguous: Iterable[str],
    groups: dict[str, str],
    edges: Iterable[tuple[str, str]],
    cannot_link: Iterable[tuple[str, str]],
    generation: dict[str, str],
    born: dict[str, str],
) -> dict[str, str]:
    """The group an ambiguous junior (or senior) record belongs to, where that is decidable.

    "Penlow Jnr" with no birthday, linked to a father and his son, names the younger of
    the two: of the groups it links to and is not barred from, the one born last (a
    senior, the one born first), provided every such group has a birthday and they differ.
    """
    touched: dict[str, set[str]] = {}
    for a, b in edges:
        touched.setdefault(a, set()).add(groups[b])
        touched.setdefault(b, set()).add(groups[a])
    barred: dict[str, set[str]] = {}
    for a, b in cannot_link:
        if a in groups and b in groups:
            barred.setdefault(a, set()).add(groups[b])
            barred.setdefault(b, set()).add(groups[a])
    first_born: dict[str, str] = {}
    for node, group in groups.items():
        if node in born and (group not in first_born or born[node] < first_born[group]):
            first_born[group] = born[node]
    chosen: dict[str, str] = {}
    for node in ambiguous:
        gen = generation.get(node)
        candidates = (touched.get(node, set()) | {groups[node]}) - barred.get(node, set())
        dates = [first_born.get(g) for g in candidates]
        if gen not in ("junior", "senior") or None in dates or len(set(dates)) < len(dates):
            continue
        pick = max if gen == "junior" else min
        chosen[node] = pick(candidates, key=lambda g: first_born[g])
    return chosen


def split_conflicting_clusters(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    edges: str,
    cannot_link: str,
    records: str | None = None,
    relatives: str | None = None,
) -> int:
    """Re-cluster, with constraints, every cluster that holds a cannot-link pair.

    Connected components can chain a father and his son through a record with no date of
    birth; this keeps the strongest links and drops the ones that would join them.
    ``relatives`` (unique_id_l, unique_id_r) are pairs that look like two relatives of one
    household: inside such a cluster they are kept apart as well.
    Returns the number of clusters split.
    """
    bad = con.execute(
        f"""
        SELECT DISTINCT a.cluster_id FROM {cannot_link} c
        JOIN {clusters} a ON a.unique_id = c.unique_id_l
        JOIN {clusters} b ON b.unique_id = c.unique_id_r
        WHERE a.cluster_id = b.cluster_id
        """
    ).fetchall()
    if not bad:
        return 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sw_bad AS SELECT unnest(?) AS cluster_id",
        [[r[0] for r in bad]],
    )
    nodes = [
        r[0]
        for r in con.execute(
            f"SELECT unique_id FROM {clusters} SEMI JOIN sw_bad USING (cluster_id)"
        ).fetchall()
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sw_bad_nodes AS SELECT unnest(?) AS unique_id", [nodes]
    )
    edge_rows = con.execute(
        f"""
        SELECT unique_id_l, unique_id_r FROM {edges}
        SEMI JOIN sw_bad_nodes n ON n.unique_id = unique_id_l
        ORDER BY match_probability DESC, match_weight DESC NULLS FIRST, unique_id_l, unique_id_r
        """
    ).fetchall()
    cl_rows = con.execute(
        f"SELECT unique_id_l, unique_id_r FROM {cannot_link} "
        "SEMI JOIN sw_bad_nodes n ON n.unique_id = unique_id_l"
    ).fetchall()
    if relatives is not None:
        # A cluster that holds two people: pairs that look like two relatives of one
        # household are kept apart too (weak alone, strong beside a cannot-link).
        cl_rows += con.execute(
            f"SELECT unique_id_l, unique_id_r FROM {relatives} "
            "SEMI JOIN sw_bad_nodes n ON n.unique_id = unique_id_l"
        ).fetchall()
    edge_list = [(a, b) for a, b in edge_rows]
    cannot = [(a, b) for a, b in cl_rows]
    groups = constrained_components(nodes, edge_list, cannot)
    # A record tied by NHS number (or by an analyst) to a group is not in doubt.
    anchored = {
        n
        for row in con.execute(
            f"SELECT unique_id_l, unique_id_r FROM {edges} "
            "SEMI JOIN sw_bad_nodes n ON n.unique_id = unique_id_l WHERE anchor"
        ).fetchall()
        for n in row
    }
    ambiguous = ambiguous_records(groups, edge_list, cannot) - anchored
    if ambiguous:
        chosen: dict[str, str] = {}
        if records is not None:
            generation, born = _generations(con, records, ambiguous)
            chosen = choose_by_generation(ambiguous, groups, edge_list, cannot, generation, born)

        def keep(node: str, other: str) -> bool:
            if node in chosen:
                return groups[other] == chosen[node]
            return node not in ambiguous

        kept = [(a, b) for a, b in edge_list if keep(a, b) and keep(b, a)]
        groups = constrained_components(nodes, kept, cannot)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sw_regrouped AS "
        "SELECT unnest(?) AS unique_id, unnest(?) AS cluster_id",
        [list(groups.keys()), list(groups.values())],
    )
    con.execute(
        f"UPDATE {clusters} SET cluster_id = g.cluster_id FROM sw_regrouped g "
        f"WHERE {clusters}.unique_id = g.unique_id"
    )
    return len(bad)


def _generations(
    con: duckdb.DuckDBPyConnection, records: str, ambiguous: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Generation of the ambiguous records; birthday of every record in the bad clusters."""
    generation = dict(
        con.execute(
            f"SELECT unique_id, generation FROM {records} "
            "WHERE generation IS NOT NULL AND unique_id IN (SELECT unnest(?))",
            [sorted(ambiguous)],
        ).fetchall()
    )
    born = dict(
        con.execute(
            f"SELECT unique_id, CAST(dob AS VARCHAR) FROM {records} "
            "SEMI JOIN sw_bad_nodes USING (unique_id) WHERE dob IS NOT NULL"
        ).fetchall()
    )
    return generation, born


def _soft() -> str:
    return f" AND p.veto NOT IN {SOFT_VETOES!r}" if SOFT_VETOES else ""


def cannot_link_sql(pairs: str) -> str:
    """Pairs that must never share a person: hard-vetoed (unless accepted) and rejected.

    Every veto is strong evidence of two people (veto_sql), so none of them may be joined
    through other records either — except the pairs rivals.py sets aside for losing to
    better links, which says which link is best, not that the two differ.
    """
    return f"""
    SELECT unique_id_l, unique_id_r FROM {pairs} AS p
    ANTI JOIN (SELECT * FROM ws.linkage_review_decisions WHERE decision = 'accept') AS d
        ON d.unique_id_l = p.unique_id_l AND d.unique_id_r = p.unique_id_r
    WHERE p.veto IS NOT NULL{_soft()}
    UNION
    SELECT unique_id_l, unique_id_r FROM ws.linkage_review_decisions WHERE decision = 'reject'
    """
