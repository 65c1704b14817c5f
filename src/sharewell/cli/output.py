"""What the command line prints and how it ends: consoles, tables, JSON, progress, exit codes.

Exit codes (one place, here): 0 success, 1 internal failure (a bug: please report it),
2 bad usage (unknown option, missing argument), 3 bad input (the message says what and
where), 4 access denied by a data sharing agreement, 5 something named does not exist.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sharewell.cli.root import app
from sharewell.console import key_value_table as key_value_table  # the CLI's, re-exported
from sharewell.errors import AccessDenied, NotFound, SharewellError


class ExitCode(IntEnum):
    """Process exit codes of the CLI."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    BAD_INPUT = 3
    DENIED = 4
    NOT_FOUND = 5


console = Console()
err_console = Console(stderr=True)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(mode="json"))
    return value


def emit_json(value: Any) -> None:
    """Write ``value`` (dataclasses, pydantic models, paths allowed) to stdout as JSON."""
    sys.stdout.write(json.dumps(_jsonable(value), indent=2, default=str) + "\n")


def rows_table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(v) if v is not None else "-" for v in row))
    return table


def progress_steps(as_json: bool) -> Any:
    """A step reporter: rich status on the console, silent when printing JSON."""
    from contextlib import nullcontext

    if as_json:
        return nullcontext(lambda _msg: None)

    class _Steps:
        def __enter__(self) -> Any:
            self.status = err_console.status("linking…")
            self.status.__enter__()
            return self.step

        def step(self, msg: str) -> None:
            err_console.log(msg)
            self.status.update(msg + "…")

        def __exit__(self, *exc: object) -> None:
            self.status.__exit__(None, None, None)

    return _Steps()


INTERRUPTED_MESSAGE = "[red]Interrupted; nothing half-written was kept.[/red]"


def _interrupted(exc: BaseException) -> bool:
    """Whether an exit was caused, anywhere down its chain, by Ctrl-C."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping sharewell's errors to exit codes; returns the exit code."""
    try:
        # Standalone mode handles --help, usage errors (exit 2) and Ctrl-C itself and always
        # ends in SystemExit; sharewell's own errors propagate out of it to be mapped here.
        app(args=argv, prog_name="sharewell")
    except SystemExit as exc:
        if _interrupted(exc):
            # Typer turns Ctrl-C into a silent exit 130; say what the user needs to know.
            err_console.print(INTERRUPTED_MESSAGE)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except AccessDenied as exc:
        err_console.print(f"[red]Access denied:[/red] {exc}")
        return ExitCode.DENIED
    except NotFound as exc:
        err_console.print(f"[red]Not found:[/red] {exc}")
        return ExitCode.NOT_FOUND
    except SharewellError as exc:
        err_console.print(f"[red]Error:[/red] {exc}")
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        err_console.print(INTERRUPTED_MESSAGE)
        return 130
    except Exception:
        err_console.print_exception()
        err_console.print(
            "[red]Internal failure: this is a bug in sharewell; please report it.[/red]"
        )
        return ExitCode.INTERNAL
    return ExitCode.OK
