"""Vega-Lite charts for the pages (pure): each is a spec plus the table of the same figures.

The browser draws the spec with vega-embed (served from /static/vega, never a CDN); the
table is always in the page, so a reader without JavaScript, or with a screen reader, has
every figure the chart shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sharewell.savings.engine import Appraisal
from sharewell.savings.names import place_of, short_name

__all__ = [
    "Chart",
    "LevelWeight",
    "cost_benefit_over_time",
    "level_weights",
    "match_weights",
    "pair_weights",
    "risk_distribution",
    "savings_by_organisation",
]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# GOV.UK Design System colours: red for cost, green for benefit, blue for the rest.
COST, CASHABLE, NON_CASHABLE, OTHER = "#d4351c", "#00703c", "#85994b", "#1d70b8"
# Axis labels in pounds, thousands: £12k, -£3k.
POUNDS = "(datum.value < 0 ? '-' : '') + '£' + format(abs(datum.value) / 1000, ',.0f') + 'k'"
FONT = "Arial, sans-serif"
# Match weights beyond this are drawn to the edge of the chart.
WEIGHT_LIMIT = 15


@dataclass(frozen=True)
class Chart:
    """One chart: an id for the page, a title, the Vega-Lite spec and its table."""

    id: str
    title: str
    description: str
    spec: dict[str, Any]
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default=())


def _spec(description: str, **parts: Any) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,  # vega-embed gives it to screen readers as the SVG's label
        "width": "container",
        "config": {
            "font": FONT,
            "axis": {"labelFontSize": 14, "titleFontSize": 14},
            "legend": {"labelFontSize": 14, "titleFontSize": 14, "orient": "bottom"},
        },
        **parts,
    }


def _money(value: float) -> str:
    return f"{'-' if value < 0 else ''}£{abs(value):,.0f}"


def savings_by_organisation(appraisal: Appraisal) -> Chart:
    """Each organisation's cost, cash back and capacity freed (present values), kept apart."""
    agencies = [a for a in appraisal.agencies if a.costs_pv or a.benefits_pv]
    place = place_of([p.name for p in appraisal.initiative.partners.values()])
    values = []
    for a in agencies:
        for measure, amount in (
            ("cost", a.costs_pv),
            ("cash back", a.cashable_pv),
            ("capacity (not cash)", a.capacity_pv),
        ):
            values.append(
                {"organisation": short_name(a.name, place), "measure": measure, "pounds": amount}
            )
    description = "Cost, cash back and capacity freed for each organisation, present values"
    spec = _spec(
        description,
        data={"values": values},
        mark={"type": "bar", "tooltip": True},
        height={"step": 14},
        encoding={
            "y": {"field": "organisation", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "measure", "sort": None},
            "x": {
                "field": "pounds",
                "type": "quantitative",
                "title": "present value",
                "axis": {"labelExpr": POUNDS},
            },
            "color": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "sort": None,
                "scale": {
                    "domain": ["cost", "cash back", "capacity (not cash)"],
                    "range": [COST, CASHABLE, NON_CASHABLE],
                },
            },
        },
    )
    rows = tuple(
        (
            a.name,
            _money(a.costs_pv),
            _money(a.cashable_pv),
            _money(a.cash_npv),
            _money(a.capacity_pv),
        )
        for a in agencies
    )
    return Chart(
        "by-organisation",
        "Cost, cash back and capacity by organisation",
        description,
        spec,
        ("Organisation", "Cost", "Cash back", "Cash NPV", "Capacity value"),
        rows,
    )


def cost_benefit_over_time(appraisal: Appraisal) -> Chart:
    """Cumulative discounted cost, cash back, and cash with capacity, to all public bodies."""
    total = appraisal.total
    values: list[dict[str, Any]] = []
    rows: list[tuple[str, ...]] = []
    cost = cash = benefit = 0.0
    years = zip(total.costs_by_year, total.cashable_by_year, total.benefits_by_year, strict=True)
    for year, (c, k, b) in enumerate(years, 1):
        cost += c
        cash += k
        benefit += b
        values.append({"year": year, "measure": "cumulative cost", "pounds": cost})
        values.append({"year": year, "measure": "cumulative cash back", "pounds": cash})
        values.append(
            {"year": year, "measure": "cumulative cash back and capacity", "pounds": benefit}
        )
        rows.append((str(year), _money(c), _money(k), _money(b - k), _money(cost), _money(cash)))
    description = "Cumulative cost, cash back, and cash back with capacity, all public bodies"
    spec = _spec(
        description,
        data={"values": values},
        height=260,
        mark={"type": "line", "point": True, "tooltip": True},
        encoding={
            "x": {"field": "year", "type": "ordinal", "title": "year", "axis": {"labelAngle": 0}},
            "y": {
                "field": "pounds",
                "type": "quantitative",
                "title": "cumulative present value",
                "axis": {"labelExpr": POUNDS},
            },
            "color": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": [
                        "cumulative cost",
                        "cumulative cash back",
                        "cumulative cash back and capacity",
                    ],
                    "range": [COST, CASHABLE, NON_CASHABLE],
                },
            },
        },
    )
    return Chart(
        "over-time",
        "Cost and benefit over time",
        description,
        spec,
        (
            "Year",
            "Cost in year",
            "Cash back in year",
            "Capacity in year",
            "Cost to date",
            "Cash back to date",
        ),
        tuple(rows),
    )


