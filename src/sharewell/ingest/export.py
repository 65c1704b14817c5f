"""Safe exports: CSV and Excel writers whose cells can never start a spreadsheet formula.

A value such as ``=HYPERLINK("http://evil","click")`` in a partner's extract would run as a
formula when a fire crew opens the visit list in Excel (CSV injection). Every writer here
passes text through ``safe_cell``, which prefixes such a value with an apostrophe, the
neutraliser OWASP recommends; numbers stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "safe_cell", "write_csv", "write_xlsx"]

# Characters that make Excel, LibreOffice or Google Sheets treat a cell as a formula or DDE.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A plain signed number (-12, +3.5) cannot run anything; leave it readable.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` made safe to write as a spreadsheet cell; text that could start a formula is
    prefixed with an apostrophe, everything else is returned unchanged."""
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(" ")
    if stripped.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(stripped):
        return "'" + value
    return value


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and rows to a UTF-8 CSV (with BOM, so Excel reads accents); returns rows."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([safe_cell(c) for c in columns])
        for row in rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
            count += 1
    return count


def write_xlsx(
    path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Data"
) -> int:
    """Write a header and rows to an .xlsx workbook, text always stored as text; returns rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    worksheet.append([safe_cell(c) for c in columns])
    count = 0
    for row in rows:
        worksheet.append([_xlsx_value(v) for v in row])
        count += 1
    workbook.save(path)
    return count


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return value
    # openpyxl stores a str starting with '=' as a formula; safe_cell stops that.
    return safe_cell(str(value))
