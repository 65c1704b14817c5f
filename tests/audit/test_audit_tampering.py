"""Tampering with any audit row (edited, deleted, reordered, inserted by direct SQL) is found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from attacker import drop_guards
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DBAPIError

from sharewell.audit import AuditEvent, entries, record, verify
from sharewell.audit.chain import entry_hash
from sharewell.store.tables import audit_log


def _fill(engine: Engine, n: int = 6) -> None:
    for i in range(n):
        record(
            engine,
            AuditEvent(
                actor=f"user{i % 3}",
                action="access",
                target="police.mh_incident at flag_only",
                outcome="allow" if i % 2 else "deny",
                organisation="westshire_fire",
                purpose="fire_prevention",
                persons=(f"p{i}", f"p{i + 1}"),
                detail={"rows": i},
            ),
        )


COLUMNS_SQL = (
    "seq, recorded_at, actor, organisation, role, purpose, action, target, agreement_id,"
    " agreement_version, persons, outcome, detail, prev_hash, hash, key_id"
)


def _sql(engine: Engine, *statements: str) -> None:
    """Edit the tables directly with SQL, as someone with access to the database could."""
    drop_guards(engine)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _swap(engine: Engine, a: int, b: int) -> None:
    """Swap two entries' positions: each row takes the other's content, keeping its seq."""
    drop_guards(engine)
    with engine.begin() as conn:
        rows = {
            r.seq: dict(r._mapping)
            for r in conn.execute(select(audit_log).where(audit_log.c.seq.in_([a, b])))
        }
        for here, there in ((a, b), (b, a)):
            content = {k: v for k, v in rows[there].items() if k not in ("seq", "hash")}
            conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == here)
                .values(**content, hash=f"tmp{here}")
            )
        for here, there in ((a, b), (b, a)):
            conn.execute(
                update(audit_log).where(audit_log.c.seq == here).values(hash=rows[there]["hash"])
            )


def _kinds_at(engine: Engine) -> set[tuple[int | None, str]]:
    report = verify(engine)
    assert not report.ok
    return {(p.seq, p.kind) for p in report.problems}


def test_the_database_itself_refuses_to_change_or_delete_audit_rows(engine: Engine) -> None:
    _fill(engine, 2)
    for statement in (
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_persons",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert verify(engine).ok


def test_an_untouched_log_verifies(engine: Engine) -> None:
    _fill(engine)
    report = verify(engine)
    assert report.ok and report.entries_checked == 6 and report.head_seq == 6


def test_an_edited_entry_is_found_and_named(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "UPDATE audit_log SET actor = 'someone_else' WHERE seq = 3")
    assert _kinds_at(engine) == {(3, "edited")}


def test_an_edit_with_a_recomputed_hash_is_found_without_the_key(engine: Engine) -> None:
    _fill(engine)
    # A careful forger edits entry 3 and stores the SHA-256 of the edited content: without
    # the hub's key that is not the entry's seal...
    forged = replace(entries(engine)[2], actor="someone_else")
    digest = entry_hash(forged.hashed_content())
    _sql(engine, f"UPDATE audit_log SET actor = 'someone_else', hash = '{digest}' WHERE seq = 3")
    # ...and entry 4 still chains to the original hash.
    assert _kinds_at(engine) == {(3, "edited"), (4, "broken_link")}


def test_a_deleted_entry_is_found(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_persons WHERE seq = 4", "DELETE FROM audit_log WHERE seq = 4")
    assert _kinds_at(engine) == {(5, "missing"), (5, "broken_link")}


def test_entries_cut_from_the_end_are_found(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_persons WHERE seq >= 5", "DELETE FROM audit_log WHERE seq >= 5")
    problems = verify(engine).problems
    assert [(p.seq, p.kind) for p in problems] == [(6, "head")]
    assert "ends at entry 4" in problems[0].message


def test_reordered_entries_are_found(engine: Engine) -> None:
    _fill(engine)
    _swap(engine, 2, 3)
    kinds = _kinds_at(engine)
    assert {(2, "edited"), (3, "edited")} <= kinds
    assert (2, "broken_link") in kinds


def test_an_inserted_entry_is_found(engine: Engine) -> None:
    _fill(engine)
    _sql(
        engine,
        f"INSERT INTO audit_log ({COLUMNS_SQL}) SELECT 7, recorded_at, 'ghost', organisation, role,"
        " purpose, action, target, agreement_id, agreement_version, persons, outcome, detail,"
        " hash, substr(hash, 2) || '0', key_id FROM audit_log WHERE seq = 6",
    )
    kinds = _kinds_at(engine)
    assert (7, "edited") in kinds and (6, "head") in kinds


def test_an_entry_inserted_in_the_middle_is_found(engine: Engine) -> None:
    _fill(engine)
    _sql(
        engine,
        "DELETE FROM audit_persons WHERE seq >= 4",
        "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4",
        "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 104",
        f"INSERT INTO audit_log ({COLUMNS_SQL}) SELECT 4, recorded_at, actor, organisation, role,"
        " purpose, action, target, agreement_id, agreement_version, '[]', outcome, detail, hash,"
        " 'x' || substr(hash, 2), key_id FROM audit_log WHERE seq = 3",
    )
    kinds = _kinds_at(engine)
    assert (4, "edited") in kinds and (5, "broken_link") in kinds


def test_a_person_removed_from_the_index_is_found(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_persons WHERE seq = 2 AND person_id = 'p2'")
    assert _kinds_at(engine) == {(2, "edited")}


def test_an_edited_chain_head_is_found(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "UPDATE audit_chain_head SET seq = 5")
    assert _kinds_at(engine) == {(5, "head")}


def test_garbage_in_a_row_is_reported_not_crashed_on(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "UPDATE audit_log SET detail = 'not json' WHERE seq = 2")
    assert (2, "unreadable") in _kinds_at(engine)


COLUMNS = [
    "recorded_at",
    "actor",
    "organisation",
    "purpose",
    "action",
    "target",
    "persons",
    "outcome",
    "detail",
    "prev_hash",
]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(2, 8),
    operation=st.sampled_from(["edit", "delete", "swap", "duplicate"]),
    where=st.floats(0, 1, exclude_max=True),
    column=st.sampled_from(COLUMNS),
    data=st.data(),
)
def test_any_single_tampering_is_detected(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    operation: str,
    where: float,
    column: str,
    data: st.DataObject,
) -> None:
    from sharewell.config import Settings
    from sharewell.store import init_hub, operational_engine

    settings_ = Settings(hub_dir=tmp_path_factory.mktemp("hub"))
    init_hub(settings_)
    engine = operational_engine(settings_.operational_url(), settings_.audit_key_path())
    _fill(engine, n)
    seq = 1 + int(where * n)
    if operation == "edit":
        value = data.draw(st.text(alphabet="abcxyz019 :-", min_size=1, max_size=8))
        drop_guards(engine)
        with engine.begin() as conn:
            conn.execute(
                text(f"UPDATE audit_log SET {column} = {column} || :value WHERE seq = :seq"),
                {"value": value, "seq": seq},
            )
    elif operation == "delete":
        _sql(
            engine,
            f"DELETE FROM audit_persons WHERE seq = {seq}",
            f"DELETE FROM audit_log WHERE seq = {seq}",
        )
    elif operation == "swap":
        other = data.draw(st.integers(1, n).filter(lambda s: s != seq))
        _swap(engine, seq, other)
    else:
        _sql(
            engine,
            f"INSERT INTO audit_log ({COLUMNS_SQL}) SELECT {n + 1}, recorded_at, actor,"
            " organisation, role, purpose, action, target, agreement_id, agreement_version,"
            " persons, outcome, detail, prev_hash,"
            f" 'copy' || substr(hash, 5), key_id FROM audit_log WHERE seq = {seq}",
        )
    assert not verify(engine).ok
    engine.dispose()


def test_verify_command_exits_3_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sharewell.cli import ExitCode, main
    from sharewell.config import Settings
    from sharewell.store import operational_engine

    hub = tmp_path / "hub"
    main(["init", str(hub)])
    engine = operational_engine(Settings(hub_dir=hub).operational_url(), hub / "audit-keys.json")
    _fill(engine, 3)
    assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.OK
    head = verify(engine).head_hash
    assert main(["audit", "verify", "--hub", str(hub), "--expect-head", head]) == ExitCode.OK
    capsys.readouterr()

    _sql(engine, "UPDATE audit_log SET outcome = 'ok' WHERE seq = 2")
    assert main(["audit", "verify", "--hub", str(hub)]) == ExitCode.BAD_INPUT
    assert "entry 2 was changed after it was written" in capsys.readouterr().err
    assert (
        main(["audit", "verify", "--hub", str(hub), "--expect-head", "0" * 64])
        == ExitCode.BAD_INPUT
    )
