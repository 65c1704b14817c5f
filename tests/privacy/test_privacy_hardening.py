"""Hardening: balanced filters hide how much was encoded; folding halves the bits."""

from __future__ import annotations

import numpy as np

from sharewell.privacy import ClkSettings, encode_clks, normalise_person
from sharewell.privacy.bloom import balance, xor_fold

PEOPLE = [
    normalise_person(
        {
            "given_name": "Ann",
            "family_name": "Lee",
            "date_of_birth": "1950-01-02",
            "postcode": "WX1 2AB",
        }
    ),
    normalise_person(
        {"given_name": "Maximiliana", "family_name": "Fotheringham-Smythe", "sex": "female"}
    ),
    normalise_person({}),
]


def test_balanced_filters_all_have_half_their_bits_set(key):
    balanced = encode_clks(PEOPLE, key, ClkSettings(hardening=("balance",)))
    plain = encode_clks(PEOPLE, key, ClkSettings())
    # Unbalanced, a long name sets far more bits than a short one; balanced, all the same.
    assert len(set(np.bitwise_count(plain).sum(axis=1))) == 3
    assert set(np.bitwise_count(balanced).sum(axis=1)) == {1024}


def test_fast_balancing_equals_the_textbook_construction(key):
    fast = encode_clks(PEOPLE, key, ClkSettings(hardening=("balance",)))
    assert (fast == balance(encode_clks(PEOPLE, key, ClkSettings()), key)).all()
    salted = encode_clks(PEOPLE, key, ClkSettings(hardening=("balance", "salt")))
    assert (
        salted == balance(encode_clks(PEOPLE, key, ClkSettings(hardening=("salt",))), key)
    ).all()


def test_folding_halves_the_encoding(key):
    plain = encode_clks(PEOPLE, key, ClkSettings())
    folded = encode_clks(PEOPLE, key, ClkSettings(hardening=("xor_fold",)))
    assert folded.shape[1] * 2 == plain.shape[1]
    assert (folded == xor_fold(plain)).all()
    assert ClkSettings(hardening=("balance", "xor_fold")).encoded_bits == 1024


def test_salting_by_year_of_birth_changes_every_bit_pattern(key):
    one = normalise_person(
        {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1950-01-02"}
    )
    other = normalise_person(
        {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1951-01-02"}
    )
    plain = encode_clks([one, other], key, ClkSettings())
    salted = encode_clks([one, other], key, ClkSettings(hardening=("salt",)))
    common = lambda f: int(np.bitwise_count(f[0] & f[1]).sum())  # noqa: E731
    # Unsalted, the same name sets the same bits; salted, only chance overlaps remain.
    assert common(plain) > 100
    assert common(salted) < 40
