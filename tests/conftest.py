"""Shared fixtures: real hubs in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.config import Settings


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    """Settings for a hub in a fresh temporary directory (SQLite + DuckDB)."""
    return Settings(hub_dir=tmp_path / "hub")
