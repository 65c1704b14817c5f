"""Hand-checked worked examples: every expected number is worked out here, not by the code."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pytest

from sharewell.savings.engine import appraise, discount_factors
from sharewell.savings.initiative import Initiative
from sharewell.savings.unit_costs import DATA_DIR, UnitCostLibrary, load_library

Build = Callable[..., Initiative]


def test_green_book_discounting_of_a_steady_benefit(build: Build, library: UnitCostLibrary) -> None:
    # 10 events x £100 = £1,000 a year for 3 years; year 1 is not discounted.
    # PV = 1000 + 1000/1.035 + 1000/1.035^2 = 1000 + 966.1836 + 933.5107 = 2899.6943
    ap = appraise(build(), library)
    police = ap.agency("westshire_police")
    assert police.benefits_by_year == pytest.approx((1000.0, 966.1836, 933.5107), abs=1e-3)
    assert police.benefits_pv == pytest.approx(2899.6943, abs=1e-3)
    assert police.cashable_pv == pytest.approx(2899.6943 / 2, abs=1e-3)  # half cashable


def test_discount_rate_falls_to_3_percent_after_year_30_and_2_5_after_75() -> None:
    f = discount_factors(80)
    assert f[30] == pytest.approx(1 / 1.035**30)
    assert f[31] == pytest.approx(1 / (1.035**30 * 1.03))
    assert f[76] == pytest.approx(1 / (1.035**30 * 1.03**45 * 1.025))


def test_fixed_discount_rate_when_given(build: Build, library: UnitCostLibrary) -> None:
    ap = appraise(build(discount_rate=0.0), library)
    assert ap.agency("westshire_police").benefits_pv == pytest.approx(3000.0)


def test_deadweight_removes_what_would_have_happened_anyway(
    build: Build, library: UnitCostLibrary
) -> None:
    # 25% deadweight: 10 x 100 x 0.75 = 750 a year, undiscounted.
    ap = appraise(build(deadweight=0.25, discount_rate=0.0), library)
    assert ap.agency("westshire_police").benefits_by_year == pytest.approx((750, 750, 750))


def test_optimism_bias_follows_the_weaker_of_evidence_and_unit_cost_grade(
    build: Build, library: UnitCostLibrary
) -> None:
    # Outcome grade 3 (10% off) on a grade-1 unit cost: 1000 x 0.90 = 900.
    outcome = {
        "name": "o",
        "events_avoided": 10,
        "confidence_grade": 3,
        "unit_costs": {"T.POLICE": 1},
    }
    ap = appraise(build(outcomes=[outcome], discount_rate=0.0, horizon_years=1), library)
    assert ap.total.benefits_pv == pytest.approx(900.0)
    # Outcome grade 1 on a grade-5 unit cost (T.WEAK): 25% off, 1000 x 0.75 = 750.
    weak = {**outcome, "confidence_grade": 1, "unit_costs": {"T.WEAK": 1}}
    ap = appraise(build(outcomes=[weak], discount_rate=0.0, horizon_years=1), library)
    assert ap.total.benefits_pv == pytest.approx(750.0)


def test_drop_off_shrinks_the_effect_each_year(build: Build, library: UnitCostLibrary) -> None:
    # 20% drop-off: 1000, 800, 640; discounted: 1000 + 800/1.035 + 640/1.035^2
    expected = 1000 + 800 / 1.035 + 640 / 1.035**2  # = 2370.4637
    ap = appraise(build(drop_off=0.2), library)
    assert ap.total.benefits_by_year == pytest.approx((1000, 772.9469, 597.4462), abs=1e-3)
    assert ap.total.benefits_pv == pytest.approx(expected)


def test_payback_year_is_when_cumulative_benefit_covers_cumulative_cost(
    build: Build, library: UnitCostLibrary
) -> None:
    # Set-up £2,000 in year 1; benefit £1,000 a year.
    # Cumulative benefit PV: y1 1000 < 2000; y2 1966.18 < 2000; y3 2899.69 >= 2000 -> year 3.
    costs = [{"item": "Set-up", "setup": 2000, "paid_by": "westshire_police"}]
    ap = appraise(build(costs=costs), library)
    police = ap.agency("westshire_police")
    assert police.payback_year == 3
    assert police.npv == pytest.approx(899.6943, abs=1e-3)
    assert police.roi == pytest.approx(899.6943 / 2000, abs=1e-6)
    # Set-up £3,000: cumulative benefit never reaches it in 3 years.
    costs = [{"item": "Set-up", "setup": 3000, "paid_by": "westshire_police"}]
    assert appraise(build(costs=costs), library).agency("westshire_police").payback_year is None


def test_costs_are_split_by_who_pays_and_benefits_by_who_bears_the_unit_cost(
    build: Build, library: UnitCostLibrary
) -> None:
    costs = [
        {
            "item": "Staff",
            "running": 1000,
            "paid_by": {"westshire_cc": 0.3, "westshire_police": 0.7},
        }
    ]
    outcome = {
        "name": "o",
        "events_avoided": 1,
        "confidence_grade": 1,
        "unit_costs": {"T.SPLIT": 1},
    }
    ap = appraise(build(costs=costs, outcomes=[outcome], horizon_years=1), library)
    assert ap.agency("westshire_cc").costs_pv == pytest.approx(300)
    assert ap.agency("westshire_police").costs_pv == pytest.approx(700)
    assert ap.agency("westshire_cc").benefits_pv == pytest.approx(60)
    assert ap.agency("westshire_cc").cashable_pv == pytest.approx(60)
    assert ap.agency("westshire_mht").benefits_pv == pytest.approx(40)
    assert ap.agency("westshire_mht").cashable_pv == 0
    assert ap.total.npv == pytest.approx(100 - 1000)


def test_social_values_count_in_public_value_not_in_fiscal_benefit(
    build: Build, library: UnitCostLibrary
) -> None:
    outcome = {
        "name": "o",
        "events_avoided": 2,
        "confidence_grade": 1,
        "unit_costs": {"T.SOCIAL": 1},
    }
    ap = appraise(build(outcomes=[outcome], horizon_years=1), library)
    assert ap.total.benefits_pv == 0
    assert ap.social_pv == pytest.approx(2000)
    assert ap.public_value_pv == pytest.approx(2000)


def test_a_unit_cost_borne_by_no_partner_is_shown_as_another_public_body(
    build: Build, library: UnitCostLibrary
) -> None:
    outcome = {"name": "o", "events_avoided": 1, "confidence_grade": 1, "unit_costs": {"HE3.0": 1}}
    ap = appraise(build(outcomes=[outcome], horizon_years=1), library)
    other = ap.agency("other:ambulance")
    assert not other.is_partner
    assert other.benefits_pv > 0


def _deflator_index() -> dict[str, float]:
    with (DATA_DIR / "gdp_deflators.csv").open() as fh:
        return {r["financial_year"]: float(r["index"]) for r in csv.DictReader(fh)}


def test_unit_costs_are_uprated_with_the_gdp_deflator() -> None:
    index = _deflator_index()
    lib = load_library().uprated("2024/25")
    # Residential care: £538.23 a week in 2013/14 prices (GMCA UCD v1.4, SS7.0).
    assert lib.get("SS7.0").total == pytest.approx(538.23 * index["2024/25"] / index["2013/14"])


def test_section_136_detention_is_built_from_its_parts() -> None:
    index = _deflator_index()
    lib = load_library().uprated("2023/24")
    s136 = lib.get("S136.DETENTION")
    by_payer = {p.payer: p.amount for p in s136.parts}
    to_2023 = index["2023/24"]
    assert by_payer["police"] == pytest.approx(10.5 * 38.43 * to_2023 / index["2013/14"])
    assert by_payer["local_authority"] == pytest.approx(3 * 59.28 * to_2023 / index["2010/11"])
    assert by_payer["icb"] == pytest.approx(199.0)


def test_local_unit_costs_override_national_ones_and_the_appraisal_says_so(
    local_costs_file, build: Build
) -> None:
    override = local_costs_file.parent / "ae.csv"
    override.write_text(
        "code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source\n"
        "NCC.AE,A&E attendance (Westshire tariff),attendance,icb,fiscal,250,2024/25,0.5,1,"
        "Westshire ICB\n"
    )
    national = load_library([local_costs_file])
    local = load_library([local_costs_file, override])
    assert local.get("NCC.AE").origin == "local"
    # The composite Section 136 cost takes the local A&E figure.
    assert "NCC.AE" in local.get("S136.DETENTION").origin
    outcome = {"name": "o", "events_avoided": 1, "confidence_grade": 1, "unit_costs": {"NCC.AE": 1}}
    ini = build(outcomes=[outcome], horizon_years=1)
    assert appraise(ini, local).total.benefits_pv == pytest.approx(250)
    assert "NCC.AE" in appraise(ini, local).local_codes
    assert "NCC.AE" not in appraise(ini, national).local_codes


def test_every_line_adds_up_to_the_totals(build: Build, library: UnitCostLibrary) -> None:
    costs = [{"item": "Staff", "running": 500, "setup": 900, "paid_by": "westshire_cc"}]
    ap = appraise(build(costs=costs, deadweight=0.1, drop_off=0.05), library)
    benefits = sum(ln.present_value for ln in ap.lines if ln.kind == "benefit")
    cost = sum(ln.present_value for ln in ap.lines if ln.kind == "cost")
    assert benefits == pytest.approx(ap.total.benefits_pv)
    assert cost == pytest.approx(ap.total.costs_pv)
    for ln in ap.lines:
        if ln.kind == "benefit":
            expected = ln.events * ln.unit_amount * (1 - ln.deadweight) * (1 - ln.optimism_bias)
            assert ln.amount == pytest.approx(expected * ln.drop_off_factor)
            assert ln.present_value == pytest.approx(ln.amount * ln.discount_factor)
