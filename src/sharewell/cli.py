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

link_app = typer.Typer(
    help="Link records of the same person across partners (Splink) and review the links.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(link_app, name="link")


def _progress(as_json: bool) -> Any:
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


@link_app.callback()
def link(
    ctx: typer.Context,
    hub: HubOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match probability to link at (default: chosen from the data)."),
    ] = None,
    engine: Annotated[
        str | None, typer.Option(help="duckdb (default) or spark; overrides SHAREWELL_ENGINE.")
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(help="Link only records new since the last run, with its saved model."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Link every person record into persons (train, predict, cluster); see `link --help`."""
    if ctx.invoked_subcommand is not None:
        return
    from sharewell.errors import LinkageError
    from sharewell.linkage import link_workspace
    from sharewell.linkage.incremental import link_new_records

    if engine not in (None, "duckdb", "spark"):
        raise LinkageError(f"--engine {engine}: choose duckdb or spark")
    settings = settings_for(hub)
    if engine is not None:
        settings = settings.model_copy(update={"engine": engine})
    with _progress(as_json) as step:
        if incremental:
            summary = link_new_records(settings, step=step)
        else:
            summary = link_workspace(settings, threshold=threshold, step=step)
    if as_json:
        emit_json(summary)
        return
    console.print(
        key_value_table(
            f"Linkage run {summary.run_id} ({summary.kind}, {summary.engine})",
            {
                "records": f"{summary.records:,} ({summary.new_records:,} linked this run)",
                "pairs scored": f"{summary.pairs_scored:,}",
                "links": f"{summary.links:,}",
                "persons": f"{summary.persons:,}",
                "threshold": f"{summary.threshold:.4f} ({summary.threshold_method})",
                "for review": f"{summary.review_pairs:,} pairs (sharewell link review)",
                "model": summary.model_path,
                "time": f"{summary.seconds:.1f} s",
            },
        )
    )


@link_app.command("review")
def link_review(
    hub: HubOption = None,
    limit: Annotated[int, typer.Option(min=1, help="How many pairs to show.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show undecided pairs nearest the threshold, both records side by side."""
    from sharewell.linkage.review import SHOWN, review_queue

    pairs = review_queue(settings_for(hub), limit=limit)
    if as_json:
        emit_json(pairs)
        return
    for p in pairs:
        table = Table(
            title=f"{p.unique_id_l}  vs  {p.unique_id_r}   p={p.match_probability:.4f}",
            title_justify="left",
        )
        table.add_column("field", style="bold")
        table.add_column("left")
        table.add_column("right")
        for f in SHOWN:
            table.add_row(f, str(p.left[f] or ""), str(p.right[f] or ""))
        console.print(table)
    if not pairs:
        console.print("Nothing to review.")


@link_app.command("decide")
def link_decide(
    record_a: Annotated[str, typer.Argument(help="unique_id of one record.")],
    record_b: Annotated[str, typer.Argument(help="unique_id of the other record.")],
    decision: Annotated[str, typer.Argument(help="accept (same person) or reject.")],
    hub: HubOption = None,
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Accept or reject a pair; every later run respects the decision."""
    from sharewell.linkage.review import decide

    settings = settings_for(hub)
    pair = decide(
        settings,
        record_a,
        record_b,
        decision,  # type: ignore[arg-type]
        reviewer=settings.user,
        note=note,
    )
    if as_json:
        emit_json({"unique_id_l": pair[0], "unique_id_r": pair[1], "decision": decision})
        return
    console.print(f"Recorded: {decision} {pair[0]} / {pair[1]} (applies from the next run)")


@link_app.command("report")
def link_report(
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("linkage-report.html"),
    hub: HubOption = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="CSV of unique_id (or record_id), person_id: adds accuracy."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML quality report of the latest run (Splink charts; accuracy with --truth)."""
    from sharewell.linkage.report import write_report

    summary = write_report(settings_for(hub), out, truth=truth)
    if as_json:
        emit_json(summary)
        return
    console.print(f"Wrote {summary.out}")
    if summary.accuracy is not None:
        a = summary.accuracy
        console.print(
            f"pairwise precision {a.precision:.4f}, recall {a.recall:.4f}, F1 {a.f1:.4f}; "
            f"persons exactly recovered {a.persons_exact_share:.2%}"
        )


@app.command("link-files")
def link_files_command(
    left: Annotated[Path, typer.Argument(help="A person file (CSV or Parquet).")],
    right: Annotated[
        Path | None, typer.Argument(help="Another file to link to; omit to find duplicates.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Pairs to write (.csv or .parquet).")] = Path(
        "links.csv"
    ),
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="[FIELD:]LEFTCOL[=RIGHTCOL], repeatable; default: match column names.",
        ),
    ] = None,
    id_: Annotated[
        str | None, typer.Option("--id", help="Record id columns LEFTCOL[=RIGHTCOL].")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Match probability to link at (default: from data).")
    ] = None,
    all_pairs: Annotated[
        bool, typer.Option("--all-pairs", help="Also write scored pairs below the threshold.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Link two person files (or dedupe one) without a hub, training on the files."""
    from sharewell.linkage.files import link_files

    ids: tuple[str | None, str | None] = (None, None)
    if id_:
        lid, _, rid = id_.partition("=")
        ids = (lid, rid or lid)
    with _progress(as_json) as step:
        summary = link_files(
            left,
            right,
            map_ or [],
            out,
            threshold=threshold,
            id_columns=ids,
            include_unlinked=all_pairs,
            step=step,
        )
    if as_json:
        emit_json(summary)
        return
    rows = {
        "records": f"{summary.records_left:,}"
        + (f" + {summary.records_right:,}" if summary.right else ""),
        "fields": ", ".join(
            f"{m.field}={m.left}" + (f"/{m.right}" if summary.right else "")
            for m in summary.mapping
        ),
        "pairs scored": f"{summary.pairs_scored:,}",
        "links": f"{summary.links:,}",
        "threshold": f"{summary.threshold:.4f} ({summary.threshold_method})",
        "written": summary.out,
    }
    console.print(key_value_table(f"link-files ({summary.mode})", rows))
    for bad in summary.invalid:
        err_console.print(
            f"[yellow]{bad.count} unreadable {bad.field} value(s) in {bad.file} file "
            f"(treated as missing), e.g. records {', '.join(bad.examples)}[/yellow]"
        )


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
