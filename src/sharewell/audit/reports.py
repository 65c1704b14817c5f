"""Reports over the audit log: subject access (per person) and usage (per agreement)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from sharewell.audit.chain import AuditEntry
from sharewell.audit.log import entries

__all__ = [
    "AgreementUsage",
    "SubjectAccessReport",
    "agreement_usage",
    "agreement_usage_report",
    "subject_access",
    "subject_access_report",
]


@dataclass(frozen=True)
class SubjectAccessReport:
    """Who saw one person's data, when, under which agreement and for what purpose."""

    person_id: str
    seen_by_organisations: tuple[str, ...]
    entries: tuple[AuditEntry, ...]


@dataclass(frozen=True)
class AgreementUsage:
    """How an agreement was used: accesses allowed and refused, by whom, for what; its changes."""

    agreement_id: str
    total: int
    allowed: int
    denied: int
    changes: int
    persons: int
    by_organisation: dict[str, int]
    by_purpose: dict[str, int]
    by_action: dict[str, int]
    first: str | None
    last: str | None
    entries: tuple[AuditEntry, ...]


def subject_access(person_id: str, person_entries: Sequence[AuditEntry]) -> SubjectAccessReport:
    """Build the subject access report from the entries naming ``person_id`` (pure)."""
    mine = tuple(e for e in person_entries if person_id in e.persons)
    seen_by = sorted(
        {e.organisation for e in mine if e.outcome in ("allow", "ok") and e.organisation}
    )
    return SubjectAccessReport(
        person_id=person_id, seen_by_organisations=tuple(seen_by), entries=mine
    )


def agreement_usage(agreement_id: str, used: Sequence[AuditEntry]) -> AgreementUsage:
    """Summarise the entries recorded under one agreement (pure)."""
    mine = tuple(e for e in used if e.agreement_id == agreement_id)
    return AgreementUsage(
        agreement_id=agreement_id,
        total=len(mine),
        allowed=sum(e.outcome == "allow" for e in mine),
        denied=sum(e.outcome == "deny" for e in mine),
        changes=sum(e.action == "agreement_change" for e in mine),
        persons=len({p for e in mine if e.outcome == "allow" for p in e.persons}),
        by_organisation=dict(Counter(e.organisation or "-" for e in mine)),
        by_purpose=dict(Counter(e.purpose or "-" for e in mine)),
        by_action=dict(Counter(e.action for e in mine)),
        first=mine[0].recorded_at if mine else None,
        last=mine[-1].recorded_at if mine else None,
        entries=mine,
    )


def subject_access_report(engine: Engine, person_id: str) -> SubjectAccessReport:
    """Who saw this person's data: every audit entry that names them."""
    return subject_access(person_id, entries(engine, person_id=person_id))


def agreement_usage_report(engine: Engine, agreement_id: str) -> AgreementUsage:
    """Every use (and refusal) recorded under an agreement."""
    return agreement_usage(agreement_id, entries(engine, agreement_id=agreement_id))
