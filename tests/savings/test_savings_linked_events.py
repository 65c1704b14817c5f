"""Evidence read from a workspace in the shape ingest and linkage write feeds the safe haven.

The events are read through the governed path (service_evaluation, aggregate_only) as a hub
user: only estimates leave the workspace, and each source's read is in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from savings_synthetic import generate, load
from sqlalchemy import Engine

from sharewell.agreements import seed_demo_partnership
from sharewell.audit import entries
from sharewell.config import Settings
from sharewell.errors import AccessDenied, LinkageError, SavingsError
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.linked_events import EVENT_READS, safe_haven_evidence
from sharewell.savings.unit_costs import load_library
from sharewell.store import init_hub, operational_engine

ANALYST = "westshire_cc.analyst"


@pytest.fixture
def engine(hub_settings: Settings) -> Iterator[Engine]:
    """A hub holding the demo partnership (its service-evaluation agreement and users)."""
    init_hub(hub_settings)
    eng = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    seed_demo_partnership(eng, actor="test")
    yield eng
    eng.dispose()


def _workspace_from(con: duckdb.DuckDBPyConnection) -> None:
    """Typed source tables and a person index, as in docs/extracts.md, from generated events."""
    con.execute(
        """
        CREATE TABLE records AS
        SELECT row_number() OVER () AS n, * FROM (
            SELECT person_id, event_type, event_date FROM events
            UNION ALL
            SELECT person_id, 'safe_haven_referral', index_date FROM cohort
        );
        CREATE TABLE records_police_mh_incident AS
        SELECT 'westshire_police:police.mh_incident:' || n AS unique_id,
               'westshire_police' AS partner, event_date AS incident_date,
               CASE event_type WHEN 's136_detention' THEN 'section_136'
                    ELSE 'mental_health' END AS incident_type
        FROM records WHERE event_type IN ('police_mh_incident', 's136_detention');
        CREATE TABLE records_ambulance_mh_callout AS
        SELECT 'westshire_ambulance:ambulance.mh_callout:' || n AS unique_id,
               'westshire_ambulance' AS partner, event_date AS callout_date
        FROM records WHERE event_type = 'ambulance_callout';
        CREATE TABLE records_mh_trust_crisis_contact AS
        SELECT 'westshire_mht:mh_trust.crisis_contact:' || n AS unique_id,
               'westshire_mht' AS partner, event_date AS contact_date,
               'safe_haven_referral' AS contact_type
        FROM records WHERE event_type = 'safe_haven_referral';
        CREATE TABLE person_index AS
        SELECT unique_id, 'old' || substr(unique_id, -3) AS person_id, 1 AS run_id
        FROM records_police_mh_incident
        UNION ALL
        SELECT 'westshire_police:police.mh_incident:' || n, person_id, 2 FROM records
        UNION ALL
        SELECT 'westshire_ambulance:ambulance.mh_callout:' || n, person_id, 2 FROM records
        UNION ALL
        SELECT 'westshire_mht:mh_trust.crisis_contact:' || n, person_id, 2 FROM records;
        """
    )


@pytest.mark.slow
def test_safe_haven_outcomes_are_measured_from_the_linked_workspace(engine: Engine) -> None:
    data = generate(people=20000, relative_effect=-0.4, seed=1)
    con = duckdb.connect()
    load(con, data)
    _workspace_from(con)

    library = load_library()
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", library)
    evidence, seqs = safe_haven_evidence(engine, con, haven, username=ANALYST, bootstrap=500)
    assert set(evidence.applied) == {
        "Police mental health incidents avoided",
        "Section 136 detentions avoided",
        "Ambulance mental health call-outs avoided",
    }
    assert evidence.result.cohort_size == data.cohort.num_rows
    s136 = next(o for o in evidence.initiative.outcomes if o.name.startswith("Section 136"))
    est = evidence.result.estimates["police_section_136"]
    assert est.ci_low <= data.true_effect["s136_detention"] <= est.ci_high
    assert s136.central_events() == pytest.approx(
        -est.effect_per_person_month * 12 * evidence.people_per_year
    )
    assert s136.grade == est.confidence_grade == 2
    # The measured initiative still appraises, and the police still benefit.
    assert appraise(evidence.initiative, library).agency("westshire_police").benefits_pv > 0

    # One audit entry per source read, each under its purpose and agreement, naming no one.
    audited = {e.seq: e for e in entries(engine)}
    assert len(seqs) == len(EVENT_READS)
    for seq, source in zip(seqs, EVENT_READS, strict=True):
        entry = audited[seq]
        assert (entry.actor, entry.outcome, entry.purpose) == (
            ANALYST,
            "allow",
            "service_evaluation",
        )
        assert entry.target == f"{source} at aggregate_only"
        assert entry.agreement_id == "service-evaluation" and entry.persons == ()
    # The governed views are gone once the estimates are out.
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    assert not [v for (v,) in views if v.startswith(("linked_", "savings_"))]


def test_a_user_without_a_service_evaluation_agreement_is_refused_and_audited(
    engine: Engine,
) -> None:
    data = generate(people=500, relative_effect=-0.4, seed=2)
    con = duckdb.connect()
    load(con, data)
    _workspace_from(con)
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    before = len(entries(engine))
    with pytest.raises(AccessDenied, match="does not grant role frontline"):
        safe_haven_evidence(engine, con, haven, username="westshire_fire.frontline")
    refusals = entries(engine)[before:]
    assert {e.outcome for e in refusals} == {"deny"}
    assert {e.target for e in refusals} == {f"{s} at aggregate_only" for s in EVENT_READS}


def test_too_few_referrals_give_no_estimate_over_a_small_cell(engine: Engine) -> None:
    data = generate(people=20000, relative_effect=-0.4, seed=1)
    con = duckdb.connect()
    load(con, data)
    _workspace_from(con)
    # Keep only five referrals: below the agreement's cell of ten.
    con.execute(
        "DELETE FROM records_mh_trust_crisis_contact WHERE unique_id NOT IN "
        "(SELECT unique_id FROM records_mh_trust_crisis_contact ORDER BY unique_id LIMIT 5)"
    )
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    with pytest.raises(SavingsError, match="too few safe haven referrals"):
        safe_haven_evidence(engine, con, haven, username=ANALYST, bootstrap=50)


def test_a_workspace_without_linkage_is_refused_with_a_reason(engine: Engine) -> None:
    con = duckdb.connect()
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    with pytest.raises(LinkageError, match="no person index"):
        safe_haven_evidence(engine, con, haven, username=ANALYST)
    con.execute("CREATE TABLE person_index (unique_id VARCHAR, person_id VARCHAR, run_id INT)")
    with pytest.raises(LinkageError, match="no table 'records_police_mh_incident'"):
        safe_haven_evidence(engine, con, haven, username=ANALYST)
    assert entries(engine)[-1].outcome == "failed"
