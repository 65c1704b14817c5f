"""The savings report: HTML (charts inlined as SVG) and PDF, drawn with matplotlib.

matplotlib writes both formats from the same figures, so the HTML and the PDF cannot
disagree. The report shows the answer for every partner, the figures by organisation, the
charts (benefit by agency, cost and benefit over time, tornado, cost-share proposal), the
Monte Carlo bands, switching values, the unit costs used (national or local, with source and
grade) and every line the totals were added up from.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages

# Figures are made with matplotlib's object API, not pyplot: no global state, no display,
# safe in a web server.
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sharewell.savings.answer import money, plain_english
from sharewell.savings.engine import Appraisal, appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.sensitivity import (
    MonteCarlo,
    TornadoBar,
    monte_carlo,
    switching_value,
    tornado,
)
from sharewell.savings.sharing import CostShare, proportional_shares, shapley_shares
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = ["InitiativeReport", "ReportFiles", "build_report", "write_report"]

_COLOURS = {"cost": "#d4351c", "benefit": "#00703c", "cashable": "#005a30", "other": "#1d70b8"}


@dataclass(frozen=True)
class InitiativeReport:
    """Everything the report shows for one initiative."""

    appraisal: Appraisal
    tornado_central: float
    tornado: tuple[TornadoBar, ...]
    monte_carlo: MonteCarlo
    switching: dict[str, dict[str, float | None]]
    """Parameter -> partner -> value at which that partner's NPV is zero (None: not in range)."""
    share: CostShare


@dataclass(frozen=True)
class ReportFiles:
    """Paths of a written report."""

    html: Path
    pdf: Path
    initiatives: tuple[str, ...]


def build_report(
    initiative: Initiative, library: UnitCostLibrary, *, draws: int = 5000, seed: int = 0
) -> InitiativeReport:
    """Appraise an initiative and run its sensitivity analyses."""
    appraisal = appraise(initiative, library)
    central, bars = tornado(initiative, library)
    switching: dict[str, dict[str, float | None]] = {}
    for name, p in initiative.parameters.items():
        top = max(p.value, p.high or p.value)
        hi = 1.0 if top <= 1 else 5 * top  # shares stay within 0..1; counts may grow
        switching[name] = {
            slug: switching_value(initiative, library, parameter=name, partner=slug, lo=0.0, hi=hi)
            for slug in initiative.partners
        }
    return InitiativeReport(
        appraisal=appraisal,
        tornado_central=central,
        tornado=tuple(bars),
        monte_carlo=monte_carlo(initiative, library, draws=draws, seed=seed),
        switching=switching,
        share=proportional_shares(appraisal),
    )


# --- charts -----------------------------------------------------------------------------


def _pounds(ax: Axes, axis: str = "x") -> None:
    fmt = FuncFormatter(lambda v, _: f"{'-' if v < 0 else ''}£{abs(v) / 1000:,.0f}k")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _short(name: str) -> str:
    return (
        name.replace("Westshire ", "")
        .replace("NHS ", "")
        .replace(" NHS Trust", "")
        .replace("Integrated Care Board", "ICB")
    )


def chart_benefit_by_agency(ap: Appraisal) -> Figure:
    """Costs and fiscal benefits (cashable and not) of each organisation."""
    agencies = [a for a in ap.agencies if a.costs_pv or a.benefits_pv]
    fig, ax = _figure(8, 0.6 * len(agencies) + 1.5)
    names = [_short(a.name) for a in agencies]
    y = range(len(agencies))
    ax.barh(
        [i + 0.2 for i in y],
        [a.cashable_pv for a in agencies],
        0.4,
        color=_COLOURS["cashable"],
        label="cashable benefit",
    )
    ax.barh(
        [i + 0.2 for i in y],
        [a.non_cashable_pv for a in agencies],
        0.4,
        left=[a.cashable_pv for a in agencies],
        color=_COLOURS["benefit"],
        alpha=0.6,
        label="non-cashable benefit",
    )
    ax.barh(
        [i - 0.2 for i in y],
        [a.costs_pv for a in agencies],
        0.4,
        color=_COLOURS["cost"],
        label="cost",
    )
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlabel(f"£, present value, {ap.price_year} prices")
    ax.set_title(f"{ap.initiative.name}: cost and benefit by organisation")
    ax.legend(loc="lower right", fontsize=8)
    if ax.get_xlabel().startswith(("£", "net")):
        _pounds(ax)
    fig.tight_layout()
    return fig


