"""Savings: will it save my organisation money? ``ask``, ``report``, ``unit-costs``, ``evidence``.

Each command answers per organisation, cash kept apart from freed capacity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    linked_hub,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    err_console,
    key_value_table,
)
from sharewell.cli.root import app
from sharewell.errors import NotFound

# --- savings ------------------------------------------------------------------------------

savings_app = typer.Typer(
    help="Will it save MY organisation money? Per-organisation cost-benefit of initiatives.",
    no_args_is_help=True,
)
app.add_typer(savings_app, name="savings")
LocalCostsOption = Annotated[
    list[Path] | None,
    typer.Option("--local-costs", help="CSV of local unit costs that override national ones."),
]
PartnershipHubOption = Annotated[
    Path | None,
    typer.Option(
        "--hub", help="Take the partners' names from this hub (default: the demo partnership)."
    ),
]


def _savings_partnership(hub: Path | None) -> Any:
    """The hub's organisations as the initiative's partners, or None for the demo partnership."""
    if hub is None:
        return None
    from sharewell.partnership import hub_engine, list_organisations

    return list_organisations(hub_engine(settings_for(hub))) or None


def _print_savings_table(t: Any, bold: tuple[str, ...] = ()) -> None:
    table = Table(title=t.caption, title_justify="left")
    for head, numeric in zip(t.head, t.numeric, strict=True):
        table.add_column(head, justify="right" if numeric else "left")
    for row in t.rows:
        table.add_row(*row, style="bold" if row[0] in bold else None)
    console.print(table)
    if t.note:
        console.print(t.note, style="dim", highlight=False)


@savings_app.command("ask")
def savings_ask(
    initiative: Annotated[str, typer.Argument(help="Initiative YAML file, or a template name.")],
    org: Annotated[str, typer.Option("--org", help="Partner slug, e.g. westshire_cc.")],
    local_costs: LocalCostsOption = None,
    hub: PartnershipHubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer, for one organisation, what an initiative costs it in cash and frees in capacity."""
    from sharewell.savings.answer import answer_for, appraise_file, money
    from sharewell.savings.scenarios import scenario_results
    from sharewell.savings.tables import agency_table

    ini, library, appraisal = appraise_file(
        initiative, local_costs or [], _savings_partnership(hub)
    )
    answer = answer_for(appraisal, org, library)
    scenarios = scenario_results(ini, library)
    if as_json:
        r = answer.result
        be = answer.break_even
        emit_json(
            {
                "initiative": answer.initiative,
                "organisation": answer.organisation,
                "answer": answer.text,
                "price_year": answer.price_year,
                "horizon_years": answer.horizon_years,
                "costs": r.costs_pv,
                "benefits": r.benefits_pv,
                "cashable": r.cashable_pv,
                "non_cashable": r.non_cashable_pv,
                "cash_npv": r.cash_npv,
                "capacity_value": r.capacity_pv,
                "npv": r.npv,
                "roi": r.roi,
                "benefit_cost_ratio": r.benefit_cost_ratio,
                "cash_payback_year": r.cash_payback_year,
                "payback_year": r.payback_year,
                "largest_beneficiary": answer.largest_beneficiary,
                "uncertainty": answer.uncertainty,
                "npv_p5": answer.npv_p5,
                "npv_p95": answer.npv_p95,
                "cash_npv_p5": answer.cash_npv_p5,
                "cash_npv_p95": answer.cash_npv_p95,
                "probability_ahead": answer.probability_ahead,
                "probability_cash_ahead": answer.probability_cash_ahead,
                "break_even": None
                if be is None
                else {"input": be.input.name, "value": be.value, "rising": be.rising},
                "switching_values": answer.switching,
                "cost_share": answer.share,
                "pays_under_proposal": answer.pays_under_proposal,
                "measured_from_linked_data": answer.measured,
                "scenarios": [
                    {
                        "scenario": s.key,
                        "description": s.description,
                        "cash_npv": s.appraisal.agency(org).cash_npv,
                        "npv": s.appraisal.agency(org).npv,
                    }
                    for s in scenarios
                ],
                "local_unit_costs": answer.local_unit_costs,
                "lines": [ln for ln in appraisal.lines if ln.partner == org],
            }
        )
        return
    console.print(answer.text, highlight=False)
    console.print(answer.uncertainty, highlight=False, style="dim")
    table = agency_table(appraisal, short=True)
    mine = next(
        row[0] for row, a in zip(table.rows, appraisal.agencies, strict=False) if a.partner == org
    )
    _print_savings_table(table, (mine, "All public bodies"))
    if len(scenarios) > 1:
        rows = Table(title=f"Scenarios for {answer.organisation_name}", title_justify="left")
        for head in ("Scenario", "Cash NPV", "NPV with capacity"):
            rows.add_column(head, justify="left" if head == "Scenario" else "right")
        for sc in scenarios:
            a = sc.appraisal.agency(org)
            rows.add_row(sc.description, money(a.cash_npv), money(a.npv))
        console.print(rows)
    if answer.local_unit_costs:
        console.print(f"Local unit costs used: {', '.join(answer.local_unit_costs)}")


