"""Data minimisation: flags instead of records, and small counts suppressed."""

from __future__ import annotations

from datetime import date

import pytest

from sharewell.agreements import Decision, aggregate_counts, derive_flags, minimise_rows

TODAY = date(2026, 11, 25)


def test_flags_are_derived_from_events_not_copied_from_them() -> None:
    police = [
        {
            "incident_date": "2026-03-01",
            "incident_type": "section_136",
            "narrative": "detained at...",
        },
        {"incident_date": "2024-01-01", "incident_type": "mental_health", "narrative": "..."},
    ]
    flags = derive_flags(
        "police.mh_incident",
        ["mh_crisis_contact_last_12m", "section_136_last_12m", "repeat_mh_crisis_last_12m"],
        police,
        TODAY,
    )
    assert flags == {
        "mh_crisis_contact_last_12m": True,
        "section_136_last_12m": True,
        "repeat_mh_crisis_last_12m": False,
    }
    assert derive_flags(
        "police.mh_incident", ["mh_crisis_contact_last_12m"], police[1:], TODAY
    ) == {"mh_crisis_contact_last_12m": False}


def test_a_flag_cannot_be_derived_from_a_source_it_does_not_read() -> None:
    with pytest.raises(ValueError, match=r"cannot be derived from fire\.incident"):
        derive_flags("fire.incident", ["section_136_last_12m"], [], TODAY)


def test_flag_only_rows_hold_booleans_and_nothing_else() -> None:
    decision = Decision(True, "ok", fields=("mh_crisis_contact_last_12m",), level="flag_only")
    rows = minimise_rows(
        decision,
        [
            {
                "person_id": "p1",
                "mh_crisis_contact_last_12m": True,
                "diagnosis": "F20 schizophrenia",
            },
            {"person_id": "p2", "mh_crisis_contact_last_12m": None, "narrative": "..."},
        ],
    )
    assert rows == [
        {"person_id": "p1", "mh_crisis_contact_last_12m": True},
        {"person_id": "p2", "mh_crisis_contact_last_12m": False},
    ]


def test_a_diagnosis_passed_off_as_a_flag_is_refused_without_echoing_it() -> None:
    decision = Decision(True, "ok", fields=("mh_crisis_contact_last_12m",), level="flag_only")
    with pytest.raises(TypeError) as caught:
        minimise_rows(
            decision, [{"person_id": "p1", "mh_crisis_contact_last_12m": "F20 schizophrenia"}]
        )
    assert "F20" not in str(caught.value)


def test_counts_below_the_minimum_cell_size_are_suppressed() -> None:
    rows = [{"sex": "female", "outcome": "conveyed_ae"}] * 12 + [
        {"sex": "male", "outcome": "referred"}
    ] * 3
    cells = aggregate_counts(rows, ["sex", "outcome"], min_cell_size=10)
    assert cells == [
        {"sex": "female", "outcome": "conveyed_ae", "count": 12, "suppressed": False},
        {"sex": "male", "outcome": "referred", "count": None, "suppressed": True},
    ]


def test_pre_aggregated_counts_are_suppressed_too_and_people_are_dropped() -> None:
    decision = Decision(
        True, "ok", fields=("contact_type",), level="aggregate_only", min_cell_size=5
    )
    rows = minimise_rows(
        decision,
        [
            {"contact_type": "admission", "count": 4, "person_id": "p1"},
            {"contact_type": "crisis_team", "count": 40},
        ],
    )
    assert rows == [
        {"contact_type": "admission", "count": None, "suppressed": True},
        {"contact_type": "crisis_team", "count": 40, "suppressed": False},
    ]


def test_a_stand_in_goes_only_with_the_field_it_stands_in_for() -> None:
    row = {
        "person_id": "p1",
        "date_of_birth": None,
        "age_band": "85-89",
        "household_pseudonym": "hh1",
        "diagnosis": "F20",
    }
    with_dob = Decision(True, "ok", fields=("date_of_birth",), level="identifiable")
    assert minimise_rows(with_dob, [row]) == [
        {"person_id": "p1", "date_of_birth": None, "age_band": "85-89"}
    ]
    with_address = Decision(True, "ok", fields=("address",), level="pseudonymised")
    assert minimise_rows(with_address, [row]) == [
        {"person_id": "p1", "address": None, "household_pseudonym": "hh1"}
    ]
    flags = Decision(True, "ok", fields=("mh_crisis_contact_last_12m",), level="flag_only")
    assert "age_band" not in minimise_rows(flags, [{**row, "mh_crisis_contact_last_12m": True}])[0]
