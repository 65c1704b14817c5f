"""Governed reads of linked records: every view gets its data here, through the policy.

A view asks for one source type at one level for one purpose; ``governed_read`` decides,
audits and minimises, and the fetch below only runs once the policy has allowed it — and
only selects the fields the decision permits. Flags are derived per linked person from
that person's records with the governance flag rules, so no view re-implements them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import (
    Agreement,
    Decision,
    GovernedResult,
    Level,
    derive_flags,
    governed_read,
)
from sharewell.agreements.flags import FLAGS
from sharewell.agreements.governed import AggregateRequest, GovernedAggregate, governed_aggregate
from sharewell.agreements.minimise import STAND_INS
from sharewell.errors import LinkageError
from sharewell.ingest.source_types import source_type

__all__ = [
    "display_name",
    "flag_records",
    "identifying_records",
    "linked_aggregate",
    "linked_read",
    "linked_view",
    "people_matching",
    "person_index_stamp",
    "person_known",
    "require_person_index",
]


def display_name(row: dict[str, Any]) -> str | None:
    """A person's name as a crew would read it ("Robert Hughes"), or None when not granted."""
    parts = [str(p).title() for p in (row.get("given_name"), row.get("family_name")) if p]
    return " ".join(parts) or None


def require_person_index(conn: duckdb.DuckDBPyConnection) -> None:
    """Raise a clear error when linkage has not run yet (views need person ids)."""
    try:
        conn.execute("SELECT 1 FROM person_index LIMIT 1")
    except duckdb.CatalogException:
        raise LinkageError(
            "no person index in the workspace yet: run `sharewell link` first"
        ) from None


