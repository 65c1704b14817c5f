"""The crisis cohort for the crisis care partners: people in repeated crisis across agencies,
a page at a time, each with the timeline the agreements let the team see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from sharewell.errors import AccessDenied
from sharewell.views.crisis_care import crisis_cohort_for
from sharewell.web.deps import ApiAsOf, HubEngine, HubSettings, api_permission
from sharewell.web.frontline import Frontline, dated_view
from sharewell.web.paging import page_of
from sharewell.web.refusals import refusal_page
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import snapshot_connection

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["frontline"])

ApiFrontline = Annotated[Principal, Depends(api_permission("frontline"))]
REFUSED = (
    "Your organisation's data sharing agreements do not let you see the crisis cohort: it is "
    "for the mental health crisis team named in the crisis care agreement, and brings together "
    "police, ambulance and mental health trust records that are not shared with you."
)


@pages.get("/crisis-cohort")
def crisis_cohort_page(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """People in repeated crisis across agencies, for the crisis care partners."""
    dated = dated_view(engine, settings, user, "crisis_cohort", request.query_params)
    context: dict[str, Any] = {"title": "Crisis cohort", "dated": dated}
    if dated.as_of.error or dated.as_of.value is None:
        return render(
            request,
            "frontline/crisis_cohort.html",
            user,
            status_code=422,
            errors=dated.errors,
            **context,
        )
    try:
        with snapshot_connection(settings) as conn:
            cohort = crisis_cohort_for(engine, conn, username=user.name, as_of=dated.as_of.value)
    except AccessDenied as exc:
        return refusal_page(request, engine, user, explanation=REFUSED, rule=str(exc))
    shown = page_of(cohort.members, page, path="/crisis-cohort", query={"as_of": dated.as_of.iso})
    return render(
        request, "frontline/crisis_cohort.html", user, cohort=cohort, page=shown, **context
    )


class CrisisEventBody(BaseModel):
    """One agency's record of one crisis event."""

    event_date: date
    agency: str
    kind: str
    description: str


class CohortMemberBody(BaseModel):
    """A person in repeated crisis, with the whole timeline the caller may see."""

    person_id: str
    name: str | None
    crisis_contacts: int
    agencies: list[str]
    first_contact: date
    last_contact: date
    referred_to_safe_haven: bool
    timeline: list[CrisisEventBody]


class CrisisCohortBody(BaseModel):
    """People with three or more crisis contacts in the 12 months to ``as_of``."""

    as_of: date
    withheld: list[str]
    members: list[CohortMemberBody]


@api.get("/crisis-cohort", response_model=CrisisCohortBody)
def api_crisis_cohort(
    caller: ApiFrontline,
    engine: HubEngine,
    settings: HubSettings,
    as_of: ApiAsOf = None,
) -> CrisisCohortBody:
    """The crisis cohort the mental health crisis care agreement allows the caller."""
    when = as_of or dated_view(engine, settings, caller, "crisis_cohort", {}).as_of.value
    when = when or date.today()
    with snapshot_connection(settings) as conn:
        cohort = crisis_cohort_for(engine, conn, username=caller.name, as_of=when)
    return CrisisCohortBody(
        as_of=when,
        withheld=list(cohort.withheld),
        members=[
            CohortMemberBody(
                person_id=m.person_id,
                name=cohort.names.get(m.person_id),
                crisis_contacts=m.crisis_contacts,
                agencies=list(m.agencies),
                first_contact=m.first_contact,
                last_contact=m.last_contact,
                referred_to_safe_haven=m.referred_to_safe_haven,
                timeline=[
                    CrisisEventBody(
                        event_date=e.event_date,
                        agency=e.agency,
                        kind=e.kind,
                        description=e.description,
                    )
                    for e in m.timeline
                ],
            )
            for m in cohort.members
        ],
    )
