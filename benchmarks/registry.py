"""Every benchmark ``make bench`` runs; each returns rows for the table.

A row is a dict: benchmark, size, value, baseline, baseline_name, ratio, target (strings
except size and ratio). Add a benchmark by importing its function and listing it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.governance import bench_governance
from benchmarks.ingest import bench_ingest
from benchmarks.linkage import linkage, linkage_county
from benchmarks.linkage_external import bench_linkage_external
from benchmarks.privacy import bench_privacy
from benchmarks.proof import bench_load
from benchmarks.savings import bench_evidence, bench_monte_carlo
from benchmarks.synth import bench_synth
from benchmarks.views import bench_flag_lookup
from benchmarks.web import bench_web

Row = dict[str, Any]
Benchmark = Callable[..., list[Row]]

BENCHMARKS: list[Benchmark] = [
    bench_synth,
    bench_ingest,
    linkage,
    linkage_county,
    bench_linkage_external,
    bench_governance,
    bench_monte_carlo,
    bench_evidence,
    bench_flag_lookup,
    bench_web,
    bench_privacy,
    bench_load,
]
