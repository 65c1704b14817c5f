"""Evidence read from a workspace in the shape ingest and linkage write feeds the safe haven.

The events are read through the governed path (service_evaluation, aggregate_only) as a hub
user: only estimates leave the workspace, and each source's read is in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from sqlalchemy import Engine

from sharewell.agreements import seed_demo_partnership
from sharewell.audit import entries
from sharewell.config import Settings
from sharewell.errors import AccessDenied, LinkageError, SavingsError
from sharewell.savings.calibration import synthetic_workspace as linked_workspace
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.linked_events import EVENT_READS, SAFE_HAVEN_OUTCOMES, safe_haven_evidence
from sharewell.savings.unit_costs import load_library
from sharewell.store import init_hub, operational_engine
from sharewell.synth import Partnership, SynthConfig
from sharewell.synth import generate as generate_partnership

ANALYST = "westshire_cc.analyst"


@pytest.fixture
def engine(hub_settings: Settings) -> Iterator[Engine]:
    """A hub holding the demo partnership (its service-evaluation agreement and users)."""
    init_hub(hub_settings)
    eng = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    seed_demo_partnership(eng, actor="test")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def westshire() -> Partnership:
    """A synthetic Westshire of 60,000 people: referral cuts police MH, S136 and A&E by 35%."""
    return generate_partnership(SynthConfig(people=60000, seed=100))


def _workspace(westshire: Partnership) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    linked_workspace(con, westshire)
    return con


@pytest.mark.slow
def test_safe_haven_outcomes_are_measured_from_the_linked_workspace(
    engine: Engine, westshire: Partnership
) -> None:
    con = _workspace(westshire)
    library = load_library()
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", library)
    evidence, seqs = safe_haven_evidence(engine, con, haven, username=ANALYST, bootstrap=500)
    # Every measured outcome goes into the appraisal, the rises and the unclear ones too.
    assert set(evidence.applied) == set(SAFE_HAVEN_OUTCOMES.values())
    result = evidence.result
    assert result.cohort_size == int(westshire.events.safe_haven.referred.sum())
    assert result.matched >= 300 and result.matched_on == ("sex", "index quarter")
    # The balance table came out of the governed computation, and the groups are balanced.
    assert result.balance and all(abs(b.smd_after) < 0.1 for b in result.balance)
    police = result.estimates["police_mental_health"]
    assert police.clear and police.ci_high < 0 and police.confidence_grade == 2
    counterfactual = police.treated_after - police.effect_per_person_month
    assert police.ci_low <= -0.35 * counterfactual <= police.ci_high
    # Ambulance call-outs were generated unchanged: no clear effect, so none is counted.
    ambulance = result.estimates["ambulance_mh_callout"]
    assert not ambulance.clear and ambulance.confidence_grade == 5
    calls = next(o for o in evidence.initiative.outcomes if o.name.startswith("Ambulance"))
    assert calls.measured and calls.central_events() == 0
    lo, hi = calls.events_range()  # type: ignore[misc]
    assert lo < 0 < hi
    welfare = next(o for o in evidence.initiative.outcomes if "welfare" in o.name)
    assert welfare.measured and welfare.unit_costs == {"PMH.1": 1.0}
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
    engine: Engine, westshire: Partnership
) -> None:
    con = _workspace(westshire)
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    before = len(entries(engine))
    with pytest.raises(AccessDenied, match="does not grant role frontline"):
        safe_haven_evidence(engine, con, haven, username="westshire_fire.frontline")
    refusals = entries(engine)[before:]
    assert {e.outcome for e in refusals} == {"deny"}
    assert {e.target for e in refusals} == {f"{s} at aggregate_only" for s in EVENT_READS}


def test_a_30_person_cohort_is_refused_with_a_clear_reason(
    engine: Engine, westshire: Partnership
) -> None:
    con = _workspace(westshire)
    # Keep thirty referrals: too few to tell an effect from chance.
    con.execute(
        "DELETE FROM records_mh_trust_crisis_contact WHERE contact_type = 'safe_haven_referral' "
        "AND unique_id NOT IN (SELECT unique_id FROM records_mh_trust_crisis_contact "
        "WHERE contact_type = 'safe_haven_referral' ORDER BY unique_id LIMIT 30)"
    )
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    with pytest.raises(SavingsError, match=r"^the cohort has 30 people.*at least 50 matched"):
        safe_haven_evidence(engine, con, haven, username=ANALYST, bootstrap=50)
    # The refusal is in the audit log as a failed use, and nothing came out.
    assert entries(engine)[-1].outcome == "failed"


def test_a_workspace_without_linkage_is_refused_with_a_reason(engine: Engine) -> None:
    con = duckdb.connect()
    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml", load_library())
    with pytest.raises(LinkageError, match="no person index"):
        safe_haven_evidence(engine, con, haven, username=ANALYST)
    con.execute("CREATE TABLE person_index (unique_id VARCHAR, person_id VARCHAR, run_id INT)")
    with pytest.raises(LinkageError, match="no table 'records_police_mh_incident'"):
        safe_haven_evidence(engine, con, haven, username=ANALYST)
    assert entries(engine)[-1].outcome == "failed"
