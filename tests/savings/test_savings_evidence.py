"""The matched difference-in-differences recovers what was generated, says "no clear effect"
when nothing was, and earns its grade from its design: balance, pre-trend, corrected intervals."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pytest
from savings_synthetic import generate, load

from sharewell.errors import SavingsError
from sharewell.savings.engine import appraise
from sharewell.savings.evidence import DidEstimate, apply_evidence, measure_did
from sharewell.savings.initiative import Initiative
from sharewell.savings.matching import Effect, design_grade
from sharewell.savings.unit_costs import UnitCostLibrary


def _con(
    people: int = 20000, effect: float = -0.4, seed: int = 1
) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    data = generate(people=people, relative_effect=effect, seed=seed)
    con = duckdb.connect()
    load(con, data)
    return con, data.true_effect


@pytest.fixture(scope="module")
def safe_haven_effect() -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """20,000 people; those referred after crises have 40% fewer events afterwards."""
    return _con()


def test_did_recovers_the_generated_effect_within_its_interval(safe_haven_effect) -> None:
    con, truth = safe_haven_effect
    result = measure_did(con, people="people", bootstrap=1000)
    assert result.matched >= 0.95 * result.cohort_size
    for event_type, true_effect in truth.items():
        est = result.estimates[event_type]
        assert est.ci_low <= true_effect <= est.ci_high, (event_type, est, true_effect)
        assert est.clear and est.ci_high < 0  # a real reduction is detected, not just bracketed
        assert est.confidence_grade == 2  # balanced, no pre-trend, clear, hundreds matched
    assert set(result.clear) == set(truth)


def test_matching_balances_the_history_the_cohort_was_chosen_on(safe_haven_effect) -> None:
    con, _ = safe_haven_effect
    result = measure_did(con, people="people", bootstrap=200)
    rows = {b.covariate: b for b in result.balance}
    # Referral depended on prior crises: before matching the groups differ a lot per type...
    assert max(abs(b.smd_before) for b in rows.values()) > 0.5
    # ...after matching on each type's history, every standardised difference is small.
    assert all(abs(b.smd_after) < 0.1 for b in rows.values())
    assert set(rows) == {f"{t}: events in the year before" for t in result.estimates}


def test_no_clear_effect_when_none_was_generated() -> None:
    con, _ = _con(effect=0.0, seed=3)
    result = measure_did(con, people="people", bootstrap=1000)
    assert result.clear == ()
    for est in result.estimates.values():
        assert est.ci_low <= 0 <= est.ci_high
        assert est.confidence_grade == 5


def test_intervals_are_corrected_for_the_number_of_outcomes(safe_haven_effect) -> None:
    con, _ = safe_haven_effect
    result = measure_did(con, people="people", bootstrap=1000)
    m = len(result.estimates)
    for est in result.estimates.values():
        assert est.ci_low < est.ci95_low and est.ci_high > est.ci95_high  # wider than 95%
        assert est.p_adjusted == pytest.approx(min(1.0, est.p_value * m))


def test_a_pre_trend_is_found_and_costs_the_grade() -> None:
    con, _ = _con(seed=4)
    # Take away the cohort's events in the second year before referral: it was already
    # rising towards its referral faster than anyone it could be matched to.
    con.execute(
        """
        DELETE FROM events WHERE rowid IN (
            SELECT e.rowid FROM events e JOIN cohort c USING (person_id)
            WHERE e.event_date >= c.index_date - INTERVAL 24 MONTH
              AND e.event_date < c.index_date - INTERVAL 12 MONTH
        )
        """
    )
    result = measure_did(con, people="people", bootstrap=1000)
    for est in result.estimates.values():
        assert not est.pre_trend_ok and est.pre_trend > 0
        assert est.confidence_grade >= 4


def test_a_30_person_cohort_is_refused_with_a_clear_reason() -> None:
    con, _ = _con(people=4000, seed=5)
    con.execute("DELETE FROM cohort WHERE person_id NOT IN (SELECT person_id FROM cohort LIMIT 30)")
    with pytest.raises(SavingsError) as err:
        measure_did(con, people="people", bootstrap=100)
    message = str(err.value)
    assert message.startswith("the cohort has 30 people")
    assert "needs at least 50 matched to tell an effect from chance" in message
    assert "nothing was estimated" in message


def _estimate(effect: float, low: float, high: float, clear: bool, grade: int) -> DidEstimate:
    return DidEstimate(
        event_type="x", effect_per_person_month=effect, ci_low=low, ci_high=high,
        ci95_low=low, ci95_high=high, p_value=0.01, p_adjusted=0.03, clear=clear,
        pre_trend=0.0, pre_trend_low=-0.01, pre_trend_high=0.01, pre_trend_ok=True,
        pre_trend_sets=300, treated=300, controls=300, treated_before=0.1,
        treated_after=0.1, controls_before=0.1, controls_after=0.1, confidence_grade=grade,
    )  # fmt: skip


def test_a_measured_effect_feeds_an_outcome_without_deadweight(
    build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    est = _estimate(-0.01, -0.015, -0.005, clear=True, grade=2)
    base = build(horizon_years=1, discount_rate=0.0, deadweight=0.3)
    ini = apply_evidence(
        base, "Police events avoided", est, people_per_year=400, months_followed=12
    )
    outcome = ini.outcomes[0]
    assert outcome.measured and outcome.grade == 2
    assert outcome.central_events() == pytest.approx(0.01 * 12 * 400)
    assert outcome.events_range() == pytest.approx((0.005 * 12 * 400, 0.015 * 12 * 400))
    # T.POLICE is £100 an event, grade 1; grade 2 takes 5%; the 30% deadweight is not applied.
    assert appraise(ini, library).total.benefits_pv == pytest.approx(48 * 100 * 0.95)


def test_a_measured_rise_is_a_cost_and_an_unclear_effect_counts_none(
    build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    base = build(horizon_years=1, discount_rate=0.0)
    rise = _estimate(0.01, 0.005, 0.015, clear=True, grade=2)
    ini = apply_evidence(
        base, "Police events avoided", rise, people_per_year=400, months_followed=12
    )
    assert appraise(ini, library).total.benefits_pv == pytest.approx(-48 * 100 * 0.95)
    unclear = _estimate(-0.01, -0.03, 0.01, clear=False, grade=5)
    ini = apply_evidence(
        base, "Police events avoided", unclear, people_per_year=400, months_followed=12
    )
    assert ini.outcomes[0].central_events() == 0  # not banked, but its interval is the range
    assert ini.outcomes[0].events_range() == pytest.approx((-0.01 * 4800, 0.03 * 4800))
    added = apply_evidence(
        base, "New measured outcome", rise, people_per_year=400, months_followed=12,
        unit_costs={"T.POLICE": 1},
    )  # fmt: skip
    assert [o.name for o in added.outcomes][-1] == "New measured outcome"


def test_grades_are_earned_from_the_design() -> None:
    clear = Effect(-0.02, 0.005, -0.03, -0.01, -0.035, -0.005, 0.001, 0.008, 300)
    unclear = Effect(-0.01, 0.01, -0.03, 0.01, -0.04, 0.02, 0.3, 1.0, 300)
    assert design_grade(clear, True, 0.05, 300) == 2
    assert design_grade(clear, True, 0.05, 60) == 3  # fewer than 100 matched
    assert design_grade(clear, True, 0.15, 300) == 3  # balance only fair
    assert design_grade(clear, False, 0.05, 300) == 4  # the groups were diverging before
    assert design_grade(clear, True, 0.30, 300) == 4  # poorly balanced
    assert design_grade(unclear, True, 0.05, 300) == 5


def test_missing_columns_are_named() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (person_id VARCHAR, event_date DATE)")
    con.execute("CREATE TABLE cohort (person_id VARCHAR, index_date DATE)")
    with pytest.raises(SavingsError, match="table events lacks column"):
        measure_did(con)


def test_quantities_weight_the_events(safe_haven_effect) -> None:
    con, _ = safe_haven_effect
    con.execute("CREATE OR REPLACE TABLE weighted AS SELECT *, 2.0 AS quantity FROM events")
    plain = measure_did(con, people="people", bootstrap=200)
    doubled = measure_did(con, events="weighted", people="people", bootstrap=200)
    for t, est in plain.estimates.items():
        assert doubled.estimates[t].effect_per_person_month == pytest.approx(
            2 * est.effect_per_person_month
        )
    assert np.isfinite([e.p_value for e in doubled.estimates.values()]).all()
