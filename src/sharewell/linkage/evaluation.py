"""Accuracy of a person index against ground truth: pairwise and cluster measures.

Computed in DuckDB SQL so it scales to a county; the inputs are two relations with
``unique_id, person_id`` (predicted) and ``unique_id, person_id`` (truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from sharewell.errors import LinkageError, NotFound

__all__ = ["Accuracy", "FalseMerge", "accuracy", "load_truth", "worst_false_merges"]


@dataclass(frozen=True)
class Accuracy:
    """Pairwise precision/recall/F1 and the share of true persons recovered exactly."""

    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    true_persons: int
    predicted_persons: int
    persons_exact: int
    persons_exact_share: float
    clusters_pure_share: float


@dataclass(frozen=True)
class FalseMerge:
    """A predicted person holding records of more than one true person."""

    person_id: str
    records: int
    true_persons: int
    unique_ids: list[str]


def load_truth(con: duckdb.DuckDBPyConnection, path: Path, table: str = "sw_truth") -> None:
    """Read a truth CSV (``unique_id`` or ``record_id``, ``person_id``) into ``table``."""
    if not path.exists():
        raise NotFound(f"truth file {path} does not exist")
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv('{path}', all_varchar=true)"
    )
    cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if "person_id" not in cols or not cols & {"unique_id", "record_id"}:
        raise LinkageError(
            f"truth file {path} needs columns unique_id (or record_id) and person_id; "
            f"it has {', '.join(sorted(cols))}"
        )
    if "unique_id" not in cols:
        con.execute(f"ALTER TABLE {table} RENAME COLUMN record_id TO unique_id")


def _pair_count(expr: str) -> str:
    return f"sum({expr} * ({expr} - 1) / 2)"


def accuracy(con: duckdb.DuckDBPyConnection, predicted: str, truth: str) -> Accuracy:
    """Compare ``predicted`` with ``truth`` over the records both know."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sw_eval AS
        SELECT p.unique_id, p.person_id AS pred, t.person_id AS actual
        FROM {predicted} p JOIN {truth} t USING (unique_id)
        """
    )
    row = con.execute(
        f"""
        WITH tp AS (SELECT count(*) AS n FROM sw_eval GROUP BY actual),
             pp AS (SELECT count(*) AS n FROM sw_eval GROUP BY pred),
             both_ AS (SELECT count(*) AS n FROM sw_eval GROUP BY pred, actual),
             tset AS (
                SELECT actual, list_sort(list(unique_id)) AS ids FROM sw_eval GROUP BY actual
             ),
             pset AS (SELECT pred, list_sort(list(unique_id)) AS ids FROM sw_eval GROUP BY pred),
             purity AS (SELECT pred, count(DISTINCT actual) = 1 AS pure FROM sw_eval GROUP BY pred)
        SELECT
            (SELECT count(*) FROM sw_eval),
            (SELECT coalesce({_pair_count("n")}, 0) FROM tp),
            (SELECT coalesce({_pair_count("n")}, 0) FROM pp),
            (SELECT coalesce({_pair_count("n")}, 0) FROM both_),
            (SELECT count(*) FROM tset),
            (SELECT count(*) FROM pset),
            (SELECT count(*) FROM tset JOIN pset USING (ids)),
            (SELECT avg(pure::INT) FROM purity)
        """
    ).fetchall()[0]
    assert row is not None
    records, true_pairs, pred_pairs, correct, t_persons, p_persons, exact, pure = row
    true_pairs, pred_pairs, correct = int(true_pairs), int(pred_pairs), int(correct)
    precision = correct / pred_pairs if pred_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Accuracy(
        records=int(records),
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=correct,
        precision=round(precision, 5),
        recall=round(recall, 5),
        f1=round(f1, 5),
        true_persons=int(t_persons),
        predicted_persons=int(p_persons),
        persons_exact=int(exact),
        persons_exact_share=round(int(exact) / int(t_persons), 5) if t_persons else 1.0,
        clusters_pure_share=round(float(pure or 1.0), 5),
    )


def worst_false_merges(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[FalseMerge]:
    """Predicted persons mixing the most true persons (needs ``accuracy`` run first)."""
    rows = con.execute(
        f"""
        SELECT pred, count(*) AS n, count(DISTINCT actual) AS k, list_sort(list(unique_id))
        FROM sw_eval GROUP BY pred HAVING count(DISTINCT actual) > 1
        ORDER BY k DESC, n DESC, pred LIMIT {int(limit)}
        """
    ).fetchall()
    return [FalseMerge(r[0], int(r[1]), int(r[2]), list(r[3])) for r in rows]
