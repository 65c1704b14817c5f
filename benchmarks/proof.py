"""Load over HTTP for the benchmark table: the front-line mix against the health check.

The same load generator as ``make soak`` (``benchmarks.load``), at a rate the 2-core machine
sustains, so the row says what a request costs rather than how long a queue grows. The
baseline is the health check (no session, store or template) at the same rate.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

Row = dict[str, Any]  # as in benchmarks.registry (not imported: the registry imports us)


def bench_load(quick: bool = False) -> list[Row]:
    """p50/p99 of the front-line mix through ``sharewell serve`` vs the health check."""
    from benchmarks.load import load_run
    from benchmarks.proof_hub import build_hub

    rate, seconds = (5.0, 4.0) if quick else (8.0, 20.0)
    with tempfile.TemporaryDirectory(prefix="sharewell-bench-load-") as tmp:
        settings = build_hub(Path(tmp), people=5_000)
        log = Path(tmp) / "serve.log"
        mix = load_run(settings, rate=rate, seconds=seconds, log=log)
        health = load_run(settings, rate=rate, seconds=seconds, log=log, mix=("health",))
    audited = "every success audited" if mix["audit"]["every_success_audited"] else "AUDIT GAP"
    return [
        {
            "benchmark": "load: lookups + list views over HTTP, p50 / p99",
            "size": f"{mix['sent']} requests at {rate:g}/s",
            "value": f"{mix['p50_ms']} / {mix['p99_ms']} ms; "
            f"errors {100 * mix['error_rate']:.1f}%; {audited}",
            "baseline": f"{health['p50_ms']} / {health['p99_ms']} ms",
            "baseline_name": "health check at the same rate",
            "ratio": mix["p99_ms"] / health["p99_ms"] if health["p99_ms"] else None,
            "target": "no errors; every success audited",
        }
    ]
