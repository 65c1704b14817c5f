"""How a file's columns meet its mapping: found, ignored, missing — refused or warned about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sharewell.errors import IngestError
from sharewell.ingest.mapping import Mapping
from sharewell.ingest.readers import RawExtract
from sharewell.ingest.source_types import SourceType

__all__ = ["FileColumns", "resolve_columns"]


def _fold(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class FileColumns:
    """How the file's columns meet the mapping: what was found, ignored, missing, warned."""

    found: dict[str, int]
    ignored: tuple[str, ...]
    missing: tuple[str, ...]
    warnings: tuple[str, ...]


def resolve_columns(
    raw: RawExtract,
    mapping: Mapping,
    stype: SourceType,
    path: Path,
    *,
    explicit: bool,
    allow_missing: bool,
) -> FileColumns:
    """Match the mapping's columns to the file's; refuse or warn about the ones it lacks.

    A required column missing refuses the file. With an explicit mapping, an identifier
    column it names but the file lacks refuses the file too (its records could not be linked
    on it, silently) unless ``allow_missing``; any other mapped column missing is a warning.
    """
    exact = {name: i for i, name in enumerate(raw.columns)}
    folded: dict[str, int] = {}
    for i, name in enumerate(raw.columns):
        folded.setdefault(_fold(name), i)
    found: dict[str, int] = {}
    absent: list[tuple[str, str]] = []
    for partner_col, canonical in mapping.columns.items():
        index = exact.get(partner_col, folded.get(_fold(partner_col)))
        if index is None:
            absent.append((partner_col, canonical))
        elif canonical not in found:
            found[canonical] = index
    file_columns = f"The file's columns are: {', '.join(raw.columns) or '(none)'}"
    missing_required = [c for c in stype.required_columns if c not in found]
    if missing_required:
        wanted = {v: k for k, v in mapping.columns.items()}
        names = ", ".join(f"{c} (column {wanted.get(c, c)!r})" for c in missing_required)
        raise IngestError(
            f"{path.name}: required columns not found: {names}. {file_columns}. Check the "
            "mapping file and the delimiter; nothing was loaded"
        )
    absent = [(p, c) for p, c in absent if c not in found] if explicit else []
    identifiers = [(p, c) for p, c in absent if stype.columns[c].identifier]
    if identifiers and not allow_missing:
        names = ", ".join(f"{p!r} ({c})" for p, c in identifiers)
        raise IngestError(
            f"{path.name}: the mapping's identifier columns are not in the file: {names}. "
            f"{file_columns}. Without them these records would be linked on less than the "
            "mapping promises. Fix the file or the mapping, or load it allowing missing "
            "columns (--allow-missing-columns); nothing was loaded"
        )
    warnings = tuple(
        f"the mapping's column {p!r} ({c}) is not in the file: {c} is empty for every record"
        for p, c in absent
    )
    used = set(found.values())
    ignored = tuple(name for i, name in enumerate(raw.columns) if i not in used)
    missing = tuple(c for c in stype.columns if c not in found)
    return FileColumns(found, ignored, missing, warnings)
