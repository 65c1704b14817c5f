"""Encoding at the partner: a partner's extract in, an uploadable Parquet file out.

Runs on the partner's own machine. Identifiers become keyed pseudonyms, Bloom-filter
encodings and blocking keys; only the non-identifying columns the schema names pass through.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sharewell.agreements import Agreement
from sharewell.errors import ConfigError, IngestError, NotFound
from sharewell.ingest.source_types import load_source_types
from sharewell.privacy.blocking import (
    BLOCKING_KEYS,
    COMPARISON_KEYS,
    PSEUDONYM_FIELDS,
    blocking_keys,
    comparison_keys,
    pseudonyms,
)
from sharewell.privacy.bloom import ClkSettings, as_bytes, encode_clks
from sharewell.privacy.households import age_band, person_household
from sharewell.privacy.keys import SecretKey
from sharewell.privacy.normalise import IDENTIFIER_FIELDS, normalise_people
from sharewell.privacy.pass_through import check_pass_through, refuse_free_text

__all__ = [
    "METADATA_KEY",
    "EncodingReport",
    "EncodingSchema",
    "encode_file",
    "encode_partnership",
    "encode_rows",
    "load_schema",
    "read_extract",
]

METADATA_KEY = b"sharewell.privacy"
FORMAT_VERSION = 1


def _text(value: Any) -> str:
    if isinstance(value, bool):  # YAML reads Yes/No as booleans; partners mean the text
        return "true" if value else "false"
    return str(value)


class EncodingSchema(BaseModel):
    """An extract's layout (as ingest's mapping files) plus what may pass through."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_type: str
    partner: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    pass_through: tuple[str, ...] = ()
    # Balancing and folding cost almost no accuracy here; salting costs ~1 point of F1
    # (docs/privacy.md), so a partnership opts in to it.
    hardening: tuple[str, ...] = ("balance", "xor_fold")
    bits: int = 1024
    # What a visit list needs without identity (privacy/households.py), where the agreement
    # allows: a keyed pseudonym of the home, and a five-year age band at ``age_as_of``
    # (default: the day of encoding).
    household_pseudonym: bool = False
    age_band: bool = False
    age_as_of: date | None = None

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_text(cls, raw: Any) -> Any:
        return {_text(k): _text(v) for k, v in raw.items()} if isinstance(raw, dict) else raw

    @field_validator("values", mode="before")
    @classmethod
    def _values_text(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        return {
            _text(c): {_text(k): _text(v) for k, v in (codes or {}).items()}
            for c, codes in raw.items()
        }

    def clk_settings(self) -> ClkSettings:
        """The Bloom-filter settings this schema asks for."""
        return ClkSettings(bits=self.bits, hardening=tuple(self.hardening))


def load_schema(path: Path, pass_through: Sequence[str] = ()) -> EncodingSchema:
    """Read and check a schema (an ingest mapping file, optionally with ``pass_through``)."""
    if not path.is_file():
        raise NotFound(f"schema file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if pass_through:
            raw["pass_through"] = list(raw.get("pass_through") or []) + list(pass_through)
        schema = EncodingSchema.model_validate(raw)
        schema.clk_settings()
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        raise ConfigError(f"schema file {path} is not valid: {exc}") from exc
    types = load_source_types()
    if schema.source_type not in types:
        raise ConfigError(
            f"schema file {path}: unknown source type {schema.source_type!r}; "
            f"known: {', '.join(sorted(types))}"
        )
    columns = types[schema.source_type].columns
    if "record_id" not in schema.columns.values():
        raise ConfigError(f"schema file {path}: no column is mapped to record_id")
    for name in schema.pass_through:
        if name not in columns:
            raise ConfigError(
                f"schema file {path}: pass_through names {name!r}, which source type "
                f"{schema.source_type} does not have"
            )
        if columns[name].identifier or name in IDENTIFIER_FIELDS:
            raise ConfigError(
                f"schema file {path}: {name!r} identifies a person and cannot pass through in "
                "clear; it is encoded instead"
            )
    return schema


def read_extract(path: Path, schema: EncodingSchema) -> list[dict[str, Any]]:
    """Rows of a CSV, Excel or Parquet extract with canonical column names and codes."""
    if not path.is_file():
        raise NotFound(f"extract {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                raw_rows: list[dict[str, Any]] = list(csv.DictReader(fh))
        elif suffix == ".parquet":
            raw_rows = pq.read_table(path).to_pylist()
        elif suffix == ".xlsx":
            raw_rows = _read_xlsx(path, schema.sheet)
        else:
            raise IngestError(
                f"extract {path}: cannot read {suffix!r} files; use CSV, XLSX or Parquet"
            )
    except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException) as exc:
        raise IngestError(f"extract {path} cannot be read: {exc}") from exc
    codes = {c: {k.strip().lower(): v for k, v in m.items()} for c, m in schema.values.items()}
    rows = []
    for raw in raw_rows:
        row: dict[str, Any] = {}
        for partner_col, canonical in schema.columns.items():
            value = raw.get(partner_col)
            if isinstance(value, str) and canonical in codes:
                value = codes[canonical].get(value.strip().lower(), value)
            row[canonical] = value
        rows.append(row)
    return rows


def _read_xlsx(path: Path, sheet: str | None) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(f"extract {path} has no sheet {sheet!r}; it has {book.sheetnames}")
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        return [dict(zip(header, r, strict=False)) for r in rows]
    finally:
        book.close()


@dataclass(frozen=True)
class EncodingReport:
    """What ``encode_file`` wrote."""

    out: Path
    records: int
    partner: str
    source: str
    key_fingerprint: str
    encoded_bits: int
    hardening: tuple[str, ...]
    pass_through: tuple[str, ...]


def encode_rows(
    rows: Sequence[dict[str, Any]],
    key: SecretKey,
    schema: EncodingSchema,
    partner: str,
) -> pa.Table:
    """Encode canonical rows into the upload table (no I/O)."""
    people = normalise_people(rows)
    settings = schema.clk_settings()
    clks = encode_clks(people, key, settings)
    columns: dict[str, Any] = {
        "record_id": pa.array([_clean_id(r.get("record_id")) for r in rows], pa.string()),
        "partner": pa.array([partner] * len(rows), pa.string()),
        "source": pa.array([schema.source_type] * len(rows), pa.string()),
        "clk": pa.array(as_bytes(clks), pa.binary()),
    }
    pseudo = [pseudonyms(p, key) for p in people]
    for name in PSEUDONYM_FIELDS:
        columns[f"{name}_pseudonym"] = pa.array([p[name] for p in pseudo], pa.binary())
    blocks = [blocking_keys(p, key) for p in people]
    for name in BLOCKING_KEYS:
        columns[f"block_{name}"] = pa.array([b[name] for b in blocks], pa.binary())
    compare = [comparison_keys(p, key) for p in people]
    for name in COMPARISON_KEYS:
        columns[f"compare_{name}"] = pa.array([c[name] for c in compare], pa.binary())
    if schema.household_pseudonym:
        columns["household_pseudonym"] = pa.array(
            [person_household(p, key) for p in people], pa.string()
        )
    age_as_of = schema.age_as_of or date.today()
    if schema.age_band:
        columns["age_band"] = pa.array(
            [age_band(p.date_of_birth, age_as_of) for p in people], pa.string()
        )
    for name in schema.pass_through:
        columns[name] = pa.array(
            [None if r.get(name) in (None, "") else str(r.get(name)) for r in rows], pa.string()
        )
    metadata = {
        "format_version": FORMAT_VERSION,
        "key_fingerprint": key.fingerprint,
        "bits": settings.bits,
        "encoded_bits": settings.encoded_bits,
        "weights": dict(settings.weights),
        "hardening": list(settings.hardening),
        "blocking_keys": list(BLOCKING_KEYS),
        "partner": partner,
        "source": schema.source_type,
        "age_as_of": age_as_of.isoformat() if schema.age_band else None,
    }
    table = pa.table(columns)
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(metadata).encode()})


