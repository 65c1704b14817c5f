"""The tables people read, as plain data: the CLI, the web page, the report and the workbook show
the same rows, so they cannot disagree. Cash and capacity are separate columns in every one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sharewell.savings.answer import money
from sharewell.savings.engine import AgencyResult, Appraisal
from sharewell.savings.initiative import Initiative
from sharewell.savings.names import place_of, short_name
from sharewell.savings.scenarios import ScenarioResult
from sharewell.savings.sharing import BASIS_WORDS, CostShare
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = [
    "AGENCY_HEAD",
    "LINE_HEAD",
    "Table",
    "agency_rows",
    "agency_table",
    "inputs_table",
    "library_note",
    "lines_table",
    "scenario_table",
    "share_table",
    "unit_cost_table",
]


@dataclass(frozen=True)
class Table:
    """A caption, column heads, rows of text, and which columns hold numbers."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    note: str = ""


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _year(y: int | None) -> str:
    return "never" if y is None else str(y)


def _bcr(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


AGENCY_HEAD = (
    "Organisation",
    "Cost",
    "Cash back",
    "Cash NPV",
    "Cash payback year",
    "Capacity value",
    "NPV with capacity",
    "BCR",
    "Payback year with capacity",
)
"""BCR: benefit-cost ratio, counting capacity."""


def _agency_row(a: AgencyResult, name: str = "") -> tuple[str, ...]:
    return (
        name or a.name,
        money(a.costs_pv),
        money(a.cashable_pv),
        money(a.cash_npv),
        _year(a.cash_payback_year) if a.costs_pv > 0.5 else "-",
        money(a.capacity_pv),
        money(a.npv),
        _bcr(a.benefit_cost_ratio),
        _year(a.payback_year) if a.costs_pv > 0.5 else "-",
    )


def agency_rows(ap: Appraisal) -> list[list[str]]:
    """One row of figures per organisation, then all public bodies."""
    return [list(_agency_row(a)) for a in [*ap.agencies, ap.total]]


def agency_table(ap: Appraisal, short: bool = False) -> Table:
    """Every organisation's cost, cash back, cash NPV, capacity and NPV with capacity.

    ``short``: organisation names without the place (for a terminal).
    """
    place = place_of([p.name for p in ap.initiative.partners.values()]) if short else ""
    return Table(
        f"{ap.initiative.name}: present values, {ap.price_year} prices, "
        f"{ap.initiative.horizon_years} years",
        AGENCY_HEAD,
        tuple(
            _agency_row(a, short_name(a.name, place) if short else "")
            for a in [*ap.agencies, ap.total]
        ),
        (False, *[True] * (len(AGENCY_HEAD) - 1)),
    )


def share_table(share: CostShare) -> Table:
    """Today's funding beside the proposed split (or the statement that none is proposed)."""
    basis = BASIS_WORDS[share.basis]
    head = (
        "Partner",
        f"Benefit ({basis})",
        "Pays today",
        "Net today",
        "Proposed contribution",
        "Net under proposal",
    )
    rows = tuple(
        (
            r.name,
            money(r.benefit),
            money(r.pays_today),
            money(r.net_today),
            "none proposed" if r.proposed is None else money(r.proposed),
            "-" if r.net_proposed is None else money(r.net_proposed),
        )
        for r in share.rows
    )
    caption = f"Sharing the cost, {share.method}, counting {basis}"
    return Table(caption, head, rows, (False, True, True, True, True, True), share.note)


def scenario_table(results: Sequence[ScenarioResult]) -> Table:
    """Each organisation's cash NPV and NPV with capacity in every scenario, side by side."""
    central = results[0].appraisal
    head = ["Organisation"]
    for r in results:
        head += [f"{r.description}: cash NPV", f"{r.description}: NPV with capacity"]
    rows = []
    for a in [*central.agencies, central.total]:
        row = [a.name]
        for r in results:
            other = r.appraisal.total if a.partner == "total" else _agency(r.appraisal, a.partner)
            row += [money(other.cash_npv), money(other.npv)]
        rows.append(tuple(row))
    sources = "; ".join(f"{r.description}: {r.source}" for r in results if r.source)
    return Table(
        "Named scenarios side by side (present values)",
        tuple(head),
        tuple(rows),
        (False, *[True] * (len(head) - 1)),
        f"Sources: {sources}." if sources else "",
    )


def _agency(ap: Appraisal, slug: str) -> AgencyResult:
    try:
        return ap.agency(slug)
    except KeyError:
        return AgencyResult(slug, slug, "", False, 0.0, 0.0, 0.0, (), (), ())


def inputs_table(initiative: Initiative) -> Table:
    """Every parameter and outcome with its central value, range and source."""
    rows = []
    for name, p in initiative.parameters.items():
        rng = "-" if p.low is None or p.high is None else f"{p.low:g} to {p.high:g}"
        rows.append((p.description or name, f"{p.value:g}", rng, p.source or "-"))
    for o in initiative.outcomes:
        central = o.central_events()
        shown = (
            ", ".join(f"{v:g}" for v in central) if isinstance(central, list) else f"{central:,.4g}"
        )
        if o.cohort is not None:
            c = o.cohort
            shown += (
                f" (cohort: {c.people} people x {c.engagement:.0%} engaged x {c.success:.1%} "
                f"success x {c.events_per_success:g})"
            )
        if o.times:
            shown += f" x {' x '.join(o.times)}"
        events_range = o.events_range()
        where = o.source or "-"
        if o.measured and o.evidence is not None:
            e = o.evidence
            verdict = "clear" if e.clear else "no clear effect, none counted"
            where = (
                f"measured from linked data ({e.source or 'difference-in-differences'}): "
                f"{e.effect_per_person_month:+.4f} a person-month, corrected interval "
                f"{e.ci_low:+.4f} to {e.ci_high:+.4f}, {verdict}"
            )
        extras = []
        if o.attribution is not None:
            extras.append(f"attribution {o.attribution:.0%}")
        if o.cashable_by_year:
            extras.append("cashable by year " + ", ".join(f"{v:.0%}" for v in o.cashable_by_year))
        label = o.name + (f" ({'; '.join(extras)})" if extras else "")
        rows.append(
            (
                label,
                shown,
                "-"
                if events_range is None
                else f"{events_range[0]:,.4g} to {events_range[1]:,.4g}",
                f"grade {o.grade}; {where}",
            )
        )
    return Table(
        "Inputs: central values, ranges and sources",
        ("Input", "Central value", "Range", "Source"),
        tuple(rows),
        (False, True, True, False),
    )


def unit_cost_table(ap: Appraisal) -> Table:
    """The unit costs an appraisal used, with who bears them, their grade and source."""
    rows = []
    for c in ap.unit_costs_used:
        payers = "; ".join(
            f"{p.payer} {money(p.amount)} ({p.value_type}, {p.cashable_share:.0%} cashable)"
            for p in c.parts
        )
        rows.append(
            (
                c.code,
                c.item,
                money(c.total),
                payers,
                str(c.confidence_grade),
                c.origin,
                f"{c.source} {c.source_url}".strip(),
                c.verified or "-",
            )
        )
    return Table(
        "Unit costs used",
        (
            "Code",
            "Item",
            f"Cost ({ap.price_year})",
            "Borne by",
            "Grade",
            "National or local",
            "Source",
            "Checked against source",
        ),
        tuple(rows),
        (False, False, True, False, True, False, False, False),
    )


LINE_HEAD = (
    "Year",
    "Organisation",
    "Kind",
    "Item",
    "Unit cost",
    "Type",
    "Events",
    "Unit £",
    "Deadweight",
    "Attribution",
    "Optimism bias",
    "Drop-off factor",
    "Cashable",
    "Amount £",
    "Discount factor",
    "Present value £",
)


def lines_table(ap: Appraisal) -> Table:
    """Every line the totals are added up from."""
    rows = tuple(
        (
            str(ln.year),
            ln.partner,
            ln.kind,
            ln.label,
            ln.code,
            ln.value_type,
            f"{ln.events:g}",
            f"{ln.unit_amount:,.2f}",
            _pct(ln.deadweight),
            _pct(ln.attribution),
            _pct(ln.optimism_bias),
            f"{ln.drop_off_factor:.3f}",
            _pct(ln.cashable_share),
            f"{ln.amount:,.2f}",
            f"{ln.discount_factor:.4f}",
            f"{ln.present_value:,.2f}",
        )
        for ln in ap.lines
    )
    return Table(
        "Every line of the calculation",
        LINE_HEAD,
        rows,
        (True, False, False, False, False, False, *[True] * 10),
    )


def library_note(library: UnitCostLibrary) -> str:
    """Where the uprating index came from, and how far it was checked."""
    return f"Unit costs uprated with {library.deflators.source} {library.deflators.verification}"
