"""Re-identification where an agreement allows it: run by the data provider, never the hub.

The hub passes only pseudonymous ids (``partner:source:record_id``). The partner that
holds the records looks them up in its own extract and hands the recipient just the fields
the agreement grants (say, the address a fire crew needs to visit). Every reveal is
recorded in the provider's own reveal log (a hash chain it keeps), and in the hub's audit
log (``sharewell.audit``, action ``reveal``) when the provider is given the hub to report to.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from sharewell.errors import ConfigError, NotFound
from sharewell.privacy.encode import EncodingSchema, read_extract

__all__ = ["Reveal", "RevealEntry", "append_reveal_log", "reveal_file", "reveal_records"]


@dataclass(frozen=True)
class Reveal:
    """The provider's own records for the requested ids, with only the agreed fields."""

    requested: int
    rows: tuple[dict[str, Any], ...]
    not_found: tuple[str, ...]
    fields: tuple[str, ...]


def reveal_records(
    rows: Sequence[dict[str, Any]],
    wanted: Sequence[str],
    fields: Sequence[str],
    partner: str,
    source: str,
) -> Reveal:
    """Pick this provider's records named by ``wanted`` ids, keeping only ``fields``."""
    prefix = f"{partner}:{source}:"
    # Ids of other partners' records are not this provider's to reveal: skip them silently.
    mine = [
        w[len(prefix) :] if w.startswith(prefix) else w
        for w in wanted
        if ":" not in w or w.startswith(prefix)
    ]
    by_id = {str(r.get("record_id", "")).strip(): r for r in rows}
    found = tuple(
        {"unique_id": prefix + rid, **{f: by_id[rid].get(f) for f in fields}}
        for rid in mine
        if rid in by_id
    )
    missing = tuple(prefix + rid for rid in mine if rid not in by_id)
    return Reveal(requested=len(mine), rows=found, not_found=missing, fields=tuple(fields))


@dataclass(frozen=True)
class RevealEntry:
    """One line of the reveal log: who asked, why, how many, which fields (no identifiers)."""

    at: str
    partner: str
    source: str
    purpose: str
    recipient: str
    fields: tuple[str, ...]
    records: int
    ids_sha256: str
    previous: str


def append_reveal_log(log: Path, entry_fields: dict[str, Any]) -> RevealEntry:
    """Append an entry chained to the previous line's hash (tampering breaks the chain)."""
    previous = "0" * 64
    if log.is_file():
        lines = log.read_text(encoding="utf-8").splitlines()
        if lines:
            previous = hashlib.sha256(lines[-1].encode()).hexdigest()
    entry = RevealEntry(previous=previous, **entry_fields)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry.__dict__, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def reveal_file(
    extract: Path,
    schema: EncodingSchema,
    ids_file: Path,
    fields: Sequence[str],
    out: Path,
    *,
    partner: str,
    purpose: str,
    recipient: str,
    log: Path,
    audit: Engine | None = None,
    agreement_id: str | None = None,
) -> Reveal:
    """Reveal the agreed fields of the requested records to a CSV, and log the reveal."""
    if not ids_file.is_file():
        raise NotFound(f"ids file {ids_file} does not exist")
    if not fields:
        raise ConfigError("name the fields the agreement grants with --fields")
    mapped = set(schema.columns.values())
    unknown = [f for f in fields if f not in mapped]
    if unknown:
        raise ConfigError(f"fields {', '.join(unknown)} are not in this extract's schema")
    wanted = [
        line.strip()
        for line in ids_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and line.strip() not in ("unique_id", "record_id")
    ]
    result = reveal_records(
        read_extract(extract, schema), wanted, fields, partner, schema.source_type
    )
    tmp = out.with_name(f".{out.name}.part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["unique_id", *fields])
        writer.writeheader()
        writer.writerows(result.rows)
    os.replace(tmp, out)
    ids_sha256 = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()
    if audit is not None:
        # In the hub's audit the revealed records are named by their pseudonymous ids, so
        # a subject access report (via the person index) finds every reveal of a person.
        from sharewell.audit import AuditEvent, record

        record(
            audit,
            AuditEvent(
                actor=partner,
                action="reveal",
                target=f"{partner}:{schema.source_type}",
                outcome="ok",
                organisation=partner,
                purpose=purpose,
                agreement_id=agreement_id,
                persons=tuple(str(r["unique_id"]) for r in result.rows),
                detail={"recipient": recipient, "fields": list(fields), "ids_sha256": ids_sha256},
            ),
        )
    append_reveal_log(
        log,
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "partner": partner,
            "source": schema.source_type,
            "purpose": purpose,
            "recipient": recipient,
            "fields": tuple(fields),
            "records": len(result.rows),
            "ids_sha256": ids_sha256,
        },
    )
    return result
