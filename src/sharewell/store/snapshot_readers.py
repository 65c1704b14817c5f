"""Reading the published snapshot: one read-only connection per version per process.

A process opens the version ``CURRENT`` names once, read-only, and keeps it while requests
use it; each request takes a cursor of its own (a DuckDB connection is not shared between
threads). At each request the pointer is read again (one small file): when it names a newer
version, new requests go there, and the old version is closed once its last request ends.
While a process has a version open it holds a shared ``flock`` on the version's lock file,
so no publisher or other reader deletes it under them; the lock goes with the process, even
on kill -9, and the next publication (or the next reader to let go) deletes what nobody
holds.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb

from sharewell.errors import StoreError
from sharewell.store.snapshot import (
    _readers_lock,
    current_version,
    remove_unheld,
    version_path,
)

__all__ = ["HeldSnapshot", "on_release", "read_snapshot"]


@dataclass
class HeldSnapshot:
    """One snapshot version this process has open, and how many requests are using it."""

    version: int
    path: Path
    conn: duckdb.DuckDBPyConnection
    lock: IO[str]
    users: int = 0
    superseded: bool = False
    # one cursor per thread that used this version (a cursor is not shared between threads)
    _local: threading.local = field(default_factory=threading.local)
    _cursors: list[duckdb.DuckDBPyConnection] = field(default_factory=list)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the version, opened at its first use and kept."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.conn.cursor()
            with _lock:
                self._cursors.append(cursor)
        return cursor

    def close(self) -> None:
        """Close the connection and let go of the version (others may now delete it)."""
        for release in _releases:
            release(self.path)
        for cursor in self._cursors:
            cursor.close()
        self.conn.close()
        self.lock.close()  # drops the shared flock


_held: dict[Path, HeldSnapshot] = {}  # snapshots directory -> the version new requests use
_lock = threading.Lock()
_releases: list[Callable[[Path], None]] = []


def on_release(callback: Callable[[Path], None]) -> None:
    """Call ``callback(path)`` when this process closes a version (to drop caches of it)."""
    _releases.append(callback)


def _open(directory: Path, version: int) -> HeldSnapshot | None:
    """Open ``version`` read-only, holding it; None when it was deleted meanwhile."""
    path = version_path(directory, version)
    try:
        lock = _readers_lock(path).open("r")
    except FileNotFoundError:
        lock = None
    if lock is None:
        if not path.exists():
            return None
        lock = _readers_lock(path).open("a")
    fcntl.flock(lock, fcntl.LOCK_SH)  # waits out a deleter that holds it exclusively
    if not path.exists() or os.fstat(lock.fileno()).st_nlink == 0:
        lock.close()  # deleted while we waited: the caller reads CURRENT again
        return None
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        lock.close()
        raise StoreError(f"cannot open the read snapshot {path}: {exc}") from exc
    return HeldSnapshot(version, path, conn, lock)


def _acquire(directory: Path) -> HeldSnapshot:
    for _ in range(5):  # a version can only vanish after a newer one is current
        version = current_version(directory)
        if version is None:
            raise StoreError(
                "the front-line views have no published data yet: run `sharewell link` "
                "(each linkage run and load publishes what the views read)"
            )
        with _lock:
            held = _held.get(directory)
            if held is not None and held.version == version:
                held.users += 1
                return held
        opened = _open(directory, version)
        if opened is None:
            continue
        with _lock:
            held = _held.get(directory)
            if held is not None and held.version >= version:
                stale = opened  # another request of this process opened it first
                held.users += 1
            else:
                stale = None
                if held is not None:
                    held.superseded = True
                    if held.users == 0:
                        stale = held
                opened.users = 1
                _held[directory] = held = opened
        if stale is not None:
            stale.close()
            remove_unheld(directory)
        return held
    raise StoreError(f"the read snapshot in {directory} keeps changing; try again")


def _release(directory: Path, held: HeldSnapshot) -> None:
    with _lock:
        held.users -= 1
        done = held.superseded and held.users == 0
    if done:
        held.close()
        remove_unheld(directory)


@contextmanager
def read_snapshot(directory: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the current snapshot in ``directory``, held for the block.

    The version stays open (and on disk) until the block ends, whatever is published
    meanwhile; the next block reads the newer one.
    """
    held = _acquire(directory)
    try:
        yield held.cursor()
    finally:
        _release(directory, held)