@savings_app.command("report")
def savings_report(
    initiatives: Annotated[list[str], typer.Argument(help="Initiative files or template names.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the report and workbook.")],
    local_costs: LocalCostsOption = None,
    hub: PartnershipHubOption = None,
    draws: Annotated[int, typer.Option(min=100, help="Monte Carlo draws.")] = 5000,
    as_json: JsonOption = False,
) -> None:
    """Write the report (HTML and PDF, page 1 the answer) and an Excel workbook of every line."""
    from sharewell.savings.initiative import find_initiative, load_initiative
    from sharewell.savings.report import write_report
    from sharewell.savings.unit_costs import load_library

    library = load_library(local_costs or [])
    orgs = _savings_partnership(hub)
    pairs = [(load_initiative(find_initiative(i), library, orgs), library) for i in initiatives]
    with err_console.status("Appraising, simulating and drawing the report…"):
        files = write_report(pairs, out, draws=draws)
    if as_json:
        emit_json(files)
        return
    console.print(
        key_value_table(
            "Savings report",
            {"html": files.html, "pdf": files.pdf, "workbook": files.workbook},
        )
    )


@savings_app.command("unit-costs")
def savings_unit_costs(
    price_year: Annotated[
        str | None, typer.Option("--price-year", help="Uprate to this year, e.g. 2024/25.")
    ] = None,
    local_costs: LocalCostsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the unit cost library (national, and local overrides), optionally uprated."""
    from sharewell.savings.unit_costs import load_library

    library = load_library(local_costs or [])
    if price_year:
        library = library.uprated(price_year)
    costs = sorted(library.costs.values(), key=lambda c: c.code)
    if as_json:
        emit_json({"version": library.version, "unit_costs": costs})
        return
    table = Table(title=f"Unit cost library {library.version}", title_justify="left")
    for head in ("Code", "Item", "Cost £", "Price year", "Borne by", "Grade", "Origin", "Source"):
        table.add_column(head)
    for c in costs:
        payers = ", ".join(f"{p.payer} {p.amount:,.0f}" for p in c.parts)
        table.add_row(
            c.code,
            c.item,
            f"{c.total:,.2f}",
            c.price_year,
            payers,
            str(c.confidence_grade),
            c.origin,
            c.source,
        )
    console.print(table)
    console.print(f"Deflators: {library.deflators.source} {library.deflators.verification}")


@savings_app.command("evidence")
def savings_evidence(
    events: Annotated[
        Path | None,
        typer.Option(help="CSV/Parquet: person_id, agency, event_type, event_date."),
    ] = None,
    cohort: Annotated[Path | None, typer.Option(help="CSV/Parquet: person_id, index_date.")] = None,
    people: Annotated[
        Path | None,
        typer.Option(
            help="CSV/Parquet of who may be a comparison: person_id, and any of index_date, "
            "sex, date_of_birth."
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Who is asking, to measure from the hub's linked data (service_evaluation, "
            "aggregate_only; the policy decides and the read is audited).",
        ),
    ] = None,
    hub: HubOption = None,
    window_months: Annotated[int, typer.Option(min=1, help="Months before and after.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Measure an effect on events by difference-in-differences (files, or the hub's safe haven)."""
    import duckdb

    from sharewell.savings.evidence import measure_did

    applied: tuple[str, ...] = ()
    if events is None and cohort is None:
        # No files: the hub's linked events, read through the policy for this user.
        from sharewell.savings.initiative import find_initiative, load_initiative
        from sharewell.savings.linked_events import safe_haven_evidence

        if user is None:
            raise typer.BadParameter("give --user to measure from the hub's linked data")
        path = settings_for(hub).workspace_path()
        if not path.is_file():
            raise NotFound(f"no analytic workspace at {path}; run `sharewell init` and ingest")
        haven = load_initiative(find_initiative("safe_haven"))
        with linked_hub(hub) as (engine, conn):
            evidence, _ = safe_haven_evidence(
                engine, conn, haven, username=user, window_months=window_months
            )
        result, applied = evidence.result, evidence.applied
    elif events is None or cohort is None:
        raise typer.BadParameter("give both --events and --cohort, or neither (to use the hub)")
    else:
        con = duckdb.connect()
        files = {"events": events, "cohort": cohort, **({"people": people} if people else {})}
        for name, file in files.items():
            if not file.is_file():
                raise NotFound(f"{name} file {file} does not exist")
            reader = "read_parquet" if file.suffix == ".parquet" else "read_csv_auto"
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}(?)", [str(file)])
        result = measure_did(con, people="people" if people else None, window_months=window_months)
    if as_json:
        emit_json({"result": result, "safe_haven_outcomes_measured": applied})
        return
    _print_evidence(result, applied)


