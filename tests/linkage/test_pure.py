"""The pure parts of linkage: threshold choice, constrained clustering, settings hashing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sharewell.linkage.index import (
    ambiguous_records,
    choose_by_generation,
    constrained_components,
)
from sharewell.linkage.model import ModelSpec, person_settings, settings_hash
from sharewell.linkage.prepare import prepared_records_sql
from sharewell.linkage.threshold import (
    FALLBACK,
    MAX_DEFAULT,
    MIN_DEFAULT,
    choose_threshold,
    weight_to_probability,
)


def test_threshold_is_the_laxest_the_model_expects_to_be_right() -> None:
    # Bins of (weight, pairs, sum of probabilities): strong links, then a murky middle.
    hist = [(w, 100, 100 * weight_to_probability(w)) for w in (20.0, 15.0, 12.0, 10.0)]
    hist += [(6.0, 400, 400 * weight_to_probability(6.0)), (-3.0, 900, 100.0)]
    choice = choose_threshold(hist)
    # Accepting the 6.0 bin would drop expected precision below 0.999; the cut sits just
    # above it (weight 6.5).
    assert choice.match_probability == weight_to_probability(6.5)
    assert "expected precision" in choice.method


def test_threshold_never_falls_below_the_precision_floor() -> None:
    hist = [(30.0, 1000, 1000.0), (1.0, 10, 6.0), (-5.0, 500, 10.0)]
    assert choose_threshold(hist).match_probability == MIN_DEFAULT


def test_too_few_pairs_fall_back_to_a_strict_default() -> None:
    assert choose_threshold([(1.0, 3, 2.0), (9.0, 4, 3.9)]).match_probability == FALLBACK


@given(
    st.lists(
        st.tuples(st.integers(-20, 60).map(float), st.integers(1, 10_000), st.floats(0, 1)),
        max_size=40,
    )
)
def test_any_histogram_gives_a_threshold_within_bounds(
    hist: list[tuple[float, int, float]],
) -> None:
    bins = [(w, n, n * share) for w, n, share in hist]
    p = choose_threshold(bins).match_probability
    assert MIN_DEFAULT <= p <= MAX_DEFAULT


def test_constrained_clustering_keeps_the_strongest_links_and_splits_a_chain() -> None:
    # dad - ? - son: the record without a birthday links to both; dad/son is vetoed.
    groups = constrained_components(
        ["dad", "x", "son", "son2"],
        [("son", "son2"), ("son", "x"), ("dad", "x")],
        [("dad", "son")],
    )
    assert groups["son"] == groups["son2"] == groups["x"]
    assert groups["dad"] == "dad"


def test_settings_hash_changes_with_the_model_but_not_with_parameters() -> None:
    full = person_settings(ModelSpec()).create_settings_dict("duckdb")
    fewer = person_settings(ModelSpec(present=frozenset({"given_name", "family_name"})))
    assert settings_hash(full) != settings_hash(fewer.create_settings_dict("duckdb"))
    trained = dict(full, probability_two_random_records_match=0.5)
    assert settings_hash(trained) == settings_hash(full)


def test_a_record_that_fits_father_and_son_alike_stands_alone() -> None:
    # x has no birthday and links to both; dad and son are barred from each other.
    groups = {"dad": "dad", "x": "dad", "son": "son", "son2": "son"}
    edges = [("dad", "x"), ("x", "son"), ("son", "son2")]
    assert ambiguous_records(groups, edges, [("dad", "son"), ("dad", "son2")]) == {"x"}


def test_an_ambiguous_junior_joins_the_younger_and_a_senior_the_older() -> None:
    groups = {"dad": "dad", "son": "son", "jr": "dad", "sr": "son", "x": "dad"}
    edges = [("dad", "jr"), ("jr", "son"), ("dad", "sr"), ("sr", "son"), ("dad", "x"), ("x", "son")]
    cannot = [("dad", "son")]
    born = {"dad": "1961-02-03", "son": "1990-05-06"}
    generation = {"jr": "junior", "sr": "senior"}
    chosen = choose_by_generation(["jr", "sr", "x"], groups, edges, cannot, generation, born)
    # x has no suffix: still undecidable, so it is not chosen for.
    assert chosen == {"jr": "son", "sr": "dad"}
    # Without both birthdays nothing says which is the younger.
    assert choose_by_generation(["jr"], groups, edges, cannot, generation, {"dad": "1961"}) == {}


def test_a_swapped_forename_keeps_its_suffix_as_the_generation() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE person_records AS SELECT * FROM (VALUES "
        "('a', 'p', 's', 'lindham jnr', 'lindham', 'mark', NULL::DATE, 'male', "
        "'WX8 9JB', NULL, NULL, NULL, NULL, NULL, NULL, NULL)) AS t(unique_id, partner, "
        "source, given_name, given_name_canonical, family_name, date_of_birth, sex, postcode, "
        "postcode_outward, postcode_sector, address, uprn, nhs_number, phone, email)"
    )
    rows = con.execute(
        "SELECT given_name, family_name, generation FROM ("
        + prepared_records_sql("person_records")
        + ")"
    ).fetchall()
    assert rows == [("lindham", "mark", "junior")]


def test_junior_and_senior_suffixes_become_a_generation_not_a_surname() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE person_records AS SELECT * FROM (VALUES "
        "('a', 'p', 's', 'david', 'david', 'penlow jnr', DATE '2001-12-21', 'male', "
        "'WX3 0XP', NULL, NULL, '1 a st', NULL, NULL, NULL, NULL), "
        "('b', 'p', 's', 'david', 'david', 'penlow', DATE '1966-03-04', 'male', "
        "'WX3 0XP', NULL, NULL, '1 a st', NULL, NULL, NULL, NULL)) AS t(unique_id, partner, "
        "source, given_name, given_name_canonical, family_name, date_of_birth, sex, postcode, "
        "postcode_outward, postcode_sector, address, uprn, nhs_number, phone, email)"
    )
    rows = con.execute(
        "SELECT unique_id, family_name, generation, dob_transposed, postcode_sector FROM ("
        + prepared_records_sql("person_records")
        + ") ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("a", "penlow", "junior", None, "WX3 0"),
        ("b", "penlow", None, "1966-04-03", "WX3 0"),
    ]
