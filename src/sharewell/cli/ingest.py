"""Setting up a hub and bringing data in: ``init``, ``synth``, ``ingest`` and ``datasets``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sharewell.cli.options import (
    AcceptShrinkOption,
    HubOption,
    JsonOption,
    hub_workspace,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    err_console,
    key_value_table,
)
from sharewell.cli.root import app

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
                "audit key file": f"{status.audit_key_file} (key {status.audit_key_id}"
                + (
                    ", new: keep it away from the database's administrators)"
                    if status.audit_key_created
                    else ")"
                ),
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
    accept_shrink: AcceptShrinkOption = False,
    allow_missing_columns: Annotated[
        bool,
        typer.Option(
            "--allow-missing-columns",
            help="Load even if identifier columns the mapping names are not in the file.",
        ),
    ] = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load a partner extract: validate, normalise, quarantine bad rows, all or nothing."""
    from sharewell.agreements.governed_ingest import ingest_partner_extract
    from sharewell.errors import IngestError
    from sharewell.partnership import hub_engine

    settings = settings_for(hub)
    engine = hub_engine(settings)
    try:
        with hub_workspace(hub) as workspace, err_console.status("Starting") as status:
            report = ingest_partner_extract(
                engine,
                workspace,
                partner=partner,
                path=file,
                source_type=source,
                mapping=mapping,
                loaded_by=settings.user,
                progress=lambda message: status.update(message) if not as_json else None,
                accept_shrink=accept_shrink,
                hold_share=settings.ingest_hold_share,
                allow_missing_columns=allow_missing_columns,
            )
    finally:
        engine.dispose()
    if as_json:
        emit_json(report)
    else:
        _print_ingest_report(file, report)
    if report.held:
        raise IngestError(f"{file.name}: {report.held.message}: load it again with --accept-shrink")


def _print_ingest_report(file: Path, report: Any) -> None:
    if report.held:
        title = f"Held: {file.name} was not loaded; dataset version {report.dataset_version} stays"
    elif report.recognised:
        title = (
            f"Already loaded: {file.name} is dataset version {report.dataset_version}; "
            "nothing changed"
        )
    else:
        title = f"Loaded {file.name} as dataset version {report.dataset_version}"
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

    with hub_workspace(hub) as workspace:
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
