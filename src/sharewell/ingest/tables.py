"""The workspace tables ingest writes, and the dataset version registry over them.

``dataset_versions`` registers every load; one typed table per source type
(``SourceType.table_name``) holds every column of that type for the current version of each
partner's dataset; ``person_records`` is a view over the typed tables giving the person fields
of every current record (the contract linkage reads, docs/extracts.md); ``quarantine`` keeps
each refused row or dropped value with the reason.

``person_records`` is a view rather than a second copy so that a load writes each record
once: writing is the slowest part of ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from sharewell.errors import NotFound
from sharewell.ingest.normalisers import (
    normaliser_for,
    postcode_outward_sql,
    postcode_sector_sql,
)
from sharewell.ingest.source_types import SourceType
from sharewell.store.workspace import Workspace

__all__ = [
    "PERSON_RECORD_COLUMNS",
    "DatasetVersion",
    "DeletionReport",
    "delete_dataset_version",
    "ensure_ingest_tables",
    "ensure_source_table",
    "get_dataset_version",
    "list_dataset_versions",
    "refresh_person_records",
    "source_table_columns",
]

# Column order of ``person_records`` (docs/extracts.md, "Workspace contract").
PERSON_RECORD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "VARCHAR"),
    ("record_id", "VARCHAR"),
    ("partner", "VARCHAR"),
    ("source", "VARCHAR"),
    ("dataset_version", "BIGINT"),
    ("given_name", "VARCHAR"),
    ("given_name_canonical", "VARCHAR"),
    ("family_name", "VARCHAR"),
    ("date_of_birth", "DATE"),
    ("sex", "VARCHAR"),
    ("address", "VARCHAR"),
    ("postcode", "VARCHAR"),
    ("postcode_outward", "VARCHAR"),
    ("postcode_sector", "VARCHAR"),
    ("uprn", "VARCHAR"),
    ("nhs_number", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("email", "VARCHAR"),
)

_DDL = (
    "CREATE SEQUENCE IF NOT EXISTS dataset_version_id START 1",
    """CREATE TABLE IF NOT EXISTS dataset_versions (
        id BIGINT PRIMARY KEY,
        partner VARCHAR NOT NULL,
        source_type VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        file_format VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL,
        mapping_hash VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_accepted BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        values_dropped BIGINT NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        loaded_by VARCHAR NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('current', 'superseded', 'deleted')),
        superseded_by BIGINT,
        deleted_at TIMESTAMP,
        CHECK (rows_accepted + rows_quarantined = rows_read)
    )""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        dataset_version BIGINT NOT NULL,
        file_name VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        field VARCHAR,
        column_name VARCHAR,
        value VARCHAR,
        reason VARCHAR NOT NULL,
        action VARCHAR NOT NULL CHECK (action IN ('row_quarantined', 'value_dropped')),
        record VARCHAR
    )""",
)


@dataclass(frozen=True)
class DatasetVersion:
    """One load of one partner extract, as the registry records it."""

    id: int
    partner: str
    source_type: str
    file_name: str
    file_format: str
    content_hash: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    values_dropped: int
    loaded_at: datetime
    loaded_by: str
    status: str
    superseded_by: int | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class DeletionReport:
    """What ``delete_dataset_version`` removed."""

    dataset_version: int
    records: int
    quarantine_rows: int
    already_deleted: bool


def ensure_ingest_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the registry, ``quarantine`` and ``person_records``; harmless when they exist."""
    for statement in _DDL:
        conn.execute(statement)
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'person_records'"
    ).fetchone()
    if not (exists and exists[0]):
        refresh_person_records(conn)


# Person fields derived at load time, stored beside the type's own columns.
DERIVED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("given_name_canonical", "VARCHAR", "given_name"),
)
# Cheap to compute, so the view derives them instead of every load storing them.
VIEW_COLUMNS = {
    "postcode_outward": postcode_outward_sql('"postcode"'),
    "postcode_sector": postcode_sector_sql('"postcode"'),
}


def source_table_columns(stype: SourceType) -> list[tuple[str, str]]:
    """(column, SQL type) of the typed table of ``stype``."""
    columns = [
        ("unique_id", "VARCHAR"),
        ("dataset_version", "BIGINT"),
        ("partner", "VARCHAR"),
        ("source", "VARCHAR"),
    ]
    columns += [(name, normaliser_for(col).sql_type) for name, col in stype.columns.items()]
    columns += [(name, kind) for name, kind, base in DERIVED_COLUMNS if base in stype.columns]
    return columns


