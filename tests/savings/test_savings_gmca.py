"""GMCA / New Economy model features, each worked by hand: attribution, cohorts with engagement
and success rates, cashability by year, named scenarios, and measured effects without
deadweight; and the answer's wording when figures are negative, zero or measured."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sharewell.errors import SavingsError
from sharewell.savings.answer import plain_english
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.montecarlo import monte_carlo
from sharewell.savings.scenarios import scenario_results
from sharewell.savings.sharing import proportional_shares
from sharewell.savings.unit_costs import UnitCostLibrary

Build = Callable[..., Initiative]
POLICE = {"T.POLICE": 1}  # £100 an event to the police, 50% cashable, grade 1


def _outcome(**extra: object) -> dict[str, object]:
    return {"name": "o", "confidence_grade": 1, "unit_costs": POLICE, **extra}


def test_attribution_keeps_only_the_initiatives_share(
    build: Build, library: UnitCostLibrary
) -> None:
    # 10 events x £100 x (1 - 20% deadweight) x 40% attribution = £320, one year, undiscounted.
    ini = build(
        outcomes=[_outcome(events_avoided=10, attribution=0.4)],
        deadweight=0.2,
        horizon_years=1,
    )
    assert appraise(ini, library).total.benefits_pv == pytest.approx(320.0)
    # The initiative's default applies to an outcome that gives none.
    ini = build(outcomes=[_outcome(events_avoided=10)], attribution=0.5, horizon_years=1)
    assert appraise(ini, library).total.benefits_pv == pytest.approx(500.0)


def test_a_cohort_gives_people_times_engagement_times_success(
    build: Build, library: UnitCostLibrary
) -> None:
    # 400 people x 50% engage x 10% success x 2 events each = 40 events = £4,000 a year.
    cohort = {"people": 400, "engagement": 0.5, "success": 0.1, "events_per_success": 2}
    ini = build(outcomes=[_outcome(cohort=cohort)], horizon_years=1)
    assert appraise(ini, library).total.benefits_pv == pytest.approx(4000.0)
    ranged = {**cohort, "engagement_range": [0.3, 0.7], "success_range": [0.05, 0.15]}
    mc = monte_carlo(build(outcomes=[_outcome(cohort=ranged)], horizon_years=1), library)
    assert mc.percentile(5) < 4000 < mc.percentile(95)
    with pytest.raises(SavingsError, match="not both"):
        build(outcomes=[_outcome(cohort=cohort, events_avoided=3)])


def test_cashability_by_year_sets_the_cash_share_each_year(
    build: Build, library: UnitCostLibrary
) -> None:
    # £1,000 a year; cashable 0% in year 1, 50% in year 2, then 100% (the last value carries).
    ini = build(
        outcomes=[_outcome(events_avoided=10, cashable_by_year=[0.0, 0.5, 1.0])],
        horizon_years=4,
        discount_rate=0.0,
    )
    police = appraise(ini, library).agency("westshire_police")
    assert police.cashable_by_year == pytest.approx((0.0, 500.0, 1000.0, 1000.0))
    assert police.capacity_pv == pytest.approx(4000 - 2500)


def test_cash_payback_is_separate_from_payback_with_capacity(
    build: Build, library: UnitCostLibrary
) -> None:
    # Set-up £1,500 paid by police; £1,000 a year back, £500 of it cash; no discounting.
    costs = [{"item": "s", "setup": 1500, "paid_by": "westshire_police"}]
    ini = build(costs=costs, outcomes=[_outcome(events_avoided=10)], discount_rate=0.0)
    police = appraise(ini, library).agency("westshire_police")
    assert police.payback_year == 2 and police.cash_payback_year == 3
    assert police.cash_npv == pytest.approx(0.0) and police.npv == pytest.approx(1500.0)
    assert police.cash_benefit_cost_ratio == pytest.approx(1.0)


def test_named_scenarios_are_appraised_side_by_side(build: Build, library: UnitCostLibrary) -> None:
    ini = build(
        parameters={"k": {"value": 1.0, "low": 0.5, "high": 1.5, "source": "test"}},
        outcomes=[_outcome(events_avoided=10, times=["k"])],
        horizon_years=1,
        scenarios={
            "half": {"description": "Half", "parameters": {"k": 0.5}},
            "dear": {"description": "Dearer", "cost_multiplier": 2.0},
            "none": {"events": {"o": 0}},
        },
        costs=[{"item": "s", "setup": 100, "paid_by": "westshire_police"}],
    )
    results = {r.key: r.appraisal.total for r in scenario_results(ini, library)}
    assert results["central"].benefits_pv == pytest.approx(1000)
    assert results["half"].benefits_pv == pytest.approx(500)
    assert results["dear"].costs_pv == pytest.approx(200)
    assert results["none"].benefits_pv == 0
    with pytest.raises(SavingsError, match=r"scenarios\.bad\.parameters: no parameter named 'x'"):
        build(scenarios={"bad": {"parameters": {"x": 1}}})


def test_a_measured_effect_carries_no_deadweight(build: Build, library: UnitCostLibrary) -> None:
    evidence = {
        "effect_per_person_month": -0.01,
        "ci_low": -0.015,
        "ci_high": -0.005,
        "people_per_year": 1000,
        "months_followed": 12,
        "confidence_grade": 1,
    }
    # -0.01 x 12 months x 1,000 people = 120 events a year = £12,000; the initiative's 30%
    # deadweight and 50% attribution are not applied: the comparison group already nets them.
    ini = build(
        outcomes=[{"name": "o", "unit_costs": POLICE, "evidence": evidence}],
        deadweight=0.3,
        attribution=0.5,
        horizon_years=1,
    )
    ap = appraise(ini, library)
    assert ap.total.benefits_pv == pytest.approx(12000.0)
    assert "Measured from the partnership's linked data: o." in plain_english(
        ap, "westshire_police"
    )
    with pytest.raises(SavingsError, match="give no deadweight or attribution with evidence"):
        build(
            outcomes=[{"name": "o", "unit_costs": POLICE, "evidence": evidence, "deadweight": 0.1}]
        )


def test_the_answer_says_costs_rise_rather_than_avoids_a_negative(
    build: Build, library: UnitCostLibrary
) -> None:
    ini = build(outcomes=[_outcome(events_avoided=-10)], horizon_years=1)
    text = plain_english(appraise(ini, library), "westshire_police")
    assert "its cash costs rise by a further £500" in text
    assert "Its capacity costs rise by £500" in text
    assert "avoids -£" not in text


def test_the_answer_does_not_call_a_loser_the_largest_beneficiary(
    build: Build, library: UnitCostLibrary
) -> None:
    costs = [{"item": "s", "setup": 5000, "paid_by": "westshire_police"}]
    ini = build(costs=costs, outcomes=[_outcome(events_avoided=10)], horizon_years=1)
    text = plain_english(appraise(ini, library), "westshire_police")
    assert "largest beneficiary" not in text
    assert "more of the benefit than any other organisation, but not enough to cover" in text


def test_a_split_that_leaves_a_partner_even_says_even_and_no_float_remainder(
    build: Build, library: UnitCostLibrary
) -> None:
    # Council pays £800; police gets £1,000 a year of which £500 cash, council £600 of cash.
    costs = [{"item": "s", "setup": 800, "paid_by": "westshire_cc"}]
    outcomes = [
        _outcome(events_avoided=10),
        {"name": "s", "events_avoided": 10, "confidence_grade": 1, "unit_costs": {"T.SPLIT": 1}},
    ]
    ap = appraise(build(costs=costs, outcomes=outcomes, horizon_years=1), library)
    share = proportional_shares(ap, "cash")
    assert share.proposed and "outside the partnership" not in share.note
    text = plain_english(ap, "westshire_mht", share)
    assert "£0 ahead" not in text
