"""Fixtures for ingest: a real DuckDB workspace and small synthetic extracts written to disk.

Helpers and sample data live in ``ingest_support`` (a uniquely named module, so that test
modules never import another directory's ``conftest`` by mistake).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_support import POLICE_HEADER, POLICE_MAPPING, POLICE_ROWS, write_csv

from sharewell.store import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh analytic workspace file."""
    with Workspace(tmp_path / "workspace.duckdb") as ws:
        ws.initialise()
        yield ws


@pytest.fixture
def police_mapping(tmp_path: Path) -> Path:
    """The police partner's mapping file."""
    path = tmp_path / "police.yaml"
    path.write_text(POLICE_MAPPING)
    return path


@pytest.fixture
def police_csv(tmp_path: Path) -> Path:
    """A small clean police extract."""
    return write_csv(tmp_path / "police.csv", [POLICE_HEADER, *POLICE_ROWS])
