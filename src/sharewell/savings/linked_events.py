"""Plain events and a safe haven cohort from linked partner data, and the evidence they give.

Partner events are read only through the governed path (``views.linked_reads.linked_aggregate``)
for ``service_evaluation`` at ``aggregate_only``: the per-person joins run inside the
workspace over temporary views holding only the permitted fields, and only the estimates
leave it, each over enough people (the agreements' smallest cell), with audit entries.
Inside that computation, two views are built over the governed views:

- ``savings_events``: ``person_id``, ``agency``, ``event_type``, ``event_date`` from police
  mental health incidents, ambulance mental health call-outs and mental health trust crisis
  contacts;
- ``savings_cohort``: ``person_id``, ``index_date`` = first safe haven referral.

Then ``measure_safe_haven`` runs the difference-in-differences, and the estimates go into
the matching outcomes of the safe haven initiative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.errors import SavingsError
from sharewell.savings.evidence import DidEstimate, DidResult, apply_evidence, measure_did
from sharewell.savings.initiative import Initiative

__all__ = [
    "EVALUATION_PURPOSE",
    "EVENT_READS",
    "SAFE_HAVEN_OUTCOMES",
    "SafeHavenEvidence",
    "create_event_views",
    "measure_safe_haven",
    "safe_haven_evidence",
]

SAFE_HAVEN_OUTCOMES: dict[str, str] = {
    "police_mental_health": "Police mental health incidents avoided",
    "police_section_136": "Section 136 detentions avoided",
    "ambulance_mh_callout": "Ambulance mental health call-outs avoided",
    "ae_attendance": "A&E attendances avoided",
}
"""Event type measured -> outcome of the ``safe_haven`` template it evidences."""

EVALUATION_PURPOSE = "service_evaluation"

EVENT_READS: dict[str, tuple[str, ...]] = {
    "police.mh_incident": ("incident_type", "incident_date"),
    "ambulance.mh_callout": ("callout_date",),
    "mh_trust.crisis_contact": ("contact_type", "contact_date"),
}
"""Source type -> the fields the evaluation reads (granted at aggregate_only)."""


def create_event_views(con: duckdb.DuckDBPyConnection, view_for: Callable[[str], str]) -> None:
    """Create the ``savings_events`` and ``savings_cohort`` views over the governed views.

    ``view_for`` names the governed view of a source type (person_id, partner and the
    permitted fields of ``EVENT_READS``), as ``linked_aggregate`` provides.
    """
    police = view_for("police.mh_incident")
    ambulance = view_for("ambulance.mh_callout")
    crisis = view_for("mh_trust.crisis_contact")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW savings_events AS
        SELECT person_id, 'police' AS agency, 'police_' || incident_type AS event_type,
               CAST(incident_date AS DATE) AS event_date
        FROM "{police}"
        UNION ALL
        SELECT person_id, 'ambulance', 'ambulance_mh_callout', CAST(callout_date AS DATE)
        FROM "{ambulance}"
        UNION ALL
        SELECT person_id, 'nhs_trust',
               CASE contact_type WHEN 'crisis_team' THEN 'crisis_team_contact'
                    WHEN 'admission' THEN 'mh_admission' ELSE contact_type END,
               CAST(contact_date AS DATE)
        FROM "{crisis}"
        WHERE contact_type <> 'safe_haven_referral'
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW savings_cohort AS
        SELECT person_id, CAST(min(contact_date) AS DATE) AS index_date
        FROM "{crisis}"
        WHERE contact_type = 'safe_haven_referral'
        GROUP BY person_id
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
    return _applied(initiative, result, n / years, window_months, outcomes)


def _applied(
    initiative: Initiative,
    result: DidResult,
    people_per_year: float,
    window_months: int,
    outcomes: Mapping[str, str],
) -> SafeHavenEvidence:
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


def _aggregate_rows(evidence: SafeHavenEvidence) -> list[dict[str, Any]]:
    """The measurement as aggregate rows: one per estimate, one for the cohort."""
    r = evidence.result
    cohort = {
        "kind": "cohort",
        "event_type": None,
        "cohort_size": r.cohort_size,
        "matched": r.matched,
        "people_per_year": evidence.people_per_year,
        "window_months": r.window_months,
        "match_on": list(r.match_on),
        "bootstrap": r.bootstrap,
    }
    return [cohort] + [{"kind": "estimate", **asdict(e)} for e in r.estimates.values()]


def safe_haven_evidence(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    initiative: Initiative,
    *,
    username: str,
    outcomes: Mapping[str, str] = SAFE_HAVEN_OUTCOMES,
    window_months: int = 12,
    bootstrap: int = 2000,
    seed: int = 0,
) -> tuple[SafeHavenEvidence, tuple[int, ...]]:
    """The safe haven measured from linked data for ``username``, governed and audited.

    Returns the evidence (estimates over too few people are left out) and the audit entries.

    Raises:
        AccessDenied: the user's agreements do not grant the events at aggregate_only.
        SavingsError: nothing to measure, or too few referrals to report.
    """
    from sharewell.views.linked_reads import linked_aggregate, linked_view

    def compute(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        create_event_views(con, linked_view)
        try:
            measured = measure_safe_haven(
                con,
                initiative,
                outcomes=outcomes,
                window_months=window_months,
                bootstrap=bootstrap,
                seed=seed,
            )
        finally:
            con.execute("DROP VIEW IF EXISTS savings_events")
            con.execute("DROP VIEW IF EXISTS savings_cohort")
        return _aggregate_rows(measured)

    governed = linked_aggregate(
        engine,
        conn,
        username=username,
        purpose=EVALUATION_PURPOSE,
        reads=EVENT_READS,
        compute=compute,
        counts=("cohort_size", "matched", "treated", "controls"),
        keep=("kind", "event_type"),
    )
    cohort = next(r for r in governed.rows if r["kind"] == "cohort")
    if cohort["suppressed"]:
        raise SavingsError(
            "too few safe haven referrals were matched to report any estimate "
            "(the agreements' smallest cell)"
        )
    names = {f.name for f in fields(DidEstimate)}
    estimates = {
        r["event_type"]: DidEstimate(**{k: v for k, v in r.items() if k in names})
        for r in governed.rows
        if r["kind"] == "estimate" and not r["suppressed"]
    }
    result = DidResult(
        estimates=estimates,
        cohort_size=cohort["cohort_size"],
        matched=cohort["matched"],
        window_months=cohort["window_months"],
        match_on=tuple(cohort["match_on"]),
        bootstrap=cohort["bootstrap"],
    )
    evidence = _applied(initiative, result, cohort["people_per_year"], window_months, outcomes)
    return evidence, governed.audit_seqs
