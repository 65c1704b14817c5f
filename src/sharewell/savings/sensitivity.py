"""Sensitivity: one-way (tornado) ranges, switching values, and Monte Carlo percentile bands.

Every uncertain input is an ``Input`` that knows how to set itself on an initiative or unit cost
library; one-way analysis and switching values re-run the engine, so they are exact. Monte
Carlo uses the fact that each line of an appraisal is linear in its events, unit cost,
(1 - deadweight) and cost multiplier, so 10,000 draws are a few array products.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sharewell.errors import SavingsError
from sharewell.savings.engine import Appraisal, appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = [
    "UNIT_COST_SPREAD",
    "Input",
    "MonteCarlo",
    "TornadoBar",
    "inputs_for",
    "monte_carlo",
    "monte_carlo_naive",
    "npv_of",
    "switching_value",
    "tornado",
]

UNIT_COST_SPREAD: dict[int, float] = {1: 0.05, 2: 0.10, 3: 0.20, 4: 0.30, 5: 0.40, 6: 0.50}
"""Plus or minus this share of a unit cost, by its confidence grade (an assumption)."""

Pair = tuple[Initiative, UnitCostLibrary]


@dataclass(frozen=True)
class Input:
    """An uncertain input: its name, central, low and high values, and how to set it."""

    name: str
    kind: str
    """``parameter``, ``events``, ``deadweight``, ``unit_cost`` or ``costs``."""
    key: str
    central: float
    low: float
    high: float

    def apply(self, initiative: Initiative, library: UnitCostLibrary, value: float) -> Pair:
        """The initiative and library with this input set to ``value``."""
        if self.kind == "parameter":
            p = initiative.parameters[self.key].model_copy(update={"value": value})
            params = {**initiative.parameters, self.key: p}
            return initiative.model_copy(update={"parameters": params}), library
        if self.kind in ("events", "deadweight"):
            field = "events_avoided" if self.kind == "events" else "deadweight"
            outcomes = [
                o.model_copy(update={field: value}) if o.name == self.key else o
                for o in initiative.outcomes
            ]
            return initiative.model_copy(update={"outcomes": outcomes}), library
        if self.kind == "unit_cost":
            cost = library.costs[self.key]
            scaled = replace(
                cost, parts=tuple(replace(p, amount=p.amount * value) for p in cost.parts)
            )
            return initiative, replace(library, costs={**library.costs, self.key: scaled})
        if self.kind == "costs":
            costs = [
                c.model_copy(
                    update={"setup": _scale(c.setup, value), "running": _scale(c.running, value)}
                )
                for c in initiative.costs
            ]
            return initiative.model_copy(update={"costs": costs}), library
        raise SavingsError(f"unknown input kind {self.kind!r}")


def _scale(value: float | list[float], k: float) -> float | list[float]:
    return [v * k for v in value] if isinstance(value, list) else value * k


def inputs_for(initiative: Initiative, library: UnitCostLibrary) -> list[Input]:
    """Every uncertain input of an initiative that has a range."""
    out: list[Input] = []
    for name, p in initiative.parameters.items():
        if p.low is not None and p.high is not None and p.low != p.high:
            out.append(Input(f"{p.description or name}", "parameter", name, p.value, p.low, p.high))
    for o in initiative.outcomes:
        rng = o.events_range()
        central = o.central_events()
        if rng is not None and not isinstance(central, list):
            out.append(Input(o.name, "events", o.name, float(central), rng[0], rng[1]))
        if o.deadweight_range is not None:
            dw = initiative.deadweight if o.deadweight is None else o.deadweight
            lo, hi = o.deadweight_range
            out.append(Input(f"Deadweight: {o.name}", "deadweight", o.name, dw, lo, hi))
    codes = sorted({c for o in initiative.outcomes for c in o.unit_costs})
    for code in codes:
        cost = library.get(code)
        spread = UNIT_COST_SPREAD.get(cost.confidence_grade, 0.5)
        out.append(Input(f"Unit cost: {cost.item}", "unit_cost", code, 1.0, 1 - spread, 1 + spread))
    lo, hi = initiative.cost_range
    if lo != hi:
        out.append(Input("Costs of the initiative", "costs", "", 1.0, lo, hi))
    return out


def npv_of(appraisal: Appraisal, partner: str | None) -> float:
    """Net present value for one partner, or all public bodies when ``partner`` is None."""
    if partner is None:
        return appraisal.total.npv
    try:
        return appraisal.agency(partner).npv
    except KeyError:
        return 0.0


@dataclass(frozen=True)
class TornadoBar:
    """NPV with one input at its low and at its high value, the rest at central values."""

    name: str
    low_value: float
    high_value: float
    npv_at_low: float
    npv_at_high: float

    @property
    def swing(self) -> float:
        """How far the NPV moves across the input's range."""
        return abs(self.npv_at_high - self.npv_at_low)


def tornado(
    initiative: Initiative, library: UnitCostLibrary, partner: str | None = None
) -> tuple[float, list[TornadoBar]]:
    """Central NPV and one bar per uncertain input, widest swing first."""
    central = npv_of(appraise(initiative, library), partner)
    bars = []
    for inp in inputs_for(initiative, library):
        lo = npv_of(appraise(*inp.apply(initiative, library, inp.low)), partner)
        hi = npv_of(appraise(*inp.apply(initiative, library, inp.high)), partner)
        bars.append(TornadoBar(inp.name, inp.low, inp.high, lo, hi))
    bars.sort(key=lambda b: b.swing, reverse=True)
    return central, bars


