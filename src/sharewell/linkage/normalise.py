"""Person fields of two arbitrary files normalised for ``link-files``, with ingest's normalisers.

``link-files`` works without a hub, but there is one normalisation in sharewell: the SQL
here is assembled from ``sharewell.ingest.normalisers`` (the same cleaning, missing-value
markers, names, dates, postcodes, NHS numbers, sex codes and nickname list that ingest
applies to the generic ``person`` source type). Where ingest would drop a value into
quarantine, link-files keeps the record: the value becomes missing (NULL, so the model
ignores it) and is reported with ingest's reason; no record is ever dropped for one field.
"""

from __future__ import annotations

from sharewell.ingest.normalisers import (
    Normaliser,
    address_normaliser,
    clean_text_sql,
    mapped_sql,
    missing_markers,
    name_normaliser,
    nicknames,
    normaliser_for,
    quote_literal,
    render,
    too_long_reason_sql,
    too_long_sql,
)
from sharewell.ingest.source_types import Column, source_type
from sharewell.linkage.fields import LINK_FIELDS

__all__ = [
    "ADDRESS_LINE_SYNONYMS",
    "FIELD_SYNONYMS",
    "RAW_FIELDS",
    "invalid_sql",
    "normalised_sql",
]

# The standard fields link-files maps onto (raw, before derivation): linkage's fields, with
# the date of birth under ingest's name.
RAW_FIELDS: tuple[str, ...] = tuple("date_of_birth" if f == "dob" else f for f in LINK_FIELDS)

# Fields the generic person source type lacks (a hub's person_records has neither), with
# the normaliser link-files gives them: a middle name is a name, a town is address text.
_EXTRA_FIELDS: dict[str, Normaliser] = {
    "middle_name": name_normaliser(),
    "town": address_normaliser(),
}

# Column names commonly used for each standard field (lower-case, punctuation removed).
FIELD_SYNONYMS: dict[str, str] = {
    **{f.replace("_", ""): f for f in RAW_FIELDS},
    "forename": "given_name",
    "firstname": "given_name",
    "first": "given_name",
    "givenname": "given_name",
    "forenames": "given_name",
    "fname": "given_name",
    "middlename": "middle_name",
    "middlenames": "middle_name",
    "middle": "middle_name",
    "middleinitial": "middle_name",
    "mi": "middle_name",
    "secondname": "middle_name",
    "othernames": "middle_name",
    "surname": "family_name",
    "lastname": "family_name",
    "familyname": "family_name",
    "lname": "family_name",
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "dateofbirth": "date_of_birth",
    "gender": "sex",
    "postalcode": "postcode",
    "zip": "postcode",
    "address": "address",
    "town": "town",
    "city": "town",
    "posttown": "town",
    "suburb": "town",
    "locality": "town",
    "nhs": "nhs_number",
    "nhsno": "nhs_number",
    "nhsnumber": "nhs_number",
    "telephone": "phone",
    "phonenumber": "phone",
    "mobile": "phone",
    "emailaddress": "email",
}

# Columns that are lines of an address, joined in file order into the one address field.
ADDRESS_LINE_SYNONYMS: frozenset[str] = frozenset(
    {
        "address",
        "address1",
        "address2",
        "address3",
        "addressline1",
        "addressline2",
        "addressline3",
        "street",
        "streetname",
        "streetnumber",
        "housenumber",
        "houseno",
        "housename",
        "flat",
        "unitnumber",
    }
)


def _columns() -> dict[str, Column]:
    # The generic person list's columns: the same definitions ingest validates against.
    cols = dict(source_type("person").columns)
    return cols | {f: Column(name=f, type="string") for f in _EXTRA_FIELDS}


def _normaliser(column: Column) -> Normaliser:
    return _EXTRA_FIELDS.get(column.name) or normaliser_for(column)


def _nicknames_sql() -> str:
    rows = ", ".join(
        f"({quote_literal(n)}, {quote_literal(c)}, {quote_literal(s)})" for n, c, s in nicknames()
    )
    return f"(VALUES {rows}) AS nick(nickname, canonical, sex)"


