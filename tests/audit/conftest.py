"""Fixtures: a fresh hub's operational store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sharewell.config import Settings
from sharewell.store import init_hub, operational_engine


@pytest.fixture
def engine(hub_settings: Settings) -> Iterator[Engine]:
    """The operational store of a new hub (SQLite file)."""
    init_hub(hub_settings)
    eng = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    yield eng
    eng.dispose()
