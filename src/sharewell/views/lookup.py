"""The flag lookup as a service: normalise what the worker typed, identify, read granted flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import current_agreements
from sharewell.agreements.flags import FLAGS
from sharewell.audit import AuditEvent, entries, record
from sharewell.errors import AccessDenied
from sharewell.ingest.normalisers import nicknames, normalise_sql
from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import get_user
from sharewell.views.flag_lookup import CandidateRecord, Flag, Identification, LookupQuery, identify
from sharewell.views.linked_reads import linked_read, require_person_index

__all__ = ["LookupResult", "flag_access_report", "lookup", "normalise_query"]

QUERY_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")


@dataclass(frozen=True)
class LookupResult:
    """Who was identified (or why not), the flags granted, and the audit entries written."""

    identification: Identification
    flags: tuple[Flag, ...]
    problems: dict[str, str]
    audit_seqs: tuple[int, ...]


def normalise_query(
    conn: duckdb.DuckDBPyConnection, raw: dict[str, str | None]
) -> tuple[LookupQuery, dict[str, str]]:
    """The worker's details normalised exactly as ingest normalises records; bad ones named."""
    columns = load_source_types()["person"].columns
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in QUERY_FIELDS:
        text = (raw.get(name) or "").strip()
        if not text:
            continue
        row = conn.execute(normalise_sql(columns[name], [text])).fetchone()
        value, problem = (row[1], row[2]) if row else (None, "not understood")
        if value is None:
            problems[name] = problem or "not understood"
        else:
            values[name] = value
    if "given_name" in values:
        canonical = {nick: canon for nick, canon, _sex in nicknames()}
        values["given_name"] = canonical.get(values["given_name"], values["given_name"])
    return LookupQuery(**values), problems


def _candidates(conn: duckdb.DuckDBPyConnection, q: LookupQuery) -> list[CandidateRecord]:
    rows = conn.execute(
        "SELECT i.person_id, coalesce(r.given_name_canonical, r.given_name), r.family_name, "
        "r.date_of_birth, r.postcode, r.nhs_number "
        "FROM person_records r JOIN person_index i USING (unique_id) "
        "WHERE r.nhs_number = ? OR (r.family_name = ? AND r.date_of_birth = ?)",
        [q.nhs_number, q.family_name, q.date_of_birth],
    ).fetchall()
    return [CandidateRecord(*row) for row in rows]


def _flag_sources(engine: Engine, organisation: str, purpose: str) -> dict[str, list[str]]:
    """Source types the user's organisation is granted flags from for the purpose."""
    sources: dict[str, list[str]] = {}
    for agreement in current_agreements(engine):
        for recipient in agreement.recipients:
            if recipient.organisation != organisation or purpose not in recipient.purposes:
                continue
            for grant in recipient.datasets:
                if grant.level == "flag_only":
                    sources.setdefault(grant.source_type, []).extend(grant.fields)
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
    query, problems = normalise_query(conn, details)
    ident = identify(query, _candidates(conn, query) if query.has_enough_detail() else [])
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
    for source, names in sorted(_flag_sources(engine, user.organisation, purpose).items()):
        wanted = sorted({n for n in names if n in FLAGS and source in FLAGS[n].reads})
        providers = sorted(
            {
                p.organisation
                for a in current_agreements(engine)
                for p in a.providers
                if source in p.datasets
            }
        )
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
        and e.target.endswith(f"from {owner} at flag_only")
    ]
