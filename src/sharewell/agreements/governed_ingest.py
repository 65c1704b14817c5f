"""Ingest with its audit entry: every load (and every refused file) goes into the audit log.

The governed write path, beside the governed read (``governed.py``): the agreements decide
whether a partner may send identifiers at all (PPRL), and every load or refusal is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from sharewell.agreements.linkage_mode import refuse_plaintext_ingest
from sharewell.audit import AuditEvent, record
from sharewell.errors import IngestError, NotFound
from sharewell.ingest.load import IngestReport, ingest_file
from sharewell.ingest.mapping import Mapping
from sharewell.ingest.shrink import DEFAULT_HOLD_SHARE
from sharewell.partnership import get_user
from sharewell.store import Workspace
from sharewell.store.snapshot import publish_snapshot

__all__ = ["audited_ingest", "ingest_partner_extract", "record_ingest"]


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


def ingest_partner_extract(
    engine: Engine,
    workspace: Workspace,
    *,
    partner: str,
    path: Path,
    source_type: str | None,
    mapping: Mapping | Path | None,
    loaded_by: str,
    progress: Callable[[str], None] | None = None,
    accept_shrink: bool = False,
    hold_share: float = DEFAULT_HOLD_SHARE,
    allow_missing_columns: bool = False,
) -> IngestReport:
    """A partner's extract in clear, loaded and audited, wherever it arrives (CLI or web).

    A partner whose agreement says PPRL sends encodings, never identifiers: such a file is
    refused before anything is read, and the refusal is audited like any failed load.
    ``accept_shrink``, ``hold_share`` and ``allow_missing_columns`` are ``ingest_file``'s.
    """

    def load() -> IngestReport:
        refuse_plaintext_ingest(
            engine, partner=partner, file=path, source_type=source_type, mapping=mapping
        )
        return ingest_file(
            workspace,
            partner=partner,
            path=path,
            source_type=source_type,
            mapping=mapping,
            loaded_by=loaded_by,
            progress=progress,
            accept_shrink=accept_shrink,
            hold_share=hold_share,
            allow_missing_columns=allow_missing_columns,
        )

    report = audited_ingest(engine, load, actor=loaded_by, partner=partner, file=path)
    if report.held is None and not report.recognised:
        publish_snapshot(workspace.conn)  # the views read the new version's records
    return report


def record_ingest(
    engine: Engine, report: IngestReport, *, actor: str, organisation: str | None = None
) -> None:
    """The audit entry of one completed (or held) load: what, from whom, counts, file hash."""
    held = {"held": report.held.message} if report.held else {}
    record(
        engine,
        AuditEvent(
            actor=actor,
            action="ingest",
            target=f"{report.source_type} from {report.partner}: {Path(report.file).name}",
            outcome="held" if report.held else "ok",
            organisation=organisation or _organisation_of(engine, actor),
            detail={
                "dataset_version": report.dataset_version,
                "content_hash": report.content_hash,
                "rows_read": report.rows_read,
                "rows_accepted": report.rows_accepted,
                "rows_quarantined": report.rows_quarantined,
                "recognised": report.recognised,
                **held,
            },
        ),
    )
