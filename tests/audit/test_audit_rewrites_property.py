"""Generated rewrites of a real audit log, the key withheld: every one is found (1,000 tried).

The log is a real hub's: entries written before audit keys existed (a hub upgraded through
migration 0004), entries sealed with its first key, a rotation, entries sealed with the new
key. Hypothesis then rewrites it as someone with the database but not the key file could —
edits, deletions, insertions, reordering, a cut tail — and optionally renumbers, relinks,
reseals every entry and the head with the best forgeries available, and the verifier (the
same pure function `sharewell audit verify` runs) must report a problem every time.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from attacker import FORGERIES, StoredLog, head_for, read_log, reseal, seal_row
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from sharewell.audit import AuditEvent, record, verify
from sharewell.audit.chain import GENESIS_HASH, canonical_json
from sharewell.audit.keying import rotate_audit_key
from sharewell.audit.keys import KeyRing, load_key_ring
from sharewell.audit.verify import verify_chain
from sharewell.config import Settings
from sharewell.store import init_hub, operational_engine
from sharewell.store.operational import _alembic_config

EXAMPLES = 1_000  # rewrites that changed something: a no-op is not counted


def _legacy_entries(url: str, n: int) -> None:
    """Entries as sharewell wrote them before audit keys: plain SHA-256, no key id (0003)."""
    engine = operational_engine(url)
    config = _alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    prev = GENESIS_HASH
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            content: dict[str, Any] = {
                "seq": seq,
                "recorded_at": datetime(2025, 1, seq, tzinfo=UTC).isoformat(),
                "actor": "westshire_fire.analyst",
                "action": "access",
                "target": "asc.client at pseudonymised",
                "outcome": "allow",
                "organisation": "westshire_fire",
                "role": "analyst",
                "purpose": "fire_prevention",
                "agreement_id": "fire-prevention",
                "agreement_version": 1,
                "persons": [f"old{seq}"],
                "detail": {"rows": seq},
                "prev_hash": prev,
            }
            digest = hashlib.sha256(canonical_json(content).encode()).hexdigest()
            conn.execute(
                text(
                    "INSERT INTO audit_log (seq, recorded_at, actor, organisation, role, purpose,"
                    " action, target, agreement_id, agreement_version, persons, outcome, detail,"
                    " prev_hash, hash) VALUES (:seq, :recorded_at, :actor, :organisation, :role,"
                    " :purpose, :action, :target, :agreement_id, :agreement_version, :persons,"
                    " :outcome, :detail, :prev_hash, :hash)"
                ),
                {
                    **content,
                    "persons": json.dumps(content["persons"]),
                    "detail": json.dumps(content["detail"]),
                    "hash": digest,
                },
            )
            conn.execute(
                text("INSERT INTO audit_persons VALUES (:seq, :p)"), {"seq": seq, "p": f"old{seq}"}
            )
            conn.execute(
                text("UPDATE audit_chain_head SET seq = :s, hash = :h"), {"s": seq, "h": digest}
            )
            prev = digest
    engine.dispose()


@pytest.fixture(scope="module")
def real_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoredLog, KeyRing]:
    """A hub upgraded from before audit keys, with keyed entries and a rotation: its log."""
    settings = Settings(hub_dir=tmp_path_factory.mktemp("upgraded") / "hub")
    settings.hub_dir.mkdir(parents=True)
    _legacy_entries(settings.operational_url(), 6)
    status = init_hub(settings)  # migration 0004, and the hub's first key from entry 7
    assert status.audit_key_created
    engine = operational_engine(settings.operational_url(), settings.audit_key_path())
    for i in range(14):
        if i == 7:
            rotate_audit_key(engine, actor="hub.admin")
        record(
            engine,
            AuditEvent(
                actor="westshire_police.frontline",
                action="access",
                target="flag lookup",
                outcome="allow" if i % 3 else "deny",
                organisation="westshire_police",
                purpose="mh_crisis_care",
                persons=(f"p{i}",) if i % 4 else (),
                detail={"i": i},
            ),
        )
    report = verify(engine)
    assert report.ok and report.keyed_from == 7 and len(report.keys) == 2
    log, ring = read_log(engine), load_key_ring(settings.audit_key_path())
    engine.dispose()
    return log, ring


def test_the_upgraded_hub_verifies_old_and_new_entries(
    real_log: tuple[StoredLog, KeyRing],
) -> None:
    log, ring = real_log
    assert [r["key_id"] is None for r in log.rows[:6]] == [True] * 6
    assert len({r["key_id"] for r in log.rows[6:]}) == 2
    assert verify_chain(log.rows, log.head, log.persons, ring).ok


COLUMNS = (
    "seq", "recorded_at", "actor", "action", "target", "outcome", "organisation", "role",
    "purpose", "agreement_id", "persons", "detail", "prev_hash", "hash", "key_id",
)  # fmt: skip


def _edit_value(row: dict[str, Any], column: str, salt: str) -> None:
    if column == "seq":
        row["seq"] = row["seq"] + 1 + len(salt)
    elif column == "persons":
        row["persons"] = json.dumps([*json.loads(row["persons"]), f"x{salt}"])
    elif column == "detail":
        row["detail"] = json.dumps({**json.loads(row["detail"]), "x": salt})
    elif column == "key_id":
        row["key_id"] = None if row["key_id"] else "0123456789abcdef"
    else:
        row[column] = f"{row[column]}{salt}"


operation = st.one_of(
    st.tuples(
        st.just("edit"),
        st.integers(0, 99),
        st.sampled_from(COLUMNS),
        st.text("ab1", min_size=1, max_size=3),
    ),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("insert"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("swap"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("cut"), st.integers(1, 19)),
)  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation, min_size=1, max_size=3),
    resealing=st.sampled_from(["none", "hashes", "renumber"]),
    forgery=st.sampled_from(FORGERIES),
    head=st.sampled_from(["kept", "last", "forged_last"]),
)
def test_every_rewrite_without_the_key_is_found(
    real_log: tuple[StoredLog, KeyRing],
    operations: list[tuple[Any, ...]],
    resealing: str,
    forgery: str,
    head: str,
) -> None:
    original, ring = real_log
    log = copy.deepcopy(original)
    rows = log.rows
    for op in operations:
        if not rows:
            break
        kind, *args = op
        if kind == "edit":
            _edit_value(rows[args[0] % len(rows)], args[1], args[2])
        elif kind == "delete":
            del rows[args[0] % len(rows)]
        elif kind == "insert":
            rows.insert(args[0] % (len(rows) + 1), dict(rows[args[1] % len(rows)], actor="ghost"))
        elif kind == "swap":
            i, j = args[0] % len(rows), args[1] % len(rows)
            rows[i], rows[j] = rows[j], rows[i]
        else:
            del rows[-min(args[0], len(rows)) :]
    if resealing == "renumber":
        reseal(log, forgery)  # type: ignore[arg-type]
    elif resealing == "hashes":
        prev = GENESIS_HASH
        for row in rows:
            row["prev_hash"] = prev
            seal_row(row, forgery, None)  # type: ignore[arg-type]
            prev = row["hash"]
    last = rows[-1] if rows else {"seq": 0, "hash": GENESIS_HASH}
    if head == "last":
        log.head = log.head.__class__(last["seq"], last["hash"], log.head.key_id, log.head.seal)
    elif head == "forged_last":
        log.head = head_for(last["seq"], last["hash"], forgery, None)  # type: ignore[arg-type]
    if resealing == "renumber" or head != "kept":
        log.persons = {
            r["seq"]: set(json.loads(r["persons"])) for r in rows if json.loads(r["persons"])
        }
    # Only real rewrites count towards the examples (the operations may undo each other).
    assume(rows != original.rows or log.head != original.head)
    report = verify_chain(rows, log.head, log.persons, ring)
    assert not report.ok, (operations, resealing, forgery, head)
