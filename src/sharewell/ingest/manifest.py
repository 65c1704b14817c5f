"""Load every extract a partnership directory lists in its ``manifest.json`` (docs/extracts.md)."""

from __future__ import annotations

import json
from pathlib import Path

from sharewell.errors import IngestError
from sharewell.ingest.load import IngestReport, Progress, ingest_file
from sharewell.store.workspace import Workspace

__all__ = ["ingest_manifest"]


def ingest_manifest(
    workspace: Workspace, directory: Path, *, loaded_by: str, progress: Progress | None = None
) -> list[IngestReport]:
    """Ingest each extract of ``directory/manifest.json`` with its mapping, in order.

    Each extract is its own all-or-nothing load; the ground truth (``truth/``) is never read.
    """
    path = directory / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        extracts = manifest["extracts"]
    except FileNotFoundError:
        raise IngestError(
            f"{path} does not exist; is {directory} a partnership directory?"
        ) from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise IngestError(f"{path} is not a manifest with an 'extracts' list: {exc}") from exc
    reports = []
    for entry in extracts:
        try:
            partner, source, file = entry["partner"], entry["source_type"], entry["file"]
        except (KeyError, TypeError):
            raise IngestError(
                f"{path}: each extract needs partner, source_type and file; got {entry!r}"
            ) from None
        mapping = entry.get("mapping")
        reports.append(
            ingest_file(
                workspace,
                partner=partner,
                source_type=source,
                path=directory / file,
                mapping=directory / mapping if mapping else None,
                loaded_by=loaded_by,
                progress=progress,
            )
        )
    return reports
