"""The ``sharewell`` command line: each command is a few lines that call a capability.

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
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sharewell.config import Settings, get_settings
from sharewell.errors import AccessDenied, NotFound, SharewellError

__all__ = ["ExitCode", "app", "main"]


class ExitCode(IntEnum):
    """Process exit codes of the CLI."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    BAD_INPUT = 3
    DENIED = 4
    NOT_FOUND = 5


app = typer.Typer(
    name="sharewell",
    help="Share information between local public services safely, lawfully and usefully.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")]
HubOption = Annotated[
    Path | None,
    typer.Option("--hub", help="Hub directory (default: $SHAREWELL_HUB_DIR or ./hub)."),
]


def settings_for(hub: Path | None) -> Settings:
    """Settings from the environment, with the hub directory overridden by ``--hub``."""
    settings = get_settings()
    return settings.model_copy(update={"hub_dir": hub}) if hub is not None else settings


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


def key_value_table(title: str, rows: dict[str, Any]) -> Table:
    """A two-column rich table for a short summary."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, val in rows.items():
        table.add_row(key, str(val))
    return table


# --- foundation -------------------------------------------------------------------------


@app.command()
def init(
    hub_dir: Annotated[Path, typer.Argument(help="Directory to create the hub in.")],
    as_json: JsonOption = False,
) -> None:
    """Create a hub (operational store + analytic workspace); running it twice is harmless."""
    from sharewell.store import init_hub

    status = init_hub(settings_for(hub_dir))
    if as_json:
        emit_json(status)
        return
    verb = "Created" if status.created else "Checked"
    console.print(
        key_value_table(
            f"{verb} hub {status.hub_dir}",
            {
                "operational store": status.operational_url,
                "analytic workspace": status.workspace_path,
                "schema revision": status.schema_revision,
                "created at": status.created_at,
            },
        )
    )


# --- synthetic partnership ----------------------------------------------------------------


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Directory to write the partnership to.")],
    people: Annotated[int, typer.Option(min=10, help="People in the synthetic county.")] = 5000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same files.")
    ] = 42,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic partnership's extracts, mappings and (apart) ground truth."""
    from sharewell.synth import SynthConfig, synthesise

    manifest = synthesise(
        SynthConfig(people=people, seed=seed), out, console=None if as_json else err_console
    )
    if as_json:
        emit_json(manifest)
        return
    table = Table(title=f"Synthetic {manifest.county}: {manifest.people} people, seed {seed}")
    for col in ("source type", "file", "rows"):
        table.add_column(col)
    for e in manifest.extracts:
        table.add_row(e.source_type, e.file, str(e.rows))
    console.print(table)
    console.print(f"Ground truth (never ingest it) in {out / 'truth'}")


# --- ingest -------------------------------------------------------------------------------


# --- governance: partnership, agreements, audit, retention ----------------------------------


# --- linkage ------------------------------------------------------------------------------


# --- views --------------------------------------------------------------------------------


# --- savings ------------------------------------------------------------------------------


# --- web ---------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    hub: HubOption = None,
) -> None:
    """Start the web app and API (GOV.UK-style pages, /api/v1, /openapi.json)."""
    import uvicorn

    from sharewell.web import create_app

    uvicorn.run(create_app(settings_for(hub)), host=host, port=port)


# --- demo ---------------------------------------------------------------------------------


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo hub and extracts.")] = Path(
        "demo-hub"
    ),
    people: Annotated[int, typer.Option(min=10, help="People in the synthetic county.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic partnership.")] = 42,
    as_json: JsonOption = False,
) -> None:
    """Run every stage end to end on a synthetic partnership and say where to look."""
    from sharewell.demo import run_demo

    summary = run_demo(out, people=people, seed=seed, console=None if as_json else console)
    if as_json:
        emit_json(summary)


# --- entry point --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping sharewell's errors to exit codes; returns the exit code."""
    try:
        # Standalone mode handles --help, usage errors (exit 2) and Ctrl-C itself and always
        # ends in SystemExit; sharewell's own errors propagate out of it to be mapped here.
        app(args=argv, prog_name="sharewell")
    except SystemExit as exc:
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
        err_console.print("[red]Interrupted; nothing half-written was kept.[/red]")
        return 130
    except Exception:
        err_console.print_exception()
        err_console.print(
            "[red]Internal failure: this is a bug in sharewell; please report it.[/red]"
        )
        return ExitCode.INTERNAL
    return ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
