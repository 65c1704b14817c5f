"""Dates people type, read the GOV.UK way (pure): one date input for every date on every page.

A date arrives as the design system's date input (``as_of-day``, ``as_of-month``,
``as_of-year``) or as one value (``as_of=2024-12-31`` in a link, or ``31/12/2024`` typed or
pasted into one of the boxes); each is read the same way. Errors say what is wrong in the words
the GOV.UK date input pattern uses ("Date of birth must be a real date").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

__all__ = ["PARTS", "DateField", "parse_date_text", "read_date"]

PARTS = ("day", "month", "year")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")


def parse_date_text(text: str) -> date | None:
    """A whole date as 2024-12-31 or 31/12/2024 (also 31.12.2024, 31-12-2024); None if not."""
    text = text.strip()
    if found := _ISO.match(text):
        year, month, day = found.groups()
    elif found := _UK.match(text):
        day, month, year = found.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


@dataclass(frozen=True)
class DateField:
    """One date input as submitted: its parts (to show again), the date, or what is wrong."""

    name: str
    parts: Mapping[str, str] = field(default_factory=dict)
    value: date | None = None
    error: str | None = None
    # which boxes to mark as wrong: all three, or the one that is missing or impossible
    error_parts: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """Whether anything was typed."""
        return any(self.parts.values())

    @property
    def error_href(self) -> str:
        """Where the error summary's link goes: the first box that is wrong."""
        return f"#{self.name}-{(self.error_parts or PARTS)[0]}"

    @property
    def iso(self) -> str:
        """The date as 2024-12-31 (for links), or empty."""
        return self.value.isoformat() if self.value else ""


def _parts_of(value: date) -> dict[str, str]:
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def read_date(
    values: Mapping[str, str],
    name: str,
    label: str,
    *,
    required: bool = False,
    default: date | None = None,
    past: bool = False,
    today: date | None = None,
) -> DateField:
    """Read the date input ``name`` from submitted ``values`` (a query string or a form).

    Args:
        values: the request's fields; ``{name}-day`` etc., or ``{name}`` as one value.
        label: the field's name in an error ("Date of birth").
        required: an empty date is an error; otherwise ``default`` is used.
        past: the date must not be after ``today`` (a date of birth).
    """
    raw = {p: (values.get(f"{name}-{p}") or "").strip() for p in PARTS}
    whole = (values.get(name) or "").strip()
    if not any(raw.values()) and whole:
        raw = {"day": whole, "month": "", "year": ""}
    filled = [raw[p] for p in PARTS if raw[p]]
    if len(filled) == 1 and not filled[0].isdigit():
        # a whole date typed or pasted into one box: 31/12/2024 or 2024-12-31
        parsed = parse_date_text(filled[0])
        if parsed is None:
            return DateField(name, raw, error=f"{label} must be a real date", error_parts=PARTS)
        return _checked(DateField(name, _parts_of(parsed), parsed), label, past, today)
    if not any(raw.values()):
        if required:
            return DateField(name, raw, error=f"Enter {label.lower()}", error_parts=PARTS)
        return DateField(name, _parts_of(default) if default else raw, default)
    missing = [p for p in PARTS if not raw[p]]
    if missing:
        words = " and ".join(f"a {p}" for p in missing)
        return DateField(
            name, raw, error=f"{label} must include {words}", error_parts=tuple(missing)
        )
    if not all(raw[p].isdigit() for p in PARTS):
        return DateField(name, raw, error=f"{label} must be a real date", error_parts=PARTS)
    if len(raw["year"]) != 4:
        return DateField(name, raw, error="Year must include 4 numbers", error_parts=("year",))
    try:
        value = date(int(raw["year"]), int(raw["month"]), int(raw["day"]))
    except ValueError:
        wrong = ("month",) if not 1 <= int(raw["month"]) <= 12 else ("day",)
        return DateField(name, raw, error=f"{label} must be a real date", error_parts=wrong)
    return _checked(DateField(name, raw, value), label, past, today)


def _checked(found: DateField, label: str, past: bool, today: date | None) -> DateField:
    if past and found.value is not None and found.value > (today or date.today()):
        return DateField(
            found.name, found.parts, error=f"{label} must be in the past", error_parts=PARTS
        )
    return found
