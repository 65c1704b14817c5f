"""Where a flag lookup finds its candidates: an in-memory index (a service) or the workspace.

A point-of-contact lookup must answer in milliseconds over a county's million records;
DuckDB has no index to seek one person by, so a long-running service keeps the matching
fields (and, per source type, each person's flag records) in memory. A command that asks one
question and exits reads the workspace instead. Either way the records are read by the
governed read module (``views.linked_reads``), and only once the policy has allowed: a
lookup asks for candidates only after its user was found to hold a flag for its purpose,
and flag records are read inside ``linked_read``'s fetch.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb

from sharewell.views.flag_lookup import CandidateRecord, LookupQuery
from sharewell.views.linked_reads import (
    flag_records,
    identifying_records,
    person_index_stamp,
    require_person_index,
)

__all__ = [
    "CandidateIndex",
    "Candidates",
    "WorkspaceCandidates",
    "candidate_index",
    "drop_candidate_index",
]


class CandidateIndex:
    """Every linked record's matching fields in memory, keyed for a lookup's two questions.

    A point-of-contact lookup must answer in milliseconds over a county's million records;
    scanning the workspace each time cannot (DuckDB has no index to seek one person by). The
    index is rebuilt when the person index changes (a new linkage run), which ``current``
    checks on every lookup: a look at the workspace file's size and time, and only when the
    file has changed, a look at the person index itself.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
        require_person_index(conn)
        self.path = path
        self.file_stamp = self._file_stamp()
        self.stamp = self._stamp(conn)
        self.by_nhs: dict[str, list[CandidateRecord]] = defaultdict(list)
        self.by_name_dob: dict[tuple[str, date], list[CandidateRecord]] = defaultdict(list)
        # per source type: each person's linked records there (the columns flag rules read),
        # built at the first flag read from that source; dropped when the workspace changes
        self._records: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        for row in identifying_records(conn, everyone=True):
            record = CandidateRecord(*row)
            if record.nhs_number:
                self.by_nhs[record.nhs_number].append(record)
            if record.family_name and record.date_of_birth:
                self.by_name_dob[(record.family_name, record.date_of_birth)].append(record)

    @staticmethod
    def _stamp(conn: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
        return person_index_stamp(conn)

    def _file_stamp(self) -> tuple[int, ...] | None:
        # DuckDB commits to the .wal file and checkpoints into the database file: any change
        # to the workspace changes the size or time of one of them.
        if self.path is None:
            return None
        stamp: list[int] = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = file.stat()
            except FileNotFoundError:
                stamp += [-1, -1]
            else:
                stamp += [st.st_size, st.st_mtime_ns]
        return tuple(stamp)

    def current(self, conn: duckdb.DuckDBPyConnection) -> bool:
        """Whether the person index is unchanged since this index was built."""
        file_stamp = self._file_stamp()
        if file_stamp is not None and file_stamp == self.file_stamp:
            return True
        if self._stamp(conn) != self.stamp:
            return False
        # The workspace changed but not the person index (an ingest, a deletion): records
        # read for flags are read again, so a deleted dataset never outlives its deletion.
        with self._lock:
            self._records.clear()
        self.file_stamp = file_stamp
        return True

    def candidates(self, q: LookupQuery) -> list[CandidateRecord]:
        """Records sharing the query's NHS number, or its family name and date of birth."""
        found = list(self.by_nhs.get(q.nhs_number or "", ()))
        if q.family_name and q.date_of_birth:
            found += self.by_name_dob.get((q.family_name, q.date_of_birth), ())
        return found

    def records_of(
        self, conn: duckdb.DuckDBPyConnection, source: str, person_id: str
    ) -> list[dict[str, Any]]:
        """One person's linked records of one source type: the columns flag rules read.

        Read for every person at the first flag read from that source and kept until the
        workspace changes, so a lookup's flag read is a dictionary look-up, not a scan.
        """
        with self._lock:
            by_person = self._records.get(source)
            if by_person is None:
                by_person = self._records[source] = self._read_records(conn, source)
            return by_person.get(person_id, [])

    @staticmethod
    def _read_records(
        conn: duckdb.DuckDBPyConnection, source: str
    ) -> dict[str, list[dict[str, Any]]]:
        by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in flag_records(conn, source):
            by_person[row["person_id"]].append(row)
        return by_person


class Candidates(Protocol):
    """Where a lookup finds the records it may match, and a person's records for flags."""

    def candidates(self, q: LookupQuery) -> list[CandidateRecord]:
        """Records sharing the query's NHS number, or its family name and date of birth."""
        ...

    def records_of(
        self, conn: duckdb.DuckDBPyConnection, source: str, person_id: str
    ) -> list[dict[str, Any]]:
        """One person's linked records of one source type: the columns flag rules read."""
        ...


class WorkspaceCandidates:
    """Candidates read from the workspace for each lookup: for one-off lookups (the CLI).

    Each lookup scans the person index (tens of milliseconds on a million records), where
    building the in-memory ``CandidateIndex`` would take seconds: the right trade for a
    command that answers one question and exits.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        require_person_index(conn)
        self.conn = conn

    def candidates(self, q: LookupQuery) -> list[CandidateRecord]:
        """Records sharing the query's NHS number, or its family name and date of birth."""
        rows = identifying_records(self.conn, q.nhs_number, q.family_name, q.date_of_birth)
        return [CandidateRecord(*row) for row in rows]

    def records_of(
        self, conn: duckdb.DuckDBPyConnection, source: str, person_id: str
    ) -> list[dict[str, Any]]:
        """One person's linked records of one source type: the columns flag rules read."""
        return flag_records(conn, source, person_id)


_indexes: dict[str, CandidateIndex] = {}
_indexes_lock = threading.Lock()


_paths: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = weakref.WeakKeyDictionary()


def _workspace_path(conn: duckdb.DuckDBPyConnection) -> str:
    # Asked once per connection (a query costs half a millisecond; a service reuses one).
    key = _paths.get(conn)
    if key is None:
        row = conn.execute(
            "SELECT coalesce(path, database_name) FROM duckdb_databases() "
            "WHERE database_name = current_database()"
        ).fetchone()
        key = _paths[conn] = str(row[0]) if row else ""
    return key


def candidate_index(conn: duckdb.DuckDBPyConnection) -> CandidateIndex:
    """The in-memory candidate index of this connection's workspace file, fresh."""
    key = _workspace_path(conn)
    path = Path(key) if key and Path(key).is_file() else None
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None or not index.current(conn):
            index = _indexes[key] = CandidateIndex(conn, path)
        return index


def drop_candidate_index(path: Path) -> None:
    """Forget the in-memory index of the workspace (or snapshot) file at ``path``."""
    with _indexes_lock:
        _indexes.pop(str(path), None)
