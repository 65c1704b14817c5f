"""The point-of-contact flag lookup: identify one person safely and show only granted flags.

The form offers only the purposes the officer's agreements cover. A form without enough
detail, or with an impossible date, is answered with field errors and is not a lookup: it
reads nothing and records nothing. Every lookup that runs is audited by the view, and the
flag's owner sees it on its "Who looked at our data" page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from sharewell.agreements import current_agreements
from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.partnership import PURPOSES
from sharewell.views.lookup import LookupResult, lookup, normalise_query
from sharewell.web.allowed import granted_sources, lookup_purposes
from sharewell.web.data_dates import SourceFreshness, default_as_of, freshness
from sharewell.web.dates import PARTS, DateField, read_date
from sharewell.web.deps import CsrfChecked, HubEngine, HubSettings, api_permission
from sharewell.web.frontline import Frontline
from sharewell.web.names import purpose_name
from sharewell.web.refusals import refusal_page
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import snapshot_connection

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["frontline"])

ApiFrontline = Annotated[Principal, Depends(api_permission("frontline"))]
TEXT_FIELDS = {"given_name": 100, "family_name": 100, "postcode": 10, "nhs_number": 14}
FIELD_LABELS = {
    "given_name": "given name",
    "family_name": "family name",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "nhs_number": "NHS number",
}


@dataclass(frozen=True)
class LookupForm:
    """What the officer typed, read and checked; ``errors`` by the field the summary links to."""

    purpose: str
    details: dict[str, str]
    date_of_birth: DateField
    as_of: DateField
    errors: dict[str, str]


def _allowed(
    engine: Engine, settings: Settings, user: Principal
) -> tuple[list[str], list[SourceFreshness]]:
    """The purposes the officer may look up for, and the flag sources behind them."""
    agreements = current_agreements(engine)
    today = date.today()
    purposes = lookup_purposes(agreements, user, today)
    sources = {
        s for p in purposes for s in granted_sources(agreements, user, p, today, "flag_only")
    }
    return purposes, freshness(settings, sources)


def _read_form(values: Mapping[str, str], purposes: list[str], default: date) -> LookupForm:
    details = {
        name: (values.get(name) or "").strip()[:limit] for name, limit in TEXT_FIELDS.items()
    }
    dob = read_date(values, "date_of_birth", "Date of birth", past=True)
    as_of = read_date(values, "as_of", "The date of the lookup", default=default)
    purpose = (values.get("purpose") or "").strip()
    errors: dict[str, str] = {}
    if not purpose:
        errors["purpose"] = "Select why you are looking"
    elif purpose not in PURPOSES:
        errors["purpose"] = "Select one of the reasons listed"
    _, problems = normalise_query({k: v for k, v in details.items() if k != "date_of_birth"})
    for field, problem in problems.items():
        errors[field] = f"Enter a real {FIELD_LABELS[field]} ({problem})"
    if dob.error:
        errors[dob.error_href[1:]] = dob.error
    if not details["nhs_number"] and not errors:
        if not details["family_name"]:
            errors["family_name"] = "Enter a family name, or an NHS number"
        if not dob.value:
            dob = replace(dob, error="Enter a date of birth, or an NHS number", error_parts=PARTS)
            errors[dob.error_href[1:]] = dob.error or ""
        if not details["given_name"] and not details["postcode"]:
            errors["given_name"] = "Enter a given name or a postcode, or an NHS number"
    if as_of.error:
        errors[as_of.error_href[1:]] = as_of.error
    return LookupForm(purpose, details, dob, as_of, errors)


def _page(
    request: Request,
    user: Principal,
    purposes: list[str],
    sources: list[SourceFreshness],
    form: LookupForm | None,
    *,
    result: LookupResult | None = None,
    status_code: int = 200,
) -> Response:
    default = default_as_of(sources)
    return render(
        request,
        "frontline/lookup.html",
        user,
        status_code=status_code,
        title="Flag lookup",
        purposes=[(p, purpose_name(p)) for p in purposes],
        form=form,
        dob=form.date_of_birth if form else read_date({}, "date_of_birth", "Date of birth"),
        as_of=form.as_of if form else read_date({}, "as_of", "The date", default=default),
        sources=sources,
        errors=form.errors if form else {},
        result=result,
        field_labels=FIELD_LABELS,
    )


@pages.get("/lookup")
def lookup_form(
    request: Request, user: Frontline, engine: HubEngine, settings: HubSettings
) -> Response:
    """The lookup form (a POST, so personal details never appear in an address or a log)."""
    purposes, sources = _allowed(engine, settings, user)
    return _page(request, user, purposes, sources, None)


def _refused(
    request: Request, engine: Engine, user: Principal, purpose: str, rule: str
) -> Response:
    return refusal_page(
        request,
        engine,
        user,
        explanation=(
            f"You may not look people up for {purpose_name(purpose).lower()}: no data sharing "
            f"agreement shares flags with your organisation for that purpose. Nothing about the "
            "person was looked at, and this attempt has been recorded."
        ),
        rule=rule,
    )


@pages.post("/lookup", dependencies=[CsrfChecked])
async def lookup_submit(
    request: Request, user: Frontline, engine: HubEngine, settings: HubSettings
) -> Response:
    """Check the form; if it is complete, identify one person and show only granted flags."""
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    purposes, sources = _allowed(engine, settings, user)
    form = _read_form(values, purposes, default_as_of(sources))
    if form.errors or form.as_of.value is None:
        return _page(request, user, purposes, sources, form, status_code=422)
    details: dict[str, str | None] = {**form.details, "date_of_birth": form.date_of_birth.iso}
    try:
        with snapshot_connection(settings) as conn:
            result = lookup(
                engine,
                conn,
                username=user.name,
                purpose=form.purpose,
                details=details,
                as_of=form.as_of.value,
            )
    except AccessDenied as exc:
        # Refused before anyone was searched for (views/lookup.py), and audited there.
        return _refused(request, engine, user, form.purpose, str(exc))
    return _page(request, user, purposes, sources, form, result=result)


# --- API ------------------------------------------------------------------------------------


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
    when: Any = body.as_of
    if when is None:
        when = default_as_of(_allowed(engine, settings, caller)[1])
    with snapshot_connection(settings) as conn:
        result = lookup(
            engine, conn, username=caller.name, purpose=body.purpose, details=details, as_of=when
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
