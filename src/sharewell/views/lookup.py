"""The flag lookup as a service: normalise what the worker typed, identify, read granted flags."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import Agreement, current_agreements
from sharewell.agreements.flags import FLAGS
from sharewell.audit import AuditEvent, entries, record
from sharewell.errors import AccessDenied
from sharewell.ingest.source_types import load_source_types, source_type
from sharewell.ingest.value_normalisers import canonical_given_names, normalise_value
from sharewell.partnership import get_user
from sharewell.views.flag_lookup import CandidateRecord, Flag, Identification, LookupQuery, identify
from sharewell.views.linked_reads import linked_read, require_person_index

__all__ = [
    "CandidateIndex",
    "Candidates",
    "LookupResult",
    "WorkspaceCandidates",
    "candidate_index",
    "flag_access_report",
    "lookup",
    "normalise_query",
]

QUERY_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
_PERSON_COLUMNS = load_source_types()["person"].columns


@dataclass(frozen=True)
class LookupResult:
    """Who was identified (or why not), the flags granted, and the audit entries written."""

    identification: Identification
    flags: tuple[Flag, ...]
    problems: dict[str, str]
    audit_seqs: tuple[int, ...]


def normalise_query(raw: dict[str, str | None]) -> tuple[LookupQuery, dict[str, str]]:
    """The worker's details normalised exactly as ingest normalises records; bad ones named."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in QUERY_FIELDS:
        text = (raw.get(name) or "").strip()
        if not text:
            continue
        normalised = normalise_value(_PERSON_COLUMNS[name], text)
        if normalised.value is None:
            problems[name] = normalised.problem or "not understood"
        else:
            values[name] = normalised.value
    if "given_name" in values:
        # as ingest stored it: the first word, a nickname resolved for either sex
        name = values["given_name"]
        values["given_name_forms"] = canonical_given_names(name) | {name}
    return LookupQuery(**values), problems


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
        rows = conn.execute(
            "SELECT i.person_id, coalesce(r.given_name_canonical, r.given_name), r.family_name, "
            "r.date_of_birth, r.postcode, r.nhs_number "
            "FROM person_records r JOIN person_index i USING (unique_id)"
        ).fetchall()
        for row in rows:
            record = CandidateRecord(*row)
            if record.nhs_number:
                self.by_nhs[record.nhs_number].append(record)
            if record.family_name and record.date_of_birth:
                self.by_name_dob[(record.family_name, record.date_of_birth)].append(record)

    @staticmethod
    def _stamp(conn: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
        row = conn.execute("SELECT count(*), max(run_id) FROM person_index").fetchone()
        return tuple(row or ())

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
        for row in _flag_records(conn, source):
            by_person[row["person_id"]].append(row)
        return by_person


def _flag_records(
    conn: duckdb.DuckDBPyConnection, source: str, person_id: str | None = None
) -> list[dict[str, Any]]:
    """Linked records of one source type: person_id, partner and the columns flag rules read."""
    columns = sorted({c for f in FLAGS.values() for c in f.reads.get(source, ())})
    cols = "".join(f', r."{c}"' for c in columns)
    where, params = (" WHERE i.person_id = ?", [person_id]) if person_id is not None else ("", [])
    try:
        cursor = conn.execute(
            f"SELECT i.person_id, r.partner{cols} FROM {source_type(source).table_name} r "
            f"JOIN person_index i USING (unique_id){where}",
            params,
        )
    except duckdb.CatalogException:
        return []  # nothing of this source type has been ingested
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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
        rows = self.conn.execute(
            "SELECT i.person_id, coalesce(r.given_name_canonical, r.given_name), r.family_name, "
            "r.date_of_birth, r.postcode, r.nhs_number "
            "FROM person_records r JOIN person_index i USING (unique_id) "
            "WHERE r.nhs_number = ? OR (r.family_name = ? AND r.date_of_birth = ?)",
            [q.nhs_number, q.family_name, q.date_of_birth],
        ).fetchall()
        return [CandidateRecord(*row) for row in rows]

    def records_of(
        self, conn: duckdb.DuckDBPyConnection, source: str, person_id: str
    ) -> list[dict[str, Any]]:
        """One person's linked records of one source type: the columns flag rules read."""
        return _flag_records(conn, source, person_id)


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


def _flag_sources(
    agreements: Sequence[Agreement], organisation: str, purpose: str
) -> dict[str, tuple[list[str], list[str]]]:
    """Source types the organisation may be granted flags from: flag names and their owners.

    This only chooses what to ask for; ``governed_read`` still decides (and audits) each read.
    """
    sources: dict[str, tuple[list[str], list[str]]] = {}
    for agreement in agreements:
        for recipient in agreement.recipients:
            if recipient.organisation != organisation or purpose not in recipient.purposes:
                continue
            for grant in recipient.datasets:
                if grant.level == "flag_only":
                    names, owners = sources.setdefault(grant.source_type, ([], []))
                    names.extend(grant.fields)
                    owners.extend(
                        p.organisation
                        for p in agreement.providers
                        if grant.source_type in p.datasets
                    )
    return sources


def lookup(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    purpose: str,
    details: dict[str, str | None],
    as_of: date,
    index: Candidates | None = None,
) -> LookupResult:
    """Identify one person from ``details`` and return only the flags the agreement grants.

    Every lookup is audited, whether or not anyone was identified; each flag read names its
    owner (the providing organisation) so the owner can see who looked and why. ``index``
    is where candidates come from: by default the workspace's in-memory ``CandidateIndex``
    (built at a service's first lookup); ``WorkspaceCandidates(conn)`` for a one-off lookup.
    """
    user = get_user(engine, username)
    query, problems = normalise_query(details)
    index = index or candidate_index(conn)
    candidates = index.candidates(query) if query.has_enough_detail() else []
    ident = identify(query, candidates)
    if not ident.identified:
        entry = record(
            engine,
            AuditEvent(
                actor=username,
                action="access",
                target="flag lookup",
                outcome="ok",
                organisation=user.organisation,
                role=user.role,
                purpose=purpose,
                detail={"identified": False, "reason": ident.reason, "fields": sorted(details)},
            ),
        )
        return LookupResult(ident, (), problems, (entry.seq,))

    flags: list[Flag] = []
    seqs: list[int] = []
    person_id = ident.person_id or ""
    # Read once: what to ask for is chosen, and each read decided, on the same agreements.
    agreements = current_agreements(engine)
    for source, (names, owners) in sorted(
        _flag_sources(agreements, user.organisation, purpose).items()
    ):
        wanted = sorted({n for n in names if n in FLAGS and source in FLAGS[n].reads})
        providers = sorted(set(owners))
        try:
            result = linked_read(
                engine,
                conn,
                username=username,
                purpose=purpose,
                source=source,
                level="flag_only",
                fields=wanted,
                as_of=as_of,
                person_ids=[person_id],
                provider=providers[0] if len(providers) == 1 else None,
                agreements=agreements,
                known_rows=index.records_of(conn, source, person_id),
            )
        except AccessDenied:
            continue
        seqs.append(result.audit_seq)
        owner = ", ".join(result.decision.providers) or source
        for row in result.rows:
            for name in result.decision.fields:
                if row.get(name) is True:
                    flags.append(Flag(name, FLAGS[name].description, owner))
    if not seqs:
        # Identified, but the user may not see any flag: the attempt is still on record.
        seqs.append(
            record(
                engine,
                AuditEvent(
                    actor=username,
                    action="access",
                    target="flag lookup",
                    outcome="deny",
                    organisation=user.organisation,
                    role=user.role,
                    purpose=purpose,
                    persons=(person_id,),
                    detail={"identified": True, "reason": "no flag is granted for this purpose"},
                ),
            ).seq
        )
    return LookupResult(ident, tuple(flags), problems, tuple(seqs))


def flag_access_report(engine: Engine, owner: str) -> list[dict[str, Any]]:
    """Who looked at ``owner``'s flags, when, under which agreement and purpose (as CP-IS)."""
    return [
        {
            "when": e.recorded_at,
            "who": e.actor,
            "organisation": e.organisation,
            "purpose": e.purpose,
            "agreement": e.agreement_id,
            "persons": list(e.persons),
            "what": e.target,
        }
        for e in entries(engine)
        if e.action == "access"
        and e.outcome == "allow"
        and e.detail.get("level") == "flag_only"
        and e.detail.get("provider") == owner
    ]
