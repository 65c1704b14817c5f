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


# --- ingest -------------------------------------------------------------------------------


def _open_workspace(hub: Path | None) -> Any:
    """The hub's analytic workspace; a StoreError naming `sharewell init` when there is none."""
    from sharewell.errors import StoreError
    from sharewell.store import Workspace

    settings = settings_for(hub)
    if not settings.workspace_path().exists():
        raise StoreError(
            f"no hub at {settings.hub_dir}; create it with `sharewell init {settings.hub_dir}`"
        )
    return Workspace(settings.workspace_path())


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="The partner's extract: CSV, .xlsx or Parquet.")],
    partner: Annotated[
        str, typer.Option("--partner", help="Sending organisation's slug, e.g. westshire_fire.")
    ],
    source: Annotated[
        str | None,
        typer.Option("--source", help="Source type, e.g. police.mh_incident (or in the mapping)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping file: partner columns to canonical.")
    ] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load a partner extract: validate, normalise, quarantine bad rows, all or nothing."""
    from sharewell.ingest import ingest_file

    settings = settings_for(hub)
    with _open_workspace(hub) as workspace, err_console.status("Starting") as status:
        report = ingest_file(
            workspace,
            partner=partner,
            path=file,
            source_type=source,
            mapping=mapping,
            loaded_by=settings.user,
            progress=lambda message: status.update(message) if not as_json else None,
        )
    if as_json:
        emit_json(report)
        return
    title = (
        f"Already loaded: {file.name} is dataset version {report.dataset_version}; nothing changed"
        if report.recognised
        else f"Loaded {file.name} as dataset version {report.dataset_version}"
    )
    summary = {
        "partner": report.partner,
        "source type": report.source_type,
        "rows read": f"{report.rows_read:,}",
        "accepted": f"{report.rows_accepted:,}",
        "quarantined": f"{report.rows_quarantined:,}",
        "values dropped": f"{report.values_dropped:,}",
    }
    if report.superseded_version is not None:
        summary["supersedes"] = f"dataset version {report.superseded_version}"
    if report.ignored_columns:
        summary["ignored columns"] = ", ".join(report.ignored_columns)
    summary.update(report.details)
    console.print(key_value_table(title, summary))
    for warning in report.warnings:
        err_console.print(f"[yellow]Warning:[/yellow] {warning}")
    if report.quarantine_sample:
        table = Table(title="First problems (all are in the workspace table `quarantine`)")
        for col in ("row", "column", "problem", "outcome"):
            table.add_column(col)
        for entry in report.quarantine_sample:
            outcome = "row quarantined" if entry.action == "row_quarantined" else "value dropped"
            table.add_row(str(entry.row), entry.column or "(whole row)", entry.reason, outcome)
        console.print(table)


@app.command()
def datasets(
    hub: HubOption = None,
    include_deleted: Annotated[
        bool, typer.Option("--all", help="Include deleted dataset versions.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the dataset versions in the workspace with their row counts."""
    from sharewell.ingest import list_dataset_versions

    with _open_workspace(hub) as workspace:
        versions = list_dataset_versions(workspace, include_deleted=include_deleted)
    if as_json:
        emit_json(versions)
        return
    table = Table(title="Dataset versions", title_justify="left")
    # Several facts per cell keep the table readable in an 80-column terminal.
    for col in ("id", "partner", "source type", "file", "rows", "loaded", "status"):
        table.add_column(col, justify="right" if col == "id" else "left", overflow="fold")
    for v in versions:
        table.add_row(
            str(v.id),
            v.partner,
            v.source_type,
            v.file_name,
            f"{v.rows_read:,} read\n{v.rows_accepted:,} accepted\n"
            f"{v.rows_quarantined:,} quarantined",
            f"{v.loaded_at:%Y-%m-%d %H:%M}\nby {v.loaded_by}",
            v.status if v.superseded_by is None else f"superseded by {v.superseded_by}",
        )
    console.print(table if versions else "No datasets loaded yet: use `sharewell ingest`.")


# --- governance: partnership, agreements, audit, retention ----------------------------------


# --- linkage ------------------------------------------------------------------------------


# --- views --------------------------------------------------------------------------------


# --- savings ------------------------------------------------------------------------------


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
