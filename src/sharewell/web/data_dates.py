"""How old each partner's data is: when it was loaded and the latest date in it.

Read from the published snapshot the views draw on, so the dates shown are those of the
data the view was drawn from.

Every view says "data as of" for each source it draws on, and a view's date defaults to the
latest date in that data rather than today (an extract ending in December gives an empty
cohort "as of" March). Only the registry and each version's first and last event dates are
read: dates of the data, nothing about anyone in it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from sharewell.config import Settings
from sharewell.ingest import DatasetVersion, list_dataset_versions
from sharewell.ingest.tables import event_date_range
from sharewell.store.snapshot import current_version, snapshots_dir
from sharewell.web.workspace import snapshot_connection

__all__ = ["SourceFreshness", "default_as_of", "freshness", "version_date_range"]

# A loaded version never changes, so its date range is worked out once per process.
_RANGES: dict[tuple[str, int], tuple[date | None, date | None]] = {}
# Nor does a published snapshot: what it says of each set of sources, once per version.
_FRESHNESS: dict[tuple[str, frozenset[str]], list[SourceFreshness]] = {}
_KEYS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class SourceFreshness:
    """One partner's current extract of one kind of data: loaded when, and its dates."""

    partner: str
    source_type: str
    dataset_version: int
    loaded_at: datetime
    rows: int
    first: date | None
    latest: date | None


def version_date_range(
    conn: duckdb.DuckDBPyConnection, version: DatasetVersion, workspace_key: str | None
) -> tuple[date | None, date | None]:
    """The earliest and latest event date of one dataset version (None: the kind has none).

    ``workspace_key`` names the workspace for the cache; None (a scratch workspace) skips it.
    """
    key = (workspace_key or "", version.id)
    if workspace_key is None or key not in _RANGES:
        found = event_date_range(conn, version)
        if workspace_key is None:
            return found
        _RANGES[key] = found
    return _RANGES[key]


def freshness(settings: Settings, source_types: Iterable[str]) -> list[SourceFreshness]:
    """The current extract of each of ``source_types``, per partner (none before any load)."""
    wanted = frozenset(source_types)
    version = current_version(snapshots_dir(settings.workspace_path()))
    if version is None:
        return []  # nothing published for the views yet
    with snapshot_connection(settings) as conn:
        key = _snapshot_key(conn)
        cached = _FRESHNESS.get((key, wanted))
        if cached is not None:
            return list(cached)
        current = [
            v
            for v in list_dataset_versions(conn)
            if v.status == "current" and v.source_type in wanted
        ]
        found = []
        for v in current:
            first, latest = version_date_range(conn, v, key)
            found.append(
                SourceFreshness(
                    partner=v.partner,
                    source_type=v.source_type,
                    dataset_version=v.id,
                    loaded_at=v.loaded_at,
                    rows=v.rows_accepted,
                    first=first,
                    latest=latest,
                )
            )
    found.sort(key=lambda f: (f.source_type, f.partner))
    if len(_FRESHNESS) > 256:
        _FRESHNESS.clear()  # versions come and go; this is only a cache
    _FRESHNESS[(key, wanted)] = found
    return list(found)


def _snapshot_key(conn: duckdb.DuckDBPyConnection) -> str:
    # The snapshot's file: each version is immutable, so what is read from it is cached by it.
    key = _KEYS.get(conn)
    if key is None:
        row = conn.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        key = _KEYS[conn] = str(row[0]) if row else ""
    return key


def default_as_of(sources: Iterable[SourceFreshness], today: date | None = None) -> date:
    """The latest date in the data (never after today); today when the data has no dates."""
    today = today or date.today()
    latest = [f.latest for f in sources if f.latest is not None]
    return min(max(latest), today) if latest else today
