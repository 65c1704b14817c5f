"""Shared synthetic partnerships: generated once per test session, written to real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.synth import Partnership, SynthConfig, generate, write_partnership


@pytest.fixture(scope="session")
def partnership() -> Partnership:
    """A small county with default rates (3,000 people)."""
    return generate(SynthConfig(people=3000, seed=7))


@pytest.fixture(scope="session")
def big_partnership() -> Partnership:
    """A county big enough for rates and effects to show through the noise (60,000 people)."""
    return generate(SynthConfig(people=60000, seed=11))


@pytest.fixture(scope="session")
def written(partnership: Partnership, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small county written to disk."""
    out = tmp_path_factory.mktemp("westshire")
    write_partnership(partnership, out)
    return out
