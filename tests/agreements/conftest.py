"""Fixtures: a hub seeded with the Westshire demo partnership, and example agreements as data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sharewell.agreements import seed_demo_partnership
from sharewell.config import Settings
from sharewell.store import init_hub, operational_engine


@pytest.fixture
def engine(hub_settings: Settings) -> Iterator[Engine]:
    """The operational store of a new, empty hub."""
    init_hub(hub_settings)
    eng = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """A hub holding the demo partnership, its users and the example agreements."""
    seed_demo_partnership(engine, actor="test")
    return engine
