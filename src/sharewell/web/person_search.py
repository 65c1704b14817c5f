"""Find a person in an organisation's own records, for a subject access request (audited).

An IG lead answering "who has seen my data?" starts from what the requester gives — name,
date of birth, NHS number — not from an internal person id. The search looks only at the
organisation's own records (the hub administrator's, at every partner's), and the search
itself is an audit entry naming whoever it found: looking someone up is a look at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.views.flag_lookup import LookupQuery
from sharewell.views.linked_reads import people_matching, person_known
from sharewell.web.roles import Principal
from sharewell.web.workspace import workspace_connection

__all__ = ["MAX_MATCHES", "PersonMatch", "find_people", "person_exists"]

MAX_MATCHES = 20


@dataclass(frozen=True)
class PersonMatch:
    """A linked person whose record at the organisation matches what the requester gave."""

    person_id: str
    name: str
    date_of_birth: date | None
    postcode: str | None
    partner: str
    sources: tuple[str, ...]


def _where(query: LookupQuery) -> tuple[str, list[Any]]:
    if query.nhs_number:
        return "r.nhs_number = ?", [query.nhs_number]
    clauses: list[str] = ["r.family_name = ?"]
    params: list[Any] = [query.family_name]
    if query.date_of_birth:
        clauses.append("r.date_of_birth = ?")
        params.append(query.date_of_birth)
    if query.given_name_forms:
        forms = sorted(query.given_name_forms)
        clauses.append(
            "coalesce(r.given_name_canonical, r.given_name) IN ("
            + ", ".join("?" for _ in forms)
            + ")"
        )
        params.extend(forms)
    if query.postcode:
        clauses.append("r.postcode = ?")
        params.append(query.postcode)
    return " AND ".join(clauses), params


def find_people(
    engine: Engine, settings: Settings, user: Principal, query: LookupQuery
) -> list[PersonMatch]:
    """People matching ``query`` in the user's organisation's records; the search is audited."""
    where, params = _where(query)
    scope = ""
    if not user.sees_every_organisation:
        scope = " AND r.partner = ?"
        params.append(user.organisation)
    with workspace_connection(settings) as conn:
        rows = people_matching(conn, where + scope, params, MAX_MATCHES + 1)
    found = [
        PersonMatch(
            person_id=r[0],
            name=" ".join(str(p).title() for p in (r[1], r[2]) if p) or "(no name recorded)",
            date_of_birth=r[3],
            postcode=r[4],
            partner=r[5],
            sources=tuple(r[6]),
        )
        for r in rows
    ]
    record(
        engine,
        AuditEvent(
            actor=user.name,
            action="access",
            target="person search (subject access)",
            outcome="allow",
            organisation=user.organisation,
            role=user.role,
            persons=tuple(m.person_id for m in found),
            detail={"searched_on": _fields(query), "matches": len(found)},
        ),
    )
    return found


def _fields(query: LookupQuery) -> Sequence[str]:
    return [
        name
        for name in ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
        if getattr(query, name)
    ]


def person_exists(settings: Settings, person_id: str) -> bool:
    """Whether linkage gave anyone this person id (an unknown id is "no such person")."""
    if not settings.workspace_path().exists():
        return False
    with workspace_connection(settings) as conn:
        return person_known(conn, person_id)
