"""Plain events and a safe haven cohort from linked partner data, and the evidence they give.

Partner events are read only through the governed path (``views.linked_reads.linked_aggregate``)
for ``service_evaluation`` at ``aggregate_only``: the per-person joins run inside the
workspace over temporary views holding only the permitted fields, and only the estimates
leave it, each over enough people (the agreements' smallest cell), with audit entries.
Inside that computation, three views are built over the governed views:

- ``savings_events``: ``person_id``, ``agency``, ``event_type``, ``event_date``, ``quantity``
  from police mental health incidents (by type), ambulance mental health call-outs and mental
  health trust crisis contacts (crisis team contacts, A&E attendances, admissions, and bed
  days weighted by the admission's length of stay);
- ``savings_cohort``: ``person_id``, ``index_date`` = first safe haven referral;
- ``savings_people``: everyone eligible for the safe haven — a crisis team contact on or after
  the first referral (the haven's opening, as the data shows it) — with that contact as their
  own index date, and their sex from the trust's records (the service-evaluation agreement
  grants no date of birth, an identifier, so age is not matched on). The comparison
  people are the eligible who were not referred, so both groups are chosen by the same event.

Then ``measure_safe_haven`` runs the matched difference-in-differences (``savings.evidence``)
on every event type, and every estimate goes into the safe haven initiative: the outcomes it
has, and outcomes it lacks added with their unit costs (``EXTRA_OUTCOMES``), rises included.
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
from sharewell.savings.matching import Balance

__all__ = [
    "EVALUATION_PURPOSE",
    "EVENT_READS",
    "EXTRA_OUTCOMES",
    "MATCH_ON",
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
    "crisis_team_contact": "Extra crisis team contacts (follow-up after a visit)",
    "mh_bed_days": "Mental health inpatient bed days avoided",
    "police_concern_for_welfare": "Police concern-for-welfare incidents avoided",
}
"""Event type measured -> outcome of the ``safe_haven`` template it evidences. Admissions are
measured too, but their cost is in the bed days, so they are reported and not costed again."""

EXTRA_OUTCOMES: dict[str, dict[str, float]] = {
    "Police concern-for-welfare incidents avoided": {"PMH.1": 1.0},
}
"""Outcomes the template lacks, added with these unit costs when measured."""

MATCH_ON = (
    "police_mental_health",
    "police_section_136",
    "police_concern_for_welfare",
    "ambulance_mh_callout",
    "crisis_team_contact",
    "ae_attendance",
    "mh_admission",
)
"""Event types whose history each referral is matched on (counts, not bed days)."""

EVALUATION_PURPOSE = "service_evaluation"

EVENT_READS: dict[str, tuple[str, ...]] = {
    "police.mh_incident": ("incident_type", "incident_date"),
    "ambulance.mh_callout": ("callout_date",),
    "mh_trust.crisis_contact": ("contact_type", "contact_date", "bed_days", "sex"),
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
               CAST(incident_date AS DATE) AS event_date, 1.0 AS quantity
        FROM "{police}"
        UNION ALL
        SELECT person_id, 'ambulance', 'ambulance_mh_callout', CAST(callout_date AS DATE), 1.0
        FROM "{ambulance}"
        UNION ALL
        SELECT person_id, 'nhs_trust',
               CASE contact_type WHEN 'crisis_team' THEN 'crisis_team_contact'
                    WHEN 'admission' THEN 'mh_admission' ELSE contact_type END,
               CAST(contact_date AS DATE), 1.0
        FROM "{crisis}"
        WHERE contact_type <> 'safe_haven_referral'
        UNION ALL
        SELECT person_id, 'nhs_trust', 'mh_bed_days', CAST(contact_date AS DATE),
               CAST(coalesce(bed_days, 0) AS DOUBLE)
        FROM "{crisis}"
        WHERE contact_type = 'admission'
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
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW savings_people AS
        WITH opened AS (SELECT min(index_date) AS d FROM savings_cohort)
        SELECT person_id,
               min(CAST(contact_date AS DATE)) FILTER (
                   WHERE contact_type = 'crisis_team'
                     AND CAST(contact_date AS DATE) >= (SELECT d FROM opened)) AS index_date,
               mode(sex) AS sex
        FROM "{crisis}"
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
    tables of those names in the same shape; ``people`` names who may be a comparison person
    (``savings_people`` from the linked data; default: everyone with an event).
    """
    row = con.execute(
        "SELECT count(*), min(index_date), max(index_date) FROM savings_cohort"
    ).fetchone()
    if row is None or not row[0]:
        raise SavingsError("no safe haven referrals in the workspace: nothing to measure")
    n, first, last = row
    years = max(1.0, ((last - first).days + 1) / 365.25)
    types = [t for (t,) in con.execute("SELECT DISTINCT event_type FROM savings_events").fetchall()]
    result = measure_did(
        con,
        events="savings_events",
        cohort="savings_cohort",
        people=people,
        event_types=sorted(types),
        match_on=[t for t in MATCH_ON if t in types],
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
        if event_type in result.estimates and (outcome in names or outcome in EXTRA_OUTCOMES):
            initiative = apply_evidence(
                initiative,
                outcome,
                result.estimates[event_type],
                people_per_year=people_per_year,
                months_followed=window_months,
                unit_costs=EXTRA_OUTCOMES.get(outcome),
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
        "pool_size": r.pool_size,
        "followed": r.followed,
        "matched_on": list(r.matched_on),
    }
    estimates = [{"kind": "estimate", **asdict(e)} for e in r.estimates.values()]
    balance = [{"kind": "balance", "event_type": None, **asdict(b)} for b in r.balance]
    return [cohort, *estimates, *balance]


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
                people="savings_people",
                outcomes=outcomes,
                window_months=window_months,
                bootstrap=bootstrap,
                seed=seed,
            )
        finally:
            for view in ("savings_people", "savings_events", "savings_cohort"):
                con.execute(f"DROP VIEW IF EXISTS {view}")
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
    bal_names = {f.name for f in fields(Balance)}
    result = DidResult(
        estimates=estimates,
        cohort_size=cohort["cohort_size"],
        matched=cohort["matched"],
        window_months=cohort["window_months"],
        match_on=tuple(cohort["match_on"]),
        bootstrap=cohort["bootstrap"],
        balance=tuple(
            Balance(**{k: v for k, v in r.items() if k in bal_names})
            for r in governed.rows
            if r["kind"] == "balance" and not r["suppressed"]
        ),
        pool_size=cohort["pool_size"],
        followed=cohort["followed"],
        matched_on=tuple(cohort["matched_on"]),
    )
    evidence = _applied(initiative, result, cohort["people_per_year"], window_months, outcomes)
    return evidence, governed.audit_seqs
