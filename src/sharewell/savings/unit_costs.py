"""Unit costs: the national library shipped as data, local overrides, and uprating.

A unit cost (``UnitCost``) is the cost of one event (an A&E attendance, a Section 136
detention) split into parts, one per payer: each part says which kind of organisation bears
it, whether it is a fiscal, economic or social value, and what share of it is cashable. All
parts of a library are uprated to one price year with the GDP deflator before use.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from sharewell.errors import NotFound, SavingsError

__all__ = [
    "ORG_TYPES",
    "PAYERS",
    "Deflators",
    "UnitCost",
    "UnitCostLibrary",
    "UnitCostPart",
    "load_deflators",
    "load_library",
    "read_unit_cost_rows",
]

ORG_TYPES = ("local_authority", "fire", "police", "nhs_trust", "icb", "ambulance", "voluntary")
PAYERS = (*ORG_TYPES, "society")
"""Who can bear a unit cost: an organisation type, or ``society`` (economic/social values)."""

ValueType = Literal["fiscal", "economic", "social"]
DATA_DIR = Path(__file__).parent / "data"
_PRICE_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_COLUMNS = (
    "code",
    "item",
    "unit",
    "payer",
    "value_type",
    "cost_gbp",
    "price_year",
    "cashable_share",
    "confidence_grade",
    "source",
    "source_url",
    "source_ref",
    "published_value",
    "published_price_year",
    "verified",
    "verification",
    "note",
)
"""Columns of a unit cost CSV; only code, item, payer, cost_gbp and price_year are required."""
VERIFIED = ("yes", "partly", "no", "")
"""Whether a figure was checked against its source: value and price year, value only, or not."""


def check_price_year(value: str, where: str) -> str:
    """Return a financial year ``YYYY/YY`` unchanged, or raise naming ``where``."""
    match = _PRICE_YEAR.match(value.strip()) if value else None
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise SavingsError(
            f"{where}: price year {value!r} is missing or not a financial year like 2023/24"
        )
    return value.strip()


@dataclass(frozen=True)
class UnitCostPart:
    """The share of a unit cost borne by one payer."""

    payer: str
    value_type: ValueType
    amount: float
    cashable_share: float
    note: str = ""


@dataclass(frozen=True)
class UnitCost:
    """The cost of one event, split by payer, at a stated price year."""

    code: str
    item: str
    unit: str
    price_year: str
    parts: tuple[UnitCostPart, ...]
    confidence_grade: int
    source: str
    verification: str = ""
    origin: str = "national"
    """``national`` (shipped library) or ``local`` (a partner's override file)."""
    source_url: str = ""
    verified: str = ""
    """``yes``, ``partly`` or ``no`` (see ``VERIFIED``); composites: the weakest of their parts."""

    @property
    def total(self) -> float:
        """The whole cost of one event, every payer and value type together."""
        return sum(p.amount for p in self.parts)

    @property
    def fiscal(self) -> float:
        """The part of the cost that falls on public bodies."""
        return sum(p.amount for p in self.parts if p.value_type == "fiscal")


@dataclass(frozen=True)
class Deflators:
    """A GDP deflator index by financial year, with its source."""

    index: Mapping[str, float]
    source: str
    verification: str = ""

    def factor(self, from_year: str, to_year: str) -> float:
        """Multiplier taking prices of ``from_year`` to prices of ``to_year``."""
        for year in (from_year, to_year):
            if year not in self.index:
                known = f"{min(self.index)} to {max(self.index)}"
                raise SavingsError(
                    f"no GDP deflator for price year {year}; the series covers {known}"
                )
        return self.index[to_year] / self.index[from_year]


@dataclass(frozen=True)
class UnitCostLibrary:
    """Unit costs by code, with the library version and deflators used to uprate them."""

    version: str
    costs: Mapping[str, UnitCost]
    deflators: Deflators
    local_codes: frozenset[str] = field(default_factory=frozenset)

    def get(self, code: str, where: str = "") -> UnitCost:
        """The unit cost ``code``; an error naming ``where`` if it is not in the library."""
        try:
            return self.costs[code]
        except KeyError:
            prefix = f"{where}: " if where else ""
            raise SavingsError(
                f"{prefix}unknown unit cost {code!r}; run `sharewell savings unit-costs` "
                "to list the codes, or add it to a local unit cost file"
            ) from None

    def uprated(self, price_year: str) -> UnitCostLibrary:
        """This library with every part in ``price_year`` prices."""
        check_price_year(price_year, "requested price year")
        costs = {}
        for code, cost in self.costs.items():
            f = self.deflators.factor(cost.price_year, price_year)
            parts = tuple(replace(p, amount=p.amount * f) for p in cost.parts)
            costs[code] = replace(cost, parts=parts, price_year=price_year)
        return replace(self, costs=costs)


def _data_path(name: str) -> Path:
    return DATA_DIR / name


def load_deflators(path: Path | None = None, source: str = "", verification: str = "") -> Deflators:
    """Read a two-column deflator CSV (``financial_year``, ``index``)."""
    path = path or _data_path("gdp_deflators.csv")
    index: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name} row {n}"
            year = check_price_year(row.get("financial_year", ""), where)
            try:
                index[year] = float(row["index"])
            except (KeyError, TypeError, ValueError):
                raise SavingsError(f"{where}: index {row.get('index')!r} is not a number") from None
    if not index:
        raise SavingsError(f"{path}: no deflators found")
    return Deflators(index=index, source=source, verification=verification)


def _number(
    row: Mapping[str, str], key: str, where: str, lo: float, hi: float, default: str = ""
) -> float:
    try:
        value = float(row.get(key) or default)
    except ValueError:
        raise SavingsError(f"{where}, {key}: {row.get(key)!r} is not a number") from None
    if not lo <= value <= hi:
        raise SavingsError(f"{where}, {key}: {value} is outside {lo} to {hi}")
    return value


