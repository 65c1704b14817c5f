"""The audit chain as plain data: entries, their canonical hash, and verification (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "GENESIS_HASH",
    "AuditAction",
    "AuditEntry",
    "AuditEvent",
    "AuditOutcome",
    "ChainProblem",
    "VerificationReport",
    "canonical_json",
    "entry_hash",
    "row_to_entry",
    "verify_chain",
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

    def hashed_content(self) -> dict[str, Any]:
        """Everything the hash covers: every column except the hash itself."""
        return {
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


def entry_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical serialisation of an entry's content."""
    return hashlib.sha256(canonical_json(dict(content)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored log differs from what was written."""

    seq: int | None
    kind: Literal["edited", "missing", "out_of_order", "broken_link", "unreadable", "head"]
    message: str


@dataclass(frozen=True)
class VerificationReport:
    """The result of checking the whole chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]


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
    )


def verify_chain(
    rows: Sequence[Mapping[str, Any]],
    head: tuple[int, str],
    person_index: Mapping[int, set[str]] | None = None,
) -> VerificationReport:
    """Check stored rows (in ``seq`` order) against their hashes, links and the chain head.

    Detects an edited row (its hash no longer matches), a deleted or inserted row (a gap in
    ``seq`` or a broken link to the previous hash), rows reordered (links broken), rows cut
    from the end (the chain head disagrees), and a person index that no longer matches.
    """
    problems: list[ChainProblem] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    last_seq, last_hash = 0, GENESIS_HASH
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                missing = (
                    f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
                )
                problems.append(
                    ChainProblem(
                        seq, "missing", f"entries {missing} are missing before entry {seq}"
                    )
                )
            else:
                problems.append(
                    ChainProblem(seq, "out_of_order", f"entry {seq} appears after entry {last_seq}")
                )
        if row["prev_hash"] != expected_prev:
            problems.append(
                ChainProblem(
                    seq,
                    "broken_link",
                    f"entry {seq} does not chain to the entry before it: an entry before it "
                    "was deleted, inserted, reordered or edited",
                )
            )
        try:
            entry = row_to_entry(row)
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(ChainProblem(seq, "unreadable", f"entry {seq} cannot be read: {exc}"))
        else:
            recomputed = entry_hash(entry.hashed_content())
            if recomputed != row["hash"]:
                problems.append(
                    ChainProblem(
                        seq,
                        "edited",
                        f"entry {seq} was changed after it was written "
                        f"(stored hash {row['hash'][:12]}…, content hashes to {recomputed[:12]}…)",
                    )
                )
            elif person_index is not None and person_index.get(seq, set()) != set(entry.persons):
                problems.append(
                    ChainProblem(
                        seq,
                        "edited",
                        f"the person index for entry {seq} does not match the entry's persons",
                    )
                )
        expected_seq, expected_prev = seq + 1, row["hash"]
        last_seq, last_hash = seq, row["hash"]
    if person_index is not None:
        seqs = {row["seq"] for row in rows}
        for orphan in sorted(set(person_index) - seqs):
            problems.append(
                ChainProblem(
                    orphan,
                    "edited",
                    f"the person index names entry {orphan}, which is not in the log",
                )
            )
    head_seq, head_hash = head
    if (head_seq, head_hash) != (last_seq, last_hash):
        problems.append(
            ChainProblem(
                head_seq,
                "head",
                f"the log ends at entry {last_seq} but the chain head records entry {head_seq}: "
                "entries were removed from or added to the end, or the head was edited",
            )
        )
    return VerificationReport(
        ok=not problems,
        entries_checked=len(rows),
        head_seq=head_seq,
        head_hash=head_hash,
        problems=tuple(problems),
    )
