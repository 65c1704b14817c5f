"""Fixtures for the savings tests: a local unit cost file with round numbers, and a builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sharewell.savings.initiative import Initiative, parse_initiative
from sharewell.savings.unit_costs import UnitCostLibrary, load_library

LOCAL_COSTS = """code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source,verification,note
T.POLICE,Test police event,event,police,fiscal,100,2024/25,0.5,1,test,,
T.SPLIT,Test split event,event,local_authority,fiscal,60,2024/25,1.0,1,test,,
T.SPLIT,Test split event,event,nhs_trust,fiscal,40,2024/25,0.0,1,test,,
T.WEAK,Test weak unit cost,event,police,fiscal,100,2024/25,0.0,5,test,,
T.SOCIAL,Test social value,event,society,social,1000,2024/25,0.0,1,test,,
"""

PARTNERS = {
    "westshire_cc": {"name": "Westshire County Council", "type": "local_authority"},
    "westshire_police": {"name": "Westshire Police", "type": "police"},
    "westshire_mht": {"name": "Westshire Mental Health NHS Trust", "type": "nhs_trust"},
}


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> UnitCostLibrary:
    """The national library plus round-number local test costs (2024/25 prices, grade 1)."""
    path = tmp_path_factory.mktemp("costs") / "local.csv"
    path.write_text(LOCAL_COSTS, encoding="utf-8")
    return load_library([path])


def initiative_data(**overrides: Any) -> dict[str, Any]:
    """A minimal valid initiative as parsed YAML: police pays £0, 10 police events a year."""
    data: dict[str, Any] = {
        "name": "Test initiative",
        "slug": "test",
        "price_year": "2024/25",
        "horizon_years": 3,
        "partners": PARTNERS,
        "costs": [{"item": "Staff", "running": 0, "paid_by": "westshire_police"}],
        "outcomes": [
            {
                "name": "Police events avoided",
                "events_avoided": 10,
                "confidence_grade": 1,
                "unit_costs": {"T.POLICE": 1},
            }
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def build(library: UnitCostLibrary) -> Callable[..., Initiative]:
    """Build a validated initiative from ``initiative_data`` overrides."""

    def _build(**overrides: Any) -> Initiative:
        return parse_initiative(initiative_data(**overrides), "test.yaml", library)

    return _build


@pytest.fixture
def local_costs_file(tmp_path: Path) -> Path:
    """The local unit cost file, written to a temporary directory."""
    path = tmp_path / "local.csv"
    path.write_text(LOCAL_COSTS, encoding="utf-8")
    return path