def _existing_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def refresh_person_records(conn: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the ``person_records`` view over every typed table in the workspace."""
    from sharewell.ingest.source_types import load_source_types

    existing = _existing_tables(conn)
    selects = []
    for stype in load_source_types().values():
        if stype.table_name not in existing:
            continue
        have = {name for name, _ in source_table_columns(stype)}
        cols = ", ".join(
            f'"{name}"'
            if name in have
            else f'{VIEW_COLUMNS[name]} AS "{name}"'
            if name in VIEW_COLUMNS and "postcode" in have
            else f'CAST(NULL AS {kind.split()[0]}) AS "{name}"'
            for name, kind in PERSON_RECORD_COLUMNS
        )
        selects.append(f"SELECT {cols} FROM {stype.table_name}")
    if not selects:
        empty = ", ".join(
            f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in PERSON_RECORD_COLUMNS
        )
        selects.append(f"SELECT {empty} WHERE FALSE")
    conn.execute("CREATE OR REPLACE VIEW person_records AS " + " UNION ALL ".join(selects))


def ensure_source_table(conn: duckdb.DuckDBPyConnection, stype: SourceType) -> None:
    """Create the typed table of ``stype``, adding any column the YAML gained since."""
    columns = source_table_columns(stype)
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {stype.table_name} ("
        + ", ".join(f'"{name}" {kind}' for name, kind in columns)
        + ")"
    )
    existing = {
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ?",
            [stype.table_name],
        ).fetchall()
    }
    for name, kind in columns:
        if name not in existing:
            conn.execute(f'ALTER TABLE {stype.table_name} ADD COLUMN "{name}" {kind}')
    refresh_person_records(conn)


def _has_registry(conn: duckdb.DuckDBPyConnection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'dataset_versions'"
    ).fetchone()
    return bool(row and row[0])


def _version(row: tuple[object, ...]) -> DatasetVersion:
    return DatasetVersion(*row)  # type: ignore[arg-type]


_VERSION_COLUMNS = (
    "id, partner, source_type, file_name, file_format, content_hash, rows_read, rows_accepted, "
    "rows_quarantined, values_dropped, loaded_at, loaded_by, status, superseded_by, deleted_at"
)


def list_dataset_versions(
    workspace: Workspace | duckdb.DuckDBPyConnection, *, include_deleted: bool = False
) -> list[DatasetVersion]:
    """Every dataset version in the workspace (or a read snapshot of it), oldest first
    (deleted ones only if asked)."""
    conn = workspace.conn if isinstance(workspace, Workspace) else workspace
    if not _has_registry(conn):
        return []
    where = "" if include_deleted else "WHERE status <> 'deleted'"
    rows = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM dataset_versions {where} ORDER BY id"
    ).fetchall()
    return [_version(r) for r in rows]


def get_dataset_version(workspace: Workspace, version_id: int) -> DatasetVersion:
    """One dataset version; raises NotFound when there is none with that id."""
    row = None
    if _has_registry(workspace.conn):
        row = workspace.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM dataset_versions WHERE id = ?", [version_id]
        ).fetchone()
    if row is None:
        raise NotFound(f"no dataset version {version_id}; `sharewell datasets` lists them")
    return _version(row)


def event_date_range(
    workspace_conn: duckdb.DuckDBPyConnection, version: DatasetVersion
) -> tuple[Any, Any]:
    """The earliest and latest event date of one dataset version ((None, None): none)."""
    from sharewell.ingest.source_types import source_type

    stype = source_type(version.source_type)
    if not stype.event_date:
        return None, None
    try:
        row = workspace_conn.execute(
            f'SELECT min("{stype.event_date}"), max("{stype.event_date}") '
            f"FROM {stype.table_name} WHERE dataset_version = ?",
            [version.id],
        ).fetchone()
    except duckdb.CatalogException:
        return None, None
    return (row[0], row[1]) if row is not None else (None, None)


def quarantine_entries(
    workspace: Workspace, version_id: int, limit: int | None = None
) -> tuple[int, list[tuple[Any, ...]]]:
    """How many problems a load quarantined, and the first ``limit`` (None: all) in order.

    Each is (file_name, row_number, field, column_name, value, reason, action).
    """
    total = workspace.conn.execute(
        "SELECT count(*) FROM quarantine WHERE dataset_version = ?", [version_id]
    ).fetchone()
    rows = workspace.conn.execute(
        "SELECT file_name, row_number, field, column_name, value, reason, action "
        "FROM quarantine WHERE dataset_version = ? ORDER BY row_number, field "
        + ("LIMIT ?" if limit is not None else ""),
        [version_id, limit] if limit is not None else [version_id],
    ).fetchall()
    return (int(total[0]) if total else 0), rows


def delete_dataset_version(workspace: Workspace, version_id: int) -> DeletionReport:
    """Delete a version's records and quarantine in one transaction; keep its registry entry.

    The registry row stays (status ``deleted``, with ``deleted_at``) so that the partnership
    can show what it held and when it was removed; deleting twice is harmless.
    """
    from sharewell.ingest.source_types import source_type

    version = get_dataset_version(workspace, version_id)
    if version.status == "deleted":
        return DeletionReport(version_id, 0, 0, already_deleted=True)
    stype = source_type(version.source_type)
    with workspace.transaction() as conn:
        ensure_source_table(conn, stype)
        counts = []
        for table in (stype.table_name, "quarantine"):
            row = conn.execute(
                f"DELETE FROM {table} WHERE dataset_version = ?", [version_id]
            ).fetchone()
            counts.append(int(row[0]) if row else 0)
        conn.execute(
            "UPDATE dataset_versions SET status = 'deleted', deleted_at = ? WHERE id = ?",
            [datetime.now(UTC).replace(tzinfo=None), version_id],
        )
    # Deleted records must not outlive their deletion in what the web's views read.
    from sharewell.store.snapshot import publish_snapshot

    publish_snapshot(workspace.conn)
    return DeletionReport(version_id, counts[0], counts[1], already_deleted=False)