def chart_over_time(ap: Appraisal) -> Figure:
    """Cumulative discounted costs and benefits to all public bodies, year by year."""
    years = list(range(1, ap.initiative.horizon_years + 1))
    cum_c, cum_b, c_acc, b_acc = [], [], 0.0, 0.0
    for c, b in zip(ap.total.costs_by_year, ap.total.benefits_by_year, strict=True):
        c_acc += c
        b_acc += b
        cum_c.append(c_acc)
        cum_b.append(b_acc)
    fig, ax = _figure(8, 4)
    ax.plot(years, cum_c, marker="o", color=_COLOURS["cost"], label="cumulative cost")
    ax.plot(years, cum_b, marker="o", color=_COLOURS["benefit"], label="cumulative fiscal benefit")
    ax.bar(
        years,
        ap.total.benefits_by_year,
        color=_COLOURS["benefit"],
        alpha=0.25,
        label="benefit in year",
    )
    ax.bar(
        years,
        [-c for c in ap.total.costs_by_year],
        color=_COLOURS["cost"],
        alpha=0.25,
        label="cost in year",
    )
    if ap.total.payback_year:
        ax.axvline(ap.total.payback_year, color="grey", ls="--", lw=1)
        ax.annotate(
            f"pays back in year {ap.total.payback_year}",
            (ap.total.payback_year, 0),
            xytext=(4, 8),
            textcoords="offset points",
            fontsize=8,
        )
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(years)
    ax.set_xlabel("year")
    ax.set_ylabel("£, present value")
    _pounds(ax, "y")
    ax.set_title("Cost and benefit over time (all public bodies)")
    ax.legend(fontsize=8)
    if ax.get_xlabel().startswith(("£", "net")):
        _pounds(ax)
    fig.tight_layout()
    return fig


