"""Organisations, users and purposes are stored once, checked, and their changes audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from sharewell.audit import entries, verify
from sharewell.cli import ExitCode, main
from sharewell.errors import ConfigError, NotFound, SharewellError
from sharewell.partnership import (
    Organisation,
    User,
    add_organisation,
    add_user,
    get_user,
    list_organisations,
    list_purposes,
    list_users,
    load_partnership,
)
from sharewell.store.operational import head_revision, migrate

WESTSHIRE = [
    {
        "slug": "westshire_cc",
        "name": "Westshire County Council",
        "code": "W10000001",
        "type": "local_authority",
    },
    {
        "slug": "westshire_fire",
        "name": "Westshire Fire and Rescue Service",
        "code": "WFR01",
        "type": "fire",
    },
]


def _manifest(tmp_path: Path, organisations: list[dict[str, str]]) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps({"county": "Westshire", "organisations": organisations, "extracts": []})
    )
    return path


def test_loading_a_manifest_adds_its_organisations_once(engine: Engine, tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, WESTSHIRE)

    first = load_partnership(engine, manifest, actor="ig")
    second = load_partnership(engine, manifest, actor="ig")

    assert [added for _, added in first] == [True, True]
    assert [added for _, added in second] == [False, False]
    assert [o.slug for o in list_organisations(engine)] == ["westshire_cc", "westshire_fire"]
    assert {p.slug for p in list_purposes(engine)} == {
        "fire_prevention",
        "mh_crisis_care",
        "safeguarding",
        "service_evaluation",
    }


def test_manifest_with_an_unknown_organisation_type_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    bad = [{**WESTSHIRE[0], "type": "parish_council"}]
    with pytest.raises(ConfigError, match=r"organisations\[0\]"):
        load_partnership(engine, _manifest(tmp_path, bad), actor="ig")
    assert list_organisations(engine) == []


def test_a_slug_cannot_be_reused_for_a_different_organisation(engine: Engine) -> None:
    add_organisation(engine, Organisation.model_validate(WESTSHIRE[0]), actor="ig")
    with pytest.raises(SharewellError, match="already exists"):
        add_organisation(
            engine, Organisation(slug="westshire_cc", name="Other", type="fire"), actor="ig"
        )


def test_user_belongs_to_a_known_organisation_with_one_role(engine: Engine) -> None:
    with pytest.raises(NotFound, match="unknown organisation"):
        add_user(
            engine,
            User(username="amy", display_name="Amy", organisation="nowhere", role="analyst"),
            actor="ig",
        )
    add_organisation(engine, Organisation.model_validate(WESTSHIRE[1]), actor="ig")
    add_user(
        engine,
        User(username="amy", display_name="Amy", organisation="westshire_fire", role="frontline"),
        actor="ig",
    )

    amy = get_user(engine, "amy")
    assert (amy.organisation, amy.role, amy.active) == ("westshire_fire", "frontline", True)
    assert [u.username for u in list_users(engine, "westshire_fire")] == ["amy"]


def test_partnership_changes_are_in_the_audit_log(engine: Engine) -> None:
    add_organisation(engine, Organisation.model_validate(WESTSHIRE[1]), actor="ig.lead")
    add_user(
        engine,
        User(username="amy", display_name="Amy", organisation="westshire_fire", role="frontline"),
        actor="ig.lead",
    )

    logged = entries(engine)
    assert [(e.action, e.target, e.actor) for e in logged] == [
        ("partnership_change", "organisation westshire_fire", "ig.lead"),
        ("partnership_change", "user amy", "ig.lead"),
    ]
    assert verify(engine).ok


def test_users_table_leaves_room_for_a_password_hash(engine: Engine) -> None:
    columns = {c["name"]: c for c in inspect(engine).get_columns("users")}
    assert columns["password_hash"]["nullable"] is True


def test_migrating_twice_is_harmless(engine: Engine) -> None:
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()


def test_org_commands_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = str(tmp_path / "hub")
    assert main(["init", hub]) == ExitCode.OK
    args = ["org", "add", "westshire_police", "--name", "Westshire Police", "--type", "police"]
    assert main([*args, "--code", "WP001", "--hub", hub]) == ExitCode.OK
    assert (
        main(["org", "add", "x1", "--name", "X", "--type", "pub", "--hub", hub])
        == ExitCode.BAD_INPUT
    )
    capsys.readouterr()

    assert main(["org", "list", "--hub", hub, "--json"]) == ExitCode.OK
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {"slug": "westshire_police", "name": "Westshire Police", "type": "police", "code": "WP001"}
    ]


def test_partnership_load_command_reads_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = str(tmp_path / "hub")
    main(["init", hub])
    capsys.readouterr()
    manifest = _manifest(tmp_path, WESTSHIRE)
    assert main(["partnership", "load", str(manifest), "--hub", hub, "--json"]) == ExitCode.OK
    loaded = json.loads(capsys.readouterr().out)
    assert [row["organisation"]["slug"] for row in loaded] == ["westshire_cc", "westshire_fire"]


def test_commands_on_a_missing_hub_say_how_to_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "list", "--hub", str(tmp_path / "nope")]) == ExitCode.BAD_INPUT
    assert "sharewell init" in capsys.readouterr().err


def test_user_commands_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = str(tmp_path / "hub")
    main(["init", hub])
    main(["partnership", "load", str(_manifest(tmp_path, WESTSHIRE)), "--hub", hub])
    add = ["user", "add", "amy.jones", "--org", "westshire_fire", "--role", "frontline"]
    assert main([*add, "--hub", hub]) == ExitCode.OK
    bad_role = ["user", "add", "bob", "--org", "westshire_fire", "--role", "chief"]
    assert main([*bad_role, "--hub", hub]) == ExitCode.BAD_INPUT
    capsys.readouterr()

    assert main(["user", "list", "--org", "westshire_fire", "--hub", hub, "--json"]) == 0
    [amy] = json.loads(capsys.readouterr().out)
    assert (amy["username"], amy["organisation"], amy["role"]) == (
        "amy.jones",
        "westshire_fire",
        "frontline",
    )


def test_migration_0002_downgrades_and_upgrades_cleanly(engine: Engine) -> None:
    from alembic import command

    from sharewell.store.operational import _alembic_config

    config = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert "audit_log" not in inspect(engine).get_table_names()
    assert migrate(engine) == head_revision()
    assert {"organisations", "users", "purposes", "agreements", "audit_log"} <= set(
        inspect(engine).get_table_names()
    )
