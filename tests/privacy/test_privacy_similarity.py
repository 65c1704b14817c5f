"""The compiled Dice kernel scores exactly as the NumPy reference does, and refuses bad pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharewell.privacy import ClkSettings, encode_clks, normalise_person
from sharewell.privacy.similarity import dice_pairs, dice_pairs_numpy, popcounts


@settings(max_examples=40, deadline=None)
@given(
    words=st.sampled_from([2, 8, 16, 32]),
    n=st.integers(1, 60),
    pairs=st.integers(0, 300),
    density=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_kernel_scores_equal_the_numpy_reference_bit_for_bit(words, n, pairs, density, seed):
    rng = np.random.default_rng(seed)
    filters = rng.integers(0, 2**64, size=(n, words), dtype=np.uint64, endpoint=False)
    for _ in range(density):  # sparser filters, as CLKs are; density 0 leaves them dense
        filters &= rng.integers(0, 2**64, size=(n, words), dtype=np.uint64, endpoint=False)
    filters[rng.random(n) < 0.1] = 0  # empty filters score 0, not NaN
    left, right = rng.integers(0, n, pairs), rng.integers(0, n, pairs)
    ours = dice_pairs(filters, left, right)
    reference = dice_pairs_numpy(filters, left, right)
    assert ours.dtype == reference.dtype == np.float32
    assert np.array_equal(ours, reference)


def test_kernel_scores_real_encodings_as_dice_defines_them(key):
    people = [
        normalise_person({"given_name": g, "family_name": f, "date_of_birth": d})
        for g, f, d in [
            ("Ann", "Lee", "1950-01-02"),
            ("Anne", "Lee", "1950-01-02"),
            ("Bob", "Hughes", "1971-12-30"),
        ]
    ]
    filters = encode_clks(people, key, ClkSettings(hardening=("balance", "xor_fold")))
    left, right = np.array([0, 0, 1, 2]), np.array([1, 2, 0, 2])
    scores = dice_pairs(filters, left, right)
    counts = popcounts(filters)
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        common = int(np.bitwise_count(filters[a] & filters[b]).sum())
        assert scores[k] == np.float32(2 * common / (counts[a] + counts[b]))
    assert scores[0] == scores[2] > scores[1]  # symmetric; Ann ~ Anne more than Bob
    assert scores[3] == 1.0


def test_a_pair_outside_the_filters_is_refused_not_read():
    filters = np.ones((3, 16), dtype=np.uint64)
    with pytest.raises(IndexError, match="outside the filters"):
        dice_pairs(filters, np.array([0]), np.array([3]))
    with pytest.raises(ValueError, match="2 left records but 1 right"):
        dice_pairs(filters, np.array([0, 1]), np.array([2]))
