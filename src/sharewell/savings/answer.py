"""The answer to "will it save MY organisation money?", in plain English and as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sharewell.errors import NotFound
from sharewell.savings.engine import AgencyResult, Appraisal, appraise
from sharewell.savings.initiative import Initiative, find_initiative, load_initiative
from sharewell.savings.sensitivity import monte_carlo, switching_value
from sharewell.savings.sharing import CostShare, proportional_shares
from sharewell.savings.unit_costs import UnitCostLibrary, load_library

__all__ = ["Answer", "answer_for", "appraise_file", "money", "plain_english"]


def money(value: float) -> str:
    """Pounds to the nearest pound, with a minus sign for losses: £1,234 or -£56."""
    sign = "-" if value < -0.5 else ""
    return f"{sign}£{abs(value):,.0f}"


@dataclass(frozen=True)
class Answer:
    """What one organisation spends, avoids and gains from one initiative."""

    initiative: str
    organisation: str
    organisation_name: str
    horizon_years: int
    price_year: str
    text: str
    result: AgencyResult
    largest_beneficiary: str
    share: CostShare
    local_unit_costs: tuple[str, ...]
    uncertainty: str = ""
    """A sentence on the Monte Carlo range and switching values (empty without a library)."""
    npv_p5: float | None = None
    npv_p95: float | None = None
    probability_ahead: float | None = None
    switching: dict[str, float | None] | None = None
    """Parameter -> value at which this organisation's NPV is zero (None: never in 0..max)."""


def _largest(appraisal: Appraisal) -> AgencyResult:
    return max(appraisal.agencies, key=lambda a: a.benefits_pv)


def plain_english(appraisal: Appraisal, org: str, share: CostShare | None = None) -> str:
    """Two or three sentences answering the question for ``org``."""
    a = appraisal.agency(org)
    years = appraisal.initiative.horizon_years
    spends = f"spends {money(a.costs_pv)}" if a.costs_pv > 0 else "spends nothing"
    text = (
        f"Over {years} years {a.name} {spends}, avoids {money(a.benefits_pv)} of its own costs "
        f"({money(a.cashable_pv)} cashable)"
    )
    if a.costs_pv <= 0:
        text += "."
    elif a.payback_year is not None:
        text += f"; it pays back in year {a.payback_year}."
    else:
        text += f"; it does not pay back within {years} years (net {money(a.npv)})."
    top = _largest(appraisal)
    if top.benefits_pv > 0 and top.partner == org:
        text += " It is the largest beneficiary."
    elif top.benefits_pv > 0:
        text += f" The largest beneficiary is {top.name} ({money(top.benefits_pv)} avoided)."
    total = appraisal.total
    text += (
        f" Across all public bodies the initiative costs {money(total.costs_pv)} and avoids "
        f"{money(total.benefits_pv)} (net {money(total.npv)})."
    )
    if share is not None:
        row = next((r for r in share.rows if r.partner == org), None)
        if row is not None and total.npv > 0 and abs(row.proposed - row.pays_today) > 0.5:
            text += (
                f" Sharing the cost in proportion to benefit, {a.name} would pay "
                f"{money(row.proposed)} instead of {money(row.pays_today)}, "
                f"leaving it {money(row.net_proposed)} ahead."
            )
    text += f" (Present values, {appraisal.price_year} prices.)"
    return text


def appraise_file(
    initiative: str | Path, local_costs: Iterable[Path] = ()
) -> tuple[Initiative, UnitCostLibrary, Appraisal]:
    """Load an initiative (a path or a template slug) and appraise it."""
    library = load_library(local_costs)
    path = find_initiative(str(initiative))
    ini = load_initiative(path, library)
    return ini, library, appraise(ini, library)


def _uncertainty(
    appraisal: Appraisal, org: str, library: UnitCostLibrary, draws: int
) -> tuple[str, float, float, float, dict[str, float | None]]:
    ini = appraisal.initiative
    mc = monte_carlo(ini, library, partner=org, draws=draws)
    p5, p95, ahead = mc.percentile(5), mc.percentile(95), mc.probability_positive
    name = appraisal.agency(org).name
    text = (
        f"Across {draws:,} simulations of the uncertain inputs, {name}'s net position lies "
        f"between {money(p5)} and {money(p95)} in 90% of them; it comes out ahead in "
        f"{ahead:.0%}."
    )
    switching: dict[str, float | None] = {}
    for pname, p in ini.parameters.items():
        top = max(p.value, p.high or p.value)
        hi = 1.0 if top <= 1 else 5 * top
        value = switching_value(ini, library, parameter=pname, partner=org, lo=0.0, hi=hi)
        switching[pname] = value
        if value is not None and 0 < value < hi:
            shown = f"{value:.1%}" if hi == 1.0 else f"{value:,.0f}"
            used = f"{p.value:.1%}" if hi == 1.0 else f"{p.value:,.0f}"
            rng = ""
            if p.low is not None and p.high is not None and p.low != p.high:
                lo_s = f"{p.low:.1%}" if hi == 1.0 else f"{p.low:,.0f}"
                hi_s = f"{p.high:.1%}" if hi == 1.0 else f"{p.high:,.0f}"
                rng = f", plausible range {lo_s} to {hi_s}"
            desc = p.description or pname
            desc = desc[0].lower() + desc[1:]
            central = appraisal.agency(org).npv
            # NPV is monotone in the parameter: the side the central value is on says which way.
            rising = (central > 0) == (p.value > value)
            text += (
                f" It comes out ahead only if the {desc} is {'at least' if rising else 'at most'} "
                f"{shown} (this appraisal uses {used}{rng})."
            )
    return text, p5, p95, ahead, switching


def answer_for(
    appraisal: Appraisal, org: str, library: UnitCostLibrary | None = None, draws: int = 5000
) -> Answer:
    """The answer for one organisation; with ``library``, also its uncertainty."""
    if org not in appraisal.initiative.partners:
        known = ", ".join(appraisal.initiative.partners)
        raise NotFound(f"no partner {org!r} in {appraisal.initiative.slug} (partners: {known})")
    share = proportional_shares(appraisal)
    a = appraisal.agency(org)
    extra: dict[str, object] = {}
    if library is not None:
        text, p5, p95, ahead, switching = _uncertainty(appraisal, org, library, draws)
        extra = {
            "uncertainty": text,
            "npv_p5": p5,
            "npv_p95": p95,
            "probability_ahead": ahead,
            "switching": switching,
        }
    return Answer(
        initiative=appraisal.initiative.slug,
        organisation=org,
        organisation_name=a.name,
        horizon_years=appraisal.initiative.horizon_years,
        price_year=appraisal.price_year,
        text=plain_english(appraisal, org, share),
        result=a,
        largest_beneficiary=_largest(appraisal).partner,
        share=share,
        local_unit_costs=tuple(sorted(appraisal.local_codes)),
        **extra,  # type: ignore[arg-type]
    )
