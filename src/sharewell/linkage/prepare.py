"""SQL that turns ``person_records`` into the table the model compares.

The derived columns (ISO text date of birth, its day/month transposition, year-month,
postcode sector/district, initials, the house number and street of an address, the two
names joined each way round) let every comparison be an equality or string similarity,
so the model is the same on every engine. Pure: these functions only build SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OPTIONAL_SOURCE_COLUMNS", "PREPARED_COLUMNS", "prepared_records_sql"]

# Columns of the prepared table, in order (unique_id first, as Splink expects).
PREPARED_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "partner",
    "source",
    "given_name",
    "given_name_canonical",
    "given_initial",
    "middle_name",
    "middle_initial",
    "family_name",
    "family_initial",
    "names_fwd",
    "names_rev",
    "generation",
    "dob",
    "dob_transposed",
    "dob_year_month",
    "dob_year",
    "sex",
    "postcode",
    "postcode_outward",
    "postcode_sector",
    "address",
    "address_number",
    "address_street",
    "town",
    "uprn",
    "nhs_number",
    "phone",
    "email",
)

# Person fields a source may lack altogether (the hub's person_records has no middle name
# or town; link-files has them when a file does): the prepared table has them as NULL.
OPTIONAL_SOURCE_COLUMNS: tuple[str, ...] = ("middle_name", "town")

# "Penlow Jnr" is Penlow for comparing surnames, and a junior for telling father from son.
SUFFIX_RE = "' (jnr|jr|junior|snr|sr|senior)$'"


def _blank_to_null(col: str) -> str:
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def prepared_records_sql(source: str, keep: tuple[str, ...] = (), has: Iterable[str] = ()) -> str:
    """A SELECT over ``source`` (a relation shaped like ``person_records``) for the model.

    ``source`` must have ``date_of_birth`` as DATE and normalised names and postcodes;
    columns named in ``keep`` are carried through unchanged; ``has`` names the optional
    source columns (``OPTIONAL_SOURCE_COLUMNS``) that ``source`` actually has.
    """
    kept = "".join(f",\n        {c}" for c in keep)
    outer_kept = "".join(f", {c}" for c in keep)
    present = set(has)
    middle = _blank_to_null("middle_name") if "middle_name" in present else "NULL::VARCHAR"
    town = _blank_to_null("town") if "town" in present else "NULL::VARCHAR"
    dob = "date_of_birth"
    base = f"""
    SELECT
        CAST(unique_id AS VARCHAR) AS unique_id,
        CAST(partner AS VARCHAR) AS partner,
        CAST(source AS VARCHAR) AS source,
        -- A swapped record carries the suffix in its forename ("Penlow Jnr, Mark").
        NULLIF(trim(regexp_replace({_blank_to_null("given_name")}, {SUFFIX_RE}, '')), '')
            AS given_name,
        COALESCE({_blank_to_null("given_name_canonical")}, {_blank_to_null("given_name")})
            AS given_name_canonical,
        {middle} AS middle_name,
        NULLIF(trim(regexp_replace({_blank_to_null("family_name")}, {SUFFIX_RE}, '')), '')
            AS family_name,
        CASE WHEN regexp_matches(family_name, ' (jnr|jr|junior)$')
                  OR regexp_matches(given_name, ' (jnr|jr|junior)$') THEN 'junior'
             WHEN regexp_matches(family_name, ' (snr|sr|senior)$')
                  OR regexp_matches(given_name, ' (snr|sr|senior)$') THEN 'senior'
        END AS generation,
        strftime({dob}, '%Y-%m-%d') AS dob,
        -- Only a real transposition (day <= 12, day <> month) gives a different valid date.
        CASE WHEN day({dob}) <= 12 AND day({dob}) <> month({dob})
             THEN strftime(make_date(year({dob}), day({dob}), month({dob})), '%Y-%m-%d')
        END AS dob_transposed,
        strftime({dob}, '%Y-%m') AS dob_year_month,
        CAST(year({dob}) AS VARCHAR) AS dob_year,
        CASE WHEN lower(CAST(sex AS VARCHAR)) IN ('female', 'male')
             THEN lower(CAST(sex AS VARCHAR)) END AS sex,
        {_blank_to_null("postcode")} AS postcode,
        COALESCE({_blank_to_null("postcode_outward")}, split_part(postcode, ' ', 1))
            AS postcode_outward,
        COALESCE({_blank_to_null("postcode_sector")},
                 CASE WHEN postcode LIKE '% %' THEN left(postcode, length(postcode) - 2) END)
            AS postcode_sector,
        {_blank_to_null("address")} AS address,
        {town} AS town,
        {_blank_to_null("uprn")} AS uprn,
        {_blank_to_null("nhs_number")} AS nhs_number,
        {_blank_to_null("phone")} AS phone,
        {_blank_to_null("email")} AS email{kept}
    FROM {source}
    """
    # The house number(s) and the rest of an address are compared apart: "12 mill road" and
    # "14 mill road" are neighbours, not a typo.
    numbers = r"array_to_string(regexp_extract_all(address, '[0-9]+'), ' ')"
    street = r"trim(regexp_replace(regexp_replace(address, '[0-9]+', ' ', 'g'), ' +', ' ', 'g'))"
    return f"""
    SELECT unique_id, partner, source, given_name, given_name_canonical,
        left(given_name, 1) AS given_initial,
        middle_name, left(middle_name, 1) AS middle_initial,
        family_name, left(family_name, 1) AS family_initial,
        given_name || '|' || family_name AS names_fwd,
        family_name || '|' || given_name AS names_rev,
        generation, dob, dob_transposed, dob_year_month, dob_year, sex,
        postcode, postcode_outward, postcode_sector, address,
        NULLIF({numbers}, '') AS address_number,
        NULLIF({street}, '') AS address_street,
        town, uprn, nhs_number, phone, email{outer_kept}
    FROM ({base})
    """
