"""Difference-in-differences on generated linked events recovers the effect that was generated."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from savings_synthetic import generate, load

from sharewell.errors import SavingsError
from sharewell.savings.engine import appraise
from sharewell.savings.evidence import apply_evidence, grade_for, measure_did
from sharewell.savings.initiative import Initiative
from sharewell.savings.unit_costs import UnitCostLibrary


@pytest.fixture(scope="module")
def safe_haven_effect() -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """20,000 people; those referred after crises have 40% fewer events afterwards."""
    data = generate(people=20000, relative_effect=-0.4, seed=1)
    con = duckdb.connect()
    load(con, data)
    return con, data.true_effect


def test_did_recovers_the_generated_effect_within_its_interval(safe_haven_effect) -> None:
    con, truth = safe_haven_effect
    result = measure_did(con, people="people", bootstrap=1000)
    assert result.matched >= 0.95 * result.cohort_size
    for event_type, true_effect in truth.items():
        est = result.estimates[event_type]
        assert est.ci_low <= true_effect <= est.ci_high, (event_type, est, true_effect)
        assert est.ci_high < 0  # a real reduction is detected, not just bracketed
        assert est.treated_after < est.treated_before


def test_did_finds_no_effect_when_none_was_generated() -> None:
    data = generate(people=20000, relative_effect=0.0, seed=3)
    con = duckdb.connect()
    load(con, data)
    result = measure_did(con, people="people", bootstrap=1000)
    for est in result.estimates.values():
        assert est.ci_low <= 0 <= est.ci_high
        assert est.confidence_grade == 5


def test_measured_effect_feeds_an_initiative_outcome(
    safe_haven_effect, build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    con, _ = safe_haven_effect
    est = measure_did(con, people="people", bootstrap=200).estimates["police_mh_incident"]
    ini = apply_evidence(
        build(horizon_years=1, discount_rate=0.0),
        "Police events avoided",
        est,
        people_per_year=400,
        months_followed=12,
    )
    outcome = ini.outcomes[0]
    assert outcome.grade == est.confidence_grade
    expected_events = -est.effect_per_person_month * 12 * 400
    assert outcome.central_events() == pytest.approx(expected_events)
    low, high = outcome.events_range()  # type: ignore[misc]
    assert low == pytest.approx(-est.ci_high * 12 * 400)
    assert high == pytest.approx(-est.ci_low * 12 * 400)
    # T.POLICE is £100 a person-event, grade 1; the DiD grade sets the optimism bias.
    ob = ini.optimism_bias[est.confidence_grade]
    assert appraise(ini, library).total.benefits_pv == pytest.approx(
        expected_events * 100 * (1 - ob)
    )


def test_grades_reflect_how_clear_the_estimate_is() -> None:
    assert grade_for(-0.05, -0.01, matched=300) == 2
    assert grade_for(-0.05, -0.01, matched=40) == 3
    assert grade_for(-0.05, 0.01, matched=300) == 5


def test_missing_columns_are_named() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (person_id VARCHAR, event_date DATE)")
    con.execute("CREATE TABLE cohort (person_id VARCHAR, index_date DATE)")
    with pytest.raises(SavingsError, match="table events lacks column"):
        measure_did(con)
