"""Linkage for analysts: runs, the quality report with its chart, and review through agreements."""

from __future__ import annotations

import re

import duckdb

from sharewell.audit import entries
from sharewell.partnership import hub_engine
from sharewell.partnership.accounts import add_api_token
from tests.web.conftest import LinkedWeb, form_csrf

FIRE_ANALYST = "westshire_fire.analyst"
MHT_ANALYST = "westshire_mht.analyst"
AMBULANCE_ANALYST = "westshire_ambulance.analyst"


def _run_id(linked_web: LinkedWeb) -> str:
    with duckdb.connect(str(linked_web.settings.workspace_path()), read_only=True) as con:
        row = con.execute("SELECT run_id FROM linkage_runs").fetchone()
    assert row is not None
    return str(row[0])


def test_analyst_sees_the_runs_and_a_quality_report_with_match_weights(
    linked_web: LinkedWeb,
) -> None:
    client = linked_web.client(FIRE_ANALYST)
    run_id = _run_id(linked_web)
    runs = client.get("/linkage")
    assert runs.status_code == 200 and run_id in runs.text
    report = client.get(f"/linkage/runs/{run_id}")
    assert report.status_code == 200
    # The chart's spec is in the page, and its figures as a table for readers without JS.
    assert 'id="spec-match-weights"' in report.text and 'id="spec-pair-weights"' in report.text
    assert "Exact match on family_name" in report.text
    api = client.get(f"/api/v1/linkage/runs/{run_id}").json()
    exact = [w for w in api["match_weights"] if w["level"] == "Exact match on family_name"]
    assert exact and exact[0]["match_weight"] > 5
    assert sum(b["pairs"] for b in api["scored_pairs"]) >= api["links"]
    assert client.get("/linkage/runs/no-such-run").status_code == 404


def test_api_token_reads_runs_but_not_the_review_queue(linked_web: LinkedWeb) -> None:
    engine = hub_engine(linked_web.settings)
    token = add_api_token(engine, "westshire_fire", label="linkage", actor="test")
    engine.dispose()
    client = linked_web.client(FIRE_ANALYST)
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/api/v1/linkage/runs").json()[0]["run_id"] == _run_id(linked_web)
    assert client.get("/api/v1/linkage/review").status_code == 403


def _shown_sources(text: str) -> set[str]:
    return set(re.findall(r"\((\w+\.\w+)\)</th>", text))


def test_review_queue_shows_only_pairs_the_agreements_let_the_analyst_see(
    linked_web: LinkedWeb,
) -> None:
    fire = linked_web.client(FIRE_ANALYST).get("/linkage/review")
    mht = linked_web.client(MHT_ANALYST).get("/linkage/review")
    assert fire.status_code == 200 and mht.status_code == 200
    # Fire prevention shares no crisis records with the fire service; crisis care does with MHT.
    assert "mh_trust.crisis_contact" not in _shown_sources(fire.text)
    assert "mh_trust.crisis_contact" in _shown_sources(mht.text)
    assert _shown_sources(mht.text) <= {
        "mh_trust.crisis_contact",
        "police.mh_incident",
        "ambulance.mh_callout",
    }
    # Fields the agreement withholds are not shown (fire prevention shares no NHS numbers).
    if "data-pair" in fire.text:
        assert "withheld" in fire.text
    # An analyst with no identifiable grant sees only pairs of their own organisation's records
    # (duplicates within its own data), and how much else is waiting.
    ambulance = linked_web.client(AMBULANCE_ANALYST).get("/api/v1/linkage/review?limit=200")
    pairs = ambulance.json()["pairs"]
    assert all(
        {p["left"]["partner"], p["right"]["partner"]} == {"westshire_ambulance"} for p in pairs
    )
    assert ambulance.json()["not_shown"] > 0
    # Each look went through the governed read, and was audited with the persons seen.
    engine = hub_engine(linked_web.settings)
    looks = [e for e in entries(engine) if e.actor == MHT_ANALYST and e.action == "access"]
    engine.dispose()
    assert looks and all(e.outcome == "allow" for e in looks) and looks[-1].persons


def test_analyst_decides_a_pair_and_it_leaves_the_queue(linked_web: LinkedWeb) -> None:
    client = linked_web.client(MHT_ANALYST)
    before = client.get("/api/v1/linkage/review?limit=5").json()
    pair = before["pairs"][0]
    page = client.get("/linkage/review")
    response = client.post(
        "/linkage/review",
        data={
            "csrf_token": form_csrf(page.text),
            "unique_id_l": pair["unique_id_l"],
            "unique_id_r": pair["unique_id_r"],
            "decision": "reject",
        },
    )
    assert response.status_code == 303
    assert "Decision recorded" in client.get(response.headers["location"]).text
    after = client.get("/api/v1/linkage/review?limit=5").json()
    assert (pair["unique_id_l"], pair["unique_id_r"]) not in {
        (p["unique_id_l"], p["unique_id_r"]) for p in after["pairs"]
    }
    with duckdb.connect(str(linked_web.settings.workspace_path()), read_only=True) as con:
        stored = con.execute(
            "SELECT decision, reviewer FROM linkage_review_decisions WHERE unique_id_l = ?",
            [pair["unique_id_l"]],
        ).fetchall()
    assert ("reject", MHT_ANALYST) in stored


def test_an_analyst_cannot_decide_a_pair_whose_records_they_may_not_see(
    linked_web: LinkedWeb,
) -> None:
    queue = linked_web.client(MHT_ANALYST).get("/api/v1/linkage/review?limit=50").json()
    # A pair with a record of the mental health trust, which the ambulance service may not see.
    pair = next(p for p in queue["pairs"] if p["left"]["partner"] == "westshire_mht")
    ambulance = linked_web.client(AMBULANCE_ANALYST)
    response = ambulance.post(
        "/api/v1/linkage/review",
        json={
            "unique_id_l": pair["unique_id_l"],
            "unique_id_r": pair["unique_id_r"],
            "decision": "accept",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"]["kind"] == "AccessDenied"
