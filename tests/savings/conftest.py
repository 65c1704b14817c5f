"""Fixtures for the savings tests: a library with round-number local costs, and a builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from savings_helpers import LOCAL_COSTS, initiative_data

from sharewell.savings.initiative import Initiative, parse_initiative
from sharewell.savings.unit_costs import UnitCostLibrary, load_library


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> UnitCostLibrary:
    """The national library plus round-number local test costs (2024/25 prices, grade 1)."""
    path = tmp_path_factory.mktemp("costs") / "local.csv"
    path.write_text(LOCAL_COSTS, encoding="utf-8")
    return load_library([path])


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
