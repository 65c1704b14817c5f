"""Every setting is documented, and the environment overrides the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.config import Settings

SETTINGS_DOC = Path(__file__).parents[1] / "docs" / "settings.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    assert f"`{name}`" in doc and f"`SHAREWELL_{name.upper()}`" in doc


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHAREWELL_HUB_DIR", str(tmp_path))
    monkeypatch.setenv("SHAREWELL_ENGINE", "spark")
    settings = Settings()
    assert settings.hub_dir == tmp_path
    assert settings.engine == "spark"
    assert settings.operational_url() == f"sqlite:///{(tmp_path / 'sharewell.db').resolve()}"
