"""Initiatives as data: a YAML file says what an initiative costs whom and which events it changes.

The models are pydantic (frozen); ``load_initiative`` reads a file and turns every problem into
one ``SavingsError`` naming the file and the key, e.g. ``safe_haven.yaml: outcomes.0.unit_costs:
unknown unit cost 'XX1'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sharewell.errors import NotFound, SavingsError
from sharewell.savings.unit_costs import ORG_TYPES, UnitCostLibrary, check_price_year

__all__ = [
    "DEFAULT_OPTIMISM_BIAS",
    "TEMPLATES_DIR",
    "CostLine",
    "Evidence",
    "Initiative",
    "Outcome",
    "Parameter",
    "Partner",
    "find_initiative",
    "load_initiative",
    "parse_initiative",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"

DEFAULT_OPTIMISM_BIAS: dict[int, float] = {1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40}
"""Benefits are cut by this share for evidence of each confidence grade (1 best, 6 weakest).

HM Treasury (2014) cost benefit analysis guidance for local partnerships applies optimism bias by
the confidence grade of the data; its table could not be read to confirm these percentages, so
they are sharewell's defaults in its spirit: override them with ``optimism_bias:`` (see
docs/savings.md).
"""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Amounts = float | list[float]


def _frozen() -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid")


class Partner(BaseModel):
    """An organisation of the partnership: its name and organisation type."""

    model_config = _frozen()
    name: str
    type: str

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ORG_TYPES:
            raise ValueError(f"{value!r} is not an organisation type ({', '.join(ORG_TYPES)})")
        return value


class CostLine(BaseModel):
    """One cost of the initiative: set-up and running amounts per year, and who pays today."""

    model_config = _frozen()
    item: str
    setup: Amounts = 0.0
    """A number (all in year 1) or one amount per year."""
    running: Amounts = 0.0
    """A number (every year) or one amount per year."""
    paid_by: str | dict[str, Share]
    """A partner slug, or partner slug to share of the cost (shares sum to 1)."""

    @field_validator("setup", "running")
    @classmethod
    def _not_negative(cls, value: Amounts) -> Amounts:
        values = value if isinstance(value, list) else [value]
        if any(v < 0 for v in values):
            raise ValueError("costs cannot be negative")
        return value

    @field_validator("paid_by")
    @classmethod
    def _shares_sum_to_one(cls, value: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(value, dict) and abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares sum to {sum(value.values()):g}, not 1")
        return value

    def shares(self) -> dict[str, float]:
        """Partner slug to share of this cost."""
        return {self.paid_by: 1.0} if isinstance(self.paid_by, str) else dict(self.paid_by)


class Parameter(BaseModel):
    """A named uncertain quantity that outcomes can be multiplied by (e.g. a demand share)."""

    model_config = _frozen()
    value: float
    low: float | None = None
    high: float | None = None
    description: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"need low <= value <= high, got {lo}, {self.value}, {hi}")
        return self


class Evidence(BaseModel):
    """An effect measured from linked data (see ``sharewell.savings.evidence``)."""

    model_config = _frozen()
    effect_per_person_month: float
    """Change in events per person-month (negative: fewer events)."""
    ci_low: float
    ci_high: float
    people_per_year: float = Field(gt=0)
    months_followed: float = Field(default=12.0, gt=0)
    confidence_grade: int = Field(ge=1, le=6)
    source: str = ""

    def events_avoided(self, effect: float | None = None) -> float:
        """Events avoided per year implied by an effect (default: the estimate)."""
        e = self.effect_per_person_month if effect is None else effect
        return -e * self.months_followed * self.people_per_year


class Outcome(BaseModel):
    """Events an initiative changes each year, and the unit costs each event moves."""

    model_config = _frozen()
    name: str
    events_avoided: Amounts | None = None
    """Events avoided per year (negative: more events); a number or one per year."""
    times: list[str] = []
    """Names of parameters the events are multiplied by."""
    range: tuple[float, float] | None = None
    """Low and high events avoided per year, for sensitivity and Monte Carlo."""
    unit_costs: dict[str, float]
    """Unit cost code to quantity moved per event (usually 1)."""
    confidence_grade: int | None = Field(default=None, ge=1, le=6)
    deadweight: Share | None = None
    deadweight_range: tuple[Share, Share] | None = None
    drop_off: Share | None = None
    evidence: Evidence | None = None
    source: str = ""

    @model_validator(mode="after")
    def _events_given(self) -> Outcome:
        if self.events_avoided is None and self.evidence is None:
            raise ValueError("give events_avoided, or evidence measured from linked data")
        if self.confidence_grade is None and self.evidence is None:
            raise ValueError("give a confidence_grade (1 best to 6 weakest)")
        if not self.unit_costs:
            raise ValueError("name at least one unit cost the outcome moves")
        return self

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
        assert self.evidence is not None
        return self.evidence.events_avoided()

    def events_range(self) -> tuple[float, float] | None:
        """Low and high events avoided per year, from ``range`` or the evidence's CI."""
        if self.range is not None:
            return self.range
        if self.evidence is not None and self.events_avoided is None:
            a = self.evidence.events_avoided(self.evidence.ci_low)
            b = self.evidence.events_avoided(self.evidence.ci_high)
            return (min(a, b), max(a, b))
        return None


