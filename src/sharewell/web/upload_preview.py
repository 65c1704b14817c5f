"""Before an upload replaces a partner's data: the current version beside the new file.

An upload that would supersede a current version is first read into a scratch workspace of
its own (ingest's own checks and normalisers, nothing written to the hub), so the analyst
sees both side by side — rows, the dates the records cover, when each was loaded — and
decides. When the new file is much smaller, ingest's shrink rule (``shrink_hold``) says so,
and replacing needs an explicit confirmation.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sharewell.config import Settings
from sharewell.ingest import get_dataset_version, ingest_file, list_dataset_versions
from sharewell.ingest.load import file_hash
from sharewell.ingest.mapping import Mapping
from sharewell.ingest.shrink import ShrinkHold, shrink_hold
from sharewell.store import Workspace
from sharewell.web.data_dates import version_date_range
from sharewell.web.workspace import open_workspace

__all__ = ["UploadPreview", "VersionSummary", "preview_upload"]


@dataclass(frozen=True)
class VersionSummary:
    """One version of an extract, as the confirm step shows it."""

    file_name: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    first: date | None
    latest: date | None
    loaded_at: datetime | None = None  # None: not loaded yet (the new file)
    loaded_by: str | None = None
    dataset_version: int | None = None


@dataclass(frozen=True)
class UploadPreview:
    """The version an upload would replace, the upload itself, and the shrink rule's answer."""

    current: VersionSummary
    new: VersionSummary
    hold: ShrinkHold | None


def preview_upload(
    settings: Settings,
    *,
    path: Path,
    organisation: str,
    source_type: str,
    mapping: Mapping | None,
    username: str,
    progress: Callable[[str], None] | None = None,
) -> UploadPreview | None:
    """The comparison to confirm, or None when the upload replaces nothing (or is the same file).

    Raises:
        IngestError: the file cannot be used at all (as the real load would say).
    """
    if not settings.workspace_path().exists():
        return None
    key = str(settings.workspace_path())
    with open_workspace(settings) as ws:
        current = next(
            (
                v
                for v in list_dataset_versions(ws)
                if v.partner == organisation
                and v.source_type == source_type
                and v.status == "current"
            ),
            None,
        )
        if current is None or current.content_hash == file_hash(path):
            return None  # a first load, or this very file again: nothing to weigh up
        first, latest = version_date_range(ws.conn, current, key)
    scratch = Path(tempfile.mkdtemp(prefix="preview-", dir=path.parent))
    try:
        with Workspace(scratch / "preview.duckdb") as preview:
            report = ingest_file(
                preview,
                partner=organisation,
                path=path,
                source_type=source_type,
                mapping=mapping,
                loaded_by=username,
                progress=progress,
                allow_missing_columns=False,
            )
            loaded = get_dataset_version(preview, report.dataset_version)
            new_first, new_latest = version_date_range(preview.conn, loaded, None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return UploadPreview(
        current=VersionSummary(
            file_name=current.file_name,
            rows_read=current.rows_read,
            rows_accepted=current.rows_accepted,
            rows_quarantined=current.rows_quarantined,
            first=first,
            latest=latest,
            loaded_at=current.loaded_at,
            loaded_by=current.loaded_by,
            dataset_version=current.id,
        ),
        new=VersionSummary(
            file_name=path.name,
            rows_read=report.rows_read,
            rows_accepted=report.rows_accepted,
            rows_quarantined=report.rows_quarantined,
            first=new_first,
            latest=new_latest,
        ),
        hold=shrink_hold(
            partner=organisation,
            source_type=source_type,
            current_version=current.id,
            current_rows=current.rows_accepted,
            rows_read=report.rows_read,
            rows_accepted=report.rows_accepted,
            hold_share=settings.ingest_hold_share,
        ),
    )
