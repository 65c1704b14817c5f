"""Household pseudonyms and age bands: what a partner sends for the visit list, and no more."""

from __future__ import annotations

from datetime import date

from sharewell.privacy import SecretKey
from sharewell.privacy.encode import encode_rows, load_schema, read_extract
from sharewell.privacy.households import age_band, age_band_floor, household_pseudonym
from sharewell.views.fire_risk import load_weights

ICB = "westshire_icb/over65_register.xlsx"
ICB_SCHEMA = "mappings/westshire_icb.over65_register.yaml"


def test_one_home_one_pseudonym_and_another_secret_cannot_join_it(key):
    same = household_pseudonym(key, uprn="100012345678", address=None, postcode=None)
    assert same == household_pseudonym(
        key, uprn="100012345678", address="1 high street", postcode="WX1 1AA"
    )  # the UPRN decides when there is one
    other = SecretKey(b"\x01" * 32)
    assert same != household_pseudonym(other, uprn="100012345678", address=None, postcode=None)
    by_address = household_pseudonym(key, uprn=None, address="1 high street", postcode="WX1 1AA")
    assert by_address not in (None, same)
    assert household_pseudonym(key, uprn=None, address="1 high street", postcode=None) is None


def test_age_bands_are_coarse_and_score_as_the_ages_they_hide():
    as_of = date(2024, 12, 31)
    assert age_band("1939-12-31", as_of) == "85-89"
    assert age_band("1940-01-01", as_of) == "80-84"
    assert age_band("1930-06-01", as_of) == "90+"
    assert age_band("1990-06-01", as_of) == "under 50"
    assert age_band(None, as_of) is None
    weights = load_weights()
    for born in range(1910, 2000):
        dob = f"{born}-07-01"
        exact = as_of.year - born  # birthday in July: passed by 31 December
        band = age_band(dob, as_of)
        assert band is not None
        assert weights.age_band(age_band_floor(band)) == weights.age_band(exact), band


def test_encoded_file_carries_household_and_band_only_when_the_schema_asks(partnership, key):
    schema = load_schema(partnership / ICB_SCHEMA)
    rows = read_extract(partnership / ICB, schema)[:200]
    plain = encode_rows(rows, key, schema, "westshire_icb")
    assert "household_pseudonym" not in plain.column_names
    assert "age_band" not in plain.column_names
    asked = schema.model_copy(
        update={"household_pseudonym": True, "age_band": True, "age_as_of": date(2024, 12, 31)}
    )
    table = encode_rows(rows, key, asked, "westshire_icb")
    households = table.column("household_pseudonym").to_pylist()
    assert sum(h is not None for h in households) > 0.9 * len(rows)
    assert len(set(households)) < len(households)  # people who share a home share a key
    assert set(table.column("age_band").to_pylist()) <= {
        "under 50",
        *(f"{a}-{a + 4}" for a in range(50, 90, 5)),
        "90+",
        None,
    }
    # No address, postcode or UPRN in clear in any column, nor inside any value.
    values = {
        str(v)
        for name in table.column_names
        if name != "clk" and not name.endswith("_pseudonym") and not name.startswith("block_")
        for v in table.column(name).to_pylist()
        if v is not None
    }
    for row in rows:
        for field in ("address", "postcode", "uprn"):
            value = str(row.get(field) or "").strip()
            assert not value or not any(value in v for v in values), (field, value)
