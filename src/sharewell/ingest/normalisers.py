"""Normalisers as DuckDB SQL: pure functions that build vectorised expressions, no I/O.

Each ``*_sql`` function takes a SQL expression holding cleaned text (NULL when missing) and
returns a SQL expression: either the normalised value (NULL when invalid) or, for
``*_problem_sql``, the reason a person can act on (only evaluated where the value failed).
Building SQL rather than looping in Python keeps a million-row extract to a few seconds.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sharewell.ingest.source_types import Column

__all__ = [
    "MAX_VALUE_LENGTH",
    "NICKNAMES_FILE",
    "NULL_TOKENS",
    "TITLES",
    "Normaliser",
    "clean_text_sql",
    "missing_markers",
    "normaliser_for",
    "nicknames",
    "quote_literal",
]

NICKNAMES_FILE = Path(__file__).with_name("nicknames.csv")

# Markers partners' systems write for "no value"; treated as missing, not as invalid.
NULL_TOKENS: tuple[str, ...] = (
    "n/a",
    "na",
    "n.a.",
    "null",
    "nil",
    "none",
    "-",
    "--",
    "?",
    "#n/a",
    "not known",
    "not recorded",
)

# Honorifics dropped from the front of names (linkage compares names, not titles).
TITLES: tuple[str, ...] = (
    "mr",
    "mrs",
    "miss",
    "ms",
    "mx",
    "master",
    "dr",
    "prof",
    "professor",
    "rev",
    "revd",
    "reverend",
    "sir",
    "dame",
    "lady",
    "lord",
    "fr",
    "sr",
)

# Longer than any real value; guards the workspace against a runaway field (e.g. 10 MB).
MAX_VALUE_LENGTH = 32_768

# Unicode whitespace that trim() misses (no-break space, zero-width no-break space).
_WS = r"[\s\x{00A0}\x{FEFF}\x{200B}]"

# UK postcode shape: outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code (9AA).
POSTCODE_PATTERN = r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$"

# Sex codes common in exports, including the NHS Data Dictionary's 0/1/2/9.
SEX_SYNONYMS: dict[str, str] = {
    "f": "female",
    "m": "male",
    "u": "unknown",
    "x": "unknown",
    "woman": "female",
    "man": "male",
    "1": "male",
    "2": "female",
    "0": "unknown",
    "9": "unknown",
    "not specified": "unknown",
    "not stated": "unknown",
    "indeterminate": "unknown",
}

TRUE_WORDS = ("y", "yes", "true", "t", "1")
FALSE_WORDS = ("n", "no", "false", "f", "0")


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in values) + ")"


def missing_markers(column: Column) -> tuple[str, ...]:
    """The ``NULL_TOKENS`` that mean "missing" in this column (not its allowed values)."""
    keep = set(column.values or ())
    if column.name in ("given_name", "family_name"):
        keep.add("na")  # Na is a family name, not a marker
    return tuple(t for t in NULL_TOKENS if t not in keep)


def clean_text_sql(
    expr: str, value_map: dict[str, str] | None = None, markers: tuple[str, ...] = NULL_TOKENS
) -> str:
    """Trimmed text with whitespace runs collapsed, partner codes mapped; NULL when blank.

    Markers such as 'N/A' become NULL: missing, not invalid.
    """
    trimmed = (
        f"regexp_replace(regexp_replace({expr}, '^{_WS}+|{_WS}+$', '', 'g'), '{_WS}+', ' ', 'g')"
    )
    if value_map:
        whens = " ".join(
            f"WHEN {quote_literal(k.strip().lower())} THEN {quote_literal(v)}"
            for k, v in value_map.items()
        )
        trimmed = f"(CASE lower({trimmed}) {whens} ELSE {trimmed} END)"
    if markers:
        trimmed = f"(CASE WHEN lower({trimmed}) IN {_in_list(markers)} THEN '' ELSE {trimmed} END)"
    return f"nullif({trimmed}, '')"


@dataclass(frozen=True)
class Normaliser:
    """SQL for one column: the normalised value and, where it is NULL, why."""

    value: str
    problem: str
    sql_type: str


def _too_long(expr: str) -> str:
    return f"length({expr}) > {MAX_VALUE_LENGTH}"


def _too_long_reason(expr: str) -> str:
    return (
        f"'value is ' || length({expr}) || ' characters long; the longest accepted is "
        f"{MAX_VALUE_LENGTH}'"
    )


def name_sql(expr: str) -> str:
    """Lower case, accents and punctuation stripped, leading titles removed."""
    lowered = f"lower(strip_accents({expr}))"
    # Apostrophes join (O'Brien -> obrien); other punctuation separates (Smith-Jones).
    joined = f"regexp_replace({lowered}, '[''’`]', '', 'g')"
    spaced = f"trim(regexp_replace(regexp_replace({joined}, '[^a-z ]', ' ', 'g'), ' +', ' ', 'g'))"
    titles = "|".join(TITLES)
    # Repeated so that "Rev Dr Jones" loses both; never strips the only word left.
    untitled = f"regexp_replace({spaced}, '^(({titles}) )+(\\S)', '\\3')"
    return f"nullif({untitled}, '')"


def date_sql(expr: str) -> str:
    """A DATE from the formats UK systems export; NULL when not a real date."""
    # A time of day after the date (Excel and database exports) carries no meaning here.
    d = f"regexp_replace({expr}, '[ T]\\d{{1,2}}:\\d{{2}}(:\\d{{2}}(\\.\\d+)?)?(Z|[+-]\\d{{2}}:?\\d{{2}})?$', '')"
    return (
        "CASE"
        f" WHEN regexp_matches({d}, '^\\d{{1,2}}[/.-]\\d{{1,2}}[/.-]\\d{{4}}$')"
        f" THEN try_strptime(regexp_replace({d}, '[.-]', '/', 'g'), '%d/%m/%Y')::DATE"
        f" WHEN regexp_matches({d}, '^\\d{{4}}[/.-]\\d{{1,2}}[/.-]\\d{{1,2}}$')"
        f" THEN try_strptime(regexp_replace({d}, '[/.]', '-', 'g'), '%Y-%m-%d')::DATE"
        f" WHEN regexp_matches({d}, '^\\d{{8}}$') THEN try_strptime({d}, '%Y%m%d')::DATE"
        f" WHEN regexp_matches({d}, '^\\d{{1,2}}[ -/][A-Za-z]{{3,9}}[ -/,]+\\d{{4}}$')"
        f" THEN try_strptime(regexp_replace(regexp_replace(lower({d}), '[ -/,]+', ' ', 'g'),"
        " 'sept', 'sep'), ['%d %b %Y', '%d %B %Y'])::DATE"
        " END"
    )


def date_problem_sql(expr: str) -> str:
    """Why text did not become a date."""
    example = "(e.g. 03/04/1950, 1950-04-03 or 3 Apr 1950)"
    return (
        "CASE"
        f" WHEN regexp_matches({expr}, '^\\d{{1,2}}[/.-]\\d{{1,2}}[/.-]\\d{{2}}$')"
        f" THEN '''' || {expr} || ''' has a two-digit year; send four-digit years {example}'"
        f" WHEN regexp_matches({expr}, '\\d{{4}}|[A-Za-z]{{3}}')"
        f" AND regexp_matches({expr}, '^[0-9A-Za-z /.,:T+-]+$')"
        f" THEN '''' || {expr} || ''' is not a real calendar date'"
        f" ELSE '''' || left({expr}, 40) || ''' is not a date in a recognised format {example}'"
        " END"
    )


def postcode_sql(expr: str) -> str:
    """Canonical 'SW1A 1AA' form of a UK postcode; NULL when it is not one."""
    squeezed = f"upper(regexp_replace({expr}, '[^A-Za-z0-9]', '', 'g'))"
    return (
        f"CASE WHEN regexp_matches({squeezed}, '{POSTCODE_PATTERN}')"
        f" THEN regexp_replace({squeezed}, '{POSTCODE_PATTERN}', '\\1 \\2') END"
    )


def postcode_outward_sql(canonical: str) -> str:
    """Outward code ('SW1A') of a canonical postcode, for blocking."""
    return f"split_part({canonical}, ' ', 1)"


def postcode_sector_sql(canonical: str) -> str:
    """Postcode sector ('SW1A 1') of a canonical postcode, for blocking."""
    return f"left({canonical}, length({canonical}) - 2)"


def nhs_number_sql(expr: str) -> str:
    """Ten-digit NHS number whose modulus-11 check digit is right; NULL otherwise."""
    digits = f"regexp_replace({expr}, '[\\s-]', '', 'g')"
    weighted = " + ".join(
        f"CAST(substr({digits}, {i}, 1) AS INTEGER) * {11 - i}" for i in range(1, 10)
    )
    check = f"(11 - (({weighted}) % 11)) % 11"
    return (
        f"CASE WHEN regexp_matches({digits}, '^[0-9]{{10}}$')"
        f" AND {check} = CAST(substr({digits}, 10, 1) AS INTEGER) THEN {digits} END"
    )


def nhs_number_problem_sql(expr: str) -> str:
    """Why text is not a valid NHS number."""
    digits = f"regexp_replace({expr}, '[\\s-]', '', 'g')"
    return (
        f"CASE WHEN regexp_matches({digits}, '^[0-9]{{10}}$')"
        f" THEN 'NHS number ' || {digits} || ' fails the modulus 11 check (mistyped digit?)'"
        f" ELSE 'NHS number ''' || left({expr}, 40) || ''' is not 10 digits' END"
    )


def phone_sql(expr: str) -> str:
    """UK telephone number as 10 or 11 digits starting 0 (+44 and 0044 folded in)."""
    digits = f"regexp_replace({expr}, '[\\s()./-]', '', 'g')"
    national = f"regexp_replace({digits}, '^(\\+44|0044)(0)?', '0')"
    return f"CASE WHEN regexp_matches({national}, '^0[0-9]{{9,10}}$') THEN {national} END"


def email_sql(expr: str) -> str:
    """Lower-case email address of a plausible shape."""
    lowered = f"lower({expr})"
    return (
        f"CASE WHEN regexp_matches({lowered}, '^[^@\\s]+@[^@\\s]+\\.[a-z]{{2,}}$')"
        f" THEN {lowered} END"
    )


def uprn_sql(expr: str) -> str:
    """Unique Property Reference Number: up to 12 digits, leading zeros dropped."""
    digits = f"regexp_replace({expr}, '\\.0+$', '')"
    return (
        f"CASE WHEN regexp_matches({digits}, '^[0-9]{{1,12}}$')"
        f" THEN CAST(CAST({digits} AS BIGINT) AS VARCHAR) END"
    )


def address_sql(expr: str) -> str:
    """Lower case, accents stripped, punctuation to spaces."""
    plain = f"regexp_replace(lower(strip_accents({expr})), '[^a-z0-9 ]', ' ', 'g')"
    return f"nullif(trim(regexp_replace({plain}, ' +', ' ', 'g')), '')"


def boolean_sql(expr: str) -> str:
    """TRUE/FALSE from Y/N, Yes/No, 1/0, True/False."""
    return (
        f"CASE WHEN lower({expr}) IN {_in_list(TRUE_WORDS)} THEN TRUE"
        f" WHEN lower({expr}) IN {_in_list(FALSE_WORDS)} THEN FALSE END"
    )


def category_sql(expr: str, allowed: tuple[str, ...], synonyms: dict[str, str]) -> str:
    """The allowed value this text names (case, spaces and hyphens ignored)."""
    key = f"regexp_replace(lower({expr}), '[ -]+', '_', 'g')"
    if synonyms:
        whens = " ".join(
            f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in synonyms.items()
        )
        key = f"(CASE lower({expr}) {whens} ELSE {key} END)"
    return f"CASE WHEN {key} IN {_in_list(allowed)} THEN {key} END"


def normaliser_for(column: Column) -> Normaliser:
    """The normaliser of a source-type column, chosen by its name and type."""
    x = "{x}"  # placeholder for the cleaned input expression, filled in by ``render``
    name = column.name
    if name in ("given_name", "family_name"):
        return Normaliser(name_sql(x), "'has no letters'", "VARCHAR")
    if name == "postcode":
        return Normaliser(
            postcode_sql(x),
            f"'''' || left({x}, 40) || ''' is not a UK postcode (e.g. SW1A 1AA)'",
            "VARCHAR",
        )
    if name == "nhs_number":
        return Normaliser(nhs_number_sql(x), nhs_number_problem_sql(x), "VARCHAR")
    if name == "phone":
        return Normaliser(
            phone_sql(x),
            f"'''' || left({x}, 40) || ''' is not a UK telephone number'",
            "VARCHAR",
        )
    if name == "email":
        return Normaliser(
            email_sql(x), f"'''' || left({x}, 60) || ''' is not an email address'", "VARCHAR"
        )
    if name == "uprn":
        return Normaliser(
            uprn_sql(x), f"'''' || left({x}, 40) || ''' is not a UPRN (up to 12 digits)'", "VARCHAR"
        )
    if name == "address":
        return Normaliser(address_sql(x), "'has no letters or digits'", "VARCHAR")
    if column.type == "date":
        return Normaliser(date_sql(x), date_problem_sql(x), "DATE")
    if column.type == "boolean":
        return Normaliser(
            boolean_sql(x),
            f"'''' || left({x}, 40) || ''' is not yes/no (use Y/N, Yes/No, 1/0 or True/False)'",
            "BOOLEAN",
        )
    if column.type == "integer":
        value = f"TRY_CAST(regexp_replace({x}, '\\.0+$', '') AS BIGINT)"
        return Normaliser(value, f"'''' || left({x}, 40) || ''' is not a whole number'", "BIGINT")
    if column.type == "number":
        value = f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"
        return Normaliser(value, f"'''' || left({x}, 40) || ''' is not a number'", "DOUBLE")
    if column.type == "category":
        allowed = column.values or ()
        synonyms = SEX_SYNONYMS if name == "sex" else {}
        return Normaliser(
            category_sql(x, allowed, synonyms),
            f"'''' || left({x}, 40) || ''' is not one of: {', '.join(allowed)}'",
            "VARCHAR",
        )
    # Free text: already cleaned; nothing to validate beyond length.
    return Normaliser(x, "'invalid text'", "VARCHAR")


def render(template: str, expr: str) -> str:
    """Fill a normaliser's placeholder with the input expression."""
    return template.replace("{x}", expr)


def value_and_problem_sql(column: Column, cleaned: str) -> tuple[str, str]:
    """SQL for the normalised value and for the reason it is NULL although text was given.

    ``cleaned`` comes from ``clean_text_sql``; a value longer than ``MAX_VALUE_LENGTH`` is
    refused without being parsed.
    """
    norm = normaliser_for(column)
    value = render(norm.value, cleaned)
    problem = render(norm.problem, cleaned)
    guarded_value = f"CASE WHEN {_too_long(cleaned)} THEN NULL ELSE {value} END"
    guarded_problem = (
        f"CASE WHEN {_too_long(cleaned)} THEN {_too_long_reason(cleaned)} ELSE {problem} END"
    )
    return guarded_value, guarded_problem


@lru_cache
def nicknames(path: Path = NICKNAMES_FILE) -> tuple[tuple[str, str, str], ...]:
    """(nickname, canonical given name, sex or '') rows shipped in ``nicknames.csv``."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            (r["nickname"].strip().lower(), r["canonical"].strip().lower(), r["sex"].strip())
            for r in csv.DictReader(line for line in fh if not line.startswith("#"))
        ]
    return tuple(rows)
