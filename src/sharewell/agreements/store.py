"""Versioned agreements in the operational store: a change is a new version, the old is kept."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, func, select

from sharewell.agreements.model import Agreement
from sharewell.agreements.validation import check_agreement, load_agreement, raise_for_problems
from sharewell.audit import audit_transaction, insert_audited
from sharewell.audit.chain import canonical_json
from sharewell.errors import AgreementError, NotFound
from sharewell.store.tables import agreements, organisations

__all__ = [
    "AddResult",
    "StoredAgreement",
    "add_agreement",
    "add_agreement_file",
    "agreement_history",
    "current_agreements",
    "get_agreement",
    "known_organisations",
    "suspend_agreement",
]


@dataclass(frozen=True)
class StoredAgreement:
    """One stored version of an agreement and who recorded it."""

    agreement: Agreement
    content_hash: str
    source_file: str | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class AddResult:
    """What ``add_agreement`` did."""

    agreement_id: str
    version: int
    status: str
    outcome: Literal["added", "new_version", "unchanged"]


def content_hash(agreement: Agreement) -> str:
    """SHA-256 of the agreement's canonical JSON: equal content, equal hash."""
    return hashlib.sha256(canonical_json(agreement.model_dump(mode="json")).encode()).hexdigest()


def known_organisations(engine: Engine) -> dict[str, str]:
    """Organisation slug to type, for validating agreements."""
    with engine.connect() as conn:
        return {
            r.slug: r.type for r in conn.execute(select(organisations.c.slug, organisations.c.type))
        }


def _stored(row: object) -> StoredAgreement:
    m = row._mapping  # type: ignore[attr-defined]
    return StoredAgreement(
        agreement=Agreement.model_validate(json.loads(m["document"])),
        content_hash=m["content_hash"],
        source_file=m["source_file"],
        recorded_at=m["recorded_at"],
        recorded_by=m["recorded_by"],
    )


def _latest(conn: Connection, agreement_id: str) -> StoredAgreement | None:
    row = conn.execute(
        select(agreements)
        .where(agreements.c.agreement_id == agreement_id)
        .order_by(agreements.c.version.desc())
        .limit(1)
    ).first()
    return _stored(row) if row is not None else None


def _insert(
    conn: Connection, agreement: Agreement, *, actor: str, source_file: str | None, change: str
) -> None:
    digest = content_hash(agreement)
    insert_audited(
        conn,
        agreements,
        {
            "agreement_id": agreement.id,
            "version": agreement.version,
            "title": agreement.title,
            "status": agreement.status,
            "document": canonical_json(agreement.model_dump(mode="json")),
            "content_hash": digest,
            "source_file": source_file,
            "recorded_at": datetime.now(UTC),
            "recorded_by": actor,
        },
        actor=actor,
        action="agreement_change",
        target=f"agreement {agreement.id} v{agreement.version}",
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        detail={
            "change": change,
            "status": agreement.status,
            "content_hash": digest,
            "source_file": source_file,
        },
    )


def add_agreement(
    engine: Engine, agreement: Agreement, *, actor: str, source_file: str | None = None
) -> AddResult:
    """Check and store an agreement; the same content twice is a no-op. Audited."""
    file = source_file or f"agreement {agreement.id}"
    raise_for_problems(check_agreement(agreement, file, organisations=known_organisations(engine)))
    with audit_transaction(engine) as conn:
        latest = _latest(conn, agreement.id)
        if latest is None:
            _insert(conn, agreement, actor=actor, source_file=source_file, change="added")
            return AddResult(agreement.id, agreement.version, agreement.status, "added")
        if latest.content_hash == content_hash(agreement):
            return AddResult(agreement.id, agreement.version, agreement.status, "unchanged")
        newest = latest.agreement.version
        if agreement.version <= newest:
            raise AgreementError(
                f"{file}: version: agreement {agreement.id} version {newest} is already "
                "stored with "
                f"different content — fix: set `version: {newest + 1}` to record the change "
                "as a new version"
            )
        _insert(conn, agreement, actor=actor, source_file=source_file, change="new version")
        return AddResult(agreement.id, agreement.version, agreement.status, "new_version")


def add_agreement_file(engine: Engine, path: Path, *, actor: str) -> AddResult:
    """Load, check (against the stored organisations) and store an agreement YAML file."""
    agreement = load_agreement(path, organisations=known_organisations(engine))
    return add_agreement(engine, agreement, actor=actor, source_file=str(path))


def suspend_agreement(engine: Engine, agreement_id: str, *, actor: str, reason: str) -> AddResult:
    """Suspend an agreement at once: a new version with status suspended. Audited."""
    with audit_transaction(engine) as conn:
        latest = _latest(conn, agreement_id)
        if latest is None:
            raise NotFound(f"no agreement {agreement_id!r}; see `sharewell agreement list`")
        if latest.agreement.status == "suspended":
            a = latest.agreement
            return AddResult(a.id, a.version, a.status, "unchanged")
        suspended = latest.agreement.model_copy(
            update={"status": "suspended", "version": latest.agreement.version + 1}
        )
        _insert(conn, suspended, actor=actor, source_file=None, change=f"suspended: {reason}")
    return AddResult(agreement_id, suspended.version, "suspended", "new_version")


def agreement_history(engine: Engine, agreement_id: str) -> list[StoredAgreement]:
    """Every stored version of an agreement, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(agreements)
            .where(agreements.c.agreement_id == agreement_id)
            .order_by(agreements.c.version)
        ).fetchall()
    if not rows:
        raise NotFound(f"no agreement {agreement_id!r}; see `sharewell agreement list`")
    return [_stored(r) for r in rows]


def get_agreement(engine: Engine, agreement_id: str, version: int | None = None) -> StoredAgreement:
    """One version of an agreement (default: the newest)."""
    history = agreement_history(engine, agreement_id)
    if version is None:
        return history[-1]
    for stored in history:
        if stored.agreement.version == version:
            return stored
    versions = ", ".join(str(s.agreement.version) for s in history)
    raise NotFound(f"agreement {agreement_id} has no version {version}; it has versions {versions}")


def current_agreements(engine: Engine) -> list[Agreement]:
    """The newest version of every agreement (read fresh on every call: no caching)."""
    newest = (
        select(agreements.c.agreement_id, func.max(agreements.c.version).label("version"))
        .group_by(agreements.c.agreement_id)
        .subquery()
    )
    query = (
        select(agreements.c.document)
        .join(
            newest,
            (agreements.c.agreement_id == newest.c.agreement_id)
            & (agreements.c.version == newest.c.version),
        )
        .order_by(agreements.c.agreement_id)
    )
    with engine.connect() as conn:
        return [_parsed(r[0]) for r in conn.execute(query)]


@lru_cache(maxsize=1024)
def _parsed(document: str) -> Agreement:
    # Read fresh, parsed once: the same stored text is the same (frozen) agreement, so a
    # suspension or a new version, being new text, takes effect at the very next read.
    return Agreement.model_validate(json.loads(document))
