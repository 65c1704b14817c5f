"""Choosing the match threshold from the data: the valley between non-matches and matches.

Scored pairs form two humps on the match-weight scale: pairs that merely share a blocking
key (low weights) and true matches (high weights). The default threshold is the emptiest
point between the humps — where moving it changes fewest decisions — but never below
``MIN_DEFAULT`` because a wrong merge costs more than a missed link.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FALLBACK",
    "MAX_DEFAULT",
    "MIN_DEFAULT",
    "ThresholdChoice",
    "choose_threshold",
    "probability_to_weight",
    "weight_to_probability",
]

MIN_DEFAULT = 0.95  # precision first: never accept a link weaker than 19:1 on
MAX_DEFAULT = 0.999
FALLBACK = 0.99  # when the histogram has no clear valley (small or odd data)
BIN_WIDTH = 1.0  # match weight (log2 Bayes factor) per bin


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold and how it was chosen."""

    match_probability: float
    match_weight: float
    method: str


def weight_to_probability(weight: float) -> float:
    """Match probability for a match weight (log2 Bayes factor)."""
    bf = 2.0**weight
    return bf / (1.0 + bf)


def probability_to_weight(probability: float) -> float:
    """Match weight for a match probability."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _clamp(choice: float) -> float:
    return min(max(choice, MIN_DEFAULT), MAX_DEFAULT)


def choose_threshold(histogram: Sequence[tuple[float, int]]) -> ThresholdChoice:
    """The default threshold from ``(bin_start_weight, pair_count)`` bins of scored pairs."""
    bins = sorted((w, n) for w, n in histogram if n >= 0)
    if len(bins) < 5 or sum(n for _, n in bins) < 50:
        p = FALLBACK
        return ThresholdChoice(p, probability_to_weight(p), "fallback (too few pairs)")
    # Search the valley only between the match-weight region where both humps live:
    # the highest bin below weight 0 and the highest bin above it.
    low = [b for b in bins if b[0] < 0]
    high = [b for b in bins if b[0] >= 0]
    if not low or not high:
        p = FALLBACK
        return ThresholdChoice(p, probability_to_weight(p), "fallback (one hump only)")
    low_peak = max(low, key=lambda b: b[1])[0]
    high_peak = max(high, key=lambda b: b[1])[0]
    between = [b for b in bins if low_peak < b[0] < high_peak]
    if not between:
        p = FALLBACK
        return ThresholdChoice(p, probability_to_weight(p), "fallback (no valley)")
    fewest = min(n for _, n in between)
    # The upper end of the flattest stretch: precision first.
    valley_start = max(w for w, n in between if n == fewest)
    weight = valley_start + BIN_WIDTH / 2
    p = _clamp(weight_to_probability(weight))
    return ThresholdChoice(p, probability_to_weight(p), f"valley at weight {weight:.1f}")