class Initiative(BaseModel):
    """An initiative of the partnership, as written in its YAML file."""

    model_config = _frozen()
    name: str
    slug: str
    description: str = ""
    price_year: str
    horizon_years: int = Field(gt=0, le=125)
    discount_rate: float | None = Field(default=None, ge=0.0, le=0.2)
    """A fixed rate; default: the Green Book schedule (3.5%, 3.0% years 31-75, 2.5% 76-125)."""
    partners: dict[str, Partner]
    costs: list[CostLine]
    cost_range: tuple[float, float] = (1.0, 1.0)
    """Low and high multipliers on every cost, for sensitivity and Monte Carlo."""
    cost_optimism_bias: Share = 0.0
    """Uplift on costs for optimism bias (Green Book supplementary guidance)."""
    deadweight: Share = 0.0
    drop_off: Share = 0.0
    """Share of the effect lost each year after the first."""
    optimism_bias: dict[int, Share] = Field(default_factory=lambda: dict(DEFAULT_OPTIMISM_BIAS))
    parameters: dict[str, Parameter] = {}
    outcomes: list[Outcome]

    @field_validator("price_year")
    @classmethod
    def _price_year(cls, value: str) -> str:
        try:
            return check_price_year(str(value), "price_year")
        except SavingsError as exc:
            raise ValueError(str(exc).removeprefix("price_year: ")) from None

    @model_validator(mode="after")
    def _consistent(self) -> Initiative:
        types = [p.type for p in self.partners.values()]
        for i, line in enumerate(self.costs):
            for slug in line.shares():
                if slug not in self.partners:
                    raise ValueError(f"costs.{i}.paid_by: {slug!r} is not one of the partners")
            for key in ("setup", "running"):
                value = getattr(line, key)
                if isinstance(value, list) and len(value) > self.horizon_years:
                    raise ValueError(
                        f"costs.{i}.{key}: {len(value)} years given for a "
                        f"{self.horizon_years}-year horizon"
                    )
        for i, outcome in enumerate(self.outcomes):
            for name in outcome.times:
                if name not in self.parameters:
                    raise ValueError(f"outcomes.{i}.times: no parameter named {name!r}")
            events = outcome.events_avoided
            if isinstance(events, list) and len(events) > self.horizon_years:
                raise ValueError(
                    f"outcomes.{i}.events_avoided: {len(events)} years given for a "
                    f"{self.horizon_years}-year horizon"
                )
            if outcome.grade not in self.optimism_bias:
                raise ValueError(f"outcomes.{i}: no optimism_bias for grade {outcome.grade}")
        dupes = {t for t in types if types.count(t) > 1}
        if dupes:
            raise ValueError(
                f"partners: more than one partner of type {', '.join(sorted(dupes))}; "
                "unit costs are attributed by organisation type, so give each type once"
            )
        return self

    def partner_for(self, org_type: str) -> str | None:
        """Slug of the partner of ``org_type``, or None if no partner is of that type."""
        for slug, partner in self.partners.items():
            if partner.type == org_type:
                return slug
        return None

    def check_unit_costs(self, library: UnitCostLibrary, source: str = "") -> None:
        """Raise naming the key if an outcome moves a unit cost the library lacks."""
        for i, outcome in enumerate(self.outcomes):
            for code in outcome.unit_costs:
                library.get(code, where=f"{source or self.slug}: outcomes.{i}.unit_costs")


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-"))


def parse_initiative(
    data: Mapping[str, Any], source: str, library: UnitCostLibrary | None = None
) -> Initiative:
    """Validate parsed YAML as an initiative; errors name ``source`` and the key."""
    if not isinstance(data, Mapping):
        raise SavingsError(f"{source}: expected a mapping of keys (name, price_year, ...)")
    try:
        initiative = Initiative.model_validate(dict(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = _location(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "missing (required)"
            problems.append(f"{where}: {msg}" if where else msg)
        raise SavingsError(f"{source}: " + "; ".join(problems)) from None
    if library is not None:
        initiative.check_unit_costs(library, source)
    return initiative


def load_initiative(path: Path, library: UnitCostLibrary | None = None) -> Initiative:
    """Read and validate an initiative YAML file."""
    if not path.is_file():
        raise NotFound(f"initiative file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SavingsError(f"{path.name}: not valid YAML ({exc})") from None
    return parse_initiative(data, path.name, library)


def find_initiative(name_or_path: str) -> Path:
    """A path to an initiative file, or to the shipped template of that slug."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    template = TEMPLATES_DIR / f"{name_or_path}.yaml"
    if template.is_file():
        return template
    known = ", ".join(sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml")))
    raise NotFound(f"no initiative file {name_or_path!r}; shipped templates: {known}")
