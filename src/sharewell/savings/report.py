"""The savings report: HTML and PDF from one Jinja template, and an Excel workbook of every line.

The HTML is rendered by the environment the web app uses (``sharewell.rendering``) from
``web/templates/savings/report.html``; WeasyPrint prints the same page to PDF (its print
stylesheet is in the template), so the two cannot disagree. Page 1 is the answer: one box per
organisation. Charts are matplotlib SVG inlined in both. Each file is written to a temporary
name and moved into place, so a failure leaves no half-written report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharewell.errors import SavingsError
from sharewell.rendering import render_template
from sharewell.savings.analysis import InitiativeAnalysis, analyse, answer_boxes, portfolio
from sharewell.savings.answer import money
from sharewell.savings.charts import chart_cost_share, charts_for, svg
from sharewell.savings.initiative import Initiative
from sharewell.savings.names import place_of
from sharewell.savings.tables import (
    Table,
    agency_table,
    inputs_table,
    library_note,
    lines_table,
    scenario_table,
    share_table,
    unit_cost_table,
)
from sharewell.savings.unit_costs import UnitCostLibrary
from sharewell.savings.workbook import write_workbook

__all__ = ["ReportFiles", "report_html", "write_report"]

OPTIMISM_BIAS_MEANING = {
    1: "independently audited, recent, local",
    2: "recent local data, robust method (e.g. a clear matched comparison)",
    3: "reputable national source, or a clear local estimate from a small sample",
    4: "reputable but older (more than about three years)",
    5: "expert judgement, a single study elsewhere, or an assumption",
    6: "anecdote, no evidence",
}


@dataclass(frozen=True)
class ReportFiles:
    """Paths of a written report."""

    html: Path
    pdf: Path | None
    """None only when the PDF was not required and could not be made (``pdf_note`` says why)."""
    workbook: Path
    initiatives: tuple[str, ...]
    pdf_note: str = ""


def _monte_carlo_table(an: InitiativeAnalysis) -> Table:
    rows = []
    for key, mc in an.monte_carlo.items():
        name = "All public bodies" if key is None else an.appraisal.agency(key).name
        rows.append(
            (
                name,
                money(mc.percentile(5, "cash")),
                money(mc.percentile(50, "cash")),
                money(mc.percentile(95, "cash")),
                f"{mc.chance_ahead('cash'):.0%}",
                money(mc.percentile(5)),
                money(mc.percentile(50)),
                money(mc.percentile(95)),
                f"{mc.chance_ahead('total'):.0%}",
            )
        )
    head = (
        "Organisation",
        "Cash NPV: 5th percentile",
        "median",
        "95th",
        "chance ahead in cash",
        "NPV with capacity: 5th",
        "median",
        "95th",
        "chance ahead",
    )
    draws = next(iter(an.monte_carlo.values())).draws
    return Table(
        f"Monte Carlo: {draws:,} draws of every uncertain input (triangular: low, central, high)",
        head,
        tuple(rows),
        (False, *[True] * 8),
    )


def _switching_table(an: InitiativeAnalysis) -> Table | None:
    if not an.switching:
        return None
    rows = []
    for name, by_partner in an.switching.items():
        p = an.initiative.parameters[name]
        used = f"{p.value:g}" + (f" (range {p.low:g} to {p.high:g})" if p.low is not None else "")
        for slug, value in by_partner.items():
            shown = "not in range" if value is None else f"{value:.4g}"
            rows.append((p.description or name, an.initiative.partners[slug].name, shown, used))
    return Table(
        "Switching values: the value of each parameter at which a partner's NPV counting "
        "capacity is zero (today's funding)",
        ("Parameter", "Partner", "Breaks even at", "Used"),
        tuple(rows),
        (False, False, True, True),
        "; ".join(f"{p.description or n}: {p.source}" for n, p in an.initiative.parameters.items()),
    )


def _section(an: InitiativeAnalysis, workbook: str) -> dict[str, Any]:
    ap, ini = an.appraisal, an.initiative
    evidence = sorted(
        {o.evidence.source for o in ini.outcomes if o.measured and o.evidence and o.evidence.source}
    )
    local = sorted(ap.local_codes)
    return {
        "slug": ini.slug,
        "name": ini.name,
        "description": ini.description,
        "measured": ", ".join(an.measured),
        "evidence_note": " ".join(evidence),
        "off_centre": ", ".join(an.off_centre),
        "answers": [an.answers[slug] for slug in ini.partners],
        "horizon": ini.horizon_years,
        "price_year": ap.price_year,
        "discounting": "Green Book schedule"
        if ini.discount_rate is None
        else f"{ini.discount_rate:.1%} a year",
        "library_version": ap.library_version,
        "public_value": money(ap.public_value_pv),
        "economic": money(ap.economic_pv),
        "social": money(ap.social_pv),
        "agency": agency_table(ap),
        "scenarios": scenario_table(an.scenarios),
        "share": share_table(an.share),
        "share_with_capacity": share_table(an.share_with_capacity),
        "monte_carlo": _monte_carlo_table(an),
        "switching": _switching_table(an),
        "inputs": inputs_table(ini),
        "unit_costs": unit_cost_table(ap),
        "local_note": f"national except these local ones: {', '.join(local)}"
        if local
        else "national (no local overrides)",
        "lines": lines_table(ap),
        "charts": charts_for(an),
        "workbook": workbook,
    }


def _optimism_bias_table(initiative: Initiative) -> Table:
    rows = tuple(
        (str(g), OPTIMISM_BIAS_MEANING.get(g, ""), f"{share:.0%}")
        for g, share in sorted(initiative.optimism_bias.items())
    )
    return Table(
        "Optimism bias: benefits cut by the confidence grade of the evidence",
        ("Grade", "What the evidence is", "Benefits cut by"),
        rows,
        (False, False, True),
        "These percentages are sharewell's defaults in the spirit of HM Treasury (2014): the "
        "guidance's own table could not be read to confirm them (see docs/savings.md). An "
        "initiative can set its own with optimism_bias:.",
    )


def report_context(analyses: Sequence[InitiativeAnalysis], workbook_name: str) -> dict[str, Any]:
    """Everything ``savings/report.html`` shows, charts drawn."""
    names = [p.name for an in analyses for p in an.initiative.partners.values()]
    place = place_of(names)
    first = analyses[0].appraisal
    measured = sorted(
        {f"{an.initiative.name}: {', '.join(an.measured)}" for an in analyses if an.measured}
    )
    share = portfolio(analyses) if len(analyses) > 1 else None
    port = None
    if share is not None:
        port = {
            "cash": share_table(share.cash),
            "with_capacity": share_table(share.with_capacity),
            "chart": svg(chart_cost_share(share.cash, share.with_capacity, place), "portfolio"),
        }
    draws = next(iter(analyses[0].monte_carlo.values())).draws
    return dict(
        title="Savings report: " + ", ".join(an.initiative.name for an in analyses),
        subtitle=(
            f"{place + ' partnership: ' if place else ''}"
            + ", ".join(an.initiative.name for an in analyses)
            + f". Present values over {first.initiative.horizon_years} years, "
            f"{first.price_year} prices."
        ),
        draws=f"{draws:,}",
        measured="; ".join(measured),
        boxes=answer_boxes(analyses),
        sections=[_section(an, workbook_name) for an in analyses],
        portfolio=port,
        optimism_bias=_optimism_bias_table(first.initiative),
        deflator_notes=sorted({library_note(an.library) for an in analyses}),
    )


def report_html(
    analyses: Sequence[InitiativeAnalysis],
    workbook_name: str,
    *,
    for_print: bool = False,
    context: dict[str, Any] | None = None,
) -> str:
    """The report as one HTML document; ``for_print``: the PDF's page, without the lines table
    (every line is in the workbook, and a table of hundreds of rows is no use on paper)."""
    ctx = context if context is not None else report_context(analyses, workbook_name)
    return render_template("savings/report.html", **ctx, for_print=for_print)


def _write_pdf(html: str, path: Path, base: Path) -> None:
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango through cffi when imported
        raise SavingsError(
            f"the PDF needs the Pango library ({exc}); on Debian: apt-get install "
            "libpango-1.0-0 libpangoft2-1.0-0. The HTML report and the workbook were written."
        ) from None
    tmp = path.with_suffix(".pdf.tmp")
    HTML(string=html, base_url=str(base)).write_pdf(tmp)
    tmp.replace(path)


def write_report(
    pairs: Sequence[tuple[Initiative, UnitCostLibrary]],
    out_dir: Path,
    *,
    draws: int = 5000,
    seed: int = 0,
    require_pdf: bool = True,
) -> ReportFiles:
    """Write ``savings-report.html``, ``.pdf`` and ``savings-workbook.xlsx`` to ``out_dir``.

    Raises:
        SavingsError: the PDF cannot be made on this machine (no Pango) and ``require_pdf``;
            the HTML and the workbook are written first. Without ``require_pdf`` the files
            say why instead.
    """
    if not pairs:
        raise SavingsError("give at least one initiative to report on")
    out_dir.mkdir(parents=True, exist_ok=True)
    analyses = [analyse(ini, lib, draws=draws, seed=seed) for ini, lib in pairs]
    html_path = out_dir / "savings-report.html"
    pdf_path = out_dir / "savings-report.pdf"
    xlsx_path = out_dir / "savings-workbook.xlsx"
    write_workbook(analyses, xlsx_path)
    context = report_context(analyses, xlsx_path.name)
    html = report_html(analyses, xlsx_path.name, context=context)
    printed = report_html(analyses, xlsx_path.name, for_print=True, context=context)
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(html_path)
    pdf: Path | None = pdf_path
    note = ""
    try:
        _write_pdf(printed, pdf_path, out_dir)
    except SavingsError as exc:
        if require_pdf:
            raise
        pdf, note = None, str(exc)
    return ReportFiles(
        html=html_path,
        pdf=pdf,
        workbook=xlsx_path,
        initiatives=tuple(an.initiative.slug for an in analyses),
        pdf_note=note,
    )
