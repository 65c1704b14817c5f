"""Privacy-preserving linkage: ``encode`` on a partner's machine, ``pprl`` at the hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
    key_value_table,
)
from sharewell.cli.root import app

# --- privacy ---------------------------------------------------------------------------

pprl_app = typer.Typer(
    help="Privacy-preserving linkage at the hub: link partners' encodings, reveal by agreement.",
    no_args_is_help=True,
)
app.add_typer(pprl_app, name="pprl")
SecretFileOption = Annotated[
    Path, typer.Option("--secret-file", help="The partnership's secret key (never the hub's).")
]
SchemaOption = Annotated[
    Path, typer.Option("--schema", help="Schema YAML: an ingest mapping file, + pass_through.")
]


@app.command()
def encode(
    file: Annotated[Path, typer.Argument(help="The partner's extract (CSV, XLSX or Parquet).")],
    secret_file: SecretFileOption,
    schema: SchemaOption,
    out: Annotated[Path, typer.Option(help="Parquet file to upload to the hub.")],
    partner: Annotated[
        str | None, typer.Option(help="Partner slug (default: the schema's `partner`).")
    ] = None,
    pass_through: Annotated[
        str | None, typer.Option(help="Non-identifying columns to pass in clear, comma-separated.")
    ] = None,
    agreement: Annotated[
        list[Path] | None,
        typer.Option(
            "--agreement",
            help="Your copy of an agreement (YAML) granting what passes through; repeatable.",
        ),
    ] = None,
    allow_free_text: Annotated[
        bool,
        typer.Option(
            "--allow-free-text", help="Let a granted free-text column (a narrative) through."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Encode an extract on the partner's machine: pseudonyms, Bloom filters, blocking keys."""
    from sharewell.agreements import load_agreement
    from sharewell.privacy import encode_file, load_schema, read_secret

    extra = [c.strip() for c in (pass_through or "").split(",") if c.strip()]
    report = encode_file(
        file,
        load_schema(schema, extra),
        read_secret(secret_file),
        out,
        partner=partner,
        agreements=[load_agreement(path) for path in agreement or []],
        allow_free_text=allow_free_text,
    )
    if as_json:
        emit_json(report)
        return
    console.print(
        key_value_table(
            f"Encoded {report.records} records to {report.out}",
            {
                "partner / source": f"{report.partner} / {report.source}",
                "key fingerprint": report.key_fingerprint,
                "encoding": f"{report.encoded_bits} bits, hardening {', '.join(report.hardening)}",
                "passed through": ", ".join(report.pass_through) or "(nothing)",
            },
        )
    )


@pprl_app.command("load")
def pprl_load(
    files: Annotated[list[Path], typer.Argument(help="Encoded files from `sharewell encode`.")],
    accept_shrink: AcceptShrinkOption = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load partners' encoded files into the workspace: record ids and events, no names."""
    from sharewell.errors import IngestError
    from sharewell.partnership import hub_engine
    from sharewell.privacy.upload import load_upload

    settings = settings_for(hub)
    engine = hub_engine(settings)
    try:
        with hub_workspace(hub) as workspace:
            reports = [
                load_upload(
                    workspace,
                    engine,
                    path,
                    loaded_by=settings.user,
                    accept_shrink=accept_shrink,
                    hold_share=settings.ingest_hold_share,
                )
                for path in files
            ]
    finally:
        engine.dispose()
    rows = [
        {
            "file": str(path),
            "partner": r.partner,
            "source_type": r.source_type,
            "dataset_version": r.dataset_version,
            "rows_accepted": r.rows_accepted,
            "rows_quarantined": r.rows_quarantined,
            "held": r.held.message if r.held else None,
        }
        for path, r in zip(files, reports, strict=True)
    ]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            verb = "Held (not loaded)" if row["held"] else "Loaded"
            console.print(key_value_table(f"{verb} {row.pop('file')}", row))
    held = [str(path) for path, r in zip(files, reports, strict=True) if r.held]
    if held:
        raise IngestError(
            f"held, not loaded: {', '.join(held)} (far fewer rows than the current versions); "
            "load again with --accept-shrink once checked"
        )


@pprl_app.command("link")
def pprl_link(
    files: Annotated[list[Path], typer.Argument(help="Encoded files from `sharewell encode`.")],
    hub: HubOption = None,
    threshold: Annotated[
        float | None, typer.Option(help="Dice threshold (default: suits the hardening).")
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="CSV of unique_id, person_id to measure accuracy.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Link encodings into the workspace's person index (as plaintext linkage does)."""
    from sharewell.privacy import PprlSettings, link_encodings, load_encodings
    from sharewell.privacy.link import pairwise_accuracy, read_truth, write_person_index
    from sharewell.store.workspace import Workspace

    settings = settings_for(hub)
    records = load_encodings(files)
    result = link_encodings(records, PprlSettings(threshold=threshold))
    settings.hub_dir.mkdir(parents=True, exist_ok=True)
    with Workspace(settings.workspace_path()) as ws:
        run_id = write_person_index(ws.conn, result, records)
    summary: dict[str, Any] = {
        "run_id": run_id,
        "records": result.records,
        "candidate_pairs": result.candidate_pairs,
        "share_of_all_pairs": round(result.candidate_pairs / max(result.all_pairs, 1), 6),
        "threshold": result.threshold,
        "links": result.links,
        "persons": result.persons,
        "seconds": round(result.seconds, 2),
    }
    if truth is not None:
        summary.update(pairwise_accuracy(list(result.person_ids), read_truth(truth, result)))
    if as_json:
        emit_json(summary)
        return
    console.print(key_value_table(f"PPRL run {run_id}", summary))


@pprl_app.command("reveal")
def pprl_reveal(
    file: Annotated[Path, typer.Argument(help="The provider's own extract.")],
    schema: SchemaOption,
    ids: Annotated[Path, typer.Option(help="Text file of pseudonymous ids, one a line.")],
    fields: Annotated[str, typer.Option(help="Fields the agreement grants, comma-separated.")],
    out: Annotated[Path, typer.Option(help="CSV to hand to the recipient.")],
    purpose: Annotated[str, typer.Option(help="The agreed purpose, e.g. fire_prevention.")],
    recipient: Annotated[str, typer.Option(help="Who receives the records (organisation).")],
    partner: Annotated[str, typer.Option(help="This provider's partner slug.")],
    log: Annotated[Path, typer.Option(help="The provider's reveal log.")] = Path("reveals.jsonl"),
    agreement: Annotated[
        str | None, typer.Option(help="The agreement that grants the reveal (for the audit).")
    ] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run by the data provider: its own records for the hub's ids, logged and audited."""
    from sharewell.partnership import hub_engine
    from sharewell.privacy import load_schema
    from sharewell.privacy.reveal import reveal_file

    # With --hub the reveal is also written to the hub's audit log.
    engine = hub_engine(settings_for(hub)) if hub else None

    result = reveal_file(
        file,
        load_schema(schema),
        ids,
        [f.strip() for f in fields.split(",") if f.strip()],
        out,
        partner=partner,
        purpose=purpose,
        recipient=recipient,
        log=log,
        audit=engine,
        agreement_id=agreement,
    )
    if engine is not None:
        engine.dispose()
    summary = {
        "requested": result.requested,
        "revealed": len(result.rows),
        "not_found": len(result.not_found),
        "out": str(out),
        "log": str(log),
    }
    if as_json:
        emit_json(summary)
        return
    console.print(key_value_table("Reveal", summary))
