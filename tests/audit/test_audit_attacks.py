"""The four rewrites an adversarial test got past `audit verify`, and what now stops each.

Against an attacker who can write the database but does not hold the audit key file: each
of them is found. Against one who holds the key too: a checkpoint a partner took earlier
still finds any change to the entries it covers. Every attack here exited 0 before.
"""

from __future__ import annotations

import json

import pytest
from attacker import FORGERIES, Forgery, StoredLog, forged_entry, head_for, read_log, reseal
from attacker import write_log as rewrite
from sqlalchemy import Engine

from sharewell.audit import Anchor, AuditEvent, record, verify
from sharewell.audit.keys import KeyRing, load_key_ring
from sharewell.audit.log import audit_key_file
from sharewell.errors import StoreError


def _fill(engine: Engine, n: int = 8) -> None:
    for i in range(n):
        record(
            engine,
            AuditEvent(
                actor=f"westshire_police.frontline{i % 2}",
                action="access",
                target="flag lookup",
                outcome="allow",
                organisation="westshire_police",
                purpose="mh_crisis_care",
                persons=(f"p{i}",),
                detail={"reason": "allowed by agreement mh-crisis-care v1", "n": i},
            ),
        )


def _ring(engine: Engine) -> KeyRing:
    return load_key_ring(audit_key_file(engine))


def _edit_and_recompute(log: StoredLog, how: Forgery, ring: KeyRing | None = None) -> StoredLog:
    log.rows[2]["actor"] = "someone_else"  # entry 3: who looked
    return reseal(log, how, ring)


def _delete_and_renumber(log: StoredLog, how: Forgery, ring: KeyRing | None = None) -> StoredLog:
    del log.rows[3]  # entry 4 gone, 5.. renumbered down, the chain relinked
    return reseal(log, how, ring)


def _cut_and_rewind(log: StoredLog, how: Forgery, ring: KeyRing | None = None) -> StoredLog:
    del log.rows[5:]  # the last entries gone, the head rewound to what is left
    log.persons = {s: p for s, p in log.persons.items() if s <= 5}
    log.head = head_for(5, log.rows[-1]["hash"], how, ring)
    return log


def _append_forged(log: StoredLog, how: Forgery, ring: KeyRing | None = None) -> StoredLog:
    last = log.rows[-1]
    log.rows.append(forged_entry(last, actor="ghost", outcome="deny", detail=json.dumps({})))
    return reseal(log, how, ring)


ATTACKS = {
    "edit and recompute the chain and head": _edit_and_recompute,
    "delete and renumber": _delete_and_renumber,
    "cut the last rows and rewind the head": _cut_and_rewind,
    "append a forged entry naming no one": _append_forged,
}


@pytest.mark.parametrize("how", FORGERIES)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_each_attack_is_found_when_the_key_is_withheld(
    engine: Engine, attack: str, how: Forgery
) -> None:
    _fill(engine)
    assert verify(engine).ok
    rewrite(engine, ATTACKS[attack](read_log(engine), how))
    report = verify(engine)
    assert not report.ok, attack
    assert report.problems[0].message


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_with_the_key_a_rewrite_verifies_but_a_partners_checkpoint_finds_it(
    engine: Engine, attack: str
) -> None:
    _fill(engine)
    held = verify(engine)  # a partner checkpointed the log as it stood
    checkpoint = Anchor(held.head_seq, held.head_hash, "checkpoint westshire_fire.json")
    _fill(engine, 2)  # the hub goes on working
    rewrite(engine, ATTACKS[attack](read_log(engine), "sha256", _ring(engine)))
    # The honest limit: whoever holds the key can write a log that verifies on its own...
    assert verify(engine).ok
    # ...but not one that still has the partner's entry N with hash H, unless the rewrite
    # left everything up to N alone (appending after it does).
    found = verify(engine, [checkpoint])
    if attack == "append a forged entry naming no one":
        assert found.ok  # entries after the checkpoint: the checkpoint cannot speak to them
    else:
        assert [p.kind for p in found.problems] == ["checkpoint"], found.problems
        assert "checkpoint westshire_fire.json says entry 8 had hash" in found.problems[0].message


def test_a_cut_log_is_not_extended_so_the_cut_cannot_hide_under_new_entries(
    engine: Engine,
) -> None:
    _fill(engine)
    rewrite(engine, _cut_and_rewind(read_log(engine), "sha256"))
    with pytest.raises(StoreError, match="nothing was recorded, so nothing was done"):
        _fill(engine, 1)
    assert verify(engine).head_seq == 5  # nothing was chained onto the cut


def test_a_recorded_head_still_holds_after_legitimate_reads(engine: Engine) -> None:
    from sharewell.audit.log import recorded_head

    _fill(engine, 3)
    head = verify(engine)
    _fill(engine, 4)  # reads since: the recorded head is an older entry now, not the newest
    for recorded in (f"{head.head_seq}:{head.head_hash}", head.head_hash):
        assert verify(engine, [recorded_head(engine, recorded)]).ok
    # even the key's holder cannot remove an entry before it and keep it
    log = read_log(engine)
    del log.rows[1]
    rewrite(engine, reseal(log, "sha256", _ring(engine)))
    assert verify(engine).ok
    assert not verify(engine, [recorded_head(engine, head.head_hash)]).ok
    assert not verify(engine, [recorded_head(engine, f"3:{head.head_hash}")]).ok


def test_the_key_file_pins_the_log_at_each_rotation(engine: Engine) -> None:
    from sharewell.audit.keying import rotate_audit_key

    _fill(engine, 4)
    old = _ring(engine).keys[0]
    new = rotate_audit_key(engine, actor="hub.admin")
    assert (new.from_seq, new.status) == (5, "pending")  # as written; active once recorded
    assert _ring(engine).keys[1].status == "active"
    _fill(engine, 3)
    report = verify(engine)
    assert report.ok and report.keys == (old.id, new.id)
    # entries from before the rotation still verify with the old key; after, with the new
    log = read_log(engine)
    assert {r["key_id"] for r in log.rows[:4]} == {old.id}
    assert {r["key_id"] for r in log.rows[4:]} == {new.id}
    assert log.rows[4]["action"] == "audit_change"
    # Someone holding only the old key (say it leaked, which is why it was rotated) rewrites
    # the entries it sealed: the rotation's pin of entry 4, outside the database, finds it,
    # and the new key's first entry no longer chains to the rewritten log.
    rows = log.rows
    rows[1]["actor"] = "someone_else"
    resealed = reseal(StoredLog(rows[:4], {}, log.head), "sha256", KeyRing((old,)))
    resealed.rows += rows[4:]
    resealed.persons = log.persons
    resealed.head = log.head
    rewrite(engine, resealed)
    kinds = {(p.seq, p.kind) for p in verify(engine).problems}
    assert {(4, "key"), (5, "broken_link")} <= kinds, kinds


def test_an_entry_sealed_with_the_wrong_key_is_named(engine: Engine) -> None:
    _fill(engine, 3)
    log = read_log(engine)
    log.rows[1]["key_id"] = None  # pretend it predates the keys, with a plain SHA-256
    reseal(log, "sha256_no_key_id")
    rewrite(engine, log)
    messages = [p.message for p in verify(engine).problems]
    assert any("says it was sealed with no key" in m for m in messages), messages