def chart_tornado(central: float, bars: Sequence[TornadoBar], top: int = 10) -> Figure:
    """One-way sensitivity of the partnership's NPV, widest swing at the top."""
    shown = list(bars[:top])
    fig, ax = _figure(8, 0.45 * len(shown) + 1.5)
    for i, b in enumerate(shown):
        lo, hi = sorted((b.npv_at_low, b.npv_at_high))
        ax.barh(i, hi - lo, left=lo, color=_COLOURS["other"], alpha=0.7)
    ax.axvline(central, color="black", lw=1)
    ax.axvline(0, color=_COLOURS["cost"], lw=1, ls="--")
    ax.set_yticks(range(len(shown)), [b.name[:55] for b in shown], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("net present value, all public bodies (£)")
    ax.set_title("Tornado: NPV with each input at its low and high value")
    if ax.get_xlabel().startswith(("£", "net")):
        _pounds(ax)
    fig.tight_layout()
    return fig


def chart_cost_share(share: CostShare) -> Figure:
    """What each partner pays today beside the proposed contribution."""
    rows = list(share.rows)
    fig, ax = _figure(8, 0.6 * len(rows) + 1.5)
    y = range(len(rows))
    ax.barh(
        [i - 0.2 for i in y], [r.pays_today for r in rows], 0.4, color="#b1b4b6", label="pays today"
    )
    ax.barh(
        [i + 0.2 for i in y],
        [r.proposed for r in rows],
        0.4,
        color=_COLOURS["other"],
        label=f"proposed ({share.method})",
    )
    ax.scatter(
        [r.benefit for r in rows],
        list(y),
        marker="|",
        s=200,
        color=_COLOURS["benefit"],
        label="benefit",
        zorder=3,
    )
    ax.set_yticks(list(y), [_short(r.name) for r in rows])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("£, present value")
    ax.set_title("Cost-share proposal")
    ax.legend(fontsize=8, loc="lower right")
    if ax.get_xlabel().startswith(("£", "net")):
        _pounds(ax)
    fig.tight_layout()
    return fig


def chart_monte_carlo(mc: MonteCarlo) -> Figure:
    """Distribution of the partnership's NPV over Monte Carlo draws, with percentile bands."""
    fig, ax = _figure(8, 3.5)
    ax.hist(mc.npv, bins=60, color=_COLOURS["other"], alpha=0.7)
    for name, value in mc.bands.items():
        ax.axvline(value, color="black", lw=0.8, ls=":" if name != "p50" else "-")
        ax.annotate(name, (value, ax.get_ylim()[1] * 0.9), fontsize=7, ha="center")
    ax.axvline(0, color=_COLOURS["cost"], lw=1, ls="--")
    ax.set_xlabel("net present value, all public bodies (£)")
    ax.set_title(f"Monte Carlo: {mc.draws:,} draws, P(NPV > 0) = {mc.probability_positive:.0%}")
    if ax.get_xlabel().startswith(("£", "net")):
        _pounds(ax)
    fig.tight_layout()
    return fig


def chart_bands_over_time(mc: MonteCarlo) -> Figure:
    """Cumulative NPV year by year: the median and the Monte Carlo percentile bands."""
    bands = mc.bands_by_year()
    years = list(range(1, mc.cumulative.shape[1] + 1))
    fig, ax = _figure(8, 3.5)
    ax.fill_between(
        years,
        bands[5],
        bands[95],
        color=_COLOURS["other"],
        alpha=0.2,
        label="5th to 95th percentile",
    )
    ax.fill_between(
        years,
        bands[25],
        bands[75],
        color=_COLOURS["other"],
        alpha=0.4,
        label="25th to 75th percentile",
    )
    ax.plot(years, bands[50], color=_COLOURS["other"], marker="o", label="median")
    ax.axhline(0, color=_COLOURS["cost"], lw=1, ls="--")
    ax.set_xticks(years)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative NPV (£)")
    _pounds(ax, "y")
    ax.set_title("Cumulative net present value over time, with Monte Carlo bands")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg") :]


# --- html -------------------------------------------------------------------------------


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def agency_rows(ap: Appraisal) -> list[list[str]]:
    """One row of figures per organisation, then the total."""
    rows = []
    for a in [*ap.agencies, ap.total]:
        rows.append(
            [
                a.name,
                money(a.costs_pv),
                money(a.benefits_pv),
                money(a.cashable_pv),
                money(a.npv),
                "-" if a.roi is None else f"{a.roi:.2f}",
                "-" if a.payback_year is None else str(a.payback_year),
            ]
        )
    return rows


AGENCY_HEAD = ("Organisation", "Cost", "Benefit", "of which cashable", "NPV", "ROI", "Payback year")


def _section(rep: InitiativeReport, figs: dict[str, Figure]) -> str:
    ap = rep.appraisal
    ini = ap.initiative
    parts = [f"<h2>{html.escape(ini.name)}</h2>", f"<p>{html.escape(ini.description)}</p>"]
    parts.append("<h3>The answer for each partner</h3><ul>")
    for slug in ini.partners:
        parts.append(f"<li>{html.escape(plain_english(ap, slug, rep.share))}</li>")
    parts.append("</ul>")
    rate = (
        "Green Book schedule (3.5%, 3.0% from year 31, 2.5% from year 76)"
        if ini.discount_rate is None
        else f"{ini.discount_rate:.1%}"
    )
    parts.append(
        f"<p>Horizon {ini.horizon_years} years; {ap.price_year} prices; discounting {rate}; "
        f"unit cost library {html.escape(ap.library_version)}. Public value (fiscal, economic "
        f"and social): {money(ap.public_value_pv)} (economic {money(ap.economic_pv)}, social "
        f"{money(ap.social_pv)}).</p>"
    )
    parts.append(_table(AGENCY_HEAD, agency_rows(ap)))
    if ap.local_codes:
        parts.append(
            "<p>Local unit costs used (in place of national ones): "
            f"{html.escape(', '.join(sorted(ap.local_codes)))}.</p>"
        )
    else:
        parts.append("<p>All unit costs are national (no local overrides).</p>")
    for title, key in (
        ("Benefit by organisation", "agency"),
        ("Cost and benefit over time", "time"),
        ("Tornado", "tornado"),
        ("Cost-share proposal", "share"),
        ("Monte Carlo", "mc"),
    ):
        parts.append(f"<h3>{title}</h3><figure>{_svg(figs[key])}</figure>")
        if key == "share":
            parts.append(_share_table(rep.share))
        if key == "mc":
            bands = ", ".join(f"{k} {money(v)}" for k, v in rep.monte_carlo.bands.items())
            parts.append(f"<p>Percentiles of NPV: {bands}.</p>")
            parts.append(f"<figure>{_svg(figs['bands'])}</figure>")
    if rep.switching:
        parts.append(
            "<h3>Switching values</h3><p>The value of each parameter at which a "
            "partner's NPV is zero (today's funding).</p>"
        )
        rows = []
        for name, by_partner in rep.switching.items():
            p = ini.parameters[name]
            for slug, value in by_partner.items():
                rows.append(
                    [
                        p.description or name,
                        ini.partners[slug].name,
                        "not in range" if value is None else f"{value:.4g}",
                        f"{p.value:g} (range {p.low:g} to {p.high:g})",
                        p.source,
                    ]
                )
        parts.append(_table(("Parameter", "Partner", "Breaks even at", "Used", "Source"), rows))
    parts.append(_unit_cost_table(ap))
    parts.append("<details><summary>Every line of the calculation</summary>")
    parts.append(
        _table(
            (
                "Year",
                "Organisation",
                "Kind",
                "Item",
                "Unit cost",
                "Type",
                "Events",
                "Unit £",
                "Deadweight",
                "Optimism bias",
                "Drop-off factor",
                "Cashable",
                "Amount £",
                "Discount factor",
                "Present value £",
            ),
            [
                [
                    ln.year,
                    ln.partner,
                    ln.kind,
                    ln.label,
                    ln.code,
                    ln.value_type,
                    f"{ln.events:g}",
                    f"{ln.unit_amount:,.2f}",
                    _pct(ln.deadweight),
                    _pct(ln.optimism_bias),
                    f"{ln.drop_off_factor:.3f}",
                    _pct(ln.cashable_share),
                    f"{ln.amount:,.2f}",
                    f"{ln.discount_factor:.4f}",
                    f"{ln.present_value:,.2f}",
                ]
                for ln in ap.lines
            ],
        )
    )
    parts.append("</details>")
    return "\n".join(parts)


def _share_table(share: CostShare) -> str:
    rows = [
        [
            r.name,
            money(r.benefit),
            money(r.pays_today),
            money(r.net_today),
            money(r.proposed),
            money(r.net_proposed),
        ]
        for r in share.rows
    ]
    note = f"<p>{html.escape(share.note)}</p>" if share.note else ""
    return note + _table(
        (
            "Partner",
            "Benefit",
            "Pays today",
            "Net today",
            f"Proposed ({share.method})",
            "Net under proposal",
        ),
        rows,
    )


def _unit_cost_table(ap: Appraisal) -> str:
    rows = []
    for c in ap.unit_costs_used:
        payers = "; ".join(
            f"{p.payer} {money(p.amount)} ({p.value_type}, {p.cashable_share:.0%} cashable)"
            for p in c.parts
        )
        rows.append(
            [
                c.code,
                c.item,
                money(c.total),
                payers,
                c.confidence_grade,
                c.origin,
                f"{c.source} {c.source_url}".strip(),
                c.verified or "-",
                c.verification,
            ]
        )
    return "<h3>Unit costs used</h3>" + _table(
        (
            "Code",
            "Item",
            f"Cost ({ap.price_year})",
            "Borne by",
            "Grade",
            "National or local",
            "Source",
            "Checked against source",
            "What was checked",
        ),
        rows,
    )


_CSS = """
body{font-family:Arial,sans-serif;margin:2em;max-width:70em;color:#0b0c0c}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
th,td{border:1px solid #b1b4b6;padding:0.3em 0.5em;text-align:left;vertical-align:top}
th{background:#f3f2f1} figure{margin:0} svg{max-width:100%;height:auto}
"""


def write_report(
    pairs: Sequence[tuple[Initiative, UnitCostLibrary]],
    out_dir: Path,
    *,
    draws: int = 5000,
    seed: int = 0,
) -> ReportFiles:
    """Write ``savings-report.html`` and ``savings-report.pdf`` for one or more initiatives."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = [build_report(ini, lib, draws=draws, seed=seed) for ini, lib in pairs]
    sections: list[str] = []
    all_figs: list[tuple[InitiativeReport | None, dict[str, Figure]]] = []
    for rep in reports:
        figs = {
            "agency": chart_benefit_by_agency(rep.appraisal),
            "time": chart_over_time(rep.appraisal),
            "tornado": chart_tornado(rep.tornado_central, rep.tornado),
            "share": chart_cost_share(rep.share),
            "mc": chart_monte_carlo(rep.monte_carlo),
            "bands": chart_bands_over_time(rep.monte_carlo),
        }
        sections.append(_section(rep, figs))
        all_figs.append((rep, figs))
    portfolio = ""
    shapley = None
    if len(reports) > 1:
        shapley = shapley_shares([r.appraisal for r in reports])
        fig = chart_cost_share(shapley)
        portfolio = (
            "<h2>Sharing the cost across initiatives</h2>"
            f"<p>Funded: {', '.join(shapley.funded) or 'none'}.</p>"
            + _share_table(shapley)
            + f"<figure>{_svg(fig)}</figure>"
        )
        all_figs.append((None, {"shapley": fig}))
    title = "Savings report: " + ", ".join(r.appraisal.initiative.name for r in reports)
    doc = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        "<p>Method: HM Treasury (2014) cost benefit analysis guidance for local partnerships; "
        "see docs/savings.md. Figures are present values; benefits are fiscal (costs avoided by "
        "public bodies) unless marked economic or social.</p>"
        + _deflator_note(pairs)
        + "\n".join(sections)
        + portfolio
        + "</body></html>"
    )
    html_path = out_dir / "savings-report.html"
    pdf_path = out_dir / "savings-report.pdf"
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(html_path)
    notes = [
        f"Unit costs uprated with {lib.deflators.source} {lib.deflators.verification}"
        for lib in {id(lib): lib for _, lib in pairs}.values()
    ]
    _write_pdf(pdf_path, all_figs, shapley, notes)
    return ReportFiles(
        html=html_path,
        pdf=pdf_path,
        initiatives=tuple(r.appraisal.initiative.slug for r in reports),
    )


def _deflator_note(pairs: Sequence[tuple[Initiative, UnitCostLibrary]]) -> str:
    """Where the uprating index came from, and how far it was checked (once per library)."""
    seen = {id(lib): lib for _, lib in pairs}
    return "".join(
        f"<p>Unit costs uprated with {html.escape(lib.deflators.source)} "
        f"<em>{html.escape(lib.deflators.verification)}</em></p>"
        for lib in seen.values()
    )


def _text_pages(lines: Sequence[str], title: str) -> list[Figure]:
    """A4 pages of wrapped text; as many as the lines need (nothing is cut off)."""
    import textwrap

    pages: list[Figure] = []
    fig, y = None, 0.0
    for line in lines:
        for wrapped in [*(textwrap.wrap(line, 95) or [""])]:
            if fig is None or y < 0.05:
                fig = Figure(figsize=(8.27, 11.69))
                heading = title if not pages else f"{title} (continued)"
                fig.text(0.07, 0.95, heading, fontsize=14, weight="bold", va="top")
                pages.append(fig)
                y = 0.91
            fig.text(0.07, y, wrapped, fontsize=8.5, va="top")
            y -= 0.018
        y -= 0.006
    return pages


def _write_pdf(
    path: Path,
    all_figs: Sequence[tuple[InitiativeReport | None, dict[str, Figure]]],
    shapley: CostShare | None,
    notes: Sequence[str] = (),
) -> None:
    tmp = path.with_suffix(".pdf.tmp")
    with PdfPages(tmp) as pdf:
        if notes:
            for page in _text_pages(list(notes), "How the figures were uprated"):
                pdf.savefig(page)
        for rep, figs in all_figs:
            if rep is not None:
                ap = rep.appraisal
                lines = [plain_english(ap, slug, rep.share) for slug in ap.initiative.partners]
                lines.append("")
                lines += [" | ".join(AGENCY_HEAD)] + [" | ".join(r) for r in agency_rows(ap)]
                lines.append("")
                lines += [
                    f"{c.code}: {c.item}, {money(c.total)} ({c.origin}; grade "
                    f"{c.confidence_grade}; checked against source: {c.verified or '-'}; "
                    f"{c.source})"
                    for c in ap.unit_costs_used
                ]
                for page in _text_pages(lines, ap.initiative.name):
                    pdf.savefig(page)
            elif shapley is not None:
                lines = [
                    f"{r.name}: benefit {money(r.benefit)}, pays today {money(r.pays_today)}, "
                    f"proposed {money(r.proposed)}, net {money(r.net_proposed)}"
                    for r in shapley.rows
                ]
                for page in _text_pages(lines, "Sharing the cost across initiatives (Shapley)"):
                    pdf.savefig(page)
            for fig in figs.values():
                pdf.savefig(fig)
    tmp.replace(path)
