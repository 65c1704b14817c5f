"""Every benchmark ``make bench`` runs; each returns rows for the table.

A row is a dict: benchmark, size, value, baseline, baseline_name, ratio, target (strings
except size and ratio). Add a benchmark by appending its function here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.linkage import linkage
from benchmarks.synth import bench_synth

Row = dict[str, Any]
Benchmark = Callable[..., list[Row]]

BENCHMARKS: list[Benchmark] = []
BENCHMARKS.append(bench_synth)
BENCHMARKS.append(linkage)
