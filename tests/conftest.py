"""Shared fixtures: real hubs in temporary directories, on SQLite or PostgreSQL.

When ``SHAREWELL_TEST_DATABASE_URL`` names a PostgreSQL server (``make test`` starts one and
runs the suite a second time with it), every hub's operational store is a fresh database on
that server, dropped after the test; otherwise it is a SQLite file in the hub directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from sharewell.config import Settings

TEST_DATABASE_URL = os.environ.get("SHAREWELL_TEST_DATABASE_URL")


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """A fresh, empty operational database URL on the test server, or None for SQLite."""
    if not TEST_DATABASE_URL:
        yield None
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def hub_settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Settings for a hub in a fresh temporary directory (SQLite or the test PostgreSQL)."""
    return Settings(hub_dir=tmp_path / "hub", database_url=database_url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the operational store, for the PostgreSQL pass."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.operational)
