"""Initiatives as data: a YAML file says what an initiative costs whom and which events it changes.

The models are pydantic (frozen); ``load_initiative`` reads a file and turns every problem into
one ``SavingsError`` naming the file and the key, e.g. ``safe_haven.yaml: outcomes.0.unit_costs:
unknown unit cost 'XX1'``. An initiative may name its partners, or leave them to the
partnership it is appraised for (``with_partnership``): costs are then paid by organisation type
(``paid_by: {local_authority: 0.5}``) and the names come from the partnership, not the file.
The parts of an outcome (``Outcome``, ``Cohort``, ``Evidence``) are in ``savings.outcome``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from sharewell.errors import NotFound, SavingsError
from sharewell.savings.outcome import (
    Amounts,
    Cohort,
    Evidence,
    Outcome,
    Share,
    frozen,
)
from sharewell.savings.unit_costs import ORG_TYPES, UnitCostLibrary, check_price_year

if TYPE_CHECKING:
    from sharewell.partnership.model import Organisation

__all__ = [
    "DEFAULT_OPTIMISM_BIAS",
    "TEMPLATES_DIR",
    "Cohort",
    "CostLine",
    "Evidence",
    "Initiative",
    "Outcome",
    "Parameter",
    "Partner",
    "Scenario",
    "default_partnership",
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


class Partner(BaseModel):
    """An organisation of the partnership: its name and organisation type."""

    model_config = frozen()
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

    model_config = frozen()
    item: str
    setup: Amounts = 0.0
    """A number (all in year 1) or one amount per year."""
    running: Amounts = 0.0
    """A number (every year) or one amount per year."""
    paid_by: str | dict[str, Share]
    """A partner slug or organisation type, or a mapping of them to shares (summing to 1)."""

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
        """Payer (slug or organisation type, as written) to share of this cost."""
        return {self.paid_by: 1.0} if isinstance(self.paid_by, str) else dict(self.paid_by)


class Parameter(BaseModel):
    """A named uncertain quantity that outcomes can be multiplied by (e.g. a demand share)."""

    model_config = frozen()
    value: float
    low: float | None = None
    high: float | None = None
    description: str = ""
    label: str = ""
    """A short name for tables, e.g. ``police MH share``."""
    source: str = ""
    """Where the value comes from; a central value that is not the middle of its range must
    cite the point estimate it is (see ``Initiative.off_centre``)."""

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"need low <= value <= high, got {lo}, {self.value}, {hi}")
        return self


class Scenario(BaseModel):
    """A named set of inputs, shown beside the central case (GMCA model: named scenarios)."""

    model_config = frozen()
    description: str = ""
    parameters: dict[str, float] = {}
    """Parameter name -> the value it takes in this scenario."""
    events: dict[str, float] = {}
    """Outcome name -> events avoided a year in this scenario."""
    cost_multiplier: float = Field(default=1.0, gt=0)
    source: str = ""


def _middle(value: float, low: float, high: float) -> bool:
    return abs(value - (low + high) / 2) <= 1e-6 * max(1.0, abs(high - low), abs(value))


class Initiative(BaseModel):
    """An initiative of the partnership, as written in its YAML file."""

    model_config = frozen()
    name: str
    slug: str
    short_name: str = ""
    """A short name for tables such as the answer page (default: the name)."""
    description: str = ""
    price_year: str
    horizon_years: int = Field(gt=0, le=125)
    discount_rate: float | None = Field(default=None, ge=0.0, le=0.2)
    """A fixed rate; default: the Green Book schedule (3.5%, 3.0% years 31-75, 2.5% 76-125)."""
    partners: dict[str, Partner] = {}
    """Slug -> partner; empty: the partners are the partnership's (``with_partnership``)."""
    costs: list[CostLine]
    cost_range: tuple[float, float] = (1.0, 1.0)
    """Low and high multipliers on every cost, for sensitivity and Monte Carlo."""
    cost_optimism_bias: Share = 0.0
    """Uplift on costs for optimism bias (Green Book supplementary guidance)."""
    deadweight: Share = 0.0
    attribution: Share = 1.0
    """Share of each change owed to this initiative rather than to other services."""
    drop_off: Share = 0.0
    """Share of the effect lost each year after the first."""
    optimism_bias: dict[int, Share] = Field(default_factory=lambda: dict(DEFAULT_OPTIMISM_BIAS))
    parameters: dict[str, Parameter] = {}
    outcomes: list[Outcome]
    scenarios: dict[str, Scenario] = {}
    """Named scenarios shown side by side with the central case."""

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
        dupes = {t for t in types if types.count(t) > 1}
        if dupes:
            raise ValueError(
                f"partners: more than one partner of type {', '.join(sorted(dupes))}; "
                "unit costs are attributed by organisation type, so give each type once"
            )
        for i, line in enumerate(self.costs):
            for payer in line.shares():
                if payer in self.partners or (payer in ORG_TYPES and not self.partners):
                    continue
                if payer in ORG_TYPES and self.partner_for(payer) is not None:
                    continue
                raise ValueError(
                    f"costs.{i}.paid_by: {payer!r} is not one of the partners"
                    + ("" if self.partners else " (give an organisation type, e.g. police)")
                )
            for key in ("setup", "running"):
                self._fits_horizon(getattr(line, key), f"costs.{i}.{key}")
        for i, outcome in enumerate(self.outcomes):
            for name in outcome.times:
                if name not in self.parameters:
                    raise ValueError(f"outcomes.{i}.times: no parameter named {name!r}")
            self._fits_horizon(outcome.events_avoided, f"outcomes.{i}.events_avoided")
            self._fits_horizon(outcome.cashable_by_year, f"outcomes.{i}.cashable_by_year")
            if outcome.cohort is not None:
                self._fits_horizon(outcome.cohort.people, f"outcomes.{i}.cohort.people")
            if outcome.grade not in self.optimism_bias:
                raise ValueError(f"outcomes.{i}: no optimism_bias for grade {outcome.grade}")
        names = {o.name for o in self.outcomes}
        for key, scenario in self.scenarios.items():
            for name in scenario.parameters:
                if name not in self.parameters:
                    raise ValueError(f"scenarios.{key}.parameters: no parameter named {name!r}")
            for name in scenario.events:
                if name not in names:
                    raise ValueError(f"scenarios.{key}.events: no outcome named {name!r}")
        return self

    def _fits_horizon(self, value: object, where: str) -> None:
        if isinstance(value, list) and len(value) > self.horizon_years:
            raise ValueError(
                f"{where}: {len(value)} years given for a {self.horizon_years}-year horizon"
            )

    @property
    def label(self) -> str:
        """The short name, or the name."""
        return self.short_name or self.name

    def partner_for(self, org_type: str) -> str | None:
        """Slug of the partner of ``org_type``, or None if no partner is of that type."""
        for slug, partner in self.partners.items():
            if partner.type == org_type:
                return slug
        return None

    def payer(self, key: str) -> str:
        """The partner slug a ``paid_by`` key (slug or organisation type) stands for."""
        if key in self.partners:
            return key
        slug = self.partner_for(key)
        if slug is None:
            raise SavingsError(f"{self.slug}: no partner of type {key!r} pays for the initiative")
        return slug

    def with_partnership(self, organisations: Iterable[Organisation]) -> Initiative:
        """This initiative with the partnership's organisations as partners, if it names none.

        Raises:
            SavingsError: the partnership has two organisations of one type, or none that
                pays a cost the initiative gives to a type.
        """
        if self.partners:
            return self
        partners = {o.slug: {"name": o.name, "type": o.type} for o in organisations}
        return parse_initiative({**self.model_dump(), "partners": partners}, self.slug)

    def off_centre(self) -> list[str]:
        """Inputs whose central value is not the middle of their range and cite no source.

        A central case must be central: the median of the stated range, or a point estimate
        that a source gives (HM Treasury Green Book; issue 17).
        """
        out = []
        for name, p in self.parameters.items():
            ranged = p.low is not None and p.high is not None and not p.source
            if ranged and not _middle(p.value, p.low, p.high):  # type: ignore[arg-type]
                out.append(f"parameter {name}")
        for o in self.outcomes:
            central = o.central_events()
            ranged = o.range is not None and not isinstance(central, list) and not o.source
            if ranged and not _middle(float(central), *o.range):  # type: ignore[arg-type,misc]
                out.append(f"outcome {o.name!r}")
        if not _middle(1.0, *self.cost_range):
            out.append("cost_range (centre it on 1; put an expected overrun in cost_optimism_bias)")
        return out

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


def default_partnership() -> tuple[Organisation, ...]:
    """The demo partnership's organisations: the partners when no hub names its own."""
    from sharewell.agreements.demo_partnership import DEMO_ORGANISATIONS

    return DEMO_ORGANISATIONS


def load_initiative(
    path: Path,
    library: UnitCostLibrary | None = None,
    partnership: Iterable[Organisation] | None = None,
) -> Initiative:
    """Read and validate an initiative YAML file, with the partnership's organisations.

    Args:
        path: the YAML file.
        library: unit costs the outcomes must name (checked when given).
        partnership: organisations to take as partners when the file names none (default:
            the demo partnership, ``default_partnership``).
    """
    if not path.is_file():
        raise NotFound(f"initiative file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SavingsError(f"{path.name}: not valid YAML ({exc})") from None
    initiative = parse_initiative(data, path.name, library)
    orgs = default_partnership() if partnership is None else tuple(partnership)
    try:
        return initiative.with_partnership(orgs)
    except SavingsError as exc:
        raise SavingsError(f"{exc} (partnership: {len(orgs)} organisations)") from None


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
