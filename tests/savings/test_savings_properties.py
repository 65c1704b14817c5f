"""Properties that must hold for any initiative, checked with hypothesis."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from savings_helpers import initiative_data

from sharewell.errors import SavingsError
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import Initiative, parse_initiative
from sharewell.savings.sharing import proportional_shares, proportional_split, shapley_shares
from sharewell.savings.unit_costs import UnitCostLibrary

PARTNERS = ("westshire_cc", "westshire_police", "westshire_mht")
CODES = ("T.POLICE", "T.SPLIT", "T.WEAK", "S136.DETENTION", "NCC.AE")
fixture_ok = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

amount = st.floats(min_value=0, max_value=1e6, allow_nan=False)
events = st.floats(min_value=-50, max_value=500, allow_nan=False)
share = st.floats(min_value=0, max_value=0.9, allow_nan=False)


@st.composite
def initiatives(draw: st.DrawFn, library: UnitCostLibrary) -> Initiative:
    """Random but valid initiatives over the test partners and a few unit costs."""
    horizon = draw(st.integers(1, 12))
    costs = [
        {
            "item": f"c{i}",
            "setup": draw(amount),
            "running": draw(amount),
            "paid_by": draw(st.sampled_from(PARTNERS)),
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    outcomes = [
        {
            "name": f"o{i}",
            "events_avoided": draw(events),
            "confidence_grade": draw(st.integers(1, 6)),
            "unit_costs": {draw(st.sampled_from(CODES)): draw(st.floats(0.1, 3))},
            "drop_off": draw(share),
        }
        for i in range(draw(st.integers(1, 4)))
    ]
    data = initiative_data(
        horizon_years=horizon, costs=costs, outcomes=outcomes, deadweight=draw(share)
    )
    return parse_initiative(data, "prop.yaml", library)


def _scale_events(ini: Initiative, k: float) -> Initiative:
    outcomes = [o.model_copy(update={"events_avoided": o.events_avoided * k}) for o in ini.outcomes]  # type: ignore[operator]
    return ini.model_copy(update={"outcomes": outcomes})


def _with_extra_benefit(ini: Initiative, extra: float) -> Initiative:
    more = ini.outcomes[0].model_copy(update={"name": "extra", "events_avoided": extra})
    return ini.model_copy(update={"outcomes": [*ini.outcomes, more]})


@fixture_ok
@given(data=st.data(), extra=st.floats(min_value=0, max_value=1000))
def test_more_benefit_never_lowers_npv(
    library: UnitCostLibrary, data: st.DataObject, extra: float
) -> None:
    ini = data.draw(initiatives(library))
    before = appraise(ini, library)
    after = appraise(_with_extra_benefit(ini, extra), library)
    assert after.total.npv >= before.total.npv - 1e-6
    for a in before.agencies:
        assert after.agency(a.partner).npv >= a.npv - 1e-6


@fixture_ok
@given(data=st.data())
def test_zero_effect_initiative_never_pays_back(
    library: UnitCostLibrary, data: st.DataObject
) -> None:
    ap = appraise(_scale_events(data.draw(initiatives(library)), 0.0), library)
    assert ap.total.payback_year is None
    assert all(a.payback_year is None for a in ap.agencies)
    assert ap.total.npv <= 0


@fixture_ok
@given(data=st.data())
def test_proportional_shares_sum_to_cost_and_leave_every_partner_ahead(
    library: UnitCostLibrary, data: st.DataObject
) -> None:
    ap = appraise(data.draw(initiatives(library)), library)
    for basis in ("cash", "total"):
        share = proportional_shares(ap, basis)
        surplus = sum(r.benefit for r in share.rows) - share.cost
        if surplus > 0 and share.cost > 0:
            proposed = [r.proposed for r in share.rows]
            assert sum(p or 0 for p in proposed) == pytest.approx(ap.total.costs_pv, abs=1e-4)
            assert all((r.net_proposed or 0) >= -1e-6 for r in share.rows)
        else:
            # No split can leave everyone ahead: none is proposed, and the note says so.
            assert not share.proposed and all(r.proposed is None for r in share.rows)
            if share.cost > 0:
                assert "No split of the cost leaves every partner ahead" in share.note


@settings(max_examples=200, deadline=None)
@given(
    benefits=st.dictionaries(st.sampled_from("abcdef"), st.floats(-1e6, 1e7), min_size=1),
    cost=st.floats(0, 1e7),
)
def test_proportional_split_for_any_benefits(benefits: dict[str, float], cost: float) -> None:
    if not any(b > 0 for b in benefits.values()):
        with pytest.raises(SavingsError, match="no partner gains"):
            proportional_split(benefits, cost)
        return
    split = proportional_split(benefits, cost)
    assert sum(split.values()) == pytest.approx(cost, abs=1e-3)
    if sum(benefits.values()) > cost:
        assert all(benefits[p] - split[p] >= -1e-6 for p in benefits)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_shapley_shares_sum_to_funded_cost_and_no_partner_loses(
    library: UnitCostLibrary, data: st.DataObject
) -> None:
    appraisals = []
    for i in range(data.draw(st.integers(1, 3))):
        ini = data.draw(initiatives(library))
        appraisals.append(appraise(ini.model_copy(update={"slug": f"i{i}"}), library))
    for basis in ("cash", "total"):
        share = shapley_shares(appraisals, basis)
        if not share.funded:
            assert all(r.proposed is None for r in share.rows)
            continue
        total = sum(r.proposed or 0 for r in share.rows)
        assert total == pytest.approx(share.cost, rel=1e-9, abs=1e-4)
        assert all((r.net_proposed or 0) >= -1e-6 for r in share.rows)


def test_shapley_split_of_a_two_partner_game_by_hand(
    build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    # Police gains 1000/yr, council 600 (T.SPLIT's 60% of 100 x 10), trust 400; 1 year; cost 1200.
    costs = [{"item": "x", "setup": 1200, "paid_by": "westshire_cc"}]
    outcomes = [
        {"name": "p", "events_avoided": 10, "confidence_grade": 1, "unit_costs": {"T.POLICE": 1}},
        {"name": "s", "events_avoided": 10, "confidence_grade": 1, "unit_costs": {"T.SPLIT": 1}},
    ]
    ap = appraise(build(costs=costs, outcomes=outcomes, horizon_years=1), library)
    share = shapley_shares([ap], "total")  # cash and capacity together, as worked by hand
    # v(S) = max(0, sum of gains in S - 1200): v(P)=0, v(C)=0, v(T)=0, v(PC)=400, v(PT)=200,
    # v(CT)=0, v(PCT)=800. Shapley (weights 1/3 singletons, 1/6 pairs, 1/3 grand):
    # P: (0 + 400/6 + 200/6 + (800-0)/3) = 100 + 266.67 = 366.67
    # C: (0 + 400/6 + 0 + (800-200)/3) = 66.67 + 200 = 266.67
    # T: (0 + 200/6 + 0 + (800-400)/3) = 33.33 + 133.33 = 166.67
    net = {r.partner: r.net_proposed for r in share.rows}
    assert net["westshire_police"] == pytest.approx(366.667, abs=1e-2)
    assert net["westshire_cc"] == pytest.approx(266.667, abs=1e-2)
    assert net["westshire_mht"] == pytest.approx(166.667, abs=1e-2)


def test_a_cash_split_counts_only_cash(
    build: Callable[..., Initiative], library: UnitCostLibrary
) -> None:
    # Police gains 1000 a year, half of it cash (T.POLICE is 50% cashable); cost 800, 1 year.
    costs = [{"item": "x", "setup": 800, "paid_by": "westshire_cc"}]
    ap = appraise(build(costs=costs, horizon_years=1), library)
    cash = proportional_shares(ap, "cash")
    assert not cash.proposed  # 500 of cash back cannot cover 800 of cost
    assert "get back £500 for a cost of £800" in cash.note
    total = proportional_shares(ap, "total")
    assert total.row("westshire_police").proposed == pytest.approx(800)  # type: ignore[union-attr]
