"""The end-to-end demo: a fresh hub, a synthetic partnership, and every stage that exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from sharewell.config import get_settings
from sharewell.store import init_hub

__all__ = ["DemoSummary", "run_demo"]


@dataclass
class DemoSummary:
    """What each demo stage produced, stage name to a small dict of figures."""

    out_dir: Path
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_demo(out_dir: Path, *, people: int, seed: int, console: Console | None) -> DemoSummary:
    """Run every stage on a synthetic partnership in ``out_dir``; print a summary if asked."""
    summary = DemoSummary(out_dir=out_dir)
    hub_dir = out_dir / "hub"
    settings = get_settings().model_copy(update={"hub_dir": hub_dir})

    status = init_hub(settings)
    summary.stages["hub"] = {
        "operational store": status.operational_url,
        "analytic workspace": str(status.workspace_path),
    }

    from sharewell.synth import SynthConfig, synthesise

    manifest = synthesise(
        SynthConfig(people=people, seed=seed), out_dir / "extracts", console=console
    )
    summary.stages["synthetic partnership"] = {
        "county": f"{manifest.county} ({manifest.people} people, {manifest.households} households)",
        "extracts": str(out_dir / "extracts"),
        **{e.file: f"{e.rows} rows" for e in manifest.extracts},
        "ground truth": str(out_dir / "extracts" / "truth"),
    }

    if console is not None:
        from sharewell.cli import key_value_table

        for stage, figures in summary.stages.items():
            console.print(key_value_table(stage, figures))
        console.print(f"\n[bold green]Demo complete.[/bold green] Look in {out_dir.resolve()}")
    return summary