def normalised_sql(raw: str, extra: tuple[str, ...] = ()) -> str:
    """``raw`` (text columns named by field, plus unique_id, source_dataset) like person_records.

    Besides each field's normalised value the result keeps, per field, the text read
    (``in_FIELD``, after cleaning and missing-value markers) and, where that text could not
    be read, ingest's reason (``why_FIELD``), for ``invalid_sql``.
    """
    cols = _columns()
    norms = {f: _normaliser(cols[f]) for f in RAW_FIELDS}
    keep = "unique_id, source_dataset" + "".join(f", {c}" for c in extra)
    extras0 = "".join(f", lower(trim(CAST({c} AS VARCHAR))) AS {c}" for c in extra)
    # One nested SELECT per layer so DuckDB computes each once (as ingest's staging does).
    s = ", ".join(f"CAST({f} AS VARCHAR) AS s_{f}" for f in RAW_FIELDS)
    t = ", ".join(
        f"{clean_text_sql(f's_{f}', free_text=norms[f].free_text)} AS t_{f}" for f in RAW_FIELDS
    )
    x = ", ".join(
        f"{mapped_sql(f't_{f}', None, missing_markers(cols[f]))} AS in_{f}" for f in RAW_FIELDS
    )
    ins = ", ".join(f"in_{f}" for f in RAW_FIELDS)
    p = ", ".join(f"{render(norms[f].prep, f'in_{f}')} AS p_{f}" for f in RAW_FIELDS)
    ps = ", ".join(f"p_{f}" for f in RAW_FIELDS)
    v = ", ".join(
        f"CAST(CASE WHEN {too_long_sql(f'in_{f}')} THEN NULL "
        f"ELSE {render(norms[f].value, f'in_{f}', f'p_{f}')} END AS {norms[f].sql_type}) AS {f}"
        for f in RAW_FIELDS
    )
    vs = ", ".join(RAW_FIELDS)
    why = ", ".join(
        f"CASE WHEN in_{f} IS NOT NULL AND {f} IS NULL THEN "
        f"CASE WHEN {too_long_sql(f'in_{f}')} THEN {too_long_reason_sql(f'in_{f}')} "
        f"ELSE {render(norms[f].problem, f'in_{f}', f'p_{f}')} END END AS why_{f}"
        for f in RAW_FIELDS
    )
    layers = (
        f"SELECT {keep}, {ins}, {vs}, {why} FROM ("
        f"SELECT {keep}, {ins}, {ps}, {v} FROM ("
        f"SELECT {keep}, {ins}, {p} FROM ("
        f"SELECT {keep}, {x} FROM ("
        f"SELECT {keep}, {t} FROM ("
        f"SELECT unique_id, source_dataset{extras0}, {s} FROM {raw})))))"
    )
    # The canonical given name, by sex where the short form depends on it (Alex, Sam), as
    # ingest resolves it: the first word of the name looked up in the nickname list.
    first = "split_part(n.given_name, ' ', 1)"
    return f"""
    WITH n AS ({layers}),
    nick AS (SELECT * FROM {_nicknames_sql()})
    SELECT n.*, coalesce(by_sex.canonical, any_sex.canonical, {first}) AS given_name_canonical,
           NULL::VARCHAR AS postcode_outward, NULL::VARCHAR AS postcode_sector,
           'file' AS partner, source_dataset AS source
    FROM n
    LEFT JOIN nick AS by_sex ON by_sex.nickname = {first} AND by_sex.sex = n.sex
    LEFT JOIN nick AS any_sex ON any_sex.nickname = {first} AND any_sex.sex = ''
    """


def invalid_sql(normalised: str) -> str:
    """Per file and field: values present but unreadable, up to five record ids, one reason."""
    parts = [
        f"""
        SELECT source_dataset AS file, '{f}' AS field, count(*) AS invalid,
               list(unique_id ORDER BY unique_id)[1:5] AS examples,
               min(why_{f}) AS reason
        FROM {normalised}
        WHERE why_{f} IS NOT NULL
        GROUP BY source_dataset
        """
        for f in RAW_FIELDS
    ]
    return " UNION ALL ".join(parts) + " ORDER BY file, field"
