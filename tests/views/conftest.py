"""A linked synthetic partnership (synth → ingest → link), built once per module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sharewell.config import Settings
from sharewell.demo import build_linked_hub
from sharewell.partnership import hub_engine
from sharewell.store import Workspace


@dataclass
class LinkedHub:
    """A hub holding a linked synthetic partnership, its engine, workspace and truth."""

    settings: Settings
    engine: Engine
    workspace: Workspace
    truth_dir: Path


def _linked(tmp: Path, people: int) -> Iterator[LinkedHub]:
    settings, _ = build_linked_hub(tmp, people=people, seed=42, settings=Settings())
    engine = hub_engine(settings)
    workspace = Workspace(settings.workspace_path(), read_only=True)
    try:
        yield LinkedHub(settings, engine, workspace, tmp / "extracts" / "truth")
    finally:
        workspace.close()
        engine.dispose()


@pytest.fixture(scope="module")
def linked_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkedHub]:
    """A small county (3,000 people), linked: enough for behaviour, quick to build."""
    yield from _linked(tmp_path_factory.mktemp("linked"), 3000)


@pytest.fixture(scope="module")
def county_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkedHub]:
    """A county big enough to have dwelling fires to learn from (30,000 people)."""
    yield from _linked(tmp_path_factory.mktemp("county"), 30_000)
