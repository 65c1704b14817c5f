"""The report: page 1 is the answer for every organisation; HTML and PDF from one template;
an Excel workbook whose formulas, recalculated, give the engine's figures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from sharewell.cli import main
from sharewell.savings import TEMPLATES, run_savings_demo
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.unit_costs import load_library

PARTNERS = (
    "Westshire County Council",
    "Westshire Fire and Rescue Service",
    "Westshire Police",
    "Westshire Mental Health NHS Trust",
    "NHS Westshire Integrated Care Board",
    "Westshire Ambulance Service NHS Trust",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The four templates' report, written by the CLI with few draws."""
    out = tmp_path_factory.mktemp("report")
    capsys_free = ["savings", "report", *TEMPLATES, "--out", str(out), "--draws", "300"]
    assert main([*capsys_free, "--json"]) == 0
    return {
        "html": str(out / "savings-report.html"),
        "pdf": str(out / "savings-report.pdf"),
        "workbook": str(out / "savings-workbook.xlsx"),
    }


def test_report_html_has_the_answer_first_then_every_section(report: dict[str, str]) -> None:
    html = Path(report["html"]).read_text()
    first = html.index("Will it save my organisation money?")
    for name in PARTNERS:
        assert 'data-organisation="westshire_' in html
        assert first < html.index(name)
    assert html.count('class="govuk-table__body sw-answer__box"') == len(PARTNERS)
    assert html.count("<svg") >= 6 * len(TEMPLATES) + 1  # six charts each, and the Shapley split
    for heading in (
        "Cost, cash back and capacity by organisation",
        "Named scenarios side by side",
        "Sharing the cost, proportional to benefit, counting cash",
        "Sharing the cost, proportional to benefit, counting cash and capacity",
        "Monte Carlo",
        "Switching values",
        "Unit costs used",
        "Inputs: central values, ranges and sources",
        "Optimism bias",
    ):
        assert heading in html, heading
    # Tables are tables, never pipe-joined text; the wording bugs are gone.
    assert " | " not in html.split("<body>")[1]
    assert "avoids -£" not in html and "£0 ahead" not in html and "Benefits of £0" not in html
    assert "The largest beneficiary" not in html
    # Where uprating came from, and which unit costs were not checked against their source.
    assert "GDP deflators at market prices" in html and "March 2026" in html
    assert "Checked against source" in html and ">no</td>" in html  # NCC.AE is unverified
    assert "Kane, Cattell and Wire (2021)" in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_page_one_answers_for_every_organisation(report: dict[str, str]) -> None:
    page_one = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", report["pdf"], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Will it save my organisation money?" in page_one
    for words in ("Cash NPV", "Capacity value", "Chance ahead", "Breaks even when", "Would pay"):
        assert words in page_one
    flat = " ".join(page_one.split())
    for name in PARTNERS:
        assert name in flat, name
    # Every organisation's row for the hub (the last initiative) is on page 1, to the last
    # row of the last box: the Ambulance Service's £145 of capacity.
    assert flat.count("Information-sharing hub") >= len(PARTNERS)
    assert "£145" in flat
    assert "page 1 of" in flat


def test_the_workbook_recalculates_to_the_engines_figures(tmp_path: Path) -> None:
    import formulas

    from sharewell.savings.analysis import analyse
    from sharewell.savings.workbook import write_workbook

    lib = load_library()
    hub = load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib)
    path = write_workbook([analyse(hub, lib, draws=200)], tmp_path / "book.xlsx")
    solved = formulas.ExcelModel().loads(str(path)).finish().calculate()

    def cell(ref: str) -> object:
        return solved[f"'[book.xlsx]ANSWER'!{ref}"].value[0][0]

    council = appraise(hub, lib).agency("westshire_cc")
    row = next(r for r in range(2, 9) if cell(f"B{r}") == "westshire_cc")
    assert float(cell(f"D{row}")) == pytest.approx(council.costs_pv, rel=1e-9)  # type: ignore[arg-type]
    assert float(cell(f"E{row}")) == pytest.approx(council.cashable_pv, rel=1e-9)  # type: ignore[arg-type]
    assert float(cell(f"F{row}")) == pytest.approx(council.cash_npv, rel=1e-9)  # type: ignore[arg-type]
    assert float(cell(f"G{row}")) == pytest.approx(council.capacity_pv, rel=1e-9)  # type: ignore[arg-type]
    assert float(cell(f"H{row}")) == pytest.approx(council.npv, rel=1e-9)  # type: ignore[arg-type]


def test_workbook_text_cannot_start_a_formula(tmp_path: Path, library, build) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from sharewell.savings.analysis import analyse
    from sharewell.savings.workbook import write_workbook

    evil = '=HYPERLINK("http://x","y")'
    outcome = {
        "name": evil,
        "events_avoided": 1,
        "confidence_grade": 1,
        "unit_costs": {"T.POLICE": 1},
    }
    path = write_workbook(
        [analyse(build(outcomes=[outcome]), library, draws=100)], tmp_path / "b.xlsx"
    )
    lines = load_workbook(path)["Lines"]
    items = [row[4].value for row in lines.iter_rows(min_row=2)]
    assert items and all(v == "'" + evil for v in items)


def test_report_without_pango_keeps_the_html_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name: str, *args: object, **kwargs: object) -> object:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    args = ["savings", "report", "street_triage", "--out", str(tmp_path), "--draws", "100"]
    assert main(args) == 3
    assert (tmp_path / "savings-report.html").is_file()
    assert (tmp_path / "savings-workbook.xlsx").is_file()
    assert not (tmp_path / "savings-report.pdf").exists()


@pytest.mark.slow
def test_demo_function_writes_the_report(tmp_path: Path) -> None:
    figures = run_savings_demo(tmp_path, draws=200, workspace=duckdb.connect())
    assert figures["safe haven evidence"].startswith("not measured: no hub user")
    assert Path(figures["report"]).is_file() and Path(figures["pdf"]).is_file()
    assert Path(figures["workbook"]).is_file()
    assert figures["hub: council answer"].startswith("Over 5 years Westshire County Council")
    json.dumps(figures)
