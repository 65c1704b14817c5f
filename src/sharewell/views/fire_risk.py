"""Fire risk scoring for Safe and Well visits: explainable, household-level, weights as data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sharewell.errors import SharewellError

__all__ = [
    "DEFAULT_WEIGHTS_FILE",
    "FACTORS",
    "HouseholdRisk",
    "PersonRisk",
    "RiskWeights",
    "load_weights",
    "months_between",
    "rank_households",
    "score_household",
]

DEFAULT_WEIGHTS_FILE = Path(__file__).with_name("fire_risk_weights.yaml")

# The person-centred factors a household's score can draw on, in the weights file's names.
FACTORS: tuple[str, ...] = (
    "lives_alone",
    "reduced_mobility",
    "smoker",
    "alcohol_or_drugs",
    "mh_crisis_last_12m",
    "hoarding",
    "previous_fire",
    "oxygen_use",
    "no_working_alarm",
)


class AgeBand(BaseModel):
    """An age band and its weight; ``max`` None means no upper limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: int = Field(ge=0)
    max: int | None = None
    weight: float
    label: str | None = None

    def contains(self, age: int) -> bool:
        """Whether ``age`` falls inside this band."""
        return age >= self.min and (self.max is None or age <= self.max)


class FactorWeight(BaseModel):
    """The weight of one factor and the words a crew reads for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight: float
    reason: str


class RecentVisit(BaseModel):
    """How a recent Safe and Well visit lowers a household's priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int = Field(gt=0)
    weight: float = Field(le=0)
    reason: str


class RiskWeights(BaseModel):
    """A versioned set of fire risk weights (log-odds of a dwelling fire in a year)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    name: str
    fitted_on: str | None = None
    intercept: float
    age_bands: tuple[AgeBand, ...]
    factors: dict[str, FactorWeight]
    recent_visit: RecentVisit

    @model_validator(mode="after")
    def _known_factors(self) -> RiskWeights:
        unknown = sorted(set(self.factors) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factors {unknown}; known factors: {', '.join(FACTORS)}")
        return self

    def age_band(self, age: int | None) -> AgeBand | None:
        """The band ``age`` falls in, or None when age is unknown or in no band."""
        if age is None:
            return None
        return next((band for band in self.age_bands if band.contains(age)), None)


@lru_cache
def _load(path: Path) -> RiskWeights:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SharewellError(f"cannot read fire risk weights {path}: {exc}") from exc
    try:
        return RiskWeights.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SharewellError(f"{path}: {where}: {first['msg']}") from exc


def load_weights(path: Path | None = None) -> RiskWeights:
    """The weights in ``path`` (default: the shipped uncalibrated file)."""
    return _load((path or DEFAULT_WEIGHTS_FILE).resolve())


@dataclass(frozen=True)
class PersonRisk:
    """What the partners' shared data says about one person, with who said it."""

    person_id: str
    age: int | None = None
    factors: frozenset[str] = frozenset()
    # factor -> organisation whose data established it, shown to the crew as the source
    sources: Mapping[str, str] = field(default_factory=dict)
    display_name: str | None = None
    # Where only an age band is known (PPRL mode), ``age`` is its youngest age and the crew
    # reads the band ('aged 85-89'), never an age the hub does not know.
    age_band: str | None = None


@dataclass(frozen=True)
class Contribution:
    """One term of a household's score: what, how much, and from whom."""

    factor: str
    weight: float
    reason: str
    source: str | None = None


@dataclass(frozen=True)
class HouseholdRisk:
    """A household's score (probability of a dwelling fire in a year) and its explanation."""

    household_id: str
    score: float
    logit: float
    contributions: tuple[Contribution, ...]
    people: tuple[PersonRisk, ...]
    last_visit: date | None = None

    @property
    def reasons(self) -> str:
        """The explanation in plain words, largest contribution first."""
        return self.explained()

    def explained(self, source_names: Mapping[str, str] | None = None) -> str:
        """The explanation, each source named as ``source_names`` says (a page shows names)."""
        names = source_names or {}
        positive = [c for c in self.contributions if c.weight > 0]
        negative = [c for c in self.contributions if c.weight < 0]
        parts = [
            c.reason + (f" (shared by {_named(c.source, names)})" if c.source else "")
            for c in positive
        ]
        text = ", ".join(parts) if parts else "no recorded risk factors"
        if negative:
            text += "; lowered: " + ", ".join(c.reason for c in negative)
        return text


def _named(source: str, names: Mapping[str, str]) -> str:
    # a source may be several providers ("westshire_cc, westshire_icb")
    return ", ".join(names.get(part, part) for part in source.split(", "))


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier`` to ``later``."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def score_household(
    household_id: str,
    people: Sequence[PersonRisk],
    weights: RiskWeights,
    *,
    as_of: date,
    last_visit: date | None = None,
) -> HouseholdRisk:
    """Score one household: factors of anyone living there count once, age of the oldest."""
    contributions: list[Contribution] = []
    ages = [p.age for p in people if p.age is not None]
    oldest = max(ages) if ages else None
    band = weights.age_band(oldest)
    if band is not None and band.weight != 0:
        shown = next((p.age_band for p in people if p.age == oldest and p.age_band), oldest)
        label = (band.label or "aged {age}").format(age=shown)
        contributions.append(Contribution("age", band.weight, label))
    for factor in FACTORS:
        weight = weights.factors.get(factor)
        holders = [p for p in people if factor in p.factors]
        if weight is None or not holders:
            continue
        source = next((p.sources.get(factor) for p in holders if p.sources.get(factor)), None)
        contributions.append(Contribution(factor, weight.weight, weight.reason, source))
    visit = weights.recent_visit
    if last_visit is not None and months_between(last_visit, as_of) < visit.months:
        contributions.append(Contribution("recent_visit", visit.weight, visit.reason))
    contributions.sort(key=lambda c: -abs(c.weight))
    logit = weights.intercept + sum(c.weight for c in contributions)
    return HouseholdRisk(
        household_id=household_id,
        score=1.0 / (1.0 + math.exp(-logit)),
        logit=logit,
        contributions=tuple(contributions),
        people=tuple(people),
        last_visit=last_visit,
    )


def rank_households(households: Sequence[HouseholdRisk]) -> list[HouseholdRisk]:
    """Highest risk first; ties broken by household id so the order is reproducible."""
    return sorted(households, key=lambda h: (-h.logit, h.household_id))
