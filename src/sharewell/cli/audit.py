"""The audit log (verify, checkpoints, keys, subject access) and retention's deletions."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    UserOption,
    governance_hub,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
    err_console,
    key_value_table,
    rows_table,
)
from sharewell.cli.root import app

audit_app = typer.Typer(help="The tamper-evident audit log and its reports.", no_args_is_help=True)
retention_app = typer.Typer(
    help="Delete data past its agreements' retention.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")


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

    engine, _ = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
    entry = reseal_head(engine, actor=actor, reason=reason)
    console.print(f"Chain head resealed; entry {entry.seq} records it ({entry.detail['head_was']})")


@audit_app.command("person")
def audit_person(
    person_id: Annotated[str, typer.Argument(help="Internal person id.")],
    user: UserOption,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Subject access: who saw this person's data, when, under which agreement and purpose.

    Asked as an IG lead (their organisation's staff and every read of its data) or the hub
    administrator (every entry); the look is itself recorded, as on the web.
    """
    from sharewell.errors import AccessDenied
    from sharewell.partnership import get_user
    from sharewell.web.data_access import person_access_report
    from sharewell.web.roles import Principal

    engine, _ = governance_hub(hub)
    found = get_user(engine, user)
    caller = Principal(found.username, found.username, found.organisation, found.role)
    if not found.active or not caller.may("audit.search"):
        raise AccessDenied(
            f"{user} may not read the audit log: a person's access report is for IG leads "
            "and the hub administrator"
        )
    report, shown = person_access_report(engine, caller, person_id)
    if as_json:
        emit_json(
            {
                "person_id": person_id,
                "seen_by_organisations": report.seen_by_organisations,
                "entries": shown,
            }
        )
        return
    console.print(
        rows_table(
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
                for e in shown
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

    engine, _ = governance_hub(hub)
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

    engine, actor = governance_hub(hub)
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
        rows_table(
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
