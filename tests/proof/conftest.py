"""Fixtures for the proofs: one linked demo hub shared by the session's tests, fuzz profiles.

Hypothesis runs a short profile in the suite and a long one under ``make soak``
(``SHAREWELL_FUZZ=soak``), so the same properties are the quick check and the long fuzz.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from benchmarks.faults import Hub, make_hub
from hypothesis import HealthCheck, settings

settings.register_profile(
    "proof",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "soak",
    max_examples=1_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_PROFILE = "soak" if os.environ.get("SHAREWELL_FUZZ") == "soak" else "proof"


@pytest.fixture(scope="session")
def linked_hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """A linked demo hub (5,000 people) on SQLite, with passwords for two front-line users."""
    root: Path = tmp_path_factory.mktemp("proof-hub")
    return make_hub(root, people=5_000)
