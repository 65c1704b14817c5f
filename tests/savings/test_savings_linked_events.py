"""Evidence read from a workspace in the shape ingest and linkage write feeds the safe haven."""

from __future__ import annotations

import duckdb
import pytest
from savings_synthetic import generate, load

from sharewell.errors import SavingsError
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.linked_events import create_event_views, measure_safe_haven
from sharewell.savings.unit_costs import load_library


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
               event_date AS incident_date,
               CASE event_type WHEN 's136_detention' THEN 'section_136'
                    ELSE 'mental_health' END AS incident_type
        FROM records WHERE event_type IN ('police_mh_incident', 's136_detention');
        CREATE TABLE records_ambulance_mh_callout AS
        SELECT 'westshire_ambulance:ambulance.mh_callout:' || n AS unique_id,
               event_date AS callout_date
        FROM records WHERE event_type = 'ambulance_callout';
        CREATE TABLE records_mh_trust_crisis_contact AS
        SELECT 'westshire_mht:mh_trust.crisis_contact:' || n AS unique_id,
               event_date AS contact_date, 'safe_haven_referral' AS contact_type
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
def test_safe_haven_outcomes_are_measured_from_the_linked_workspace() -> None:
    data = generate(people=20000, relative_effect=-0.4, seed=1)
    con = duckdb.connect()
    load(con, data)
    _workspace_from(con)
    create_event_views(con)
    counts = dict(
        con.execute("SELECT event_type, count(*) FROM savings_events GROUP BY 1").fetchall()
    )
    assert (
        counts["police_mental_health"] + counts["police_section_136"]
        == (
            con.execute(
                "SELECT count(*) FROM events WHERE event_type <> 'ambulance_callout'"
            ).fetchone()[0]  # type: ignore[index]
        )
    )
    assert con.execute("SELECT count(*) FROM savings_cohort").fetchone()[0] == data.cohort.num_rows  # type: ignore[index]

    library = load_library()
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", library)
    evidence = measure_safe_haven(con, haven, people="people", bootstrap=500)
    assert set(evidence.applied) == {
        "Police mental health incidents avoided",
        "Section 136 detentions avoided",
        "Ambulance mental health call-outs avoided",
    }
    s136 = next(o for o in evidence.initiative.outcomes if o.name.startswith("Section 136"))
    est = evidence.result.estimates["police_section_136"]
    assert est.ci_low <= data.true_effect["s136_detention"] <= est.ci_high
    assert s136.central_events() == pytest.approx(
        -est.effect_per_person_month * 12 * evidence.people_per_year
    )
    assert s136.grade == est.confidence_grade == 2
    # The measured initiative still appraises, and the police still benefit.
    assert appraise(evidence.initiative, library).agency("westshire_police").benefits_pv > 0


def test_a_workspace_without_linkage_is_refused_with_a_reason() -> None:
    con = duckdb.connect()
    with pytest.raises(SavingsError, match="no table 'records_police_mh_incident'"):
        create_event_views(con)
