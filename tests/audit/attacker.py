"""An attacker with write access to the operational store, and what they can compute.

They can read and rewrite every table (dropping the append-only triggers first), and they
know the algorithms: canonical JSON, SHA-256, HMAC-SHA256. What they may or may not have is
the hub's audit key file. ``reseal`` recomputes a rewritten log's links, hashes and head
with whatever key the attacker holds; with none, the best forgeries they can make.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, delete, insert, text, update

from sharewell.audit.chain import GENESIS_HASH, ChainHead, canonical_json, head_message
from sharewell.audit.keys import KeyRing
from sharewell.store.tables import audit_chain_head, audit_log, audit_persons

# How an attacker without the key seals what they rewrote.
Forgery = Literal["sha256", "sha256_no_key_id", "own_key", "own_key_own_id"]
FORGERIES: tuple[Forgery, ...] = ("sha256", "sha256_no_key_id", "own_key", "own_key_own_id")
OWN_KEY = b"the attacker's own key, not the hub's" * 2

HASHED = (
    "seq", "recorded_at", "actor", "action", "target", "outcome", "organisation", "role",
    "purpose", "agreement_id", "agreement_version", "persons", "detail", "prev_hash",
)  # fmt: skip


@dataclass
class StoredLog:
    """Everything the audit tables hold: rows in seq order, the person index, the head."""

    rows: list[dict[str, Any]]
    persons: dict[int, set[str]]
    head: ChainHead


def read_log(engine: Engine) -> StoredLog:
    """The audit tables as the attacker sees them."""
    with engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(audit_log.select().order_by(audit_log.c.seq))
        ]
        persons: dict[int, set[str]] = {}
        for seq, person in conn.execute(audit_persons.select()):
            persons.setdefault(seq, set()).add(person)
        head = conn.execute(audit_chain_head.select()).one()
    return StoredLog(rows, persons, ChainHead(head.seq, head.hash, head.key_id, head.seal))


def drop_guards(engine: Engine) -> None:
    """Drop the append-only triggers, as someone with full access to the database could."""
    with engine.begin() as conn:
        for table in ("audit_log", "audit_persons"):
            if engine.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))


def write_log(engine: Engine, log: StoredLog) -> None:
    """Replace the audit tables' contents with ``log``, as someone with full access could."""
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(delete(audit_persons))
        conn.execute(delete(audit_log))
        if log.rows:
            conn.execute(insert(audit_log), log.rows)
        pairs = [{"seq": s, "person_id": p} for s, ps in log.persons.items() for p in ps]
        if pairs:
            conn.execute(insert(audit_persons), pairs)
        conn.execute(
            update(audit_chain_head).values(
                seq=log.head.seq, hash=log.head.hash, key_id=log.head.key_id, seal=log.head.seal
            )
        )


def _content(row: dict[str, Any], with_key_id: bool) -> dict[str, Any]:
    content = {k: row[k] for k in HASHED}
    content["persons"] = json.loads(row["persons"])
    content["detail"] = json.loads(row["detail"])
    if with_key_id and row.get("key_id") is not None:
        content["key_id"] = row["key_id"]
    return content


def seal_row(row: dict[str, Any], how: Forgery, ring: KeyRing | None) -> None:
    """Recompute ``row``'s hash: with the hub's key when ``ring`` is given, else forged."""
    if ring is not None:
        key = ring.covering(row["seq"])
        row["key_id"] = key.id if key else None
        body = canonical_json(_content(row, True)).encode()
        row["hash"] = key.mac(body) if key else hashlib.sha256(body).hexdigest()
        return
    if how == "sha256_no_key_id":
        row["key_id"] = None
    if how == "own_key_own_id":
        row["key_id"] = "attacker0000000"
    body = canonical_json(_content(row, True)).encode()
    if how.startswith("sha256"):
        row["hash"] = hashlib.sha256(body).hexdigest()
    else:
        row["hash"] = hmac.new(OWN_KEY, body, hashlib.sha256).hexdigest()


def reseal(log: StoredLog, how: Forgery = "sha256", ring: KeyRing | None = None) -> StoredLog:
    """Renumber from 1, relink, reseal every row and the head: a whole consistent rewrite."""
    prev = GENESIS_HASH
    for seq, row in enumerate(log.rows, start=1):
        row["seq"], row["prev_hash"] = seq, prev
        seal_row(row, how, ring)
        prev = row["hash"]
    log.persons = {
        r["seq"]: set(json.loads(r["persons"])) for r in log.rows if json.loads(r["persons"])
    }
    last = log.rows[-1] if log.rows else {"seq": 0, "hash": GENESIS_HASH}
    log.head = head_for(last["seq"], last["hash"], how, ring)
    return log


def head_for(seq: int, digest: str, how: Forgery, ring: KeyRing | None) -> ChainHead:
    """A chain head at (seq, hash), sealed with the hub's key if held, else forged."""
    if ring is not None:
        key = ring.sealing(seq)
        assert key is not None
        return ChainHead(seq, digest, key.id, key.mac(head_message(seq, digest)))
    forged = hmac.new(OWN_KEY, head_message(seq, digest), hashlib.sha256).hexdigest()
    return ChainHead(seq, digest, None if how.startswith("sha256") else "attacker", forged)


def forged_entry(after: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A new row modelled on ``after``, e.g. an access that names nobody."""
    return {**after, "persons": "[]", **changes}


def rows_equal(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> bool:
    """Whether two logs hold exactly the same rows."""
    return [dict(r) for r in a] == [dict(r) for r in b]
