"""The audit log in the operational store: serialised, keyed appends, reads and verification.

The key file's path travels with the engine (``bind_audit_keys``; ``hub_engine`` and
``operational_engine(url, audit_key_file=...)`` do it), so every writer seals with the hub's
keys and no caller can forget to. An append first checks the chain head's seal: a log whose
tail was cut (and head rewound) by someone without the key is refused, not extended, so the
cut cannot be hidden under new entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update

from sharewell.audit.chain import (
    AuditAction,
    AuditEntry,
    AuditEvent,
    ChainHead,
    VerificationReport,
    canonical_json,
    entry_hash,
    head_message,
    row_to_entry,
)
from sharewell.audit.group import group_for
from sharewell.audit.keys import KeyRing, load_key_ring
from sharewell.audit.verify import Anchor, head_problem, verify_chain
from sharewell.errors import StoreError
from sharewell.store.tables import audit_chain_head, audit_log, audit_persons

__all__ = [
    "append",
    "audit_key_file",
    "audit_transaction",
    "bind_audit_keys",
    "entries",
    "read_head",
    "record",
    "recorded_head",
    "verify",
]

# The execution option naming the key file: connections inherit it from their engine.
KEY_FILE_OPTION = "sharewell_audit_key_file"


def bind_audit_keys(engine: Engine, key_file: Path) -> Engine:
    """``engine`` with the hub's audit key file attached (same pool, same connections)."""
    return engine.execution_options(**{KEY_FILE_OPTION: str(key_file)})


def audit_key_file(conn: Connection | Engine) -> Path:
    """The key file bound to this engine or connection; StoreError when there is none."""
    name = conn.get_execution_options().get(KEY_FILE_OPTION)
    if not name:
        raise StoreError(
            "this operational store connection has no audit key file: open the hub with "
            "hub_engine(settings), or operational_engine(url, audit_key_file=...)"
        )
    return Path(name)


def read_head(conn: Connection, *, lock: bool = False) -> ChainHead | None:
    """The stored chain head (locked for the transaction with ``lock``), or None if deleted."""
    query = select(
        audit_chain_head.c.seq,
        audit_chain_head.c.hash,
        audit_chain_head.c.key_id,
        audit_chain_head.c.seal,
    ).where(audit_chain_head.c.id == 1)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    return ChainHead(row.seq, row.hash, row.key_id, row.seal) if row is not None else None


@contextmanager
def audit_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that may append audit entries; commits at the end, else rolls back.

    Anything else written on the yielded connection commits or rolls back together with the
    entries, which is how an access and its audit record succeed or fail as one.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Take SQLite's write lock now: a deferred transaction that read the chain head
            # and then tried to write would fail (SQLITE_BUSY_SNAPSHOT) instead of waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def append(conn: Connection, event: AuditEvent, *, at: datetime | None = None) -> AuditEntry:
    """Append ``event`` to the chain inside ``conn``'s transaction (see ``audit_transaction``).

    Raises:
        StoreError: the chain head's seal does not hold (the log's end was cut, or this
            process's key file is out of date); nothing is written.
    """
    # FOR UPDATE locks the head row on PostgreSQL so concurrent appends queue; on SQLite the
    # clause is dropped and BEGIN IMMEDIATE already holds the database's single write lock.
    head = read_head(conn, lock=True)
    if head is None:
        raise StoreError("the audit chain head is missing: the log was tampered with")
    # Read the keys only now, under the lock: a rotation that just committed is seen.
    ring = load_key_ring(audit_key_file(conn))
    problem = head_problem(head, ring)
    if problem is not None:
        raise StoreError(
            f"nothing was recorded, so nothing was done: {problem}. Run `sharewell audit "
            "verify`; once the cause is known, `sharewell audit reseal --reason ...`"
        )
    seq = head.seq + 1
    key = ring.covering(seq)
    if key is None:
        raise StoreError(f"no audit key covers entry {seq}: run `sharewell init` for this hub")
    recorded_at = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    persons = tuple(dict.fromkeys(str(p) for p in event.persons))  # unique, order kept
    entry = AuditEntry(
        seq=seq,
        recorded_at=recorded_at,
        actor=event.actor,
        action=event.action,
        target=event.target,
        outcome=event.outcome,
        organisation=event.organisation,
        role=event.role,
        purpose=event.purpose,
        agreement_id=event.agreement_id,
        agreement_version=event.agreement_version,
        persons=persons,
        detail=dict(event.detail),
        prev_hash=head.hash,
        hash="",
        key_id=key.id,
    )
    content = entry.hashed_content()
    digest = entry_hash(content, key)  # one HMAC per entry; the head's seal is a second
    conn.execute(
        insert(audit_log).values(
            **{
                **content,
                "persons": canonical_json(list(persons)),
                "detail": canonical_json(content["detail"]),
            },
            hash=digest,
        )
    )
    if persons:
        conn.execute(insert(audit_persons), [{"seq": seq, "person_id": p} for p in persons])
    seal_head(conn, ChainHead(seq, digest), ring)
    return AuditEntry(**{**content, "persons": persons}, hash=digest)


