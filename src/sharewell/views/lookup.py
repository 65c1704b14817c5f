"""The flag lookup as a service: normalise what the worker typed, identify, read granted flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Literal

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import AccessRequest, Agreement, current_agreements, decide
from sharewell.agreements.flags import FLAGS
from sharewell.audit import AuditEvent, entries, record
from sharewell.errors import AccessDenied
from sharewell.ingest.source_types import load_source_types
from sharewell.ingest.value_normalisers import canonical_given_names, normalise_value
from sharewell.partnership import User, get_user
from sharewell.views.candidates import (
    CandidateIndex,
    Candidates,
    WorkspaceCandidates,
    candidate_index,
)
from sharewell.views.flag_lookup import Flag, Identification, LookupQuery, identify
from sharewell.views.linked_reads import linked_read

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

NO_FLAG = "no flag is granted for this purpose"
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


def _flag_asks(
    agreements: Sequence[Agreement],
    organisation: str,
    role: str,
    username: str,
    purpose: str,
) -> list[tuple[str, list[str], list[str], bool]]:
    """Per source: the flags to ask for, their owners, and whether the policy would allow it.

    Decided before any record is read (pure); each read is still decided and audited by
    ``linked_read``.
    """
    asks = []
    for source, (names, owners) in sorted(_flag_sources(agreements, organisation, purpose).items()):
        wanted = sorted({n for n in names if n in FLAGS and source in FLAGS[n].reads})
        providers = sorted(set(owners))
        request = AccessRequest(
            user=username,
            organisation=organisation,
            role=role,
            purpose=purpose,
            dataset=source,
            fields=tuple(wanted),
            level="flag_only",
            provider=providers[0] if len(providers) == 1 else None,
        )
        allowed = bool(wanted) and decide(request, agreements, datetime.now(UTC)).allowed
        asks.append((source, wanted, providers, allowed))
    return asks


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
    # Read once: what to ask for is chosen, and each read decided, on the same agreements.
    agreements = current_agreements(engine)
    asks = _flag_asks(agreements, user.organisation, user.role, username, purpose)
    if not any(allowed for *_, allowed in asks):
        # No flag could be granted: nobody is identified, so no record is read at all.
        seq = _lookup_entry(
            engine, user, purpose, "deny", identified=False, reason=NO_FLAG, fields=sorted(details)
        )
        return LookupResult(Identification(None, NO_FLAG), (), problems, (seq,))
    index = index or candidate_index(conn)
    candidates = index.candidates(query) if query.has_enough_detail() else []
    ident = identify(query, candidates)
    if not ident.identified:
        seq = _lookup_entry(
            engine,
            user,
            purpose,
            "ok",
            identified=False,
            reason=ident.reason,
            fields=sorted(details),
        )
        return LookupResult(ident, (), problems, (seq,))

    flags: list[Flag] = []
    seqs: list[int] = []
    person_id = ident.person_id or ""
    for source, wanted, providers, _allowed in asks:
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
                known_rows=partial(index.records_of, conn, source, person_id),
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
            _lookup_entry(
                engine, user, purpose, "deny", (person_id,), identified=True, reason=NO_FLAG
            )
        )
    return LookupResult(ident, tuple(flags), problems, tuple(seqs))


def _lookup_entry(
    engine: Engine,
    user: User,
    purpose: str,
    outcome: Literal["ok", "deny"],
    persons: tuple[str, ...] = (),
    **detail: Any,
) -> int:
    """The audit entry of a lookup that read no flag: who asked, why, and what came of it."""
    event = AuditEvent(
        actor=user.username,
        action="access",
        target="flag lookup",
        outcome=outcome,
        organisation=user.organisation,
        role=user.role,
        purpose=purpose,
        persons=persons,
        detail=detail,
    )
    return record(engine, event).seq


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
