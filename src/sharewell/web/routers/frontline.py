"""Front-line pages: the Safe and Well list, the crisis cohort and the flag lookup.

Each page calls the views, which read through the policy and write the audit log; the page
only renders what came back. The workspace is opened read-only for each request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.views.crisis_care import crisis_cohort_for
from sharewell.views.lookup import lookup
from sharewell.views.safe_and_well import safe_and_well_list
from sharewell.web.charts import risk_distribution
from sharewell.web.deps import (
    CsrfChecked,
    HubEngine,
    HubSettings,
    api_permission,
    page_permission,
)
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import workspace_connection

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["frontline"])

Frontline = Annotated[Principal, Depends(page_permission("frontline"))]
ApiFrontline = Annotated[Principal, Depends(api_permission("frontline"))]
# How many households a page shows; crews export the whole list from the CLI.
LIST_LENGTH = 50
PURPOSES = ("mh_crisis_care", "fire_prevention", "safeguarding")


def _as_of(text: str) -> tuple[date, str | None]:
    if not text:
        return date.today(), None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return date.today(), "Enter a real date, for example 2024-12-31"


def _dated_view(
    request: Request,
    user: Principal,
    settings: Settings,
    template: str,
    as_of: str,
    build: Callable[[duckdb.DuckDBPyConnection, date], dict[str, Any]],
) -> Response:
    """A view drawn up for a date: the date checked, then the view built and rendered."""
    when, error = _as_of(as_of)
    if error:
        return render(request, template, user, as_of=as_of, error=error, status_code=422)
    with workspace_connection(settings) as conn:
        context = build(conn, when)
    return render(request, template, user, as_of=when.isoformat(), error=None, **context)


@pages.get("/safe-and-well")
def safe_and_well_page(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The ranked visit list for the signed-in crew member, with reasons."""

    def build(conn: duckdb.DuckDBPyConnection, when: date) -> dict[str, Any]:
        visits = safe_and_well_list(engine, conn, username=user.name, as_of=when)
        return {
            "visits": visits,
            "households": visits.households[:LIST_LENGTH],
            "risk_chart": risk_distribution(h.risk.score for h in visits.households),
        }

    return _dated_view(request, user, settings, "frontline/safe_and_well.html", as_of, build)


