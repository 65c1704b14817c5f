"""The savings commands answer in plain English, cash first, and list unit costs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sharewell.cli import ExitCode, main
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.unit_costs import load_library


def test_ask_answers_cash_first_then_capacity_before_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["savings", "ask", "information_sharing_hub", "--org", "westshire_cc"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("Over 5 years Westshire County Council pays £")
    assert re.search(r"gets £[\d,]+ back in cash: a cash NPV of -£[\d,]+", out)
    assert re.search(r"It also frees capacity worth £[\d,]+", out)
    assert "Most of the benefit goes to Westshire Police" in out
    assert "all of it capacity, none cash" in out
    assert (
        out.index("Over 5 years")
        < out.index("present values, 2024/25")
        < out.index("Scenarios for")
    )


def test_ask_json_matches_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["savings", "ask", "safe_haven", "--org", "westshire_mht", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    lib = load_library()
    ap = appraise(load_initiative(TEMPLATES_DIR / "safe_haven.yaml", lib), lib)
    mht = ap.agency("westshire_mht")
    assert report["costs"] == pytest.approx(mht.costs_pv)
    assert report["cash_npv"] == pytest.approx(mht.cashable_pv - mht.costs_pv)
    assert report["capacity_value"] == pytest.approx(mht.benefits_pv - mht.cashable_pv)
    assert report["npv"] == pytest.approx(mht.npv)
    assert report["answer"].startswith("Over 5 years Westshire Mental Health NHS Trust pays")
    # Every line behind the organisation's figures comes with the answer.
    pv = sum(
        ln["present_value"]
        for ln in report["lines"]
        if ln["value_type"] == "fiscal" and ln["kind"] == "benefit"
    )
    assert pv == pytest.approx(mht.benefits_pv)
    # The cash benefits do not cover the cost, so no split is proposed, and it says so.
    assert report["pays_under_proposal"] is None
    assert all(r["proposed"] is None for r in report["cost_share"]["rows"])
    assert "No split of the cost leaves every partner ahead" in report["cost_share"]["note"]
    assert [s["scenario"] for s in report["scenarios"]] == [
        "central",
        "no_bed_days",
        "cost_overrun",
    ]


def test_ask_says_how_big_the_police_mh_share_must_be_for_the_council(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["savings", "ask", "information_sharing_hub", "--org", "westshire_cc", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    share = report["switching_values"]["police_mh_share"]
    # Above the census figures (5.1%, 7.8% of contacts given a response), and above the 20%.
    assert share > 0.2
    assert f"is at least {share:.1%}" in report["uncertainty"]
    assert report["npv_p5"] < report["npv"] < report["npv_p95"]
    assert report["probability_cash_ahead"] == 0  # the council's benefits are mostly capacity
    assert report["cash_npv"] < report["npv"]


def test_ask_for_an_organisation_not_in_the_partnership(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["savings", "ask", "safe_haven", "--org", "surrey_cc"])
    assert code == ExitCode.NOT_FOUND
    assert "westshire_cc" in capsys.readouterr().err


def test_ask_takes_the_partners_from_the_hub(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = tmp_path / "hub"
    assert main(["init", str(hub)]) == 0
    for slug, name, kind in (
        ("eastmoor_cc", "Eastmoor County Council", "local_authority"),
        ("eastmoor_police", "Eastmoor Constabulary", "police"),
        ("eastmoor_fire", "Eastmoor Fire and Rescue Service", "fire"),
    ):
        args = ["org", "add", slug, "--name", name, "--type", kind, "--hub", str(hub)]
        assert main(args) == 0, capsys.readouterr()
    capsys.readouterr()
    args = ["savings", "ask", "information_sharing_hub", "--org", "eastmoor_cc", "--hub", str(hub)]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answer"].startswith("Over 5 years Eastmoor County Council pays")
    assert "Westshire" not in json.dumps(report)


def test_ask_with_local_unit_costs_says_which_were_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ae = tmp_path / "ae.csv"
    ae.write_text(
        "code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source\n"
        "NCC.AE,A&E attendance (local),attendance,icb,fiscal,260,2024/25,0.3,2,Westshire ICB\n"
    )
    args = ["savings", "ask", "safe_haven", "--org", "westshire_icb", "--local-costs", str(ae)]
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["local_unit_costs"] == ["NCC.AE"]


def test_unit_costs_uprated_to_a_price_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["savings", "unit-costs", "--price-year", "2024/25", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    codes = {c["code"]: c for c in data["unit_costs"]}
    assert {"S136.DETENTION", "PMH.1", "NCC.AE", "HE7.10", "FI3.0"} <= set(codes)
    assert all(c["price_year"] == "2024/25" for c in codes.values())
    assert main(["savings", "unit-costs", "--price-year", "1999/00"]) == ExitCode.BAD_INPUT


def _evidence_files(tmp_path: Path, effect: float, seed: int, people: int = 20000) -> list[str]:
    import pyarrow.csv as pcsv
    from savings_synthetic import generate

    data = generate(people=people, relative_effect=effect, seed=seed)
    for name in ("events", "cohort", "people"):
        pcsv.write_csv(getattr(data, name), tmp_path / f"{name}.csv")
    return [f"--{n}={tmp_path / f'{n}.csv'}" for n in ("events", "cohort", "people")]


def test_evidence_command_reads_csv_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _evidence_files(tmp_path, effect=-0.4, seed=2)
    assert main(["savings", "evidence", *files, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert set(result["estimates"]) == {"police_mh_incident", "ambulance_callout", "s136_detention"}
    assert result["balance"] and all(abs(b["smd_after"]) < 0.1 for b in result["balance"])


def test_evidence_on_a_null_effect_says_no_clear_effect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["savings", "evidence", *_evidence_files(tmp_path, effect=0.0, seed=3)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "No clear effect on any outcome" in out
    assert "Balance (standardised mean differences)" in out


def test_evidence_on_a_30_person_cohort_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _evidence_files(tmp_path, effect=-0.4, seed=4, people=2000)
    cohort = tmp_path / "cohort.csv"
    lines = cohort.read_text().splitlines()
    cohort.write_text("\n".join(lines[:31]) + "\n")
    assert main(["savings", "evidence", *files]) == ExitCode.BAD_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "the cohort has 30 people" in err and "at least 50 matched" in err


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
