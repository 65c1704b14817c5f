"""Normalisation before encoding: the forms partners write come out alike."""

from __future__ import annotations

from datetime import datetime

import pytest

from sharewell.privacy.normalise import normalise_person, soundex


@pytest.mark.parametrize(
    "written", ["03/04/1950", "1950-04-03", "3 Apr 1950", datetime(1950, 4, 3), "3/4/1950"]
)
def test_dates_as_partners_write_them_become_iso(written):
    assert normalise_person({"date_of_birth": written}).date_of_birth == "1950-04-03"


def test_names_lose_titles_accents_punctuation_and_suffixes():
    person = normalise_person({"given_name": "Mr  Zoë", "family_name": "O'Brien-Smith Jnr"})
    assert person.given_name == "zoe"
    assert person.family_name == "obrien smith"


def test_nicknames_resolve_to_one_given_name():
    assert normalise_person({"given_name": "Bob"}).given_name_canonical == "robert"


def test_postcodes_and_nhs_numbers_are_canonical_or_missing():
    person = normalise_person({"postcode": "wx34ab", "nhs_number": "943 476 5919"})
    assert (person.postcode, person.postcode_outward) == ("WX3 4AB", "WX3")
    assert person.nhs_number == "9434765919"
    assert normalise_person({"nhs_number": "9434765918"}).nhs_number is None  # check digit
    assert normalise_person({"postcode": "not a postcode"}).postcode is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("robert", "R163"),
        ("rupert", "R163"),
        ("ashcraft", "A261"),
        ("tymczak", "T522"),
        ("pfister", "P236"),
        ("lee", "L000"),
    ],
)
def test_soundex_matches_the_standard_examples(name, code):
    assert soundex(name) == code
