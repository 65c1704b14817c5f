"""Helpers for tests: example agreements as plain data, written back out as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sharewell.agreements import EXAMPLES_DIR


def example(name: str) -> dict[str, Any]:
    """An example agreement as a plain dict, to change and write back out."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text())
    return data


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as YAML to ``path`` and return the path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
