"""The analytic workspace and the read snapshot as the web app uses them.

The front-line views (flag lookup, Safe and Well list, crisis cohort, how fresh their data
is) read the published snapshot (``snapshot_connection``): immutable, opened read-only once
per process and shared by its requests, so a CLI run writing the workspace never blocks
them. Pages that write the workspace or read what the snapshot leaves out (uploads,
quarantine, linkage runs, review) open the workspace itself: DuckDB will not open one file
twice in a process with different settings (read-only here, read-write for an upload or a
review decision; linkage attaches it to its own connection), so every request that touches
the workspace takes this lock first. Reads take milliseconds; an upload holds it for as long
as its load takes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from sharewell.config import Settings
from sharewell.errors import StoreError
from sharewell.store import Workspace
from sharewell.store.snapshot import current_version, snapshots_dir
from sharewell.store.snapshot_readers import on_release, read_snapshot
from sharewell.views.candidates import candidate_index, drop_candidate_index

__all__ = [
    "held_workspace",
    "open_workspace",
    "snapshot_connection",
    "warm_snapshot",
    "workspace_connection",
]

# A version this process lets go of takes its in-memory lookup index with it.
on_release(drop_candidate_index)

_lock = threading.RLock()


@contextmanager
def held_workspace(settings: Settings) -> Iterator[None]:
    """Hold the workspace for code that opens (or attaches) the file itself."""
    if not settings.workspace_path().exists():
        raise StoreError("no partner data has been loaded into this hub yet")
    with _lock:
        yield


@contextmanager
def open_workspace(settings: Settings, *, write: bool = False) -> Iterator[Workspace]:
    """The hub's workspace, read-only unless ``write``, held for the block."""
    with held_workspace(settings), Workspace(settings.workspace_path(), read_only=not write) as ws:
        yield ws


@contextmanager
def workspace_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the hub's workspace, held for the block."""
    with open_workspace(settings) as ws:
        yield ws.conn


@contextmanager
def snapshot_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the hub's current read snapshot, held for the block."""
    with read_snapshot(snapshots_dir(settings.workspace_path().resolve())) as conn:
        yield conn


def warm_snapshot(settings: Settings) -> None:
    """Open the current snapshot and build its lookup index before the first request.

    A worker does this at start-up, so its first flag lookup does not wait seconds for the
    in-memory index of a county's million records; nothing is read for anyone here.
    """
    if current_version(snapshots_dir(settings.workspace_path().resolve())) is None:
        return
    with snapshot_connection(settings) as conn:
        candidate_index(conn)
