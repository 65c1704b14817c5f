"""Monte Carlo: NPV (cash, and counting capacity) over random draws of every uncertain input.

Each line of an appraisal is linear in its events, unit cost, (1 - deadweight), attribution,
cohort rates and cost multiplier, so 10,000 draws are a few array products over the central
lines. One set of draws serves every partner (``monte_carlo_by_partner``), so the chances of
coming out ahead that the report puts side by side come from the same simulated futures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sharewell.savings.engine import appraise
from sharewell.savings.initiative import Initiative
from sharewell.savings.sensitivity import Basis, Input, inputs_for, npv_of
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = ["MonteCarlo", "monte_carlo", "monte_carlo_by_partner", "monte_carlo_naive"]


@dataclass(frozen=True)
class MonteCarlo:
    """Distribution of NPV over random draws of every uncertain input, cash and with capacity."""

    partner: str | None
    draws: int
    npv: np.ndarray
    """One NPV counting capacity per draw."""
    cash_npv: np.ndarray
    """One cash NPV (cashable benefits less costs) per draw."""
    cumulative: np.ndarray
    """Cumulative NPV to the end of each year: one row per draw, one column per year."""
    cash_cumulative: np.ndarray

    def _values(self, basis: Basis) -> np.ndarray:
        return self.cash_npv if basis == "cash" else self.npv

    def percentile(self, q: float, basis: Basis = "total") -> float:
        """The ``q``-th percentile (0-100) of NPV."""
        return float(np.percentile(self._values(basis), q))

    def bands(self, basis: Basis = "total") -> dict[str, float]:
        """The 5th, 25th, 50th, 75th and 95th percentiles."""
        return {f"p{q}": self.percentile(q, basis) for q in (5, 25, 50, 75, 95)}

    def bands_by_year(
        self, qs: tuple[float, ...] = (5, 25, 50, 75, 95), basis: Basis = "total"
    ) -> dict[float, list[float]]:
        """Percentiles of cumulative NPV at the end of each year, by percentile."""
        cum = self.cash_cumulative if basis == "cash" else self.cumulative
        values = np.percentile(cum, qs, axis=0)
        return {q: [float(v) for v in row] for q, row in zip(qs, values, strict=True)}

    def chance_ahead(self, basis: Basis = "total") -> float:
        """Share of draws in which the NPV is above zero."""
        return float(np.mean(self._values(basis) > 0))

    @property
    def probability_positive(self) -> float:
        """Share of draws in which the NPV counting capacity is above zero."""
        return self.chance_ahead("total")


def _draw(rng: np.random.Generator, inp: Input, n: int) -> np.ndarray:
    lo, mode, hi = inp.low, inp.central, inp.high
    if hi <= lo:
        return np.full(n, mode)
    return rng.triangular(lo, min(max(mode, lo), hi), hi, size=n)


def _ratio(sample: np.ndarray, central: float) -> np.ndarray | float:
    return sample / central if central else 1.0


def monte_carlo_by_partner(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    draws: int = 10_000,
    seed: int = 0,
) -> dict[str | None, MonteCarlo]:
    """One Monte Carlo per partner (and None: all public bodies), from the same draws."""
    base = appraise(initiative, library)
    rng = np.random.default_rng(seed)
    samples = {(i.kind, i.key): _draw(rng, i, draws) for i in inputs_for(initiative, library)}
    ones = np.ones(draws)
    outcomes = {o.name: o for o in initiative.outcomes}
    h = initiative.horizon_years
    keys: list[str | None] = [None, *(a.partner for a in base.agencies)]
    total = {k: np.zeros((h, draws)) for k in keys}
    cash = {k: np.zeros((h, draws)) for k in keys}
    for line in base.lines:
        if line.value_type != "fiscal":
            continue
        if line.kind == "cost":
            value = line.present_value * samples.get(("costs", ""), ones)
            for k in (None, line.partner):
                total[k][line.year - 1] -= value
                cash[k][line.year - 1] -= value
            continue
        o = outcomes[line.label]
        factor: Any = samples.get(("unit_cost", line.code), ones)
        central = o.central_events()
        if ("events", o.name) in samples and not isinstance(central, list):
            factor = factor * _ratio(samples[("events", o.name)], float(central))
        if o.cohort is not None:
            for kind in ("engagement", "success"):
                if (kind, o.name) in samples:
                    factor = factor * _ratio(samples[(kind, o.name)], getattr(o.cohort, kind))
        for name in o.times:
            if ("parameter", name) in samples:
                p = initiative.parameters[name].value
                factor = factor * _ratio(samples[("parameter", name)], p)
        if ("deadweight", o.name) in samples and line.deadweight < 1:
            factor = factor * (1 - samples[("deadweight", o.name)]) / (1 - line.deadweight)
        if ("attribution", o.name) in samples:
            factor = factor * _ratio(samples[("attribution", o.name)], line.attribution)
        value = line.present_value * factor
        for k in (None, line.partner):
            total[k][line.year - 1] += value
            cash[k][line.year - 1] += value * line.cashable_share
    out = {}
    for k in keys:
        cum, cash_cum = np.cumsum(total[k], axis=0).T, np.cumsum(cash[k], axis=0).T
        out[k] = MonteCarlo(k, draws, cum[:, -1], cash_cum[:, -1], cum, cash_cum)
    return out


def monte_carlo(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    partner: str | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> MonteCarlo:
    """NPV over ``draws`` triangular draws of every input (vectorised over the draws)."""
    by_partner = monte_carlo_by_partner(initiative, library, draws=draws, seed=seed)
    if partner in by_partner:
        return by_partner[partner]
    zeros = np.zeros(draws)
    flat = np.zeros((draws, initiative.horizon_years))
    return MonteCarlo(partner, draws, zeros, zeros, flat, flat)


def monte_carlo_naive(
    initiative: Initiative,
    library: UnitCostLibrary,
    *,
    partner: str | None = None,
    draws: int = 1_000,
    seed: int = 0,
    basis: Basis = "total",
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
        out.append(npv_of(appraise(ini, lib), partner, basis))
        if on_draw is not None:
            on_draw(d)
    return out
