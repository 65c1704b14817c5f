"""The Safe and Well visit list for fire crews: the list a page at a time, each household's
page (who lives there, why it is on the list, its visits), a printable visit sheet, and an
export for crew planning (CSV or Excel, audited).

Everything is read through the views, which decide and audit each read; a household's page
is addressed by a digest of its key, so no address or person id appears in a URL.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine

from sharewell.config import Settings
from sharewell.errors import AccessDenied, NotFound
from sharewell.views.export import export_visit_list
from sharewell.views.fire_risk import load_weights
from sharewell.views.safe_and_well import (
    Household,
    SafeAndWellList,
    household_visits,
    safe_and_well_list,
)
from sharewell.web.charts import risk_distribution
from sharewell.web.deps import ApiAsOf, HubEngine, HubSettings, api_permission
from sharewell.web.frontline import DatedView, Frontline, dated_view
from sharewell.web.paging import page_of
from sharewell.web.refusals import refusal_page
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import snapshot_connection

__all__ = ["api", "household_ref", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["frontline"])

ApiFrontline = Annotated[Principal, Depends(api_permission("frontline"))]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
REFUSED = (
    "Your organisation's data sharing agreements do not let you see the Safe and Well visit "
    "list: it is made from the registers of who lives where, shared with the fire service for "
    "fire prevention, and no agreement shares them with you."
)
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def household_ref(household_id: str) -> str:
    """The household's address in the app: a digest of its key (no address in the URL)."""
    return hashlib.sha256(household_id.encode("utf-8")).hexdigest()[:16]


def _list(
    request: Request, engine: Engine, settings: Settings, user: Principal
) -> tuple[DatedView, SafeAndWellList] | Response:
    """The date asked for and the list for it, or the page to show instead (error, refusal)."""
    dated = dated_view(engine, settings, user, "safe_and_well", request.query_params)
    if dated.as_of.error or dated.as_of.value is None:
        page = render(
            request,
            "frontline/safe_and_well.html",
            user,
            status_code=422,
            title="Safe and Well visit list",
            dated=dated,
            errors=dated.errors,
        )
        return page
    try:
        with snapshot_connection(settings) as conn:
            visits = safe_and_well_list(engine, conn, username=user.name, as_of=dated.as_of.value)
    except AccessDenied as exc:
        return refusal_page(request, engine, user, explanation=REFUSED, rule=str(exc))
    return dated, visits


def _paged(
    request: Request,
    engine: Engine,
    settings: Settings,
    user: Principal,
    number: int,
    *,
    sheet: bool = False,
) -> Response:
    """One page of the list: on screen, or as a printable visit sheet."""
    found = _list(request, engine, settings, user)
    if isinstance(found, Response):
        return found
    dated, visits = found
    path = "/safe-and-well/sheet" if sheet else "/safe-and-well"
    shown = page_of(visits.households, number, path=path, query={"as_of": dated.as_of.iso})
    extra: dict[str, Any] = {
        "refs": {h.household_id: household_ref(h.household_id) for h in shown.items},
        "risk_chart": risk_distribution(h.risk.score for h in visits.households),
    }
    if sheet:
        back = f"/safe-and-well?as_of={dated.as_of.iso}&page={shown.number}"
        extra = {"back_link": (back, "Back to the list")}
    return render(
        request,
        "frontline/visit_sheet.html" if sheet else "frontline/safe_and_well.html",
        user,
        title="Safe and Well visit sheet" if sheet else "Safe and Well visit list",
        dated=dated,
        visits=visits,
        page=shown,
        **extra,
    )


@pages.get("/safe-and-well")
def safe_and_well_page(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    page: PageNumber = 1,
) -> Response:
    """The ranked visit list for the signed-in crew member, a page at a time, with reasons."""
    return _paged(request, engine, settings, user, page)


@pages.get("/safe-and-well/export.{fmt}")
def safe_and_well_export(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    fmt: Literal["csv", "xlsx"],
) -> Response:
    """The whole list as CSV or Excel for crew planning: formula-safe, and audited as an export."""
    found = _list(request, engine, settings, user)
    if isinstance(found, Response):
        return found
    _, visits = found
    name = f"safe-and-well-{visits.as_of.isoformat()}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="export-", dir=settings.hub_dir) as tmp:
        path = Path(tmp) / name
        export_visit_list(engine, visits, path, username=user.name)
        content = path.read_bytes()
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _find(visits: SafeAndWellList, ref: str) -> tuple[int, Household]:
    for rank, household in enumerate(visits.households, 1):
        if household_ref(household.household_id) == ref:
            return rank, household
    raise NotFound(
        "that household is not on your Safe and Well list for this date; go back to the list"
    )


@pages.get("/safe-and-well/households/{ref}")
def household_page(
    request: Request, user: Frontline, engine: HubEngine, settings: HubSettings, ref: str
) -> Response:
    """One household: who lives there, why it is on the list (and whose data says so), visits."""
    found = _list(request, engine, settings, user)
    if isinstance(found, Response):
        return found
    dated, visits = found
    rank, household = _find(visits, ref)
    with snapshot_connection(settings) as conn:
        history = household_visits(
            engine, conn, username=user.name, household=household, as_of=visits.as_of
        )
    return render(
        request,
        "frontline/household.html",
        user,
        title="Household on the Safe and Well list",
        back_link=(f"/safe-and-well?as_of={dated.as_of.iso}", "Back to the visit list"),
        dated=dated,
        visits=visits,
        rank=rank,
        household=household,
        history=history,
        factor_reasons={f: w.reason for f, w in load_weights().factors.items()},
    )


@pages.get("/safe-and-well/sheet")
def visit_sheet(
    request: Request,
    user: Frontline,
    engine: HubEngine,
    settings: HubSettings,
    page: PageNumber = 1,
) -> Response:
    """A printable visit sheet for one page of the list: each household, why, space to write."""
    return _paged(request, engine, settings, user, page, sheet=True)


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


@api.get("/safe-and-well", response_model=SafeAndWellBody)
def api_safe_and_well(
    caller: ApiFrontline,
    engine: HubEngine,
    settings: HubSettings,
    as_of: ApiAsOf = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> SafeAndWellBody:
    """The ranked visit list the fire prevention agreement allows the caller, with reasons."""
    when = as_of or dated_view(engine, settings, caller, "safe_and_well", {}).as_of.value
    with snapshot_connection(settings) as conn:
        visits = safe_and_well_list(engine, conn, username=caller.name, as_of=when or date.today())
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