def seal_head(conn: Connection, head: ChainHead, ring: KeyRing) -> None:
    """Point the chain head at ``head`` (seq, hash), sealed by the key that seals it."""
    key = ring.sealing(head.seq)
    assert key is not None, "sealing needs a key"
    conn.execute(
        update(audit_chain_head)
        .where(audit_chain_head.c.id == 1)
        .values(
            seq=head.seq,
            hash=head.hash,
            key_id=key.id,
            seal=key.mac(head_message(head.seq, head.hash)),
        )
    )


def append_change(
    conn: Connection, *, actor: str, action: AuditAction, target: str, **context: Any
) -> AuditEntry:
    """Append an ``ok`` entry for a change written in the same transaction (who changed what).

    ``context`` is the rest of the event: organisation, role, agreement, detail.
    """
    return append(
        conn, AuditEvent(actor=actor, action=action, target=target, outcome="ok", **context)
    )


def insert_audited(
    conn: Connection,
    table: Table,
    values: dict[str, Any],
    *,
    actor: str,
    action: AuditAction,
    target: str,
    **context: Any,
) -> AuditEntry:
    """Insert one row of the operational store and its ``ok`` entry, in one transaction."""
    conn.execute(insert(table).values(**values))
    return append_change(conn, actor=actor, action=action, target=target, **context)


def record(engine: Engine, event: AuditEvent) -> AuditEntry:
    """Append one entry; it is committed before this returns.

    The one way to write an audit entry on its own: appends from this process's concurrent
    requests are group-committed (``audit.group``), each waiting for its group's commit.
    """
    (entry,) = group_for(engine).record(engine, [event], append, audit_transaction)
    return entry


def entries(
    engine: Engine, *, person_id: str | None = None, agreement_id: str | None = None
) -> list[AuditEntry]:
    """Stored entries in order, optionally only those naming a person or an agreement."""
    query = select(audit_log).order_by(audit_log.c.seq)
    if person_id is not None:
        query = query.where(
            audit_log.c.seq.in_(
                select(audit_persons.c.seq).where(audit_persons.c.person_id == person_id)
            )
        )
    if agreement_id is not None:
        query = query.where(audit_log.c.agreement_id == agreement_id)
    with engine.connect() as conn:
        return [row_to_entry(dict(row._mapping)) for row in conn.execute(query)]


def recorded_head(engine: Engine, text: str) -> Anchor:
    """The anchor of a head recorded earlier: ``SEQ:HASH``, or a hash alone (found by hash).

    Checked as "the chain still holds this entry with this hash", not "this is still the
    newest entry": the log grows with every read, so yesterday's head is an older entry now.
    """
    seq_text, _, digest = text.strip().rpartition(":")
    label = f"the head recorded earlier ({text.strip()[:20]}…)"
    if seq_text:
        try:
            return Anchor(int(seq_text), digest, label)
        except ValueError:
            raise StoreError(f"--expect-head {text!r}: give SEQ:HASH or the hash alone") from None
    with engine.connect() as conn:
        seq = conn.execute(select(audit_log.c.seq).where(audit_log.c.hash == digest)).scalar()
    return Anchor(int(seq) if seq is not None else 0, digest, label)


def verify(engine: Engine, anchors: Sequence[Anchor] = ()) -> VerificationReport:
    """Check every stored entry, the links, keys, person index and head, and ``anchors``."""
    ring = load_key_ring(audit_key_file(engine))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
        head = read_head(conn)
        index: dict[int, set[str]] = defaultdict(set)
        for seq, person_id in conn.execute(select(audit_persons.c.seq, audit_persons.c.person_id)):
            index[seq].add(person_id)
    return verify_chain(rows, head, index, ring, anchors)
