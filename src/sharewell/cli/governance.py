"""Governance: the partnership's organisations and users, and its data sharing agreements."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    governance_hub,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    key_value_table,
    rows_table,
)
from sharewell.cli.root import app
from sharewell.errors import NotFound

org_app = typer.Typer(help="Organisations of the partnership.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in: one organisation, one role.", no_args_is_help=True)
partnership_app = typer.Typer(help="Load or seed a whole partnership.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data sharing agreements (versioned).", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(partnership_app, name="partnership")
app.add_typer(agreement_app, name="agreement")


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

    engine, actor = governance_hub(hub)
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

    engine, _ = governance_hub(hub)
    orgs = list_organisations(engine)
    if as_json:
        emit_json(orgs)
        return
    console.print(
        rows_table(
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

    engine, actor = governance_hub(hub)
    try:
        user = User(username=username, display_name=name or username, organisation=org, role=role)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"user {username!r} is not valid: {exc}") from exc
    secret = None
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif password:
        secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
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

    engine, _ = governance_hub(hub)
    found = list_users(engine, org)
    if as_json:
        emit_json(found)
        return
    console.print(
        rows_table(
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

    engine, actor = governance_hub(hub)
    loaded = load_partnership(engine, file, actor=actor)
    if as_json:
        emit_json([{"organisation": org, "added": added} for org, added in loaded])
        return
    console.print(
        rows_table(
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

    engine, actor = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
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

    engine, _ = governance_hub(hub)
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
        rows_table(
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

    engine, _ = governance_hub(hub)
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
        rows_table(
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
        engine, _ = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
    result = suspend_agreement(engine, agreement_id, actor=actor, reason=reason)
    if as_json:
        emit_json(result)
    else:
        console.print(
            f"Agreement {result.agreement_id} is suspended (v{result.version}); no access is "
            "granted under it."
        )
