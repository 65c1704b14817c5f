"""Sensitivity: the uncertain inputs, one-way (tornado) ranges, and break-even (switching) values.

Every uncertain input is an ``Input`` that knows how to set itself on an initiative or unit cost
library; one-way analysis and break-even values re-run the engine, so they are exact. Each can
be taken on the **cash** basis (cashable benefits less costs) or on the basis that counts
freed **capacity** too (``total``): the two answers differ, and a finance officer needs both.
The Monte Carlo over the same inputs is in ``savings.montecarlo``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sharewell.errors import SavingsError
from sharewell.savings.engine import Appraisal, appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = [
    "UNIT_COST_SPREAD",
    "Basis",
    "BreakEven",
    "Input",
    "TornadoBar",
    "break_even",
    "decisive_break_even",
    "inputs_for",
    "npv_of",
    "switching_value",
    "tornado",
]

UNIT_COST_SPREAD: dict[int, float] = {1: 0.05, 2: 0.10, 3: 0.20, 4: 0.30, 5: 0.40, 6: 0.50}
"""Plus or minus this share of a unit cost, by its confidence grade (an assumption)."""

Basis = Literal["total", "cash"]
"""``cash``: cashable benefits less costs; ``total``: all fiscal benefits (cash and capacity)."""
Pair = tuple[Initiative, UnitCostLibrary]
SHARE_KINDS = ("engagement", "success", "deadweight", "attribution")


@dataclass(frozen=True)
class Input:
    """An uncertain input: its name, central, low and high values, and how to set it."""

    name: str
    kind: str
    """``parameter``, ``events``, ``engagement``, ``success``, ``deadweight``, ``attribution``,
    ``unit_cost`` or ``costs``."""
    key: str
    central: float
    low: float
    high: float
    short: str = ""
    """A short name for tables (default: the name without its bracketed part)."""

    @property
    def label(self) -> str:
        """The short name a table shows."""
        if self.short:
            return self.short
        return self.name.split(" (")[0]

    def apply(self, initiative: Initiative, library: UnitCostLibrary, value: float) -> Pair:
        """The initiative and library with this input set to ``value``."""
        if self.kind == "parameter":
            p = initiative.parameters[self.key].model_copy(update={"value": value})
            params = {**initiative.parameters, self.key: p}
            return initiative.model_copy(update={"parameters": params}), library
        if self.kind in ("events", "deadweight", "attribution", "engagement", "success"):
            outcomes = []
            for o in initiative.outcomes:
                if o.name == self.key and self.kind in ("engagement", "success"):
                    assert o.cohort is not None
                    cohort = o.cohort.model_copy(update={self.kind: value})
                    o = o.model_copy(update={"cohort": cohort})
                elif o.name == self.key:
                    field = "events_avoided" if self.kind == "events" else self.kind
                    o = o.model_copy(update={field: value})
                outcomes.append(o)
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

    def search_interval(self) -> tuple[float, float]:
        """Where to look for a break-even value: shares in 0..1, counts from 0 outwards."""
        if self.kind in SHARE_KINDS or (self.kind == "parameter" and max(self.high, 0) <= 1):
            return 0.0, 1.0
        if self.kind in ("unit_cost", "costs"):
            return 0.0, 10.0
        top = max(abs(self.low), abs(self.high), abs(self.central))
        return (0.0, 10 * top) if self.central >= 0 else (-10 * top, 0.0)


def _scale(value: float | list[float], k: float) -> float | list[float]:
    return [v * k for v in value] if isinstance(value, list) else value * k


def inputs_for(initiative: Initiative, library: UnitCostLibrary) -> list[Input]:
    """Every uncertain input of an initiative that has a range."""
    out: list[Input] = []
    for name, p in initiative.parameters.items():
        if p.low is not None and p.high is not None and p.low != p.high:
            desc = p.description or name
            out.append(Input(desc, "parameter", name, p.value, p.low, p.high, p.label))
    for o in initiative.outcomes:
        rng = o.events_range()
        central = o.central_events()
        if rng is not None and o.cohort is None and not isinstance(central, list):
            out.append(Input(o.name, "events", o.name, float(central), rng[0], rng[1]))
        if o.cohort is not None:
            for kind in ("engagement", "success"):
                crng = getattr(o.cohort, f"{kind}_range")
                if crng is not None:
                    value = getattr(o.cohort, kind)
                    out.append(Input(f"{kind.title()}: {o.name}", kind, o.name, value, *crng))
        if o.measured:
            continue  # a measured effect already nets off deadweight and attribution
        if o.deadweight_range is not None:
            dw = initiative.deadweight if o.deadweight is None else o.deadweight
            out.append(
                Input(f"Deadweight: {o.name}", "deadweight", o.name, dw, *o.deadweight_range)
            )
        if o.attribution_range is not None:
            att = initiative.attribution if o.attribution is None else o.attribution
            out.append(
                Input(f"Attribution: {o.name}", "attribution", o.name, att, *o.attribution_range)
            )
    codes = sorted({c for o in initiative.outcomes for c in o.unit_costs})
    for code in codes:
        cost = library.get(code)
        spread = UNIT_COST_SPREAD.get(cost.confidence_grade, 0.5)
        out.append(
            Input(f"Unit cost: {cost.item}", "unit_cost", code, 1.0, 1 - spread, 1 + spread, code)
        )
    lo, hi = initiative.cost_range
    if lo != hi:
        out.append(Input("Costs of the initiative", "costs", "", 1.0, lo, hi, "its costs"))
    return out


def npv_of(appraisal: Appraisal, partner: str | None, basis: Basis = "total") -> float:
    """NPV for one partner (all public bodies when None), in cash or counting capacity."""
    try:
        a = appraisal.total if partner is None else appraisal.agency(partner)
    except KeyError:
        return 0.0
    return a.cash_npv if basis == "cash" else a.npv


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
    initiative: Initiative,
    library: UnitCostLibrary,
    partner: str | None = None,
    basis: Basis = "total",
) -> tuple[float, list[TornadoBar]]:
    """Central NPV and one bar per uncertain input, widest swing first."""
    central = npv_of(appraise(initiative, library), partner, basis)
    bars = []
    for inp in inputs_for(initiative, library):
        lo = npv_of(appraise(*inp.apply(initiative, library, inp.low)), partner, basis)
        hi = npv_of(appraise(*inp.apply(initiative, library, inp.high)), partner, basis)
        bars.append(TornadoBar(inp.name, inp.low, inp.high, lo, hi))
    bars.sort(key=lambda b: b.swing, reverse=True)
    return central, bars


def break_even(
    initiative: Initiative,
    library: UnitCostLibrary,
    inp: Input,
    *,
    partner: str | None,
    basis: Basis = "total",
    lo: float | None = None,
    hi: float | None = None,
    tol: float = 1e-7,
) -> float | None:
    """The value of ``inp`` at which the partner's NPV is zero, or None if none in lo..hi."""
    default_lo, default_hi = inp.search_interval()
    lo = default_lo if lo is None else lo
    hi = default_hi if hi is None else hi

    def f(x: float) -> float:
        return npv_of(appraise(*inp.apply(initiative, library, x)), partner, basis)

    f_lo, f_hi = f(lo), f(hi)
    if abs(f_lo) < 1e-9 and abs(f_hi) < 1e-9:
        return None  # the partner neither gains nor loses whatever the value
    if f_lo == 0:
        return lo
    if f_lo * f_hi > 0:
        return None
    # Bisection: NPV is monotone in every input (each line is linear in it).
    for _ in range(80):
        mid = (lo + hi) / 2
        f_mid = f(mid)
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
        if hi - lo < tol * max(1.0, abs(hi)):
            break
    return (lo + hi) / 2


