"""What an initiative changes: outcomes, the cohorts they come from, and evidence measured for them.

An outcome's events a year come from one of three places (GMCA / New Economy CBA model):

- ``events_avoided``: a number (or one per year) the appraiser enters;
- ``cohort``: people a year x engagement rate x success rate x events per success;
- ``evidence``: an effect measured from the partnership's linked data against a comparison
  group, which already shows what would have happened anyway (so neither deadweight nor
  attribution to other services is applied on top of it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Amounts", "Cohort", "Evidence", "Outcome", "Share", "frozen", "per_year"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Amounts = float | list[float]


def frozen() -> ConfigDict:
    """The model configuration of every initiative model: immutable, unknown keys refused."""
    return ConfigDict(frozen=True, extra="forbid")


def per_year(value: Amounts, horizon: int, single_year: bool = False) -> list[float]:
    """A number or list as one amount per year (a single-year number goes in year 1)."""
    if isinstance(value, list):
        return [float(v) for v in value] + [0.0] * (horizon - len(value))
    if single_year:
        return [float(value)] + [0.0] * (horizon - 1)
    return [float(value)] * horizon


class Cohort(BaseModel):
    """The people an outcome comes from: how many, how many engage, for how many it works."""

    model_config = frozen()
    people: Amounts = Field(description="People a year eligible (a number or one per year).")
    engagement: Share = 1.0
    """Share of the people who take part."""
    success: Share = 1.0
    """Share of those taking part for whom the outcome changes."""
    events_per_success: float = 1.0
    """Events avoided a year for each person it works for (negative: more events)."""
    engagement_range: tuple[Share, Share] | None = None
    success_range: tuple[Share, Share] | None = None

    @model_validator(mode="after")
    def _ranges_hold_the_rate(self) -> Cohort:
        for name in ("engagement", "success"):
            rng = getattr(self, f"{name}_range")
            if rng is not None and not rng[0] <= getattr(self, name) <= rng[1]:
                raise ValueError(f"{name}_range {list(rng)} does not contain {name}")
        return self

    def events(self) -> Amounts:
        """Events avoided a year (one per year when people is a list)."""
        k = self.engagement * self.success * self.events_per_success
        if isinstance(self.people, list):
            return [p * k for p in self.people]
        return self.people * k


class Evidence(BaseModel):
    """An effect measured from linked data (see ``sharewell.savings.evidence``)."""

    model_config = frozen()
    effect_per_person_month: float
    """Change in events per person-month (negative: fewer events)."""
    ci_low: float
    ci_high: float
    people_per_year: float = Field(gt=0)
    months_followed: float = Field(default=12.0, gt=0)
    confidence_grade: int = Field(ge=1, le=6)
    clear: bool = True
    """Whether the (corrected) interval excludes zero; if not, the central case counts no
    events and the interval is kept as the range."""
    source: str = ""

    def events_avoided(self, effect: float | None = None) -> float:
        """Events avoided per year implied by an effect (default: the central case)."""
        if effect is None:
            effect = self.effect_per_person_month if self.clear else 0.0
        return -effect * self.months_followed * self.people_per_year


class Outcome(BaseModel):
    """Events an initiative changes each year, and the unit costs each event moves."""

    model_config = frozen()
    name: str
    events_avoided: Amounts | None = None
    """Events avoided per year (negative: more events); a number or one per year."""
    cohort: Cohort | None = None
    times: list[str] = []
    """Names of parameters the events are multiplied by."""
    range: tuple[float, float] | None = None
    """Low and high events avoided per year, for sensitivity and Monte Carlo."""
    unit_costs: dict[str, float]
    """Unit cost code to quantity moved per event (usually 1)."""
    confidence_grade: int | None = Field(default=None, ge=1, le=6)
    deadweight: Share | None = None
    deadweight_range: tuple[Share, Share] | None = None
    attribution: Share | None = None
    """Share of the change owed to this initiative (default: the initiative's)."""
    attribution_range: tuple[Share, Share] | None = None
    drop_off: Share | None = None
    cashable_by_year: list[Share] | None = None
    """Cashable share of every fiscal saving of this outcome, year by year (the last value
    carries on): e.g. ``[0, 0.5, 1]`` once a contract can be cut. Default: the unit cost's."""
    evidence: Evidence | None = None
    source: str = ""

    @model_validator(mode="after")
    def _events_given(self) -> Outcome:
        given = [k for k in ("events_avoided", "cohort") if getattr(self, k) is not None]
        if not given and self.evidence is None:
            raise ValueError("give events_avoided, a cohort, or evidence measured from linked data")
        if len(given) > 1:
            raise ValueError("give events_avoided or a cohort, not both")
        if self.cohort is not None and self.range is not None:
            raise ValueError("a cohort outcome takes engagement_range and success_range, not range")
        if self.confidence_grade is None and self.evidence is None:
            raise ValueError("give a confidence_grade (1 best to 6 weakest)")
        if not self.unit_costs:
            raise ValueError("name at least one unit cost the outcome moves")
        if self.measured and (self.deadweight is not None or self.attribution is not None):
            raise ValueError(
                "an effect measured against a comparison group already nets off what would "
                "have happened anyway: give no deadweight or attribution with evidence"
            )
        return self

    @property
    def measured(self) -> bool:
        """Whether the events come from evidence measured against a comparison group."""
        return self.evidence is not None and self.events_avoided is None and self.cohort is None

    @property
    def grade(self) -> int:
        """Confidence grade of the evidence for this outcome."""
        if self.confidence_grade is not None:
            return self.confidence_grade
        return self.evidence.confidence_grade if self.evidence is not None else 6

    def central_events(self) -> Amounts:
        """Events avoided per year before parameters are applied."""
        if self.events_avoided is not None:
            return self.events_avoided
        if self.cohort is not None:
            return self.cohort.events()
        assert self.evidence is not None
        return self.evidence.events_avoided()

    def events_range(self) -> tuple[float, float] | None:
        """Low and high events avoided per year, from ``range`` or the evidence's CI."""
        if self.range is not None:
            return self.range
        if self.measured:
            assert self.evidence is not None
            a = self.evidence.events_avoided(self.evidence.ci_low)
            b = self.evidence.events_avoided(self.evidence.ci_high)
            return (min(a, b), max(a, b))
        return None

    def cashable_share(self, year: int, unit_cost_share: float) -> float:
        """Cashable share of a fiscal saving in ``year`` (1-based)."""
        if not self.cashable_by_year:
            return unit_cost_share
        return self.cashable_by_year[min(year, len(self.cashable_by_year)) - 1]
