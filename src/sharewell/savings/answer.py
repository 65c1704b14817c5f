"""The answer to "will it save MY organisation money?", in plain English and as plain data.

Cash comes first and apart: what the organisation pays and what it gets back in cash (its
**cash NPV**), then the **capacity** it frees (staff time, beds: worth money only if redeployed
or removed), then the NPV counting that capacity. The chance of coming out ahead comes from the
Monte Carlo, and the break-even value from the input that moves the organisation's NPV most.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sharewell.errors import NotFound
from sharewell.savings.engine import AgencyResult, Appraisal, appraise
from sharewell.savings.initiative import Initiative, find_initiative, load_initiative
from sharewell.savings.montecarlo import MonteCarlo, monte_carlo_by_partner
from sharewell.savings.sensitivity import BreakEven, Input, decisive_break_even, switching_value
from sharewell.savings.sharing import CostShare, proportional_shares
from sharewell.savings.unit_costs import UnitCostLibrary, load_library

if TYPE_CHECKING:
    from sharewell.partnership.model import Organisation

__all__ = [
    "Answer",
    "answer_for",
    "answers_for",
    "appraise_file",
    "describe_value",
    "measured_outcomes",
    "money",
    "plain_english",
]


def money(value: float) -> str:
    """Pounds to the nearest pound, with a minus sign for losses: £1,234 or -£56."""
    sign = "-" if value < -0.5 else ""
    return f"{sign}£{abs(value):,.0f}"


def _ratio(value: float | None) -> str:
    return "no cost" if value is None else f"{value:.2f}"


def describe_value(inp: Input, value: float) -> str:
    """An input's value as a reader says it: 16.3%, 1,250 a year, 1.15 times the central."""
    if inp.kind in ("unit_cost", "costs"):
        return f"{value:.0%} of the central estimate"
    if inp.kind != "events" and max(abs(inp.high), abs(inp.central)) <= 1:
        return f"{value:.1%}"
    return f"{value:,.0f}" + (" a year" if inp.kind == "events" else "")


def measured_outcomes(appraisal: Appraisal, org: str | None = None) -> tuple[str, ...]:
    """Outcomes whose events were measured from linked data (that move ``org``'s figures)."""
    measured = {o.name for o in appraisal.initiative.outcomes if o.measured}
    if org is None:
        return tuple(o.name for o in appraisal.initiative.outcomes if o.name in measured)
    return tuple(
        sorted({ln.label for ln in appraisal.lines if ln.partner == org and ln.label in measured})
    )


@dataclass(frozen=True)
class Answer:
    """What one organisation spends, gets back in cash, frees in capacity and gains."""

    initiative: str
    organisation: str
    organisation_name: str
    horizon_years: int
    price_year: str
    text: str
    result: AgencyResult
    largest_beneficiary: str
    share: CostShare
    """The cash-basis proportional split (or the statement that none is proposed)."""
    local_unit_costs: tuple[str, ...]
    measured: tuple[str, ...] = ()
    """Outcomes behind this organisation's figures that were measured from linked data."""
    uncertainty: str = ""
    """Sentences on the Monte Carlo range and break-even values (empty without a library)."""
    npv_p5: float | None = None
    npv_p95: float | None = None
    cash_npv_p5: float | None = None
    cash_npv_p95: float | None = None
    probability_ahead: float | None = None
    """Chance of coming out ahead counting capacity."""
    probability_cash_ahead: float | None = None
    """Chance of coming out ahead in cash."""
    break_even: BreakEven | None = None
    switching: dict[str, float | None] | None = None
    """Parameter -> value at which this organisation's NPV is zero (None: never in 0..max)."""
    draws: int = field(default=0)

    @property
    def pays_under_proposal(self) -> float | None:
        """What the organisation would pay under the cash-basis split (None: none proposed)."""
        row = self.share.row(self.organisation)
        return None if row is None else row.proposed


def _largest(appraisal: Appraisal) -> AgencyResult:
    return max(appraisal.agencies, key=lambda a: a.benefits_pv)


