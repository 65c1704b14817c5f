"""The crisis cohort for the crisis care partners, read through the policy from linked data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import aggregate_counts
from sharewell.errors import AccessDenied
from sharewell.views.crisis_cohort import CohortMember, CrisisEvent, crisis_cohort
from sharewell.views.linked_reads import display_name, linked_read

__all__ = ["CRISIS_SOURCES", "CrisisCohort", "cohort_summary", "crisis_cohort_for"]

PURPOSE = "mh_crisis_care"
IDENTITY = ["given_name", "family_name", "date_of_birth"]
# source type -> (event date column, column giving the kind of crisis event)
CRISIS_SOURCES: dict[str, tuple[str, str]] = {
    "police.mh_incident": ("incident_date", "incident_type"),
    "ambulance.mh_callout": ("callout_date", "outcome"),
    "mh_trust.crisis_contact": ("contact_date", "contact_type"),
}


@dataclass(frozen=True)
class CrisisCohort:
    """The cohort, the names the agreement lets the user see, and what could not be read."""

    as_of: date
    members: tuple[CohortMember, ...]
    names: dict[str, str]
    audit_seqs: tuple[int, ...]
    withheld: tuple[str, ...]


def crisis_cohort_for(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    as_of: date,
    window_days: int = 365,
    min_contacts: int = 3,
    min_agencies: int = 1,
) -> CrisisCohort:
    """People in repeated crisis, built only from the sources ``username`` may read."""
    events: list[CrisisEvent] = []
    names: dict[str, str] = {}
    audit: list[int] = []
    withheld: list[str] = []
    for source, (date_col, kind_col) in CRISIS_SOURCES.items():
        try:
            result = linked_read(
                engine,
                conn,
                username=username,
                purpose=PURPOSE,
                source=source,
                level="identifiable",
                fields=[*IDENTITY, date_col, kind_col],
                as_of=as_of,
            )
        except AccessDenied:
            withheld.append(source)
            continue
        audit.append(result.audit_seq)
        agency = ", ".join(result.decision.providers) or source
        for row in result.rows:
            pid = row["person_id"]
            if row.get(date_col) is None or row.get(kind_col) is None:
                continue
            events.append(CrisisEvent(pid, row[date_col], agency, str(row[kind_col])))
            name = display_name(row) if pid not in names else None
            if name:
                names[pid] = name
    if not audit:
        raise AccessDenied(
            f"{username} may not read any crisis source for {PURPOSE}: " + ", ".join(withheld)
        )
    members = crisis_cohort(
        events,
        as_of=as_of,
        window_days=window_days,
        min_contacts=min_contacts,
        min_agencies=min_agencies,
    )
    return CrisisCohort(
        as_of=as_of,
        members=tuple(members),
        names={m.person_id: names[m.person_id] for m in members if m.person_id in names},
        audit_seqs=tuple(audit),
        withheld=tuple(withheld),
    )


def cohort_summary(cohort: CrisisCohort, *, min_cell_size: int = 10) -> list[dict[str, Any]]:
    """Cohort members by number of agencies and referral, small cells suppressed."""
    rows = [
        {
            "agencies_involved": len(m.agencies),
            "referred_to_safe_haven": m.referred_to_safe_haven,
        }
        for m in cohort.members
    ]
    return aggregate_counts(rows, ["agencies_involved", "referred_to_safe_haven"], min_cell_size)
