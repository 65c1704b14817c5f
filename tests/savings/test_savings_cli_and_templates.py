"""The savings commands answer in plain English, write reports, and list unit costs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from sharewell.cli import ExitCode, main
from sharewell.savings import TEMPLATES, run_savings_demo
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.unit_costs import load_library

DOCS = Path(__file__).parents[2] / "docs" / "savings.md"


def test_ask_answers_in_plain_english_before_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["savings", "ask", "information_sharing_hub", "--org", "westshire_cc"]) == 0
    out = capsys.readouterr().out
    first = " ".join(out.split())
    assert first.startswith("Over 5 years Westshire County Council spends £")
    assert re.search(r"avoids £[\d,]+ of its own costs \(£[\d,]+ cashable\)", first)
    assert "The largest beneficiary is Westshire Police" in first
    assert first.index("Over 5 years") < first.index("Payback")


def test_ask_json_matches_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["savings", "ask", "safe_haven", "--org", "westshire_mht", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    lib = load_library()
    ap = appraise(load_initiative(TEMPLATES_DIR / "safe_haven.yaml", lib), lib)
    mht = ap.agency("westshire_mht")
    assert report["costs"] == pytest.approx(mht.costs_pv)
    assert report["npv"] == pytest.approx(mht.npv)
    assert report["answer"].startswith("Over 5 years Westshire Mental Health NHS Trust spends")
    # Every line behind the organisation's figures comes with the answer.
    pv = sum(
        ln["present_value"]
        for ln in report["lines"]
        if ln["value_type"] == "fiscal" and ln["kind"] == "benefit"
    )
    assert pv == pytest.approx(mht.benefits_pv)
    assert sum(r["proposed"] for r in report["cost_share"]["rows"]) == pytest.approx(
        ap.total.costs_pv
    )


def test_ask_says_how_big_the_police_mh_share_must_be_for_the_council(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["savings", "ask", "information_sharing_hub", "--org", "westshire_cc", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    share = report["switching_values"]["police_mh_share"]
    # Above the census figures (5.1%, 7.8% of contacts given a response), below the 20% quoted.
    assert 0.078 < share < 0.20
    assert f"is at least {share:.1%}" in report["uncertainty"]
    assert report["npv_p5"] < report["npv"] < report["npv_p95"]
    assert 0 < report["probability_ahead"] < 1


def test_ask_for_an_organisation_not_in_the_partnership(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["savings", "ask", "safe_haven", "--org", "surrey_cc"])
    assert code == ExitCode.NOT_FOUND
    assert "westshire_cc" in capsys.readouterr().err


def test_ask_with_local_unit_costs_says_which_were_used(
    local_costs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ae = tmp_path / "ae.csv"
    ae.write_text(
        "code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source\n"
        "NCC.AE,A&E attendance (local),attendance,icb,fiscal,260,2024/25,0.3,2,Westshire ICB\n"
    )
    args = ["savings", "ask", "safe_haven", "--org", "westshire_icb", "--local-costs", str(ae)]
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["local_unit_costs"] == ["NCC.AE"]


def test_report_writes_html_and_pdf_with_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["savings", "report", "safe_haven", "information_sharing_hub", "--out", str(tmp_path)]
    assert main([*args, "--draws", "500", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)
    html = Path(files["html"]).read_text()
    assert html.count("<svg") >= 13  # six charts per initiative and the Shapley split
    for heading in (
        "Benefit by organisation",
        "Cost and benefit over time",
        "Tornado",
        "Cost-share proposal",
        "Unit costs used",
        "Switching values",
    ):
        assert heading in html
    assert "Over 5 years Westshire County Council" in html
    # The reader is told where uprating came from and which unit costs were checked.
    assert "GDP deflators at market prices" in html and "March 2026" in html
    assert "Checked against source" in html and "<td>no</td>" in html  # NCC.AE is unverified
    assert Path(files["pdf"]).read_bytes()[:5] == b"%PDF-"


def test_unit_costs_uprated_to_a_price_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["savings", "unit-costs", "--price-year", "2024/25", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    codes = {c["code"]: c for c in data["unit_costs"]}
    assert {"S136.DETENTION", "PMH.1", "NCC.AE", "HE7.10", "FI3.0"} <= set(codes)
    assert all(c["price_year"] == "2024/25" for c in codes.values())
    assert main(["savings", "unit-costs", "--price-year", "1999/00"]) == ExitCode.BAD_INPUT


def test_evidence_command_reads_csv_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.csv as pcsv
    from savings_synthetic import generate

    data = generate(people=4000, seed=2)
    pcsv.write_csv(data.events, tmp_path / "events.csv")
    pcsv.write_csv(data.cohort, tmp_path / "cohort.csv")
    args = [
        "savings",
        "evidence",
        "--events",
        str(tmp_path / "events.csv"),
        "--cohort",
        str(tmp_path / "cohort.csv"),
        "--json",
    ]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert set(result["estimates"]) == {"police_mh_incident", "ambulance_callout", "s136_detention"}


def test_evidence_from_a_hub_without_linked_data_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = str(tmp_path / "hub")
    assert main(["init", hub]) == 0
    assert main(["partnership", "seed-demo", "--hub", hub]) == 0
    capsys.readouterr()
    # Partner events are read as a user, through the policy: no --user, no read.
    assert main(["savings", "evidence", "--hub", hub]) == ExitCode.USAGE
    assert "--user" in capsys.readouterr().err
    evidence = ["savings", "evidence", "--user", "westshire_cc.analyst", "--hub", hub]
    assert main(evidence) == ExitCode.BAD_INPUT
    assert "run `sharewell link` first" in capsys.readouterr().err
    denied = ["savings", "evidence", "--user", "westshire_fire.frontline", "--hub", hub]
    assert main(denied) == ExitCode.DENIED


@pytest.mark.parametrize("slug", TEMPLATES)
def test_every_template_loads_and_has_costs_and_benefits(slug: str) -> None:
    lib = load_library()
    ap = appraise(load_initiative(TEMPLATES_DIR / f"{slug}.yaml", lib), lib)
    assert ap.total.costs_pv > 0 and ap.total.benefits_pv > 0
    assert set(ap.initiative.partners) == {
        "westshire_cc",
        "westshire_fire",
        "westshire_police",
        "westshire_mht",
        "westshire_icb",
        "westshire_ambulance",
    }


def test_every_unit_cost_has_a_source_grade_and_is_documented() -> None:
    docs = DOCS.read_text()
    for cost in load_library().costs.values():
        assert cost.source and 1 <= cost.confidence_grade <= 6, cost.code
        assert f"`{cost.code}`" in docs, f"{cost.code} is not in docs/savings.md"


@pytest.mark.slow
def test_demo_function_writes_the_report(tmp_path: Path) -> None:
    figures = run_savings_demo(tmp_path, draws=200, workspace=duckdb.connect())
    assert figures["safe haven evidence"].startswith("not measured: no hub user")
    assert Path(figures["report"]).is_file() and Path(figures["pdf"]).is_file()
    assert figures["hub: council answer"].startswith("Over 5 years Westshire County Council")


def test_long_text_runs_onto_more_pdf_pages_rather_than_being_cut() -> None:
    from sharewell.savings.report import _text_pages

    pages = _text_pages([f"line {i}" for i in range(120)], "Title")
    assert len(pages) > 1
    shown = [t.get_text() for p in pages for t in p.texts if t.get_text().startswith("line")]
    assert shown == [f"line {i}" for i in range(120)]
