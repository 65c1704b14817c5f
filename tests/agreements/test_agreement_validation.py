"""An IG lead's checks: each bad agreement is refused with the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agreement_examples import example, write_yaml

from sharewell.agreements import EXAMPLES_DIR, load_agreement
from sharewell.errors import AgreementError

DEMO_ORGS = {
    "westshire_cc": "local_authority",
    "westshire_fire": "fire",
    "westshire_police": "police",
    "westshire_mht": "nhs_trust",
    "westshire_icb": "icb",
    "westshire_ambulance": "ambulance",
}


def _problems(tmp_path: Path, data: dict[str, Any]) -> str:
    path = write_yaml(tmp_path / "bad.yaml", data)
    with pytest.raises(AgreementError) as caught:
        load_agreement(path, organisations=DEMO_ORGS)
    message = str(caught.value)
    assert str(path) in message  # every problem names the file
    assert "fix:" in message
    return message


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_examples_are_valid(path: Path) -> None:
    agreement = load_agreement(path, organisations=DEMO_ORGS)
    assert agreement.status == "active"


def test_health_data_without_an_article_9_condition_is_refused(tmp_path: Path) -> None:
    data = example("mh_crisis_care")
    del data["lawful_basis"]["article_9"]
    del data["lawful_basis"]["schedule_1"]
    message = _problems(tmp_path, data)
    assert "lawful_basis.article_9" in message
    assert "mh_trust.crisis_contact:diagnosis" in message


def test_article_9_condition_that_needs_schedule_1_without_it_is_refused(tmp_path: Path) -> None:
    data = example("mh_crisis_care")
    del data["lawful_basis"]["schedule_1"]
    message = _problems(tmp_path, data)
    assert "lawful_basis.schedule_1" in message
    assert "health_or_social_care" in message  # the fix names the matching condition


def test_schedule_1_condition_must_match_the_article_9_condition(tmp_path: Path) -> None:
    data = example("mh_crisis_care")
    data["lawful_basis"]["schedule_1"] = "research"
    assert "does not go with Article 9 condition health_social_care" in _problems(tmp_path, data)


def test_criminal_offence_data_without_schedule_1_is_refused(tmp_path: Path) -> None:
    data = example("mh_crisis_care")
    data["lawful_basis"] = {"article_6": "public_task", "article_9": "explicit_consent"}
    data["recipients"][0]["datasets"][0]["fields"].append("narrative")
    message = _problems(tmp_path, data)
    assert "criminal offence data" in message
    assert "police.mh_incident:narrative" in message


def test_flags_derived_from_health_data_are_special_category_too(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["lawful_basis"] = {"article_6": "public_task"}
    message = _problems(tmp_path, data)
    assert "police.mh_incident:mh_crisis_contact_last_12m" in message


def test_aggregates_need_no_article_9_condition(tmp_path: Path) -> None:
    data = example("service_evaluation")
    assert "article_9" not in data["lawful_basis"]
    load_agreement(write_yaml(tmp_path / "ok.yaml", data), organisations=DEMO_ORGS)


def test_recipient_with_no_purpose_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["purposes"] = []
    message = _problems(tmp_path, data)
    assert "recipients[0].purposes: recipient westshire_fire has no purpose" in message


def test_recipient_purpose_outside_the_agreement_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["purposes"] = ["safeguarding"]
    assert "recipients[0].purposes[0]" in _problems(tmp_path, data)


def test_missing_retention_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    del data["retention_days"]
    message = _problems(tmp_path, data)
    assert "retention_days: `retention_days` is missing" in message
    assert "retention_days: 365" in message


def test_end_before_start_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["end"] = "2025-06-30"
    assert "end: end 2025-06-30 is before start 2026-01-01" in _problems(tmp_path, data)


def test_field_not_in_the_source_type_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["datasets"][0]["fields"].append("shoe_size")
    message = _problems(tmp_path, data)
    assert (
        "recipients[0].datasets[0].fields[7]: 'shoe_size' is not a field of source type" in message
    )
    assert "gp_practice" in message  # the fix lists the fields that exist


def test_a_diagnosis_cannot_be_shared_as_a_flag(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["datasets"][3]["fields"] = ["incident_type"]
    message = _problems(tmp_path, data)
    assert "'incident_type' is not a flag derived from police.mh_incident" in message
    assert "section_136_last_12m" in message


def test_unknown_organisation_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["organisation"] = "eastshire_fire"
    message = _problems(tmp_path, data)
    assert "recipients[0].organisation: unknown organisation 'eastshire_fire'" in message


def test_provider_must_be_an_organisation_that_sends_the_source_type(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["providers"][0]["organisation"] = "westshire_fire"  # fire does not send ASC records
    assert "westshire_fire (fire) does not send asc.client" in _problems(tmp_path, data)


def test_aggregates_need_a_minimum_cell_size(tmp_path: Path) -> None:
    data = example("service_evaluation")
    del data["recipients"][0]["datasets"][0]["min_cell_size"]
    assert "recipients[0].datasets[0].min_cell_size" in _problems(tmp_path, data)


def test_unknown_key_and_bad_values_are_named(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["retension_days"] = 30
    data["status"] = "live"
    data["start"] = "1st January"
    message = _problems(tmp_path, data)
    assert "retension_days: unknown key" in message
    assert "status: 'live' is not allowed" in message
    assert "start: '1st January' is not a date" in message


def test_active_agreement_without_approval_is_refused(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["approved_by"] = []
    assert "approved_by: an active agreement has no approval recorded" in _problems(tmp_path, data)


def test_broken_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ntitle: [unclosed\n")
    with pytest.raises(AgreementError, match=r"broken.yaml: not valid YAML at line"):
        load_agreement(path)


def test_an_executive_is_never_granted_anyones_records(tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["recipients"][0]["roles"].append("executive")
    message = _problems(tmp_path, data)
    assert "recipients[0].roles" in message
    assert "never anyone's records" in message


def test_an_executive_may_be_given_counts(tmp_path: Path) -> None:
    data = example("service_evaluation")
    data["recipients"][0]["roles"].append("executive")
    agreement = load_agreement(write_yaml(tmp_path / "ok.yaml", data), organisations=DEMO_ORGS)
    assert "executive" in agreement.recipients[0].roles
