"""The audit log for IG leads: search, who looked at our data, the person access report (found
by name, date of birth or NHS number), and chain verification.

Search shows the entries of the IG lead's own organisation (its staff's actions); "who looked
at our data" shows every read of the organisation's records by anyone in the partnership;
the hub administrator sees every entry. Verification reports only whether the chain is
intact and where it is not, which reveals nobody's data, so API tokens may call it too.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine

from sharewell.audit import (
    AuditEntry,
    AuditEvent,
    SubjectAccessReport,
    entries,
    record,
    verify,
)
from sharewell.audit.chain import AUDIT_ACTIONS, AUDIT_OUTCOMES
from sharewell.errors import NotFound
from sharewell.ingest import write_csv
from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import PURPOSES
from sharewell.views.lookup import normalise_query
from sharewell.web.data_access import (
    DataRead,
    data_reads,
    matching,
    owner_index,
    person_access_report,
)
from sharewell.web.dates import PARTS, DateField, read_date
from sharewell.web.deps import CsrfChecked, HubEngine, HubSettings, api_permission, page_permission
from sharewell.web.names import organisation_names
from sharewell.web.paging import page_of
from sharewell.web.person_search import MAX_MATCHES, PersonMatch, find_people, person_exists
from sharewell.web.roles import Principal
from sharewell.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Searcher = Annotated[Principal, Depends(page_permission("audit.search"))]
Verifier = Annotated[Principal, Depends(page_permission("audit.verify"))]
ApiVerifier = Annotated[Principal, Depends(api_permission("audit.verify"))]
ApiSearcher = Annotated[Principal, Depends(api_permission("audit.search"))]

# A page of results; narrow the search to see older entries.
MAX_RESULTS = 200


def own_slice(user: Principal, found: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries this user may see: their organisation's, or all for the administrator."""
    if user.sees_every_organisation:
        return list(found)
    return [e for e in found if e.organisation == user.organisation]


def _matches(entry: AuditEntry, filters: dict[str, str]) -> bool:
    return all(
        not wanted or str(getattr(entry, key) or "").lower() == wanted.lower()
        for key, wanted in filters.items()
    )


