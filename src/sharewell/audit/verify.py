"""Checking a stored audit chain against its seals, its keys and the checkpoints held (pure).

What is detected, and against whom, is in docs/security.md ("What the audit log proves"):
with the key withheld, any edit, deletion, renumbering, insertion, forged entry or cut tail;
with a checkpoint, any change to the entries it covers, even by someone holding the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sharewell.audit.chain import (
    GENESIS_HASH,
    ChainHead,
    ChainProblem,
    VerificationReport,
    entry_hash,
    head_message,
    row_to_entry,
)
from sharewell.audit.keys import KeyRing

__all__ = ["Anchor", "head_problem", "verify_chain"]


@dataclass(frozen=True)
class Anchor:
    """A claim held outside the hub: "entry ``seq`` has hash ``hash``" (a checkpoint)."""

    seq: int
    hash: str
    label: str  # where the claim comes from, e.g. "checkpoint westshire_fire-2026-05.json"


def head_problem(head: ChainHead, ring: KeyRing) -> str | None:
    """Why the chain head's seal does not hold (None when it does).

    The head is sealed by the key covering its entry (the first key, before any entry was
    keyed). A log whose newest entries were cut, with the head rewound to an older entry,
    cannot be resealed without the key. The one unsealed head allowed is the moment a
    hub's first key is being brought in (the key file says "pending", and names the very
    entry the head points at), which ``sharewell init`` then finishes.
    """
    sealer = ring.sealing(head.seq)
    if sealer is None:
        return None  # no key yet: a hub from before audit keys, not yet brought up to date
    if head.key_id == sealer.id and head.seal == sealer.mac(head_message(head.seq, head.hash)):
        return None
    first = ring.keys[0]
    if (
        sealer is first
        and first.status == "pending"
        and head.seal is None
        and (head.seq, head.hash) == (first.from_seq - 1, first.after_hash)
    ):
        return None
    return (
        f"the chain head (entry {head.seq}) is not sealed by audit key {sealer.id}: entries "
        "were cut from the end of the log and the head rewound or edited, or this hub's key "
        "file is out of date (a key rotated elsewhere)"
    )


def _check_keys(
    by_seq: Mapping[int, Mapping[str, Any]], head: ChainHead, ring: KeyRing
) -> list[ChainProblem]:
    """Each key pins the entry the chain had reached when it took over, and its first entry."""
    problems = []
    for key in ring.keys:
        pinned = key.from_seq - 1
        held: str | None
        if pinned == 0:
            held = GENESIS_HASH
        else:
            row = by_seq.get(pinned)
            held = row["hash"] if row is not None else None
        if held != key.after_hash:
            where = "is missing" if held is None else f"now has hash {held[:12]}…"
            problems.append(
                ChainProblem(
                    pinned,
                    "key",
                    f"when audit key {key.id} took over, entry {pinned} had hash "
                    f"{key.after_hash[:12]}…; it {where}: the log before it was rewritten or cut",
                )
            )
        # The newest key may have sealed nothing yet: the head still sits where it took over.
        if key.from_seq not in by_seq and head.seq != pinned:
            problems.append(
                ChainProblem(
                    key.from_seq,
                    "missing",
                    f"audit key {key.id} signs entries from {key.from_seq}, but the log ends at "
                    f"entry {head.seq}: entries were cut from the end",
                )
            )
    return problems


def verify_chain(
    rows: Sequence[Mapping[str, Any]],
    head: ChainHead | None,
    person_index: Mapping[int, set[str]] | None = None,
    ring: KeyRing | None = None,
    anchors: Sequence[Anchor] = (),
) -> VerificationReport:
    """Check stored rows (in ``seq`` order) against their seals, links, keys and head.

    Detects an edited row (its seal no longer matches: without the key it cannot be made
    to), a deleted, renumbered or inserted row (a gap in ``seq``, a broken link, a seal
    that does not match), rows reordered, rows cut from the end (the head's seal, the key
    file's pins), an entry sealed with the wrong key, a person index that no longer matches,
    and any anchor (checkpoint) the log no longer agrees with.
    """
    ring = ring or KeyRing(())
    problems: list[ChainProblem] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    last_seq, last_hash = 0, GENESIS_HASH
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                gap = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
                problems.append(
                    ChainProblem(seq, "missing", f"entries {gap} are missing before entry {seq}")
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
        problems.extend(_check_entry(row, ring, person_index))
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
    stored = head or ChainHead(-1, "(chain head row deleted)")
    if (stored.seq, stored.hash) != (last_seq, last_hash):
        problems.append(
            ChainProblem(
                stored.seq,
                "head",
                f"the log ends at entry {last_seq} but the chain head records entry "
                f"{stored.seq}: entries were removed from or added to the end, or the head "
                "was edited",
            )
        )
    elif (why := head_problem(stored, ring)) is not None:
        problems.append(ChainProblem(stored.seq, "head", why))
    by_seq = {row["seq"]: row for row in rows}
    problems.extend(_check_keys(by_seq, stored, ring))
    for anchor in anchors:
        problems.extend(_check_anchor(anchor, by_seq))
    return VerificationReport(
        ok=not problems,
        entries_checked=len(rows),
        head_seq=stored.seq,
        head_hash=stored.hash,
        problems=tuple(problems),
        keyed_from=ring.keyed_from,
        keys=tuple(k.id for k in ring.keys),
        anchors_checked=len(anchors),
    )


def _check_entry(
    row: Mapping[str, Any], ring: KeyRing, person_index: Mapping[int, set[str]] | None
) -> list[ChainProblem]:
    seq = row["seq"]
    try:
        entry = row_to_entry(row)
    except (ValueError, TypeError, KeyError) as exc:
        return [ChainProblem(seq, "unreadable", f"entry {seq} cannot be read: {exc}")]
    key = ring.covering(seq) if isinstance(seq, int) else None
    expected_id = key.id if key is not None else None
    if entry.key_id != expected_id:
        said = f"key {entry.key_id}" if entry.key_id else "no key"
        should = f"key {expected_id}" if expected_id else "no key (it predates the keys)"
        return [
            ChainProblem(
                seq,
                "key",
                f"entry {seq} says it was sealed with {said}, but {should} seals entry {seq}: "
                "it was rewritten by someone without the key",
            )
        ]
    recomputed = entry_hash(entry.hashed_content(), key)
    if recomputed != row["hash"]:
        return [
            ChainProblem(
                seq,
                "edited",
                f"entry {seq} was changed after it was written (stored seal {row['hash'][:12]}…, "
                f"its content seals to {recomputed[:12]}…)",
            )
        ]
    if person_index is not None and person_index.get(seq, set()) != set(entry.persons):
        return [
            ChainProblem(
                seq,
                "edited",
                f"the person index for entry {seq} does not match the entry's persons",
            )
        ]
    return []


def _check_anchor(anchor: Anchor, by_seq: Mapping[int, Mapping[str, Any]]) -> list[ChainProblem]:
    row = by_seq.get(anchor.seq)
    if row is not None and row["hash"] == anchor.hash:
        return []
    if anchor.seq < 1:
        return [
            ChainProblem(
                None,
                "checkpoint",
                f"{anchor.label}: no entry of the log has hash {anchor.hash[:12]}…: the log was "
                "rewritten or cut since it was recorded",
            )
        ]
    now = "is no longer in the log" if row is None else f"now has hash {row['hash'][:12]}…"
    return [
        ChainProblem(
            anchor.seq,
            "checkpoint",
            f"{anchor.label} says entry {anchor.seq} had hash {anchor.hash[:12]}…, but it {now}: "
            f"the log up to entry {anchor.seq} was rewritten or cut since",
        )
    ]
