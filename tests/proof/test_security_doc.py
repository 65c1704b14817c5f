"""docs/security.md keeps up with the tree: every test file it cites exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_test_file_the_threat_model_cites_exists() -> None:
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(tests/[\w/]+\.py)`", doc))
    assert len(cited) >= 10
    missing = sorted(path for path in cited if not (ROOT / path).is_file())
    assert missing == [], f"docs/security.md cites test files that do not exist: {missing}"
