"""Who looked at an organisation's data: every read of its records, by anyone, from the log.

The CP-IS promise: the organisation that holds a record can see every time anyone, in any
partner, read it or tried to — who, which organisation, for what purpose, under which
agreement and version, when, and whether it was allowed. An audit entry names the kind of
data read; its owners are the providers the agreement names for that kind (or, when the
read named its provider, that provider). The core is pure; ``owner_index`` reads agreements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from sharewell.agreements import agreement_history, current_agreements
from sharewell.audit import (
    AuditEntry,
    AuditEvent,
    SubjectAccessReport,
    record,
    subject_access_report,
)
from sharewell.ingest.source_types import load_source_types
from sharewell.web.roles import Principal

__all__ = [
    "READ_ACTIONS",
    "DataRead",
    "OwnerIndex",
    "data_reads",
    "entry_dataset",
    "matching",
    "owner_index",
    "person_access_report",
]

# The actions that read records: a view or lookup, identities revealed, data written out.
READ_ACTIONS = frozenset({"access", "reveal", "export"})


@dataclass(frozen=True)
class OwnerIndex:
    """Whose data each kind is: per agreement version, and across every agreement."""

    by_agreement: Mapping[tuple[str, int], Mapping[str, tuple[str, ...]]]
    anywhere: Mapping[str, tuple[str, ...]]

    def owners(self, dataset: str, agreement: tuple[str, int] | None) -> tuple[str, ...]:
        """The providers of ``dataset`` under that agreement version (or under any)."""
        if agreement is not None and agreement in self.by_agreement:
            found = self.by_agreement[agreement].get(dataset)
            if found:
                return found
        return self.anywhere.get(dataset, ())


def owner_index(engine: Engine) -> OwnerIndex:
    """Providers per dataset for every stored version of every agreement."""
    by_agreement: dict[tuple[str, int], dict[str, tuple[str, ...]]] = {}
    anywhere: dict[str, set[str]] = {}
    for current in current_agreements(engine):
        for stored in agreement_history(engine, current.id):
            a = stored.agreement
            providers: dict[str, list[str]] = {}
            for p in a.providers:
                for dataset in p.datasets:
                    providers.setdefault(dataset, []).append(p.organisation)
                    anywhere.setdefault(dataset, set()).add(p.organisation)
            by_agreement[(a.id, a.version)] = {d: tuple(o) for d, o in providers.items()}
    return OwnerIndex(by_agreement, {d: tuple(sorted(o)) for d, o in anywhere.items()})


def entry_dataset(entry: AuditEntry) -> tuple[str | None, str | None]:
    """The kind of data an entry read, and its named provider, from the entry (pure).

    Governed reads are recorded as ``"{dataset}[ from {provider}] at {level}"``; a PPRL
    reveal as ``"{partner}:{source_type}"``.
    """
    known = load_source_types()
    if entry.action == "reveal" and ":" in entry.target:
        partner, _, dataset = entry.target.partition(":")
        return (dataset, partner) if dataset in known else (None, None)
    first = entry.target.split(" ", 1)[0]
    if first not in known or " at " not in entry.target:
        return None, None
    provider = entry.detail.get("provider")
    return first, provider if isinstance(provider, str) else None


@dataclass(frozen=True)
class DataRead:
    """One read (or refused read) of an organisation's records, as its owner sees it."""

    entry: AuditEntry
    dataset: str
    owners: tuple[str, ...]

    @property
    def level(self) -> str | None:
        """The access level asked for (flags, named records...)."""
        level = self.entry.detail.get("level")
        return level if isinstance(level, str) else None


def data_reads(found: Iterable[AuditEntry], index: OwnerIndex, owner: str | None) -> list[DataRead]:
    """The reads of ``owner``'s data among ``found`` (None: every read), in log order."""
    reads = []
    for e in found:
        if e.action not in READ_ACTIONS:
            continue
        dataset, provider = entry_dataset(e)
        if dataset is None:
            continue
        agreement = None
        if e.agreement_id and e.agreement_version is not None:
            agreement = (e.agreement_id, e.agreement_version)
        owners = (provider,) if provider else index.owners(dataset, agreement)
        if owner is None or owner in owners:
            reads.append(DataRead(e, dataset, owners))
    return reads


def matching(reads: Sequence[DataRead], filters: Mapping[str, str]) -> list[DataRead]:
    """Reads matching every filter given: reader organisation, purpose, outcome, dataset."""

    def keep(r: DataRead) -> bool:
        e = r.entry
        return (
            (not filters.get("organisation") or e.organisation == filters["organisation"])
            and (not filters.get("purpose") or e.purpose == filters["purpose"])
            and (not filters.get("outcome") or e.outcome == filters["outcome"])
            and (not filters.get("dataset") or r.dataset == filters["dataset"])
        )

    return [r for r in reads if keep(r)]


def person_access_report(
    engine: Engine, user: Principal, person_id: str
) -> tuple[SubjectAccessReport, list[AuditEntry]]:
    """The subject access report, cut to what the user may see, and recorded as a look.

    An IG lead sees the entries of their own staff and every read of their organisation's
    data about the person, whoever made it; the hub administrator sees every entry.
    """
    report = subject_access_report(engine, person_id)
    if user.sees_every_organisation:
        shown = list(report.entries)
    else:
        theirs = {
            r.entry.seq for r in data_reads(report.entries, owner_index(engine), user.organisation)
        }
        shown = [
            e for e in report.entries if e.organisation == user.organisation or e.seq in theirs
        ]
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
