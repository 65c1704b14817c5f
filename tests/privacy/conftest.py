"""A small synthetic partnership and partners' secret keys, shared by the privacy tests."""

from __future__ import annotations

import csv
import secrets
from pathlib import Path

import pytest

from sharewell.privacy import SecretKey
from sharewell.privacy.encode import encode_partnership
from sharewell.privacy.keys import read_secret
from sharewell.synth import SynthConfig, generate, write_partnership


@pytest.fixture(scope="session")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-person Westshire, written as partners send it (truth apart in truth/)."""
    out = tmp_path_factory.mktemp("westshire") / "westshire"
    write_partnership(generate(SynthConfig(people=2000, seed=11)), out)
    return out


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The partnership's secret key file, as `openssl rand -hex 32` writes it."""
    path = tmp_path_factory.mktemp("keys") / "partnership.key"
    path.write_text(secrets.token_hex(32) + "\n")
    return path


@pytest.fixture(scope="session")
def key(secret_file: Path) -> SecretKey:
    """The partnership's secret key."""
    return read_secret(secret_file)


@pytest.fixture(scope="session")
def encoded(
    partnership: Path, key: SecretKey, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Every extract encoded with the default hardening, as the partners would upload."""
    out = tmp_path_factory.mktemp("uploads")
    return [r.out for r in encode_partnership(partnership, key, out)]


@pytest.fixture(scope="session")
def truth(partnership: Path) -> dict[str, str]:
    """unique_id -> true person_id."""
    with (partnership / "truth" / "records.csv").open(encoding="utf-8") as fh:
        return {r["unique_id"]: r["person_id"] for r in csv.DictReader(fh)}
