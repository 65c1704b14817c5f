"""Savings benchmark: Monte Carlo of NPV, vectorised, against re-running the engine per draw."""

from __future__ import annotations

import time
from typing import Any

Row = dict[str, Any]  # as in benchmarks.registry (not imported: the registry imports us)


def bench_monte_carlo(quick: bool = False) -> list[Row]:
    """10,000 Monte Carlo draws of the hub's NPV vs a pure-Python loop over the engine."""
    from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
    from sharewell.savings.montecarlo import monte_carlo, monte_carlo_naive
    from sharewell.savings.unit_costs import load_library

    library = load_library()
    hub = load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", library)
    draws = 1_000 if quick else 10_000
    # The naive loop is slow; time a sample of it and scale to the same number of draws.
    naive_draws = 50 if quick else 300

    start = time.perf_counter()
    monte_carlo(hub, library, draws=draws)
    fast = time.perf_counter() - start

    start = time.perf_counter()
    monte_carlo_naive(hub, library, draws=naive_draws)
    slow = (time.perf_counter() - start) * draws / naive_draws

    return [
        {
            "benchmark": "savings: Monte Carlo NPV draws",
            "size": draws,
            "value": f"{fast:.3f} s",
            "baseline": f"{slow:.1f} s (timed {naive_draws} draws, scaled)",
            "baseline_name": "pure-Python loop re-running the engine per draw",
            "ratio": slow / fast,
            "target": "10,000 draws under 1 s",
        }
    ]
