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

from sharewell.agreements.minimise import (
    DEFAULT_MIN_CELL_SIZE,
    minimise_rows,
    suppress_small_cells,
)
from sharewell.agreements.model import Agreement, Level
from sharewell.agreements.policy import AccessRequest, Decision, decide
from sharewell.agreements.store import current_agreements
from sharewell.audit import AuditEvent, record
from sharewell.errors import AccessDenied, NotFound
from sharewell.partnership.model import User
from sharewell.partnership.store import get_user

__all__ = [
    "AggregateRequest",
    "Compute",
    "Fetch",
    "GovernedAggregate",
    "GovernedResult",
    "governed_aggregate",
    "governed_read",
]

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
    record_key: str | None = None,
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
        record_key: a record id column kept with each row (not a field of the data).
        at: the time of the request (default now, UTC).
        agreements: the current agreements, when the caller read them for this same request
            (a flag lookup reads them once to choose what to ask for); default: read them now.

    Returns:
        The minimised rows with the decision and the audit entry's sequence number.

    Raises:
        AccessDenied: the policy refused; the refusal is already in the audit log.
    """
    when = at or datetime.now(UTC)
    user = _user(engine, username)
    asked = _asked(fields, level, provider)
    decision = _decide(
        engine, user, username, purpose, dataset, fields, level, provider, when, agreements
    )

    def event(
        outcome: Literal["allow", "deny", "failed"], persons: tuple[str, ...] = (), **detail: Any
    ) -> AuditEvent:
        return _event(
            username,
            user,
            action,
            _target(dataset, provider, level),
            outcome,
            purpose,
            decision,
            persons,
            asked,
            detail,
        )

    if not decision.allowed:
        record(engine, event("deny"))
        raise AccessDenied(decision.reason)

    try:
        rows = minimise_rows(decision, fetch(decision), person_key, record_key)
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


@dataclass(frozen=True)
class AggregateRequest:
    """One dataset an aggregate is computed from: which of its fields, and whose records."""

    dataset: str
    fields: tuple[str, ...]
    provider: str | None = None


# Given a decision per dataset, compute aggregates over the permitted fields (no person ids).
Compute = Callable[[Mapping[str, Decision]], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class GovernedAggregate:
    """What a governed aggregate returned, the decision per dataset and their audit entries."""

    decisions: dict[str, Decision]
    rows: list[dict[str, Any]]
    audit_seqs: tuple[int, ...]


def governed_aggregate(
    engine: Engine,
    *,
    username: str,
    purpose: str,
    reads: Sequence[AggregateRequest],
    compute: Compute,
    counts: Sequence[str],
    keep: Sequence[str] = (),
    at: datetime | None = None,
    agreements: Sequence[Agreement] | None = None,
) -> GovernedAggregate:
    """Decide every dataset at ``aggregate_only``, compute, suppress small cells, audit.

    For figures that need per-person joins across partners (an evaluation's matched
    comparison): the joins run inside ``compute`` in the workspace, and only aggregates come
    out. Every dataset is decided before anything is read; one refusal refuses the whole
    computation. Each dataset gets its own audit entry, so each provider sees the use.

    Args:
        reads: the datasets and fields the computation reads.
        compute: runs once every dataset is allowed; receives the decisions.
        counts: keys of a result row holding how many people it describes; a row where one
            is below the strictest ``min_cell_size`` of the decisions is suppressed.
        keep: keys a suppressed row keeps (its dimensions, e.g. the event type).

    Raises:
        AccessDenied: a dataset was refused; the refusal is already in the audit log.
    """
    when = at or datetime.now(UTC)
    user = _user(engine, username)
    current = current_agreements(engine) if agreements is None and user else agreements
    decided = [
        (
            r,
            _decide(
                engine,
                user,
                username,
                purpose,
                r.dataset,
                r.fields,
                "aggregate_only",
                r.provider,
                when,
                current,
            ),
        )
        for r in reads
    ]

    def event(
        r: AggregateRequest, d: Decision, outcome: Literal["allow", "deny", "failed"], **detail: Any
    ) -> AuditEvent:
        target = _target(r.dataset, r.provider, "aggregate_only")
        asked = _asked(r.fields, "aggregate_only", r.provider)
        return _event(username, user, "access", target, outcome, purpose, d, (), asked, detail)

    refused = [(r, d) for r, d in decided if not d.allowed]
    if refused:
        for r, d in refused:
            record(engine, event(r, d, "deny"))
        raise AccessDenied("; ".join(d.reason for _, d in refused))

    decisions = {r.dataset: d for r, d in decided}
    smallest = max(d.min_cell_size or DEFAULT_MIN_CELL_SIZE for d in decisions.values())
    try:
        rows = suppress_small_cells(
            compute(decisions), counts=counts, keep=keep, min_cell_size=smallest
        )
    except Exception as exc:
        for r, d in decided:
            record(engine, event(r, d, "failed", error=type(exc).__name__))
        raise
    seqs = tuple(
        record(
            engine,
            event(
                r,
                d,
                "allow",
                granted_fields=list(d.fields),
                withheld_fields=list(d.withheld),
                rows=len(rows),
                suppressed=sum(bool(row["suppressed"]) for row in rows),
            ),
        ).seq
        for r, d in decided
    )
    return GovernedAggregate(decisions=decisions, rows=rows, audit_seqs=seqs)


def _user(engine: Engine, username: str) -> User | None:
    try:
        return get_user(engine, username)
    except NotFound:
        return None


def _target(dataset: str, provider: str | None, level: Level) -> str:
    return f"{dataset}{f' from {provider}' if provider else ''} at {level}"


def _asked(fields: Sequence[str], level: Level, provider: str | None) -> dict[str, Any]:
    asked: dict[str, Any] = {"requested_fields": list(fields), "level": level}
    if provider:
        # the data's owner, so it can be told who read its data (as CP-IS tells social care)
        asked["provider"] = provider
    return asked


def _decide(
    engine: Engine,
    user: User | None,
    username: str,
    purpose: str,
    dataset: str,
    fields: Sequence[str],
    level: Level,
    provider: str | None,
    when: datetime,
    agreements: Sequence[Agreement] | None,
) -> Decision:
    """The policy's decision, with the requester's organisation and role from the store."""
    if user is None or not user.active:
        return Decision(False, f"user {username!r} is unknown or no longer active")
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
    return decide(request, current, when)


def _event(
    username: str,
    user: User | None,
    action: Literal["access", "reveal", "export"],
    target: str,
    outcome: Literal["allow", "deny", "failed"],
    purpose: str,
    decision: Decision,
    persons: tuple[str, ...],
    asked: dict[str, Any],
    detail: dict[str, Any],
) -> AuditEvent:
    return AuditEvent(
        actor=username,
        action=action,
        target=target,
        outcome=outcome,
        organisation=user.organisation if user else None,
        role=user.role if user else None,
        purpose=purpose,
        agreement_id=decision.agreement_id,
        agreement_version=decision.agreement_version,
        persons=persons,
        detail={**asked, "reason": decision.reason, **detail},
    )
