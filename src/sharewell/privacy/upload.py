"""The hub's side of an upload: a partner's encoded file into the workspace, without names.

The records (partner record ids) and the columns the agreement lets through in clear (event
dates, types, flags) are loaded by ingest as any extract is, so views can read events; the
identifier columns stay empty, because the file has none. Household pseudonyms and age
bands, where sent, go to ``household_keys`` for the visit list. The encodings themselves are
linked by ``link_encodings`` straight from the files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from sharewell.agreements.governed_ingest import audited_ingest
from sharewell.agreements.linkage_mode import refuse_identifiers_in_clear
from sharewell.errors import LinkageError, NotFound
from sharewell.ingest.load import IngestReport, ingest_file
from sharewell.ingest.mapping import Mapping
from sharewell.ingest.shrink import DEFAULT_HOLD_SHARE
from sharewell.privacy.encode import METADATA_KEY
from sharewell.store import Workspace
from sharewell.store.snapshot import publish_snapshot

__all__ = ["ENCODED_COLUMNS", "HOUSEHOLD_KEYS", "load_upload", "upload_mapping"]

# Columns `sharewell encode` writes besides the pass-through ones: for linking, not loading.
ENCODED_COLUMNS = frozenset(
    {"record_id", "partner", "source", "clk", "household_pseudonym", "age_band"}
)
# The workspace relation of each record's household pseudonym and age band (views read it
# in place of the address and date of birth the hub does not hold).
HOUSEHOLD_KEYS = "household_keys"
_ENCODED_PREFIXES = ("block_", "compare_")
_ENCODED_SUFFIXES = ("_pseudonym",)


def upload_mapping(path: Path) -> tuple[str, Mapping]:
    """The partner and the ingest mapping of an encoded file: record id and pass-through."""
    if not path.is_file():
        raise NotFound(f"encoded file {path} does not exist")
    schema = pq.read_schema(path)
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise LinkageError(f"{path} is not a file written by `sharewell encode`")
    meta = json.loads(raw)
    passed = [
        name
        for name in schema.names
        if name not in ENCODED_COLUMNS
        and not name.startswith(_ENCODED_PREFIXES)
        and not name.endswith(_ENCODED_SUFFIXES)
    ]
    columns = {"record_id": "record_id"} | {name: name for name in passed}
    return str(meta["partner"]), Mapping(source_type=str(meta["source"]), columns=columns)


def load_upload(
    workspace: Workspace,
    engine: Engine,
    path: Path,
    *,
    loaded_by: str,
    accept_shrink: bool = False,
    hold_share: float = DEFAULT_HOLD_SHARE,
) -> IngestReport:
    """Load an encoded file's records and pass-through columns; audited as any ingest is.

    The shrink rule holds a file far smaller than the current version, as for any ingest.
    """
    partner, mapping = upload_mapping(path)

    def load() -> IngestReport:
        # The encoder never passes identifiers through; this holds even for a forged file.
        refuse_identifiers_in_clear(
            engine,
            partner=partner,
            source_type=mapping.source_type,
            columns=mapping.columns.values(),
            file=str(path),
        )
        report = ingest_file(
            workspace,
            partner=partner,
            path=path,
            mapping=mapping,
            loaded_by=loaded_by,
            accept_shrink=accept_shrink,
            hold_share=hold_share,
        )
        if report.held is None:
            _load_household_keys(workspace, path, partner, mapping.source_type)
        return report

    report = audited_ingest(engine, load, actor=loaded_by, partner=partner, file=path)
    if report.held is None and not report.recognised:
        publish_snapshot(workspace.conn)  # the views read the new version's records
    return report


def _load_household_keys(workspace: Workspace, path: Path, partner: str, source: str) -> None:
    """Keep the upload's household pseudonyms and age bands, by record, when it has them."""
    schema = pq.read_schema(path)
    present = [n for n in ("household_pseudonym", "age_band") if n in schema.names]
    if not present:
        return
    meta = json.loads((schema.metadata or {})[METADATA_KEY])
    table = pq.read_table(path, columns=["record_id", *present])
    for name in ("household_pseudonym", "age_band"):
        if name not in present:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    conn = workspace.conn
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {HOUSEHOLD_KEYS} (unique_id VARCHAR PRIMARY KEY, "
        "household_pseudonym VARCHAR, age_band VARCHAR, age_as_of DATE)"
    )
    conn.register("sw_upload_households", table)
    try:
        # A partner's new upload of the same records replaces what its last one said.
        conn.execute(
            f"INSERT OR REPLACE INTO {HOUSEHOLD_KEYS} SELECT ? || record_id, "
            "household_pseudonym, age_band, ?::DATE FROM sw_upload_households "
            "WHERE record_id IS NOT NULL",
            [f"{partner}:{source}:", meta.get("age_as_of")],
        )
    finally:
        conn.unregister("sw_upload_households")
