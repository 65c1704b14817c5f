"""The one-value Python normalisers answer exactly as ingest's SQL does, wherever they answer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import POLICE_HEADER, load, write_csv

from sharewell.ingest import source_type
from sharewell.ingest.normalisers import NULL_TOKENS, TITLES, nicknames, normalise_sql
from sharewell.ingest.value_normalisers import (
    NormalisedValue,
    canonical_given_names,
    normalise_value,
    normalise_value_python,
)
from sharewell.store import Workspace

PERSON = source_type("person")
FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sql_answers(field: str, texts: list[str]) -> list[NormalisedValue]:
    """Ingest's own SQL over all the texts in one query: the referee."""
    rows = duckdb.sql(normalise_sql(PERSON.columns[field], list(texts))).fetchall()
    return [NormalisedValue(v, p) for _x, v, p in rows]


def assert_python_agrees(field: str, texts: list[str]) -> int:
    """Every answer the Python rules give equals the SQL's; returns how many they gave."""
    column = PERSON.columns[field]
    answered = 0
    for text, expected in zip(texts, sql_answers(field, texts), strict=True):
        got = normalise_value_python(column, text)
        if got is not None:
            answered += 1
            assert got == expected, f"{field} {text!r}: python {got} != sql {expected}"
    return answered


ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
any_text = st.text(max_size=30)  # accents, odd whitespace: the Python rules must defer or agree
spaces = st.sampled_from(["", " ", "  "])
markers = st.sampled_from(NULL_TOKENS).flatmap(
    lambda t: st.sampled_from([t, t.upper(), t.title(), f" {t} "])
)


@st.composite
def names(draw: st.DrawFn) -> str:
    words = draw(
        st.lists(
            st.one_of(
                st.sampled_from(TITLES).map(
                    lambda t: draw(st.sampled_from([t, t.title(), t + "."]))
                ),
                st.from_regex(r"[A-Za-z][a-z]{0,8}(['\-`.][A-Za-z][a-z]{0,6})?", fullmatch=True),
                st.sampled_from(["O'Brien", "Smith-Jones", "St. John", "123", "-", "..", "Na"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return draw(spaces) + " ".join(words) + draw(spaces)


@st.composite
def dates(draw: st.DrawFn) -> str:
    d = draw(st.integers(0, 32))
    m = draw(st.integers(0, 13))
    y = draw(st.sampled_from([50, 1799, 1800, 1950, 2000, 2199, 2200, 950, 19500]))
    day = draw(st.sampled_from([str(d), f"{d:02d}", f"{d:03d}"]))
    month_names = ["jan", "Feb", "MAR", "april", "May", "sept", "Sep", "September", "dec", "ap"]
    month = draw(st.sampled_from([str(m), f"{m:02d}", *month_names]))
    sep = draw(st.sampled_from(["/", "-", ".", " ", ""]))
    sep2 = draw(st.sampled_from([sep, sep, "/", " "]))
    shape = draw(st.sampled_from(["dmy", "ymd"]))
    parts = [day, month, str(y)] if shape == "dmy" else [str(y), month, day]
    text = parts[0] + sep + parts[1] + sep2 + parts[2]
    time = draw(st.sampled_from(["", "", " 10:00", "T10:00:00", " 00:00:00.000+01:00", "Z"]))
    return draw(spaces) + text + time + draw(spaces)


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    code = draw(
        st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[ .-]{0,2}[0-9][A-Za-z]{2}", fullmatch=True)
    )
    return draw(st.sampled_from([code, code.lower(), code + "X", code[:-1], " " + code]))


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    digits = draw(st.from_regex(r"[0-9]{9,11}", fullmatch=True))
    if len(digits) == 10 and draw(st.booleans()):
        # half of the ten-digit ones get a valid check digit
        weighted = sum(int(c) * (10 - i) for i, c in enumerate(digits[:9]))
        digits = digits[:9] + str((11 - weighted % 11) % 11 % 10)
    style = draw(st.sampled_from(["plain", "spaced", "dashed"]))
    if style == "spaced":
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if style == "dashed" else digits


@PROPERTY
@given(st.lists(st.one_of(names(), markers, ascii_text, any_text), min_size=1, max_size=40))
def test_python_names_equal_ingests_sql(texts: list[str]) -> None:
    assert_python_agrees("given_name", texts)
    assert_python_agrees("family_name", texts)


@PROPERTY
@given(st.lists(st.one_of(dates(), markers, ascii_text, any_text), min_size=1, max_size=40))
def test_python_dates_equal_ingests_sql(texts: list[str]) -> None:
    assert_python_agrees("date_of_birth", texts)


@PROPERTY
@given(st.lists(st.one_of(postcodes(), markers, ascii_text, any_text), min_size=1, max_size=40))
def test_python_postcodes_equal_ingests_sql(texts: list[str]) -> None:
    assert_python_agrees("postcode", texts)


@PROPERTY
@given(st.lists(st.one_of(nhs_numbers(), markers, ascii_text, any_text), min_size=1, max_size=40))
def test_python_nhs_numbers_equal_ingests_sql(texts: list[str]) -> None:
    assert_python_agrees("nhs_number", texts)


TYPICAL = {
    "given_name": ["Bob", "MARY-JANE", "Mr  O'Neil", "dr. ann", "N/A", "123"],
    "family_name": ["Hughes", "Smith-Jones", "o'brien", "Na", "?"],
    "date_of_birth": [
        "03/04/1961",
        "3/4/1961",
        "1961-04-03",
        "19610403",
        "3 Apr 1961",
        "03-sept-1961",
        "31/02/1961",
        "03/04/61",
        "1961-04-03 00:00:00",
    ],
    "postcode": ["wx3 1lb", "WX31LB", "sw1a-1aa", "not a postcode"],
    "nhs_number": ["943 476 5919", "9434765919", "9434765918", "12345"],
}


@pytest.mark.parametrize("field", FIELDS)
def test_what_workers_type_is_answered_in_python_not_deferred(field: str) -> None:
    # The fast path must cover the everyday shapes, or the lookup is back to 10 ms a field.
    texts = TYPICAL[field]
    assert assert_python_agrees(field, texts) == len(texts)


def test_values_outside_the_python_rules_are_answered_by_the_sql() -> None:
    column = PERSON.columns["given_name"]
    assert normalise_value_python(column, "Zoë") is None
    assert normalise_value(column, "Zoë") == NormalisedValue("zoe")
    assert normalise_value(PERSON.columns["date_of_birth"], "3 Apr 1961") == NormalisedValue(
        date(1961, 4, 3)
    )
    assert normalise_value(PERSON.columns["sex"], "F") == NormalisedValue("female")


def test_canonical_given_names_cover_what_ingest_stores_for_any_sex(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    # every nickname the hub ships, for a woman, a man and someone whose sex is not recorded
    names = [*sorted({nick for nick, _canon, _sex in nicknames()}), "Mary Jane", "Zoë", "Bob"]
    lines = [POLICE_HEADER] + [
        f"P{i}-{sex or 'U'},{name},Smith,,{sex},,,2024-01-01,MH,"
        for i, name in enumerate(names)
        for sex in ("F", "M", "")
    ]
    load(workspace, write_csv(tmp_path / "names.csv", lines), police_mapping)
    stored = workspace.conn.execute(
        "SELECT given_name, given_name_canonical FROM person_records"
    ).fetchall()
    assert len(stored) == 3 * len(names)
    for name, canonical in stored:
        assert canonical in canonical_given_names(name), name
    assert canonical_given_names("charlie") == {"charles", "charlotte", "charlie"}
    assert canonical_given_names("mary jane") == {"mary"}