def _records(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[str],
    person_ids: Sequence[str] | None = None,
    known_rows: Sequence[Mapping[str, Any]] | None = None,
    stand_ins: Sequence[str] = (),
    record_ids: bool = False,
) -> list[dict[str, Any]]:
    """Linked records of one source type: person_id, partner and the named columns."""
    if known_rows is not None:
        return [{k: r[k] for k in ("person_id", "partner", *columns)} for r in known_rows]
    table = source_type(source).table_name
    cols = "".join(f', r."{c}"' for c in columns)
    if record_ids:
        cols += ", r.unique_id"
    join = ""
    if stand_ins and _has_table(conn, "household_keys"):
        cols += "".join(f', h."{c}"' for c in stand_ins)
        join = " LEFT JOIN household_keys h USING (unique_id)"
    where = ""
    params: list[Any] = []
    if person_ids is not None:
        where = f" WHERE i.person_id IN ({', '.join('?' for _ in person_ids) or 'NULL'})"
        params = list(person_ids)
    try:
        cursor = conn.execute(
            f"SELECT i.person_id, r.partner{cols} FROM {table} r "
            f"JOIN person_index i USING (unique_id){join}{where} ORDER BY i.person_id",
            params,
        )
    except duckdb.CatalogException:
        require_person_index(conn)
        return []  # nothing of this source type has been ingested
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_table(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def linked_read(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    purpose: str,
    source: str,
    level: Level,
    fields: Sequence[str],
    as_of: date,
    action: Literal["access", "reveal", "export"] = "access",
    person_ids: Sequence[str] | None = None,
    provider: str | None = None,
    agreements: Sequence[Agreement] | None = None,
    known_rows: Callable[[], Sequence[Mapping[str, Any]]] | None = None,
    record_ids: bool = False,
) -> GovernedResult:
    """Read ``fields`` of one source type for linked persons, decided and audited.

    For ``flag_only`` the fields are flag names (see ``sharewell.agreements.flags``): one row
    per person with a true/false per flag. Otherwise one row per record with ``person_id``,
    ``partner`` and the permitted fields. ``person_ids`` restricts the read to those
    persons (a lookup reads one person, and its audit entry names only that person).
    ``known_rows`` gives the records when the caller keeps them in memory (a lookup's index:
    person_id, partner and the columns asked for); it is called only once the policy allows,
    and its rows are cut to the permitted fields. ``record_ids`` keeps each record's
    pseudonymous id (``unique_id``) with its row, for a reveal by the record's provider.
    ``agreements`` passes on agreements the caller read for this same request.
    In PPRL mode rows also carry the stand-ins (``STAND_INS``, kept by the minimiser) of the
    permitted fields.
    """
    stype = source_type(source)

    def fetch(decision: Decision) -> list[dict[str, Any]]:
        if decision.level == "flag_only":
            reads = sorted({c for f in decision.fields for c in FLAGS[f].reads.get(source, ())})
            by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
            known = known_rows() if known_rows is not None else None
            for row in _records(conn, source, reads, person_ids, known):
                by_person[row["person_id"]].append(row)
            return [
                {"person_id": pid, **derive_flags(source, decision.fields, events, as_of)}
                for pid, events in by_person.items()
            ]
        permitted = [f for f in decision.fields if f in stype.columns]
        stand_ins = [s for s, of in STAND_INS.items() if any(f in permitted for f in of)]
        known = known_rows() if known_rows is not None else None
        rows = _records(conn, source, permitted, person_ids, known, stand_ins, record_ids)
        if stype.event_date and stype.event_date in permitted:
            rows = [r for r in rows if r[stype.event_date] is None or r[stype.event_date] <= as_of]
        return rows

    return governed_read(
        engine,
        username=username,
        purpose=purpose,
        dataset=source,
        fields=fields,
        level=level,
        fetch=fetch,
        provider=provider,
        action=action,
        agreements=agreements,
        record_key="unique_id" if record_ids else None,
    )


def linked_view(source: str) -> str:
    """The temporary view a governed aggregate reads one source type through."""
    return "linked_" + source.replace(".", "_")


def linked_aggregate(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    purpose: str,
    reads: Mapping[str, Sequence[str]],
    compute: Callable[[duckdb.DuckDBPyConnection], Iterable[Mapping[str, Any]]],
    counts: Sequence[str],
    keep: Sequence[str] = (),
) -> GovernedAggregate:
    """Aggregates joined per person across sources, decided at ``aggregate_only`` and audited.

    Once every source in ``reads`` (source type -> fields) is allowed, each is exposed to
    ``compute`` as a temporary view ``linked_view(source)`` holding ``person_id``,
    ``partner`` and only the permitted fields, for the latest linkage run; ``compute`` joins
    them in the workspace and returns aggregate rows (no person ids), which the governed path
    suppresses where a count in ``counts`` is below the agreements' smallest cell. The views
    are dropped before the rows are returned.
    """

    def fetch(decisions: Mapping[str, Decision]) -> Iterable[Mapping[str, Any]]:
        require_person_index(conn)
        index = (
            "(SELECT unique_id, person_id FROM person_index "
            "WHERE run_id = (SELECT max(run_id) FROM person_index))"
        )
        for source, decision in decisions.items():
            table = source_type(source).table_name
            if not _has_table(conn, table):
                raise LinkageError(
                    f"the workspace has no table {table!r}; ingest {source} and run linkage first"
                )
            cols = "".join(f', r."{c}"' for c in decision.fields)
            conn.execute(
                f'CREATE OR REPLACE TEMP VIEW "{linked_view(source)}" AS '
                f"SELECT i.person_id, r.partner{cols} FROM {table} r JOIN {index} i "
                "USING (unique_id)"
            )
        try:
            return list(compute(conn))
        finally:
            for source in decisions:
                conn.execute(f'DROP VIEW IF EXISTS "{linked_view(source)}"')

    return governed_aggregate(
        engine,
        username=username,
        purpose=purpose,
        reads=[AggregateRequest(source, tuple(fields)) for source, fields in reads.items()],
        compute=fetch,
        counts=counts,
        keep=keep,
    )


# --- a lookup's candidates: read only once the policy has allowed the lookup a flag --------


def identifying_records(
    conn: duckdb.DuckDBPyConnection,
    nhs_number: str | None = None,
    family_name: str | None = None,
    date_of_birth: date | None = None,
    *,
    everyone: bool = False,
) -> list[tuple[Any, ...]]:
    """Linked records' matching fields, for identification inside the hub (never returned).

    person_id, given name (canonical), family name, date of birth, postcode, NHS number of
    the records sharing the NHS number or the family name and date of birth, or of every
    record (``everyone``, for a service's in-memory index). Only ``views.lookup`` calls it,
    after the policy has allowed the user at least one flag for the lookup's purpose.
    """
    sql = (
        "SELECT i.person_id, coalesce(r.given_name_canonical, r.given_name), r.family_name, "
        "r.date_of_birth, r.postcode, r.nhs_number "
        "FROM person_records r JOIN person_index i USING (unique_id)"
    )
    if everyone:
        return conn.execute(sql).fetchall()
    return conn.execute(
        sql + " WHERE r.nhs_number = ? OR (r.family_name = ? AND r.date_of_birth = ?)",
        [nhs_number, family_name, date_of_birth],
    ).fetchall()


def person_index_stamp(conn: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """What changes when linkage rewrites the person index: its size and latest run."""
    row = conn.execute("SELECT count(*), max(run_id) FROM person_index").fetchone()
    return tuple(row or ())


def flag_records(
    conn: duckdb.DuckDBPyConnection, source: str, person_id: str | None = None
) -> list[dict[str, Any]]:
    """Linked records of one source type: person_id, partner and the columns flag rules read.

    For a lookup's ``known_rows``: called inside ``linked_read``'s fetch, once allowed.
    """
    columns = sorted({c for f in FLAGS.values() for c in f.reads.get(source, ())})
    return _records(conn, source, columns, [person_id] if person_id is not None else None)


# --- a subject access search: the caller audits it (web/person_search.py) ------------------


def people_matching(
    conn: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any], limit: int
) -> list[tuple[Any, ...]]:
    """Linked persons whose records (``r``) match ``where``: id, name, birth, postcode, partner,
    sources. For an IG lead's subject access search of their organisation's own records."""
    return conn.execute(
        "SELECT i.person_id, any_value(r.given_name), any_value(r.family_name), "
        "any_value(r.date_of_birth), any_value(r.postcode), any_value(r.partner), "
        "list(DISTINCT r.source ORDER BY r.source) "
        "FROM person_records r JOIN person_index i USING (unique_id) "
        f"WHERE {where} GROUP BY i.person_id ORDER BY i.person_id LIMIT {int(limit)}",
        list(params),
    ).fetchall()


def person_known(conn: duckdb.DuckDBPyConnection, person_id: str) -> bool:
    """Whether linkage gave anyone this person id (an unknown id is "no such person")."""
    try:
        row = conn.execute(
            "SELECT 1 FROM person_index WHERE person_id = ? LIMIT 1", [person_id]
        ).fetchone()
    except duckdb.CatalogException:  # no person index yet: nobody exists
        return False
    return row is not None
