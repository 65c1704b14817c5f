"""The savings workbook: every line of every appraisal in Excel, with the arithmetic as formulas.

Finance teams check figures in Excel, so the workbook does not just list results: on the
``Lines`` sheet each benefit's amount is a formula of its events, unit cost, deadweight,
attribution, optimism bias and drop-off, and each present value a formula of the amount and
discount factor; the ``Answer`` sheet adds the lines up with SUMIFS. Whoever opens it can change
an input and see the answer move. Text from initiative files goes through ``safe_cell``, so no
name can start a formula of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sharewell.ingest.export import safe_cell
from sharewell.savings.tables import (
    LINE_HEAD,
    Table,
    inputs_table,
    scenario_table,
    share_table,
    unit_cost_table,
)

if TYPE_CHECKING:
    from sharewell.savings.analysis import InitiativeAnalysis

__all__ = ["LINE_COLUMNS", "write_workbook"]

LINE_COLUMNS = ("Initiative", *LINE_HEAD, "Cash present value £")
"""Columns A to R of the Lines sheet."""

ANSWER_COLUMNS = (
    "Initiative",
    "Organisation",
    "Name",
    "Cost",
    "Cash back",
    "Cash NPV",
    "Capacity value",
    "NPV with capacity",
    "Benefit-cost ratio",
    "Cash payback year",
    "Payback year with capacity",
    "Chance ahead in cash",
    "Chance ahead with capacity",
    "Pays under the cash split",
)


def _cell(value: Any) -> Any:
    return safe_cell(value) if isinstance(value, str) else value


def _header(ws: Worksheet, columns: Sequence[str]) -> None:
    ws.append([_cell(c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def _lines(ws: Worksheet, analyses: Sequence[InitiativeAnalysis]) -> int:
    _header(ws, LINE_COLUMNS)
    r = 1
    for an in analyses:
        for ln in an.appraisal.lines:
            r += 1
            amount: Any = ln.amount
            if ln.kind == "benefit":
                amount = f"=H{r}*I{r}*(1-J{r})*K{r}*(1-L{r})*M{r}"
            ws.append(
                [
                    _cell(an.initiative.slug),
                    ln.year,
                    _cell(ln.partner),
                    ln.kind,
                    _cell(ln.label),
                    _cell(ln.code),
                    ln.value_type,
                    ln.events,
                    ln.unit_amount,
                    ln.deadweight,
                    ln.attribution,
                    ln.optimism_bias,
                    ln.drop_off_factor,
                    ln.cashable_share,
                    amount,
                    ln.discount_factor,
                    f"=O{r}*P{r}",
                    f"=Q{r}*N{r}",
                ]
            )
    return r


def _sumifs(column: str, last: int, row: int, *criteria: tuple[str, str]) -> str:
    rng = f"Lines!${column}$2:${column}${last}"
    parts = [rng, f"Lines!$A$2:$A${last}", f"$A{row}", f"Lines!$C$2:$C${last}", f"$B{row}"]
    for col, value in criteria:
        parts += [f"Lines!${col}$2:${col}${last}", f'"{value}"']
    return "SUMIFS(" + ",".join(parts) + ")"


def _answer(ws: Worksheet, analyses: Sequence[InitiativeAnalysis], last: int) -> None:
    _header(ws, ANSWER_COLUMNS)
    r = 1
    for an in analyses:
        for a in an.appraisal.agencies:
            r += 1
            ans = an.answers.get(a.partner)
            row = an.share.row(a.partner)
            cost = _sumifs("Q", last, r, ("D", "cost"))
            cash = _sumifs("R", last, r, ("D", "benefit"), ("G", "fiscal"))
            benefit = _sumifs("Q", last, r, ("D", "benefit"), ("G", "fiscal"))
            ws.append(
                [
                    _cell(an.initiative.slug),
                    _cell(a.partner),
                    _cell(a.name),
                    f"={cost}",
                    f"={cash}",
                    f"=E{r}-D{r}",
                    f"={benefit}-E{r}",
                    f"={benefit}-D{r}",
                    f'=IF(D{r}>0,({benefit})/D{r},"")',
                    a.cash_payback_year if a.costs_pv > 0.5 else None,
                    a.payback_year if a.costs_pv > 0.5 else None,
                    None if ans is None else ans.probability_cash_ahead,
                    None if ans is None else ans.probability_ahead,
                    None if row is None else row.proposed,
                ]
            )
    for col in "DEFGHN":
        for cell in ws[col][1:]:
            cell.number_format = "£#,##0"
    for col in "LM":
        for cell in ws[col][1:]:
            cell.number_format = "0%"


def _table(ws: Worksheet, title: str, table: Table) -> None:
    ws.append([_cell(f"{title}: {table.caption}")])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append([_cell(h) for h in table.head])
    for row in table.rows:
        ws.append([_cell(v) for v in row])
    if table.note:
        ws.append([_cell(table.note)])
    ws.append([])


def write_workbook(analyses: Sequence[InitiativeAnalysis], path: Path) -> Path:
    """Write the workbook of every line, the answer and the inputs; returns its path."""
    wb = Workbook()
    readme = wb.active
    assert readme is not None
    readme.title = "Read me"
    for text in (
        "sharewell savings workbook: every figure of the savings report.",
        "Lines: every cost and benefit line; Amount and Present value are formulas of the row.",
        "Answer: each organisation's figures, added up from Lines with SUMIFS.",
        "Cash NPV = cash back - cost; capacity value = benefits that are not cash (staff "
        "time, places), worth money only if redeployed or removed.",
        "All figures are present values in the initiative's price year; sources are on the "
        "Unit costs and Inputs sheets and in docs/savings.md.",
    ):
        readme.append([_cell(text)])
    last = _lines(wb.create_sheet("Lines"), analyses)
    _answer(wb.create_sheet("Answer"), analyses, max(last, 2))
    wb.move_sheet("Answer", offset=-1)
    sheets = {
        "Inputs": lambda an: inputs_table(an.initiative),
        "Scenarios": lambda an: scenario_table(an.scenarios),
        "Unit costs": lambda an: unit_cost_table(an.appraisal),
    }
    for name, make in sheets.items():
        ws = wb.create_sheet(name)
        for an in analyses:
            _table(ws, an.initiative.name, make(an))
    ws = wb.create_sheet("Cost share")
    for an in analyses:
        _table(ws, an.initiative.name, share_table(an.share))
        _table(ws, an.initiative.name, share_table(an.share_with_capacity))
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path
