"""``python -m benchmarks``: run every benchmark and print one table (also saved as JSON)."""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict[str, str]:
    """Details of the machine the figures were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Reduced sizes for a fast run.")
    args = parser.parse_args()

    from benchmarks.registry import BENCHMARKS

    rows = []
    for bench in BENCHMARKS:
        rows.extend(bench(quick=args.quick))

    table = Table(title="sharewell benchmarks")
    for col in ("benchmark", "size", "sharewell", "baseline", "baseline name", "ratio", "target"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["benchmark"],
            str(r["size"]),
            r["value"],
            r["baseline"],
            r["baseline_name"],
            f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-",
            r.get("target", "-"),
        )
    Console().print(table)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"bench-{stamp}.json"
    out.write_text(json.dumps({"machine": machine(), "quick": args.quick, "rows": rows}, indent=2))
    Console().print(f"Saved {out}")


if __name__ == "__main__":
    main()
