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


def bench_evidence(quick: bool = False) -> list[Row]:
    """The evidence design on generated Westshires: false alarms with no effect, coverage with one.

    The baseline is the design's own statistical promise in the same run: at most 5% of
    null partnerships with a clear effect anywhere (Bonferroni over every event type), and
    95% corrected intervals. A ratio above 1 is better than promised.
    """
    from sharewell.savings.calibration import calibrate

    # A false alarm rate near 5% needs many partnerships to measure: 100 null ones (the
    # binomial standard error is then about 2 points), 40 with the effect.
    null_seeds = range(1000, 1010 if quick else 1100)
    seeds = range(300, 310 if quick else 340)
    start = time.perf_counter()
    null = calibrate(null_seeds, effect=0.0, bootstrap=300)
    real = calibrate(seeds, effect=0.35, bootstrap=300)
    elapsed = time.perf_counter() - start
    n = len(seeds)
    found = real.detected("police_mental_health")
    return [
        {
            "benchmark": "savings: evidence, null effect, no clear effect",
            "size": f"{len(null_seeds)} partnerships x 60,000 people",
            "value": f"{null.no_clear_effect:.0%}",
            "baseline": "95% (the design's family-wise promise)",
            "baseline_name": "Bonferroni-corrected 95% across every event type",
            "ratio": null.no_clear_effect / 0.95,
            "target": ">= 95% report no clear effect",
        },
        {
            "benchmark": "savings: evidence, generated 35% effect, intervals hold the truth",
            "size": f"{n} partnerships x 8 event types ({elapsed:.0f} s for both runs)",
            "value": f"{real.coverage:.0%} (police MH found in {found:.0%})",
            "baseline": "90%",
            "baseline_name": "target coverage of the corrected intervals",
            "ratio": real.coverage / 0.90,
            "target": ">= 90% of intervals contain the generated effect",
        },
    ]
