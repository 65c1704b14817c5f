"""The end-to-end demo: a fresh hub, a synthetic partnership, and every stage that exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from sharewell.config import Settings, get_settings
from sharewell.store import Workspace, init_hub

__all__ = ["DemoSummary", "build_linked_hub", "run_demo"]

# Demo users (seeded with the partnership) who look at the front-line views.
FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"


@dataclass
class DemoSummary:
    """What each demo stage produced, stage name to a small dict of figures."""

    out_dir: Path
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_linked_hub(
    out_dir: Path,
    *,
    people: int,
    seed: int,
    console: Console | None = None,
    settings: Settings | None = None,
) -> tuple[Settings, DemoSummary]:
    """Hub, synthetic partnership, demo agreements, ingest and linkage: data ready for views."""
    from sharewell.agreements import seed_demo_partnership
    from sharewell.ingest import ingest_manifest
    from sharewell.ingest.audited import record_ingest
    from sharewell.linkage import link_workspace
    from sharewell.partnership import hub_engine
    from sharewell.synth import SynthConfig, synthesise

    summary = DemoSummary(out_dir=out_dir)
    settings = (settings or get_settings()).model_copy(update={"hub_dir": out_dir / "hub"})
    status = init_hub(settings)
    summary.stages["hub"] = {
        "operational store": status.operational_url,
        "analytic workspace": str(status.workspace_path),
    }

    extracts = out_dir / "extracts"
    manifest = synthesise(SynthConfig(people=people, seed=seed), extracts, console=console)
    summary.stages["synthetic partnership"] = {
        "county": f"{manifest.county} ({manifest.people} people, {manifest.households} households)",
        "extracts": str(extracts),
        **{e.file: f"{e.rows} rows" for e in manifest.extracts},
        "ground truth (never ingested)": str(extracts / "truth"),
    }

    engine = hub_engine(settings)
    try:
        seeded = seed_demo_partnership(engine, actor="demo")
        with Workspace(settings.workspace_path()) as workspace:
            reports = ingest_manifest(workspace, extracts, loaded_by="demo")
        for report in reports:
            record_ingest(engine, report, actor="demo")
    finally:
        engine.dispose()
    summary.stages["partnership and agreements"] = {
        "organisations added": seeded.organisations_added,
        "users added": seeded.users_added,
        **{f"agreement {k}": v for k, v in seeded.agreements.items()},
    }

    summary.stages["ingest"] = {
        "extracts": len(reports),
        "rows read": sum(r.rows_read for r in reports),
        "accepted": sum(r.rows_accepted for r in reports),
        "quarantined (with reasons)": sum(r.rows_quarantined for r in reports),
    }

    run = link_workspace(settings)
    summary.stages["linkage"] = {
        "records": run.records,
        "pairs scored": run.pairs_scored,
        "persons": run.persons,
        "threshold": f"{run.threshold:.3f} ({run.threshold_method})",
        "pairs for clerical review": run.review_pairs,
        "seconds": f"{run.seconds:.1f}",
    }
    return settings, summary


def run_demo(out_dir: Path, *, people: int, seed: int, console: Console | None) -> DemoSummary:
    """Run every stage on a synthetic partnership in ``out_dir``; print a summary if asked."""
    from sharewell.linkage.report import write_report
    from sharewell.partnership import hub_engine
    from sharewell.savings import run_savings_demo
    from sharewell.synth import SynthConfig
    from sharewell.views.crisis_care import crisis_cohort_for
    from sharewell.views.safe_and_well import safe_and_well_list

    settings, summary = build_linked_hub(out_dir, people=people, seed=seed, console=console)

    report = write_report(
        settings, out_dir / "linkage-report.html", truth=out_dir / "extracts/truth/records.csv"
    )
    quality: dict[str, Any] = {"report": str(report.out)}
    if report.accuracy is not None:
        acc = report.accuracy
        quality |= {
            "pairwise precision": f"{acc.precision:.4f}",
            "pairwise recall": f"{acc.recall:.4f}",
            "persons exactly recovered": f"{acc.persons_exact / max(acc.true_persons, 1):.4f}",
        }
    summary.stages["linkage quality (against the truth file)"] = quality

    as_of = SynthConfig().history_end
    engine = hub_engine(settings)
    try:
        with Workspace(settings.workspace_path(), read_only=True) as ws:
            visits = safe_and_well_list(engine, ws.conn, username=FIRE_CREW, as_of=as_of)
            cohort = crisis_cohort_for(engine, ws.conn, username=CRISIS_TEAM, as_of=as_of)
            savings = run_savings_demo(out_dir / "savings", workspace=ws.conn)
    finally:
        engine.dispose()
    top = visits.households[0] if visits.households else None
    summary.stages[f"Safe and Well list for {FIRE_CREW}"] = {
        "households ranked": len(visits.households),
        "first to visit": f"{top.address}, {top.postcode}" if top else "-",
        "because": top.risk.reasons if top else "-",
        "audit entries written": len(visits.audit_seqs),
    }
    summary.stages[f"crisis cohort for {CRISIS_TEAM}"] = {
        "people in repeated crisis": len(cohort.members),
        "seen by 2+ agencies": sum(len(m.agencies) > 1 for m in cohort.members),
        "audit entries written": len(cohort.audit_seqs),
    }
    summary.stages["savings"] = savings

    if console is not None:
        from sharewell.cli import key_value_table

        for stage, figures in summary.stages.items():
            console.print(key_value_table(stage, figures))
        console.print(
            f"\n[bold green]Demo complete.[/bold green] Look in {out_dir.resolve()}:\n"
            f"  linkage report   {out_dir / 'linkage-report.html'}\n"
            f"  savings report   {out_dir / 'savings'}\n"
            f"  the hub          {out_dir / 'hub'}  (try: sharewell --help)"
        )
    return summary
