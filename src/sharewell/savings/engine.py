"""The cost-benefit engine: pure functions from an initiative and unit costs to an appraisal.

Method (HM Treasury 2014, cost benefit analysis guidance for local partnerships): for each
year, events avoided x unit cost (in the initiative's price year) x (1 - deadweight) x
attribution x (1 - optimism bias for the evidence grade) x (1 - drop-off)^(year - 1),
attributed to the organisation that bears each part of the unit cost, then discounted with the
Green Book schedule. Year 1 is the Green Book's year 0 (not discounted). Every figure is kept
as a ``Line`` so the report can show where each number came from.

Cash and capacity are kept apart throughout: a benefit's cashable share can leave a budget, the
rest is capacity (officer hours, bed days) that is worth something only if it is redeployed.
An organisation's **cash NPV** is its cashable benefits less its costs; its **capacity value**
is the rest of its benefits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sharewell.errors import SavingsError
from sharewell.savings.initiative import Initiative, Outcome
from sharewell.savings.outcome import per_year
from sharewell.savings.unit_costs import UnitCost, UnitCostLibrary

__all__ = [
    "AgencyResult",
    "Appraisal",
    "Line",
    "appraise",
    "discount_factors",
    "green_book_rate",
    "outcome_adjustments",
    "outcome_events",
    "payback_year",
]


def green_book_rate(t: int) -> float:
    """Green Book discount rate for the step into Green Book year ``t`` (1-based step)."""
    if t <= 30:
        return 0.035
    if t <= 75:
        return 0.030
    return 0.025


def discount_factors(horizon: int, rate: float | None = None) -> list[float]:
    """Discount factor for each of ``horizon`` years; year 1 (Green Book year 0) is 1.0."""
    factors = [1.0]
    for t in range(1, horizon):
        r = green_book_rate(t) if rate is None else rate
        factors.append(factors[-1] / (1.0 + r))
    return factors


def outcome_events(initiative: Initiative, outcome: Outcome) -> list[float]:
    """Events avoided in each year, with the outcome's parameters applied (before adjustments)."""
    events = per_year(outcome.central_events(), initiative.horizon_years, single_year=False)
    scale = 1.0
    for name in outcome.times:
        scale *= initiative.parameters[name].value
    return [e * scale for e in events]


def outcome_adjustments(initiative: Initiative, outcome: Outcome) -> tuple[float, float]:
    """Deadweight and attribution of an outcome; none on an effect measured against controls."""
    if outcome.measured:
        return 0.0, 1.0
    dw = initiative.deadweight if outcome.deadweight is None else outcome.deadweight
    att = initiative.attribution if outcome.attribution is None else outcome.attribution
    return dw, att


def payback_year(costs: Sequence[float], benefits: Sequence[float]) -> int | None:
    """First year (1-based) in which cumulative benefits reach cumulative costs, if any."""
    cum_cost = cum_benefit = 0.0
    for year, (c, b) in enumerate(zip(costs, benefits, strict=True), start=1):
        cum_cost += c
        cum_benefit += b
        if cum_benefit > 0 and cum_benefit >= cum_cost - 1e-9:
            return year
    return None


@dataclass(frozen=True)
class Line:
    """One traceable figure: a cost or a benefit to one organisation in one year."""

    year: int
    partner: str
    kind: str
    """``cost`` or ``benefit``."""
    label: str
    """The cost item or outcome name."""
    code: str
    """The unit cost code (benefits only)."""
    value_type: str
    """``fiscal``, ``economic`` or ``social`` (costs are fiscal)."""
    events: float
    unit_amount: float
    deadweight: float
    attribution: float
    optimism_bias: float
    drop_off_factor: float
    cashable_share: float
    """Share of the amount that can leave a budget (costs: 1; capacity released: 0)."""
    amount: float
    """Real terms, undiscounted, in the initiative's price year."""
    discount_factor: float
    present_value: float

    @property
    def cashable_pv(self) -> float:
        """Present value of the cashable part."""
        return self.present_value * self.cashable_share


