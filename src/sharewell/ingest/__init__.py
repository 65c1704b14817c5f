"""Ingest: bring each partner's extract in — validated, normalised, quarantined, atomic.

The public API other capabilities use; see docs/ingest.md.
"""

from sharewell.ingest.export import safe_cell, write_csv, write_xlsx
from sharewell.ingest.load import IngestReport, QuarantineEntry, file_hash, ingest_file
from sharewell.ingest.manifest import ingest_manifest
from sharewell.ingest.mapping import Mapping, identity_mapping, load_mapping, parse_mapping
from sharewell.ingest.shrink import DEFAULT_HOLD_SHARE, ShrinkHold, shrink_hold
from sharewell.ingest.source_types import (
    PERSON_FIELDS,
    Column,
    SourceType,
    load_source_types,
    source_type,
)
from sharewell.ingest.tables import (
    DatasetVersion,
    DeletionReport,
    delete_dataset_version,
    get_dataset_version,
    list_dataset_versions,
    quarantine_entries,
)

__all__ = [
    "DEFAULT_HOLD_SHARE",
    "PERSON_FIELDS",
    "Column",
    "DatasetVersion",
    "DeletionReport",
    "IngestReport",
    "Mapping",
    "QuarantineEntry",
    "ShrinkHold",
    "SourceType",
    "delete_dataset_version",
    "file_hash",
    "get_dataset_version",
    "identity_mapping",
    "ingest_file",
    "ingest_manifest",
    "list_dataset_versions",
    "load_mapping",
    "load_source_types",
    "parse_mapping",
    "quarantine_entries",
    "safe_cell",
    "shrink_hold",
    "source_type",
    "write_csv",
    "write_xlsx",
]