def read_unit_cost_rows(path: Path, origin: str) -> dict[str, UnitCost]:
    """Read a unit cost CSV (one row per payer part) into unit costs by code."""
    if not path.is_file():
        raise NotFound(f"unit cost file {path} does not exist")
    grouped: dict[str, list[tuple[dict[str, str], str]]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"code", "item", "payer", "cost_gbp", "price_year"} - set(reader.fieldnames or [])
        if missing:
            raise SavingsError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            code = (row.get("code") or "").strip()
            if not code:
                raise SavingsError(f"{path.name} row {n}: code is empty")
            grouped.setdefault(code, []).append((row, f"{path.name} row {n} ({code})"))
    costs = {}
    for code, rows in grouped.items():
        parts = []
        first, where0 = rows[0]
        price_year = check_price_year(first.get("price_year") or "", where0)
        verified = (first.get("verified") or "").strip()
        if verified not in VERIFIED:
            raise SavingsError(f"{where0}, verified: {verified!r} is not yes, partly or no")
        for row, where in rows:
            if check_price_year(row.get("price_year") or "", where) != price_year:
                raise SavingsError(f"{where}: every part of a unit cost needs the same price year")
            payer = (row.get("payer") or "").strip()
            if payer not in PAYERS:
                raise SavingsError(f"{where}, payer: {payer!r} is not one of {', '.join(PAYERS)}")
            value_type = (row.get("value_type") or "fiscal").strip()
            if value_type not in ("fiscal", "economic", "social"):
                raise SavingsError(
                    f"{where}, value_type: {value_type!r} is not fiscal/economic/social"
                )
            parts.append(
                UnitCostPart(
                    payer=payer,
                    value_type=value_type,  # type: ignore[arg-type]
                    amount=_number(row, "cost_gbp", where, 0, 1e9),
                    cashable_share=_number(row, "cashable_share", where, 0, 1, default="0"),
                    note=row.get("note") or "",
                )
            )
        costs[code] = UnitCost(
            code=code,
            item=(first.get("item") or code).split(" (")[0] if len(rows) > 1 else first["item"],
            unit=first.get("unit") or "event",
            price_year=price_year,
            parts=tuple(parts),
            confidence_grade=int(_number(first, "confidence_grade", where0, 1, 6))
            if first.get("confidence_grade")
            else 5,
            source=first.get("source") or "",
            verification=first.get("verification") or "",
            origin=origin,
            source_url=(first.get("source_url") or "").strip(),
            verified=verified,
        )
    return costs


def _expand_composites(
    costs: dict[str, UnitCost], composites: Iterable[Mapping[str, Any]], deflators: Deflators
) -> None:
    """Add composite unit costs, each the sum of its parts' parts (in the first part's year)."""
    pending = {c["code"]: c for c in composites}
    while pending:
        ready = [c for c in pending.values() if all(p["code"] in costs for p in c["parts"])]
        if not ready:
            unknown = sorted({p["code"] for c in pending.values() for p in c["parts"]} - set(costs))
            raise SavingsError(
                f"composite unit costs {', '.join(sorted(pending))} refer to unknown or circular "
                f"codes {', '.join(unknown) or '(circular)'}"
            )
        for spec in ready:
            year = costs[spec["parts"][0]["code"]].price_year
            parts: list[UnitCostPart] = []
            for part in spec["parts"]:
                base = costs[part["code"]]
                f = deflators.factor(base.price_year, year) * float(part["quantity"])
                note = f"{part['quantity']} x {base.code}: {part.get('note', '')}"
                parts += [replace(p, amount=p.amount * f, note=note) for p in base.parts]
            local_parts = [
                p["code"] for p in spec["parts"] if costs[p["code"]].origin != "national"
            ]
            bases = [costs[p["code"]] for p in spec["parts"]]
            # A composite is no better evidenced than its weakest part.
            grade = max([int(spec["confidence_grade"])] + [b.confidence_grade for b in bases])
            checks = [b.verified or "no" for b in bases]
            verified = next(v for v in ("no", "partly", "yes") if v in checks)
            costs[spec["code"]] = UnitCost(
                code=spec["code"],
                item=spec["item"],
                unit=spec.get("unit", "event"),
                price_year=year,
                parts=tuple(parts),
                confidence_grade=grade,
                source=spec["source"],
                verification="composite of the parts listed",
                origin=f"national, local parts {', '.join(local_parts)}"
                if local_parts
                else "national",
                verified=verified,
            )
            del pending[spec["code"]]


def load_library(local: Iterable[Path] = ()) -> UnitCostLibrary:
    """The shipped national library, with any local unit cost files overriding by code."""
    meta = yaml.safe_load(_data_path("library.yaml").read_text(encoding="utf-8"))
    deflator = meta["deflator"]
    deflators = load_deflators(
        _data_path(deflator["file"]),
        source=" ".join(f"{deflator['source']} Release: {deflator['release']}.".split()),
        verification=" ".join(deflator["verification"].split()),
    )
    costs = read_unit_cost_rows(_data_path("unit_costs.csv"), origin="national")
    local_codes: set[str] = set()
    for path in local:
        overrides = read_unit_cost_rows(Path(path), origin="local")
        costs.update(overrides)
        local_codes |= set(overrides)
    # Composites are built after local overrides, so a local A&E cost flows into S136.
    composites = [c for c in meta.get("composites", []) if c["code"] not in local_codes]
    _expand_composites(costs, composites, deflators)
    return UnitCostLibrary(
        version=str(meta["version"]),
        costs=costs,
        deflators=deflators,
        local_codes=frozenset(local_codes),
    )
