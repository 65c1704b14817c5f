"""The one governed path: decide, minimise, audit — and only then hand data back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from sharewell.agreements import (
    FLAGS,
    LEVELS,
    AccessRequest,
    Decision,
    current_agreements,
    decide,
    governed_read,
    suspend_agreement,
)
from sharewell.agreements.demo_partnership import demo_users
from sharewell.audit import entries, verify
from sharewell.errors import AccessDenied
from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import PURPOSES

NOW = datetime(2026, 11, 25, 9, 30)


def _everything(dataset: str) -> list[dict[str, Any]]:
    """A source that over-shares: every column and every flag, for three people."""
    columns = list(load_source_types()[dataset].columns) + list(FLAGS)
    return [{"person_id": f"p{i}", **{c: True for c in columns}} for i in range(3)]


def _read(engine: Engine, username: str, **kw: Any) -> Any:
    return governed_read(
        engine,
        username=username,
        purpose=kw.pop("purpose", "fire_prevention"),
        dataset=kw.pop("dataset", "police.mh_incident"),
        fields=kw.pop("fields", ["mh_crisis_contact_last_12m", "narrative"]),
        level=kw.pop("level", "flag_only"),
        fetch=kw.pop("fetch", lambda d: _everything("police.mh_incident")),
        at=kw.pop("at", NOW),
        **kw,
    )


def test_fire_crew_gets_flags_even_when_the_source_over_shares(demo_engine: Engine) -> None:
    result = _read(demo_engine, "westshire_fire.frontline")

    assert result.rows == [
        {"person_id": f"p{i}", "mh_crisis_contact_last_12m": True} for i in range(3)
    ]
    entry = entries(demo_engine)[-1]
    assert entry.seq == result.audit_seq
    assert (entry.action, entry.outcome, entry.actor, entry.organisation, entry.role) == (
        "access",
        "allow",
        "westshire_fire.frontline",
        "westshire_fire",
        "frontline",
    )
    assert entry.persons == ("p0", "p1", "p2")
    assert entry.detail["withheld_fields"] == ["narrative"]
    assert (entry.agreement_id, entry.agreement_version) == ("fire-prevention", 1)


def test_a_refusal_is_audited_before_access_denied_is_raised(demo_engine: Engine) -> None:
    fetched = []
    with pytest.raises(AccessDenied, match="only at flag_only"):
        _read(
            demo_engine,
            "westshire_fire.frontline",
            fields=["incident_type"],
            level="identifiable",
            fetch=lambda d: fetched.append(d) or [],
        )
    assert fetched == []  # the data was never even read
    entry = entries(demo_engine)[-1]
    assert (entry.outcome, entry.persons, entry.agreement_id) == ("deny", (), "fire-prevention")
    assert "only at flag_only" in entry.detail["reason"]


def test_an_unknown_user_is_refused_and_audited(demo_engine: Engine) -> None:
    with pytest.raises(AccessDenied, match="unknown or no longer active"):
        _read(demo_engine, "mallory")
    assert entries(demo_engine)[-1].actor == "mallory"


def test_suspension_takes_effect_on_the_very_next_read(demo_engine: Engine) -> None:
    _read(demo_engine, "westshire_fire.frontline")
    suspend_agreement(
        demo_engine, "fire-prevention", actor="westshire_fire.ig_lead", reason="breach"
    )
    with pytest.raises(AccessDenied, match="fire-prevention v2 is suspended"):
        _read(demo_engine, "westshire_fire.frontline")


def test_expiry_takes_effect_without_anyone_acting(demo_engine: Engine) -> None:
    _read(demo_engine, "westshire_fire.frontline", at=datetime(2028, 12, 31, 23, 59))
    with pytest.raises(AccessDenied, match="expired on 2028-12-31"):
        _read(demo_engine, "westshire_fire.frontline", at=datetime(2029, 1, 1, 0, 0))


def test_a_failed_fetch_is_audited_and_returns_nothing(demo_engine: Engine) -> None:
    def broken(_d: Decision) -> list[dict[str, Any]]:
        raise OSError("workspace unavailable")

    with pytest.raises(OSError):
        _read(demo_engine, "westshire_fire.frontline", fetch=broken)
    assert entries(demo_engine)[-1].outcome == "failed"


def test_no_data_is_returned_when_the_audit_cannot_be_written(demo_engine: Engine) -> None:
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain_head"))
    before = len(entries(demo_engine))
    with pytest.raises(Exception, match="chain head is missing"):
        _read(demo_engine, "westshire_fire.frontline")
    assert len(entries(demo_engine)) == before


def test_aggregate_reads_are_suppressed_and_name_no_one(demo_engine: Engine) -> None:
    rows = [{"person_id": f"p{i}", "contact_type": "crisis_team"} for i in range(11)] + [
        {"person_id": "p99", "contact_type": "admission", "diagnosis": "x"}
    ]
    result = _read(
        demo_engine,
        "westshire_fire.analyst",
        purpose="service_evaluation",
        dataset="mh_trust.crisis_contact",
        fields=["contact_type"],
        level="aggregate_only",
        fetch=lambda d: rows,
    )
    assert result.rows == [
        {"contact_type": "admission", "count": None, "suppressed": True},
        {"contact_type": "crisis_team", "count": 11, "suppressed": False},
    ]
    assert entries(demo_engine)[-1].persons == ()


USERNAMES = [u.username for u in demo_users()]
SOURCES = sorted(load_source_types())
ANY_FIELD = sorted({c for s in load_source_types().values() for c in s.columns} | set(FLAGS))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    username=st.sampled_from(USERNAMES),
    purpose=st.sampled_from(PURPOSES),
    dataset=st.sampled_from(SOURCES),
    fields=st.lists(st.sampled_from(ANY_FIELD), min_size=1, max_size=6, unique=True),
    level=st.sampled_from(LEVELS),
)
def test_no_path_returns_a_field_the_policy_did_not_grant(
    demo_engine: Engine, username: str, purpose: str, dataset: str, fields: list[str], level: str
) -> None:
    user = next(u for u in demo_users() if u.username == username)
    expected = decide(
        AccessRequest(
            username, user.organisation, user.role, purpose, dataset, tuple(fields), level
        ),  # type: ignore[arg-type]
        current_agreements(demo_engine),
        NOW,
    )
    try:
        result = _read(
            demo_engine,
            username,
            purpose=purpose,
            dataset=dataset,
            fields=fields,
            level=level,
            fetch=lambda d: _everything(dataset),
        )
    except AccessDenied:
        assert not expected.allowed
        assert entries(demo_engine)[-1].outcome == "deny"
        return
    assert expected.allowed and result.decision == expected
    extra = {"person_id"} if level != "aggregate_only" else {"count", "suppressed"}
    for row in result.rows:
        assert set(row) <= set(expected.fields) | extra
    assert entries(demo_engine)[-1].seq == result.audit_seq


def test_the_audit_chain_stays_valid_across_governed_reads(demo_engine: Engine) -> None:
    for _ in range(5):
        _read(demo_engine, "westshire_fire.frontline")
    assert verify(demo_engine).ok
    assert date.fromisoformat(entries(demo_engine)[-1].recorded_at[:10]) >= date(2026, 1, 1)