def _clean_id(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def encode_file(
    extract: Path,
    schema: EncodingSchema,
    key: SecretKey,
    out: Path,
    partner: str | None = None,
    *,
    agreements: Sequence[Agreement] | None = None,
    allow_free_text: bool = False,
) -> EncodingReport:
    """Read a partner's extract, encode it and write the upload Parquet atomically.

    A free-text pass-through column (a narrative) is refused unless ``allow_free_text``;
    with ``agreements`` (the partner's own copies), so is any column they do not grant
    (``sharewell.privacy.pass_through``). The CLI always gives them.
    """
    who = partner or schema.partner
    if not who:
        raise ConfigError("say which partner this extract is from: --partner SLUG or `partner:`")
    if agreements is None:
        refuse_free_text(schema.source_type, schema.pass_through, allow_free_text=allow_free_text)
    else:
        check_pass_through(
            schema.pass_through,
            partner=who,
            source=schema.source_type,
            agreements=agreements,
            on=date.today(),
            allow_free_text=allow_free_text,
        )
    rows = read_extract(extract, schema)
    table = encode_rows(rows, key, schema, who)
    missing = table.column("record_id").null_count
    if missing:
        first = table.column("record_id").to_pylist().index(None) + 2  # header is line 1
        raise IngestError(
            f"extract {extract}: {missing} rows have no record id (first at line {first}); "
            "every row needs one so the hub can refer to it without identifying anyone"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out)  # nothing half-written is ever left under the final name
    return EncodingReport(
        out=out,
        records=table.num_rows,
        partner=who,
        source=schema.source_type,
        key_fingerprint=key.fingerprint,
        encoded_bits=schema.clk_settings().encoded_bits,
        hardening=tuple(schema.hardening),
        pass_through=tuple(schema.pass_through),
    )


def encode_partnership(
    directory: Path,
    key: SecretKey,
    out_dir: Path,
    hardening: Sequence[str] | None = None,
    *,
    pass_events: bool = False,
    households: bool = False,
) -> list[EncodingReport]:
    """Encode every extract of a partnership directory (``manifest.json``), as each partner
    would on its own machine; for demos, tests and benchmarks.

    With ``pass_events``, every non-identifying column an extract's mapping names (event
    dates, types, flags; never free text) passes through in clear, so views can read events
    at the hub.
    With ``households``, every record also carries its household pseudonym and its age band
    at the partnership's ``history_end`` (the date its extracts were drawn).
    """
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise NotFound(f"{directory} holds no manifest.json (write one with `sharewell synth`)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    types = load_source_types()
    reports = []
    for entry in manifest["extracts"]:
        schema = load_schema(directory / entry["mapping"])
        if hardening is not None:
            schema = schema.model_copy(update={"hardening": tuple(hardening)})
        if pass_events:
            columns = types[schema.source_type].columns
            events = [
                c
                for c in dict.fromkeys(schema.columns.values())
                if c in columns
                and c != "record_id"
                and not columns[c].identifier
                and not columns[c].free_text  # a narrative never leaves in clear
                and c not in IDENTIFIER_FIELDS
            ]
            schema = schema.model_copy(update={"pass_through": tuple(events)})
        if households:
            schema = schema.model_copy(
                update={
                    "household_pseudonym": True,
                    "age_band": True,
                    "age_as_of": date.fromisoformat(manifest["history_end"]),
                }
            )
        name = Path(entry["mapping"]).stem + ".parquet"
        reports.append(
            encode_file(directory / entry["file"], schema, key, out_dir / name, entry["partner"])
        )
    return reports
