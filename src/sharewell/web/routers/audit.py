"""The audit log for IG leads: search, the person access report, and chain verification.

An IG lead sees the entries recorded against their own organisation; the hub administrator
sees every entry. Verification reports only whether the chain is intact and where it is not,
which reveals nobody's data, so organisations' API tokens may call it too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from sharewell.audit import (
    AuditEntry,
    AuditEvent,
    entries,
    record,
    subject_access_report,
    verify,
)
from sharewell.audit.chain import AUDIT_ACTIONS, AUDIT_OUTCOMES
from sharewell.web.deps import HubEngine, api_permission, page_permission
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


def _person_report(engine: Any, user: Principal, person_id: str) -> tuple[Any, list[AuditEntry]]:
    """The subject access report, cut to the user's slice, and recorded as a look."""
    report = subject_access_report(engine, person_id)
    shown = own_slice(user, report.entries)
    # Looking up who saw a person is itself a look at that person: it goes on the record.
    record(
        engine,
        AuditEvent(
            actor=user.name,
            action="access",
            target="person access report",
            outcome="allow",
            organisation=user.organisation,
            role=user.role,
            persons=(person_id,),
            detail={"entries_shown": len(shown)},
        ),
    )
    return report, shown


@pages.get("/audit/person")
def audit_person(
    request: Request,
    engine: HubEngine,
    user: Searcher,
    person_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Who saw one person's data, when, under which agreement and for what purpose."""
    report: Any = None
    shown: list[AuditEntry] = []
    if person_id.strip():
        report, shown = _person_report(engine, user, person_id.strip())
    return render(
        request,
        "audit/person.html",
        user,
        title="Person access report",
        person_id=person_id.strip(),
        report=report,
        shown=shown,
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
    engine: HubEngine, caller: ApiSearcher, person_id: str
) -> list[AuditEntryBody]:
    """Who saw one person's data (the caller's organisation's slice); the look is recorded."""
    _, shown = _person_report(engine, caller, person_id.strip())
    return [_entry_body(e) for e in shown]
