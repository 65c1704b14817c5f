"""The analytic workspace as the web app uses it: one user of the file at a time per process.

DuckDB will not open one file twice in a process with different settings (read-only here,
read-write for an upload or a review decision; linkage attaches it to its own connection),
so every request that touches the workspace takes this lock first. Reads take milliseconds;
an upload holds it for as long as its load takes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from sharewell.config import Settings
from sharewell.errors import StoreError
from sharewell.store import Workspace

__all__ = ["held_workspace", "open_workspace", "workspace_connection"]

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