@pages.get("/audit")
def audit_search(
    request: Request,
    engine: HubEngine,
    user: Searcher,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    outcome: Annotated[str, Query(max_length=20)] = "",
    agreement_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Search the audit log by who, what, outcome and agreement; newest first."""
    filters = {
        "actor": actor.strip(),
        "action": action,
        "outcome": outcome,
        "agreement_id": agreement_id.strip(),
    }
    found = [e for e in own_slice(user, entries(engine)) if _matches(e, filters)]
    found.reverse()
    return render(
        request,
        "audit/search.html",
        user,
        title="Search the audit log",
        filters=filters,
        actions=sorted(AUDIT_ACTIONS),
        outcomes=sorted(AUDIT_OUTCOMES),
        total=len(found),
        results=found[:MAX_RESULTS],
        max_results=MAX_RESULTS,
    )


def _person_page(
    request: Request,
    user: Principal,
    *,
    person_id: str = "",
    report: SubjectAccessReport | None = None,
    shown: Sequence[AuditEntry] = (),
    unknown: bool = False,
    search: Mapping[str, str] | None = None,
    dob: DateField | None = None,
    matches: Sequence[PersonMatch] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "audit/person.html",
        user,
        status_code=status_code,
        title="Person access report",
        back_link=("/audit/person", "Search for another person") if report else None,
        person_id=person_id,
        report=report,
        shown=shown,
        unknown=unknown,
        search=search or {},
        dob=dob or read_date({}, "date_of_birth", "Date of birth"),
        matches=matches,
        errors=errors or {},
        max_matches=MAX_MATCHES,
    )


@pages.get("/audit/person")
def audit_person(
    request: Request,
    engine: HubEngine,
    settings: HubSettings,
    user: Searcher,
    person_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Who saw one person's data, when, under which agreement and for what purpose."""
    person_id = person_id.strip()
    if not person_id:
        return _person_page(request, user)
    if not person_exists(settings, person_id):
        # Said plainly, with the way to find the right person: by what the requester gave.
        problem = f"There is no person {person_id}: find the person by name and date of birth"
        return _person_page(
            request,
            user,
            person_id=person_id,
            unknown=True,
            errors={"family_name": problem},
            status_code=404,
        )
    report, shown = person_access_report(engine, user, person_id)
    return _person_page(request, user, person_id=person_id, report=report, shown=shown)


@pages.post("/audit/person", dependencies=[CsrfChecked])
async def audit_person_search(
    request: Request, engine: HubEngine, settings: HubSettings, user: Searcher
) -> Response:
    """Find the person a subject access request is about, in the organisation's own records."""
    form = {k: v.strip()[:100] for k, v in (await request.form()).items() if isinstance(v, str)}
    dob = read_date(form, "date_of_birth", "Date of birth", past=True)
    query, problems = normalise_query(
        {k: form.get(k) for k in ("given_name", "family_name", "postcode", "nhs_number")}
    )
    errors = {
        field: f"Enter a real {field.replace('_', ' ')} ({why})" for field, why in problems.items()
    }
    if dob.error:
        errors[dob.error_href[1:]] = dob.error
    if not errors and not query.nhs_number and not query.family_name:
        errors["family_name"] = "Enter a family name, or an NHS number"
    if not errors and not query.nhs_number and not dob.value:
        dob = replace(dob, error="Enter a date of birth, or an NHS number", error_parts=PARTS)
        errors[dob.error_href[1:]] = dob.error or ""
    if errors:
        return _person_page(request, user, search=form, dob=dob, errors=errors, status_code=422)
    query = replace(query, date_of_birth=dob.value)
    matches = find_people(engine, settings, user, query)
    return _person_page(request, user, search=form, dob=dob, matches=matches)


WhoFilter = Annotated[str, Query(max_length=64)]


def who_looked_filters(
    user: Searcher,
    owner: WhoFilter = "",
    organisation: WhoFilter = "",
    purpose: WhoFilter = "",
    outcome: WhoFilter = "",
    dataset: WhoFilter = "",
) -> dict[str, str]:
    """The page's filters, from its query string: whose data, read by whom, why, how it went."""
    return {
        # only the hub administrator may look at another organisation's data's readers
        "owner": owner if user.sees_every_organisation and owner else user.organisation,
        "organisation": organisation,
        "purpose": purpose,
        "outcome": outcome,
        "dataset": dataset,
    }


WhoFilters = Annotated[dict[str, str], Depends(who_looked_filters)]


def _who_looked_reads(engine: Engine, filters: Mapping[str, str]) -> list[DataRead]:
    reads = data_reads(entries(engine), owner_index(engine), filters["owner"])
    found = matching(reads, filters)
    found.reverse()
    return found


@pages.get("/audit/who-looked")
def who_looked(
    request: Request,
    engine: HubEngine,
    user: Searcher,
    filters: WhoFilters,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Every read of the organisation's records by anyone, refusals too; newest first."""
    found = _who_looked_reads(engine, filters)
    query = {
        k: v for k, v in filters.items() if v and (k != "owner" or user.sees_every_organisation)
    }
    return render(
        request,
        "audit/who_looked.html",
        user,
        title="Who looked at our data",
        filters=filters,
        page=page_of(found, page, path="/audit/who-looked", query=query, size=WHO_PAGE),
        export_query=urlencode(query),
        organisations=sorted(organisation_names(engine).items(), key=lambda kv: kv[1]),
        purposes=PURPOSES,
        datasets=sorted(load_source_types()),
    )


WHO_PAGE = 100
WHO_COLUMNS = [
    "when_utc",
    "who",
    "organisation",
    "role",
    "purpose",
    "agreement",
    "agreement_version",
    "data",
    "data_owner",
    "level",
    "outcome",
    "people",
    "reason",
]


@pages.get("/audit/who-looked.csv")
def who_looked_csv(
    engine: HubEngine,
    settings: HubSettings,
    user: Searcher,
    filters: WhoFilters,
) -> Response:
    """The same reads as CSV (formula-safe); the export is itself recorded."""
    found = _who_looked_reads(engine, filters)
    rows = [
        [
            r.entry.recorded_at,
            r.entry.actor,
            r.entry.organisation,
            r.entry.role,
            r.entry.purpose,
            r.entry.agreement_id,
            r.entry.agreement_version,
            r.dataset,
            ", ".join(r.owners),
            r.level,
            r.entry.outcome,
            len(r.entry.persons),
            r.entry.detail.get("reason"),
        ]
        for r in found
    ]
    with tempfile.TemporaryDirectory(prefix="export-", dir=settings.hub_dir) as tmp:
        path = Path(tmp) / "who-looked.csv"
        write_csv(path, WHO_COLUMNS, rows)
        content = path.read_bytes()
    record(
        engine,
        AuditEvent(
            actor=user.name,
            action="export",
            target="who looked at our data (CSV)",
            outcome="ok",
            organisation=user.organisation,
            role=user.role,
            detail={"rows": len(rows), "filters": {k: v for k, v in filters.items() if v}},
        ),
    )
    name = f"who-looked-{filters['owner']}.csv"
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.get("/audit/verify")
def audit_verify_page(request: Request, engine: HubEngine, user: Verifier) -> Response:
    """Check the whole hash chain now and say whether it is intact, and where it is not."""
    return render(
        request, "audit/verify.html", user, title="Verify the audit log", report=verify(engine)
    )


class ChainProblemBody(BaseModel):
    """One place the chain is broken."""

    seq: int | None
    kind: str
    message: str


class VerificationBody(BaseModel):
    """The result of checking the audit chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblemBody]


@api.get("/verify", response_model=VerificationBody)
def api_audit_verify(engine: HubEngine, caller: ApiVerifier) -> VerificationBody:
    """Check the audit chain: intact, or which entries were changed, removed or reordered."""
    return VerificationBody.model_validate(dataclasses.asdict(verify(engine)))


class AuditEntryBody(BaseModel):
    """One entry of the audit log."""

    seq: int
    recorded_at: str
    actor: str
    action: str
    target: str
    outcome: str
    organisation: str | None
    role: str | None
    purpose: str | None
    agreement_id: str | None
    agreement_version: int | None
    persons: list[str]
    detail: dict[str, Any]
    hash: str


def _entry_body(e: AuditEntry) -> AuditEntryBody:
    return AuditEntryBody(
        seq=e.seq,
        recorded_at=e.recorded_at,
        actor=e.actor,
        action=e.action,
        target=e.target,
        outcome=e.outcome,
        organisation=e.organisation,
        role=e.role,
        purpose=e.purpose,
        agreement_id=e.agreement_id,
        agreement_version=e.agreement_version,
        persons=list(e.persons),
        detail=dict(e.detail),
        hash=e.hash,
    )


@api.get("/entries", response_model=list[AuditEntryBody])
def api_audit_search(
    engine: HubEngine,
    caller: ApiSearcher,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    outcome: Annotated[str, Query(max_length=20)] = "",
    agreement_id: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = MAX_RESULTS,
) -> list[AuditEntryBody]:
    """Audit entries of the caller's organisation (all, for the admin), newest first."""
    filters = {
        "actor": actor.strip(),
        "action": action,
        "outcome": outcome,
        "agreement_id": agreement_id.strip(),
    }
    found = [e for e in own_slice(caller, entries(engine)) if _matches(e, filters)]
    found.reverse()
    return [_entry_body(e) for e in found[:limit]]


@api.get("/persons/{person_id}", response_model=list[AuditEntryBody])
def api_audit_person(
    engine: HubEngine, settings: HubSettings, caller: ApiSearcher, person_id: str
) -> list[AuditEntryBody]:
    """Who saw one person's data (the caller's organisation's slice); the look is recorded."""
    if not person_exists(settings, person_id.strip()):
        raise NotFound(f"no person {person_id.strip()!r} in the person index")
    _, shown = person_access_report(engine, caller, person_id.strip())
    return [_entry_body(e) for e in shown]
