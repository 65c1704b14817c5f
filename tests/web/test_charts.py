"""Charts: Vega-Lite specs and their tables agree, and nothing in the data can break the page."""

from __future__ import annotations

import json
import math
import re

from hypothesis import given
from hypothesis import strategies as st

from sharewell.savings import appraise_file
from sharewell.web.charts import (
    cost_benefit_over_time,
    match_weights,
    pair_weights,
    risk_distribution,
    savings_by_organisation,
)
from sharewell.web.templating import templates
from tests.web.conftest import WebHub


@given(st.lists(st.floats(min_value=0, max_value=1), max_size=300))
def test_every_household_falls_in_exactly_one_risk_band(scores: list[float]) -> None:
    chart = risk_distribution(scores)
    values = chart.spec["data"]["values"]
    assert sum(v["households"] for v in values) == len(scores)
    assert sum(int(row[1].replace(",", "")) for row in chart.rows) == len(scores)


def test_match_weight_is_log2_of_m_over_u_and_null_levels_are_left_out() -> None:
    model = {
        "comparisons": [
            {
                "output_column_name": "family_name",
                "comparison_levels": [
                    {"label_for_charts": "null", "is_null_level": True},
                    {"label_for_charts": "exact", "m_probability": 0.8, "u_probability": 0.01},
                    {"label_for_charts": "else", "m_probability": 0.1, "u_probability": 0.9},
                ],
            }
        ]
    }
    chart = match_weights(model)
    weights = {v["level"]: v["weight"] for v in chart.spec["data"]["values"]}
    assert weights == {"exact": round(math.log2(80), 2), "else": round(math.log2(1 / 9), 2)}
    assert [row[1] for row in chart.rows] == ["exact", "else"]


def test_pairs_at_or_above_the_threshold_are_marked_linked() -> None:
    chart = pair_weights([(-3.0, 500), (2.0, 40), (6.5, 90)], threshold_weight=2.0)
    assert [row[2] for row in chart.rows] == ["no", "yes", "yes"]


def test_savings_charts_carry_every_organisation_and_every_year() -> None:
    _, _, appraisal = appraise_file("safe_haven")
    by_org = savings_by_organisation(appraisal)
    shown = {row[0] for row in by_org.rows}
    assert {a.name for a in appraisal.agencies if a.costs_pv or a.benefits_pv} == shown
    over_time = cost_benefit_over_time(appraisal)
    assert len(over_time.rows) == appraisal.initiative.horizon_years


def test_a_chart_in_a_page_cannot_close_its_script_tag() -> None:
    chart = match_weights(
        {
            "comparisons": [
                {
                    "output_column_name": "</script><script>alert(1)</script>",
                    "comparison_levels": [{"m_probability": 0.5, "u_probability": 0.1}],
                }
            ]
        }
    )
    html = templates.env.from_string('{% from "_chart.html" import chart %}{{ chart(c) }}').render(
        c=chart
    )
    assert "<script>alert(1)" not in html
    spec = re.search(
        r'<script type="application/json" id="spec-match-weights">(.*?)</script>', html, re.S
    )
    assert spec is not None
    assert json.loads(spec.group(1))["data"]["values"][0]["comparison"].startswith("</script>")
    # Without JavaScript the table of the same figures is open.
    assert '<details class="govuk-details" open data-chart-table>' in html


def test_pages_carry_no_gov_uk_crown_or_branding(web_hub: WebHub) -> None:
    for page in (web_hub.sign_in("analyst").get("/savings?initiative=safe_haven").text,):
        assert "govuk-generic-header" in page and ">sharewell" in page.replace("\n", "")
        assert "govuk-header__logotype" not in page and "govuk-logo" not in page
        assert "Crown copyright" not in page and "govuk-footer__crown" not in page
        assert "/assets/images/favicon" not in page and "GOV.UK" not in page
        assert page.count('<script defer src="/static/vega/') == 3
