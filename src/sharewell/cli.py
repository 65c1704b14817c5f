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

savings_app = typer.Typer(
    help="Will it save MY organisation money? Per-organisation cost-benefit of initiatives.",
    no_args_is_help=True,
)
app.add_typer(savings_app, name="savings")
LocalCostsOption = Annotated[
    list[Path] | None,
    typer.Option("--local-costs", help="CSV of local unit costs that override national ones."),
]


@savings_app.command("ask")
def savings_ask(
    initiative: Annotated[str, typer.Argument(help="Initiative YAML file, or a template name.")],
    org: Annotated[str, typer.Option("--org", help="Partner slug, e.g. westshire_cc.")],
    local_costs: LocalCostsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer, for one organisation, what an initiative costs it and saves it."""
    from sharewell.savings.answer import answer_for, appraise_file
    from sharewell.savings.report import AGENCY_HEAD, agency_rows

    _, library, appraisal = appraise_file(initiative, local_costs or [])
    answer = answer_for(appraisal, org, library)
    if as_json:
        r = answer.result
        emit_json(
            {
                "initiative": answer.initiative,
                "organisation": answer.organisation,
                "answer": answer.text,
                "price_year": answer.price_year,
                "horizon_years": answer.horizon_years,
                "costs": r.costs_pv,
                "benefits": r.benefits_pv,
                "cashable": r.cashable_pv,
                "non_cashable": r.non_cashable_pv,
                "npv": r.npv,
                "roi": r.roi,
                "payback_year": r.payback_year,
                "largest_beneficiary": answer.largest_beneficiary,
                "uncertainty": answer.uncertainty,
                "npv_p5": answer.npv_p5,
                "npv_p95": answer.npv_p95,
                "probability_ahead": answer.probability_ahead,
                "switching_values": answer.switching,
                "cost_share": answer.share,
                "local_unit_costs": answer.local_unit_costs,
                "lines": [ln for ln in appraisal.lines if ln.partner == org],
            }
        )
        return
    console.print(answer.text, highlight=False)
    console.print(answer.uncertainty, highlight=False, style="dim")
    table = Table(title=f"{appraisal.initiative.name}: present values", title_justify="left")
    for i, head in enumerate(AGENCY_HEAD):
        table.add_column(head, justify="left" if i == 0 else "right")
    for row in agency_rows(appraisal):
        style = "bold" if row[0] in (answer.organisation_name, "All public bodies") else None
        table.add_row(*row, style=style)
    console.print(table)
    if answer.local_unit_costs:
        console.print(f"Local unit costs used: {', '.join(answer.local_unit_costs)}")


@savings_app.command("report")
def savings_report(
    initiatives: Annotated[list[str], typer.Argument(help="Initiative files or template names.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the HTML and PDF report.")],
    local_costs: LocalCostsOption = None,
    draws: Annotated[int, typer.Option(min=100, help="Monte Carlo draws.")] = 5000,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML and PDF report with charts for one or more initiatives."""
    from sharewell.savings.initiative import find_initiative, load_initiative
    from sharewell.savings.report import write_report
    from sharewell.savings.unit_costs import load_library

    library = load_library(local_costs or [])
    pairs = [(load_initiative(find_initiative(i), library), library) for i in initiatives]
    files = write_report(pairs, out, draws=draws)
    if as_json:
        emit_json(files)
        return
    console.print(key_value_table("Savings report", {"html": files.html, "pdf": files.pdf}))


@savings_app.command("unit-costs")
def savings_unit_costs(
    price_year: Annotated[
        str | None, typer.Option("--price-year", help="Uprate to this year, e.g. 2024/25.")
    ] = None,
    local_costs: LocalCostsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the unit cost library (national, and local overrides), optionally uprated."""
    from sharewell.savings.unit_costs import load_library

    library = load_library(local_costs or [])
    if price_year:
        library = library.uprated(price_year)
    costs = sorted(library.costs.values(), key=lambda c: c.code)
    if as_json:
        emit_json({"version": library.version, "unit_costs": costs})
        return
    table = Table(title=f"Unit cost library {library.version}", title_justify="left")
    for head in ("Code", "Item", "Cost £", "Price year", "Borne by", "Grade", "Origin", "Source"):
        table.add_column(head)
    for c in costs:
        payers = ", ".join(f"{p.payer} {p.amount:,.0f}" for p in c.parts)
        table.add_row(
            c.code,
            c.item,
            f"{c.total:,.2f}",
            c.price_year,
            payers,
            str(c.confidence_grade),
            c.origin,
            c.source,
        )
    console.print(table)
    console.print(f"Deflators: {library.deflators.source} {library.deflators.verification}")


@savings_app.command("evidence")
def savings_evidence(
    events: Annotated[
        Path | None,
        typer.Option(help="CSV/Parquet: person_id, agency, event_type, event_date."),
    ] = None,
    cohort: Annotated[Path | None, typer.Option(help="CSV/Parquet: person_id, index_date.")] = None,
    hub: HubOption = None,
    window_months: Annotated[int, typer.Option(min=1, help="Months before and after.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Measure an effect on events by difference-in-differences (files, or the hub's safe haven)."""
    import duckdb

    from sharewell.errors import NotFound
    from sharewell.savings.evidence import measure_did

    applied: tuple[str, ...] = ()
    if events is None and cohort is None:
        # No files: read the linked workspace and measure the safe haven's referrals.
        from sharewell.savings.initiative import find_initiative, load_initiative
        from sharewell.savings.linked_events import create_event_views, measure_safe_haven
        from sharewell.store.workspace import Workspace

        path = settings_for(hub).workspace_path()
        if not path.is_file():
            raise NotFound(f"no analytic workspace at {path}; run `sharewell init` and ingest")
        with Workspace(path, read_only=True) as ws:
            create_event_views(ws.conn)
            haven = load_initiative(find_initiative("safe_haven"))
            evidence = measure_safe_haven(ws.conn, haven, window_months=window_months)
        result, applied = evidence.result, evidence.applied
    elif events is None or cohort is None:
        raise typer.BadParameter("give both --events and --cohort, or neither (to use the hub)")
    else:
        con = duckdb.connect()
        for name, file in (("events", events), ("cohort", cohort)):
            if not file.is_file():
                raise NotFound(f"{name} file {file} does not exist")
            reader = "read_parquet" if file.suffix == ".parquet" else "read_csv_auto"
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}(?)", [str(file)])
        result = measure_did(con, window_months=window_months)
    if as_json:
        emit_json({"result": result, "safe_haven_outcomes_measured": applied})
        return
    table = Table(
        title=f"Difference-in-differences: {result.matched} of {result.cohort_size} matched",
        title_justify="left",
    )
    for head in ("Event type", "Effect per person-month", "95% CI", "Grade"):
        table.add_column(head)
    for e in result.estimates.values():
        table.add_row(
            e.event_type,
            f"{e.effect_per_person_month:+.4f}",
            f"{e.ci_low:+.4f} to {e.ci_high:+.4f}",
            str(e.confidence_grade),
        )
    console.print(table)
    if applied:
        console.print(f"Safe haven outcomes now measured: {', '.join(applied)}")


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
    as_json: JsonOption = False,
) -> None:
    """Encode an extract on the partner's machine: pseudonyms, Bloom filters, blocking keys."""
    from sharewell.privacy import encode_file, load_schema, read_secret

    extra = [c.strip() for c in (pass_through or "").split(",") if c.strip()]
    report = encode_file(
        file, load_schema(schema, extra), read_secret(secret_file), out, partner=partner
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
    as_json: JsonOption = False,
) -> None:
    """Run by the data provider: its own records for the hub's ids, logged."""
    from sharewell.privacy import load_schema
    from sharewell.privacy.reveal import reveal_file

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
    )
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
