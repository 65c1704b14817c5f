"""Everything the report and the web page show for an initiative, worked out once (pure).

``analyse`` appraises an initiative and runs its sensitivity, Monte Carlo, scenarios and cost
shares; ``answer_boxes`` turns a set of analyses into the answer page: one box per organisation,
one row per initiative, with its cash NPV, capacity value, chance of coming out ahead, the
break-even value and what it would pay under the proposal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sharewell.savings.answer import Answer, answers_for, describe_value, money
from sharewell.savings.engine import Appraisal, appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.montecarlo import MonteCarlo, monte_carlo_by_partner
from sharewell.savings.scenarios import ScenarioResult, scenario_results
from sharewell.savings.sensitivity import TornadoBar, switching_value, tornado
from sharewell.savings.sharing import CostShare, proportional_shares, shapley_shares
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = [
    "AnswerBox",
    "AnswerRow",
    "InitiativeAnalysis",
    "Portfolio",
    "analyse",
    "answer_boxes",
    "portfolio",
]


@dataclass(frozen=True)
class InitiativeAnalysis:
    """An initiative's appraisal and everything worked out from it."""

    appraisal: Appraisal
    library: UnitCostLibrary
    answers: dict[str, Answer]
    monte_carlo: dict[str | None, MonteCarlo]
    """Partner slug (None: all public bodies) -> Monte Carlo, all from the same draws."""
    tornado_central: float
    tornado: tuple[TornadoBar, ...]
    """All public bodies, counting capacity."""
    cash_tornado: tuple[TornadoBar, ...]
    """All public bodies, cash."""
    switching: dict[str, dict[str, float | None]]
    """Parameter -> partner -> value at which that partner's NPV is zero (None: not in range)."""
    share: CostShare
    """Proportional split on the cash basis (or the statement that none is proposed)."""
    share_with_capacity: CostShare
    scenarios: tuple[ScenarioResult, ...]
    off_centre: tuple[str, ...]
    """Inputs whose central value is not central and cite no source (should be none)."""

    @property
    def initiative(self) -> Initiative:
        """The initiative appraised."""
        return self.appraisal.initiative

    @property
    def measured(self) -> tuple[str, ...]:
        """Outcomes measured from the partnership's linked data."""
        return tuple(o.name for o in self.initiative.outcomes if o.measured)


def analyse(
    initiative: Initiative, library: UnitCostLibrary, *, draws: int = 5000, seed: int = 0
) -> InitiativeAnalysis:
    """Appraise an initiative and run its sensitivity analyses, scenarios and cost shares."""
    appraisal = appraise(initiative, library)
    central, bars = tornado(initiative, library)
    _, cash_bars = tornado(initiative, library, basis="cash")
    switching: dict[str, dict[str, float | None]] = {}
    for name, p in initiative.parameters.items():
        top = max(p.value, p.high or p.value)
        hi = 1.0 if top <= 1 else 5 * top  # shares stay within 0..1; counts may grow
        switching[name] = {
            slug: switching_value(initiative, library, parameter=name, partner=slug, lo=0.0, hi=hi)
            for slug in initiative.partners
        }
    mcs = monte_carlo_by_partner(initiative, library, draws=draws, seed=seed)
    return InitiativeAnalysis(
        appraisal=appraisal,
        library=library,
        answers=answers_for(appraisal, library, draws, monte_carlo=mcs),
        monte_carlo=mcs,
        tornado_central=central,
        tornado=tuple(bars),
        cash_tornado=tuple(cash_bars),
        switching=switching,
        share=proportional_shares(appraisal, "cash"),
        share_with_capacity=proportional_shares(appraisal, "total"),
        scenarios=tuple(scenario_results(initiative, library)),
        off_centre=tuple(initiative.off_centre()),
    )


@dataclass(frozen=True)
class Portfolio:
    """The cost of several initiatives shared by Shapley value, in cash and counting capacity."""

    cash: CostShare
    with_capacity: CostShare