def _benefit_clause(a: AgencyResult, years: int) -> str:
    pays = f"pays {money(a.costs_pv)}" if a.costs_pv > 0.5 else "pays nothing"
    if a.cashable_pv < -0.5:
        back = f"its cash costs rise by a further {money(-a.cashable_pv)}"
    elif a.cashable_pv > 0.5:
        back = f"gets {money(a.cashable_pv)} back in cash"
    else:
        back = "gets no cash back"
    text = f"Over {years} years {a.name} {pays} and {back}: a cash NPV of {money(a.cash_npv)}"
    if a.costs_pv <= 0.5:
        return text + "."
    if a.cash_payback_year is not None:
        return text + f", paying back in cash in year {a.cash_payback_year}."
    return text + f", so in cash it does not pay back within {years} years."


def _capacity_clause(a: AgencyResult, years: int) -> str:
    if abs(a.capacity_pv) <= 0.5:
        return " It frees no capacity."
    if a.capacity_pv > 0:
        text = (
            f" It also frees capacity worth {money(a.capacity_pv)} (staff time and places, "
            "which save money only if redeployed or removed)"
        )
    else:
        text = f" Its capacity costs rise by {money(-a.capacity_pv)} (more staff time needed)"
    text += f"; counting that, its NPV is {money(a.npv)}"
    if a.costs_pv > 0.5:
        text += f" (benefit-cost ratio {_ratio(a.benefit_cost_ratio)})"
        if a.payback_year is not None and a.npv > 0:
            text += f", paying back in year {a.payback_year}"
    return text + "."


def plain_english(appraisal: Appraisal, org: str, share: CostShare | None = None) -> str:
    """A few sentences answering the question for ``org``: cash first, then capacity."""
    a = appraisal.agency(org)
    years = appraisal.initiative.horizon_years
    text = _benefit_clause(a, years) + _capacity_clause(a, years)
    top = _largest(appraisal)
    if top.benefits_pv > 0.5 and top.partner == org:
        text += " It receives more of the benefit than any other organisation"
        text += "." if a.npv > 0 else ", but not enough to cover what it pays."
    elif top.benefits_pv > 0.5:
        if top.non_cashable_pv <= 0.5:
            cash = "all of it cash"
        elif top.cashable_pv <= 0.5:
            cash = "all of it capacity, none cash"
        else:
            cash = f"{money(top.cashable_pv)} of it cash"
        text += f" Most of the benefit goes to {top.name} ({money(top.benefits_pv)}, {cash})."
    total = appraisal.total
    text += (
        f" Across all public bodies the initiative costs {money(total.costs_pv)} and returns "
        f"{money(total.cashable_pv)} in cash and {money(total.capacity_pv)} in capacity."
    )
    if share is not None:
        row = share.row(org)
        if not share.proposed:
            text += " No split of the cost leaves every partner ahead in cash, so none is proposed."
        elif row is not None and row.proposed is not None:
            net = row.net_proposed or 0.0
            where = (
                "even"
                if abs(net) < 0.5
                else f"{money(abs(net))} {'ahead' if net > 0 else 'behind'}"
            )
            if abs(row.proposed - row.pays_today) > 0.5:
                text += (
                    f" Sharing the cost in proportion to cash benefit, {a.name} would pay "
                    f"{money(row.proposed)} instead of {money(row.pays_today)}, leaving it "
                    f"{where} in cash."
                )
    measured = measured_outcomes(appraisal, org)
    if measured:
        text += f" Measured from the partnership's linked data: {', '.join(measured)}."
    text += f" (Present values, {appraisal.price_year} prices.)"
    return text


def appraise_file(
    initiative: str | Path,
    local_costs: Iterable[Path] = (),
    partnership: Iterable[Organisation] | None = None,
) -> tuple[Initiative, UnitCostLibrary, Appraisal]:
    """Load an initiative (a path or a template slug) and appraise it.

    ``partnership``: the organisations to take as partners (default: the demo partnership).
    """
    library = load_library(local_costs)
    ini = load_initiative(find_initiative(str(initiative)), library, partnership)
    return ini, library, appraise(ini, library)


