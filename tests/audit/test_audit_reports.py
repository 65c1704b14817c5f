"""Subject access (who saw this person) and agreement usage reports."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sharewell.agreements import governed_read, seed_demo_partnership
from sharewell.audit import agreement_usage_report, entries, subject_access_report
from sharewell.cli import ExitCode, main
from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.store import operational_engine

NOW = datetime(2026, 11, 25, 12, 0)


def _activity(engine: Engine) -> None:
    seed_demo_partnership(engine, actor="test")
    governed_read(
        engine,
        username="westshire_fire.frontline",
        purpose="fire_prevention",
        dataset="police.mh_incident",
        fields=["mh_crisis_contact_last_12m"],
        level="flag_only",
        fetch=lambda d: [
            {"person_id": "P-17", "mh_crisis_contact_last_12m": True},
            {"person_id": "P-18"},
        ],
        at=NOW,
    )
    governed_read(
        engine,
        username="westshire_mht.analyst",
        purpose="mh_crisis_care",
        dataset="ambulance.mh_callout",
        fields=["callout_date", "outcome"],
        level="identifiable",
        fetch=lambda d: [
            {"person_id": "P-17", "callout_date": "2026-10-02", "outcome": "referred"}
        ],
        at=NOW,
    )
    with pytest.raises(AccessDenied):
        governed_read(
            engine,
            username="westshire_police.analyst",
            purpose="fire_prevention",
            dataset="mh_trust.crisis_contact",
            fields=["diagnosis"],
            level="identifiable",
            fetch=lambda d: [],
            at=NOW,
        )


def test_subject_access_says_who_saw_a_person_when_and_why(engine: Engine) -> None:
    _activity(engine)
    report = subject_access_report(engine, "P-17")
    assert report.seen_by_organisations == ("westshire_fire", "westshire_mht")
    assert [(e.actor, e.purpose, e.agreement_id) for e in report.entries] == [
        ("westshire_fire.frontline", "fire_prevention", "fire-prevention"),
        ("westshire_mht.analyst", "mh_crisis_care", "mh-crisis-care"),
    ]
    assert subject_access_report(engine, "P-18").seen_by_organisations == ("westshire_fire",)
    assert subject_access_report(engine, "P-404").entries == ()


def test_agreement_usage_counts_uses_refusals_and_people(engine: Engine) -> None:
    _activity(engine)
    usage = agreement_usage_report(engine, "fire-prevention")
    assert (usage.allowed, usage.changes, usage.persons) == (1, 1, 2)
    assert usage.by_organisation["westshire_fire"] == 1
    crisis = agreement_usage_report(engine, "mh-crisis-care")
    # The police analyst's refusal is recorded against the agreement that nearly allowed it.
    assert crisis.by_purpose == {"-": 1, "mh_crisis_care": 1, "fire_prevention": 1}
    assert (crisis.allowed, crisis.denied) == (1, 1)


def test_audit_commands_report_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = tmp_path / "hub"
    main(["init", str(hub)])
    _activity(operational_engine(Settings(hub_dir=hub).operational_url(), hub / "audit-keys.json"))
    capsys.readouterr()

    assert main(["partnership", "seed-demo", "--hub", str(hub)]) == ExitCode.OK
    capsys.readouterr()
    person = ["audit", "person", "P-17", "--hub", str(hub), "--json"]
    # Who saw a person is itself a look at that person: asked as someone, IG leads only.
    assert main(person) == ExitCode.USAGE
    capsys.readouterr()
    assert main([*person, "--user", "westshire_fire.frontline"]) == ExitCode.DENIED
    assert "P-17" not in capsys.readouterr().out
    assert main([*person, "--user", "hub.admin"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["seen_by_organisations"] == ["westshire_fire", "westshire_mht"]
    assert main([*person, "--user", "westshire_fire.ig_lead"]) == ExitCode.OK
    shown = json.loads(capsys.readouterr().out)["entries"]
    assert shown and {e["organisation"] for e in shown} <= {"westshire_fire", "westshire_mht"}
    looks = [
        e
        for e in entries(
            operational_engine(Settings(hub_dir=hub).operational_url(), hub / "audit-keys.json")
        )
        if e.target == "person access report"
    ]
    assert [e.actor for e in looks] == ["hub.admin", "westshire_fire.ig_lead"]
    assert (
        main(["audit", "agreement", "fire-prevention", "--hub", str(hub), "--json"]) == ExitCode.OK
    )
    assert json.loads(capsys.readouterr().out)["allowed"] == 1
    assert main(["audit", "verify", "--hub", str(hub), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["ok"] is True
