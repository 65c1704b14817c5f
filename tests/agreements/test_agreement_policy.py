"""The policy: default deny, exact fields and level, and only agreements in force count."""

from __future__ import annotations

from datetime import date, datetime

from sharewell.agreements import AccessRequest, Agreement, decide, effective_status, load_agreement
from sharewell.agreements.demo_partnership import EXAMPLES_DIR

FIRE = load_agreement(EXAMPLES_DIR / "fire_prevention.yaml")
CRISIS = load_agreement(EXAMPLES_DIR / "mh_crisis_care.yaml")
EVALUATION = load_agreement(EXAMPLES_DIR / "service_evaluation.yaml")
ALL = [FIRE, CRISIS, EVALUATION]
TODAY = datetime(2026, 11, 25, 10, 0)


def fire_crew(
    dataset: str, fields: tuple[str, ...], level: str = "flag_only", **kw: str
) -> AccessRequest:
    return AccessRequest(
        user="westshire_fire.frontline",
        organisation=kw.get("organisation", "westshire_fire"),
        role=kw.get("role", "frontline"),
        purpose=kw.get("purpose", "fire_prevention"),
        dataset=dataset,
        fields=fields,
        level=level,  # type: ignore[arg-type]
        provider=kw.get("provider"),
    )


def test_fire_crew_gets_the_mental_health_flag_not_the_incident() -> None:
    decision = decide(fire_crew("police.mh_incident", ("mh_crisis_contact_last_12m",)), ALL, TODAY)
    assert decision.allowed
    assert decision.fields == ("mh_crisis_contact_last_12m",)
    assert decision.level == "flag_only"
    assert (decision.agreement_id, decision.agreement_version) == ("fire-prevention", 1)


def test_fire_crew_cannot_see_diagnosis() -> None:
    for level in ("identifiable", "pseudonymised", "flag_only"):
        decision = decide(
            fire_crew("mh_trust.crisis_contact", ("diagnosis", "contact_type"), level), ALL, TODAY
        )
        assert not decision.allowed
        assert decision.fields == ()


def test_fire_crew_cannot_read_the_police_narrative_at_any_level() -> None:
    for level in ("identifiable", "pseudonymised", "flag_only", "aggregate_only"):
        decision = decide(
            fire_crew("police.mh_incident", ("narrative", "incident_type"), level), ALL, TODAY
        )
        assert not decision.allowed, level
    wrong_level = decide(
        fire_crew("police.mh_incident", ("incident_type",), "identifiable"), ALL, TODAY
    )
    assert "only at flag_only, not identifiable" in wrong_level.reason


def test_fields_not_granted_are_withheld_and_named() -> None:
    decision = decide(
        fire_crew("asc.client", ("given_name", "care_package", "address"), "identifiable"),
        ALL,
        TODAY,
    )
    assert decision.allowed
    assert decision.fields == ("given_name", "address")
    assert decision.withheld == ("care_package",)


def test_no_agreements_means_no_access() -> None:
    decision = decide(fire_crew("police.mh_incident", ("mh_crisis_contact_last_12m",)), [], TODAY)
    assert not decision.allowed
    assert decision.reason == "no agreement shares police.mh_incident with westshire_fire"


def test_the_wrong_role_purpose_or_organisation_is_refused_with_the_reason() -> None:
    ask = ("mh_crisis_contact_last_12m",)
    by_role = decide(fire_crew("police.mh_incident", ask, role="ig_lead"), ALL, TODAY)
    by_purpose = decide(fire_crew("police.mh_incident", ask, purpose="safeguarding"), ALL, TODAY)
    by_org = decide(fire_crew("police.mh_incident", ask, organisation="westshire_cc"), ALL, TODAY)
    assert "does not grant role ig_lead" in by_role.reason
    assert "for safeguarding" in by_purpose.reason
    assert (
        "does not allow westshire_cc to use police.mh_incident for fire_prevention" in by_org.reason
    )
    assert not (by_role.allowed or by_purpose.allowed or by_org.allowed)


def test_a_provider_the_agreement_does_not_name_is_refused() -> None:
    ask = fire_crew("asc.client", ("lives_alone",), provider="westshire_police")
    decision = decide(ask, ALL, TODAY)
    assert not decision.allowed
    assert "does not cover asc.client from westshire_police" in decision.reason


def test_expiry_takes_effect_the_day_after_the_end_date() -> None:
    ask = fire_crew("police.mh_incident", ("mh_crisis_contact_last_12m",))
    assert decide(ask, ALL, FIRE.end).allowed
    after = decide(ask, ALL, date(2029, 1, 1))
    assert not after.allowed
    assert after.reason == "agreement fire-prevention v1 expired on 2028-12-31"
    before = decide(ask, ALL, date(2025, 12, 31))
    assert "does not start until 2026-01-01" in before.reason


def test_a_suspended_newest_version_overrides_the_active_older_one() -> None:
    suspended = FIRE.model_copy(update={"version": 2, "status": "suspended"})
    ask = fire_crew("police.mh_incident", ("mh_crisis_contact_last_12m",))
    decision = decide(ask, [FIRE, suspended, CRISIS], TODAY)
    assert not decision.allowed
    assert decision.reason == "agreement fire-prevention v2 is suspended"
    assert decision.agreement_version == 2


def test_draft_and_expired_status_grant_nothing() -> None:
    ask = fire_crew("police.mh_incident", ("mh_crisis_contact_last_12m",))
    for status in ("draft", "expired"):
        changed: Agreement = FIRE.model_copy(update={"status": status})
        assert not decide(ask, [changed], TODAY).allowed


def test_analysts_of_every_partner_get_aggregates_with_the_minimum_cell_size() -> None:
    for org in ("westshire_cc", "westshire_fire", "westshire_ambulance"):
        ask = fire_crew(
            "mh_trust.crisis_contact",
            ("contact_type",),
            "aggregate_only",
            organisation=org,
            role="analyst",
            purpose="service_evaluation",
        )
        decision = decide(ask, ALL, TODAY)
        assert decision.allowed and decision.min_cell_size == 10
        row_level = decide(AccessRequest(**{**ask.__dict__, "level": "identifiable"}), ALL, TODAY)
        assert not row_level.allowed


def test_an_active_agreement_past_its_end_is_shown_as_expired() -> None:
    assert effective_status(FIRE, date(2026, 6, 1)) == "active"
    assert effective_status(FIRE, date(2029, 1, 1)) == "expired"
    assert effective_status(FIRE, date(2025, 6, 1)) == "not started"
    assert effective_status(FIRE.model_copy(update={"status": "suspended"}), TODAY) == "suspended"
