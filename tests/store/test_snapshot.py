"""The read snapshot: published whole or not at all, swapped atomically, kept while held."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from sharewell.ingest.source_types import source_type
from sharewell.ingest.tables import ensure_source_table
from sharewell.store.snapshot import current_version, publish_snapshot, snapshots_dir, version_path
from sharewell.store.snapshot_readers import read_snapshot
from sharewell.store.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def _workspace(tmp_path: Path, people: int) -> Path:
    """A workspace with a person index and one source type's records, one per person."""
    path = tmp_path / "hub" / "workspace.duckdb"
    path.parent.mkdir(parents=True)
    with Workspace(path) as ws:
        ensure_source_table(ws.conn, source_type("person"))
        ws.conn.execute("CREATE TABLE person_index (unique_id VARCHAR, person_id VARCHAR)")
        _relink(ws.conn, people)
        # a record nobody linked: the views never read it, so the snapshot leaves it out
        ws.conn.execute(
            "INSERT INTO records_person (unique_id, partner, family_name) "
            "VALUES ('cc:person:x', 'cc', 'unlinked')"
        )
    return path


def _relink(conn: duckdb.DuckDBPyConnection, people: int) -> None:
    conn.execute("DELETE FROM records_person WHERE family_name <> 'unlinked'")
    conn.execute("DELETE FROM person_index")
    conn.execute(
        "INSERT INTO records_person (unique_id, partner, family_name) "
        "SELECT 'cc:person:' || i, 'cc', 'name' || i "
        f"FROM range({people}) t(i)"
    )
    conn.execute(
        f"INSERT INTO person_index SELECT 'cc:person:' || i, 'P' || i FROM range({people}) t(i)"
    )


def _people(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM person_records r JOIN person_index i USING (unique_id)"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_snapshot_holds_only_linked_records_under_the_workspace_names(tmp_path: Path) -> None:
    path = _workspace(tmp_path, 3)
    with Workspace(path) as ws:
        assert publish_snapshot(ws.conn) == 1
    directory = snapshots_dir(path)
    assert current_version(directory) == 1
    with read_snapshot(directory) as conn:
        assert _people(conn) == 3
        names = conn.execute("SELECT family_name FROM records_person ORDER BY 1").fetchall()
        assert ("unlinked",) not in names
        with pytest.raises(duckdb.Error):
            conn.execute("DELETE FROM person_index")  # read-only


def test_nothing_is_published_before_linkage(tmp_path: Path) -> None:
    path = tmp_path / "workspace.duckdb"
    with Workspace(path) as ws:
        ws.conn.execute("CREATE TABLE records_person (unique_id VARCHAR)")
        assert publish_snapshot(ws.conn) is None
    assert current_version(snapshots_dir(path)) is None


def test_the_swap_is_atomic_while_a_reader_holds_the_old_version(tmp_path: Path) -> None:
    path = _workspace(tmp_path, 3)
    directory = snapshots_dir(path)
    with Workspace(path) as ws:
        publish_snapshot(ws.conn)
    with read_snapshot(directory) as old:
        with Workspace(path) as ws:
            _relink(ws.conn, 5)
            assert publish_snapshot(ws.conn) == 2
        # The request that began on version 1 reads version 1 to its end.
        assert _people(old) == 3
        assert version_path(directory, 1).exists()
        with read_snapshot(directory) as new:
            assert _people(new) == 5
    # The last reader of version 1 has let go: it is gone; the current version stays.
    assert not version_path(directory, 1).exists()
    assert version_path(directory, 2).exists()


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sharewell.store.snapshot_readers import read_snapshot

    with read_snapshot(Path(sys.argv[1])) as conn:
        print(conn.execute("SELECT count(*) FROM person_index").fetchone()[0], flush=True)
        sys.stdin.readline()  # hold the version until told
    """
)


def test_a_version_another_process_holds_is_kept_until_it_lets_go(tmp_path: Path) -> None:
    path = _workspace(tmp_path, 3)
    directory = snapshots_dir(path)
    with Workspace(path) as ws:
        publish_snapshot(ws.conn)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "3"
        with Workspace(path) as ws:
            _relink(ws.conn, 4)
            publish_snapshot(ws.conn)
        assert version_path(directory, 1).exists()  # still held by the other process
        os.kill(holder.pid, signal.SIGKILL)  # even a killed holder lets go
        holder.wait()
        with Workspace(path) as ws:
            publish_snapshot(ws.conn)
        assert not version_path(directory, 1).exists()
        assert current_version(directory) == 3
    finally:
        holder.kill()
        holder.wait()


def test_a_publication_killed_before_the_swap_leaves_the_old_version_current(
    tmp_path: Path,
) -> None:
    path = _workspace(tmp_path, 3)
    directory = snapshots_dir(path)
    with Workspace(path) as ws:
        publish_snapshot(ws.conn)
    ready = tmp_path / "ready"
    script = (
        "import sys; from sharewell.store import Workspace; "
        "from sharewell.store.snapshot import publish_snapshot; "
        "ws = Workspace(__import__('pathlib').Path(sys.argv[1])); publish_snapshot(ws.conn)"
    )
    env = {**os.environ, "SHAREWELL_FAULT_AT": "snapshot.before_pointer"}
    env["SHAREWELL_FAULT_READY"] = str(ready)
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], env=env, cwd=ROOT)
    try:
        while not ready.exists():
            assert proc.poll() is None, "the publisher ended before the fault point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
    assert current_version(directory) == 1  # version 2 was written, never made current
    with read_snapshot(directory) as conn:
        assert _people(conn) == 3
    with Workspace(path) as ws:
        assert publish_snapshot(ws.conn) == 3
    with read_snapshot(directory) as conn:  # this process moves on, letting go of version 1
        assert _people(conn) == 3
    assert sorted(p.name for p in directory.glob("v*.duckdb")) == ["v000003.duckdb"]