@pages.get("/crisis-cohort")
def crisis_cohort_page(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """People in repeated crisis across agencies, for the crisis care partners."""

    def build(conn: duckdb.DuckDBPyConnection, when: date) -> dict[str, Any]:
        return {"cohort": crisis_cohort_for(engine, conn, username=user.name, as_of=when)}

    return _dated_view(request, user, settings, "frontline/crisis_cohort.html", as_of, build)


def _lookup_page(
    request: Request,
    user: Principal,
    *,
    details: dict[str, str | None] | None = None,
    purpose: str = "",
    as_of: str = "",
    result: object = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "frontline/lookup.html",
        user,
        purposes=PURPOSES,
        result=result,
        details=details or {},
        purpose=purpose,
        as_of=as_of,
        error=error,
        status_code=status_code,
    )


@pages.get("/lookup")
def lookup_form(request: Request, user: Frontline) -> Response:
    """The lookup form (a POST, so personal details never appear in an address or a log)."""
    return _lookup_page(request, user)


@pages.post("/lookup", dependencies=[CsrfChecked])
def lookup_submit(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    purpose: Annotated[str, Form(max_length=32)] = "",
    given_name: Annotated[str, Form(max_length=100)] = "",
    family_name: Annotated[str, Form(max_length=100)] = "",
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
    postcode: Annotated[str, Form(max_length=10)] = "",
    nhs_number: Annotated[str, Form(max_length=14)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Identify one person safely and show only the flags the agreement grants."""
    details: dict[str, str | None] = {
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": date_of_birth,
        "postcode": postcode,
        "nhs_number": nhs_number,
    }

    def page(**outcome: Any) -> Response:
        return _lookup_page(request, user, details=details, purpose=purpose, as_of=as_of, **outcome)

    when, error = _as_of(as_of)
    if purpose not in PURPOSES or error:
        message = error or "Select why you are looking"
        return page(error=message, status_code=422)
    with workspace_connection(settings) as conn:
        try:
            result = lookup(
                engine, conn, username=user.name, purpose=purpose, details=details, as_of=when
            )
        except AccessDenied as exc:
            return page(error=str(exc), status_code=403)
    return page(result=result)


# --- API ------------------------------------------------------------------------------------


class HouseholdBody(BaseModel):
    """One household of the visit list, with its score and the reasons in words."""

    rank: int
    household_id: str
    address: str | None
    postcode: str | None
    uprn: str | None
    names: list[str]
    score: float
    reasons: str


class SafeAndWellBody(BaseModel):
    """The caller's Safe and Well visit list: households ranked by risk of a dwelling fire."""

    as_of: date
    weights_version: int
    households_total: int
    withheld: list[str]
    households: list[HouseholdBody]


AsOf = Annotated[date | None, Query(description="Draw the view up as on this date (default today)")]


@api.get("/safe-and-well", response_model=SafeAndWellBody)
def api_safe_and_well(
    caller: ApiFrontline,
    engine: HubEngine,
    settings: HubSettings,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = LIST_LENGTH,
) -> SafeAndWellBody:
    """The ranked visit list the fire prevention agreement allows the caller, with reasons."""
    when = as_of or date.today()
    with workspace_connection(settings) as conn:
        visits = safe_and_well_list(engine, conn, username=caller.name, as_of=when)
    return SafeAndWellBody(
        as_of=visits.as_of,
        weights_version=visits.weights_version,
        households_total=len(visits.households),
        withheld=list(visits.withheld),
        households=[
            HouseholdBody(
                rank=rank,
                household_id=h.household_id,
                address=h.address,
                postcode=h.postcode,
                uprn=h.uprn,
                names=list(h.names),
                score=h.risk.score,
                reasons=h.risk.reasons,
            )
            for rank, h in enumerate(visits.households[:limit], 1)
        ],
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
    caller: ApiFrontline, engine: HubEngine, settings: HubSettings, as_of: AsOf = None
) -> CrisisCohortBody:
    """The crisis cohort the mental health crisis care agreement allows the caller."""
    when = as_of or date.today()
    with workspace_connection(settings) as conn:
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


class LookupRequest(BaseModel):
    """Who is in front of the worker, and why they are looking."""

    purpose: Literal["mh_crisis_care", "fire_prevention", "safeguarding"]
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    date_of_birth: str | None = Field(default=None, max_length=20, examples=["1950-02-03"])
    postcode: str | None = Field(default=None, max_length=10)
    nhs_number: str | None = Field(default=None, max_length=14)
    as_of: date | None = None


class FlagBody(BaseModel):
    """A flag the agreement lets the worker see: what, whose, and whom to contact."""

    name: str
    label: str
    owner: str
    contact: str | None


class LookupBody(BaseModel):
    """Whether one person was identified (never a guess), and the flags granted."""

    identified: bool
    reason: str
    matched_on: list[str]
    flags: list[FlagBody]
    problems: dict[str, str]


@api.post("/lookup", response_model=LookupBody)
def api_lookup(
    caller: ApiFrontline, engine: HubEngine, settings: HubSettings, body: LookupRequest
) -> LookupBody:
    """Point-of-contact flag lookup; audited, and the flag's owner can see who looked."""
    details: dict[str, str | None] = {
        field: getattr(body, field)
        for field in ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
    }
    with workspace_connection(settings) as conn:
        result = lookup(
            engine,
            conn,
            username=caller.name,
            purpose=body.purpose,
            details=details,
            as_of=body.as_of or date.today(),
        )
    ident = result.identification
    return LookupBody(
        identified=ident.identified,
        reason=ident.reason,
        matched_on=list(ident.matched_on),
        flags=[
            FlagBody(name=f.name, label=f.label, owner=f.owner, contact=f.contact)
            for f in result.flags
        ],
        problems=dict(result.problems),
    )
