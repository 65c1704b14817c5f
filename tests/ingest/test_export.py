"""Safe exports: no cell written by sharewell can start a spreadsheet formula."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from sharewell.ingest import safe_cell, write_csv, write_xlsx
from sharewell.ingest.export import FORMULA_TRIGGERS

INJECTIONS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


def test_formula_strings_are_neutralised_and_plain_values_are_not() -> None:
    for text in INJECTIONS:
        assert safe_cell(text) == "'" + text
    for value in ("Smith", "-12", "+3.5", 42, None, "", "a=b"):
        assert safe_cell(value) == value


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_comes_out_safe_and_recoverable(text: str) -> None:
    out = safe_cell(text)
    if out != text:
        assert out == "'" + text
    else:
        stripped = text.lstrip(" ")
        assert (
            not stripped.startswith(FORMULA_TRIGGERS)
            or stripped.lstrip("+-").replace(".", "").isdigit()
        )


def test_csv_writer_neutralises_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, ["name", "=evil"], [[text, None] for text in INJECTIONS]) == len(
        INJECTIONS
    )
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["name", "'=evil"]
    assert all(r[0].startswith("'") and r[1] == "" for r in rows[1:])


def test_xlsx_writer_stores_text_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["name", "count"], [[text, 3] for text in INJECTIONS])
    sheet = load_workbook(path).active
    assert sheet is not None
    cells = [row for row in sheet.iter_rows(min_row=2)]
    assert all(c[0].data_type == "s" and c[0].value.startswith("'") for c in cells)
    assert all(c[1].value == 3 for c in cells)
