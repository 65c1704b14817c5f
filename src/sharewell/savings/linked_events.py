"""Plain events and a safe haven cohort from the linked workspace, and evidence fed to the template.

The workspace (docs/extracts.md) holds one typed table per source type and linkage's
``person_index`` (``unique_id`` -> ``person_id``). This module builds two views from them:

- ``savings_events``: ``person_id``, ``agency``, ``event_type``, ``event_date`` from police
  mental health incidents, ambulance mental health call-outs and mental health trust crisis
  contacts;
- ``savings_cohort``: ``person_id``, ``index_date`` = first safe haven referral.

Then ``measure_safe_haven`` runs the difference-in-differences and writes the estimates into
the matching outcomes of the safe haven initiative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb

from sharewell.errors import SavingsError
from sharewell.savings.evidence import DidResult, apply_evidence, measure_did
from sharewell.savings.initiative import Initiative

__all__ = [
    "SAFE_HAVEN_OUTCOMES",
    "SafeHavenEvidence",
    "create_event_views",
    "default_table_name",
    "measure_safe_haven",
]

SAFE_HAVEN_OUTCOMES: dict[str, str] = {
    "police_mental_health": "Police mental health incidents avoided",
    "police_section_136": "Section 136 detentions avoided",
    "ambulance_mh_callout": "Ambulance mental health call-outs avoided",
    "ae_attendance": "A&E attendances avoided",
}
"""Event type measured -> outcome of the ``safe_haven`` template it evidences."""


def default_table_name(source_type: str) -> str:
    """Workspace table of a source type, as ingest names it (``records_police_mh_incident``)."""
    from sharewell.ingest.source_types import source_type as lookup

    return lookup(source_type).table_name


def create_event_views(
    con: duckdb.DuckDBPyConnection,
    table_for: Callable[[str], str] = default_table_name,
    person_index: str = "person_index",
) -> None:
    """Create the ``savings_events`` and ``savings_cohort`` views over the workspace."""
    police = table_for("police.mh_incident")
    ambulance = table_for("ambulance.mh_callout")
    crisis = table_for("mh_trust.crisis_contact")
    for table in (police, ambulance, crisis, person_index):
        try:
            con.execute(f'SELECT * FROM "{table}" LIMIT 0')
        except duckdb.Error:
            raise SavingsError(
                f"the workspace has no table {table!r}; ingest the extracts and run linkage first"
            ) from None
    # The latest linkage run decides who is who.
    index = (
        f'(SELECT unique_id, person_id FROM "{person_index}" '
        f'WHERE run_id = (SELECT max(run_id) FROM "{person_index}"))'
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW savings_events AS
        SELECT pi.person_id, 'police' AS agency, 'police_' || t.incident_type AS event_type,
               CAST(t.incident_date AS DATE) AS event_date
        FROM "{police}" t JOIN {index} pi USING (unique_id)
        UNION ALL
        SELECT pi.person_id, 'ambulance', 'ambulance_mh_callout', CAST(t.callout_date AS DATE)
        FROM "{ambulance}" t JOIN {index} pi USING (unique_id)
        UNION ALL
        SELECT pi.person_id, 'nhs_trust',
               CASE t.contact_type WHEN 'crisis_team' THEN 'crisis_team_contact'
                    WHEN 'admission' THEN 'mh_admission' ELSE t.contact_type END,
               CAST(t.contact_date AS DATE)
        FROM "{crisis}" t JOIN {index} pi USING (unique_id)
        WHERE t.contact_type <> 'safe_haven_referral'
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW savings_cohort AS
        SELECT pi.person_id, CAST(min(t.contact_date) AS DATE) AS index_date
        FROM "{crisis}" t JOIN {index} pi USING (unique_id)
        WHERE t.contact_type = 'safe_haven_referral'
        GROUP BY pi.person_id
        """
    )


@dataclass(frozen=True)
class SafeHavenEvidence:
    """The measured estimates, and the safe haven initiative with them applied."""

    result: DidResult
    initiative: Initiative
    people_per_year: float
    applied: tuple[str, ...]
    """Outcomes whose events now come from the linked data."""


def measure_safe_haven(
    con: duckdb.DuckDBPyConnection,
    initiative: Initiative,
    *,
    outcomes: Mapping[str, str] = SAFE_HAVEN_OUTCOMES,
    people: str | None = None,
    window_months: int = 12,
    bootstrap: int = 2000,
    seed: int = 0,
) -> SafeHavenEvidence:
    """Measure the safe haven's effect on each event type and apply it to ``initiative``.

    Needs the ``savings_events`` and ``savings_cohort`` views (``create_event_views``) or
    tables of those names in the same shape; ``people`` optionally names a table of who may
    be a comparison person (default: everyone with an event).
    """
    row = con.execute(
        "SELECT count(*), min(index_date), max(index_date) FROM savings_cohort"
    ).fetchone()
    if row is None or not row[0]:
        raise SavingsError("no safe haven referrals in the workspace: nothing to measure")
    n, first, last = row
    years = max(1.0, ((last - first).days + 1) / 365.25)
    result = measure_did(
        con,
        events="savings_events",
        cohort="savings_cohort",
        people=people,
        window_months=window_months,
        bootstrap=bootstrap,
        seed=seed,
    )
    people_per_year = n / years
    names = {o.name for o in initiative.outcomes}
    applied = []
    for event_type, outcome in outcomes.items():
        if event_type in result.estimates and outcome in names:
            initiative = apply_evidence(
                initiative,
                outcome,
                result.estimates[event_type],
                people_per_year=people_per_year,
                months_followed=window_months,
            )
            applied.append(outcome)
    return SafeHavenEvidence(result, initiative, people_per_year, tuple(applied))
