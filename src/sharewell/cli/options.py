"""The options many commands share (``--hub``, ``--json``, ``--user``, ``--as-of``,
``--accept-shrink``); the hub."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from sharewell.config import Settings, get_settings

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")]
HubOption = Annotated[
    Path | None,
    typer.Option("--hub", help="Hub directory (default: $SHAREWELL_HUB_DIR or ./hub)."),
]


def settings_for(hub: Path | None) -> Settings:
    """Settings from the environment, with the hub directory overridden by ``--hub``."""
    settings = get_settings()
    return settings.model_copy(update={"hub_dir": hub}) if hub is not None else settings


AcceptShrinkOption = Annotated[
    bool,
    typer.Option(
        "--accept-shrink",
        help="Replace the current version even if a file has far fewer rows than it (checked).",
    ),
]
UserOption = Annotated[
    str, typer.Option("--user", help="Who is asking (a user of the hub); the policy decides.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Date the view is drawn up for (YYYY-MM-DD; default today)."),
]


def parse_as_of(value: str | None) -> date:
    from datetime import date as _date

    from sharewell.errors import ConfigError

    if value is None:
        return _date.today()
    try:
        return _date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r} is not a date; use YYYY-MM-DD") from None


def hub_workspace(hub: Path | None) -> Any:
    """The hub's analytic workspace; a StoreError naming `sharewell init` when there is none."""
    from sharewell.errors import StoreError
    from sharewell.store import Workspace

    settings = settings_for(hub)
    if not settings.workspace_path().exists():
        raise StoreError(
            f"no hub at {settings.hub_dir}; create it with `sharewell init {settings.hub_dir}`"
        )
    return Workspace(settings.workspace_path())


def governance_hub(hub: Path | None) -> tuple[Any, str]:
    """The hub's operational store engine and who is acting (SHAREWELL_USER)."""
    from sharewell.partnership import hub_engine

    settings = settings_for(hub)
    return hub_engine(settings), settings.user


@contextmanager
def linked_hub(hub: Path | None) -> Iterator[tuple[Any, Any]]:
    """The hub's operational engine and a read-only workspace connection."""
    from sharewell.partnership import hub_engine
    from sharewell.store import Workspace

    settings = settings_for(hub)
    engine = hub_engine(settings)
    try:
        with Workspace(settings.workspace_path(), read_only=True) as ws:
            yield engine, ws.conn
    finally:
        engine.dispose()
