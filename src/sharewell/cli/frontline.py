"""Front-line views: the fire ``risk`` list, the ``crisis`` cohort, ``lookup``, ``flag-access``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sharewell.cli.options import (
    AsOfOption,
    HubOption,
    JsonOption,
    UserOption,
    linked_hub,
    parse_as_of,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    rows_table,
)
from sharewell.cli.root import app

# --- views --------------------------------------------------------------------------------

risk_app = typer.Typer(help="Fire risk: the Safe and Well visit list and its calibration.")
crisis_app = typer.Typer(help="Mental health crisis care: the cohort in repeated crisis.")
app.add_typer(risk_app, name="risk")
app.add_typer(crisis_app, name="crisis")


@risk_app.command("list")
def risk_list(
    user: UserOption,
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Households to show.")] = 20,
    export: Annotated[
        Path | None, typer.Option(help="Also write the whole list to a .csv or .xlsx file.")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="Risk weights file (default: the shipped weights).")
    ] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """The ranked Safe and Well visit list, with reasons, as the user's agreement allows."""
    from sharewell.views.export import export_visit_list
    from sharewell.views.fire_risk import load_weights
    from sharewell.views.safe_and_well import safe_and_well_list

    when = parse_as_of(as_of)
    with linked_hub(hub) as (engine, conn):
        visits = safe_and_well_list(
            engine, conn, username=user, as_of=when, weights=load_weights(weights)
        )
        written = export_visit_list(engine, visits, export, username=user) if export else None
    shown = visits.households[:limit]
    if as_json:
        emit_json(
            {
                "as_of": when,
                "weights_version": visits.weights_version,
                "households": [
                    {
                        "rank": i,
                        "address": h.address,
                        "postcode": h.postcode,
                        "uprn": h.uprn,
                        "people": list(h.names),
                        "score": h.risk.score,
                        "reasons": h.risk.reasons,
                        "household": h.household_id,
                    }
                    for i, h in enumerate(shown, start=1)
                ],
                "not_available": list(visits.withheld),
                "exported": written,
            }
        )
        return
    table = Table(title=f"Safe and Well visits, {when} (weights v{visits.weights_version})")
    for col in ("#", "address", "people", "score", "why"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(shown, start=1):
        table.add_row(
            str(i),
            # PPRL mode: no address at the hub; the providers reveal it for this pseudonym
            f"{h.address}, {h.postcode}" if h.address else h.household_id,
            "; ".join(h.names),
            f"{h.risk.score:.4f}",
            h.risk.reasons,
        )
    console.print(table)
    if visits.withheld:
        console.print("Not available to you under your agreements: " + ", ".join(visits.withheld))
    if written is not None:
        console.print(f"Exported {written} households to {export} (audited).")


@risk_app.command("calibrate")
def risk_calibrate(
    user: UserOption,
    cutoff: Annotated[str, typer.Option(help="Fit on the year before, test on the year after.")],
    out: Annotated[Path | None, typer.Option(help="Write the fitted weights (YAML) here.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit risk weights to past dwelling fires; report ranking quality against age-only."""
    import yaml

    from sharewell.views.safe_and_well import calibrate_from_history

    when = parse_as_of(cutoff)
    with linked_hub(hub) as (engine, conn):
        result = calibrate_from_history(engine, conn, username=user, cutoff=when)
    if out is not None:
        out.write_text(yaml.safe_dump(result.weights.model_dump(mode="json"), sort_keys=False))
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"Ranking quality on dwelling fires in the year after {when}")
    for col in ("targeting", "AUC (95% interval)", "fires in top 10% of households"):
        table.add_column(col)
    rankings = [("calibrated weights", result.model)]
    if result.starting is not None:
        rankings.append(("starting weights", result.starting))
    rankings.append(("age only", result.age_only))
    for name, q in rankings:
        interval = f" ({q.auc_interval[0]:.2f}-{q.auc_interval[1]:.2f})" if q.auc_interval else ""
        table.add_row(name, f"{q.auc:.3f}{interval}", f"{q.top_decile_capture:.1%} of {q.fires}")
    console.print(table)
    if out is not None:
        console.print(f"Fitted weights (version {result.weights.version}) written to {out}")


@crisis_app.command("cohort")
def crisis_cohort_command(
    user: UserOption,
    as_of: AsOfOption = None,
    window_days: Annotated[int, typer.Option(min=1, help="Look-back window in days.")] = 365,
    min_contacts: Annotated[int, typer.Option(min=1, help="Crisis contacts to qualify.")] = 3,
    summary: Annotated[
        bool, typer.Option("--summary", help="Only counts, small cells suppressed.")
    ] = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """People in repeated mental health crisis across agencies, with their timelines."""
    from sharewell.views.crisis_care import cohort_summary, crisis_cohort_for

    when = parse_as_of(as_of)
    with linked_hub(hub) as (engine, conn):
        cohort = crisis_cohort_for(
            engine,
            conn,
            username=user,
            as_of=when,
            window_days=window_days,
            min_contacts=min_contacts,
        )
    if summary:
        cells = cohort_summary(cohort)
        if as_json:
            emit_json(cells)
        else:
            console.print(
                rows_table(
                    "Crisis cohort (cells under 10 suppressed)",
                    ["agencies involved", "referred to safe haven", "people"],
                    [
                        [
                            c["agencies_involved"],
                            c["referred_to_safe_haven"],
                            "<10" if c["suppressed"] else c["count"],
                        ]
                        for c in cells
                    ],
                )
            )
        return
    if as_json:
        emit_json({"as_of": when, "members": cohort.members, "names": cohort.names})
        return
    table = Table(title=f"People in repeated crisis, {window_days} days to {when}")
    for col in ("person", "contacts", "agencies", "last contact", "safe haven"):
        table.add_column(col)
    for m in cohort.members:
        table.add_row(
            cohort.names.get(m.person_id, m.person_id),
            str(m.crisis_contacts),
            ", ".join(m.agencies),
            str(m.last_contact),
            "yes" if m.referred_to_safe_haven else "",
        )
    console.print(table)


@app.command("lookup")
def lookup_command(
    user: UserOption,
    purpose: Annotated[str, typer.Option(help="Why you are looking, e.g. mh_crisis_care.")],
    given_name: Annotated[str | None, typer.Option(help="Given name.")] = None,
    family_name: Annotated[str | None, typer.Option(help="Family name.")] = None,
    dob: Annotated[str | None, typer.Option(help="Date of birth, e.g. 03/04/1950.")] = None,
    postcode: Annotated[str | None, typer.Option(help="Postcode.")] = None,
    nhs_number: Annotated[str | None, typer.Option(help="NHS number.")] = None,
    as_of: AsOfOption = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Point-of-contact flag lookup: identify one person safely and show granted flags only."""
    from sharewell.views.lookup import WorkspaceCandidates, lookup

    details = {
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": dob,
        "postcode": postcode,
        "nhs_number": nhs_number,
    }
    with linked_hub(hub) as (engine, conn):
        # one question, then exit: read candidates from the workspace, build no index
        result = lookup(
            engine,
            conn,
            username=user,
            purpose=purpose,
            details=details,
            as_of=parse_as_of(as_of),
            index=WorkspaceCandidates(conn),
        )
    if as_json:
        emit_json(result)
        return
    for field_name, problem in result.problems.items():
        console.print(f"[yellow]{field_name}[/yellow]: {problem} (ignored)")
    ident = result.identification
    if not ident.identified:
        console.print(ident.reason)
        return
    console.print(f"Identified on {', '.join(ident.matched_on)}.")
    if not result.flags:
        console.print("No flags to show.")
    for flag in result.flags:
        console.print(f"[bold]{flag.label}[/bold] — held by {flag.owner}")


@app.command("flag-access")
def flag_access_command(
    owner: Annotated[str, typer.Option(help="The organisation whose flags were looked at.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who looked at an organisation's flags, when and why (as CP-IS tells social care)."""
    from sharewell.partnership import hub_engine
    from sharewell.views.lookup import flag_access_report

    engine = hub_engine(settings_for(hub))
    try:
        report = flag_access_report(engine, owner)
    finally:
        engine.dispose()
    if as_json:
        emit_json(report)
        return
    console.print(
        rows_table(
            f"Lookups of {owner}'s flags",
            ["when", "who", "organisation", "purpose", "agreement", "person"],
            [
                [
                    r["when"],
                    r["who"],
                    r["organisation"],
                    r["purpose"],
                    r["agreement"],
                    ", ".join(r["persons"]),
                ]
                for r in report
            ],
        )
    )
