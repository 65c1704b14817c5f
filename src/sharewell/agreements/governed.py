"""The one governed path across an organisation boundary: decide, minimise, audit, return.

Views, exports and the web call ``governed_read``; they never re-implement the policy. Data
is only handed back once its audit entry has been committed, so an access that succeeds is
never missing from the log; a refusal is audited before AccessDenied is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine

from sharewell.agreements.minimise import minimise_rows
from sharewell.agreements.model import Agreement, Level
from sharewell.agreements.policy import AccessRequest, Decision, decide
from sharewell.agreements.store import current_agreements
from sharewell.audit import AuditEvent, record
from sharewell.errors import AccessDenied, NotFound
from sharewell.partnership.store import get_user

__all__ = ["Fetch", "GovernedResult", "governed_read"]

# Given the decision, return the rows (ideally only the permitted fields; more is cut off).
Fetch = Callable[[Decision], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class GovernedResult:
    """What a governed read returned, the decision behind it and its audit entry."""

    decision: Decision
    rows: list[dict[str, Any]]
    audit_seq: int


def governed_read(
    engine: Engine,
    *,
    username: str,
    purpose: str,
    dataset: str,
    fields: Sequence[str],
    level: Level,
    fetch: Fetch,
    provider: str | None = None,
    action: Literal["access", "reveal", "export"] = "access",
    person_key: str = "person_id",
    at: datetime | None = None,
    agreements: Sequence[Agreement] | None = None,
) -> GovernedResult:
    """Decide the request, fetch and minimise the rows, audit, and only then return them.

    Args:
        engine: the operational store (users, agreements, audit log).
        username: who asks; their organisation and role come from the store, not the caller.
        purpose, dataset, fields, level, provider: what is asked for, and why.
        fetch: reads the data once allowed; receives the decision (permitted fields, level).
        action: what the audit entry calls it (access, reveal or export).
        person_key: the internal person id column, recorded in the audit entry.
        at: the time of the request (default now, UTC).
        agreements: the current agreements, when the caller read them for this same request
            (a flag lookup reads them once to choose what to ask for); default: read them now.

    Returns:
        The minimised rows with the decision and the audit entry's sequence number.

    Raises:
        AccessDenied: the policy refused; the refusal is already in the audit log.
    """
    when = at or datetime.now(UTC)
    try:
        user = get_user(engine, username)
    except NotFound:
        user = None
    organisation = user.organisation if user else None
    role = user.role if user else None
    target = f"{dataset}{f' from {provider}' if provider else ''} at {level}"
    asked: dict[str, Any] = {"requested_fields": list(fields), "level": level}
    if provider:
        # the data's owner, so it can be told who read its data (as CP-IS tells social care)
        asked["provider"] = provider

    if user is None or not user.active:
        decision = Decision(False, f"user {username!r} is unknown or no longer active")
    else:
        request = AccessRequest(
            user=username,
            organisation=user.organisation,
            role=user.role,
            purpose=purpose,
            dataset=dataset,
            fields=tuple(fields),
            level=level,
            provider=provider,
        )
        current = current_agreements(engine) if agreements is None else agreements
        decision = decide(request, current, when)

    def event(
        outcome: Literal["allow", "deny", "failed"], persons: tuple[str, ...] = (), **detail: Any
    ) -> AuditEvent:
        return AuditEvent(
            actor=username,
            action=action,
            target=target,
            outcome=outcome,
            organisation=organisation,
            role=role,
            purpose=purpose,
            agreement_id=decision.agreement_id,
            agreement_version=decision.agreement_version,
            persons=persons,
            detail={**asked, "reason": decision.reason, **detail},
        )

    if not decision.allowed:
        record(engine, event("deny"))
        raise AccessDenied(decision.reason)

    try:
        rows = minimise_rows(decision, fetch(decision), person_key)
    except Exception as exc:
        record(engine, event("failed", error=type(exc).__name__))
        raise
    persons = tuple(str(r[person_key]) for r in rows if r.get(person_key) is not None)
    entry = record(
        engine,
        event(
            "allow",
            persons,
            granted_fields=list(decision.fields),
            withheld_fields=list(decision.withheld),
            rows=len(rows),
        ),
    )
    return GovernedResult(decision=decision, rows=rows, audit_seq=entry.seq)
