"""Source types as data: the kinds of extract partners send, loaded from ``source_types.yaml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PERSON_FIELDS",
    "Column",
    "ColumnType",
    "SourceType",
    "load_source_types",
    "source_type",
]

SOURCE_TYPES_FILE = Path(__file__).with_name("source_types.yaml")

ColumnType = Literal["string", "date", "boolean", "integer", "number", "category"]
SpecialCategory = Literal["health", "criminal", "none"]

# The shared person vocabulary every person-bearing source type carries (DESIGN.md).
PERSON_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "uprn",
    "nhs_number",
    "phone",
    "email",
)


class Column(BaseModel):
    """One column of a source type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: ColumnType
    required: bool = False
    identifier: bool = False
    # Typed by a person (a narrative, a diagnosis): may name anyone, whatever its column says.
    free_text: bool = False
    special: SpecialCategory = "none"
    values: tuple[str, ...] | None = None
    description: str = ""


class SourceType(BaseModel):
    """A kind of partner extract: its columns and who may send it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    organisation_types: tuple[str, ...]
    event_date: str | None = None
    columns: dict[str, Column] = Field(default_factory=dict)

    @property
    def table_name(self) -> str:
        """The workspace table holding this type's records: ``records_`` + name, dots as _."""
        return "records_" + self.name.replace(".", "_")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns whose absence or invalidity quarantines a row."""
        return tuple(name for name, col in self.columns.items() if col.required)

    @property
    def special_category_columns(self) -> tuple[str, ...]:
        """Columns holding health or criminal offence data (UK GDPR Art. 9 / 10)."""
        return tuple(name for name, col in self.columns.items() if col.special != "none")


@lru_cache
def load_source_types(path: Path = SOURCE_TYPES_FILE) -> dict[str, SourceType]:
    """Every source type declared in the YAML file, by name."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    types: dict[str, SourceType] = {}
    for name, body in raw["source_types"].items():
        columns = {
            col_name: Column(name=col_name, **spec) for col_name, spec in body["columns"].items()
        }
        types[name] = SourceType(
            name=name,
            title=body["title"],
            organisation_types=tuple(body["organisation_types"]),
            event_date=body.get("event_date"),
            columns=columns,
        )
    return types


def source_type(name: str) -> SourceType:
    """The source type called ``name``; raises NotFound with the known names otherwise."""
    from sharewell.errors import NotFound

    types = load_source_types()
    try:
        return types[name]
    except KeyError:
        known = ", ".join(sorted(types))
        raise NotFound(f"unknown source type {name!r}; known source types: {known}") from None
