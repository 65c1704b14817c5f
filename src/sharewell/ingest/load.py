"""Load one partner extract into the workspace: read, normalise, quarantine, commit atomically.

``readers`` reads the file, ``staging`` validates and normalises it, this module writes.

Reading and normalising happen in temporary tables; only the final writes (registry entry,
supersession of the previous version, records, quarantine) run inside one DuckDB transaction,
so a failure or Ctrl-C at any point leaves the workspace exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sharewell.errors import IngestError, StoreError
from sharewell.faults import fault_point
from sharewell.ingest.columns import resolve_columns
from sharewell.ingest.mapping import Mapping, identity_mapping, load_mapping
from sharewell.ingest.normalisers import quote_literal
from sharewell.ingest.readers import RawExtract, read_extract
from sharewell.ingest.shrink import DEFAULT_HOLD_SHARE, ShrinkHold, shrink_hold
from sharewell.ingest.source_types import SourceType
from sharewell.ingest.source_types import source_type as find_source_type
from sharewell.ingest.staging import (
    BAD,
    ISSUES,
    STAGED,
    collect_issues,
    drop_staging,
    load_nicknames,
    stage,
)
from sharewell.ingest.tables import (
    ensure_ingest_tables,
    ensure_source_table,
    source_table_columns,
)
from sharewell.store.workspace import Workspace

__all__ = ["IngestReport", "QuarantineEntry", "ingest_file"]

Progress = Callable[[str], None]

_PARTNER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RAW = "_ingest_raw"
_STAGED, _ISSUES, _BAD = STAGED, ISSUES, BAD


@dataclass(frozen=True)
class QuarantineEntry:
    """One problem found in one row: where it is and what to do about it."""

    row: int
    field: str | None
    column: str | None
    reason: str
    action: str


@dataclass(frozen=True)
class IngestReport:
    """What one ``ingest_file`` call did; ``rows_accepted + rows_quarantined == rows_read``.

    When ``held`` is set the load was held by the shrink rule: nothing was written, and
    ``dataset_version`` is the version that stays current.
    """

    dataset_version: int
    partner: str
    source_type: str
    file: str
    file_format: str
    content_hash: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    values_dropped: int
    recognised: bool = False
    superseded_version: int | None = None
    ignored_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    quarantine_sample: tuple[QuarantineEntry, ...] = ()
    held: ShrinkHold | None = None


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _record_json_sql(raw: RawExtract) -> str:
    pairs = ", ".join(
        f"{quote_literal(name)}, r.{raw.column_sql(i)}" for i, name in enumerate(raw.columns)
    )
    return f"json_object({pairs})"


def _disk_hint(exc: BaseException) -> str:
    """Advice when the failure was a write the disk refused (full, or over a size quota)."""
    text = str(exc)
    if any(m in text for m in ("Could not write", "No space left", "File too large")):
        return " (the disk holding the hub is full or over its quota: free space and load again)"
    return ""


def _write(
    conn: duckdb.DuckDBPyConnection,
    *,
    version: int,
    previous: int | None,
    raw: RawExtract,
    stype: SourceType,
    partner: str,
    file_name: str,
) -> None:
    """Every write of one load; the caller holds the transaction."""
    if previous is not None:
        conn.execute(
            "UPDATE dataset_versions SET status = 'superseded', superseded_by = ? WHERE id = ?",
            [version, previous],
        )
        # The old version's records go; its quarantine stays: it is evidence of what was sent.
        conn.execute(f"DELETE FROM {stype.table_name} WHERE dataset_version = ?", [previous])
        fault_point("ingest.previous_superseded")

    columns = source_table_columns(stype)
    derived = {
        # unique_id is partner:source:record_id (docs/extracts.md)
        "unique_id": f"{quote_literal(partner + ':' + stype.name + ':')} || s.v_record_id",
        "dataset_version": str(version),
        "partner": quote_literal(partner),
        "source": quote_literal(stype.name),
        "given_name_canonical": "s.given_name_canonical",
    }
    select = [derived.get(name, f"s.{_ident('v_' + name)}") for name, _ in columns]
    conn.execute(
        f"INSERT INTO {stype.table_name} ({', '.join(_ident(c) for c, _ in columns)}) "
        f"SELECT {', '.join(select)} FROM {_STAGED} s "
        f"WHERE NOT s._bad AND s._row NOT IN (SELECT _row FROM {_BAD})"
    )
    fault_point("ingest.records_written")

    conn.execute(
        "INSERT INTO quarantine SELECT ?, ?, i._row, i.field, i.column_name, i.value, i.reason, "
        "CASE WHEN b._row IS NULL THEN 'value_dropped' ELSE 'row_quarantined' END, "
        f"CASE WHEN b._row IS NULL THEN NULL WHEN r._row IS NULL THEN to_json(i.value)::VARCHAR "
        f"ELSE {_record_json_sql(raw)}::VARCHAR END "
        f"FROM {_ISSUES} i LEFT JOIN {_BAD} b ON i._row = b._row "
        f"LEFT JOIN {raw.table} r ON i._row = r._row ORDER BY i._row, i.field",
        [version, file_name],
    )


def _commit(
    workspace: Workspace,
    *,
    raw: RawExtract,
    stype: SourceType,
    partner: str,
    path: Path,
    hashes: tuple[str, str],
    counts: tuple[int, int, int, int],
    loaded_by: str,
    previous: int | None,
) -> int:
    """Register the new version and write it, superseding ``previous``, in one transaction."""
    conn = workspace.conn
    with workspace.transaction():
        ensure_source_table(conn, stype)
        row = conn.execute("SELECT nextval('dataset_version_id')").fetchone()
        assert row is not None
        version = int(row[0])
        conn.execute(
            "INSERT INTO dataset_versions VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL, NULL)",
            [
                version,
                partner,
                stype.name,
                path.name,
                raw.format,
                *hashes,
                *counts,
                datetime.now(UTC).replace(tzinfo=None),
                loaded_by,
            ],
        )
        fault_point("ingest.version_registered")
        _write(
            conn,
            version=version,
            previous=previous,
            raw=raw,
            stype=stype,
            partner=partner,
            file_name=path.name,
        )
        fault_point("ingest.before_commit")
    return version


def ingest_file(
    workspace: Workspace,
    *,
    partner: str,
    path: Path,
    source_type: str | None = None,
    mapping: Mapping | Path | None = None,
    loaded_by: str,
    progress: Progress | None = None,
    accept_shrink: bool = False,
    hold_share: float = DEFAULT_HOLD_SHARE,
    allow_missing_columns: bool = False,
) -> IngestReport:
    """Load one partner extract as a new dataset version, all or nothing.

    Args:
        workspace: the analytic workspace to load into.
        partner: the sending organisation's slug, e.g. ``westshire_fire``.
        path: the extract (CSV, .xlsx or Parquet).
        source_type: the kind of extract; may be left out when the mapping names it.
        mapping: a ``Mapping`` or the path of a mapping file; without one the file's
            columns must carry the canonical names.
        loaded_by: who is loading, recorded in the registry.
        progress: called with a short message as each stage starts.
        accept_shrink: supersede the current version even when the shrink rule would hold
            the load (``sharewell.ingest.shrink``): someone has checked the smaller file.
        hold_share: the shrink rule's share (``Settings.ingest_hold_share``).
        allow_missing_columns: load even when identifier columns the mapping names are not
            in the file (they are then empty, with a warning).

    Returns:
        An ``IngestReport``; ``recognised`` is true when this exact file and mapping are
        already the current version, in which case nothing changed; ``held`` is set when
        the shrink rule held the load, in which case nothing changed either.

    Raises:
        IngestError: the file or mapping cannot be used at all; nothing changed.
    """
    say = progress or (lambda _msg: None)
    path = Path(path)
    if not _PARTNER.match(partner):
        raise IngestError(
            f"partner {partner!r} is not an organisation slug (lower case letters, digits, _), "
            "e.g. westshire_fire"
        )
    if isinstance(mapping, Path | str):
        mapping = load_mapping(Path(mapping))
    explicit = mapping is not None
    if mapping is None:
        if source_type is None:
            raise IngestError("say which source type the extract is (--source) or give a mapping")
        mapping = identity_mapping(source_type)
    if source_type is not None and source_type != mapping.source_type:
        raise IngestError(
            f"the mapping is for source type {mapping.source_type!r} but {source_type!r} was "
            "asked for; use the mapping that matches the extract"
        )
    stype = find_source_type(mapping.source_type)
    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file")

    say(f"Hashing {path.name}")
    content_hash = file_hash(path)
    mapping_hash = hashlib.sha256(mapping.model_dump_json().encode()).hexdigest()
    conn = workspace.conn
    try:
        ensure_ingest_tables(conn)
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot prepare the workspace {workspace.path} for loading: {exc}"
        ) from exc
    current = conn.execute(
        "SELECT id, content_hash, mapping_hash, file_format, rows_read, rows_accepted, "
        "rows_quarantined, values_dropped FROM dataset_versions "
        "WHERE partner = ? AND source_type = ? AND status = 'current'",
        [partner, stype.name],
    ).fetchone()
    if current is not None and current[1] == content_hash and current[2] == mapping_hash:
        return IngestReport(
            dataset_version=current[0],
            partner=partner,
            source_type=stype.name,
            file=str(path),
            file_format=current[3],
            content_hash=content_hash,
            rows_read=current[4],
            rows_accepted=current[5],
            rows_quarantined=current[6],
            values_dropped=current[7],
            recognised=True,
        )

    say(f"Reading {path.name}")
    saved = {
        name: conn.execute(f"SELECT current_setting('{name}')").fetchone()
        for name in ("preserve_insertion_order", "enable_progress_bar")
    }
    try:
        # DuckDB's own progress bar would scribble over the CLI's.
        conn.execute("SET enable_progress_bar = false")
        with read_extract(conn, path, table=_RAW, sheet=mapping.sheet) as raw:
            columns = resolve_columns(
                raw,
                mapping,
                stype,
                path,
                explicit=explicit,
                allow_missing=allow_missing_columns,
            )
            found = columns.found
            say("Validating and normalising")
            # Every row carries its row number from here on, so DuckDB need not keep order,
            # which lets it write in parallel with less memory.
            conn.execute("SET preserve_insertion_order = false")
            load_nicknames(conn)
            stage(conn, raw, stype, mapping, found)
            collect_issues(conn, raw, stype, found)
            counts = conn.execute(
                f"SELECT (SELECT count(*) FROM {_STAGED} s WHERE NOT s._bad AND s._row NOT IN "
                f"(SELECT _row FROM {_BAD})),"
                f" (SELECT count(*) FROM {_BAD}), (SELECT count(*) FROM {_ISSUES} i "
                f"ANTI JOIN {_BAD} b ON i._row = b._row)"
            ).fetchone()
            assert counts is not None
            rows_accepted, rows_quarantined, dropped = (int(c) for c in counts)
            rows_read = raw.rows
            if rows_accepted + rows_quarantined != rows_read:
                # Every row read is either accepted or quarantined; anything else is a bug.
                raise RuntimeError(
                    f"ingest lost track of rows: {rows_read} read, {rows_accepted} accepted, "
                    f"{rows_quarantined} quarantined"
                )
            sample = conn.execute(
                f"SELECT _row, field, column_name, reason, "
                f"CASE WHEN _row IN (SELECT _row FROM {_BAD}) THEN 'row_quarantined' "
                f"ELSE 'value_dropped' END FROM {_ISSUES} ORDER BY _row, field LIMIT 20"
            ).fetchall()
            held = None
            if not accept_shrink:
                held = shrink_hold(
                    partner=partner,
                    source_type=stype.name,
                    current_version=current[0] if current else None,
                    current_rows=current[5] if current else 0,
                    rows_read=rows_read,
                    rows_accepted=rows_accepted,
                    hold_share=hold_share,
                )
            if held is not None:
                version = held.current_version  # stays current; nothing is written
            else:
                say("Loading into the workspace")
                version = _commit(
                    workspace,
                    raw=raw,
                    stype=stype,
                    partner=partner,
                    path=path,
                    hashes=(content_hash, mapping_hash),
                    counts=(rows_read, rows_accepted, rows_quarantined, dropped),
                    loaded_by=loaded_by,
                    previous=current[0] if current else None,
                )
                fault_point("ingest.committed")
    except duckdb.InterruptException:
        # Ctrl-C inside DuckDB: the transaction was rolled back; say so as an interrupt.
        raise KeyboardInterrupt from None
    except RuntimeError as exc:
        # DuckDB reports Ctrl-C while fetching a result as a plain RuntimeError.
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from None
        raise
    except duckdb.Error as exc:
        raise IngestError(
            f"{path.name}: the load failed and was rolled back: {exc}{_disk_hint(exc)}"
        ) from exc
    finally:
        # Temporary tables die with the connection anyway; a cleanup failure after an
        # interrupt must not hide what really happened.
        with contextlib.suppress(duckdb.Error, RuntimeError):
            drop_staging(conn)
            for name, value in saved.items():
                if value is not None:
                    conn.execute(f"SET {name} = {bool(value[0])}")

    return IngestReport(
        dataset_version=version,
        partner=partner,
        source_type=stype.name,
        file=str(path),
        file_format=raw.format,
        content_hash=content_hash,
        rows_read=rows_read,
        rows_accepted=rows_accepted,
        rows_quarantined=rows_quarantined,
        values_dropped=dropped,
        superseded_version=current[0] if current and held is None else None,
        ignored_columns=columns.ignored,
        missing_columns=columns.missing,
        details=raw.details,
        warnings=raw.warnings + columns.warnings,
        quarantine_sample=tuple(QuarantineEntry(*s) for s in sample),
        held=held,
    )
