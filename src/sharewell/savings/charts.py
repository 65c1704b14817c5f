"""The savings report's charts, drawn with matplotlib and inlined as SVG in the HTML and PDF.

Every chart keeps cash and capacity apart: cash back in dark green, capacity in light green,
costs in red; cash NPV and NPV counting capacity are separate bars, lines or histograms.
Figures use matplotlib's object API, not pyplot: no global state, safe in a web server.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sharewell.savings.analysis import InitiativeAnalysis
from sharewell.savings.engine import Appraisal
from sharewell.savings.montecarlo import MonteCarlo
from sharewell.savings.names import place_of, short_name
from sharewell.savings.sensitivity import TornadoBar
from sharewell.savings.sharing import CostShare

__all__ = [
    "chart_bands_over_time",
    "chart_benefit_by_agency",
    "chart_cost_share",
    "chart_monte_carlo",
    "chart_over_time",
    "chart_tornado",
    "charts_for",
    "svg",
]

# GOV.UK Design System colours.
COST, CASH, CAPACITY, OTHER, GREY = "#d4351c", "#005a30", "#85994b", "#1d70b8", "#b1b4b6"


def _pounds(ax: Axes, axis: str = "x") -> None:
    fmt = FuncFormatter(lambda v, _: f"{'-' if v < 0 else ''}£{abs(v) / 1000:,.0f}k")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _place(ap: Appraisal) -> str:
    return place_of([p.name for p in ap.initiative.partners.values()])


def chart_benefit_by_agency(ap: Appraisal) -> Figure:
    """Each organisation's cost, cash back and capacity freed (present values)."""
    agencies = [a for a in ap.agencies if a.costs_pv or a.benefits_pv]
    place = _place(ap)
    fig, ax = _figure(8, 0.6 * len(agencies) + 1.6)
    y = list(range(len(agencies)))
    ax.barh(
        [i + 0.2 for i in y], [a.cashable_pv for a in agencies], 0.4, color=CASH, label="cash back"
    )
    ax.barh(
        [i + 0.2 for i in y],
        [a.capacity_pv for a in agencies],
        0.4,
        left=[max(a.cashable_pv, 0) for a in agencies],
        color=CAPACITY,
        label="capacity freed (not cash)",
    )
    ax.barh([i - 0.2 for i in y], [a.costs_pv for a in agencies], 0.4, color=COST, label="cost")
    ax.set_yticks(y, [short_name(a.name, place) for a in agencies])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel(f"present value, {ap.price_year} prices")
    _pounds(ax)
    ax.set_title("Cost, cash back and capacity by organisation")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def chart_over_time(ap: Appraisal) -> Figure:
    """Cumulative discounted cost, cash back, and cash plus capacity, for all public bodies."""
    t = ap.total
    years = list(range(1, ap.initiative.horizon_years + 1))
    cum = {"cost": [0.0], "cash": [0.0], "all": [0.0]}
    for c, b, k in zip(t.costs_by_year, t.benefits_by_year, t.cashable_by_year, strict=True):
        cum["cost"].append(cum["cost"][-1] + c)
        cum["cash"].append(cum["cash"][-1] + k)
        cum["all"].append(cum["all"][-1] + b)
    fig, ax = _figure(8, 3.8)
    ax.plot(years, cum["cost"][1:], marker="o", color=COST, label="cumulative cost")
    ax.plot(years, cum["cash"][1:], marker="o", color=CASH, label="cumulative cash back")
    ax.plot(
        years,
        cum["all"][1:],
        marker="o",
        color=CAPACITY,
        ls="--",
        label="cumulative cash back and capacity",
    )
    for year, label in ((t.cash_payback_year, "cash payback"), (t.payback_year, "payback")):
        if year:
            ax.axvline(year, color="grey", ls=":", lw=1)
            ax.annotate(
                f"{label}, year {year}",
                (year, 0),
                xytext=(4, 8),
                textcoords="offset points",
                fontsize=8,
            )
    ax.set_xticks(years)
    ax.set_xlabel("year")
    ax.set_ylabel("£, present value")
    _pounds(ax, "y")
    ax.set_title("Cost and benefit over time (all public bodies)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def chart_tornado(
    central: float, bars: Sequence[TornadoBar], cash_bars: Sequence[TornadoBar], top: int = 10
) -> Figure:
    """One-way sensitivity of NPV (all public bodies): counting capacity, and in cash."""
    shown = list(bars[:top])
    cash = {b.name: b for b in cash_bars}
    fig, ax = _figure(8, 0.5 * len(shown) + 1.8)
    for i, b in enumerate(shown):
        lo, hi = sorted((b.npv_at_low, b.npv_at_high))
        ax.barh(
            i - 0.18,
            hi - lo,
            0.36,
            left=lo,
            color=CAPACITY,
            label="NPV with capacity" if i == 0 else None,
        )
        if b.name in cash:
            c = cash[b.name]
            clo, chi = sorted((c.npv_at_low, c.npv_at_high))
            ax.barh(
                i + 0.18,
                chi - clo,
                0.36,
                left=clo,
                color=CASH,
                label="cash NPV" if i == 0 else None,
            )
    ax.axvline(central, color="black", lw=1)
    ax.axvline(0, color=COST, lw=1, ls="--")
    ax.set_yticks(range(len(shown)), [b.name[:55] for b in shown], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("net present value, all public bodies")
    _pounds(ax)
    ax.set_title("Tornado: NPV with each input at its low and high value")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def chart_cost_share(share: CostShare, other: CostShare | None, place: str) -> Figure:
    """What each partner pays today beside the proposed contributions, and its cash benefit."""
    rows = list(share.rows)
    fig, ax = _figure(8, 0.6 * len(rows) + 1.8)
    y = list(range(len(rows)))
    ax.barh(
        [i - 0.25 for i in y], [r.pays_today for r in rows], 0.25, color=GREY, label="pays today"
    )
    if share.proposed:
        ax.barh(y, [r.proposed or 0 for r in rows], 0.25, color=CASH, label="proposed (cash split)")
    if other is not None and other.proposed:
        ax.barh(
            [i + 0.25 for i in y],
            [r.proposed or 0 for r in other.rows],
            0.25,
            color=CAPACITY,
            label="proposed (counting capacity)",
        )
    ax.scatter(
        [r.benefit for r in rows],
        y,
        marker="|",
        s=200,
        color="black",
        label=f"benefit ({'cash' if share.basis == 'cash' else 'with capacity'})",
        zorder=3,
    )
    ax.set_yticks(y, [short_name(r.name, place) for r in rows])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("£, present value")
    _pounds(ax)
    title = "Sharing the cost" if share.proposed else "Sharing the cost: no cash split proposed"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def chart_monte_carlo(mc: MonteCarlo) -> Figure:
    """Distribution of NPV over the Monte Carlo draws: cash, and counting capacity."""
    fig, ax = _figure(8, 3.5)
    for values, colour, label, basis in (
        (mc.cash_npv, CASH, "cash NPV", "cash"),
        (mc.npv, CAPACITY, "NPV with capacity", "total"),
    ):
        ahead = mc.chance_ahead(basis)  # type: ignore[arg-type]
        ax.hist(values, bins=60, color=colour, alpha=0.6, label=f"{label} (ahead in {ahead:.0%})")
    ax.axvline(0, color=COST, lw=1, ls="--")
    ax.set_xlabel("net present value, all public bodies")
    _pounds(ax)
    ax.set_title(f"Monte Carlo: {mc.draws:,} draws of every uncertain input")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def chart_bands_over_time(mc: MonteCarlo) -> Figure:
    """Cumulative NPV year by year: median and 5th-95th percentile band, cash and with capacity."""
    years = list(range(1, mc.cumulative.shape[1] + 1))
    fig, ax = _figure(8, 3.5)
    for basis, colour, label in (("cash", CASH, "cash NPV"), ("total", CAPACITY, "with capacity")):
        bands = mc.bands_by_year(basis=basis)  # type: ignore[arg-type]
        ax.fill_between(years, bands[5], bands[95], color=colour, alpha=0.2)
        ax.plot(years, bands[50], color=colour, marker="o", label=f"{label}: median, 5th-95th")
    ax.axhline(0, color=COST, lw=1, ls="--")
    ax.set_xticks(years)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative NPV")
    _pounds(ax, "y")
    ax.set_title("Cumulative net present value over time, with Monte Carlo bands")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def svg(fig: Figure, prefix: str = "chart") -> str:
    """The figure as an inline ``<svg>`` element, its element ids prefixed.

    matplotlib numbers ids per figure (``patch_1``...), so two charts in one page would share
    ids; the prefix keeps each id unique in the report.
    """
    buf = io.StringIO()
    # Text as text, not glyph outlines: a tenth of the size, and readers can select it.
    with rc_context({"svg.fonttype": "none", "font.family": ["DejaVu Sans", "sans-serif"]}):
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{prefix}-\1"', text)


def charts_for(an: InitiativeAnalysis) -> dict[str, str]:
    """Every chart of one initiative's section, as SVG, by name."""
    ap = an.appraisal
    place = _place(ap)
    total = an.monte_carlo[None]
    figures = {
        "agency": chart_benefit_by_agency(ap),
        "time": chart_over_time(ap),
        "tornado": chart_tornado(an.tornado_central, an.tornado, an.cash_tornado),
        "share": chart_cost_share(an.share, an.share_with_capacity, place),
        "mc": chart_monte_carlo(total),
        "bands": chart_bands_over_time(total),
    }
    return {k: svg(f, f"{ap.initiative.slug}-{k}") for k, f in figures.items()}
