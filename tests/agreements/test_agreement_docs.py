"""docs/governance.md keeps up with the code: every flag and audit action is documented."""

from __future__ import annotations

from pathlib import Path

from sharewell.agreements import FLAGS
from sharewell.audit.chain import AUDIT_ACTIONS

DOC = (Path(__file__).parents[2] / "docs" / "governance.md").read_text()


def test_every_flag_is_documented() -> None:
    missing = [name for name in FLAGS if f"`{name}`" not in DOC]
    assert missing == [], f"add these flags to docs/governance.md: {missing}"


def test_every_audit_action_is_documented() -> None:
    missing = [action for action in AUDIT_ACTIONS if f"`{action}`" not in DOC]
    assert missing == [], f"add these audit actions to docs/governance.md: {missing}"
