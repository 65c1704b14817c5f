"""The audit log in the operational store: serialised appends, reads and verification."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update

from sharewell.audit.chain import (
    AuditAction,
    AuditEntry,
    AuditEvent,
    VerificationReport,
    canonical_json,
    entry_hash,
    row_to_entry,
    verify_chain,
)
from sharewell.store.tables import audit_chain_head, audit_log, audit_persons

__all__ = ["append", "audit_transaction", "entries", "record", "verify"]


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
    """Append ``event`` to the chain inside ``conn``'s transaction (see ``audit_transaction``)."""
    # FOR UPDATE locks the head row on PostgreSQL so concurrent appends queue; on SQLite the
    # clause is dropped and BEGIN IMMEDIATE already holds the database's single write lock.
    head = conn.execute(
        select(audit_chain_head.c.seq, audit_chain_head.c.hash)
        .where(audit_chain_head.c.id == 1)
        .with_for_update()
    ).one()
    recorded_at = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    persons = tuple(dict.fromkeys(str(p) for p in event.persons))  # unique, order kept
    content: dict[str, Any] = {
        "seq": head.seq + 1,
        "recorded_at": recorded_at,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "organisation": event.organisation,
        "role": event.role,
        "purpose": event.purpose,
        "agreement_id": event.agreement_id,
        "agreement_version": event.agreement_version,
        "persons": list(persons),
        "detail": dict(event.detail),
        "prev_hash": head.hash,
    }
    digest = entry_hash(content)
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
        conn.execute(
            insert(audit_persons), [{"seq": content["seq"], "person_id": p} for p in persons]
        )
    conn.execute(
        update(audit_chain_head)
        .where(audit_chain_head.c.id == 1)
        .values(seq=content["seq"], hash=digest)
    )
    return AuditEntry(**{**content, "persons": persons}, hash=digest)


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
    """Append one entry in its own transaction."""
    with audit_transaction(engine) as conn:
        return append(conn, event)


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


def verify(engine: Engine) -> VerificationReport:
    """Check every stored entry, the links between them, the person index and the head."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
        head = conn.execute(
            select(audit_chain_head.c.seq, audit_chain_head.c.hash).where(
                audit_chain_head.c.id == 1
            )
        ).one_or_none()
        index: dict[int, set[str]] = defaultdict(set)
        for seq, person_id in conn.execute(select(audit_persons.c.seq, audit_persons.c.person_id)):
            index[seq].add(person_id)
    head_pair = (head.seq, head.hash) if head is not None else (-1, "(chain head row deleted)")
    return verify_chain(rows, head_pair, index)
