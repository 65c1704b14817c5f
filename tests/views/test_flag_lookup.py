"""A lookup identifies one person safely or says "not identified" — it never guesses."""

from __future__ import annotations

from datetime import date

from sharewell.views.flag_lookup import CandidateRecord, Flag, LookupQuery, flags_for, identify

DOB = date(1961, 3, 4)
TWIN_DOB = date(1990, 7, 1)
RECORDS = [
    CandidateRecord("p-robert", "robert", "hughes", DOB, "WS1 2AB", "9434765919"),
    CandidateRecord("p-robert", "robert", "hughes", DOB, "WS1 2AB", None),
    CandidateRecord("p-robert-jr", "robert", "hughes", date(1989, 5, 6), "WS1 2AB", None),
    CandidateRecord("p-twin-a", "amy", "khan", TWIN_DOB, "WS3 9ZZ", None),
    CandidateRecord("p-twin-b", "zara", "khan", TWIN_DOB, "WS3 9ZZ", None),
]


def test_name_and_date_of_birth_identify_one_person() -> None:
    q = LookupQuery(given_name="robert", family_name="hughes", date_of_birth=DOB)
    result = identify(q, RECORDS)
    assert result.person_id == "p-robert"
    assert result.matched_on == ("family_name", "date_of_birth", "given_name")


def test_father_and_son_of_the_same_name_are_told_apart_by_date_of_birth() -> None:
    q = LookupQuery(given_name="robert", family_name="hughes", date_of_birth=date(1989, 5, 6))
    assert identify(q, RECORDS).person_id == "p-robert-jr"


def test_twins_without_a_given_name_are_not_identified() -> None:
    q = LookupQuery(family_name="khan", date_of_birth=TWIN_DOB, postcode="WS3 9ZZ")
    result = identify(q, RECORDS)
    assert not result.identified
    assert "2 people match" in result.reason
    q_named = LookupQuery(given_name="zara", family_name="khan", date_of_birth=TWIN_DOB)
    assert identify(q_named, RECORDS).person_id == "p-twin-b"


def test_too_little_detail_is_not_a_guess() -> None:
    result = identify(LookupQuery(family_name="hughes", postcode="WS1 2AB"), RECORDS)
    assert not result.identified
    assert result.reason.startswith("not identified: give an NHS number")


def test_nhs_number_with_a_contradicting_date_of_birth_is_not_identified() -> None:
    ok = identify(LookupQuery(nhs_number="9434765919", date_of_birth=DOB), RECORDS)
    assert ok.person_id == "p-robert"
    clash = identify(LookupQuery(nhs_number="9434765919", date_of_birth=date(2000, 1, 1)), RECORDS)
    assert not clash.identified


def test_only_granted_flags_are_returned() -> None:
    flags = [
        Flag("known_to_crisis_team", "Known to crisis team", "westshire_mht", "0300 000 0000"),
        Flag("s136_last_12m", "Section 136 detention in last 12 months", "westshire_police"),
    ]
    assert [f.name for f in flags_for(flags, ["known_to_crisis_team"])] == ["known_to_crisis_team"]
    assert flags_for(flags, []) == []
