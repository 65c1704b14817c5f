"""Front-line pages: the Safe and Well list, the crisis cohort and the flag lookup.

Each page calls the views, which read through the policy and write the audit log; the page
only renders what came back. The workspace is opened read-only for each request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.views.crisis_care import crisis_cohort_for
from sharewell.views.lookup import lookup
from sharewell.views.safe_and_well import safe_and_well_list
from sharewell.web.deps import CsrfChecked, HubEngine, HubSettings, page_permission
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import workspace_connection

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["frontline"])

Frontline = Annotated[Principal, Depends(page_permission("frontline"))]
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
        return {"visits": visits, "households": visits.households[:LIST_LENGTH]}

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
