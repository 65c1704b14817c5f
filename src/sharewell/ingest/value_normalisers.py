"""Ingest's normalisers for one typed value at a time, in Python, with the SQL as the referee.

A point-of-contact lookup normalises what a worker typed (a name, a date of birth, a
postcode) exactly as ingest normalised the records it is matched against. Asking DuckDB costs
5-10 ms a field (it plans a 2 KB expression for one row), so the common shapes are done here
in Python; anything else — non-ASCII text, an unusual date layout, an over-long value, a
column without a Python rule — goes to ingest's SQL (``normalise_sql``). The SQL stays the one
definition of the rules: ``tests/ingest/test_value_normalisers.py`` checks with hypothesis
that wherever this module answers, it answers exactly as the SQL does, value and problem.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import duckdb

from sharewell.ingest.normalisers import (
    DATE_FORMATS,
    POSTCODE_SHAPE,
    TITLES,
    missing_markers,
    nicknames,
    normalise_sql,
    quote_literal,
)
from sharewell.ingest.source_types import Column

__all__ = [
    "NormalisedValue",
    "canonical_given_names",
    "normalise_value",
    "normalise_value_python",
    "normalise_value_sql",
]


@dataclass(frozen=True)
class NormalisedValue:
    """A value as ingest would store it (None when missing or invalid) and why it failed."""

    value: Any
    problem: str | None = None


# Printable ASCII only: DuckDB's lower/upper/strip_accents and RE2's classes agree with
# Python's there; outside it (accents, odd whitespace) the SQL answers.
_PRINTABLE_ASCII = re.compile(r"[ -~]*", re.ASCII)
_LONGEST = 200  # well under ingest's MAX_VALUE_LENGTH, so its length guard never applies

_NAME_TITLES = re.compile(r"^(?:" + "|".join(TITLES) + ") ")
_NAME_STRIP_TITLES = re.compile(r"^(?:(?:" + "|".join(TITLES) + r") )+(\S)", re.ASCII)

_POSTCODE = re.compile(POSTCODE_SHAPE, re.ASCII)

_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?\Z", re.ASCII)
_PLAUSIBLE_YEAR = re.compile(r"(^|[^0-9])(1[89]|2[01])[0-9][0-9]", re.ASCII)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# The layouts of DATE_FORMATS this module reads, as (pattern, order of day/month/year groups).
_DATE_LAYOUTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII), "dmy"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII), "ymd"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII), "ymd"),
    (re.compile(r"(\d{1,2}) ([a-z]+) (\d{4})", re.ASCII), "dby"),
    (re.compile(r"(\d{1,2})/([a-z]+)/(\d{4})", re.ASCII), "dby"),
)
if DATE_FORMATS != (
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d %b %Y",
    "%d/%b/%Y",
    "%d %B %Y",
    "%d/%B/%Y",
):
    raise RuntimeError("ingest's date formats changed: update _DATE_LAYOUTS to match")
_DATE_EXAMPLE = "(e.g. 03/04/1950, 1950-04-03 or 3 Apr 1950)"


@lru_cache
def _markers(column: Column) -> frozenset[str]:
    return frozenset(missing_markers(column))


class _Defer(Exception):
    """This value is outside what the Python rules cover: ask the SQL."""


def _clean(text: str) -> str:
    # clean_text_sql on printable ASCII: runs of spaces collapsed, spaces trimmed.
    return re.sub(" {2,}", " ", text).strip(" ")


def _name(x: str) -> NormalisedValue:
    lowered = x.lower()
    p = lowered
    if re.search("[^a-z ]", lowered):
        squeezed = lowered.replace("'", "").replace("`", "")
        p = re.sub("[^a-z]+", " ", squeezed).strip(" ")
    if _NAME_TITLES.match(p):
        p = _NAME_STRIP_TITLES.sub(r"\1", p, count=1)
    if p:
        return NormalisedValue(p)
    return NormalisedValue(
        None, f"'{x[:40]}' has no letters a-z (names are compared in Latin script)"
    )


def _postcode(x: str) -> NormalisedValue:
    p = x.replace(" ", "").replace("-", "").replace(".", "").upper()
    if _POSTCODE.fullmatch(p):
        return NormalisedValue(f"{p[:-3]} {p[-3:]}")
    return NormalisedValue(None, f"'{x[:40]}' is not a UK postcode (e.g. SW1A 1AA)")


def _nhs_number(x: str) -> NormalisedValue:
    digits = x.replace(" ", "").replace("-", "")
    if not re.fullmatch("[0-9]{10}", digits):
        return NormalisedValue(None, f"NHS number '{x[:40]}' is not 10 digits")
    weighted = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    if (11 - weighted % 11) % 11 == int(digits[9]):
        return NormalisedValue(digits)
    return NormalisedValue(
        None, f"NHS number {digits} fails the modulus 11 check (a mistyped digit?)"
    )


def _read_date(p: str) -> date | None:
    for pattern, order in _DATE_LAYOUTS:
        m = pattern.fullmatch(p)
        if m is None:
            continue
        parts = dict(zip(order, m.groups(), strict=True))
        if "b" in parts:
            month = _MONTHS.get(parts["b"])
            if month is None:
                raise _Defer  # strptime's month names are DuckDB's to decide
        else:
            month = int(parts["m"])
        try:
            return date(int(parts["y"]), month, int(parts["d"]))
        except ValueError:
            return None
    raise _Defer


def _date(x: str) -> NormalisedValue:
    untimed = _TIME_OF_DAY.sub("", x, count=1) if ":" in x else x
    p = untimed.lower().replace("-", "/").replace(".", "/")
    p = p.replace("sept/", "sep/").replace("sept ", "sep ")
    if _PLAUSIBLE_YEAR.search(p):
        value = _read_date(p)
        if value is not None:
            return NormalisedValue(value)
    quoted = f"'{x[:40]}'"
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", x):
        return NormalisedValue(
            None, f"{quoted} has a two-digit year; send four-digit years {_DATE_EXAMPLE}"
        )
    if re.search(r"^\d{4}[^0-9]|[^0-9]\d{4}$|^\d{8}$", x) and not _PLAUSIBLE_YEAR.search(p):
        return NormalisedValue(None, f"{quoted} has a year outside 1800-2199")
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}", x):
        return NormalisedValue(None, f"{quoted} is not a real calendar date")
    return NormalisedValue(None, f"{quoted} is not a date in a recognised format {_DATE_EXAMPLE}")


def normalise_value_python(column: Column, text: str | None) -> NormalisedValue | None:
    """The Python rules' answer for one value, or None where only the SQL may answer."""
    if text is None:
        return NormalisedValue(None)
    if column.name in ("given_name", "family_name"):
        rule = _name
    elif column.name == "postcode":
        rule = _postcode
    elif column.name == "nhs_number":
        rule = _nhs_number
    elif column.type == "date":
        rule = _date
    else:
        return None
    if len(text) > _LONGEST or not _PRINTABLE_ASCII.fullmatch(text):
        return None
    x = _clean(text)
    if not x or x.lower() in _markers(column):
        return NormalisedValue(None)
    try:
        return rule(x)
    except _Defer:
        return None