@dataclass(frozen=True)
class AgencyResult:
    """Costs and fiscal benefits to one organisation (or the partnership), in present values."""

    partner: str
    name: str
    org_type: str
    is_partner: bool
    costs_pv: float
    benefits_pv: float
    cashable_pv: float
    costs_by_year: tuple[float, ...]
    benefits_by_year: tuple[float, ...]
    cashable_by_year: tuple[float, ...]

    @property
    def non_cashable_pv(self) -> float:
        """Fiscal benefits that free capacity rather than cash."""
        return self.benefits_pv - self.cashable_pv

    @property
    def capacity_pv(self) -> float:
        """Capacity value: the non-cashable benefits (staff time, beds), not cash."""
        return self.non_cashable_pv

    @property
    def npv(self) -> float:
        """Net present value counting capacity: fiscal benefits (cash and capacity) less costs."""
        return self.benefits_pv - self.costs_pv

    @property
    def cash_npv(self) -> float:
        """Cash net present value: cashable benefits less costs (all costs are cash)."""
        return self.cashable_pv - self.costs_pv

    @property
    def cash_benefit_cost_ratio(self) -> float | None:
        """Cash back per pound of cost; None when there are no costs."""
        return self.cashable_pv / self.costs_pv if self.costs_pv > 0 else None

    @property
    def cash_payback_year(self) -> int | None:
        """First year in which discounted cash back to date covers discounted costs to date."""
        return payback_year(self.costs_by_year, self.cashable_by_year)

    @property
    def roi(self) -> float | None:
        """Return on investment, (benefits - costs) / costs; None when there are no costs."""
        return self.npv / self.costs_pv if self.costs_pv > 0 else None

    @property
    def benefit_cost_ratio(self) -> float | None:
        """Fiscal benefits per pound of cost; None when there are no costs."""
        return self.benefits_pv / self.costs_pv if self.costs_pv > 0 else None

    @property
    def payback_year(self) -> int | None:
        """First year in which discounted benefits to date cover discounted costs to date."""
        return payback_year(self.costs_by_year, self.benefits_by_year)

    @property
    def cumulative_net_by_year(self) -> tuple[float, ...]:
        """Discounted benefits less costs to the end of each year."""
        out, acc = [], 0.0
        for c, b in zip(self.costs_by_year, self.benefits_by_year, strict=True):
            acc += b - c
            out.append(acc)
        return tuple(out)


@dataclass(frozen=True)
class Appraisal:
    """The result of appraising one initiative: per organisation, totals and every line."""

    initiative: Initiative
    price_year: str
    library_version: str
    discount_factors: tuple[float, ...]
    agencies: tuple[AgencyResult, ...]
    total: AgencyResult
    economic_pv: float
    social_pv: float
    lines: tuple[Line, ...]
    unit_costs_used: tuple[UnitCost, ...]
    local_codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def public_value_pv(self) -> float:
        """Fiscal, economic and social benefits together, less costs."""
        return self.total.npv + self.economic_pv + self.social_pv

    def agency(self, slug: str) -> AgencyResult:
        """The result for one organisation by slug (KeyError if it has no costs or benefits)."""
        for a in self.agencies:
            if a.partner == slug:
                return a
        raise KeyError(slug)


def _cost_lines(initiative: Initiative, factors: Sequence[float]) -> list[Line]:
    lines = []
    uplift = 1.0 + initiative.cost_optimism_bias
    h = initiative.horizon_years
    for cost in initiative.costs:
        setup = per_year(cost.setup, h, single_year=True)
        running = per_year(cost.running, h, single_year=False)
        for payer, share in cost.shares().items():
            slug = initiative.payer(payer)
            for y in range(h):
                amount = (setup[y] + running[y]) * share * uplift
                if amount == 0:
                    continue
                lines.append(
                    Line(
                        year=y + 1,
                        partner=slug,
                        kind="cost",
                        label=cost.item,
                        code="",
                        value_type="fiscal",
                        events=0.0,
                        unit_amount=0.0,
                        deadweight=0.0,
                        attribution=1.0,
                        optimism_bias=initiative.cost_optimism_bias,
                        drop_off_factor=1.0,
                        cashable_share=1.0,
                        amount=amount,
                        discount_factor=factors[y],
                        present_value=amount * factors[y],
                    )
                )
    return lines


