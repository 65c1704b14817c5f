"""Fair cost sharing: contributions to a pooled budget so that every partner comes out ahead.

Both proposals are in present values and run on a **basis**: ``cash`` (the benefits that can
leave a budget, which is what can pay into a pooled budget) by default, or ``total`` (counting
freed capacity as well). A split is proposed only when the partners' benefits on that basis
exceed the cost; otherwise no split can leave every partner ahead, and none is proposed.

- **proportional to benefit** (one initiative): a partner that loses is first compensated for
  its loss; the rest of the cost is split in proportion to each gainer's benefit.
- **Shapley value** (several initiatives): the surplus of the portfolio is split by each
  partner's average marginal contribution to the coalitions that could fund it, and each
  partner pays its benefit less its share of the surplus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import factorial

from sharewell.errors import SavingsError
from sharewell.savings.engine import AgencyResult, Appraisal
from sharewell.savings.sensitivity import Basis

__all__ = [
    "BASIS_WORDS",
    "CostShare",
    "ShareRow",
    "partner_benefits",
    "proportional_shares",
    "proportional_split",
    "shapley_shares",
    "shapley_values",
]

BASIS_WORDS: dict[str, str] = {"cash": "cash", "total": "cash and capacity"}


@dataclass(frozen=True)
class ShareRow:
    """One partner's position today and under the proposal (present values)."""

    partner: str
    name: str
    benefit: float
    """Benefit on the proposal's basis (cash, or cash and capacity)."""
    pays_today: float
    proposed: float | None
    """None: no split is proposed (the partners' benefits do not cover the cost)."""

    @property
    def net_today(self) -> float:
        """Benefit less what the partner pays under today's funding."""
        return self.benefit - self.pays_today

    @property
    def net_proposed(self) -> float | None:
        """Benefit less the proposed contribution (None without a proposal)."""
        return None if self.proposed is None else self.benefit - self.proposed


@dataclass(frozen=True)
class CostShare:
    """A proposed split of the cost, beside today's funding."""

    method: str
    basis: Basis
    cost: float
    rows: tuple[ShareRow, ...]
    funded: tuple[str, ...]
    """Initiatives whose cost is shared (those whose partners' benefits exceed their cost)."""
    note: str = ""

    @property
    def proposed(self) -> bool:
        """Whether a split is proposed at all."""
        return bool(self.funded)

    def row(self, partner: str) -> ShareRow | None:
        """The row of one partner, if it is in the split."""
        return next((r for r in self.rows if r.partner == partner), None)


def _benefit(a: AgencyResult, basis: Basis) -> float:
    return a.cashable_pv if basis == "cash" else a.benefits_pv


def partner_benefits(appraisal: Appraisal, basis: Basis = "cash") -> dict[str, float]:
    """Each partner's benefit on ``basis`` (not the bodies outside the partnership)."""
    return {a.partner: _benefit(a, basis) for a in appraisal.agencies if a.is_partner}


def _names(appraisals: Sequence[Appraisal]) -> dict[str, str]:
    names: dict[str, str] = {}
    for ap in appraisals:
        names.update({a.partner: a.name for a in ap.agencies if a.is_partner})
    return names


def proportional_split(benefits: Mapping[str, float], cost: float) -> dict[str, float]:
    """Contributions summing to ``cost``: losers compensated, the rest pro rata to gains.

    Only meaningful when the benefits exceed the cost (``proportional_shares`` checks).
    """
    losses = sum(-b for b in benefits.values() if b < 0)
    gains = sum(b for b in benefits.values() if b > 0)
    if gains <= 0:
        raise SavingsError("no partner gains, so there is nothing to share the cost by")
    to_share = cost + losses
    # A loser's contribution is negative: the pool pays it its loss; gainers share the rest.
    return {slug: b if b < 0 else to_share * b / gains for slug, b in benefits.items()}


def _no_split(basis: Basis, benefit: float, cost: float) -> str:
    return (
        f"No split of the cost leaves every partner ahead: counting {BASIS_WORDS[basis]}, the "
        f"partners get back £{max(benefit, 0):,.0f} for a cost of £{cost:,.0f}. "
        "No split is proposed."
    )


