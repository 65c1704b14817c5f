"""Fair cost sharing: contributions to a pooled budget so that every partner comes out ahead.

Two proposals, both in present values and both summing exactly to the cost of what is funded:

- **proportional to benefit** (one initiative): a partner that loses is first compensated for
  its loss; the rest of the cost is split in proportion to each gainer's fiscal benefit. When
  the partnership's total NPV is positive, every partner's net benefit is then non-negative.
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
from sharewell.savings.engine import Appraisal

__all__ = ["CostShare", "ShareRow", "proportional_shares", "shapley_shares", "shapley_values"]


@dataclass(frozen=True)
class ShareRow:
    """One partner's position today and under the proposal (present values)."""

    partner: str
    name: str
    benefit: float
    pays_today: float
    proposed: float

    @property
    def net_today(self) -> float:
        """Benefit less what the partner pays under today's funding."""
        return self.benefit - self.pays_today

    @property
    def net_proposed(self) -> float:
        """Benefit less the proposed contribution."""
        return self.benefit - self.proposed


@dataclass(frozen=True)
class CostShare:
    """A proposed split of the cost, beside today's funding."""

    method: str
    cost: float
    rows: tuple[ShareRow, ...]
    funded: tuple[str, ...]
    """Initiatives whose cost is shared (those with positive total NPV)."""
    note: str = ""


def _partner_benefits(appraisal: Appraisal) -> dict[str, float]:
    return {a.partner: a.benefits_pv for a in appraisal.agencies if a.is_partner}


def _names(appraisals: Sequence[Appraisal]) -> dict[str, str]:
    names: dict[str, str] = {}
    for ap in appraisals:
        names.update({a.partner: a.name for a in ap.agencies if a.is_partner})
    return names


def proportional_split(benefits: Mapping[str, float], cost: float) -> dict[str, float]:
    """Contributions summing to ``cost``: losers compensated, the rest pro rata to gains."""
    losses = sum(-b for b in benefits.values() if b < 0)
    gains = sum(b for b in benefits.values() if b > 0)
    if gains <= 0:
        # Nobody gains, so nobody can compensate anyone: an equal split is all that is left.
        return {slug: cost / len(benefits) for slug in benefits}
    to_share = cost + losses
    # A loser's contribution is negative: the pool pays it its loss; gainers share the rest.
    return {slug: b if b < 0 else to_share * b / gains for slug, b in benefits.items()}


def proportional_shares(appraisal: Appraisal) -> CostShare:
    """Split one initiative's cost in proportion to each partner's fiscal benefit."""
    benefits = _partner_benefits(appraisal)
    today = {a.partner: a.costs_pv for a in appraisal.agencies if a.is_partner}
    cost = appraisal.total.costs_pv
    proposal = proportional_split(benefits, cost)
    outside = appraisal.total.benefits_pv - sum(benefits.values())
    note = ""
    if sum(benefits.values()) <= cost:
        note = (
            "The partners' benefits do not cover the cost, so no split leaves every partner "
            "ahead; the proposal still sums to the cost."
        )
    if outside > 0:
        note += f" Benefits of £{outside:,.0f} fall to public bodies outside the partnership."
    rows = tuple(
        ShareRow(slug, _names([appraisal])[slug], benefits[slug], today[slug], proposal[slug])
        for slug in benefits
    )
    return CostShare(
        method="proportional to benefit",
        cost=cost,
        rows=rows,
        funded=(appraisal.initiative.slug,),
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


def shapley_shares(appraisals: Sequence[Appraisal]) -> CostShare:
    """Split the cost of every worthwhile initiative by Shapley value of the partners' surplus."""
    if not appraisals:
        raise SavingsError("give at least one initiative to share the cost of")
    funded = [
        ap
        for ap in appraisals
        if ap.total.npv > 0 and sum(_partner_benefits(ap).values()) > ap.total.costs_pv
    ]
    names = _names(appraisals)
    players = sorted(names)
    # A partner that loses from an initiative is compensated first, so every benefit in the
    # game is non-negative and the game is monotone: no partner's Shapley value is negative.
    gains = {
        ap.initiative.slug: {p: max(0.0, _partner_benefits(ap).get(p, 0.0)) for p in players}
        for ap in funded
    }
    losses = {
        ap.initiative.slug: {p: max(0.0, -_partner_benefits(ap).get(p, 0.0)) for p in players}
        for ap in funded
    }
    hurdle = {
        ap.initiative.slug: ap.total.costs_pv + sum(losses[ap.initiative.slug].values())
        for ap in funded
    }

    value: dict[frozenset[str], float] = {}
    for k in range(len(players) + 1):
        for coalition in combinations(players, k):
            s = frozenset(coalition)
            value[s] = sum(max(0.0, sum(gains[i][p] for p in s) - hurdle[i]) for i in gains)
    phi = shapley_values(players, value)
    rows = []
    for p in players:
        benefit = sum(_partner_benefits(ap).get(p, 0.0) for ap in funded)
        today = sum(a.costs_pv for ap in funded for a in ap.agencies if a.partner == p)
        # Pays its benefit less its share of the surplus, so its net benefit is its Shapley value.
        rows.append(ShareRow(p, names[p], benefit, today, benefit - phi[p]))
    unfunded = [ap.initiative.slug for ap in appraisals if ap not in funded]
    note = (
        f"Not funded (the partners' benefits do not cover the cost): {', '.join(unfunded)}."
        if unfunded
        else ""
    )
    return CostShare(
        method="Shapley value across initiatives",
        cost=sum(ap.total.costs_pv for ap in funded),
        rows=tuple(rows),
        funded=tuple(ap.initiative.slug for ap in funded),
        note=note,
    )
