"""The answer to "will it save MY organisation money?", in plain English and as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sharewell.errors import NotFound
from sharewell.savings.engine import AgencyResult, Appraisal, appraise
from sharewell.savings.initiative import Initiative, find_initiative, load_initiative
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


def answer_for(appraisal: Appraisal, org: str) -> Answer:
    """The answer for one organisation of the partnership."""
    if org not in appraisal.initiative.partners:
        known = ", ".join(appraisal.initiative.partners)
        raise NotFound(f"no partner {org!r} in {appraisal.initiative.slug} (partners: {known})")
    share = proportional_shares(appraisal)
    a = appraisal.agency(org)
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
    )
