"""Linkage runs as recorded in the workspace: their figures and the scored pairs' weights.

Runs name nobody (counts, settings, the model's parameters), so pages and the API read them
here rather than opening the workspace themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sharewell.config import Settings
from sharewell.errors import NotFound
from sharewell.linkage.run import attach_workspace

__all__ = ["RUN_COLUMNS", "linkage_run", "linkage_runs"]

RUN_COLUMNS = (
    "run_id",
    "kind",
    "started",
    "finished",
    "engine",
    "threshold",
    "threshold_method",
    "records",
    "new_records",
    "pairs_scored",
    "links",
    "persons",
    "review_pairs",
)


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    attach_workspace(con, settings)
    return con


def linkage_runs(settings: Settings) -> list[dict[str, Any]]:
    """Every linkage run's figures, newest first."""
    con = _connect(settings)
    try:
        rows = con.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM ws.linkage_runs ORDER BY started DESC"
        ).fetchall()
    finally:
        con.close()
    return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows]


def linkage_run(
    settings: Settings, run_id: str
) -> tuple[dict[str, Any], str | None, list[tuple[float, int]]]:
    """One run's figures, its model (JSON) and its scored pairs by half-unit of match weight."""
    con = _connect(settings)
    try:
        rows = con.execute(
            f"SELECT {', '.join(RUN_COLUMNS)}, model_path, model_json FROM ws.linkage_runs "
            "WHERE run_id = ?",
            [run_id],
        ).fetchall()
        if not rows:
            raise NotFound(f"no linkage run {run_id}; the linkage page lists the runs")
        *fields, model_path, model_json = rows[0]
        pairs = Path(model_path).parent / "pairs.parquet"
        bins: list[tuple[float, int]] = []
        if pairs.exists():
            source = str(pairs / "*.parquet") if pairs.is_dir() else str(pairs)
            bins = [
                (float(w), int(n))
                for w, n in con.execute(
                    "SELECT floor(match_weight * 2) / 2 AS w, count(*) FROM read_parquet(?) "
                    "GROUP BY w ORDER BY w",
                    [source],
                ).fetchall()
            ]
    finally:
        con.close()
    return dict(zip(RUN_COLUMNS, fields, strict=True)), model_json, bins