def switching_value(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    parameter: str,
    partner: str | None,
    lo: float = 0.0,
    hi: float = 1.0,
    tol: float = 1e-7,
) -> float | None:
    """The value of ``parameter`` at which the partner's NPV is zero, or None if not in range."""
    if parameter not in initiative.parameters:
        known = ", ".join(initiative.parameters) or "none"
        raise SavingsError(f"{initiative.slug}: no parameter {parameter!r} (parameters: {known})")
    inp = Input(parameter, "parameter", parameter, 0.0, lo, hi)

    def f(x: float) -> float:
        return npv_of(appraise(*inp.apply(initiative, library, x)), partner)

    f_lo, f_hi = f(lo), f(hi)
    if f_lo == 0 and f_hi == 0:
        return None  # the partner neither gains nor loses whatever the value
    if f_lo == 0:
        return lo
    if f_lo * f_hi > 0:
        return None
    # Bisection: NPV is monotone in a parameter that scales events; 60 halvings is plenty.
    for _ in range(60):
        mid = (lo + hi) / 2
        f_mid = f(mid)
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2


@dataclass(frozen=True)
class MonteCarlo:
    """Distribution of NPV over random draws of every uncertain input."""

    partner: str | None
    draws: int
    npv: np.ndarray
    """One NPV per draw."""
    cumulative: np.ndarray
    """Cumulative NPV to the end of each year: one row per draw, one column per year."""

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of NPV."""
        return float(np.percentile(self.npv, q))

    @property
    def bands(self) -> dict[str, float]:
        """The 5th, 25th, 50th, 75th and 95th percentiles."""
        return {f"p{q}": self.percentile(q) for q in (5, 25, 50, 75, 95)}

    def bands_by_year(
        self, qs: tuple[float, ...] = (5, 25, 50, 75, 95)
    ) -> dict[float, list[float]]:
        """Percentiles of cumulative NPV at the end of each year, by percentile."""
        values = np.percentile(self.cumulative, qs, axis=0)
        return {q: [float(v) for v in row] for q, row in zip(qs, values, strict=True)}

    @property
    def probability_positive(self) -> float:
        """Share of draws in which NPV is above zero."""
        return float(np.mean(self.npv > 0))


def _draw(rng: np.random.Generator, inp: Input, n: int) -> np.ndarray:
    lo, mode, hi = inp.low, inp.central, inp.high
    if hi <= lo:
        return np.full(n, mode)
    return rng.triangular(lo, min(max(mode, lo), hi), hi, size=n)


def monte_carlo(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    partner: str | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> MonteCarlo:
    """NPV over ``draws`` triangular draws of every input (vectorised over the draws)."""
    base = appraise(initiative, library)
    inputs = inputs_for(initiative, library)
    rng = np.random.default_rng(seed)
    samples = {(i.kind, i.key): _draw(rng, i, draws) for i in inputs}
    ones = np.ones(draws)
    outcome_by_name = {o.name: o for o in initiative.outcomes}
    by_year = np.zeros((initiative.horizon_years, draws))
    for line in base.lines:
        if line.value_type != "fiscal":
            continue
        if partner is not None and line.partner != partner:
            continue
        if line.kind == "cost":
            by_year[line.year - 1] -= line.present_value * samples.get(("costs", ""), ones)
            continue
        outcome = outcome_by_name[line.label]
        factor = samples.get(("unit_cost", line.code), ones)
        central = outcome.central_events()
        if ("events", outcome.name) in samples and not isinstance(central, list) and central:
            factor = factor * samples[("events", outcome.name)] / central
        for name in outcome.times:
            p = initiative.parameters[name].value
            if ("parameter", name) in samples and p:
                factor = factor * samples[("parameter", name)] / p
        if ("deadweight", outcome.name) in samples and line.deadweight < 1:
            factor = factor * (1 - samples[("deadweight", outcome.name)]) / (1 - line.deadweight)
        by_year[line.year - 1] += line.present_value * factor
    cumulative = np.cumsum(by_year, axis=0).T
    return MonteCarlo(partner=partner, draws=draws, npv=cumulative[:, -1], cumulative=cumulative)


def monte_carlo_naive(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    partner: str | None = None,
    draws: int = 1_000,
    seed: int = 0,
    on_draw: Callable[[int], None] | None = None,
) -> list[float]:
    """The same Monte Carlo by re-running the engine per draw (slow; a check and a baseline)."""
    import random

    rng = random.Random(seed)
    inputs = inputs_for(initiative, library)
    out = []
    for d in range(draws):
        ini, lib = initiative, library
        for inp in inputs:
            value = (
                rng.triangular(inp.low, inp.high, inp.central)
                if inp.high > inp.low
                else inp.central
            )
            ini, lib = inp.apply(ini, lib, value)
        out.append(npv_of(appraise(ini, lib), partner))
        if on_draw is not None:
            on_draw(d)
    return out