def proportional_shares(appraisal: Appraisal, basis: Basis = "cash") -> CostShare:
    """Split one initiative's cost in proportion to each partner's benefit on ``basis``."""
    benefits = partner_benefits(appraisal, basis)
    today = {a.partner: a.costs_pv for a in appraisal.agencies if a.is_partner}
    cost = appraisal.total.costs_pv
    names = _names([appraisal])
    fundable = sum(benefits.values()) > cost and cost > 0
    proposal = proportional_split(benefits, cost) if fundable else {}
    note = "" if fundable else _no_split(basis, sum(benefits.values()), cost)
    outside = _benefit(appraisal.total, basis) - sum(benefits.values())
    if outside >= 0.5:
        note += f" Benefits of £{outside:,.0f} fall to public bodies outside the partnership."
    rows = tuple(
        ShareRow(slug, names[slug], benefits[slug], today[slug], proposal.get(slug))
        for slug in benefits
    )
    return CostShare(
        method="proportional to benefit",
        basis=basis,
        cost=cost,
        rows=rows,
        funded=(appraisal.initiative.slug,) if fundable else (),
        note=note.strip(),
    )


def shapley_values(
    players: Sequence[str], value: Mapping[frozenset[str], float]
) -> dict[str, float]:
    """Exact Shapley values of a game given the value of every coalition."""
    n = len(players)
    if n > 12:
        raise SavingsError(f"Shapley values over {n} partners need too many coalitions (max 12)")
    phi = dict.fromkeys(players, 0.0)
    for i in players:
        others = [p for p in players if p != i]
        for k in range(n):
            weight = factorial(k) * factorial(n - k - 1) / factorial(n)
            for coalition in combinations(others, k):
                s = frozenset(coalition)
                phi[i] += weight * (value[s | {i}] - value[s])
    return phi


def shapley_shares(appraisals: Sequence[Appraisal], basis: Basis = "cash") -> CostShare:
    """Split the cost of every worthwhile initiative by Shapley value of the partners' surplus."""
    if not appraisals:
        raise SavingsError("give at least one initiative to share the cost of")
    benefit = {ap.initiative.slug: partner_benefits(ap, basis) for ap in appraisals}
    funded = [
        ap for ap in appraisals if sum(benefit[ap.initiative.slug].values()) > ap.total.costs_pv
    ]
    names = _names(appraisals)
    players = sorted(names)
    # A partner that loses from an initiative is compensated first, so every benefit in the
    # game is non-negative and the game is monotone: no partner's Shapley value is negative.
    gains, hurdle = {}, {}
    for ap in funded:
        own = benefit[ap.initiative.slug]
        gains[ap.initiative.slug] = {p: max(0.0, own.get(p, 0.0)) for p in players}
        losses = sum(max(0.0, -own.get(p, 0.0)) for p in players)
        hurdle[ap.initiative.slug] = ap.total.costs_pv + losses
    value: dict[frozenset[str], float] = {}
    for k in range(len(players) + 1):
        for coalition in combinations(players, k):
            s = frozenset(coalition)
            value[s] = sum(max(0.0, sum(gains[i][p] for p in s) - hurdle[i]) for i in gains)
    phi = shapley_values(players, value)
    rows = []
    for p in players:
        got = sum(benefit[ap.initiative.slug].get(p, 0.0) for ap in funded)
        today = sum(a.costs_pv for ap in funded for a in ap.agencies if a.partner == p)
        # Pays its benefit less its share of the surplus, so its net benefit is its Shapley value.
        rows.append(ShareRow(p, names[p], got, today, got - phi[p] if funded else None))
    unfunded = [ap.initiative.name for ap in appraisals if ap not in funded]
    note = ""
    if unfunded:
        note = (
            f"Not funded, because counting {BASIS_WORDS[basis]} the partners' benefits do not "
            f"cover the cost: {', '.join(unfunded)}."
        )
    if not funded:
        note += " No split is proposed."
    return CostShare(
        method="Shapley value across initiatives",
        basis=basis,
        cost=sum(ap.total.costs_pv for ap in funded),
        rows=tuple(rows),
        funded=tuple(ap.initiative.slug for ap in funded),
        note=note.strip(),
    )
