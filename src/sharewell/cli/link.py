"""Linkage: ``link`` (run, review, decide, report) and ``link-files`` (two files, no hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    err_console,
    key_value_table,
    progress_steps,
)
from sharewell.cli.root import app

# --- linkage ------------------------------------------------------------------------------

link_app = typer.Typer(
    help="Link records of the same person across partners (Splink) and review the links.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(link_app, name="link")


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
    with progress_steps(as_json) as step:
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
    for note in summary.training_notes:
        err_console.print(f"[yellow]Training:[/yellow] {note}")


@link_app.command("review")
def link_review(
    user: Annotated[
        str,
        typer.Option(
            "--user", help="The analyst reviewing; the agreements decide which pairs they see."
        ),
    ],
    hub: HubOption = None,
    limit: Annotated[int, typer.Option(min=1, help="How many pairs to show.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show undecided pairs nearest the threshold that your agreements let you see."""
    from sharewell.linkage.review import SHOWN
    from sharewell.linkage.review_access import reviewable
    from sharewell.partnership import hub_engine

    settings = settings_for(hub)
    engine = hub_engine(settings)
    try:
        queue = reviewable(engine, settings, user, limit)
    finally:
        engine.dispose()
    if as_json:
        emit_json(queue.model_dump())
        return
    for p in queue.pairs:
        table = Table(
            title=f"{p.unique_id_l}  vs  {p.unique_id_r}   p={p.match_probability:.4f}"
            f"   ({p.purpose or 'your own records'})",
            title_justify="left",
        )
        table.add_column("field", style="bold")
        table.add_column("left")
        table.add_column("right")
        for f in SHOWN:
            sides = [p.left, p.right]
            values = [
                "(withheld)" if f in s.withheld else str(s.fields.get(f) or "") for s in sides
            ]
            table.add_row(f, *values)
        console.print(table)
    if not queue.pairs:
        console.print("Nothing for you to review.")
    if queue.not_shown:
        console.print(f"{queue.not_shown} other pairs need an analyst whose agreements cover them.")


@link_app.command("decide")
def link_decide(
    record_a: Annotated[str, typer.Argument(help="unique_id of one record.")],
    record_b: Annotated[str, typer.Argument(help="unique_id of the other record.")],
    decision: Annotated[str, typer.Argument(help="accept (same person) or reject.")],
    user: Annotated[
        str, typer.Option("--user", help="The analyst deciding; they must be able to review it.")
    ],
    hub: HubOption = None,
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Accept or reject a pair; every later run respects the decision."""
    from sharewell.linkage.review_access import record_decision
    from sharewell.partnership import hub_engine

    settings = settings_for(hub)
    engine = hub_engine(settings)
    try:
        pair = record_decision(engine, settings, user, record_a, record_b, decision, note)
    finally:
        engine.dispose()
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
        str | None,
        typer.Option(
            "--id", help="Record id columns LEFTCOL[=RIGHTCOL] (default: record_id, if present)."
        ),
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

    ids: tuple[str | None, str | None] | None = None  # default: record_id where present
    if id_:
        lid, _, rid = id_.partition("=")
        ids = (lid, rid or lid)
    with progress_steps(as_json) as step:
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
        "columns": ", ".join(
            f"{m.field}={m.left}" + (f"/{m.right}" if summary.right else "")
            for m in summary.mapping
        ),
        "fields compared": ", ".join(summary.fields_used),
        "record ids": " / ".join(
            c or "row numbers" for c in summary.id_columns[: 2 if summary.right else 1]
        ),
        "pairs scored": f"{summary.pairs_scored:,}",
        "links": f"{summary.links:,}",
        "threshold": f"{summary.threshold:.4f} ({summary.threshold_method})",
        "written": summary.out,
    }
    console.print(key_value_table(f"link-files ({summary.mode})", rows))
    for note in summary.training_notes:
        err_console.print(f"[yellow]Training:[/yellow] {note}")
    if summary.fields_empty:
        err_console.print(
            "[yellow]Not compared (no values on one side):[/yellow] "
            + ", ".join(summary.fields_empty)
        )
    for unused in summary.unused:
        err_console.print(
            f"[yellow]Not used in the {unused.file} file:[/yellow] {', '.join(unused.columns)} "
            "(map one with --map FIELD:LEFTCOL=RIGHTCOL, or --map COL for an exact-match column)"
        )
    for bad in summary.invalid:
        err_console.print(
            f"[yellow]{bad.count} unreadable {bad.field} value(s) in {bad.file} file "
            f"(treated as missing), e.g. records {', '.join(bad.examples)}: "
            f"{bad.reason}[/yellow]"
        )
