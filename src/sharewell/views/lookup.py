"""The flag lookup as a service: normalise what the worker typed, identify, read granted flags."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import current_agreements
from sharewell.agreements.flags import FLAGS
from sharewell.audit import AuditEvent, entries, record
from sharewell.errors import AccessDenied
from sharewell.ingest.normalisers import nicknames, normalise_sql, quote_literal
from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import get_user
from sharewell.views.flag_lookup import CandidateRecord, Flag, Identification, LookupQuery, identify
from sharewell.views.linked_reads import linked_read, require_person_index

__all__ = [
    "CandidateIndex",
    "LookupResult",
    "candidate_index",
    "flag_access_report",
    "lookup",
    "normalise_query",
]

QUERY_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")


@dataclass(frozen=True)
class LookupResult:
    """Who was identified (or why not), the flags granted, and the audit entries written."""

    identification: Identification
    flags: tuple[Flag, ...]
    problems: dict[str, str]
    audit_seqs: tuple[int, ...]


@lru_cache
def _normalise_sql(field: str) -> str:
    """Ingest's own normaliser for ``field``, over one parameter instead of a literal."""
    column = load_source_types()["person"].columns[field]
    placeholder = "sharewell lookup placeholder"
    sql = normalise_sql(column, [placeholder])
    literal = quote_literal(placeholder)
    if sql.count(literal) != 1:
        raise RuntimeError("ingest's normaliser SQL no longer embeds its input once")
    return sql.replace(literal, "?::VARCHAR")


@lru_cache
def _canonical_given_names() -> dict[str, str]:
    return {nick: canon for nick, canon, _sex in nicknames()}


_normaliser_lock = threading.Lock()


@lru_cache(maxsize=1)
def _normaliser_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for one-value normalisation (it needs no workspace data).

    DuckDB's optimiser is built for a million rows and spends most of a one-row query's time
    planning it, so it is off here (only here).
    """
    conn = duckdb.connect()
    conn.execute("PRAGMA disable_optimizer")
    return conn


@lru_cache(maxsize=65_536)
def _normalise_one(field: str, text: str) -> tuple[Any, str | None]:
    # Names, dates of birth and postcodes repeat across lookups; each is normalised once.
    with _normaliser_lock:
        row = _normaliser_connection().execute(_normalise_sql(field), [text]).fetchone()
    return (row[1], row[2]) if row else (None, "not understood")


def normalise_query(raw: dict[str, str | None]) -> tuple[LookupQuery, dict[str, str]]:
    """The worker's details normalised exactly as ingest normalises records; bad ones named."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in QUERY_FIELDS:
        text = (raw.get(name) or "").strip()
        if not text:
            continue
        value, problem = _normalise_one(name, text)
        if value is None:
            problems[name] = problem or "not understood"
        else:
            values[name] = value
    if "given_name" in values:
        canonical = _canonical_given_names()
        values["given_name"] = canonical.get(values["given_name"], values["given_name"])
    return LookupQuery(**values), problems


class CandidateIndex:
    """Every linked record's matching fields in memory, keyed for a lookup's two questions.

    A point-of-contact lookup must answer in milliseconds over a county's million records;
    scanning the workspace each time cannot. The index is rebuilt when the person index
    changes (a new linkage run), which ``current`` checks cheaply on every lookup.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.stamp = self._stamp(conn)
        self.by_nhs: dict[str, list[CandidateRecord]] = defaultdict(list)
        self.by_name_dob: dict[tuple[str, date], list[CandidateRecord]] = defaultdict(list)
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

    def current(self, conn: duckdb.DuckDBPyConnection) -> bool:
        """Whether the person index is unchanged since this index was built."""
        return self._stamp(conn) == self.stamp

    def candidates(self, q: LookupQuery) -> list[CandidateRecord]:
        """Records sharing the query's NHS number, or its family name and date of birth."""
        found = list(self.by_nhs.get(q.nhs_number or "", ()))
        if q.family_name and q.date_of_birth:
            found += self.by_name_dob.get((q.family_name, q.date_of_birth), ())
        return found


_indexes: dict[str, CandidateIndex] = {}
_indexes_lock = threading.Lock()


def candidate_index(conn: duckdb.DuckDBPyConnection) -> CandidateIndex:
    """The in-memory candidate index of this connection's workspace file, fresh."""
    row = conn.execute(
        "SELECT coalesce(path, database_name) FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()
    key = str(row[0]) if row else ""
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None or not index.current(conn):
            index = _indexes[key] = CandidateIndex(conn)
        return index


def _flag_sources(
    engine: Engine, organisation: str, purpose: str
) -> dict[str, tuple[list[str], list[str]]]:
    """Source types the organisation may be granted flags from: flag names and their owners.

    This only chooses what to ask for; ``governed_read`` still decides (and audits) each read.
    """
    agreements = current_agreements(engine)
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
) -> LookupResult:
    """Identify one person from ``details`` and return only the flags the agreement grants.

    Every lookup is audited, whether or not anyone was identified; each flag read names its
    owner (the providing organisation) so the owner can see who looked and why.
    """
    require_person_index(conn)
    user = get_user(engine, username)
    query, problems = normalise_query(details)
    candidates = candidate_index(conn).candidates(query) if query.has_enough_detail() else []
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
    for source, (names, owners) in sorted(
        _flag_sources(engine, user.organisation, purpose).items()
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
                person_ids=[ident.person_id or ""],
                provider=providers[0] if len(providers) == 1 else None,
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
                    persons=(ident.person_id or "",),
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
