"""Retention: which dataset versions have outlived every agreement they were shared under.

The decision is pure. ``run_retention`` is the thin edge: it takes the held dataset versions
and a delete callable (the workspace's), deletes what is due and audits counts, not contents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from sharewell.agreements.model import Agreement
from sharewell.agreements.policy import newest_versions
from sharewell.audit import append_change, audit_transaction

__all__ = [
    "Delete",
    "HeldDataset",
    "RetentionDecision",
    "RetentionReport",
    "retention_decisions",
    "run_retention",
]


class HeldDataset(Protocol):
    """A dataset version held in the workspace (ingest's ``DatasetVersion`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def partner(self) -> str: ...
    @property
    def source_type(self) -> str: ...
    @property
    def loaded_at(self) -> datetime: ...
    @property
    def rows_accepted(self) -> int: ...


@dataclass(frozen=True)
class RetentionDecision:
    """Whether one dataset version is due for deletion, and why."""

    dataset_version: int
    partner: str
    source_type: str
    rows: int
    agreements: tuple[str, ...]
    retention_days: int | None
    delete_after: date | None
    due: bool
    reason: str


@dataclass(frozen=True)
class RetentionReport:
    """What a retention run found and deleted."""

    run_on: date
    dry_run: bool
    decisions: tuple[RetentionDecision, ...]
    deleted_versions: int
    deleted_rows: int


def retention_decisions(
    held: Iterable[HeldDataset], agreements: Iterable[Agreement], today: date
) -> list[RetentionDecision]:
    """Decide each dataset version (pure).

    A version is kept for the longest retention period of the agreements (not drafts: they
    were never in force) under which its partner provides its source type, counted from the
    day it was loaded. A version no agreement covers is reported, not deleted: the IG lead
    decides, since it may predate the agreement being recorded.
    """
    in_force = [a for a in newest_versions(agreements) if a.status != "draft"]
    decisions = []
    for ds in held:
        covering = [
            a
            for a in in_force
            if any(
                p.organisation == ds.partner and ds.source_type in p.datasets for p in a.providers
            )
        ]
        if not covering:
            decisions.append(
                RetentionDecision(
                    ds.id,
                    ds.partner,
                    ds.source_type,
                    ds.rows_accepted,
                    (),
                    None,
                    None,
                    False,
                    f"no agreement covers {ds.source_type} from {ds.partner}: kept; review it",
                )
            )
            continue
        keep = max(a.retention_days for a in covering)
        delete_after = ds.loaded_at.date() + timedelta(days=keep)
        due = today > delete_after
        ids = tuple(sorted(a.id for a in covering))
        reason = (
            f"loaded {ds.loaded_at.date()}, retention {keep} days ended {delete_after}"
            if due
            else f"retained until {delete_after} ({keep} days under {', '.join(ids)})"
        )
        decisions.append(
            RetentionDecision(
                ds.id,
                ds.partner,
                ds.source_type,
                ds.rows_accepted,
                ids,
                keep,
                delete_after,
                due,
                reason,
            )
        )
    return decisions


# Deletes one dataset version; may return what it removed (e.g. records, quarantine rows).
Delete = Callable[[int], Mapping[str, int] | None]


def run_retention(
    engine: Engine,
    held: Sequence[HeldDataset],
    agreements: Iterable[Agreement],
    delete: Delete,
    *,
    actor: str,
    today: date | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Delete every dataset version that is due, each with its audit entry (counts only)."""
    run_on = today or datetime.now(UTC).date()
    decisions = retention_decisions(held, agreements, run_on)
    deleted_versions = deleted_rows = 0
    for d in decisions:
        if not d.due or dry_run:
            continue
        # The audit lock is taken first, then the delete runs, then its entry is appended
        # with the counts it reports: a failed delete leaves no entry, and a delete that
        # succeeded is recorded by a writer already holding the lock.
        with audit_transaction(engine) as conn:
            removed = delete(d.dataset_version)
            append_change(
                conn,
                actor=actor,
                action="deletion",
                target=f"dataset version {d.dataset_version} of {d.source_type}",
                organisation=d.partner,
                agreement_id=d.agreements[0] if len(d.agreements) == 1 else None,
                detail={
                    "reason": "retention",
                    "dataset_version": d.dataset_version,
                    "source_type": d.source_type,
                    "rows_deleted": d.rows,
                    "removed": dict(removed or {}),
                    "retention_days": d.retention_days,
                    "delete_after": str(d.delete_after),
                    "agreements": list(d.agreements),
                },
            )
        deleted_versions += 1
        deleted_rows += d.rows
    return RetentionReport(run_on, dry_run, tuple(decisions), deleted_versions, deleted_rows)
