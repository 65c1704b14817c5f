"""Savings scenarios: pick an initiative and an organisation, see the answer.

The page is a GET form, so a scenario is a link people can share and it needs no JavaScript.
Only the shipped initiative templates can be chosen: a file path from a request is never read.
The partners are the hub's organisations (their names come from the partnership). The answer
box is the one page 1 of the savings report shows (``savings/_answer.html``): cash NPV apart
from capacity, chance ahead, break-even value, what it would pay. The charts are Vega-Lite
(drawn in the browser), each with a table of the same figures.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from sharewell.errors import NotFound
from sharewell.partnership import Organisation, list_organisations
from sharewell.savings import TEMPLATES, answer_for, appraise_file
from sharewell.savings.analysis import analyse, answer_boxes
from sharewell.savings.tables import agency_table, scenario_table, share_table
from sharewell.web.charts import cost_benefit_over_time, savings_by_organisation
from sharewell.web.deps import HubEngine, api_permission, page_permission
from sharewell.web.roles import Principal
from sharewell.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/savings", tags=["savings"])

Analyst = Annotated[Principal, Depends(page_permission("savings"))]
ApiAnalyst = Annotated[Principal, Depends(api_permission("savings"))]
InitiativeName = Literal["safe_haven", "safe_and_well", "street_triage", "information_sharing_hub"]

# Enough simulations for a stable 90% range on a page that answers in well under a second.
DRAWS = 1000


def _partnership(engine: HubEngine) -> list[Organisation] | None:
    """The hub's organisations (None: the hub has none yet, so the demo partnership)."""
    return list_organisations(engine) or None


def _initiative_names() -> list[tuple[str, str]]:
    return [(slug, appraise_file(slug)[0].name) for slug in TEMPLATES]


@pages.get("/savings")
def savings_scenario(
    request: Request,
    user: Analyst,
    engine: HubEngine,
    initiative: Annotated[str, Query(max_length=64)] = "",
    organisation: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The scenario form, and for a chosen initiative and organisation the answer and charts."""
    errors: dict[str, str] = {}
    context: dict[str, object] = {}
    partners: list[tuple[str, str]] = []
    chosen_org = organisation or user.organisation
    if initiative and initiative not in TEMPLATES:
        errors["initiative"] = "Select one of the initiatives listed"
    elif initiative:
        ini, library, appraisal = appraise_file(initiative, partnership=_partnership(engine))
        partners = [(slug, p.name) for slug, p in ini.partners.items()]
        if organisation and organisation not in ini.partners:
            errors["organisation"] = f"Select an organisation that is a partner in {ini.name}"
        elif chosen_org in ini.partners:
            analysis = analyse(ini, library, draws=DRAWS)
            boxes = {b.organisation: b for b in answer_boxes([analysis])}
            context = {
                "initiative_name": ini.name,
                "answer": analysis.answers[chosen_org],
                "box": boxes[chosen_org],
                "agency": agency_table(appraisal),
                "scenarios": scenario_table(analysis.scenarios),
                "share": share_table(analysis.share),
                "share_with_capacity": share_table(analysis.share_with_capacity),
                "charts": [
                    savings_by_organisation(appraisal),
                    cost_benefit_over_time(appraisal),
                ],
            }
    return render(
        request,
        "savings/scenario.html",
        user,
        status_code=422 if errors else 200,
        title="Savings scenarios",
        initiatives=_initiative_names(),
        initiative=initiative,
        organisation=chosen_org,
        partners=partners,
        errors=errors,
        **context,
    )


class SavingsAnswer(BaseModel):
    """What one organisation pays, gets back in cash, frees in capacity and gains."""

    initiative: str
    organisation: str
    answer: str
    uncertainty: str
    price_year: str
    horizon_years: int
    costs: float
    benefits: float
    cashable: float
    cash_npv: float
    capacity_value: float
    npv: float
    """Counting capacity."""
    benefit_cost_ratio: float | None
    cash_payback_year: int | None
    payback_year: int | None
    largest_beneficiary: str
    probability_ahead: float | None
    probability_cash_ahead: float | None
    pays_under_proposal: float | None
    """Under the cash-basis split; None when no split is proposed."""


class InitiativeBody(BaseModel):
    """An initiative that can be appraised, and its partners."""

    initiative: str
    name: str
    partners: list[str]


@api.get("", response_model=list[InitiativeBody])
def api_savings_initiatives(caller: ApiAnalyst, engine: HubEngine) -> list[InitiativeBody]:
    """The initiatives a scenario can be run for, and the organisations that are partners."""
    found = []
    for slug in TEMPLATES:
        ini = appraise_file(slug, partnership=_partnership(engine))[0]
        found.append(InitiativeBody(initiative=slug, name=ini.name, partners=list(ini.partners)))
    return found


@api.get("/{initiative}/{organisation}", response_model=SavingsAnswer)
def api_savings_ask(
    caller: ApiAnalyst, engine: HubEngine, initiative: InitiativeName, organisation: str
) -> SavingsAnswer:
    """Will ``initiative`` save ``organisation`` money? The plain-English answer and figures."""
    _, library, appraisal = appraise_file(initiative, partnership=_partnership(engine))
    if organisation not in appraisal.initiative.partners:
        known = ", ".join(appraisal.initiative.partners)
        raise NotFound(f"no partner {organisation!r} in {initiative} (partners: {known})")
    answer = answer_for(appraisal, organisation, library, draws=DRAWS)
    r = answer.result
    return SavingsAnswer(
        initiative=answer.initiative,
        organisation=answer.organisation,
        answer=answer.text,
        uncertainty=answer.uncertainty,
        price_year=answer.price_year,
        horizon_years=answer.horizon_years,
        costs=r.costs_pv,
        benefits=r.benefits_pv,
        cashable=r.cashable_pv,
        cash_npv=r.cash_npv,
        capacity_value=r.capacity_pv,
        npv=r.npv,
        benefit_cost_ratio=r.benefit_cost_ratio,
        cash_payback_year=r.cash_payback_year,
        payback_year=r.payback_year,
        largest_beneficiary=answer.largest_beneficiary,
        probability_ahead=answer.probability_ahead,
        probability_cash_ahead=answer.probability_cash_ahead,
        pays_under_proposal=answer.pays_under_proposal,
    )
