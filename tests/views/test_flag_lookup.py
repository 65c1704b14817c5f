"""A lookup identifies one person safely or says "not identified" — it never guesses."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sharewell.views.flag_lookup import (
    NOT_ENOUGH,
    CandidateRecord,
    Flag,
    LookupQuery,
    flags_for,
    identify,
)

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


def test_names_and_postcode_without_a_date_of_birth_are_not_enough() -> None:
    for q in (
        LookupQuery(given_name="robert", family_name="hughes", postcode="WS1 2AB"),
        LookupQuery(family_name="hughes", date_of_birth=DOB),
        LookupQuery(given_name="robert", date_of_birth=DOB, postcode="WS1 2AB"),
        LookupQuery(),
    ):
        result = identify(q, RECORDS)
        assert not result.identified and result.reason == NOT_ENOUGH, q


def test_a_wrong_given_name_is_no_match_not_the_nearest_person() -> None:
    q = LookupQuery(given_name="roberta", family_name="hughes", date_of_birth=DOB)
    assert identify(q, RECORDS).reason == "not identified: no one matches these details"


# Few values, so that hypothesis makes namesakes, twins and shared NHS numbers often.
_names = st.sampled_from(["amy", "zara", "robert", None])
_families = st.sampled_from(["khan", "hughes", None])
_dobs = st.sampled_from([DOB, TWIN_DOB, None])
_postcodes = st.sampled_from(["WS1 2AB", "WS3 9ZZ", None])
_nhs = st.sampled_from(["9434765919", "4010232137", None])
_records = st.builds(
    CandidateRecord, st.sampled_from(["p1", "p2", "p3"]), _names, _families, _dobs, _postcodes, _nhs
)
_queries = st.builds(LookupQuery, _names, _families, _dobs, _postcodes, _nhs)


@settings(max_examples=500, deadline=None)
@given(_queries, st.lists(_records, max_size=8))
def test_an_identification_is_never_a_guess(
    query: LookupQuery, records: list[CandidateRecord]
) -> None:
    result = identify(query, records)
    if not result.identified:
        assert result.reason.startswith("not identified")
        return
    assert query.has_enough_detail()
    # the person identified has a record agreeing on what identifies (NHS number, or family
    # name, date of birth and the given name when one was given)...
    theirs = [r for r in records if r.person_id == result.person_id]
    if query.nhs_number:
        assert any(r.nhs_number == query.nhs_number for r in theirs)
    else:
        assert any(
            r.family_name == query.family_name
            and r.date_of_birth == query.date_of_birth
            and (query.given_name is None or r.given_name == query.given_name)
            and (query.given_name is not None or r.postcode == query.postcode)
            for r in theirs
        )
    # ...and nobody else has one: a second person who fits means "not identified"
    for other in {r.person_id for r in records} - {result.person_id}:
        alone = identify(query, [r for r in records if r.person_id == other])
        assert not alone.identified


def test_a_nickname_finds_the_person_whatever_sex_ingest_resolved_it_by() -> None:
    records = [
        CandidateRecord("p-charles", "charles", "ward", DOB, "WS1 2AB", None),
        CandidateRecord("p-lottie", "charlotte", "ward", TWIN_DOB, "WS1 2AB", None),
    ]
    charlie = frozenset({"charles", "charlotte", "charlie"})
    q = LookupQuery(
        given_name="charlie", family_name="ward", date_of_birth=DOB, given_name_forms=charlie
    )
    assert identify(q, records).person_id == "p-charles"
    twins = [*records, CandidateRecord("p-charlotte", "charlotte", "ward", DOB, "WS1 2AB", None)]
    # a brother and sister both Charlie, born the same day: the name cannot tell them apart
    assert "2 people match" in identify(q, twins).reason
