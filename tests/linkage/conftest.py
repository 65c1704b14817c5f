"""Fixtures for linkage: a hub whose workspace holds synthetic person_records, linked once."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from people import People, make_people, write_person_records

from sharewell.config import Settings
from sharewell.linkage import RunSummary, link_workspace
from sharewell.store import init_hub


@dataclass
class LinkedHub:
    """A hub, the people in it, and the summary of its full linkage run."""

    settings: Settings
    people: People
    run: RunSummary

    def index(self) -> dict[str, str]:
        """unique_id -> person_id from the workspace."""
        con = duckdb.connect(str(self.settings.workspace_path()), read_only=True)
        try:
            return dict(con.execute("SELECT unique_id, person_id FROM person_index").fetchall())
        finally:
            con.close()


def hub_with_people(root: Path, people: People) -> Settings:
    """A new hub at ``root`` whose workspace holds ``people`` as person_records."""
    settings = Settings(hub_dir=root)
    init_hub(settings)
    write_person_records(settings.workspace_path(), people)
    return settings


def truth_table(con: duckdb.DuckDBPyConnection, people: People, name: str = "truth") -> None:
    """Load the truth (unique_id -> person_id) into ``con`` as table ``name``."""
    arrow = pa.Table.from_pylist(  # noqa: F841 - read by DuckDB by name
        [{"unique_id": u, "person_id": p} for u, p in people.truth.items()]
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM arrow")


@pytest.fixture(scope="session")
def people() -> People:
    """1,200 synthetic people (about 3,000 records) with twins and fathers/sons."""
    return make_people(1200, seed=11)


@pytest.fixture(scope="session")
def linked(tmp_path_factory: pytest.TempPathFactory, people: People) -> LinkedHub:
    """A hub linked once with the default (data-chosen) threshold; do not mutate it."""
    settings = hub_with_people(tmp_path_factory.mktemp("linked") / "hub", people)
    return LinkedHub(settings, people, link_workspace(settings))
