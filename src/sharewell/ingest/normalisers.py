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
    "mapped_sql",
    "missing_markers",
    "nicknames",
    "normalise_sql",
    "normaliser_for",
    "quote_literal",
    "value_layers_sql",
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


def clean_text_sql(expr: str, *, free_text: bool = False) -> str:
    """Trimmed text with whitespace runs collapsed (not in free text); NULL when blank.

    Refers to ``expr`` several times, so pass a column rather than a computation.
    """
    if free_text:
        return f"nullif(trim({expr}, ' ' || chr(9) || chr(10) || chr(13) || chr(160)), '')"
    # The regex only runs on the rare value with odd whitespace, and trim() only on a value
    # with a space at either end: on a million rows each costs seconds when run on all.
    odd = " OR ".join(f"contains({expr}, chr({c}))" for c in (9, 10, 13, 160, 8203, 65279))
    return (
        f"nullif(CASE WHEN contains({expr}, '  ') OR {odd} "
        f"THEN trim(regexp_replace({expr}, '{_WS}+', ' ', 'g')) "
        f"WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') THEN trim({expr}) "
        f"ELSE {expr} END, '')"
    )


def mapped_sql(
    expr: str, value_map: dict[str, str] | None = None, markers: tuple[str, ...] = NULL_TOKENS
) -> str:
    """Partner codes mapped to canonical values; missing markers ('N/A') become NULL."""
    out = expr
    if value_map:
        whens = " ".join(
            f"WHEN {quote_literal(k.strip().lower())} THEN {quote_literal(v)}"
            for k, v in value_map.items()
        )
        out = f"(CASE lower({expr}) {whens} ELSE {expr} END)"
    if markers:
        # list_contains, not IN: DuckDB plans IN as a join per column, which costs more.
        longest = max(len(m) for m in markers)
        markers_list = "[" + ", ".join(quote_literal(m) for m in markers) + "]"
        out = (
            f"(CASE WHEN length({expr}) <= {longest} AND list_contains({markers_list}, "
            f"lower({expr})) THEN NULL ELSE {out} END)"
        )
    return out


@dataclass(frozen=True)
class Normaliser:
    """SQL for one column, in two layers so that nothing is computed twice.

    ``prep`` turns the cleaned text ``{x}`` into an intermediate ``{p}`` (digits only, time
    of day removed...); ``value`` turns ``{p}`` into the normalised value, NULL when
    invalid; ``problem`` says why from ``{x}`` and ``{p}``, evaluated only where it failed.
    """

    prep: str
    value: str
    problem: str
    sql_type: str
    # Values repeat across rows (names, dates, codes): normalise each distinct value once.
    repetitive: bool = False
    # Free text keeps its line breaks; everything else has whitespace runs collapsed.
    free_text: bool = False


def _squeeze(expr: str, chars: str) -> str:
    for ch in chars:
        expr = f"replace({expr}, {quote_literal(ch)}, '')"
    return expr


def _quoted(limit: int = 40) -> str:
    return "'''' || left({x}, " + str(limit) + ") || '''"


# Latin letters that have no accent to strip, spelt as English records usually spell them.
LATIN_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}


def plain_latin_sql(expr: str) -> str:
    """Lower case with accents stripped and ß, æ, ø... spelt out in a-z."""
    out = f"lower(strip_accents({expr}))"
    for letter, spelt in LATIN_LETTERS.items():
        out = f"replace({out}, {quote_literal(letter)}, {quote_literal(spelt)})"
    # Bytes equal characters only in plain ASCII text, which needs none of the above.
    return f"CASE WHEN strlen({expr}) = length({expr}) THEN lower({expr}) ELSE {out} END"


def name_normaliser() -> Normaliser:
    """Lower case, accents and punctuation stripped, leading titles removed."""
    titles = "|".join(TITLES)
    lowered = plain_latin_sql("{x}")
    # Apostrophes join (O'Brien -> obrien); other punctuation separates (Smith-Jones).
    prep = (
        f"CASE WHEN regexp_matches({lowered}, '[^a-z ]') THEN trim(regexp_replace("
        + _squeeze(lowered, "'’`")
        + f", '[^a-z]+', ' ', 'g')) ELSE {lowered} END"
    )
    # Repeated titles go too ("Rev Dr Jones"), but never the only word left.
    value = (
        "nullif(CASE WHEN regexp_matches({p}, '^(" + titles + ") ') "
        "THEN regexp_replace({p}, '^((" + titles + r") )+(\S)', '\3') ELSE {p} END, '')"
    )
    problem = _quoted() + " has no letters a-z (names are compared in Latin script)'"
    return Normaliser(prep, value, problem, "VARCHAR", repetitive=True)


_TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
DATE_FORMATS = ("%d/%m/%Y", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%d/%b/%Y", "%d %B %Y", "%d/%B/%Y")
# Years 1800-2199 only: a two-digit year ('03/04/50') would otherwise be read as the year 50.
_PLAUSIBLE_YEAR = "(^|[^0-9])(1[89]|2[01])[0-9][0-9]"
_DATE_EXAMPLE = "(e.g. 03/04/1950, 1950-04-03 or 3 Apr 1950)"


def date_normaliser() -> Normaliser:
    """A DATE from the formats UK systems export; NULL when it is not a real date."""
    # A time of day after the date (Excel and database exports) carries no meaning here.
    untimed = (
        "CASE WHEN contains({x}, ':') THEN regexp_replace({x}, '" + _TIME_OF_DAY + "', '') "
        "ELSE {x} END"
    )
    slashed = f"replace(replace(lower({untimed}), '-', '/'), '.', '/')"
    prep = f"replace(replace({slashed}, 'sept/', 'sep/'), 'sept ', 'sep ')"
    formats = "[" + ", ".join(quote_literal(f) for f in DATE_FORMATS) + "]"
    value = (
        "CASE WHEN regexp_matches({p}, '" + _PLAUSIBLE_YEAR + "') THEN "
        f"try_strptime({{p}}, {formats})::DATE END"
    )
    problem = (
        r"CASE WHEN regexp_matches({x}, '^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$')"
        " THEN " + _quoted() + f" has a two-digit year; send four-digit years {_DATE_EXAMPLE}'"
        r" WHEN regexp_matches({x}, '^\d{4}[^0-9]|[^0-9]\d{4}$|^\d{8}$')"
        " AND NOT regexp_matches({p}, '" + _PLAUSIBLE_YEAR + "')"
        " THEN " + _quoted() + " has a year outside 1800-2199'"
        r" WHEN regexp_matches({x},"
        r" '^(\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})$')"
        " THEN " + _quoted() + " is not a real calendar date'"
        " ELSE " + _quoted() + f" is not a date in a recognised format {_DATE_EXAMPLE}'"
        " END"
    )
    return Normaliser(prep, value, problem, "DATE", repetitive=True)


POSTCODE_SHAPE = "[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"


def postcode_normaliser() -> Normaliser:
    """Canonical 'SW1A 1AA' form of a UK postcode; NULL when it is not one."""
    prep = "upper(" + _squeeze("{x}", " -.") + ")"
    value = (
        "CASE WHEN regexp_full_match({p}, '" + POSTCODE_SHAPE + "') "
        "THEN left({p}, length({p}) - 3) || ' ' || right({p}, 3) END"
    )
    problem = _quoted() + " is not a UK postcode (e.g. SW1A 1AA)'"
    return Normaliser(prep, value, problem, "VARCHAR", repetitive=True)


def postcode_outward_sql(canonical: str) -> str:
    """Outward code ('SW1A') of a canonical postcode, for blocking."""
    return f"split_part({canonical}, ' ', 1)"


def postcode_sector_sql(canonical: str) -> str:
    """Postcode sector ('SW1A 1') of a canonical postcode, for blocking."""
    return f"left({canonical}, length({canonical}) - 2)"


def nhs_number_normaliser() -> Normaliser:
    """Ten-digit NHS number whose modulus-11 check digit is right; NULL otherwise."""
    digits = _squeeze("{x}", " -")
    # The intermediate is the number itself (NULL unless exactly ten digits): integer
    # arithmetic on it is much faster than slicing text, and it is cast only once.
    prep = f"CASE WHEN regexp_full_match({digits}, '[0-9]{{10}}') THEN CAST({digits} AS BIGINT) END"
    weighted = " + ".join(f"({{p}} // {10 ** (10 - i)} % 10) * {11 - i}" for i in range(1, 10))
    value = (
        f"CASE WHEN (11 - ({weighted}) % 11) % 11 = {{p}} % 10 "
        "THEN lpad({p}::VARCHAR, 10, '0') END"
    )
    problem = (
        "CASE WHEN {p} IS NOT NULL"
        " THEN 'NHS number ' || lpad({p}::VARCHAR, 10, '0') || ' fails the modulus 11 check"
        " (a mistyped digit?)'"
        " ELSE 'NHS number ''' || left({x}, 40) || ''' is not 10 digits' END"
    )
    return Normaliser(prep, value, problem, "VARCHAR")


def phone_normaliser() -> Normaliser:
    """UK telephone number as 10 or 11 digits starting 0 (+44 and 0044 folded in)."""
    prep = _squeeze("{x}", " -().")
    national = (
        "CASE WHEN starts_with({p}, '+') OR starts_with({p}, '00') "
        "THEN regexp_replace({p}, '^(\\+44|0044)0?', '0') ELSE {p} END"
    )
    value = f"CASE WHEN regexp_full_match({national}, '0[0-9]{{9,10}}') THEN {national} END"
    return Normaliser(prep, value, _quoted() + " is not a UK telephone number'", "VARCHAR")


def email_normaliser() -> Normaliser:
    """Lower-case email address of a plausible shape."""
    value = r"CASE WHEN regexp_full_match({p}, '[^@\s]+@[^@\s]+\.[a-z]{2,}') THEN {p} END"
    return Normaliser("lower({x})", value, _quoted(60) + " is not an email address'", "VARCHAR")


def uprn_normaliser() -> Normaliser:
    """Unique Property Reference Number: up to 12 digits, leading zeros dropped."""
    prep = r"regexp_replace({x}, '\.0+$', '')"
    value = (
        "CASE WHEN regexp_full_match({p}, '[0-9]{1,12}') "
        "THEN CAST(CAST({p} AS BIGINT) AS VARCHAR) END"
    )
    return Normaliser(prep, value, _quoted() + " is not a UPRN (up to 12 digits)'", "VARCHAR")


def address_normaliser() -> Normaliser:
    """Lower case, accents stripped, punctuation to spaces."""
    # Most addresses only need ", " made a space; the regex runs on the rest.
    value = (
        "nullif(CASE WHEN regexp_matches({p}, '[^a-z0-9 ]|  ') "
        "THEN trim(regexp_replace({p}, '[^a-z0-9]+', ' ', 'g')) ELSE {p} END, '')"
    )
    prep = f"replace({plain_latin_sql('{x}')}, ', ', ' ')"
    return Normaliser(prep, value, _quoted() + " has no letters a-z or digits'", "VARCHAR")


def boolean_normaliser() -> Normaliser:
    """TRUE/FALSE from Y/N, Yes/No, 1/0, True/False."""
    value = (
        f"CASE WHEN {{p}} IN {_in_list(TRUE_WORDS)} THEN TRUE"
        f" WHEN {{p}} IN {_in_list(FALSE_WORDS)} THEN FALSE END"
    )
    problem = _quoted() + " is not yes/no (use Y/N, Yes/No, 1/0 or True/False)'"
    return Normaliser("lower({x})", value, problem, "BOOLEAN", repetitive=True)


def category_normaliser(allowed: tuple[str, ...], synonyms: dict[str, str]) -> Normaliser:
    """The allowed value this text names (case, spaces and hyphens ignored)."""
    key = "replace(replace(lower({x}), ' ', '_'), '-', '_')"
    if synonyms:
        whens = " ".join(
            f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in synonyms.items()
        )
        key = f"(CASE lower({{x}}) {whens} ELSE {key} END)"
    value = f"CASE WHEN {{p}} IN {_in_list(allowed)} THEN {{p}} END"
    problem = _quoted() + f" is not one of: {', '.join(allowed)}'"
    return Normaliser(key, value, problem, "VARCHAR", repetitive=True)


def normaliser_for(column: Column) -> Normaliser:
    """The normaliser of a source-type column, chosen by its name and type."""
    by_name = {
        "given_name": name_normaliser,
        "family_name": name_normaliser,
        "postcode": postcode_normaliser,
        "nhs_number": nhs_number_normaliser,
        "phone": phone_normaliser,
        "email": email_normaliser,
        "uprn": uprn_normaliser,
        "address": address_normaliser,
    }
    if column.name in by_name:
        return by_name[column.name]()
    if column.type == "date":
        return date_normaliser()
    if column.type == "boolean":
        return boolean_normaliser()
    if column.type == "integer":
        return Normaliser(
            r"regexp_replace({x}, '\.0+$', '')",
            "TRY_CAST({p} AS BIGINT)",
            _quoted() + " is not a whole number'",
            "BIGINT",
        )
    if column.type == "number":
        return Normaliser(
            "replace({x}, ',', '')",
            "TRY_CAST({p} AS DOUBLE)",
            _quoted() + " is not a number'",
            "DOUBLE",
        )
    if column.type == "category":
        synonyms = SEX_SYNONYMS if column.name == "sex" else {}
        return category_normaliser(column.values or (), synonyms)
    # Free text: trimmed; nothing to validate beyond its length.
    return Normaliser("{x}", "{p}", "'invalid text'", "VARCHAR", free_text=True)


def render(template: str, x: str, p: str = "") -> str:
    """Fill a normaliser's placeholders with the input and intermediate expressions."""
    return template.replace("{x}", x).replace("{p}", p)


def too_long_sql(x: str) -> str:
    """True where the text is longer than ``MAX_VALUE_LENGTH`` (it is never parsed)."""
    # strlen (bytes) is read from the string's header; length (characters) counts them.
    # Characters are never more than bytes, so only a value over the limit is counted.
    return f"(strlen({x}) > {MAX_VALUE_LENGTH} AND length({x}) > {MAX_VALUE_LENGTH})"


def too_long_reason_sql(x: str) -> str:
    """The reason given for an over-long value."""
    return (
        f"'value is ' || length({x}) || ' characters long; the longest accepted is "
        f"{MAX_VALUE_LENGTH}'"
    )


def value_layers_sql(column: Column, source: str, raw: str) -> str:
    """Rows (n, x, p, v) of ``source``: its ``raw`` text cleaned and mapped (x), prepared
    (p) and normalised for ``column`` (v, NULL when unusable) — ingest's layers, for callers
    that normalise a few values or a partner's file outside a load."""
    norm = normaliser_for(column)
    mapped = mapped_sql("c", None, missing_markers(column))
    cleaned = clean_text_sql(raw, free_text=norm.free_text)
    return (
        f"SELECT n, x, p, CASE WHEN {too_long_sql('x')} THEN NULL ELSE "
        f"{render(norm.value, 'x', 'p')} END::{norm.sql_type} AS v FROM ("
        f"SELECT n, x, {render(norm.prep, 'x')} AS p FROM ("
        f"SELECT n, {mapped} AS x FROM (SELECT n, {cleaned} AS c FROM {source})))"
    )


def normalise_sql(column: Column, values: list[str | None]) -> str:
    """A stand-alone query normalising ``values`` for ``column``: rows of (text, value, problem).

    Used by tests and by anyone who wants to see what ingest would make of some text; the
    loader builds the same layers over a whole extract.
    """
    norm = normaliser_for(column)
    rows = ", ".join("(NULL)" if v is None else f"({quote_literal(v)})" for v in values)
    source = f"(SELECT row_number() OVER () AS n, raw FROM (VALUES {rows or '(NULL)'}) t(raw))"
    return (
        "SELECT x, v, CASE WHEN x IS NOT NULL AND v IS NULL THEN "
        f"CASE WHEN {too_long_sql('x')} THEN {too_long_reason_sql('x')} "
        f"ELSE {render(norm.problem, 'x', 'p')} END END AS problem FROM ("
        f"{value_layers_sql(column, source, 'raw')}) ORDER BY n"
    )


@lru_cache
def nicknames(path: Path = NICKNAMES_FILE) -> tuple[tuple[str, str, str], ...]:
    """(nickname, canonical given name, sex or '') rows shipped in ``nicknames.csv``."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            (r["nickname"].strip().lower(), r["canonical"].strip().lower(), r["sex"].strip())
            for r in csv.DictReader(line for line in fh if not line.startswith("#"))
        ]
    return tuple(rows)
