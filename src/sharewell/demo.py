"""The end-to-end demo: a fresh hub, a synthetic partnership, and every stage that exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from sharewell.config import Settings, get_settings
from sharewell.errors import ConfigError
from sharewell.store import Workspace, init_hub

__all__ = ["LINKAGE_CHOICES", "DemoSummary", "build_linked_hub", "pprl_agreements", "run_demo"]

# plaintext: the hub links names and dates of birth (Splink); pprl: each partner encodes its
# extracts with the partnership's secret, which the hub never holds, and the hub links those.
Linkage = Literal["plaintext", "pprl"]
LINKAGE_CHOICES: tuple[str, ...] = ("plaintext", "pprl")

# Demo users (seeded with the partnership) who look at the front-line views.
FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
EVALUATOR = "westshire_cc.analyst"  # measures the safe haven under service-evaluation


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
    linkage: Linkage = "plaintext",
) -> tuple[Settings, DemoSummary]:
    """Hub, synthetic partnership, demo agreements, ingest and linkage: data ready for views."""
    from sharewell.agreements import seed_demo_partnership
    from sharewell.agreements.governed_ingest import record_ingest
    from sharewell.ingest import ingest_manifest
    from sharewell.linkage import link_workspace
    from sharewell.partnership import hub_engine
    from sharewell.synth import SynthConfig, synthesise

    if linkage not in LINKAGE_CHOICES:
        raise ConfigError(f"linkage {linkage!r} is not one of {', '.join(LINKAGE_CHOICES)}")
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
        if linkage == "pprl":
            examples = pprl_agreements(out_dir / "agreements")
            seeded = seed_demo_partnership(engine, actor="demo", examples_dir=examples)
            uploads = _encode_at_partners(extracts, out_dir / "partners", summary)
            reports = _load_uploads(settings, engine, uploads)
        else:
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
        "linkage mode (in every agreement)": linkage,
        **{f"agreement {k}": v for k, v in seeded.agreements.items()},
    }

    summary.stages["ingest" if linkage == "plaintext" else "ingest of encoded uploads"] = {
        "extracts": len(reports),
        "rows read": sum(r.rows_read for r in reports),
        "accepted": sum(r.rows_accepted for r in reports),
        "quarantined (with reasons)": sum(r.rows_quarantined for r in reports),
    }

    if linkage == "pprl":
        summary.stages["privacy-preserving linkage"] = _link_uploads(settings, uploads, extracts)
        return settings, summary
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


def pprl_agreements(out: Path) -> Path:
    """The example agreements, each saying ``linkage: pprl``, written to ``out``."""
    import yaml

    from sharewell.agreements import EXAMPLES_DIR

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw["linkage"] = "pprl"
        (out / path.name).write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return out


def _encode_at_partners(extracts: Path, partners: Path, summary: DemoSummary) -> list[Path]:
    """What each partner does on its own machine: encode its extracts with the secret."""
    from sharewell.privacy import read_secret
    from sharewell.privacy.encode import encode_partnership

    partners.mkdir(parents=True, exist_ok=True)
    # The partners' shared secret: kept with them, never in the hub's directory.
    secret_file = partners / "partnership.key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    key = read_secret(secret_file)
    # The fire-prevention agreement lets the visit list have a household pseudonym and an
    # age band in place of the address and date of birth (docs/privacy.md).
    reports = encode_partnership(
        extracts, key, partners / "uploads", pass_events=True, households=True
    )
    summary.stages["encoding at the partners"] = {
        "secret (partners only)": str(secret_file),
        "key fingerprint": key.fingerprint,
        "encoded files": len(reports),
        "records encoded": sum(r.records for r in reports),
        "hardening": ", ".join(reports[0].hardening) if reports else "-",
        "uploads": str(partners / "uploads"),
    }
    return [r.out for r in reports]


def _load_uploads(settings: Settings, engine: Any, uploads: list[Path]) -> list[Any]:
    """The hub loads each upload's records and events: no name, date of birth or address."""
    from sharewell.privacy.upload import load_upload

    with Workspace(settings.workspace_path()) as workspace:
        return [load_upload(workspace, engine, path, loaded_by="demo") for path in uploads]


