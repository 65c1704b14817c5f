"""The root Typer app: every command module registers its commands and groups on it."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sharewell",
    help="Share information between local public services safely, lawfully and usefully.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
