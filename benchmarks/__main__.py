"""``python -m benchmarks``: run every benchmark and print one table (also saved as JSON)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).parent / "results"


def _proc_field(path: str, key: str) -> str | None:
    """A ``key: value`` line of a /proc file (Linux), or None elsewhere."""
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def machine() -> dict[str, str]:
    """Details of the machine the figures were measured on."""
    memory = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "usable_cores": str(len(os.sched_getaffinity(0)))
        if hasattr(os, "sched_getaffinity")
        else str(os.cpu_count()),
        "memory": f"{int(memory.split()[0]) / 1024**2:.1f} GiB" if memory else "unknown",
        "python": platform.python_version(),
        "os": _os_name(),
        "platform": platform.platform(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


_NUMBER = r"(\d[\d,]*(?:\.\d+)?)\s*([kKM](?![a-zA-Z]))?"


def _first_number(text: str, *, after_comparison: bool = False) -> float | None:
    """The first number in ``text`` (1,234 / 0.99 / 100k / 150 M), or None; with
    ``after_comparison`` only one that follows >=, <=, < or > (as a target states it)."""
    pattern = (r"(?:>=|<=|<|>)\s*" if after_comparison else "") + _NUMBER
    found = re.search(pattern, text or "")
    if found is None:
        return None
    scale = {"k": 1e3, "K": 1e3, "M": 1e6}.get(found.group(2) or "", 1.0)
    return float(found.group(1).replace(",", "")) * scale


def with_baseline(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with a ratio beside its baseline; a row measured against nothing else in the
    run is compared with its target, and says so."""
    if row.get("ratio") is not None:
        return row
    value = _first_number(row["value"])
    target = _first_number(row.get("target", ""), after_comparison=True)
    if value is None or not target:
        return {**row, "ratio": None}
    return {
        **row,
        "baseline": row["target"],
        "baseline_name": "target (no measured baseline)",
        "ratio": value / target,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Reduced sizes for a fast run.")
    parser.add_argument(
        "--only", action="append", default=[], help="Run only benchmarks whose name has this."
    )
    args = parser.parse_args()

    from benchmarks.registry import BENCHMARKS

    details = machine()
    rows = []
    for bench in BENCHMARKS:
        if args.only and not any(word in bench.__name__ for word in args.only):
            continue
        rows.extend(with_baseline(row) for row in bench(quick=args.quick))

    table = Table(
        title="sharewell benchmarks" + (" (--quick)" if args.quick else ""),
        caption=f"{details['cpu']}, {details['cores']} cores, {details['memory']}, "
        f"Python {details['python']}, {details['os']}",
    )
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
    # Wide enough for the table when written to a file or a pipe (rich assumes 80 columns).
    console = Console() if sys.stdout.isatty() else Console(width=220)
    console.print(table)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"bench-{stamp}.json"
    out.write_text(
        json.dumps({"machine": details, "quick": args.quick, "rows": rows}, indent=2, default=str)
    )
    console.print(f"Saved {out}")


if __name__ == "__main__":
    main()
