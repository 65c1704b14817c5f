"""The read snapshot: an immutable, versioned copy of what the front-line views read.

After every change to what the views read — a linkage run (full, incremental or PPRL), a
load, a deletion — the workspace's person index, the linked records of each source type,
the PPRL stand-ins and the dataset registry are copied into a new DuckDB file,
``hub/snapshots/v000007.duckdb``, and the pointer file ``CURRENT`` is replaced atomically
(``os.replace``) to name it. Web workers open the current version read-only and keep it
open, so a workspace writer (a CLI link run holds DuckDB's write lock for minutes) never
blocks them; a worker moves to a newer version at its next request (``snapshot_readers``).

The snapshot is a data source behind the governed path, not a way round it: its tables keep
the workspace's names and columns, so ``views.linked_reads`` runs the same SQL on it, only
once the policy has decided and the audit entry is written. It holds only linked records
(the views join every read to the person index) and nothing the views do not read: no
quarantine, no scored pairs, no review queue.
"""

from __future__ import annotations

import fcntl
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sharewell.errors import StoreError
from sharewell.faults import fault_point
from sharewell.ingest.source_types import load_source_types
from sharewell.ingest.tables import refresh_person_records

__all__ = [
    "CURRENT",
    "SNAPSHOTS_DIRNAME",
    "current_version",
    "publish_snapshot",
    "remove_unheld",
    "snapshots_dir",
    "version_path",
]

SNAPSHOTS_DIRNAME = "snapshots"
CURRENT = "CURRENT"
_VERSION = re.compile(r"^v(\d{6,})\.duckdb$")
# Derived tables the views read beside the typed source tables (PPRL's stand-ins).
_LINKED_EXTRAS = ("household_keys",)


def snapshots_dir(workspace_path: Path) -> Path:
    """Where a workspace's snapshots live: beside it, in ``snapshots/``."""
    return workspace_path.parent / SNAPSHOTS_DIRNAME


def version_path(directory: Path, version: int) -> Path:
    """The file of one snapshot version."""
    return directory / f"v{version:06d}.duckdb"


def _readers_lock(path: Path) -> Path:
    # Each process reading a version holds a shared flock on this file (never on the DuckDB
    # file itself: closing any descriptor of a file drops the process's POSIX locks on it,
    # DuckDB's own among them).
    return path.with_suffix(".readers")


def current_version(directory: Path) -> int | None:
    """The version ``CURRENT`` names, or None before the first publication."""
    try:
        name = (directory / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    found = _VERSION.match(name)
    if found is None:
        raise StoreError(f"{directory / CURRENT} names {name!r}, which is not a snapshot")
    return int(found[1])


def _versions(directory: Path) -> list[int]:
    return sorted(int(m[1]) for p in directory.glob("v*.duckdb") if (m := _VERSION.match(p.name)))


@contextmanager
def _publishing(directory: Path) -> Iterator[None]:
    """One publisher at a time per hub (a CLI run and a web upload may finish together)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".publish.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _database_path(conn: duckdb.DuckDBPyConnection, database: str | None) -> Path:
    row = conn.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = coalesce(?, current_database())",
        [database],
    ).fetchone()
    if row is None or not row[0]:
        raise StoreError("the workspace is not a file, so it has no snapshots")
    return Path(row[0])


def _tables(conn: duckdb.DuckDBPyConnection, database: str | None) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = coalesce(?, current_database()) AND schema_name = 'main'",
        [database],
    ).fetchall()
    return {r[0] for r in rows}


def _copy(conn: duckdb.DuckDBPyConnection, database: str | None, target: Path) -> None:
    """Copy what the views read from the workspace (``database``) into ``target``."""
    src = f'"{database}".' if database else ""
    existing = _tables(conn, database)
    conn.execute(f"ATTACH '{target}' AS sw_snapshot")
    try:
        conn.execute(
            f"CREATE TABLE sw_snapshot.person_index AS SELECT * FROM {src}person_index "
            "ORDER BY person_id"
        )
        linked = [t.table_name for t in load_source_types().values()] + list(_LINKED_EXTRAS)
        for table in (t for t in linked if t in existing):
            # Only linked records: every view's read joins the person index.
            conn.execute(
                f"CREATE TABLE sw_snapshot.{table} AS SELECT * FROM {src}{table} "
                f"SEMI JOIN {src}person_index USING (unique_id)"
            )
        if "dataset_versions" in existing:
            conn.execute(
                f"CREATE TABLE sw_snapshot.dataset_versions AS SELECT * FROM {src}dataset_versions"
            )
    finally:
        conn.execute("DETACH sw_snapshot")
    with duckdb.connect(str(target)) as snap:
        refresh_person_records(snap)  # the same view over the typed tables as the workspace
        snap.execute("CHECKPOINT")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, database: str | None = None) -> int | None:
    """Publish a new snapshot of the workspace open on ``conn``; its version number.

    ``database`` names the workspace when ``conn`` has it attached (linkage attaches it as
    ``ws``); by default it is ``conn``'s own database. Nothing is published (None) before
    linkage has written a person index: the views need one. Call it after the change has
    committed: the snapshot shows committed data only.
    """
    if "person_index" not in _tables(conn, database):
        return None
    directory = snapshots_dir(_database_path(conn, database))
    with _publishing(directory):
        version = max([0, *_versions(directory), current_version(directory) or 0]) + 1
        scratch = directory / f".publishing-{uuid.uuid4().hex}.duckdb"
        try:
            _copy(conn, database, scratch)
            _fsync(scratch)
            final = version_path(directory, version)
            os.replace(scratch, final)
            fault_point("snapshot.before_pointer")
            pointer = directory / f".{CURRENT}-{uuid.uuid4().hex}"
            pointer.write_text(final.name + "\n", encoding="utf-8")
            _fsync(pointer)
            os.replace(pointer, directory / CURRENT)  # the swap: readers see old or new
            _fsync(directory)
        finally:
            scratch.unlink(missing_ok=True)
            scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
        remove_unheld(directory)
    return version


def remove_unheld(directory: Path) -> list[int]:
    """Delete every version but the current one that no process holds; the ones deleted."""
    current = current_version(directory)
    removed = []
    for version in _versions(directory):
        if version == current:
            continue
        path = version_path(directory, version)
        with _readers_lock(path).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a reader still has it open: the last one out deletes it
            # Data file first: a reader that locks after us finds it gone and rereads CURRENT.
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
            _readers_lock(path).unlink(missing_ok=True)
            removed.append(version)
    return removed