def _bins(scores: Sequence[float], count: int) -> list[tuple[float, float, int]]:
    top = max(scores, default=0.0)
    # All zero (or too small to divide): one band of width 1 holds everyone.
    width = top / count if top / count > 0 else 1.0
    counts = [0] * count
    for s in scores:
        counts[min(int(s / width), count - 1)] += 1
    return [(i * width, (i + 1) * width, n) for i, n in enumerate(counts)]


def risk_distribution(scores: Iterable[float], *, bins: int = 12) -> Chart:
    """How many households fall in each band of yearly fire risk (the whole list)."""
    banded = _bins(list(scores), bins)
    values = [
        {"from": round(lo * 100, 3), "to": round(hi * 100, 3), "households": n}
        for lo, hi, n in banded
    ]
    description = "Households by chance of a dwelling fire in a year"
    spec = _spec(
        description,
        data={"values": values},
        height=220,
        mark={"type": "bar", "tooltip": True, "color": OTHER},
        encoding={
            "x": {
                "field": "from",
                "bin": {"binned": True},
                "type": "quantitative",
                "title": "chance of a dwelling fire in a year (%)",
            },
            "x2": {"field": "to"},
            # Most households are low risk: a log scale keeps the few high-risk ones visible.
            "y": {
                "field": "households",
                "type": "quantitative",
                "title": "households (log scale)",
                "scale": {"type": "symlog"},
            },
        },
    )
    rows = tuple(
        (f"{lo * 100:.2f}% to {hi * 100:.2f}%", f"{n:,}") for lo, hi, n in banded if n or lo == 0
    )
    return Chart(
        "risk-distribution",
        "Risk across the list",
        description,
        spec,
        ("Chance of a fire in a year", "Households"),
        rows,
    )


@dataclass(frozen=True)
class LevelWeight:
    """One level of one comparison of a linkage model and the weight it carries."""

    comparison: str
    level: str
    weight: float | None


def level_weights(model: dict[str, Any]) -> list[LevelWeight]:
    """Every non-null level of every comparison in a Splink model, with log2(m/u)."""
    out = []
    for comparison in model.get("comparisons", []):
        name = str(comparison.get("output_column_name") or comparison.get("comparison_description"))
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            label = str(level.get("label_for_charts") or level.get("sql_condition"))
            out.append(LevelWeight(name, label, weight))
    return out


def match_weights(model: dict[str, Any]) -> Chart:
    """How far each comparison level moves the odds that two records are one person."""
    weights = [w for w in level_weights(model) if w.weight is not None]
    values = [
        {"comparison": w.comparison, "level": w.level, "weight": round(w.weight or 0.0, 2)}
        for w in weights
    ]
    description = "Match weight (log2 Bayes factor) of each level of each comparison"
    spec = _spec(
        description,
        data={"values": values},
        transform=[{"calculate": "datum.comparison + ': ' + datum.level", "as": "label"}],
        height={"step": 16},
        # A level almost never seen among true matches has a weight of -100 or less; drawn to
        # scale it would flatten every other bar, so bars stop at the edge (the table has all).
        mark={"type": "bar", "tooltip": True, "clip": True},
        encoding={
            "y": {
                "field": "label",
                "type": "nominal",
                "title": None,
                "sort": None,
                "axis": {"labelLimit": 360},
            },
            "x": {
                "field": "weight",
                "type": "quantitative",
                "title": f"match weight (cut off at ±{WEIGHT_LIMIT})",
                "scale": {"domain": [-WEIGHT_LIMIT, WEIGHT_LIMIT]},
            },
            "color": {
                "condition": {"test": "datum.weight < 0", "value": COST},
                "value": CASHABLE,
            },
        },
    )
    rows = tuple((w.comparison, w.level, f"{w.weight:+.2f}") for w in weights)
    return Chart(
        "match-weights",
        "Match weights",
        description,
        spec,
        ("Comparison", "Level", "Match weight"),
        rows,
    )


def pair_weights(bins: Sequence[tuple[float, int]], threshold_weight: float) -> Chart:
    """How the scored pairs spread by match weight, with the threshold marked."""
    values = [
        {"from": w, "to": w + 0.5, "pairs": n, "side": "linked" if w >= threshold_weight else "not"}
        for w, n in bins
    ]
    description = "Scored pairs by match weight; pairs at or above the threshold are linked"
    spec = _spec(
        description,
        height=220,
        layer=[
            {
                "data": {"values": values},
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {
                        "field": "from",
                        "bin": {"binned": True, "step": 0.5},
                        "type": "quantitative",
                        "title": "match weight",
                    },
                    "x2": {"field": "to"},
                    "y": {
                        "field": "pairs",
                        "type": "quantitative",
                        "title": "pairs (log scale)",
                        "scale": {"type": "symlog"},
                    },
                    "color": {
                        "field": "side",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": ["linked", "not"], "range": [CASHABLE, OTHER]},
                        "legend": {"labelExpr": "datum.value == 'not' ? 'not linked' : 'linked'"},
                    },
                },
            },
            {
                "data": {"values": [{"threshold": round(threshold_weight, 2)}]},
                "mark": {"type": "rule", "color": "#0b0c0c", "strokeDash": [4, 4]},
                "encoding": {"x": {"field": "threshold", "type": "quantitative"}},
            },
        ],
    )
    rows = tuple(
        (f"{w:+.1f} to {w + 0.5:+.1f}", f"{n:,}", "yes" if w >= threshold_weight else "no")
        for w, n in bins
    )
    return Chart(
        "pair-weights",
        "Scored pairs by match weight",
        description,
        spec,
        ("Match weight", "Pairs", "Linked"),
        rows,
    )
