"""The shipped templates: central values central with sources beside them, partners from the
partnership, and the council's cash NPV for the hub worked out by hand from the data files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from sharewell.errors import SavingsError
from sharewell.partnership.model import Organisation
from sharewell.savings import TEMPLATES
from sharewell.savings.engine import appraise
from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
from sharewell.savings.unit_costs import DATA_DIR, load_library

DOCS = Path(__file__).parents[2] / "docs" / "savings.md"


@pytest.mark.parametrize("slug", TEMPLATES)
def test_every_template_loads_and_has_costs_and_benefits(slug: str) -> None:
    lib = load_library()
    ap = appraise(load_initiative(TEMPLATES_DIR / f"{slug}.yaml", lib), lib)
    assert ap.total.costs_pv > 0 and ap.total.benefits_pv > 0
    assert set(ap.initiative.partners) == {
        "westshire_cc",
        "westshire_fire",
        "westshire_police",
        "westshire_mht",
        "westshire_icb",
        "westshire_ambulance",
    }


@pytest.mark.parametrize("slug", TEMPLATES)
def test_templates_name_no_place_and_no_partner(slug: str) -> None:
    text = (TEMPLATES_DIR / f"{slug}.yaml").read_text()
    assert "Westshire" not in text and "westshire" not in text
    assert "partners" not in yaml.safe_load(text)


@pytest.mark.parametrize("slug", TEMPLATES)
def test_central_values_are_central_or_cite_their_point_estimate(slug: str) -> None:
    ini = load_initiative(TEMPLATES_DIR / f"{slug}.yaml")
    assert ini.off_centre() == []


def test_the_police_mental_health_share_is_the_census_figure_with_its_source() -> None:
    hub = load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml")
    share = hub.parameters["police_mh_share"]
    assert (share.value, share.low, share.high) == (0.078, 0.051, 0.2)
    assert "Kane, Cattell and Wire (2021)" in share.source and "7.8%" in share.source
    assert hub.scenarios["often_quoted"].parameters == {"police_mh_share": 0.2}


def test_an_off_centre_value_without_a_source_is_flagged() -> None:
    lib = load_library()
    hub = load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib)
    p = hub.parameters["police_mh_share"].model_copy(update={"source": ""})
    bad = hub.model_copy(update={"parameters": {**hub.parameters, "police_mh_share": p}})
    assert bad.off_centre() == ["parameter police_mh_share"]


def test_partners_and_their_names_come_from_the_partnership(tmp_path: Path) -> None:
    orgs = [
        Organisation(slug="north_cc", name="Northdale Council", type="local_authority"),
        Organisation(slug="north_police", name="Northdale Police", type="police"),
        Organisation(slug="north_fire", name="Northdale Fire", type="fire"),
    ]
    lib = load_library()
    hub = load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib, orgs)
    ap = appraise(hub, lib)
    assert ap.agency("north_cc").name == "Northdale Council"
    assert ap.agency("north_cc").costs_pv == pytest.approx(2 * ap.agency("north_police").costs_pv)
    # The mental health trust's and the ICB's savings show as bodies outside the partnership.
    assert ap.agency("other:icb").is_partner is False
    two_councils = [*orgs, Organisation(slug="south_cc", name="South", type="local_authority")]
    with pytest.raises(SavingsError, match="more than one partner of type local_authority"):
        load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib, two_councils)
    no_fire = orgs[:2]
    with pytest.raises(SavingsError, match=r"costs\.0\.paid_by: 'fire' is not one of the partners"):
        load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib, no_fire)


def _index() -> dict[str, float]:
    with (DATA_DIR / "gdp_deflators.csv").open() as fh:
        return {r["financial_year"]: float(r["index"]) for r in csv.DictReader(fh)}


def _unit_cost_parts(code: str) -> list[dict[str, str]]:
    with (DATA_DIR / "unit_costs.csv").open() as fh:
        return [r for r in csv.DictReader(fh) if r["code"] == code]


def test_the_councils_cash_npv_for_the_hub_worked_out_by_hand() -> None:
    """Independent of the engine: from the YAML, the unit cost CSV and the deflator CSV."""
    spec = yaml.safe_load((TEMPLATES_DIR / "information_sharing_hub.yaml").read_text())
    index = _index()
    to_2425 = {y: index["2024/25"] / v for y, v in index.items()}
    df = [1 / 1.035**t for t in range(5)]  # Green Book 3.5%; year 1 undiscounted
    # Costs: half of set-up (year 1) and running (every year), uplifted 25% for optimism bias.
    setup, running = 150_000, 110_000
    council_cost = sum(0.5 * 1.25 * (running + (setup if t == 0 else 0)) * df[t] for t in range(5))
    # Cash back: only the parts of unit costs borne by the council that are cashable. The
    # AMHP hour (SS18.11) and the AMHP part of a Section 136 detention are 0% cashable; a
    # residential care week (SS7.0) is 100% cashable: 60 weeks x 50% attribution x (1 - 30%
    # deadweight) x (1 - 25% optimism bias, grade 5), every year.
    (care,) = _unit_cost_parts("SS7.0")
    assert float(care["cashable_share"]) == 1.0
    for code in ("SS18.11",):
        assert all(float(p["cashable_share"]) == 0.0 for p in _unit_cost_parts(code))
    week = float(care["cost_gbp"]) * to_2425[care["price_year"]]
    cash_a_year = 60 * week * 0.5 * (1 - 0.3) * (1 - 0.25)
    council_cash = sum(cash_a_year * df[t] for t in range(5))
    expected = council_cash - council_cost

    lib = load_library()
    council = appraise(load_initiative(TEMPLATES_DIR / "information_sharing_hub.yaml", lib), lib)
    got = council.agency("westshire_cc")
    assert spec["cost_optimism_bias"] == 0.25 and spec["deadweight"] == 0.3
    assert got.costs_pv == pytest.approx(council_cost, rel=1e-9)
    assert got.cashable_pv == pytest.approx(council_cash, rel=1e-9)
    assert got.cash_npv == pytest.approx(expected, rel=1e-9)
    assert round(got.cash_npv) == -360_783


def test_every_unit_cost_has_a_source_grade_and_is_documented() -> None:
    docs = DOCS.read_text()
    for cost in load_library().costs.values():
        assert cost.source and 1 <= cost.confidence_grade <= 6, cost.code
        assert f"`{cost.code}`" in docs, f"{cost.code} is not in docs/savings.md"