def switching_value(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    parameter: str,
    partner: str | None,
    lo: float = 0.0,
    hi: float = 1.0,
    basis: Basis = "total",
) -> float | None:
    """The value of ``parameter`` at which the partner's NPV is zero, or None if not in range."""
    if parameter not in initiative.parameters:
        known = ", ".join(initiative.parameters) or "none"
        raise SavingsError(f"{initiative.slug}: no parameter {parameter!r} (parameters: {known})")
    p = initiative.parameters[parameter]
    inp = Input(parameter, "parameter", parameter, p.value, p.low or p.value, p.high or p.value)
    return break_even(initiative, library, inp, partner=partner, basis=basis, lo=lo, hi=hi)


@dataclass(frozen=True)
class BreakEven:
    """The input that most moves a partner's NPV, and the value at which it breaks even."""

    input: Input
    value: float | None
    """None: no value in the search interval makes the NPV zero."""
    basis: Basis
    rising: bool
    """True: the partner comes out ahead at values above ``value``."""

    @property
    def within_range(self) -> bool:
        """Whether the break-even value lies inside the input's plausible range."""
        return self.value is not None and self.input.low <= self.value <= self.input.high


def decisive_break_even(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    partner: str,
    basis: Basis = "total",
) -> BreakEven | None:
    """Break-even value of the input whose range swings the partner's NPV most (None: no input)."""
    _, bars = tornado(initiative, library, partner, basis)
    if not bars or bars[0].swing <= 0:
        return None
    by_name = {i.name: i for i in inputs_for(initiative, library)}
    top = bars[0]
    inp = by_name[top.name]
    value = break_even(initiative, library, inp, partner=partner, basis=basis)
    return BreakEven(inp, value, basis, rising=top.npv_at_high > top.npv_at_low)
