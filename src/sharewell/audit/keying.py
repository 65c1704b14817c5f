"""The life of the audit keys: the first key (``sharewell init``), rotation, and resealing.

Bringing a key in touches two stores — the key file and the database — so it goes in steps
that are each safe to stop after: the key is written to the file as *pending*; then, in one
database transaction, the chain head is sealed with it (the first key) or the rotation is
recorded as the first entry it seals; then the key is marked *active*. A first key left
pending is finished by the next ``sharewell init``; a rotation left pending is replaced by
the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from sharewell.audit.chain import AuditEntry, AuditEvent, ChainHead
from sharewell.audit.keys import (
    AuditKey,
    activated,
    load_key_ring,
    new_key,
    write_key_ring,
)
from sharewell.audit.log import (
    append,
    audit_key_file,
    audit_transaction,
    read_head,
    seal_head,
)
from sharewell.audit.verify import head_problem, verify_chain
from sharewell.errors import StoreError
from sharewell.store.tables import audit_log

__all__ = ["KeyStatus", "ensure_audit_key", "reseal_head", "rotate_audit_key"]


@dataclass(frozen=True)
class KeyStatus:
    """The hub's signing key after ``ensure_audit_key``: which, from which entry, new or not."""

    key_file: Path
    key_id: str
    from_seq: int
    created: bool


def _took_over(key: AuditKey, actor: str, why: str) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action="audit_change",
        target=f"audit key {key.id}",
        outcome="ok",
        detail={
            "key_id": key.id,
            "from_seq": key.from_seq,
            "after_hash": key.after_hash,
            "why": why,
        },
    )


def _seal_first(engine: Engine, key: AuditKey) -> None:
    """Seal the chain head with the hub's first key, then mark the key active."""
    path = audit_key_file(engine)
    with audit_transaction(engine) as conn:
        head = read_head(conn, lock=True)
        ring = load_key_ring(path)
        at_takeover = head is not None and (head.seq, head.hash) == (
            key.from_seq - 1,
            key.after_hash,
        )
        if head is not None and at_takeover and head.seal is None:
            seal_head(conn, head, ring)
    write_key_ring(path, activated(load_key_ring(path).keys, key.id))


def ensure_audit_key(engine: Engine) -> KeyStatus:
    """Give the hub its first audit key if it has none; finish one left half brought in.

    Raises:
        StoreError: the log holds entries sealed with keys but the key file is missing
            (restore it: a new key would leave those entries unverifiable).
    """
    path = audit_key_file(engine)
    if path.exists():
        ring = load_key_ring(path)
        newest = ring.newest
        assert newest is not None
        if len(ring.keys) == 1 and newest.status == "pending":
            _seal_first(engine, newest)  # an init that stopped half way
        return KeyStatus(path, newest.id, newest.from_seq, created=False)
    with engine.connect() as conn:
        keyed = conn.execute(
            select(audit_log.c.key_id).where(audit_log.c.key_id.is_not(None)).limit(1)
        ).first()
        head = read_head(conn)
    if keyed is not None:
        raise StoreError(
            f"the audit log is sealed with audit key {keyed[0]}, but the key file {path} does "
            "not exist: restore it, or point SHAREWELL_AUDIT_KEY_FILE at it. A new key cannot "
            "replace it: the entries it sealed could no longer be checked"
        )
    if head is None:
        raise StoreError("the audit chain head is missing: the log was tampered with")
    key = new_key(from_seq=head.seq + 1, after_hash=head.hash)
    write_key_ring(path, [key])
    _seal_first(engine, key)
    return KeyStatus(path, key.id, key.from_seq, created=True)


def rotate_audit_key(engine: Engine, *, actor: str) -> AuditKey:
    """Bring in a new key for every entry from now on; the old ones stay, to check the past.

    The rotation is an entry of its own, the first the new key seals. Raises StoreError when
    the chain head's seal does not hold (run ``sharewell audit verify`` first).
    """
    path = audit_key_file(engine)
    with audit_transaction(engine) as conn:
        head = read_head(conn, lock=True)
        ring = load_key_ring(path)
        if head is None or (problem := head_problem(head, ring)) is not None:
            raise StoreError(f"no key was rotated: {problem if head else 'no chain head'}")
        kept = list(ring.keys)
        newest = kept[-1]
        if newest.from_seq == head.seq + 1:
            if newest.status != "pending" or len(kept) == 1:
                raise StoreError(
                    f"audit key {newest.id} has sealed no entry yet: there is nothing to rotate"
                )
            kept.pop()  # a rotation stopped before its first entry: it sealed nothing
        key = new_key(from_seq=head.seq + 1, after_hash=head.hash)
        write_key_ring(path, [*kept, key])
        try:
            append(conn, _took_over(key, actor, "rotation"))
        except BaseException:
            write_key_ring(path, ring.keys)  # the entry did not go in: nor does the key
            raise
    write_key_ring(path, activated([*kept, key], key.id))
    return key


def reseal_head(engine: Engine, *, actor: str, reason: str) -> AuditEntry:
    """Seal the chain head as it now stands, recording why, once someone has investigated.

    Only for a head whose seal fails while every entry still verifies (the log's end was
    cut, or a key file went out of date): the reseal is itself an entry, saying what the
    head was, so it is on record for good; checkpoints still show any entries cut.
    """
    if not reason.strip():
        raise StoreError("say why the head is resealed (--reason): it goes into the log")
    path = audit_key_file(engine)
    with audit_transaction(engine) as conn:
        head = read_head(conn, lock=True)
        ring = load_key_ring(path)
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
        last = rows[-1] if rows else None
        actual = ChainHead(last["seq"], last["hash"]) if last else ChainHead(0, "0" * 64)
        report = verify_chain(rows, None, None, ring)
        # What may be wrong is only past the log's end (a cut tail): the rest must verify.
        broken = [p for p in report.problems if p.kind != "head" and (p.seq or 0) <= actual.seq]
        if broken:
            raise StoreError(
                "the log itself does not verify (run `sharewell audit verify`); resealing the "
                "head would not make it whole, so nothing was changed"
            )
        was = f"entry {head.seq}, hash {head.hash}" if head else "missing"
        seal_head(conn, actual, ring)
        return append(
            conn,
            AuditEvent(
                actor=actor,
                action="audit_change",
                target="audit chain head resealed",
                outcome="ok",
                detail={
                    "reason": reason,
                    "head_was": was,
                    "resealed_at": actual.seq,
                    "why": "head seal did not hold",
                },
            ),
        )