_sql_lock = threading.Lock()


@lru_cache(maxsize=1)
def _sql_connection() -> duckdb.DuckDBPyConnection:
    # One row needs no optimiser: planning a million-row query is most of a one-row one's time.
    conn = duckdb.connect()
    conn.execute("PRAGMA disable_optimizer")
    return conn


@lru_cache
def _sql_for(column: Column) -> str:
    """Ingest's normaliser for ``column`` over one parameter rather than a literal."""
    placeholder = "sharewell one-value placeholder"
    sql = normalise_sql(column, [placeholder])
    literal = quote_literal(placeholder)
    if sql.count(literal) != 1:
        raise RuntimeError("ingest's normaliser SQL no longer embeds its input once")
    return sql.replace(literal, "?::VARCHAR")


def normalise_value_sql(column: Column, text: str | None) -> NormalisedValue:
    """Ingest's SQL answer for one value (the referee; 5-10 ms)."""
    with _sql_lock:
        row = _sql_connection().execute(_sql_for(column), [text]).fetchone()
    if row is None:
        return NormalisedValue(None, "not understood")
    return NormalisedValue(row[1], row[2])


@lru_cache(maxsize=65_536)
def normalise_value(column: Column, text: str | None) -> NormalisedValue:
    """``text`` normalised exactly as ingest would store it in ``column``, and any problem."""
    # Names, dates of birth and postcodes repeat across lookups: each is normalised once.
    return normalise_value_python(column, text) or normalise_value_sql(column, text)


@lru_cache(maxsize=1)
def _nicknames_by_sex() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for nickname, canonical, sex in nicknames():
        table.setdefault(nickname, {})[sex] = canonical
    return table


def canonical_given_names(given_name: str) -> frozenset[str]:
    """Every canonical given name ingest may store for a normalised given name, by sex.

    Ingest (``staging.stage``) keeps the first word and resolves it as a nickname for the
    record's sex — Charlie is Charles for a man, Charlotte for a woman, Charlie when the sex
    is unknown — so a worker's query, which has no sex, may mean any of them.
    """
    first = given_name.split(" ")[0]
    by_sex = _nicknames_by_sex().get(first, {})
    anyone = by_sex.get("") or first
    return frozenset({by_sex.get("female") or anyone, by_sex.get("male") or anyone, anyone})
