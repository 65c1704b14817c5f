"""DuckDB SQL that normalises raw person fields, for ``link-files`` (which has no hub).

The hub's ingest normalises extracts as it loads them; ``link-files`` must stand alone,
so it carries this compact SQL version (names, dates, postcodes, NHS numbers, sex). A value
that cannot be read becomes NULL — treated as missing by the model — and is counted, so
no record is ever dropped for one bad field.
"""

from __future__ import annotations

from sharewell.linkage.nicknames import NICKNAMES

__all__ = ["FIELD_SYNONYMS", "RAW_FIELDS", "invalid_sql", "nickname_values_sql", "normalised_sql"]

# The standard fields link-files maps onto (raw, before derivation).
RAW_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "uprn",
    "nhs_number",
    "phone",
    "email",
)

# Column names commonly used for each standard field (lower-case, spaces/underscores removed).
FIELD_SYNONYMS: dict[str, str] = {
    **{f.replace("_", ""): f for f in RAW_FIELDS},
    "forename": "given_name",
    "firstname": "given_name",
    "first": "given_name",
    "givenname": "given_name",
    "forenames": "given_name",
    "surname": "family_name",
    "lastname": "family_name",
    "familyname": "family_name",
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "dateofbirth": "date_of_birth",
    "gender": "sex",
    "postalcode": "postcode",
    "zip": "postcode",
    "addressline1": "address",
    "address1": "address",
    "street": "address",
    "nhs": "nhs_number",
    "nhsno": "nhs_number",
    "nhsnumber": "nhs_number",
    "telephone": "phone",
    "phonenumber": "phone",
    "mobile": "phone",
    "emailaddress": "email",
}

DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d %b %Y",
    "%d %B %Y",
    "%Y%m%d",
    "%d/%m/%y",
)
TITLES = "mr|mrs|miss|ms|mx|dr|prof|rev|sir|dame|lady|lord"


def _blank(col: str) -> str:
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def _name(col: str) -> str:
    cleaned = (
        f"regexp_replace(replace(lower(strip_accents({_blank(col)})), '''', ''), "
        "'[^a-z]+', ' ', 'g')"
    )
    # Generational suffixes (jnr, snr) stay: prepare.py turns them into their own column.
    return f"NULLIF(trim(regexp_replace(trim({cleaned}), '^({TITLES}) ', '')), '')"


def _date(col: str) -> str:
    fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    parsed = f"CAST(try_strptime({_blank(col)}, [{fmts}]) AS DATE)"
    # A birthday in the future or before 1880 is a keying error, not a person.
    return f"CASE WHEN {parsed} BETWEEN DATE '1880-01-01' AND current_date THEN {parsed} END"


def _postcode(col: str) -> str:
    p = f"upper(regexp_replace({_blank(col)}, '\\s', '', 'g'))"
    return (
        f"CASE WHEN regexp_full_match({p}, '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}') "
        f"THEN left({p}, length({p}) - 3) || ' ' || right({p}, 3) END"
    )


def _nhs(col: str) -> str:
    d = f"regexp_replace({_blank(col)}, '[^0-9]', '', 'g')"
    total = (
        f"list_sum(list_transform(range(9), lambda i: (10 - i) * "
        f"CAST(substr({d}, i + 1, 1) AS INTEGER)))"
    )
    check = f"(11 - ({total}) % 11) % 11"
    return (
        f"CASE WHEN length({d}) = 10 AND {check} <> 10 "
        f"AND {check} = CAST(right({d}, 1) AS INTEGER) THEN {d} END"
    )


def _sex(col: str) -> str:
    s = f"lower({_blank(col)})"
    return (
        f"CASE WHEN {s} IN ('f', 'female', 'woman', '2') THEN 'female' "
        f"WHEN {s} IN ('m', 'male', 'man', '1') THEN 'male' END"
    )


def _digits(col: str, lo: int, hi: int) -> str:
    d = f"regexp_replace({_blank(col)}, '[^0-9]', '', 'g')"
    return f"CASE WHEN length({d}) BETWEEN {lo} AND {hi} THEN {d} END"


def _phone(col: str) -> str:
    d = f"regexp_replace({_blank(col)}, '[^0-9]', '', 'g')"
    return f"CASE WHEN length({d}) >= 10 THEN right({d}, 10) END"


def _email(col: str) -> str:
    e = f"lower({_blank(col)})"
    return f"CASE WHEN regexp_full_match({e}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') THEN {e} END"


def _address(col: str) -> str:
    a = f"regexp_replace(lower({_blank(col)}), '[^a-z0-9]+', ' ', 'g')"
    return f"NULLIF(trim({a}), '')"


NORMALISERS = {
    "given_name": _name,
    "family_name": _name,
    "date_of_birth": _date,
    "sex": _sex,
    "postcode": _postcode,
    "address": _address,
    "uprn": lambda c: _digits(c, 1, 12),
    "nhs_number": _nhs,
    "phone": _phone,
    "email": _email,
}


def nickname_values_sql() -> str:
    """A VALUES list of (nickname, canonical) pairs."""
    rows = ", ".join(f"('{n}', '{c}')" for n, c in sorted(NICKNAMES.items()))
    return f"(VALUES {rows}) AS nick(nickname, canonical)"


def normalised_sql(raw: str, extra: tuple[str, ...] = ()) -> str:
    """``raw`` (VARCHAR columns named by field, plus unique_id) shaped like person_records."""
    fields = ",\n        ".join(f"{NORMALISERS[f](f)} AS {f}" for f in RAW_FIELDS)
    extras = "".join(f", lower(trim(CAST({c} AS VARCHAR))) AS {c}" for c in extra)
    return f"""
    WITH n AS (
        SELECT unique_id, source_dataset,
        {fields}{extras}
        FROM {raw}
    )
    SELECT n.*, coalesce(nick.canonical, n.given_name) AS given_name_canonical,
           NULL::VARCHAR AS postcode_outward, NULL::VARCHAR AS postcode_sector,
           'file' AS partner, source_dataset AS source
    FROM n LEFT JOIN {nickname_values_sql()} ON nick.nickname = n.given_name
    """


# "Not known" is a valid answer for sex, not an unreadable value.
UNKNOWN_SEX = "AND lower(trim(r.sex)) NOT IN ('u', 'unknown', 'not known', 'x', '0', '9')"


def invalid_sql(raw: str, normalised: str) -> str:
    """Per field: how many values were present but unreadable, with up to five examples."""
    parts = [
        f"""
        SELECT r.source_dataset AS file, '{f}' AS field, count(*) AS invalid,
               list(r.unique_id ORDER BY r.unique_id)[1:5] AS examples
        FROM {raw} r JOIN {normalised} n USING (source_dataset, unique_id)
        WHERE NULLIF(trim(CAST(r.{f} AS VARCHAR)), '') IS NOT NULL AND n.{f} IS NULL
              {UNKNOWN_SEX if f == "sex" else ""}
        GROUP BY r.source_dataset
        """
        for f in RAW_FIELDS
    ]
    return " UNION ALL ".join(parts) + " ORDER BY file, field"
