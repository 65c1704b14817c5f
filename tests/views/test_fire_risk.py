"""Households are scored on shared risk factors, explained in plain words, and calibrated."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sharewell.errors import SharewellError
from sharewell.views.fire_risk import (
    DEFAULT_WEIGHTS_FILE,
    FACTORS,
    PersonRisk,
    load_weights,
    months_between,
    rank_households,
    score_household,
)
from sharewell.views.risk_calibration import HouseholdOutcome, calibrate, ranking_quality

AS_OF = date(2026, 4, 1)


def test_reasons_read_as_a_crew_would_say_them() -> None:
    weights = load_weights()
    person = PersonRisk(
        "p1",
        age=84,
        factors=frozenset({"lives_alone", "reduced_mobility", "smoker", "mh_crisis_last_12m"}),
        sources={"mh_crisis_last_12m": "westshire_police"},
    )
    risk = score_household("h1", [person], weights, as_of=AS_OF)
    assert risk.reasons.startswith("smoker")
    assert "aged 84" in risk.reasons
    assert "lives alone" in risk.reasons
    assert (
        "mental health crisis contact in the last 12 months (shared by westshire_police)"
        in risk.reasons
    )
    # the score is the logistic of the intercept plus the listed weights, nothing hidden
    expected = weights.intercept + 0.8 + 0.6 + 0.8 + 1.0 + 0.8
    assert risk.logit == pytest.approx(expected)
    assert risk.score == pytest.approx(1 / (1 + np.exp(-expected)))


def test_a_recent_visit_drops_a_household_down_the_list() -> None:
    weights = load_weights()
    person = PersonRisk("p", age=90, factors=frozenset({"smoker"}))
    visited = score_household("a", [person], weights, as_of=AS_OF, last_visit=date(2025, 12, 1))
    not_visited = score_household("b", [person], weights, as_of=AS_OF, last_visit=date(2024, 1, 1))
    assert [h.household_id for h in rank_households([visited, not_visited])] == ["b", "a"]
    assert "lowered: Safe and Well visit in the last 12 months" in visited.reasons


def test_household_counts_a_factor_once_and_takes_the_oldest_age() -> None:
    weights = load_weights()
    people = [
        PersonRisk("a", age=40, factors=frozenset({"smoker"})),
        PersonRisk("b", age=88, factors=frozenset({"smoker"})),
    ]
    risk = score_household("h", people, weights, as_of=AS_OF)
    assert [c.factor for c in risk.contributions].count("smoker") == 1
    assert "aged 88" in risk.reasons


@pytest.mark.parametrize(
    ("earlier", "later", "months"),
    [(date(2026, 1, 31), date(2026, 2, 28), 0), (date(2025, 4, 1), date(2026, 4, 1), 12)],
)
def test_months_between_counts_whole_months(earlier: date, later: date, months: int) -> None:
    assert months_between(earlier, later) == months


def test_bad_weights_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "weights.yaml"
    bad.write_text(DEFAULT_WEIGHTS_FILE.read_text().replace("intercept: -6.0", "intercept: high"))
    with pytest.raises(SharewellError, match="intercept"):
        load_weights(bad)


def _population(rng: np.random.Generator, n: int, true_logit_of: dict[str, float]) -> list:
    """Households drawn at random, with fires drawn from a known model where age matters less."""
    weights = load_weights()
    rows = []
    for i in range(n):
        age = int(rng.integers(20, 100))
        factors = frozenset(f for f in FACTORS if rng.random() < 0.12)
        logit = -5.0 + 0.01 * (age - 20) + sum(true_logit_of.get(f, 0.0) for f in factors)
        had_fire = bool(rng.random() < 1 / (1 + np.exp(-logit)))
        risk = score_household(f"h{i}", [PersonRisk(f"p{i}", age, factors)], weights, as_of=AS_OF)
        rows.append(HouseholdOutcome(risk, had_fire))
    return rows


def test_calibration_learns_the_factors_and_beats_age_only_targeting() -> None:
    rng = np.random.default_rng(7)
    truth = {"smoker": 2.0, "hoarding": 1.5, "mh_crisis_last_12m": 1.5, "oxygen_use": 0.0}
    train = _population(rng, 20_000, truth)
    fitted = calibrate(train, load_weights(), fitted_on="synthetic test")
    assert fitted.version == 2
    assert fitted.factors["smoker"].weight > fitted.factors["oxygen_use"].weight + 1.0
    assert fitted.factors["hoarding"].weight > 1.0

    test_rows = _population(rng, 20_000, truth)
    rescored = [
        HouseholdOutcome(
            score_household(r.risk.household_id, r.risk.people, fitted, as_of=AS_OF), r.had_fire
        )
        for r in test_rows
    ]
    model, age_only = ranking_quality(rescored)
    assert model.auc > age_only.auc + 0.1
    assert model.top_decile_capture > age_only.top_decile_capture


def test_calibration_refuses_too_few_fires() -> None:
    rows = _population(np.random.default_rng(1), 50, {})
    rows = [HouseholdOutcome(r.risk, False) for r in rows]
    with pytest.raises(SharewellError, match="too few past fires"):
        calibrate(rows, load_weights(), fitted_on="x")


def test_calibration_starts_from_the_judgement_weights_and_moves_only_on_evidence() -> None:
    start = load_weights()
    rng = np.random.default_rng(11)
    truth = {"smoker": 2.0, "hoarding": 1.5}
    never_recorded = {"oxygen_use", "alcohol_or_drugs"}
    few = [
        HouseholdOutcome(
            score_household(
                r.risk.household_id,
                [replace(p, factors=p.factors - never_recorded) for p in r.risk.people],
                start,
                as_of=AS_OF,
            ),
            r.had_fire,
        )
        for r in _population(rng, 3_000, truth)
    ]
    assert 10 <= sum(r.had_fire for r in few) < 100  # a county-year's worth of fires
    fitted = calibrate(few, start, fitted_on="a few fires")
    for name in never_recorded:
        # no partner records it, so there is no evidence: the judgement weight stands
        assert fitted.factors[name].weight == pytest.approx(start.factors[name].weight, abs=1e-3)
    # the fires are evidence that smoking matters more than the judgement said (2.0 vs 1.0)
    assert fitted.factors["smoker"].weight > start.factors["smoker"].weight + 0.3


def test_ranking_quality_gives_an_interval_around_each_auc() -> None:
    rows = _population(np.random.default_rng(3), 4_000, {"smoker": 1.5})
    model, age_only = ranking_quality(rows, resamples=200)
    for quality in (model, age_only):
        assert quality.auc_interval is not None
        low, high = quality.auc_interval
        assert low < quality.auc < high
        assert high - low < 0.5
    assert ranking_quality(rows)[0].auc_interval is None