def _uncertainty(appraisal: Appraisal, org: str, mc: MonteCarlo, be: BreakEven | None) -> str:
    name = appraisal.agency(org).name
    text = (
        f"Across {mc.draws:,} simulations of the uncertain inputs {name} comes out ahead in "
        f"cash in {mc.chance_ahead('cash'):.0%} of them and, counting capacity, in "
        f"{mc.chance_ahead('total'):.0%} (NPV counting capacity between "
        f"{money(mc.percentile(5))} and {money(mc.percentile(95))} in 90% of them)."
    )
    if be is not None and be.value is not None:
        inp = be.input
        word = "at least" if be.rising else "at most"
        text += (
            f" It breaks even counting capacity when {inp.name[0].lower() + inp.name[1:]} is "
            f"{word} {describe_value(inp, be.value)} (this appraisal uses "
            f"{describe_value(inp, inp.central)}, plausible range {describe_value(inp, inp.low)}"
            f" to {describe_value(inp, inp.high)})."
        )
    elif be is not None:
        text += (
            f" No value of {be.input.name[0].lower() + be.input.name[1:]}, the input that "
            "moves its NPV most, makes it break even."
        )
    return text


def _switching(ini: Initiative, library: UnitCostLibrary, org: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for pname, p in ini.parameters.items():
        top = max(p.value, p.high or p.value)
        hi = 1.0 if top <= 1 else 5 * top
        out[pname] = switching_value(ini, library, parameter=pname, partner=org, lo=0.0, hi=hi)
    return out


def answers_for(
    appraisal: Appraisal,
    library: UnitCostLibrary | None = None,
    draws: int = 5000,
    orgs: Iterable[str] | None = None,
    monte_carlo: dict[str | None, MonteCarlo] | None = None,
) -> dict[str, Answer]:
    """The answer for each partner (or those named), from one set of Monte Carlo draws.

    ``monte_carlo``: draws already made for this appraisal (``monte_carlo_by_partner``).
    """
    ini = appraisal.initiative
    wanted = list(ini.partners) if orgs is None else list(orgs)
    for org in wanted:
        if org not in ini.partners:
            known = ", ".join(ini.partners)
            raise NotFound(f"no partner {org!r} in {ini.slug} (partners: {known})")
    share = proportional_shares(appraisal, "cash")
    mcs = monte_carlo or {}
    if library is not None and not mcs:
        mcs = monte_carlo_by_partner(ini, library, draws=draws)
    out = {}
    for org in wanted:
        a = appraisal.agency(org)
        extra: dict[str, object] = {}
        if library is not None:
            mc = mcs[org]
            a_res = appraisal.agency(org)
            be = None
            if a_res.costs_pv > 0.5 or a_res.benefits_pv < -0.5:  # else it cannot lose
                be = decisive_break_even(ini, library, partner=org, basis="total")
            extra = {
                "uncertainty": _uncertainty(appraisal, org, mc, be),
                "npv_p5": mc.percentile(5),
                "npv_p95": mc.percentile(95),
                "cash_npv_p5": mc.percentile(5, "cash"),
                "cash_npv_p95": mc.percentile(95, "cash"),
                "probability_ahead": mc.chance_ahead("total"),
                "probability_cash_ahead": mc.chance_ahead("cash"),
                "break_even": be,
                "switching": _switching(ini, library, org),
                "draws": mc.draws,
            }
        out[org] = Answer(
            initiative=ini.slug,
            organisation=org,
            organisation_name=a.name,
            horizon_years=ini.horizon_years,
            price_year=appraisal.price_year,
            text=plain_english(appraisal, org, share),
            result=a,
            largest_beneficiary=_largest(appraisal).partner,
            share=share,
            local_unit_costs=tuple(sorted(appraisal.local_codes)),
            measured=measured_outcomes(appraisal, org),
            **extra,  # type: ignore[arg-type]
        )
    return out


def answer_for(
    appraisal: Appraisal, org: str, library: UnitCostLibrary | None = None, draws: int = 5000
) -> Answer:
    """The answer for one organisation; with ``library``, also its uncertainty."""
    return answers_for(appraisal, library, draws, orgs=[org])[org]
