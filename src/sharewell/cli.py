"""The ``sharewell`` command line: each command is a few lines that call a capability.

Exit codes (one place, here): 0 success, 1 internal failure (a bug: please report it),
2 bad usage (unknown option, missing argument), 3 bad input (the message says what and
where), 4 access denied by a data sharing agreement, 5 something named does not exist.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
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
    accept_shrink: Annotated[
        bool,
        typer.Option(
            "--accept-shrink",
            help="Replace the current version even if this file has far fewer rows (checked).",
        ),
    ] = False,
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
        with _open_workspace(hub) as workspace, err_console.status("Starting") as status:
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

org_app = typer.Typer(help="Organisations of the partnership.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in: one organisation, one role.", no_args_is_help=True)
partnership_app = typer.Typer(help="Load or seed a whole partnership.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data sharing agreements (versioned).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log and its reports.", no_args_is_help=True)
retention_app = typer.Typer(
    help="Delete data past its agreements' retention.", no_args_is_help=True
)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(partnership_app, name="partnership")
app.add_typer(agreement_app, name="agreement")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")


def _governance_hub(hub: Path | None) -> tuple[Any, str]:
    """The hub's operational store engine and who is acting (SHAREWELL_USER)."""
    from sharewell.partnership import hub_engine

    settings = settings_for(hub)
    return hub_engine(settings), settings.user


def _rows_table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(v) if v is not None else "-" for v in row))
    return table