def _reveal_to_crisis_team(
    settings: Settings, person_ids: list[str], out_dir: Path
) -> dict[str, Any]:
    """The hub's ids of the cohort's records go to their providers, who reveal the names.

    The mh-crisis-care agreement grants the crisis team police and ambulance records at
    the identifiable level. In PPRL mode the hub has no names to give, so it passes each
    provider the pseudonymous ids of its records of people in the cohort; the provider
    reveals just the granted fields, logs it, and the hub's audit log records it.
    """
    import json

    from sharewell.partnership import hub_engine
    from sharewell.privacy import load_schema
    from sharewell.privacy.reveal import reveal_file
    from sharewell.synth import SynthConfig
    from sharewell.views.linked_reads import linked_read

    extracts, partners = out_dir / "extracts", out_dir / "partners"
    manifest = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))
    fields = ["given_name", "family_name", "date_of_birth"]
    out: dict[str, Any] = {}
    engine = hub_engine(settings)
    try:
        for entry in manifest["extracts"]:
            if entry["source_type"] not in ("police.mh_incident", "ambulance.mh_callout"):
                continue
            partner = entry["partner"]
            # Which of the cohort's records to ask for: a governed read of the crisis team's.
            with Workspace(settings.workspace_path(), read_only=True) as ws:
                held = linked_read(
                    engine,
                    ws.conn,
                    username=CRISIS_TEAM,
                    purpose="mh_crisis_care",
                    source=entry["source_type"],
                    level="identifiable",
                    fields=fields,
                    as_of=SynthConfig().history_end,
                    person_ids=person_ids,
                    provider=partner,
                    record_ids=True,
                )
            prefix = f"{partner}:{entry['source_type']}:"
            mine = sorted({u for r in held.rows if (u := str(r["unique_id"])).startswith(prefix)})
            ids_file = partners / partner / "ids_from_hub.txt"
            ids_file.parent.mkdir(parents=True, exist_ok=True)
            ids_file.write_text("".join(f"{u}\n" for u in mine), encoding="utf-8")
            result = reveal_file(
                extracts / entry["file"],
                load_schema(extracts / entry["mapping"]),
                ids_file,
                fields,
                partners / partner / f"for_{CRISIS_TEAM.split('.')[0]}.csv",
                partner=partner,
                purpose="mh_crisis_care",
                recipient=CRISIS_TEAM.split(".")[0],
                log=partners / partner / "reveals.jsonl",
                audit=engine,
                agreement_id="mh-crisis-care",
            )
            out[f"{partner}: records revealed"] = len(result.rows)
    finally:
        engine.dispose()
    out["fields"] = ", ".join(fields)
    out["each reveal"] = "in the provider's reveal log and the hub's audit log (action reveal)"
    return out


# How many of the list's households the fire service asks the providers to reveal.
VISITS_TO_REVEAL = 10


def _reveal_to_fire_crew(settings: Settings, visits: Any, out_dir: Path) -> dict[str, Any]:
    """The addresses of the first households to visit, from the records' own providers.

    The hub names, for each of the first households on the list, the records carrying its
    household pseudonym in the sources the fire-prevention agreement grants identifiable
    (the GP and social care registers); each provider reveals just the address and postcode,
    logged on its side and audited at the hub. The fire service's own records it reads itself.
    """
    import json

    from sharewell.partnership import hub_engine
    from sharewell.privacy import load_schema
    from sharewell.privacy.encode import read_extract
    from sharewell.privacy.reveal import reveal_file, reveal_records
    from sharewell.synth import SynthConfig
    from sharewell.views.household_addresses import addresses_from, records_to_reveal

    extracts, partners = out_dir / "extracts", out_dir / "partners"
    fire = FIRE_CREW.split(".")[0]
    engine = hub_engine(settings)
    try:
        with Workspace(settings.workspace_path(), read_only=True) as ws:
            to_reveal = records_to_reveal(
                engine,
                ws.conn,
                username=FIRE_CREW,
                households=visits.households[:VISITS_TO_REVEAL],
                as_of=SynthConfig().history_end,
            )
        wanted = sorted({u for ids in to_reveal.values() for u in ids})
        manifest = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))
        fields = ["address", "postcode"]
        revealed: dict[str, dict[str, Any]] = {}
        out: dict[str, Any] = {"households asked for": len(to_reveal)}
        for entry in manifest["extracts"]:
            prefix = f"{entry['partner']}:{entry['source_type']}:"
            mine = [u for u in wanted if u.startswith(prefix)]
            if not mine:
                continue
            partner, schema = entry["partner"], load_schema(extracts / entry["mapping"])
            if partner == fire:  # its own records: no one else's data to reveal
                rows = read_extract(extracts / entry["file"], schema)
                result = reveal_records(rows, mine, fields, partner, entry["source_type"])
            else:
                ids_file = partners / partner / "ids_from_hub_for_fire.txt"
                ids_file.parent.mkdir(parents=True, exist_ok=True)
                ids_file.write_text("".join(f"{u}\n" for u in mine), encoding="utf-8")
                result = reveal_file(
                    extracts / entry["file"],
                    schema,
                    ids_file,
                    fields,
                    partners / partner / f"for_{fire}.csv",
                    partner=partner,
                    purpose="fire_prevention",
                    recipient=fire,
                    log=partners / partner / "reveals.jsonl",
                    audit=engine,
                    agreement_id="fire-prevention",
                )
                out[f"{partner}: addresses revealed"] = len(result.rows)
            revealed |= {str(r["unique_id"]): r for r in result.rows}
    finally:
        engine.dispose()
    addresses = addresses_from(to_reveal, revealed)
    out["households with an address"] = len(addresses)
    out["each reveal"] = "in the provider's reveal log and the hub's audit log (action reveal)"
    out["addresses"] = addresses
    return out


