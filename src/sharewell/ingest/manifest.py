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
                path=_inside(directory, file, path),
                mapping=_inside(directory, mapping, path) if mapping else None,
                loaded_by=loaded_by,
                progress=progress,
            )
        )
    return reports


def _inside(directory: Path, name: object, manifest: Path) -> Path:
    """``name`` within ``directory``; a manifest may not reach files outside its partnership."""
    if not isinstance(name, str) or not name:
        raise IngestError(f"{manifest}: file names must be text; got {name!r}")
    resolved = (directory / name).resolve()
    if not resolved.is_relative_to(directory.resolve()):
        raise IngestError(
            f"{manifest}: {name!r} is outside the partnership directory {directory}; list files "
            "by their path inside it"
        )
    return directory / name
