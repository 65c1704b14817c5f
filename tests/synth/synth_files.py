"""Helpers for reading a written partnership back, as a partner's recipient would."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


def read_extract(path: Path, sheet: str | None = None) -> list[dict[str, Any]]:
    """An extract's rows as dicts of the partner's own column names (CSV or Excel)."""
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        rows = list((book[sheet] if sheet else book.active).iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        return [dict(zip(header, r, strict=True)) for r in rows[1:]]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_table(path: Path) -> list[dict[str, str]]:
    """A truth CSV as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_date(value: Any) -> date | None:
    """A date in any of the partners' formats: 03/04/1950, 1950-04-03, 3 Apr 1950, Excel."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if "/" in text:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))
    if " " in text:
        d, mon, y = text.split(" ")
        return date(int(y), _MONTHS[mon], int(d))
    return date.fromisoformat(text)
