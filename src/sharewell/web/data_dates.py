"""How old each partner's data is: when it was loaded and the latest date in it.

Every view says "data as of" for each source it draws on, and a view's date defaults to the
latest date in that data rather than today (an extract ending in December gives an empty
cohort "as of" March). Only the registry and each version's first and last event dates are
read: dates of the data, nothing about anyone in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from sharewell.config import Settings
from sharewell.ingest import DatasetVersion, list_dataset_versions
from sharewell.ingest.tables import event_date_range
from sharewell.web.workspace import open_workspace

__all__ = ["SourceFreshness", "default_as_of", "freshness", "version_date_range"]

# A loaded version never changes, so its date range is worked out once per process.
_RANGES: dict[tuple[str, int], tuple[date | None, date | None]] = {}


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
    wanted = set(source_types)
    if not settings.workspace_path().exists():
        return []
    key = str(settings.workspace_path())
    with open_workspace(settings) as ws:
        current = [
            v
            for v in list_dataset_versions(ws)
            if v.status == "current" and v.source_type in wanted
        ]
        found = []
        for v in current:
            first, latest = version_date_range(ws.conn, v, key)
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
    return sorted(found, key=lambda f: (f.source_type, f.partner))


def default_as_of(sources: Iterable[SourceFreshness], today: date | None = None) -> date:
    """The latest date in the data (never after today); today when the data has no dates."""
    today = today or date.today()
    latest = [f.latest for f in sources if f.latest is not None]
    return min(max(latest), today) if latest else today
