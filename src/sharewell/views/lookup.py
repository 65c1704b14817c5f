"""The flag lookup as a service: normalise what the worker typed, identify, read granted flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import current_agreements
from sharewell.agreements.flags import FLAGS
from sharewell.audit import AuditEvent, entries, record
from sharewell.errors import AccessDenied
from sharewell.ingest.source_types import load_source_types
from sharewell.ingest.value_normalisers import canonical_given_names, normalise_value
from sharewell.partnership import get_user
from sharewell.views.candidates import (
    CandidateIndex,
    Candidates,
    WorkspaceCandidates,
    candidate_index,
)
from sharewell.views.flag_lookup import Flag, Identification, LookupQuery, identify
from sharewell.views.linked_reads import linked_read
from sharewell.views.lookup_policy import decide_lookup

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


def _refuse(
    engine: Engine,
    *,
    username: str,
    organisation: str,
    role: str,
    purpose: str,
    details: dict[str, str | None],
    reason: str,
    agreement: tuple[str | None, int | None] = (None, None),
) -> AccessDenied:
    """Audit a refused lookup (no person named: none was looked for) and build the error."""
    record(
        engine,
        AuditEvent(
            actor=username,
            action="access",
            target="flag lookup",
            outcome="deny",
            organisation=organisation,
            role=role,
            purpose=purpose,
            agreement_id=agreement[0],
            agreement_version=agreement[1],
            detail={"reason": reason, "fields": sorted(k for k, v in details.items() if v)},
        ),
    )
    return _denied(reason)


def _denied(reason: str) -> AccessDenied:
    # One wording for every refusal, so that its text cannot tell whether anyone was found.
    return AccessDenied(
        f"flag lookup refused: {reason}. A refusal says nothing about whether the person is "
        "known: no one is searched for unless the lookup is allowed"
    )


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

    The policy is decided first, with no person in the question: a refused lookup (wrong
    purpose, no agreement, wrong role) raises AccessDenied with the rule that refused it,
    the same whether or not the person exists, and is audited without naming anyone.
    Every allowed lookup is audited, whether or not anyone was identified; each flag read
    names its owner (the providing organisation) so the owner can see who looked and why.
    ``index`` is where candidates come from: by default the workspace's in-memory
    ``CandidateIndex`` (built at a service's first lookup); ``WorkspaceCandidates(conn)`` for
    a one-off lookup.

    Raises:
        AccessDenied: the policy refused the lookup before anyone was matched.
    """
    user = get_user(engine, username)
    # Read once: the lookup is decided, and each read decided, on the same agreements.
    agreements = current_agreements(engine)
    decision = decide_lookup(
        agreements,
        organisation=user.organisation,
        role=user.role,
        active=user.active,
        purpose=purpose,
        username=username,
        at=datetime.now(UTC),
    )
    who = {"username": username, "organisation": user.organisation, "role": user.role}
    if not decision.allowed:
        raise _refuse(
            engine,
            **who,
            purpose=purpose,
            details=details,
            reason=decision.reason,
            agreement=(decision.agreement_id, decision.agreement_version),
        )
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
    refused = "no flag is granted for this purpose"
    for source in decision.sources:
        try:
            result = linked_read(
                engine,
                conn,
                username=username,
                purpose=purpose,
                source=source.source_type,
                level="flag_only",
                fields=source.flags,
                as_of=as_of,
                person_ids=[person_id],
                provider=source.provider,
                agreements=agreements,
                known_rows=partial(index.records_of, conn, source.source_type, person_id),
            )
        except AccessDenied as exc:
            refused = str(exc)  # governed_read audited it, naming no one
            continue
        seqs.append(result.audit_seq)
        owner = ", ".join(result.decision.providers) or source.source_type
        for row in result.rows:
            for name in result.decision.fields:
                if row.get(name) is True:
                    flags.append(Flag(name, FLAGS[name].description, owner))
    if not seqs:
        # Decided on the same agreements, so only a user changed in between gets here.
        raise _denied(refused.removeprefix("flag lookup refused: "))
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
