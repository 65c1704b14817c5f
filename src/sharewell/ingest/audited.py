"""Ingest with its audit entry: every load (and every refused file) goes into the audit log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from sharewell.audit import AuditEvent, record
from sharewell.errors import IngestError, NotFound
from sharewell.ingest.load import IngestReport
from sharewell.partnership import get_user

__all__ = ["audited_ingest", "record_ingest"]


def _organisation_of(engine: Engine, actor: str) -> str | None:
    try:
        return get_user(engine, actor).organisation
    except NotFound:
        return None  # e.g. the CLI's default actor, or an automated loader


def audited_ingest(
    engine: Engine, load: Callable[[], IngestReport], *, actor: str, partner: str, file: Path
) -> IngestReport:
    """Run ``load`` and record it: ``ok`` with the counts, or ``failed`` with the reason.

    The load commits in the workspace first; the entry follows at once, so a load that
    succeeded is never missing from the log unless the operational store itself is down,
    in which case the error says so and the operator reruns (loads are idempotent).
    """
    organisation = _organisation_of(engine, actor)
    try:
        report = load()
    except IngestError as exc:
        record(
            engine,
            AuditEvent(
                actor=actor,
                action="ingest",
                target=f"{file.name} from {partner}",
                outcome="failed",
                organisation=organisation,
                detail={"reason": str(exc)},
            ),
        )
        raise
    record_ingest(engine, report, actor=actor, organisation=organisation)
    return report


def record_ingest(
    engine: Engine, report: IngestReport, *, actor: str, organisation: str | None = None
) -> None:
    """The audit entry of one completed load: what, from whom, the counts and the file hash."""
    record(
        engine,
        AuditEvent(
            actor=actor,
            action="ingest",
            target=f"{report.source_type} from {report.partner}: {Path(report.file).name}",
            outcome="ok",
            organisation=organisation or _organisation_of(engine, actor),
            detail={
                "dataset_version": report.dataset_version,
                "content_hash": report.content_hash,
                "rows_read": report.rows_read,
                "rows_accepted": report.rows_accepted,
                "rows_quarantined": report.rows_quarantined,
                "recognised": report.recognised,
            },
        ),
    )
