"""Mapping files: how a partner's own column names and codes map onto a source type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sharewell.errors import IngestError
from sharewell.ingest.source_types import SourceType, source_type

__all__ = ["Mapping", "identity_mapping", "load_mapping", "parse_mapping"]


def _text(value: Any) -> str:
    # YAML reads Yes/No/true as booleans and 1/2 as numbers; partners mean the text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Mapping(BaseModel):
    """A partner's extract layout: which source type, which sheet, columns and codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_type: str
    sheet: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_as_text(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {_text(k): _text(v) for k, v in raw.items()}
        return raw

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {
                _text(col): ({_text(k): _text(v) for k, v in codes.items()} if codes else {})
                for col, codes in raw.items()
            }
        return raw

    def check_against(self, stype: SourceType) -> None:
        """Raise IngestError unless every target column and code list fits ``stype``."""
        unknown = sorted({t for t in self.columns.values() if t not in stype.columns})
        if unknown:
            raise IngestError(
                f"mapping names columns that source type {stype.name} does not have: "
                f"{', '.join(unknown)}; its columns are: {', '.join(stype.columns)}"
            )
        seen: dict[str, str] = {}
        for partner_col, target in self.columns.items():
            if target in seen:
                raise IngestError(
                    f"mapping sends both {seen[target]!r} and {partner_col!r} to {target!r}; "
                    "map only one of them"
                )
            seen[target] = partner_col
        for col, codes in self.values.items():
            if col not in stype.columns:
                raise IngestError(
                    f"mapping gives code values for {col!r}, which source type {stype.name} "
                    "does not have"
                )
            allowed = stype.columns[col].values
            if allowed:
                wrong = sorted(v for v in codes.values() if v not in allowed)
                if wrong:
                    raise IngestError(
                        f"mapping turns codes of {col!r} into {', '.join(wrong)}, which are not "
                        f"allowed values; use one of: {', '.join(allowed)}"
                    )


def parse_mapping(text: str, *, origin: str = "mapping") -> Mapping:
    """A mapping from YAML text; ``origin`` names the file in error messages."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IngestError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise IngestError(f"{origin} must be a YAML mapping with source_type and columns")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise IngestError(f"{origin} is not a valid mapping file: {problems}") from exc
    mapping.check_against(source_type(mapping.source_type))
    return mapping


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise IngestError(f"mapping file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read mapping file {path}: {exc}") from exc
    return parse_mapping(text, origin=f"mapping file {path}")


def identity_mapping(source: str) -> Mapping:
    """The mapping for an extract whose columns already carry the canonical names."""
    stype = source_type(source)
    return Mapping(source_type=source, columns={name: name for name in stype.columns})
