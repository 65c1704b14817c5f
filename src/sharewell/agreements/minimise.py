"""Data minimisation: give a recipient only what the decision permits, in the form it permits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sharewell.agreements.policy import Decision

__all__ = [
    "DEFAULT_MIN_CELL_SIZE",
    "STAND_INS",
    "aggregate_counts",
    "minimise_rows",
    "suppress_small_cells",
]

# In PPRL mode the hub holds, in place of an address or a date of birth, a coarser stand-in
# the partner derived from it (privacy/households.py). Whoever is granted the original field
# may have its stand-in: it is the same fact, coarser, never more.
STAND_INS: dict[str, tuple[str, ...]] = {
    "household_pseudonym": ("uprn", "address"),
    "age_band": ("date_of_birth",),
}

# Used only if an aggregate grant somehow lacks its own (validation requires one).
DEFAULT_MIN_CELL_SIZE = 10


def _flag_value(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    # Never echo the value: it may be exactly the diagnosis or narrative a flag must hide.
    raise TypeError(f"flag {field} must be true or false; the view passed something else")


def aggregate_counts(
    rows: Iterable[Mapping[str, Any]], by: Sequence[str], min_cell_size: int
) -> list[dict[str, Any]]:
    """Counts per combination of ``by``; cells below ``min_cell_size`` are suppressed.

    A row with a ``count`` key contributes that count (pre-aggregated in SQL); others count one.
    A suppressed cell keeps its dimensions, ``count`` becomes None and ``suppressed`` True.
    """
    cells: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row.get(f) for f in by)
        cells[key] = cells.get(key, 0) + int(row.get("count", 1))
    out = []
    for key in sorted(cells, key=lambda k: tuple((v is None, str(v)) for v in k)):
        n = cells[key]
        small = 0 < n < min_cell_size
        out.append(
            {**dict(zip(by, key, strict=True)), "count": None if small else n, "suppressed": small}
        )
    return out


def suppress_small_cells(
    rows: Iterable[Mapping[str, Any]],
    *,
    counts: Sequence[str],
    keep: Sequence[str],
    min_cell_size: int,
    person_key: str = "person_id",
) -> list[dict[str, Any]]:
    """Aggregates computed elsewhere, each row blanked when one of its ``counts`` is too small.

    A row whose count of people (any of ``counts``) is above nought and below
    ``min_cell_size`` keeps only its ``keep`` dimensions and ``suppressed`` True; every other
    row is kept whole with ``suppressed`` False. A row naming a person is a bug in the
    computation, never an aggregate, and is refused rather than passed on.
    """
    out = []
    for row in rows:
        if person_key in row:
            raise TypeError(f"an aggregate row carries {person_key}: aggregates name no one")
        small = any(0 < int(row.get(c) or 0) < min_cell_size for c in counts)
        if small:
            out.append({**{k: row.get(k) for k in keep}, "suppressed": True})
        else:
            out.append({**row, "suppressed": False})
    return out


def minimise_rows(
    decision: Decision,
    rows: Iterable[Mapping[str, Any]],
    person_key: str = "person_id",
    record_key: str | None = None,
) -> list[dict[str, Any]]:
    """Rows cut down to the permitted fields and level, whatever the source passed in.

    ``identifiable``/``pseudonymised`` keep the permitted fields; ``flag_only`` keeps the
    permitted flags as true/false; ``aggregate_only`` returns suppressed counts. The internal
    ``person_key`` is kept (except in aggregates) so the audit can say whose data was seen;
    so is ``record_key`` when given (a record's pseudonymous id, for a reveal by its provider).
    """
    if not decision.allowed or decision.level is None:
        raise ValueError("minimise_rows needs an allow decision")
    if decision.level == "aggregate_only":
        return aggregate_counts(
            rows, decision.fields, decision.min_cell_size or DEFAULT_MIN_CELL_SIZE
        )
    stand_ins = (
        []
        if decision.level == "flag_only"
        else [s for s, of in STAND_INS.items() if any(f in decision.fields for f in of)]
    )
    out = []
    for row in rows:
        kept: dict[str, Any] = {person_key: row[person_key]} if person_key in row else {}
        if record_key is not None and record_key in row:
            kept[record_key] = row[record_key]
        for f in decision.fields:
            kept[f] = _flag_value(row.get(f), f) if decision.level == "flag_only" else row.get(f)
        kept.update({s: row[s] for s in stand_ins if s in row})
        out.append(kept)
    return out
