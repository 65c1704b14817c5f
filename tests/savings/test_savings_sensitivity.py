"""One-way sensitivity, switching values and Monte Carlo agree with the engine they summarise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, Initiative, load_initiative
from sharewell.savings.montecarlo import monte_carlo, monte_carlo_by_partner, monte_carlo_naive
from sharewell.savings.sensitivity import (
    break_even,
    decisive_break_even,
    inputs_for,
    npv_of,
    switching_value,
    tornado,
)
from sharewell.savings.unit_costs import UnitCostLibrary


@pytest.fixture(scope="module")
def hub(library: UnitCostLibrary) -> Initiative:
    return load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", library)


def test_council_break_even_police_mh_share_sits_where_npv_is_zero(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    share = switching_value(hub, library, parameter="police_mh_share", partner="westshire_cc")
    assert share is not None and 0 < share < 1

    def council_npv(value: float) -> float:
        p = hub.parameters["police_mh_share"].model_copy(update={"value": value})
        ini = hub.model_copy(update={"parameters": {**hub.parameters, "police_mh_share": p}})
        return appraise(ini, library).agency("westshire_cc").npv

    assert council_npv(share) == pytest.approx(0, abs=1.0)
    assert council_npv(share * 0.9) < 0 < council_npv(share * 1.1)


def test_switching_value_is_none_when_the_partner_never_breaks_even(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    # The fire service pays a quarter of the hub and gains little from mental health work.
    assert (
        switching_value(hub, library, parameter="police_mh_share", partner="westshire_fire") is None
    )


def test_tornado_bars_bracket_the_central_npv_and_are_widest_first(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    central, bars = tornado(hub, library)
    assert central == pytest.approx(appraise(hub, library).total.npv)
    swings = [b.swing for b in bars]
    assert swings == sorted(swings, reverse=True)
    for b in bars:
        assert min(b.npv_at_low, b.npv_at_high) <= central + 1e-6
        assert max(b.npv_at_low, b.npv_at_high) >= central - 1e-6


def test_monte_carlo_without_uncertainty_is_the_central_npv(
    build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    costs = [{"item": "Staff", "running": 400, "paid_by": "westshire_police"}]
    ini = build(costs=costs)  # T.POLICE is grade 1: a spread of 5% on the unit cost
    mc = monte_carlo(ini, library, draws=2000)
    central = appraise(ini, library).total.npv
    assert mc.percentile(50) == pytest.approx(central, rel=0.02)
    assert mc.percentile(5) < central < mc.percentile(95)


def test_vectorised_monte_carlo_matches_rerunning_the_engine(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    fast = monte_carlo(hub, library, draws=4000, seed=1).npv
    slow = np.array(monte_carlo_naive(hub, library, draws=300, seed=2))
    # Same distribution: means agree within four standard errors of the slow sample.
    se = slow.std(ddof=1) / np.sqrt(slow.size)
    assert abs(fast.mean() - slow.mean()) < 4 * se
    assert abs(fast.std() - slow.std()) / fast.std() < 0.2


def test_monte_carlo_for_one_partner(hub: Initiative, library: UnitCostLibrary) -> None:
    mc = monte_carlo(hub, library, partner="westshire_cc", draws=3000)
    central = npv_of(appraise(hub, library), "westshire_cc")
    assert mc.percentile(5) < central < mc.percentile(95)
    assert 0 < mc.probability_positive < 1
    # Year-by-year bands end at the final NPV's percentiles, and are ordered.
    bands = mc.bands_by_year()
    assert bands[50][-1] == pytest.approx(mc.percentile(50))
    for y in range(hub.horizon_years):
        assert bands[5][y] <= bands[25][y] <= bands[50][y] <= bands[75][y] <= bands[95][y]


def test_cash_monte_carlo_matches_rerunning_the_engine_on_cash(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    fast = monte_carlo(hub, library, partner="westshire_cc", draws=4000, seed=1).cash_npv
    slow = np.array(
        monte_carlo_naive(hub, library, partner="westshire_cc", draws=300, seed=2, basis="cash")
    )
    se = slow.std(ddof=1) / np.sqrt(slow.size)
    assert abs(fast.mean() - slow.mean()) < 4 * se


def test_every_partner_is_simulated_from_the_same_draws(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    by_partner = monte_carlo_by_partner(hub, library, draws=2000, seed=4)
    partners = [v for k, v in by_partner.items() if k is not None]
    # The partners' NPVs add up, draw by draw, to all public bodies' less the bodies outside.
    total = by_partner[None]
    outside = sum(v.npv for k, v in by_partner.items() if k and k.startswith("other:"))
    inside = sum(v.npv for v in partners if not v.partner.startswith("other:"))  # type: ignore[union-attr]
    assert np.allclose(inside + outside, total.npv)
    assert np.all(total.cash_npv <= total.npv + 1e-6)  # cash is never more than cash + capacity


def test_break_even_of_any_input_is_where_the_npv_is_zero(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    care = next(i for i in inputs_for(hub, library) if i.name.startswith("Residential care"))
    value = break_even(hub, library, care, partner="westshire_cc")
    assert value is not None
    at = npv_of(appraise(*care.apply(hub, library, value)), "westshire_cc")
    assert at == pytest.approx(0, abs=1.0)


def test_the_councils_decisive_input_is_the_police_mental_health_share(
    hub: Initiative, library: UnitCostLibrary
) -> None:
    be = decisive_break_even(hub, library, partner="westshire_cc")
    assert be is not None and be.input.key == "police_mh_share" and be.rising
    # Above even the often-quoted 20%: on these figures the council cannot count on it.
    assert be.value is not None and be.value > 0.2 and not be.within_range
