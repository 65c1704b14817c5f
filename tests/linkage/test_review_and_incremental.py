"""Analysts' decisions outrank the model; new extracts join the index without retraining."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from people import People, make_people, write_person_records

from conftest import hub_with_people, truth_table
from sharewell.audit import entries, verify
from sharewell.errors import NotFound
from sharewell.linkage import link_workspace
from sharewell.linkage.evaluation import accuracy
from sharewell.linkage.incremental import link_new_records
from sharewell.linkage.review import decide, review_queue
from sharewell.partnership import hub_engine


def _index(settings_path: Path) -> dict[str, str]:
    con = duckdb.connect(str(settings_path), read_only=True)
    try:
        return dict(con.execute("SELECT unique_id, person_id FROM person_index").fetchall())
    finally:
        con.close()


def test_rejected_and_accepted_pairs_are_respected_by_the_next_run(tmp_path: Path) -> None:
    people = make_people(300, seed=5)
    settings = hub_with_people(tmp_path / "hub", people)
    link_workspace(settings)
    index = _index(settings.workspace_path())
    by_truth: dict[str, list[str]] = {}
    for uid, pid in people.truth.items():
        by_truth.setdefault(pid, []).append(uid)
    # A linked pair of one person, and two records of different people.
    linked_pair = next(
        (a, b)
        for uids in by_truth.values()
        if len(uids) == 2
        for a, b in [sorted(uids)]
        if index[a] == index[b]
    )
    ids = list(by_truth)
    strangers = (by_truth[ids[0]][0], by_truth[ids[1]][0])
    assert index[strangers[0]] != index[strangers[1]]
    index_before = index

    decide(settings, *linked_pair, "accept", reviewer="analyst@westshire")
    decide(settings, *linked_pair, "reject", reviewer="analyst@westshire", note="checked with GP")
    decide(settings, *strangers, "accept", reviewer="analyst@westshire")
    run = link_workspace(settings)
    index = _index(settings.workspace_path())
    assert index[linked_pair[0]] != index[linked_pair[1]]
    assert index[strangers[0]] == index[strangers[1]]
    assert run.rejected_but_joined == 0

    # Every decision, including a change of mind, is in the tamper-evident audit log.
    engine = hub_engine(settings)
    try:
        audited = [e for e in entries(engine) if e.action == "linkage_decision"]
        assert verify(engine).ok
    finally:
        engine.dispose()
    assert [(e.actor, e.outcome, e.detail["decision"]) for e in audited] == [
        ("analyst@westshire", "ok", "accept"),
        ("analyst@westshire", "ok", "reject"),
        ("analyst@westshire", "ok", "accept"),
    ]
    changed = audited[1]
    assert changed.detail["previous_decision"] == "accept"
    assert changed.detail["note"] == "checked with GP"
    assert sorted((changed.detail["unique_id_l"], changed.detail["unique_id_r"])) == sorted(
        linked_pair
    )
    # The person the two records were in when the analyst looked, for subject access.
    assert changed.persons == (index_before[linked_pair[0]],)


def test_review_queue_offers_undecided_pairs_near_the_threshold(tmp_path: Path) -> None:
    people = make_people(600, seed=9)
    settings = hub_with_people(tmp_path / "hub", people)
    # A strict threshold puts plenty of real pairs within the review band.
    run = link_workspace(settings, threshold=0.9999)
    queue = review_queue(settings, limit=5)
    assert run.review_pairs >= len(queue) > 0
    first = queue[0]
    assert first.left["family_name"] is not None
    decide(settings, first.unique_id_r, first.unique_id_l, "reject", reviewer="a")
    assert (first.unique_id_l, first.unique_id_r) not in {
        (p.unique_id_l, p.unique_id_r) for p in review_queue(settings, limit=50)
    }


def test_decision_on_unknown_record_is_refused(tmp_path: Path) -> None:
    settings = hub_with_people(tmp_path / "hub", make_people(30, seed=2))
    link_workspace(settings)
    with pytest.raises(NotFound, match="no record"):
        decide(settings, "nobody:x:1", "nobody:x:2", "accept", reviewer="a")


def test_incremental_link_agrees_with_a_full_relink(tmp_path: Path) -> None:
    people = make_people(1000, seed=21)
    late = "westshire_ambulance"
    first = People([r for r in people.records if r["partner"] != late])
    second = People([r for r in people.records if r["partner"] == late])
    settings = hub_with_people(tmp_path / "hub", first)
    link_workspace(settings)
    write_person_records(settings.workspace_path(), second)

    run = link_new_records(settings)
    assert run.new_records == len(second.records) and run.kind == "incremental"
    incremental = _index(settings.workspace_path())
    assert set(incremental) == set(people.truth)

    link_workspace(settings)  # the full relink, retrained
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE inc (unique_id VARCHAR, person_id VARCHAR)")
    con.executemany("INSERT INTO inc VALUES (?, ?)", list(incremental.items()))
    con.execute(f"ATTACH '{settings.workspace_path()}' AS ws (READ_ONLY)")
    # Tolerance (docs/linkage.md): pairwise F1 >= 0.99 between incremental and full relink.
    agreement = accuracy(con, "inc", "ws.person_index")
    assert agreement.f1 >= 0.99, agreement
    truth_table(con, people)
    # The maker's county is dense with twins and namesake fathers and sons (4% of people),
    # many with one record each: indistinguishable from a keying error (docs/linkage.md).
    assert accuracy(con, "inc", "truth").precision >= 0.975


def test_incremental_without_a_previous_run_says_run_a_full_link(tmp_path: Path) -> None:
    settings = hub_with_people(tmp_path / "hub", make_people(20, seed=1))
    with pytest.raises(NotFound, match="full run"):
        link_new_records(settings)


def test_an_incremental_run_respects_decisions_on_the_new_records(tmp_path: Path) -> None:
    people = make_people(300, seed=7)
    late = "westshire_ambulance"
    first = People([r for r in people.records if r["partner"] != late])
    second = People([r for r in people.records if r["partner"] == late])
    settings = hub_with_people(tmp_path / "hub", first)
    link_workspace(settings)
    write_person_records(settings.workspace_path(), second)
    new_ids = {r["unique_id"] for r in second.records}
    by_truth: dict[str, list[str]] = {}
    for uid, pid in people.truth.items():
        by_truth.setdefault(pid, []).append(uid)
    # A new record and an existing record of the same person; a new record and a stranger.
    same = next(
        (new, old)
        for uids in by_truth.values()
        for new in uids
        if new in new_ids
        for old in uids
        if old not in new_ids
    )
    stranger_new = next(u for u in sorted(new_ids) if people.truth[u] != people.truth[same[0]])
    stranger_old = next(
        u
        for u in sorted(people.truth)
        if u not in new_ids and people.truth[u] != people.truth[stranger_new]
    )
    decide(settings, *same, "reject", reviewer="analyst@westshire")
    decide(settings, stranger_new, stranger_old, "accept", reviewer="analyst@westshire")

    link_new_records(settings)
    index = _index(settings.workspace_path())
    assert index[same[0]] != index[same[1]]
    assert index[stranger_new] == index[stranger_old]