def _link_uploads(settings: Settings, uploads: list[Path], extracts: Path) -> dict[str, Any]:
    """The hub links the encodings into the person index the views read."""
    from sharewell.privacy import link_encodings, load_encodings, pairwise_accuracy
    from sharewell.privacy.link import read_truth, write_person_index

    records = load_encodings(uploads)
    result = link_encodings(records)
    with Workspace(settings.workspace_path()) as workspace:
        run_id = write_person_index(workspace.conn, result, records)
    accuracy = pairwise_accuracy(
        list(result.person_ids), read_truth(extracts / "truth" / "records.csv", result)
    )
    share = result.candidate_pairs / max(result.all_pairs, 1)
    return {
        "run": run_id,
        "records": result.records,
        "pairs compared": f"{result.candidate_pairs:,} ({100 * share:.2f}% of all)",
        "persons": result.persons,
        "Dice threshold": result.threshold,
        "seconds": f"{result.seconds:.1f}",
        "pairwise precision (against the truth file)": f"{accuracy['precision']:.4f}",
        "pairwise recall (against the truth file)": f"{accuracy['recall']:.4f}",
    }


def run_demo(
    out_dir: Path,
    *,
    people: int,
    seed: int,
    console: Console | None,
    linkage: Linkage = "plaintext",
) -> DemoSummary:
    """Run every stage on a synthetic partnership in ``out_dir``; print a summary if asked."""
    from sharewell.linkage.report import write_report
    from sharewell.partnership import hub_engine
    from sharewell.savings import run_savings_demo
    from sharewell.synth import SynthConfig
    from sharewell.views.crisis_care import crisis_cohort_for
    from sharewell.views.safe_and_well import safe_and_well_list

    settings, summary = build_linked_hub(
        out_dir, people=people, seed=seed, console=console, linkage=linkage
    )

    # The Splink report explains a Splink model; in PPRL mode the accuracy is in the summary.
    if linkage == "plaintext":
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
            savings = run_savings_demo(
                out_dir / "savings", workspace=ws.conn, engine=engine, username=EVALUATOR
            )
    finally:
        engine.dispose()
    top = visits.households[0] if visits.households else None
    # In PPRL mode the hub holds no address: the providers reveal it (sharewell pprl reveal).
    reveal = _reveal_to_fire_crew(settings, visits, out_dir) if linkage == "pprl" else None
    revealed = reveal.pop("addresses") if reveal else {}
    first = "-"
    if top is not None and top.address:
        first = f"{top.address}, {top.postcode}"
    elif top is not None:
        first = f"{revealed.get(top.household_id, 'address not revealed')} ({top.household_id})"
    summary.stages[f"Safe and Well list for {FIRE_CREW}"] = {
        "households ranked": len(visits.households),
        "first to visit": first,
        "because": top.risk.reasons if top else "-",
        "audit entries written": len(visits.audit_seqs),
    }
    summary.stages[f"crisis cohort for {CRISIS_TEAM}"] = {
        "people in repeated crisis": len(cohort.members),
        "seen by 2+ agencies": sum(len(m.agencies) > 1 for m in cohort.members),
        "audit entries written": len(cohort.audit_seqs),
    }
    if reveal is not None:
        summary.stages[f"addresses for {FIRE_CREW}, revealed by the providers"] = reveal
    if linkage == "pprl":
        summary.stages[f"names for {CRISIS_TEAM}, revealed by the providers"] = (
            _reveal_to_crisis_team(settings, [m.person_id for m in cohort.members], out_dir)
        )
    summary.stages["savings"] = savings

    if console is not None:
        from sharewell.cli import key_value_table

        for stage, figures in summary.stages.items():
            console.print(key_value_table(stage, figures))
        where = (
            f"  linkage report   {out_dir / 'linkage-report.html'}\n"
            if linkage == "plaintext"
            else f"  partners' side   {out_dir / 'partners'}  (secret and encoded uploads)\n"
        )
        console.print(
            f"\n[bold green]Demo complete.[/bold green] Look in {out_dir.resolve()}:\n"
            f"{where}"
            f"  savings report   {out_dir / 'savings'}\n"
            f"  the hub          {out_dir / 'hub'}  (try: sharewell --help)"
        )
    return summary
