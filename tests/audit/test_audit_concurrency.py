"""Concurrent writers keep one valid chain, and no entry of a successful access is lost."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from audit_workers import append_many
from sqlalchemy import Engine, func, insert, select

from sharewell.agreements import governed_read, seed_demo_partnership
from sharewell.audit import AuditEvent, append, audit_transaction, entries, verify
from sharewell.store.tables import audit_log, hub_info


def _keys(engine: Engine) -> object:
    from sharewell.audit.log import audit_key_file

    return audit_key_file(engine)


def test_threads_appending_at_once_keep_a_single_valid_chain(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = list(
            pool.map(
                lambda w: append_many(
                    engine.url.render_as_string(hide_password=False), str(_keys(engine)), w, 15
                ),
                range(8),
            )
        )

    written = sorted(s for batch in seqs for s in batch)
    assert written == list(range(1, 121))  # every append got its own place, none lost
    report = verify(engine)
    assert report.ok and report.entries_checked == 120


def test_processes_appending_at_once_keep_a_single_valid_chain(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        max_workers=4, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        batches = list(
            pool.map(append_many, [url] * 4, [str(_keys(engine))] * 4, range(4), [20] * 4)
        )

    assert sorted(s for b in batches for s in b) == list(range(1, 81))
    assert verify(engine).ok
    assert {e.actor for e in entries(engine)} == {"proc0", "proc1", "proc2", "proc3"}


def test_every_successful_governed_read_from_many_threads_is_in_the_log(engine: Engine) -> None:
    seed_demo_partnership(engine, actor="test")
    start = len(entries(engine))

    def read(i: int) -> Any:
        return governed_read(
            engine,
            username="westshire_mht.frontline",
            purpose="mh_crisis_care",
            dataset="police.mh_incident",
            fields=["incident_date", "narrative"],
            level="identifiable",
            fetch=lambda d: [
                {"person_id": f"p{i}", "incident_date": "2026-10-01", "narrative": "x"}
            ],
            at=datetime(2026, 11, 25),
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(read, range(60)))

    logged = {e.seq: e for e in entries(engine)}
    assert len(logged) == start + 60
    for i, result in enumerate(results):
        assert result.rows == [{"person_id": f"p{i}", "incident_date": "2026-10-01"}]
        assert logged[result.audit_seq].persons == (f"p{i}",)
    assert verify(engine).ok


def test_an_access_and_its_audit_entry_commit_or_roll_back_together(engine: Engine) -> None:
    event = AuditEvent(actor="a", action="export", target="file", outcome="ok")
    with pytest.raises(RuntimeError), audit_transaction(engine) as conn:
        conn.execute(
            insert(hub_info).values(key="exported", value="yes", updated_at=datetime.now())
        )
        append(conn, event)
        raise RuntimeError("the export failed half-way")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == 0
        assert conn.execute(select(hub_info).where(hub_info.c.key == "exported")).first() is None

    with audit_transaction(engine) as conn:
        conn.execute(
            insert(hub_info).values(key="exported", value="yes", updated_at=datetime.now())
        )
        append(conn, event)
    assert [e.action for e in entries(engine)] == ["export"]
    assert verify(engine).ok


def test_unknown_actions_are_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        AuditEvent(actor="a", action="peek", target="x", outcome="ok")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AuditEvent(actor="a", action="access", target="x", outcome="ok", detail={"when": object()})