def _print_evidence(result: Any, applied: tuple[str, ...]) -> None:
    worst = max((abs(b.smd_after) for b in result.balance), default=0.0)
    on = ", ".join([*result.matched_on, "history per event type"])
    table = Table(
        title=(
            f"Matched difference-in-differences: {result.matched} of {result.cohort_size} "
            f"in the cohort matched ({result.followed} followed a full year), on {on}; "
            f"largest |SMD| after matching {worst:.2f}"
        ),
        title_justify="left",
    )
    heads = ("Event type", "Effect a person-month", "95% CI", "Corrected CI", "Pre-trend", "Grade")
    for head in (*heads, "Verdict"):
        table.add_column(head)
    for e in result.estimates.values():
        verdict = "no clear effect"
        if e.clear:
            verdict = "clear fall" if e.effect_per_person_month < 0 else "clear rise"
        table.add_row(
            e.event_type,
            f"{e.effect_per_person_month:+.4f}",
            f"{e.ci95_low:+.4f} to {e.ci95_high:+.4f}",
            f"{e.ci_low:+.4f} to {e.ci_high:+.4f}",
            "parallel" if e.pre_trend_ok else "differs or untested",
            str(e.confidence_grade),
            verdict,
        )
    console.print(table)
    if not result.clear:
        console.print("No clear effect on any outcome (intervals corrected for every outcome).")
    balance = Table(title="Balance (standardised mean differences)", title_justify="left")
    for head in ("Covariate", "Cohort", "Comparison", "SMD before", "SMD after"):
        balance.add_column(head, justify="left" if head == "Covariate" else "right")
    for b in result.balance:
        balance.add_row(
            b.covariate,
            f"{b.treated_mean:.3f}",
            f"{b.control_mean:.3f}",
            f"{b.smd_before:+.2f}",
            f"{b.smd_after:+.2f}",
        )
    console.print(balance)
    if applied:
        console.print(f"Safe haven outcomes now measured: {', '.join(applied)}")