def portfolio(analyses: Sequence[InitiativeAnalysis]) -> Portfolio:
    """Shapley splits of every initiative's cost, on both bases."""
    aps = [a.appraisal for a in analyses]
    return Portfolio(shapley_shares(aps, "cash"), shapley_shares(aps, "total"))


# --- the answer page ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """One initiative as one organisation sees it (every figure already worded)."""

    initiative: str
    verdict: str
    cost: str
    cash_npv: str
    cash_ahead: bool
    loses: bool
    """Whether it comes out behind even counting capacity."""
    capacity: str
    npv: str
    chance_cash: str
    chance_with_capacity: str
    break_even: str
    pays: str
    measured: bool


@dataclass(frozen=True)
class AnswerBox:
    """One organisation's answer across the initiatives."""

    organisation: str
    name: str
    rows: tuple[AnswerRow, ...]
    unaffected: tuple[str, ...] = ()
    """Initiatives that neither cost nor benefit the organisation (no row of their own)."""


def _verdict(cost: float, cash_npv: float, npv: float) -> str:
    if abs(cost) <= 0.5 and abs(npv) <= 0.5:
        return "Not affected"
    if cash_npv > 0.5:
        return "Saves cash" if cost > 0.5 else "Saves cash at no cost to it"
    if npv > 0.5:
        return (
            "Costs cash; the capacity it frees is worth more"
            if cost > 0.5
            else "Frees capacity at no cost to it"
        )
    return "Costs more than it returns, even counting capacity"


def _break_even_text(answer: Answer) -> str:
    be = answer.break_even
    if answer.result.costs_pv <= 0.5 and answer.result.benefits_pv >= -0.5:
        return "- (pays nothing)"
    if be is None:
        return "no uncertain input moves it"
    name = be.input.label
    if be.value is None:
        return f"no value of {name} (the input that moves it most)"
    if be.input.kind == "costs":
        if be.value < 0.005:
            return "only if it costs nothing"
        return f"costs {'≥' if be.rising else '≤'} {be.value:.0%} of the estimate"
    word = "≥" if be.rising else "≤"
    used = describe_value(be.input, be.input.central)
    return f"{name} {word} {describe_value(be.input, be.value)} (uses {used})"


def _pays_text(analysis: InitiativeAnalysis, org: str) -> str:
    cash = analysis.share.row(org)
    if cash is not None and cash.proposed is not None:
        return f"{money(cash.proposed)} (cash split)"
    other = analysis.share_with_capacity.row(org)
    if other is not None and other.proposed is not None:
        return f"no cash split; {money(other.proposed)} counting capacity"
    return "no split proposed"


def answer_boxes(analyses: Sequence[InitiativeAnalysis]) -> list[AnswerBox]:
    """One box per partner organisation, one row per initiative it is a partner in."""
    names: dict[str, str] = {}
    for an in analyses:
        names.update({slug: p.name for slug, p in an.initiative.partners.items()})
    boxes = []
    for org, name in names.items():
        rows, unaffected = [], []
        for an in analyses:
            if org not in an.answers:
                continue
            ans, r = an.answers[org], an.answers[org].result
            if abs(r.costs_pv) <= 0.5 and abs(r.benefits_pv) <= 0.5:
                unaffected.append(an.initiative.label)
                continue
            rows.append(
                AnswerRow(
                    initiative=an.initiative.label,
                    verdict=_verdict(r.costs_pv, r.cash_npv, r.npv),
                    cost=money(r.costs_pv),
                    cash_npv=money(r.cash_npv),
                    cash_ahead=r.cash_npv > 0.5,
                    loses=r.npv < -0.5,
                    capacity=money(r.capacity_pv),
                    npv=money(r.npv),
                    chance_cash=f"{ans.probability_cash_ahead or 0:.0%}",
                    chance_with_capacity=f"{ans.probability_ahead or 0:.0%}",
                    break_even=_break_even_text(ans),
                    pays=_pays_text(an, org),
                    measured=bool(ans.measured),
                )
            )
        boxes.append(AnswerBox(org, name, tuple(rows), tuple(unaffected)))
    return boxes
