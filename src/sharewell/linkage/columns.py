"""Which columns of two person files hold which person fields, for ``link-files``.

Columns are recognised by their names (Forename, first_name, Surname, DOB, Gender, NHS no,
Middle initial, City...) or mapped with ``--map``; several address lines join into the one
address. Whatever is not used is listed, so an analyst can see what was left out and map
it. Pure: names in, mappings out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sharewell.errors import LinkageError
from sharewell.linkage.normalise import ADDRESS_LINE_SYNONYMS, FIELD_SYNONYMS, RAW_FIELDS

__all__ = [
    "DEFAULT_ID_COLUMN",
    "FieldMapping",
    "auto_mapping",
    "default_id_columns",
    "parse_mapping",
    "standard_field",
    "unused_columns",
]

# The project's own name for a partner's record id (DESIGN.md): used when both files have it.
DEFAULT_ID_COLUMN = "record_id"


@dataclass(frozen=True)
class FieldMapping:
    """One standard field (or extra column) and the column holding it in each file.

    A field may be mapped more than once only when it is the address: its lines are joined
    in the order given.
    """

    field: str
    left: str
    right: str


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def standard_field(*names: str) -> str | None:
    """The standard field a column name stands for, or None."""
    for name in names:
        key = _key(name)
        if key in ADDRESS_LINE_SYNONYMS:
            return "address"
        found = FIELD_SYNONYMS.get(key)
        if found:
            return found
    return None


def parse_mapping(entries: Sequence[str]) -> list[FieldMapping]:
    """Parse ``[FIELD:]LEFTCOL[=RIGHTCOL]`` entries; the field is inferred from the names.

    A column that is not a standard field (by name or common synonym) becomes an extra
    column named after the left column.
    """
    out: list[FieldMapping] = []
    for entry in entries:
        explicit, _, cols = entry.rpartition(":") if ":" in entry else ("", "", entry)
        left, _, right = cols.partition("=")
        left, right = left.strip(), (right.strip() or left.strip())
        if not left:
            raise LinkageError(f"--map {entry!r}: expected LEFTCOL=RIGHTCOL")
        if explicit and explicit not in RAW_FIELDS:
            raise LinkageError(
                f"--map {entry!r}: {explicit!r} is not a standard field ({', '.join(RAW_FIELDS)})"
            )
        name = explicit or standard_field(left, right) or _key(left)
        if not name or not name.isidentifier():
            raise LinkageError(f"--map {entry!r}: cannot name a column after {left!r}")
        out.append(FieldMapping(name, left, right))
    names = [m.field for m in out if m.field != "address"]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LinkageError(f"--map names the field(s) {', '.join(dupes)} more than once")
    return out


def auto_mapping(
    left_cols: Sequence[str], right_cols: Sequence[str], skip: Sequence[str] = ()
) -> list[FieldMapping]:
    """Columns whose names both files use for the same field, in the left file's order.

    Address lines pair by name where both files have the same line (``address_1``), else
    in order: the first address line of one file with the first of the other.
    """
    skipped = set(skip)
    left_by: dict[str, list[str]] = {}
    right_by: dict[str, list[str]] = {}
    for cols, by in ((left_cols, left_by), (right_cols, right_by)):
        for col in cols:
            f = standard_field(col)
            if f and col not in skipped:
                by.setdefault(f, []).append(col)
    out: list[FieldMapping] = []
    for f, lcols in left_by.items():
        rcols = right_by.get(f)
        if not rcols:
            continue
        if f != "address":
            out.append(FieldMapping(f, lcols[0], rcols[0]))
            continue
        same = [c for c in lcols if c in rcols]
        if len(same) == len(lcols) == len(rcols):
            out += [FieldMapping(f, c, c) for c in same]
        else:
            # Different layouts (a house number column on one side only): join each side's
            # lines in its own order; the two sides need not have as many lines.
            out.append(FieldMapping(f, "+".join(lcols), "+".join(rcols)))
    return out


def default_id_columns(
    left_cols: Sequence[str], right_cols: Sequence[str] | None
) -> tuple[str | None, str | None]:
    """``record_id`` on each side that has it (the project's own name), else None."""
    left = DEFAULT_ID_COLUMN if DEFAULT_ID_COLUMN in left_cols else None
    if right_cols is None:
        return left, None
    right = DEFAULT_ID_COLUMN if DEFAULT_ID_COLUMN in right_cols else None
    return left, right


def unused_columns(
    columns: Sequence[str], mapping: Sequence[FieldMapping], side: str, id_column: str | None
) -> list[str]:
    """Columns of one file that no mapping reads (nor the id column)."""
    used = {id_column} | {
        c for m in mapping for c in (m.left if side == "left" else m.right).split("+")
    }
    return [c for c in columns if c not in used]