@org_app.command("add")
def org_add(
    slug: Annotated[str, typer.Argument(help="Short name, e.g. westshire_fire.")],
    name: Annotated[str, typer.Option(help="Full name of the organisation.")],
    org_type: Annotated[
        str, typer.Option("--type", help="local_authority, fire, police, nhs_trust, icb, ...")
    ],
    code: Annotated[str | None, typer.Option(help="ODS-style code, e.g. RW1.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an organisation to the partnership."""
    from pydantic import ValidationError

    from sharewell.errors import ConfigError
    from sharewell.partnership import Organisation, add_organisation

    engine, actor = _governance_hub(hub)
    try:
        org = Organisation(slug=slug, name=name, type=org_type, code=code)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"organisation {slug!r} is not valid: {exc}") from exc
    added = add_organisation(engine, org, actor=actor)
    if as_json:
        emit_json({"organisation": org, "added": added})
    else:
        console.print(f"{'Added' if added else 'Already present'}: {org.slug} ({org.name})")


@org_app.command("list")
def org_list(hub: HubOption = None, as_json: JsonOption = False) -> None:
    """List the partnership's organisations."""
    from sharewell.partnership import list_organisations

    engine, _ = _governance_hub(hub)
    orgs = list_organisations(engine)
    if as_json:
        emit_json(orgs)
        return
    console.print(
        _rows_table(
            "Organisations",
            ["slug", "name", "type", "code"],
            [[o.slug, o.name, o.type, o.code] for o in orgs],
        )
    )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. westshire_fire.frontline.")],
    org: Annotated[str, typer.Option("--org", help="Organisation slug the user belongs to.")],
    role: Annotated[
        str,
        typer.Option(
            help="admin, ig_lead, analyst, frontline or executive (savings answers, no records)."
        ),
    ],
    name: Annotated[str | None, typer.Option(help="Display name (default: username).")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a web sign-in password (hidden prompt).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the web sign-in password from stdin.")
    ] = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user to an organisation with one role (and set their password for the web app)."""
    from pydantic import ValidationError

    from sharewell.errors import ConfigError
    from sharewell.partnership import User, add_user
    from sharewell.partnership.accounts import set_password

    engine, actor = _governance_hub(hub)
    try:
        user = User(username=username, display_name=name or username, organisation=org, role=role)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"user {username!r} is not valid: {exc}") from exc
    secret = None
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif password:
        secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from sharewell.errors import NotFound
    from sharewell.partnership import get_user

    try:
        existing = get_user(engine, username)
    except NotFound:
        existing = None
    if (
        existing is not None
        and secret is not None
        and (existing.organisation, existing.role)
        == (
            org,
            role,
        )
    ):
        added = False  # the same person again, to set a new password: keep their details
    else:
        added = add_user(engine, user, actor=actor)
    if secret is not None:
        set_password(engine, user.username, secret, actor=actor)
    if as_json:
        emit_json({"user": user, "added": added, "password_set": secret is not None})
    else:
        console.print(f"{'Added' if added else 'Already present'}: {user.username} ({org}, {role})")
        if secret is not None:
            console.print("Password set: they can sign in to the web app (`sharewell serve`).")


@user_app.command("list")
def user_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """List users and their organisation and role."""
    from sharewell.partnership import list_users

    engine, _ = _governance_hub(hub)
    found = list_users(engine, org)
    if as_json:
        emit_json(found)
        return
    console.print(
        _rows_table(
            "Users",
            ["username", "organisation", "role", "active"],
            [[u.username, u.organisation, u.role, u.active] for u in found],
        )
    )


@partnership_app.command("load")
def partnership_load(
    file: Annotated[Path, typer.Argument(help="A synthetic partnership's manifest.json.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add the organisations listed in a manifest (and the standard purposes)."""
    from sharewell.partnership import load_partnership

    engine, actor = _governance_hub(hub)
    loaded = load_partnership(engine, file, actor=actor)
    if as_json:
        emit_json([{"organisation": org, "added": added} for org, added in loaded])
        return
    console.print(
        _rows_table(
            f"Organisations from {file}",
            ["slug", "name", "type", "code", "added"],
            [
                [o.slug, o.name, o.type, o.code, "yes" if a else "already present"]
                for o, a in loaded
            ],
        )
    )


@partnership_app.command("seed-demo")
def partnership_seed_demo(hub: HubOption = None, as_json: JsonOption = False) -> None:
    """Add the Westshire demo organisations, users and example agreements."""
    from sharewell.agreements import seed_demo_partnership

    engine, actor = _governance_hub(hub)
    seeded = seed_demo_partnership(engine, actor=actor)
    if as_json:
        emit_json(seeded)
        return
    console.print(
        key_value_table(
            "Demo partnership",
            {
                "organisations added": seeded.organisations_added,
                "users added": seeded.users_added,
                **{f"agreement {k}": v for k, v in seeded.agreements.items()},
            },
        )
    )


@agreement_app.command("add")
def agreement_add(
    file: Annotated[Path, typer.Argument(help="Agreement YAML file.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check and store an agreement; a changed agreement must carry a new version."""
    from sharewell.agreements import add_agreement_file

    engine, actor = _governance_hub(hub)
    result = add_agreement_file(engine, file, actor=actor)
    if as_json:
        emit_json(result)
        return
    said = {"added": "Added", "new_version": "Stored new version of", "unchanged": "Unchanged:"}
    console.print(
        f"{said[result.outcome]} agreement {result.agreement_id} v{result.version} "
        f"({result.status})"
    )


@agreement_app.command("list")
def agreement_list(hub: HubOption = None, as_json: JsonOption = False) -> None:
    """List agreements (newest version of each) and whether each is in force today."""
    from datetime import UTC, datetime

    from sharewell.agreements import current_agreements, effective_status

    engine, _ = _governance_hub(hub)
    today = datetime.now(UTC).date()
    found = [(a, effective_status(a, today)) for a in current_agreements(engine)]
    if as_json:
        emit_json(
            [
                {
                    "id": a.id,
                    "version": a.version,
                    "title": a.title,
                    "status": a.status,
                    "in_force": in_force == "active",
                    "effective_status": in_force,
                    "purposes": list(a.purposes),
                    "start": a.start,
                    "end": a.end,
                }
                for a, in_force in found
            ]
        )
        return
    console.print(
        _rows_table(
            "Agreements",
            ["id", "version", "status", "today", "purposes", "start", "end"],
            [
                [a.id, a.version, a.status, in_force, ", ".join(a.purposes), a.start, a.end]
                for a, in_force in found
            ],
        )
    )


@agreement_app.command("show")
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    version: Annotated[int | None, typer.Option(help="Version (default: newest).")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one agreement in full, with its version history."""
    from sharewell.agreements import agreement_history, get_agreement

    engine, _ = _governance_hub(hub)
    stored = get_agreement(engine, agreement_id, version)
    history = agreement_history(engine, agreement_id)
    if as_json:
        emit_json(
            {
                "agreement": stored.agreement,
                "recorded_by": stored.recorded_by,
                "recorded_at": stored.recorded_at,
                "versions": [
                    {
                        "version": h.agreement.version,
                        "status": h.agreement.status,
                        "recorded_at": h.recorded_at,
                        "recorded_by": h.recorded_by,
                    }
                    for h in history
                ],
            }
        )
        return
    import yaml

    a = stored.agreement
    console.print(f"[bold]{a.title}[/bold]  ({a.id} v{a.version}, {a.status})")
    console.print(yaml.safe_dump(a.model_dump(mode="json"), sort_keys=False), markup=False)
    console.print(
        _rows_table(
            "Versions",
            ["version", "status", "recorded at", "by"],
            [
                [h.agreement.version, h.agreement.status, h.recorded_at, h.recorded_by]
                for h in history
            ],
        )
    )


@agreement_app.command("check")
def agreement_check(
    files: Annotated[list[Path], typer.Argument(help="Agreement YAML files to check.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check agreement files without storing them (organisations checked if the hub exists)."""
    import yaml as yaml_lib

    from sharewell.agreements import check_agreement, known_organisations, parse_agreement
    from sharewell.errors import AgreementError

    settings = settings_for(hub)
    orgs = None
    if settings.database_url or (settings.hub_dir / "sharewell.db").exists():
        engine, _ = _governance_hub(hub)
        orgs = known_organisations(engine)
    report: dict[str, list[str]] = {}
    for file in files:
        try:
            raw = yaml_lib.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml_lib.YAMLError) as exc:
            report[str(file)] = [f"{file}: cannot be read as YAML: {exc}"]
            continue
        agreement, problems = parse_agreement(raw, str(file))
        if agreement is not None:
            problems = check_agreement(agreement, str(file), organisations=orgs)
        report[str(file)] = [str(p) for p in problems]
    if as_json:
        emit_json({"organisations_checked": orgs is not None, "files": report})
    else:
        for file_name, lines in report.items():
            if lines:
                console.print(f"[red]✗[/red] {file_name}")
                for p in lines:
                    console.print(f"  - {p}", markup=False)
            else:
                console.print(f"[green]✓[/green] {file_name}")
        if orgs is None:
            console.print("(no hub found: organisation names were not checked)")
    bad = sum(bool(p) for p in report.values())
    if bad:
        raise AgreementError(f"{bad} of {len(report)} agreement file(s) have problems")


@agreement_app.command("suspend")
def agreement_suspend(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    reason: Annotated[str, typer.Option(help="Why it is suspended (recorded in the audit log).")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suspend an agreement at once (stored as a new version)."""
    from sharewell.agreements import suspend_agreement

    engine, actor = _governance_hub(hub)
    result = suspend_agreement(engine, agreement_id, actor=actor, reason=reason)
    if as_json:
        emit_json(result)
    else:
        console.print(
            f"Agreement {result.agreement_id} is suspended (v{result.version}); no access is "
            "granted under it."
        )


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", help="A checkpoint file a partner holds (repeatable): still true?"
        ),
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option(help="A head recorded earlier (SEQ:HASH, or the hash): still in the log?"),
    ] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the audit chain, its keys and every checkpoint given; exit 3 and say where if not."""
    from sharewell.audit.checkpoint import anchor_of
    from sharewell.audit.keys import load_key_ring
    from sharewell.audit.log import audit_key_file, recorded_head, verify
    from sharewell.errors import StoreError

    engine, _ = _governance_hub(hub)
    ring = load_key_ring(audit_key_file(engine))
    anchors = [anchor_of(path, ring) for path in checkpoint or []]
    if expect_head:
        anchors.append(recorded_head(engine, expect_head))
    report = verify(engine, anchors)
    if as_json:
        emit_json(report)
    elif report.ok:
        held = (
            f"; {report.anchors_checked} checkpoint(s) or recorded head(s) hold"
            if report.anchors_checked
            else ""
        )
        console.print(
            f"[green]Audit log intact:[/green] {report.entries_checked} entries, sealed with "
            f"key(s) {', '.join(report.keys)} from entry {report.keyed_from}{held}; head "
            f"{report.head_seq}:{report.head_hash}"
        )
    else:
        for problem in report.problems:
            err_console.print(f"  - {problem.message}")
    if not report.ok:
        raise StoreError(
            f"the audit log was tampered with: {len(report.problems)} problem(s), listed above"
        )


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[Path, typer.Option(help="New file for the checkpoint, kept by the partner.")],
    organisation: Annotated[
        str, typer.Option("--org", help="The organisation that will keep it.")
    ] = "hub",
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a signed checkpoint (entry N has hash H) for a partner to keep outside the hub."""
    from sharewell.audit.checkpoint import take_checkpoint

    engine, actor = _governance_hub(hub)
    taken = take_checkpoint(engine, out, organisation=organisation, actor=actor)
    if as_json:
        emit_json(taken)
        return
    console.print(
        f"Checkpoint for {taken.organisation}: entry {taken.seq} has hash {taken.hash}, signed "
        f"with key {taken.key_id}. Keep {out} outside the hub; check the log against it with "
        "`sharewell audit verify --checkpoint FILE`"
    )


@audit_app.command("check-checkpoint")
def audit_check_checkpoint(
    file: Annotated[Path, typer.Argument(help="A checkpoint file.")],
    public_key: Annotated[
        str | None, typer.Option(help="The hub's public key, as published (base64).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a checkpoint's signature on a partner's machine: no hub needed."""
    from sharewell.audit.checkpoint import check_signature, read_checkpoint
    from sharewell.errors import StoreError

    taken = read_checkpoint(file)
    why = check_signature(taken, public_key)
    if why is not None:
        raise StoreError(f"{file}: {why}")
    if as_json:
        emit_json(taken)
        return
    console.print(
        f"{file}: signed by the hub's key {taken.key_id} ({taken.public_key}); entry "
        f"{taken.seq} had hash {taken.hash} on {taken.taken_at}"
        + ("" if public_key else " (give --public-key to check it is the hub's key)")
    )


@audit_app.command("rotate-key")
def audit_rotate_key(hub: HubOption = None, as_json: JsonOption = False) -> None:
    """Seal every entry from now on with a new key; the old keys stay, to check the past."""
    from sharewell.audit.checkpoint import public_key_of
    from sharewell.audit.keying import rotate_audit_key

    engine, actor = _governance_hub(hub)
    key = rotate_audit_key(engine, actor=actor)
    if as_json:
        emit_json({"key_id": key.id, "from_seq": key.from_seq, "public_key": public_key_of(key)})
        return
    console.print(
        f"Audit key {key.id} seals entries from {key.from_seq}; checkpoints are now signed "
        f"with public key {public_key_of(key)} (send it to the partners)"
    )


@audit_app.command("reseal")
def audit_reseal(
    reason: Annotated[str, typer.Option(help="What was found and done: it goes in the log.")],
    hub: HubOption = None,
) -> None:
    """After investigating a head that does not verify, seal it as it stands, on record."""
    from sharewell.audit.keying import reseal_head

    engine, actor = _governance_hub(hub)
    entry = reseal_head(engine, actor=actor, reason=reason)
    console.print(f"Chain head resealed; entry {entry.seq} records it ({entry.detail['head_was']})")


@audit_app.command("person")
def audit_person(
    person_id: Annotated[str, typer.Argument(help="Internal person id.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Subject access: who saw this person's data, when, under which agreement and purpose."""
    from sharewell.audit import subject_access_report

    engine, _ = _governance_hub(hub)
    report = subject_access_report(engine, person_id)
    if as_json:
        emit_json(report)
        return
    console.print(
        _rows_table(
            f"Who saw person {person_id} (organisations: "
            f"{', '.join(report.seen_by_organisations) or 'none'})",
            ["when", "who", "organisation", "purpose", "action", "agreement", "outcome"],
            [
                [
                    e.recorded_at,
                    e.actor,
                    e.organisation,
                    e.purpose,
                    e.action,
                    f"{e.agreement_id} v{e.agreement_version}" if e.agreement_id else None,
                    e.outcome,
                ]
                for e in report.entries
            ],
        )
    )


@audit_app.command("agreement")
def audit_agreement(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """How an agreement was used: accesses allowed and refused, by organisation and purpose."""
    from sharewell.audit import agreement_usage_report

    engine, _ = _governance_hub(hub)
    usage = agreement_usage_report(engine, agreement_id)
    if as_json:
        emit_json(usage)
        return
    console.print(
        key_value_table(
            f"Use of agreement {agreement_id}",
            {
                "entries": usage.total,
                "allowed": usage.allowed,
                "refused": usage.denied,
                "changes to the agreement": usage.changes,
                "people whose data was seen": usage.persons,
                "by organisation": usage.by_organisation,
                "by purpose": usage.by_purpose,
                "by action": usage.by_action,
                "first": usage.first,
                "last": usage.last,
            },
        )
    )


def _deletion_counts(report: Any) -> dict[str, int]:
    """The integer counts of a deletion report (e.g. records, quarantine rows), for the audit."""
    is_instance = dataclasses.is_dataclass(report) and not isinstance(report, type)
    fields = dataclasses.asdict(report) if is_instance else {}
    return {
        k: v
        for k, v in fields.items()
        if isinstance(v, int) and not isinstance(v, bool) and k != "dataset_version"
    }


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what is due; delete nothing.")
    ] = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete dataset versions past their agreements' retention; audit the counts."""
    from sharewell.agreements import current_agreements, run_retention
    from sharewell.ingest import delete_dataset_version, list_dataset_versions
    from sharewell.store import Workspace

    engine, actor = _governance_hub(hub)
    with Workspace(settings_for(hub).workspace_path()) as workspace:
        report = run_retention(
            engine,
            list_dataset_versions(workspace),
            current_agreements(engine),
            lambda version_id: _deletion_counts(delete_dataset_version(workspace, version_id)),
            actor=actor,
            dry_run=dry_run,
        )
    if as_json:
        emit_json(report)
        return
    console.print(
        _rows_table(
            f"Retention on {report.run_on}{' (dry run)' if dry_run else ''}",
            ["dataset version", "partner", "source type", "rows", "due", "why"],
            [
                [
                    d.dataset_version,
                    d.partner,
                    d.source_type,
                    d.rows,
                    "yes" if d.due else "no",
                    d.reason,
                ]
                for d in report.decisions
            ],
        )
    )
    console.print(
        f"Deleted {report.deleted_versions} dataset version(s), {report.deleted_rows} row(s)."
    )


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


# --- views --------------------------------------------------------------------------------

risk_app = typer.Typer(help="Fire risk: the Safe and Well visit list and its calibration.")
crisis_app = typer.Typer(help="Mental health crisis care: the cohort in repeated crisis.")
app.add_typer(risk_app, name="risk")
app.add_typer(crisis_app, name="crisis")

UserOption = Annotated[
    str, typer.Option("--user", help="Who is asking (a user of the hub); the policy decides.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Date the view is drawn up for (YYYY-MM-DD; default today)."),
]


def _as_of(value: str | None) -> date:
    from datetime import date as _date

    from sharewell.errors import ConfigError

    if value is None:
        return _date.today()
    try:
        return _date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r} is not a date; use YYYY-MM-DD") from None


@contextmanager
def _linked_hub(hub: Path | None) -> Iterator[tuple[Any, Any]]:
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


@risk_app.command("list")
def risk_list(
    user: UserOption,
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Households to show.")] = 20,
    export: Annotated[
        Path | None, typer.Option(help="Also write the whole list to a .csv or .xlsx file.")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="Risk weights file (default: the shipped weights).")
    ] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """The ranked Safe and Well visit list, with reasons, as the user's agreement allows."""
    from sharewell.views.export import export_visit_list
    from sharewell.views.fire_risk import load_weights
    from sharewell.views.safe_and_well import safe_and_well_list

    when = _as_of(as_of)
    with _linked_hub(hub) as (engine, conn):
        visits = safe_and_well_list(
            engine, conn, username=user, as_of=when, weights=load_weights(weights)
        )
        written = export_visit_list(engine, visits, export, username=user) if export else None
    shown = visits.households[:limit]
    if as_json:
        emit_json(
            {
                "as_of": when,
                "weights_version": visits.weights_version,
                "households": [
                    {
                        "rank": i,
                        "address": h.address,
                        "postcode": h.postcode,
                        "uprn": h.uprn,
                        "people": list(h.names),
                        "score": h.risk.score,
                        "reasons": h.risk.reasons,
                        "household": h.household_id,
                    }
                    for i, h in enumerate(shown, start=1)
                ],
                "not_available": list(visits.withheld),
                "exported": written,
            }
        )
        return
    table = Table(title=f"Safe and Well visits, {when} (weights v{visits.weights_version})")
    for col in ("#", "address", "people", "score", "why"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(shown, start=1):
        table.add_row(
            str(i),
            # PPRL mode: no address at the hub; the providers reveal it for this pseudonym
            f"{h.address}, {h.postcode}" if h.address else h.household_id,
            "; ".join(h.names),
            f"{h.risk.score:.4f}",
            h.risk.reasons,
        )
    console.print(table)
    if visits.withheld:
        console.print("Not available to you under your agreements: " + ", ".join(visits.withheld))
    if written is not None:
        console.print(f"Exported {written} households to {export} (audited).")


@risk_app.command("calibrate")
def risk_calibrate(
    user: UserOption,
    cutoff: Annotated[str, typer.Option(help="Fit on the year before, test on the year after.")],
    out: Annotated[Path | None, typer.Option(help="Write the fitted weights (YAML) here.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit risk weights to past dwelling fires; report ranking quality against age-only."""
    import yaml

    from sharewell.views.safe_and_well import calibrate_from_history

    when = _as_of(cutoff)
    with _linked_hub(hub) as (engine, conn):
        result = calibrate_from_history(engine, conn, username=user, cutoff=when)
    if out is not None:
        out.write_text(yaml.safe_dump(result.weights.model_dump(mode="json"), sort_keys=False))
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"Ranking quality on dwelling fires in the year after {when}")
    for col in ("targeting", "AUC (95% interval)", "fires in top 10% of households"):
        table.add_column(col)
    rankings = [("calibrated weights", result.model)]
    if result.starting is not None:
        rankings.append(("starting weights", result.starting))
    rankings.append(("age only", result.age_only))
    for name, q in rankings:
        interval = f" ({q.auc_interval[0]:.2f}-{q.auc_interval[1]:.2f})" if q.auc_interval else ""
        table.add_row(name, f"{q.auc:.3f}{interval}", f"{q.top_decile_capture:.1%} of {q.fires}")
    console.print(table)
    if out is not None:
        console.print(f"Fitted weights (version {result.weights.version}) written to {out}")


@crisis_app.command("cohort")
def crisis_cohort_command(
    user: UserOption,
    as_of: AsOfOption = None,
    window_days: Annotated[int, typer.Option(min=1, help="Look-back window in days.")] = 365,
    min_contacts: Annotated[int, typer.Option(min=1, help="Crisis contacts to qualify.")] = 3,
    summary: Annotated[
        bool, typer.Option("--summary", help="Only counts, small cells suppressed.")
    ] = False,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """People in repeated mental health crisis across agencies, with their timelines."""
    from sharewell.views.crisis_care import cohort_summary, crisis_cohort_for

    when = _as_of(as_of)
    with _linked_hub(hub) as (engine, conn):
        cohort = crisis_cohort_for(
            engine,
            conn,
            username=user,
            as_of=when,
            window_days=window_days,
            min_contacts=min_contacts,
        )
    if summary:
        cells = cohort_summary(cohort)
        if as_json:
            emit_json(cells)
        else:
            console.print(
                _rows_table(
                    "Crisis cohort (cells under 10 suppressed)",
                    ["agencies involved", "referred to safe haven", "people"],
                    [
                        [
                            c["agencies_involved"],
                            c["referred_to_safe_haven"],
                            "<10" if c["suppressed"] else c["count"],
                        ]
                        for c in cells
                    ],
                )
            )
        return
    if as_json:
        emit_json({"as_of": when, "members": cohort.members, "names": cohort.names})
        return
    table = Table(title=f"People in repeated crisis, {window_days} days to {when}")
    for col in ("person", "contacts", "agencies", "last contact", "safe haven"):
        table.add_column(col)
    for m in cohort.members:
        table.add_row(
            cohort.names.get(m.person_id, m.person_id),
            str(m.crisis_contacts),
            ", ".join(m.agencies),
            str(m.last_contact),
            "yes" if m.referred_to_safe_haven else "",
        )
    console.print(table)


@app.command("lookup")
def lookup_command(
    user: UserOption,
    purpose: Annotated[str, typer.Option(help="Why you are looking, e.g. mh_crisis_care.")],
    given_name: Annotated[str | None, typer.Option(help="Given name.")] = None,
    family_name: Annotated[str | None, typer.Option(help="Family name.")] = None,
    dob: Annotated[str | None, typer.Option(help="Date of birth, e.g. 03/04/1950.")] = None,
    postcode: Annotated[str | None, typer.Option(help="Postcode.")] = None,
    nhs_number: Annotated[str | None, typer.Option(help="NHS number.")] = None,
    as_of: AsOfOption = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Point-of-contact flag lookup: identify one person safely and show granted flags only."""
    from sharewell.views.lookup import WorkspaceCandidates, lookup

    details = {
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": dob,
        "postcode": postcode,
        "nhs_number": nhs_number,
    }
    with _linked_hub(hub) as (engine, conn):
        # one question, then exit: read candidates from the workspace, build no index
        result = lookup(
            engine,
            conn,
            username=user,
            purpose=purpose,
            details=details,
            as_of=_as_of(as_of),
            index=WorkspaceCandidates(conn),
        )
    if as_json:
        emit_json(result)
        return
    for field_name, problem in result.problems.items():
        console.print(f"[yellow]{field_name}[/yellow]: {problem} (ignored)")
    ident = result.identification
    if not ident.identified:
        console.print(ident.reason)
        return
    console.print(f"Identified on {', '.join(ident.matched_on)}.")
    if not result.flags:
        console.print("No flags to show.")
    for flag in result.flags:
        console.print(f"[bold]{flag.label}[/bold] — held by {flag.owner}")


@app.command("flag-access")
def flag_access_command(
    owner: Annotated[str, typer.Option(help="The organisation whose flags were looked at.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who looked at an organisation's flags, when and why (as CP-IS tells social care)."""
    from sharewell.partnership import hub_engine
    from sharewell.views.lookup import flag_access_report

    engine = hub_engine(settings_for(hub))
    try:
        report = flag_access_report(engine, owner)
    finally:
        engine.dispose()
    if as_json:
        emit_json(report)
        return
    console.print(
        _rows_table(
            f"Lookups of {owner}'s flags",
            ["when", "who", "organisation", "purpose", "agreement", "person"],
            [
                [
                    r["when"],
                    r["who"],
                    r["organisation"],
                    r["purpose"],
                    r["agreement"],
                    ", ".join(r["persons"]),
                ]
                for r in report
            ],
        )
    )


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
PartnershipHubOption = Annotated[
    Path | None,
    typer.Option(
        "--hub", help="Take the partners' names from this hub (default: the demo partnership)."
    ),
]


def _savings_partnership(hub: Path | None) -> Any:
    """The hub's organisations as the initiative's partners, or None for the demo partnership."""
    if hub is None:
        return None
    from sharewell.partnership import hub_engine, list_organisations

    return list_organisations(hub_engine(settings_for(hub))) or None


def _print_savings_table(t: Any, bold: tuple[str, ...] = ()) -> None:
    table = Table(title=t.caption, title_justify="left")
    for head, numeric in zip(t.head, t.numeric, strict=True):
        table.add_column(head, justify="right" if numeric else "left")
    for row in t.rows:
        table.add_row(*row, style="bold" if row[0] in bold else None)
    console.print(table)
    if t.note:
        console.print(t.note, style="dim", highlight=False)


@savings_app.command("ask")
def savings_ask(
    initiative: Annotated[str, typer.Argument(help="Initiative YAML file, or a template name.")],
    org: Annotated[str, typer.Option("--org", help="Partner slug, e.g. westshire_cc.")],
    local_costs: LocalCostsOption = None,
    hub: PartnershipHubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer, for one organisation, what an initiative costs it in cash and frees in capacity."""
    from sharewell.savings.answer import answer_for, appraise_file, money
    from sharewell.savings.scenarios import scenario_results
    from sharewell.savings.tables import agency_table

    ini, library, appraisal = appraise_file(
        initiative, local_costs or [], _savings_partnership(hub)
    )
    answer = answer_for(appraisal, org, library)
    scenarios = scenario_results(ini, library)
    if as_json:
        r = answer.result
        be = answer.break_even
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
                "cash_npv": r.cash_npv,
                "capacity_value": r.capacity_pv,
                "npv": r.npv,
                "roi": r.roi,
                "benefit_cost_ratio": r.benefit_cost_ratio,
                "cash_payback_year": r.cash_payback_year,
                "payback_year": r.payback_year,
                "largest_beneficiary": answer.largest_beneficiary,
                "uncertainty": answer.uncertainty,
                "npv_p5": answer.npv_p5,
                "npv_p95": answer.npv_p95,
                "cash_npv_p5": answer.cash_npv_p5,
                "cash_npv_p95": answer.cash_npv_p95,
                "probability_ahead": answer.probability_ahead,
                "probability_cash_ahead": answer.probability_cash_ahead,
                "break_even": None
                if be is None
                else {"input": be.input.name, "value": be.value, "rising": be.rising},
                "switching_values": answer.switching,
                "cost_share": answer.share,
                "pays_under_proposal": answer.pays_under_proposal,
                "measured_from_linked_data": answer.measured,
                "scenarios": [
                    {
                        "scenario": s.key,
                        "description": s.description,
                        "cash_npv": s.appraisal.agency(org).cash_npv,
                        "npv": s.appraisal.agency(org).npv,
                    }
                    for s in scenarios
                ],
                "local_unit_costs": answer.local_unit_costs,
                "lines": [ln for ln in appraisal.lines if ln.partner == org],
            }
        )
        return
    console.print(answer.text, highlight=False)
    console.print(answer.uncertainty, highlight=False, style="dim")
    table = agency_table(appraisal, short=True)
    mine = next(
        row[0] for row, a in zip(table.rows, appraisal.agencies, strict=False) if a.partner == org
    )
    _print_savings_table(table, (mine, "All public bodies"))
    if len(scenarios) > 1:
        rows = Table(title=f"Scenarios for {answer.organisation_name}", title_justify="left")
        for head in ("Scenario", "Cash NPV", "NPV with capacity"):
            rows.add_column(head, justify="left" if head == "Scenario" else "right")
        for sc in scenarios:
            a = sc.appraisal.agency(org)
            rows.add_row(sc.description, money(a.cash_npv), money(a.npv))
        console.print(rows)
    if answer.local_unit_costs:
        console.print(f"Local unit costs used: {', '.join(answer.local_unit_costs)}")


@savings_app.command("report")
def savings_report(
    initiatives: Annotated[list[str], typer.Argument(help="Initiative files or template names.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the report and workbook.")],
    local_costs: LocalCostsOption = None,
    hub: PartnershipHubOption = None,
    draws: Annotated[int, typer.Option(min=100, help="Monte Carlo draws.")] = 5000,
    as_json: JsonOption = False,
) -> None:
    """Write the report (HTML and PDF, page 1 the answer) and an Excel workbook of every line."""
    from sharewell.savings.initiative import find_initiative, load_initiative
    from sharewell.savings.report import write_report
    from sharewell.savings.unit_costs import load_library

    library = load_library(local_costs or [])
    orgs = _savings_partnership(hub)
    pairs = [(load_initiative(find_initiative(i), library, orgs), library) for i in initiatives]
    with err_console.status("Appraising, simulating and drawing the report…"):
        files = write_report(pairs, out, draws=draws)
    if as_json:
        emit_json(files)
        return
    console.print(
        key_value_table(
            "Savings report",
            {"html": files.html, "pdf": files.pdf, "workbook": files.workbook},
        )
    )


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
    people: Annotated[
        Path | None,
        typer.Option(
            help="CSV/Parquet of who may be a comparison: person_id, and any of index_date, "
            "sex, date_of_birth."
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Who is asking, to measure from the hub's linked data (service_evaluation, "
            "aggregate_only; the policy decides and the read is audited).",
        ),
    ] = None,
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
        # No files: the hub's linked events, read through the policy for this user.
        from sharewell.savings.initiative import find_initiative, load_initiative
        from sharewell.savings.linked_events import safe_haven_evidence

        if user is None:
            raise typer.BadParameter("give --user to measure from the hub's linked data")
        path = settings_for(hub).workspace_path()
        if not path.is_file():
            raise NotFound(f"no analytic workspace at {path}; run `sharewell init` and ingest")
        haven = load_initiative(find_initiative("safe_haven"))
        with _linked_hub(hub) as (engine, conn):
            evidence, _ = safe_haven_evidence(
                engine, conn, haven, username=user, window_months=window_months
            )
        result, applied = evidence.result, evidence.applied
    elif events is None or cohort is None:
        raise typer.BadParameter("give both --events and --cohort, or neither (to use the hub)")
    else:
        con = duckdb.connect()
        files = {"events": events, "cohort": cohort, **({"people": people} if people else {})}
        for name, file in files.items():
            if not file.is_file():
                raise NotFound(f"{name} file {file} does not exist")
            reader = "read_parquet" if file.suffix == ".parquet" else "read_csv_auto"
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}(?)", [str(file)])
        result = measure_did(con, people="people" if people else None, window_months=window_months)
    if as_json:
        emit_json({"result": result, "safe_haven_outcomes_measured": applied})
        return
    _print_evidence(result, applied)


def _print_evidence(result: Any, applied: tuple[str, ...]) -> None:
    worst = max((abs(b.smd_after) for b in result.balance), default=0.0)
    on = ", ".join([*result.matched_on, "history per event type"])
    table = Table(
        title=(
            f"Matched difference-in-differences: {result.matched} of {result.cohort_size} "
            f"in the cohort matched ({result.followed} followed a full year), on {on}; "
            f"largest |SMD| after matching {worst:.2f}"
        ),
        title_justify="left",
    )
    heads = ("Event type", "Effect a person-month", "95% CI", "Corrected CI", "Pre-trend", "Grade")
    for head in (*heads, "Verdict"):
        table.add_column(head)
    for e in result.estimates.values():
        verdict = "no clear effect"
        if e.clear:
            verdict = "clear fall" if e.effect_per_person_month < 0 else "clear rise"
        table.add_row(
            e.event_type,
            f"{e.effect_per_person_month:+.4f}",
            f"{e.ci95_low:+.4f} to {e.ci95_high:+.4f}",
            f"{e.ci_low:+.4f} to {e.ci_high:+.4f}",
            "parallel" if e.pre_trend_ok else "differs or untested",
            str(e.confidence_grade),
            verdict,
        )
    console.print(table)
    if not result.clear:
        console.print("No clear effect on any outcome (intervals corrected for every outcome).")
    balance = Table(title="Balance (standardised mean differences)", title_justify="left")
    for head in ("Covariate", "Cohort", "Comparison", "SMD before", "SMD after"):
        balance.add_column(head, justify="left" if head == "Covariate" else "right")
    for b in result.balance:
        balance.add_row(
            b.covariate,
            f"{b.treated_mean:.3f}",
            f"{b.control_mean:.3f}",
            f"{b.smd_before:+.2f}",
            f"{b.smd_after:+.2f}",
        )
    console.print(balance)
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
    accept_shrink: Annotated[
        bool,
        typer.Option(
            "--accept-shrink",
            help="Replace current versions even if a file has far fewer rows (checked).",
        ),
    ] = False,
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
        with _open_workspace(hub) as workspace:
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


# --- web ---------------------------------------------------------------------------------

token_app = typer.Typer(help="API tokens: one organisation's systems calling /api/v1.")
app.add_typer(token_app, name="token")


@token_app.command("add")
def token_add(
    org: Annotated[str, typer.Option("--org", help="Organisation the token acts for.")],
    label: Annotated[str, typer.Option(help="What the token is for, e.g. the system's name.")] = (
        "api token"
    ),
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make an API token for an organisation and print it once (only its hash is kept)."""
    from sharewell.partnership.accounts import add_api_token

    engine, actor = _governance_hub(hub)
    token = add_api_token(engine, org, label=label, actor=actor)
    if as_json:
        emit_json({"organisation": org, "label": label, "token": token})
    else:
        console.print(f"API token for {org} (shown once; send as `Authorization: Bearer ...`):")
        print(token)


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens by id (never the tokens themselves), revoked ones included."""
    from sharewell.partnership.accounts import list_api_tokens

    engine, _ = _governance_hub(hub)
    tokens = list_api_tokens(engine, org)
    engine.dispose()
    if as_json:
        emit_json(tokens)
        return
    console.print(
        _rows_table(
            "API tokens",
            ["id", "organisation", "label", "created", "by", "revoked"],
            [
                [
                    t.id,
                    t.organisation,
                    t.label,
                    f"{t.created_at:%Y-%m-%d %H:%M}",
                    t.created_by,
                    "yes" if t.revoked else "",
                ]
                for t in tokens
            ],
        )
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `token list` shows it.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke an API token at once: calls with it are refused from now on."""
    from sharewell.partnership.accounts import revoke_api_token

    engine, actor = _governance_hub(hub)
    token = revoke_api_token(engine, token_id, actor=actor)
    engine.dispose()
    if as_json:
        emit_json(token)
    else:
        console.print(f"Revoked API token {token.id} of {token.organisation} ({token.label}).")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (uvicorn's supervisor restarts any that dies).",
        ),
    ] = 1,
    hub: HubOption = None,
) -> None:
    """Start the web app and API (GOV.UK-style pages, /api/v1, /openapi.json)."""
    import uvicorn

    from sharewell.web import create_app

    settings = settings_for(hub)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port)
        return
    # Each worker process builds its own app from the environment: pass --hub on that way.
    os.environ["SHAREWELL_HUB_DIR"] = str(settings.hub_dir.resolve())
    uvicorn.run(
        "sharewell.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker warming a county's lookup index is busy for a while: the supervisor must
        # not take that for a hung worker and kill it (its default patience is 5 s).
        timeout_worker_healthcheck=120,
    )


# --- demo ---------------------------------------------------------------------------------


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo hub and extracts.")] = Path(
        "demo-hub"
    ),
    people: Annotated[int, typer.Option(min=10, help="People in the synthetic county.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic partnership.")] = 42,
    linkage: Annotated[
        str,
        typer.Option(
            help="plaintext (the hub links names) or pprl (partners send encodings only)."
        ),
    ] = "plaintext",
    as_json: JsonOption = False,
) -> None:
    """Run every stage end to end on a synthetic partnership and say where to look."""
    from sharewell.demo import run_demo

    summary = run_demo(
        out,
        people=people,
        seed=seed,
        console=None if as_json else console,
        linkage=linkage,  # type: ignore[arg-type]  # run_demo refuses any other value
    )
    if as_json:
        emit_json(summary)


# --- entry point --------------------------------------------------------------------------


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
