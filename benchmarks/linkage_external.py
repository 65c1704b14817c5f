"""Linkage on data this project did not generate: sharewell beside plain Splink, same files.

For each set in ``external_data.EXTERNAL_SETS``: ``link-files`` links the files as an
analyst would (columns recognised by name, ``record_id`` as the id, extra identifier
columns mapped with ``--map``), plain Splink (``plain_splink.py``) links the same files,
and both are scored against the truth in one way: pairwise precision, recall and F1 over
the persons each forms (connected components of its links; for a link, only pairs across
the two files count). Also reported: the share of true pairs sharewell scored at all
(its blocking recall, measured with ``--all-pairs``).

Run alone with ``python -m benchmarks.linkage_external [--only NAME]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.external_data import EXTERNAL_SETS, ExternalSet, Written

__all__ = ["bench_linkage_external", "evaluate", "run_set"]


def _load_truth(con: duckdb.DuckDBPyConnection, w: Written) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE truth AS SELECT t.record_id AS unique_id, t.entity, "
        f"CASE WHEN l.record_id IS NOT NULL THEN 'l' ELSE 'r' END AS side "
        f"FROM read_csv('{w.truth}', all_varchar = true) t "
        f"LEFT JOIN (SELECT record_id FROM read_csv('{w.left}', all_varchar = true)) l "
        f"USING (record_id)"
    )


def _pairs_sql(group: str, link: bool) -> str:
    # Pairs within each group: every two records for a dedupe, one from each file for a link.
    if link:
        return (
            f"SELECT coalesce(sum(nl * nr), 0) FROM (SELECT count(*) FILTER (side = 'l') AS nl, "
            f"count(*) FILTER (side = 'r') AS nr FROM g GROUP BY {group})"
        )
    return (
        "SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
        f"(SELECT count(*) AS n FROM g GROUP BY {group})"
    )


def evaluate(con: duckdb.DuckDBPyConnection, clusters: str, link: bool) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``clusters`` (unique_id, cluster_id) vs truth."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE g AS SELECT t.unique_id, t.entity, t.side, "
        f"coalesce(CAST(c.cluster_id AS VARCHAR), t.unique_id) AS cluster_id "
        f"FROM truth t LEFT JOIN {clusters} c ON CAST(c.unique_id AS VARCHAR) = t.unique_id"
    )
    predicted = con.execute(_pairs_sql("cluster_id", link)).fetchall()[0][0]
    true = con.execute(_pairs_sql("entity", link)).fetchall()[0][0]
    tp = con.execute(_pairs_sql("cluster_id, entity", link)).fetchall()[0][0]
    p = tp / predicted if predicted else 1.0
    r = tp / true if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "true_pairs": int(true), "tp": int(tp)}


def _components(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from sharewell.linkage.index import constrained_components

    nodes = {n for pair in pairs for n in pair}
    return list(constrained_components(nodes, pairs, []).items())


def _sharewell(w: Written, root: Path, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    from sharewell.linkage.files import link_files

    out = root / "sharewell-pairs.parquet"
    entries: list[str] = []
    if w.map_args:
        # Columns recognised by name, as without --map, plus the extra identifier column.
        from sharewell.linkage.columns import auto_mapping

        def cols(path: Path) -> list[str]:
            return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]

        left_cols = cols(w.left)
        right_cols = cols(w.right) if w.right else left_cols
        entries = [
            f"{m.field}:{m.left}={m.right}"
            for m in auto_mapping(left_cols, right_cols, skip=["record_id"])
        ] + w.map_args
    t0 = time.perf_counter()
    summary = link_files(w.left, w.right, entries, out, include_unlinked=True)
    seconds = time.perf_counter() - t0
    a, b = ("left_id", "right_id") if w.right else ("id_l", "id_r")
    linked = con.execute(f"SELECT {a}, {b} FROM '{out}' WHERE linked").fetchall()
    con.execute("CREATE OR REPLACE TABLE sw_clusters (unique_id VARCHAR, cluster_id VARCHAR)")
    rows = _components([(str(x), str(y)) for x, y in linked])
    if rows:
        con.executemany("INSERT INTO sw_clusters VALUES (?, ?)", rows)
    scored = con.execute(
        f"SELECT count(*) FROM '{out}' p JOIN truth x ON x.unique_id = p.{a} "
        f"JOIN truth y ON y.unique_id = p.{b} WHERE x.entity = y.entity"
    ).fetchall()[0][0]
    vetoes = dict(
        con.execute(
            f"SELECT p.veto, count(*) FROM '{out}' p JOIN truth x ON x.unique_id = p.{a} "
            f"JOIN truth y ON y.unique_id = p.{b} WHERE x.entity = y.entity AND p.veto IS NOT NULL "
            "GROUP BY 1"
        ).fetchall()
    )
    acc = evaluate(con, "sw_clusters", w.right is not None)
    return {
        **acc,
        "seconds": seconds,
        "pairs_scored": summary.pairs_scored,
        "threshold": summary.threshold,
        "fields": list(summary.fields_used),
        "notes": list(summary.training_notes),
        "blocking_recall": scored / acc["true_pairs"] if acc["true_pairs"] else 1.0,
        "true_pairs_vetoed": vetoes,
    }


def _plain(w: Written, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    from benchmarks.plain_splink import plain_splink_clusters

    con.execute(
        f"CREATE OR REPLACE TABLE src_l AS SELECT * FROM read_csv('{w.left}', all_varchar = true)"
    )
    roles_l = {k: v for k, v in w.roles.items() if k != "middle_name_right"}
    right = None
    if w.right:
        roles_r = dict(roles_l)
        if "middle_name_right" in w.roles:
            roles_r["middle_name"] = w.roles["middle_name_right"]
        cols = ", ".join(
            f"{c} AS {roles_l_col}"
            for roles_l_col, c in ((roles_l[k], roles_r[k]) for k in roles_l)
        )
        con.execute(
            f"CREATE OR REPLACE TABLE src_r AS SELECT record_id, {cols} "
            f"FROM read_csv('{w.right}', all_varchar = true)"
        )
        right = "src_r"
    t0 = time.perf_counter()
    try:
        info = plain_splink_clusters(con, "src_l", right, roles_l, "plain_clusters")
    except Exception as exc:  # the baseline's own failure is a result, not a crash
        return {"failed": [f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"], "f1": None}
    seconds = time.perf_counter() - t0
    return {**evaluate(con, "plain_clusters", w.right is not None), **info, "seconds": seconds}


def run_set(s: ExternalSet, root: Path) -> dict[str, Any]:
    """sharewell and plain Splink on one external set."""
    w = s.write(root)
    con = duckdb.connect()
    _load_truth(con, w)
    sw = _sharewell(w, root, con)
    plain = _plain(w, con)
    con.close()
    return {"set": s.name, "note": s.note, "has_dob": s.has_dob, "sharewell": sw, "plain": plain}


def _target(s: dict[str, Any]) -> str:
    if "issue 21" in s["note"]:
        return ">= plain; F1 >= 0.99" if s["has_dob"] else ">= plain; P >= 0.95"
    return ">= plain; F1 >= 0.995, P >= 0.99"


def rows_for(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Benchmark table rows: sharewell's P/R/F1 beside plain Splink's."""
    rows = []
    for r in results:
        sw, pl = r["sharewell"], r["plain"]
        pf1 = pl.get("f1")
        rows.append(
            {
                "benchmark": f"linkage on {r['set']} [{r['note']}]",
                "size": sw["true_pairs"],
                "value": f"F1 {sw['f1']:.4f} (P {sw['precision']:.4f} / R {sw['recall']:.4f}); "
                f"blocking recall {sw['blocking_recall']:.4f}",
                "baseline": "failed"
                if pf1 is None
                else f"F1 {pf1:.4f} (P {pl['precision']:.4f} / R {pl['recall']:.4f})",
                "baseline_name": "plain Splink 5, documented FEBRL settings",
                "ratio": sw["f1"] / pf1 if pf1 else None,
                "target": _target(r),
                "detail": r,
            }
        )
    return rows


def bench_linkage_external(quick: bool = False, only: str | None = None) -> list[dict[str, Any]]:
    """Every external set (``--quick``: FEBRL 1 and 4 and one pseudopeople pair)."""
    sets = [s for s in EXTERNAL_SETS if not only or only.lower() in s.name.lower()]
    if quick:
        sets = [
            s
            for s in sets
            if s.name.startswith(("FEBRL 1", "FEBRL 4 (", "pseudopeople census x SSA"))
        ]
    results = []
    with tempfile.TemporaryDirectory(prefix="sharewell-bench-external-") as tmp:
        for s in sets:
            result = run_set(s, Path(tmp))
            print(json.dumps(result, default=str), flush=True)
            results.append(result)
    return rows_for(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=None, help="Run only sets whose name has this.")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for row in bench_linkage_external(quick=args.quick, only=args.only):
        print(row["benchmark"], "|", row["value"], "|", row["baseline"])


if __name__ == "__main__":
    main()
