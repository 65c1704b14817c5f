"""How long the synthetic partnership takes to generate and write, against the 60 s target."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 60.0


def bench_synth(quick: bool = False) -> list[dict[str, Any]]:
    """Generate and write a county of 100,000 people (10,000 with ``quick``)."""
    from sharewell.synth import SynthConfig, generate, write_partnership

    people = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        partnership = generate(SynthConfig(people=people, seed=1))
        generated = time.perf_counter() - began
        manifest = write_partnership(partnership, Path(tmp) / "westshire")
        total = time.perf_counter() - began
    rows = sum(e.rows for e in manifest.extracts)
    return [
        {
            "benchmark": "synth: generate + write partnership",
            "size": people,
            "value": f"{total:.1f} s ({generated:.1f} s generate, {rows} records)",
            "baseline": f"{TARGET_SECONDS:.0f} s",
            "baseline_name": "issue 2 target for 100k people",
            "ratio": total / TARGET_SECONDS,
            "target": "< 60 s for 100k",
        }
    ]
