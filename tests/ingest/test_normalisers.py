"""The SQL normalisers: worked examples, then properties checked by hypothesis on DuckDB."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharewell.ingest import source_type
from sharewell.ingest.normalisers import POSTCODE_SHAPE, nicknames, normalise_sql

POLICE = source_type("police.mh_incident")
ASC = source_type("asc.client")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(column: str, values: list[str | None], stype: Any = POLICE) -> list[tuple[Any, Any]]:
    """(value, problem) for each input text, in order."""
    rows = duckdb.sql(normalise_sql(stype.columns[column], values)).fetchall()
    return [(v, p) for _x, v, p in rows]


def values_of(column: str, values: list[str | None], stype: Any = POLICE) -> list[Any]:
    return [v for v, _p in run(column, values, stype)]


# --- worked examples ---------------------------------------------------------------------


def test_names_lose_case_accents_punctuation_and_titles() -> None:
    assert values_of(
        "given_name", ["  Mr  Bob ", "ZOË", "O'Brien", "Smith-Jones", "Rev Dr Ann", "Dr", "N/A"]
    ) == ["bob", "zoe", "obrien", "smith jones", "ann", "dr", None]


def test_na_is_a_family_name_not_a_missing_marker() -> None:
    assert values_of("family_name", ["Na", "N/A"]) == ["na", None]


@pytest.mark.parametrize(
    "text",
    [
        "03/04/1950",
        "3/4/1950",
        "1950-04-03",
        "3 Apr 1950",
        "03-Apr-1950",
        "3 April 1950",
        "03.04.1950",
        "19500403",
        "1950-04-03 00:00:00",
        "03/04/1950 00:00",
        "1950/04/03",
        "1950-04-03 00:00:00+00",
        "1950-04-03T00:00:00.000Z",
    ],
)
def test_uk_export_date_formats_are_read_day_first(text: str) -> None:
    assert values_of("date_of_birth", [text]) == [date(1950, 4, 3)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/1990", "'31/02/1990' is not a real calendar date"),
        ("29/02/2023", "'29/02/2023' is not a real calendar date"),
        ("03/04/50", "two-digit year"),
        ("0050-01-01", "year outside 1800-2199"),
        ("yesterday", "not a date in a recognised format"),
    ],
)
def test_impossible_or_ambiguous_dates_are_rejected_with_the_reason(text: str, reason: str) -> None:
    ((value, problem),) = run("date_of_birth", [text])
    assert value is None and reason in problem


def test_postcodes_are_canonical_with_outward_code_and_validated() -> None:
    assert values_of("postcode", ["sw1a1aa", " SW1A  1AA ", "ec1a-1bb", "M1 1AE", "XX", "N/A"]) == [
        "SW1A 1AA",
        "SW1A 1AA",
        "EC1A 1BB",
        "M1 1AE",
        None,
        None,
    ]


def test_nhs_numbers_are_checked_with_modulus_11() -> None:
    assert values_of("nhs_number", ["943 476 5919", "943-476-5919", "9434765918", "12345"]) == [
        "9434765919",
        "9434765919",
        None,
        None,
    ]


def test_phone_and_email_are_canonical() -> None:
    assert values_of(
        "phone", ["+44 (0)1632 960001", "01632-960-001", "0044 1632 960001", "999"]
    ) == [
        "01632960001",
        "01632960001",
        "01632960001",
        None,
    ]
    assert values_of("email", [" Ann@Example.ORG ", "not-an-email"]) == ["ann@example.org", None]


def test_booleans_accept_the_usual_spellings() -> None:
    assert values_of(
        "lives_alone", ["Y", "yes", "TRUE", "1", "n", "No", "false", "0", "maybe"], ASC
    ) == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        None,
    ]


def test_categories_accept_case_spaces_and_hyphens_but_nothing_else() -> None:
    ((value, _),) = run("care_package", ["Home Care"], ASC)
    assert value == "home_care"
    assert values_of("care_package", ["none", "NONE", "N/A"], ASC) == ["none", "none", None]
    ((value, problem),) = run("care_package", ["spa days"], ASC)
    assert value is None and problem.startswith("'spa days' is not one of: none, home_care")


def test_sex_codes_from_nhs_and_council_systems() -> None:
    assert values_of("sex", ["F", "m", "1", "2", "9", "Female", "X"]) == [
        "female",
        "male",
        "male",
        "female",
        "unknown",
        "female",
        "unknown",
    ]


def test_nickname_table_is_never_ambiguous() -> None:
    seen: dict[str, set[str]] = {}
    for nickname, canonical, sex in nicknames():
        assert nickname and canonical and sex in ("", "female", "male")
        assert sex not in seen.get(nickname, set()), nickname
        seen.setdefault(nickname, set()).add(sex)
    assert all(not ("" in sexes and len(sexes) > 1) for sexes in seen.values())


# --- properties --------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "Zs", "Pd", "Po"]), max_size=30
)


@FAST
@given(st.lists(names, min_size=1, max_size=20))
def test_normalised_names_are_plain_lower_case_words_and_stable(texts: list[str]) -> None:
    once = values_of("given_name", list(texts))
    for value in once:
        assert value is None or re.fullmatch(r"[a-z]+( [a-z]+)*", value), value
    # normalising again changes nothing, and case never matters (where case is reversible)
    assert values_of("given_name", list(once)) == once
    simple = [t for t in texts if t.upper().lower() == t.lower() and len(t.upper()) == len(t)]
    assert values_of("given_name", [t.upper() for t in simple]) == values_of(
        "given_name", [t.lower() for t in simple]
    )


def test_letters_without_accents_are_spelt_out() -> None:
    assert values_of("family_name", ["Strauß", "Ærø", "Łukasz"]) == ["strauss", "aero", "lukasz"]


real_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31))
UK_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d.%m.%Y", "%Y%m%d"]


@FAST
@given(st.lists(st.tuples(real_dates, st.sampled_from(UK_FORMATS)), min_size=1, max_size=20))
def test_every_real_date_in_every_uk_format_reads_back(dates: list[tuple[date, str]]) -> None:
    texts = [d.strftime(fmt) for d, fmt in dates]
    assert values_of("date_of_birth", texts) == [d for d, _ in dates]


@FAST
@given(
    st.lists(
        st.tuples(st.integers(1, 31), st.integers(1, 12), st.integers(1800, 2199)),
        min_size=1,
        max_size=30,
    )
)
def test_day_month_year_is_accepted_exactly_when_the_date_exists(
    parts: list[tuple[int, int, int]],
) -> None:
    def real(d: int, m: int, y: int) -> date | None:
        try:
            return date(y, m, d)
        except ValueError:
            return None

    texts = [f"{d:02d}/{m:02d}/{y}" for d, m, y in parts]
    assert values_of("incident_date", texts) == [real(*p) for p in parts]


letters = st.sampled_from("ABCDEFGHIJKLMNOPRSTUWYZ")
postcodes = st.builds(
    lambda a, b, d1, d2, inward: f"{a}{b}{d1}{d2} {inward}",
    letters,
    st.one_of(st.just(""), letters),
    st.integers(0, 9).map(str),
    st.one_of(st.just(""), st.integers(0, 9).map(str)),
    st.builds(lambda n, x, y: f"{n}{x}{y}", st.integers(0, 9), letters, letters),
)


@FAST
@given(st.lists(st.tuples(postcodes, st.booleans(), st.booleans()), min_size=1, max_size=20))
def test_any_spacing_or_case_of_a_postcode_gives_the_same_canonical_form(
    cases: list[tuple[str, bool, bool]],
) -> None:
    texts = []
    for code, lower, squeeze in cases:
        text = code.replace(" ", "") if squeeze else code
        texts.append(text.lower() if lower else text)
    assert values_of("postcode", texts) == [code for code, _, _ in cases]


@FAST
@given(st.lists(st.text(max_size=12), min_size=1, max_size=30))
def test_whatever_the_postcode_text_the_result_is_canonical_or_a_reason(texts: list[str]) -> None:
    for (value, problem), text in zip(run("postcode", texts), texts, strict=True):
        if value is not None:
            assert re.fullmatch(POSTCODE_SHAPE.replace("[0-9][A-Z]{2}", " [0-9][A-Z]{2}"), value)
        else:
            assert problem is None or "is not a UK postcode" in problem, (text, problem)


def nhs_check_digit(nine: str) -> int | None:
    check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11) % 11
    return None if check == 10 else check


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@FAST
@given(st.lists(nine_digits, min_size=1, max_size=20), st.data())
def test_nhs_numbers_pass_exactly_when_the_check_digit_is_right(
    stems: list[str], data: st.DataObject
) -> None:
    texts, expected = [], []
    for stem in stems:
        digit = data.draw(st.integers(0, 9))
        number = f"{stem}{digit}"
        texts.append(number)
        expected.append(number if nhs_check_digit(stem) == digit else None)
    assert values_of("nhs_number", texts) == expected


@FAST
@given(st.lists(st.text(max_size=40), min_size=1, max_size=20))
def test_every_value_is_either_normalised_missing_or_given_a_reason(texts: list[str]) -> None:
    for column in ("date_of_birth", "postcode", "nhs_number", "phone", "email", "sex"):
        for (value, problem), text in zip(run(column, texts), texts, strict=True):
            blank = text.strip() == ""
            assert (value is None) or (problem is None)
            if value is None and problem is None:
                assert blank or text.strip().lower() in (
                    "n/a",
                    "na",
                    "null",
                    "nil",
                    "none",
                    "-",
                    "--",
                    "?",
                    "#n/a",
                    "not known",
                    "not recorded",
                    "n.a.",
                ), (column, text)