def _benefit_lines(
    initiative: Initiative, library: UnitCostLibrary, factors: Sequence[float]
) -> list[Line]:
    lines = []
    for outcome in initiative.outcomes:
        events = outcome_events(initiative, outcome)
        dw, attribution = outcome_adjustments(initiative, outcome)
        drop = initiative.drop_off if outcome.drop_off is None else outcome.drop_off
        for code, quantity in outcome.unit_costs.items():
            cost = library.get(code, where=f"{initiative.slug}: outcome {outcome.name!r}")
            # The weaker of the outcome evidence and the unit cost sets the correction.
            grade = max(outcome.grade, cost.confidence_grade)
            ob = initiative.optimism_bias.get(grade, max(initiative.optimism_bias.values()))
            for part in cost.parts:
                slug = initiative.partner_for(part.payer) or f"other:{part.payer}"
                for y, n in enumerate(events):
                    if n == 0:
                        continue
                    decay = (1.0 - drop) ** y
                    amount = n * quantity * part.amount * (1 - dw) * attribution * (1 - ob) * decay
                    cashable = part.cashable_share
                    if part.value_type == "fiscal":
                        cashable = outcome.cashable_share(y + 1, part.cashable_share)
                    lines.append(
                        Line(
                            year=y + 1,
                            partner=slug,
                            kind="benefit",
                            label=outcome.name,
                            code=code,
                            value_type=part.value_type,
                            events=n * quantity,
                            unit_amount=part.amount,
                            deadweight=dw,
                            attribution=attribution,
                            optimism_bias=ob,
                            drop_off_factor=decay,
                            cashable_share=cashable,
                            amount=amount,
                            discount_factor=factors[y],
                            present_value=amount * factors[y],
                        )
                    )
    return lines


def _result(
    slug: str, name: str, org_type: str, is_partner: bool, lines: Sequence[Line], horizon: int
) -> AgencyResult:
    costs = [0.0] * horizon
    benefits = [0.0] * horizon
    cashable = [0.0] * horizon
    for line in lines:
        if line.kind == "cost":
            costs[line.year - 1] += line.present_value
        elif line.value_type == "fiscal":
            benefits[line.year - 1] += line.present_value
            cashable[line.year - 1] += line.cashable_pv
    return AgencyResult(
        partner=slug,
        name=name,
        org_type=org_type,
        is_partner=is_partner,
        costs_pv=sum(costs),
        benefits_pv=sum(benefits),
        cashable_pv=sum(cashable),
        costs_by_year=tuple(costs),
        benefits_by_year=tuple(benefits),
        cashable_by_year=tuple(cashable),
    )


def appraise(initiative: Initiative, library: UnitCostLibrary) -> Appraisal:
    """Appraise ``initiative`` with unit costs from ``library`` (uprated to its price year)."""
    if not initiative.partners:
        raise SavingsError(
            f"{initiative.slug}: no partners; load it with the partnership's organisations "
            "(load_initiative, or Initiative.with_partnership)"
        )
    library = library.uprated(initiative.price_year)
    initiative.check_unit_costs(library)
    h = initiative.horizon_years
    factors = discount_factors(h, initiative.discount_rate)
    lines = _cost_lines(initiative, factors) + _benefit_lines(initiative, library, factors)
    agencies = []
    for slug, partner in initiative.partners.items():
        own = [ln for ln in lines if ln.partner == slug]
        agencies.append(_result(slug, partner.name, partner.type, True, own, h))
    others = sorted({ln.partner for ln in lines if ln.partner.startswith("other:")})
    for slug in others:
        org_type = slug.split(":", 1)[1]
        own = [ln for ln in lines if ln.partner == slug and ln.value_type == "fiscal"]
        if own:
            name = f"Other {org_type.replace('_', ' ')} bodies (not partners)"
            agencies.append(_result(slug, name, org_type, False, own, h))
    fiscal = [ln for ln in lines if ln.value_type == "fiscal"]
    total = _result("total", "All public bodies", "total", False, fiscal, h)
    codes = sorted({ln.code for ln in lines if ln.code})
    return Appraisal(
        initiative=initiative,
        price_year=initiative.price_year,
        library_version=library.version,
        discount_factors=tuple(factors),
        agencies=tuple(agencies),
        total=total,
        economic_pv=sum(ln.present_value for ln in lines if ln.value_type == "economic"),
        social_pv=sum(ln.present_value for ln in lines if ln.value_type == "social"),
        lines=tuple(lines),
        unit_costs_used=tuple(library.get(c) for c in codes),
        local_codes=frozenset(c for c in codes if c in library.local_codes),
    )
