"""Scale: 100,000 x 100,000 encodings link with blocking on the 2-core machine."""

from __future__ import annotations

import pytest
from benchmarks.privacy import link_noisy_copies


def test_five_thousand_by_five_thousand_link_quickly_and_well():
    result, scores, _ = link_noisy_copies(5_000)
    assert result.candidate_pairs / result.all_pairs < 0.001
    assert scores["f1"] >= 0.98


@pytest.mark.slow
def test_hundred_thousand_by_hundred_thousand_link_with_blocking():
    result, scores, _ = link_noisy_copies(100_000)
    assert result.records == 200_000
    assert result.seconds < 300
    assert scores["f1"] >= 0.98
