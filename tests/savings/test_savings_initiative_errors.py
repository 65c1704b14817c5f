"""Bad initiative files fail with one clear error naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from savings_helpers import initiative_data

from sharewell.cli import ExitCode, main
from sharewell.errors import NotFound, SavingsError
from sharewell.savings.initiative import load_initiative
from sharewell.savings.unit_costs import UnitCostLibrary


def _write(tmp_path: Path, data: Any, name: str = "haven.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _error(path: Path, library: UnitCostLibrary) -> str:
    with pytest.raises(SavingsError) as exc:
        load_initiative(path, library)
    return str(exc.value)


def test_unknown_unit_cost_names_file_outcome_and_code(
    tmp_path: Path, library: UnitCostLibrary
) -> None:
    outcome = {"name": "o", "events_avoided": 1, "confidence_grade": 1, "unit_costs": {"XX9": 1}}
    msg = _error(_write(tmp_path, initiative_data(outcomes=[outcome])), library)
    assert msg.startswith("haven.yaml: outcomes.0.unit_costs")
    assert "unknown unit cost 'XX9'" in msg


def test_negative_horizon_is_refused(tmp_path: Path, library: UnitCostLibrary) -> None:
    msg = _error(_write(tmp_path, initiative_data(horizon_years=-5)), library)
    assert "haven.yaml: horizon_years" in msg
    assert "greater than 0" in msg


def test_cost_shares_must_sum_to_one(tmp_path: Path, library: UnitCostLibrary) -> None:
    costs = [
        {"item": "Staff", "running": 1, "paid_by": {"westshire_cc": 0.5, "westshire_police": 0.3}}
    ]
    msg = _error(_write(tmp_path, initiative_data(costs=costs)), library)
    assert "haven.yaml: costs.0.paid_by" in msg
    assert "sum to 0.8, not 1" in msg


def test_missing_price_year_is_named(tmp_path: Path, library: UnitCostLibrary) -> None:
    data = initiative_data()
    del data["price_year"]
    msg = _error(_write(tmp_path, data), library)
    assert "haven.yaml: price_year: missing" in msg


def test_price_year_must_be_a_financial_year(tmp_path: Path, library: UnitCostLibrary) -> None:
    msg = _error(_write(tmp_path, initiative_data(price_year="2024")), library)
    assert "haven.yaml: price_year" in msg and "2023/24" in msg


def test_payer_must_be_a_partner(tmp_path: Path, library: UnitCostLibrary) -> None:
    costs = [{"item": "Staff", "running": 1, "paid_by": "westshire_parish"}]
    msg = _error(_write(tmp_path, initiative_data(costs=costs)), library)
    assert "costs.0.paid_by: 'westshire_parish' is not one of the partners" in msg


def test_outcome_needs_events_or_evidence(tmp_path: Path, library: UnitCostLibrary) -> None:
    outcome = {"name": "o", "confidence_grade": 1, "unit_costs": {"T.POLICE": 1}}
    msg = _error(_write(tmp_path, initiative_data(outcomes=[outcome])), library)
    assert "outcomes.0" in msg and "events_avoided" in msg


def test_misspelt_key_is_refused_not_ignored(tmp_path: Path, library: UnitCostLibrary) -> None:
    msg = _error(_write(tmp_path, initiative_data(dead_weight=0.2)), library)
    assert "haven.yaml: dead_weight" in msg


def test_unknown_parameter_in_times(tmp_path: Path, library: UnitCostLibrary) -> None:
    outcome = {
        "name": "o",
        "events_avoided": 1,
        "times": ["nope"],
        "confidence_grade": 1,
        "unit_costs": {"T.POLICE": 1},
    }
    msg = _error(_write(tmp_path, initiative_data(outcomes=[outcome])), library)
    assert "outcomes.0.times: no parameter named 'nope'" in msg


def test_not_yaml_and_missing_file(tmp_path: Path, library: UnitCostLibrary) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    assert "bad.yaml: not valid YAML" in _error(bad, library)
    with pytest.raises(NotFound, match=r"none\.yaml does not exist"):
        load_initiative(tmp_path / "none.yaml", library)


def test_cli_reports_a_bad_file_as_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, initiative_data(horizon_years=-1))
    assert main(["savings", "ask", str(path), "--org", "westshire_cc"]) == ExitCode.BAD_INPUT
    assert "haven.yaml: horizon_years" in capsys.readouterr().err
    assert main(["savings", "ask", "no_such_initiative", "--org", "westshire_cc"]) == (
        ExitCode.NOT_FOUND
    )
    assert "shipped templates: information_sharing_hub" in " ".join(capsys.readouterr().err.split())


def test_bad_local_unit_cost_rows_name_the_row_and_field(tmp_path: Path) -> None:
    from sharewell.savings.unit_costs import load_library

    head = (
        "code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,"
        "source\n"
    )
    cases = {
        "X1,Thing,event,parish,fiscal,10,2024/25,0,1,local\n": "row 2 (X1), payer: 'parish'",
        "X1,Thing,event,police,fiscal,ten,2024/25,0,1,local\n": "row 2 (X1), cost_gbp: 'ten'",
        "X1,Thing,event,police,fiscal,10,,0,1,local\n": "row 2 (X1): price year '' is missing",
        "X1,Thing,event,police,fiscal,10,2024/25,1.5,1,local\n": "cashable_share: 1.5 is outside",
    }
    for row, expected in cases.items():
        path = tmp_path / "local.csv"
        path.write_text(head + row, encoding="utf-8")
        with pytest.raises(SavingsError) as exc:
            load_library([path])
        assert expected in str(exc.value), str(exc.value)
        assert "local.csv" in str(exc.value)
