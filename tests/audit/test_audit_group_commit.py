"""Group commit: concurrent appends share a transaction; nothing acknowledged is ever lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sharewell.audit import AuditEvent, append, entries, record, verify
from sharewell.audit.group import group_for
from sharewell.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _event(i: int) -> AuditEvent:
    return AuditEvent(actor=f"officer{i}", action="access", target=f"lookup {i}", outcome="allow")


def test_appends_queued_while_one_commits_are_written_in_one_transaction(engine: Engine) -> None:
    group = group_for(engine)
    first_inside = threading.Event()
    release = threading.Event()

    def slow_append(conn: object, event: AuditEvent) -> object:
        # The first group's leader waits inside its transaction until the others queue.
        if event.actor == "officer0":
            first_inside.set()
            assert release.wait(60)
        return append(conn, event)  # type: ignore[arg-type]

    from sharewell.audit.log import audit_transaction

    results: dict[int, int] = {}

    def call(i: int) -> None:
        (entry,) = group.record(engine, [_event(i)], slow_append, audit_transaction)
        results[i] = entry.seq

    before = group.groups
    leader = threading.Thread(target=call, args=(0,))
    leader.start()
    assert first_inside.wait(60)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, 9)]
    for t in others:
        t.start()
    while len(group._queue) < 8:  # all eight are waiting for the leader's commit
        time.sleep(0.01)
    release.set()
    for t in [leader, *others]:
        t.join(60)

    assert group.groups - before == 2  # the leader's, then one for all eight queued
    assert sorted(results.values()) == list(range(1, 10))
    assert verify(engine).ok


def test_record_returns_only_committed_entries_and_the_chain_verifies(engine: Engine) -> None:
    seqs = []
    threads = [
        threading.Thread(target=lambda i=i: seqs.append(record(engine, _event(i)).seq))
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(seqs) == list(range(1, 17))
    stored = {e.seq for e in entries(engine)}
    assert set(seqs) <= stored
    assert verify(engine).ok


WRITER = """
import sys
from sharewell.audit import AuditEvent, record
from sharewell.store import operational_engine
engine = operational_engine(sys.argv[1], sys.argv[2])
record(engine, AuditEvent(actor="killed", action="access", target="lookup", outcome="allow"))
print("answered", flush=True)
"""


@pytest.mark.parametrize(
    ("step", "kept"),
    [("audit.before_commit", False), ("audit.committed", True)],
)
def test_a_process_killed_mid_commit_loses_no_acknowledged_entry(
    engine: Engine, hub_settings: Settings, tmp_path: Path, step: str, kept: bool
) -> None:
    ready = tmp_path / "ready"
    env = {**os.environ, "SHAREWELL_FAULT_AT": step, "SHAREWELL_FAULT_READY": str(ready)}
    url = engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(hub_settings.audit_key_path())],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while not ready.exists():
            assert proc.poll() is None, "the writer ended before the fault point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    finally:
        proc.kill()
    assert "answered" not in out  # killed before it could answer anyone
    # Killed after the commit: the entry is there. Before it: it never was, and nobody was told
    # otherwise. Either way the chain verifies and the next append goes on from it.
    assert [e.actor for e in entries(engine)].count("killed") == (1 if kept else 0)
    after = record(engine, _event(99))
    assert after.seq == (2 if kept else 1)
    assert verify(engine).ok
