"""The audit chain as plain data: entries, their canonical seal, and the chain head (pure).

An entry written before the hub had an audit key is sealed with plain SHA-256 of its
canonical content; every later entry with HMAC-SHA256 under the key that covers its ``seq``,
the key's id being part of what is sealed. ``verify.py`` checks a stored chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from sharewell.audit.keys import AuditKey

__all__ = [
    "GENESIS_HASH",
    "AuditAction",
    "AuditEntry",
    "AuditEvent",
    "AuditOutcome",
    "ChainHead",
    "ChainProblem",
    "VerificationReport",
    "canonical_json",
    "entry_hash",
    "head_message",
    "row_to_entry",
]

# What the first entry chains to; the same value the migration puts in the chain head.
GENESIS_HASH = "0" * 64

AuditAction = Literal[
    "access",  # a governed read (a view, a lookup, a list)
    "reveal",  # identities revealed to a user, e.g. a flag owner told of a lookup
    "export",  # data written out of the hub
    "ingest",  # an extract loaded into the workspace
    "agreement_change",  # an agreement added, changed or suspended
    "partnership_change",  # an organisation or user added or changed
    "login",
    "deletion",  # data deleted, e.g. by retention
    "linkage_decision",  # an analyst accepted or rejected a pair in clerical review
    "audit_change",  # an audit key created or rotated, or the chain head resealed
]
# held: an ingest the shrink rule held for confirmation instead of loading it
AuditOutcome = Literal["allow", "deny", "ok", "failed", "held"]
AUDIT_ACTIONS: frozenset[str] = frozenset(get_args(AuditAction))
AUDIT_OUTCOMES: frozenset[str] = frozenset(get_args(AuditOutcome))


def canonical_json(value: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True)
class AuditEvent:
    """What a caller reports happened; the log adds sequence, time and hashes."""

    actor: str
    action: AuditAction
    target: str
    outcome: AuditOutcome
    organisation: str | None = None
    role: str | None = None
    purpose: str | None = None
    agreement_id: str | None = None
    agreement_version: int | None = None
    persons: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Refuse unknown vocabulary here, not at verification time years later.
        if self.action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")
        if self.outcome not in AUDIT_OUTCOMES:
            raise ValueError(f"unknown audit outcome {self.outcome!r}")
        canonical_json(dict(self.detail))  # fails now if the detail cannot be serialised


@dataclass(frozen=True)
class AuditEntry:
    """One stored, hash-chained entry of the audit log."""

    seq: int
    recorded_at: str
    actor: str
    action: str
    target: str
    outcome: str
    organisation: str | None
    role: str | None
    purpose: str | None
    agreement_id: str | None
    agreement_version: int | None
    persons: tuple[str, ...]
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str
    key_id: str | None = None  # the audit key that sealed it; None before the hub had keys

    def hashed_content(self) -> dict[str, Any]:
        """Everything the seal covers: every column except the hash itself."""
        keyed = {"key_id": self.key_id} if self.key_id is not None else {}
        return {
            **keyed,
            "seq": self.seq,
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "organisation": self.organisation,
            "role": self.role,
            "purpose": self.purpose,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "persons": list(self.persons),
            "detail": dict(self.detail),
            "prev_hash": self.prev_hash,
        }


def entry_hash(content: Mapping[str, Any], key: AuditKey | None = None) -> str:
    """The seal of an entry's content (hex): HMAC-SHA256 under ``key``, else plain SHA-256.

    Plain SHA-256 is only for entries written before the hub had a key: anyone who can write
    the database can recompute it, which is why every entry since is keyed.
    """
    text = canonical_json(dict(content)).encode("utf-8")
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return key.mac(text)


def head_message(seq: int, digest: str) -> bytes:
    """What the chain head's seal covers: the newest entry's number and hash."""
    return f"sharewell-audit-head|{seq}|{digest}".encode("ascii")


@dataclass(frozen=True)
class ChainHead:
    """The stored chain head: the newest entry's seq and hash, and the key's seal of them."""

    seq: int
    hash: str
    key_id: str | None = None
    seal: str | None = None


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored log differs from what was written."""

    seq: int | None
    kind: Literal[
        "edited",
        "missing",
        "out_of_order",
        "broken_link",
        "unreadable",
        "head",
        "key",
        "checkpoint",
    ]
    message: str


@dataclass(frozen=True)
class VerificationReport:
    """The result of checking the whole chain (and any checkpoints held against it)."""

    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]
    keyed_from: int | None = None  # entries before it predate the hub's audit keys
    keys: tuple[str, ...] = ()
    anchors_checked: int = 0


def row_to_entry(row: Mapping[str, Any]) -> AuditEntry:
    persons = json.loads(row["persons"])
    detail = json.loads(row["detail"])
    if not isinstance(persons, list) or not isinstance(detail, dict):
        raise ValueError("persons must be a JSON list and detail a JSON object")
    return AuditEntry(
        seq=row["seq"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        organisation=row["organisation"],
        role=row["role"],
        purpose=row["purpose"],
        agreement_id=row["agreement_id"],
        agreement_version=row["agreement_version"],
        persons=tuple(str(p) for p in persons),
        detail=detail,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        key_id=row.get("key_id"),
    )
