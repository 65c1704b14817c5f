"""The audit key file, checkpoints and rotation from the command line, as an IG lead uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attacker import read_log, reseal
from attacker import write_log as rewrite

from sharewell.audit import AuditEvent, record, verify
from sharewell.cli import ExitCode, main
from sharewell.config import Settings
from sharewell.partnership import hub_engine


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    path = tmp_path / "hub"
    assert main(["init", str(path), "--json"]) == ExitCode.OK
    assert main(["partnership", "seed-demo", "--hub", str(path), "--json"]) == ExitCode.OK
    return path


def _read(hub: Path, n: int = 3) -> None:
    engine = hub_engine(Settings(hub_dir=hub))
    for i in range(n):
        record(engine, AuditEvent(actor="westshire_fire.frontline", action="access",
                                  target=f"read {i}", outcome="allow"))  # fmt: skip
    engine.dispose()


def test_init_makes_an_owner_only_key_file_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = tmp_path / "hub"
    assert main(["init", str(hub), "--json"]) == ExitCode.OK
    status = json.loads(capsys.readouterr().out)
    key_file = Path(status["audit_key_file"])
    assert key_file == hub / "audit-keys.json" and status["audit_key_created"]
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert main(["init", str(hub), "--json"]) == ExitCode.OK  # twice is harmless
    again = json.loads(capsys.readouterr().out)
    assert (again["audit_key_id"], again["audit_key_created"]) == (status["audit_key_id"], False)


def test_the_key_file_can_live_outside_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "keys" / "westshire-audit-keys.json"
    monkeypatch.setenv("SHAREWELL_AUDIT_KEY_FILE", str(elsewhere))
    from sharewell.config import get_settings

    get_settings.cache_clear()
    try:
        hub = tmp_path / "hub"
        assert main(["init", str(hub)]) == ExitCode.OK
        assert elsewhere.exists() and not (hub / "audit-keys.json").exists()
        assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.OK
    finally:
        get_settings.cache_clear()


def test_without_its_key_file_a_hub_refuses_to_write_or_check(
    hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (hub / "audit-keys.json").rename(hub / "audit-keys.json.away")
    capsys.readouterr()
    assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.BAD_INPUT
    assert "audit key file" in capsys.readouterr().err
    # init will not paper over it with a new key: the entries the old one sealed need it
    assert main(["init", str(hub)]) == ExitCode.BAD_INPUT
    assert "restore it" in " ".join(capsys.readouterr().err.split())
    (hub / "audit-keys.json.away").rename(hub / "audit-keys.json")
    assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.OK


def test_each_partner_keeps_a_checkpoint_and_the_log_is_checked_against_all(
    hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for org in ("westshire_fire", "westshire_police"):
        out = tmp_path / f"{org}.json"
        assert (
            main(["audit", "checkpoint", "--out", str(out), "--org", org, "--hub", str(hub)]) == 0
        )
        files.append(out)
        _read(hub)
    # taking one is on record, and refuses to overwrite a kept checkpoint
    assert main(["audit", "checkpoint", "--out", str(files[0]), "--hub", str(hub)]) == 3
    capsys.readouterr()
    args = ["audit", "verify", "--hub", str(hub)]
    for f in files:
        args += ["--checkpoint", str(f)]
    assert main(args) == ExitCode.OK
    assert "2 checkpoint(s) or recorded head(s) hold" in " ".join(capsys.readouterr().out.split())

    # someone with the key rewrites an entry both checkpoints cover
    engine = hub_engine(Settings(hub_dir=hub))
    from sharewell.audit.keys import load_key_ring

    log = read_log(engine)
    log.rows[3]["actor"] = "someone_else"
    rewrite(engine, reseal(log, "sha256", load_key_ring(hub / "audit-keys.json")))
    assert verify(engine).ok  # on its own, a key holder's rewrite verifies...
    engine.dispose()
    capsys.readouterr()
    assert main(args) == ExitCode.BAD_INPUT  # ...the partners' checkpoints do not
    err = " ".join(capsys.readouterr().err.split())
    assert "checkpoint westshire_fire.json (westshire_fire" in err
    assert "checkpoint westshire_police.json (westshire_police" in err


def test_a_partner_checks_a_checkpoint_with_the_public_key_alone(
    hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fire.json"
    assert main(["audit", "checkpoint", "--out", str(out), "--org", "westshire_fire",
                 "--hub", str(hub), "--json"]) == 0  # fmt: skip
    public_key = json.loads(capsys.readouterr().out)["public_key"]
    assert main(["audit", "check-checkpoint", str(out), "--public-key", public_key]) == 0
    capsys.readouterr()
    # a checkpoint altered after it was signed (to frame the hub, or to hide a rewrite)
    forged = json.loads(out.read_text())
    forged["seq"] += 1
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    assert main(["audit", "check-checkpoint", str(bad)]) == ExitCode.BAD_INPUT
    assert "signature does not match" in capsys.readouterr().err
    assert main(["audit", "verify", "--hub", str(hub), "--checkpoint", str(bad)]) == 3
    assert "cannot be trusted" in " ".join(capsys.readouterr().err.split())
    # another hub's checkpoint is not this hub's evidence
    other = tmp_path / "other"
    assert main(["init", str(other)]) == 0
    assert main(["audit", "verify", "--hub", str(other), "--checkpoint", str(out)]) == 3
    assert "this hub has never held" in " ".join(capsys.readouterr().err.split())
    assert main(["audit", "check-checkpoint", str(out), "--public-key", "AAAA"]) == 3


def test_rotation_keeps_old_entries_checkable_and_old_checkpoints_valid(
    hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "before.json"
    assert main(["audit", "checkpoint", "--out", str(before), "--hub", str(hub)]) == 0
    capsys.readouterr()
    assert main(["audit", "rotate-key", "--hub", str(hub), "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    _read(hub)
    after = tmp_path / "after.json"
    assert main(["audit", "checkpoint", "--out", str(after), "--hub", str(hub), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["key_id"] == rotated["key_id"]
    args = ["audit", "verify", "--hub", str(hub), "--checkpoint", str(before)]
    assert main([*args, "--checkpoint", str(after), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and len(report["keys"]) == 2 and report["anchors_checked"] == 2


def test_a_cut_log_refuses_writes_until_resealed_on_record(
    hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = hub_engine(Settings(hub_dir=hub))
    log = read_log(engine)
    cut_at = log.rows[-3]["seq"]
    log.rows = log.rows[:-2]
    log.head = log.head.__class__(cut_at, log.rows[-1]["hash"], log.head.key_id, log.head.seal)
    rewrite(engine, log)
    engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.BAD_INPUT
    assert "not sealed by audit key" in " ".join(capsys.readouterr().err.split())
    # every governed write fails closed: nothing unaudited can happen on a cut log
    args = ["org", "add", "westshire_vcs", "--name", "Westshire Voluntary Action",
            "--type", "voluntary", "--hub", str(hub)]  # fmt: skip
    assert main(args) == ExitCode.BAD_INPUT
    assert "nothing was recorded, so nothing was done" in " ".join(capsys.readouterr().err.split())
    assert (
        main(["audit", "reseal", "--reason", "restored after incident 42", "--hub", str(hub)]) == 0
    )
    assert main(["audit", "verify", "--hub", str(hub), "--json"]) == 0
    resealed = [e for e in _entries(hub) if e.target == "audit chain head resealed"]
    assert resealed and resealed[0].detail["reason"] == "restored after incident 42"
    assert main(args) == ExitCode.OK


def _entries(hub: Path):  # type: ignore[no-untyped-def]
    from sharewell.audit import entries

    engine = hub_engine(Settings(hub_dir=hub))
    try:
        return entries(engine)
    finally:
        engine.dispose()


def test_migration_0004_downgrades_and_upgrades_keeping_the_log_append_only(hub: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    from sharewell.store import operational_engine
    from sharewell.store.operational import _alembic_config, head_revision, migrate

    engine = operational_engine(Settings(hub_dir=hub).operational_url())
    config = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    assert "key_id" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    assert migrate(engine) == head_revision()  # 0004 and every later migration
    assert {"key_id", "seal"} <= {
        c["name"] for c in inspect(engine).get_columns("audit_chain_head")
    }
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 1"))
    engine.dispose()
