"""Choosing the match threshold from the data: the laxest one the model expects to be right.

Every scored pair carries the model's probability that it is a match, so for any cut the
model's own expectation of the share of wrong links above it is the mean of ``1 - p``.
The default threshold is the lowest cut at which the trained model expects at least
``TARGET_PRECISION`` of the links it accepts to be right — clamped to
``[MIN_DEFAULT, MAX_DEFAULT]``, because Splink's probabilities can be over-confident and a
wrong merge costs more than a missed link.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FALLBACK",
    "MAX_DEFAULT",
    "MIN_DEFAULT",
    "TARGET_PRECISION",
    "ThresholdChoice",
    "choose_threshold",
    "probability_to_weight",
    "weight_to_probability",
]

MIN_DEFAULT = 0.95  # precision first: never accept a link weaker than 19:1 on
MAX_DEFAULT = 0.999
FALLBACK = 0.99  # when there are too few scored pairs to judge
TARGET_PRECISION = 0.999  # the model's own expected share of right links above the cut
BIN_WIDTH = 0.5  # match weight (log2 Bayes factor) per histogram bin


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold and how it was chosen."""

    match_probability: float
    match_weight: float
    method: str


def weight_to_probability(weight: float) -> float:
    """Match probability for a match weight (log2 Bayes factor)."""
    if weight > 60:
        return 1.0
    bf = 2.0**weight
    return bf / (1.0 + bf)


def probability_to_weight(probability: float) -> float:
    """Match weight for a match probability."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def choose_threshold(histogram: Sequence[tuple[float, int, float]]) -> ThresholdChoice:
    """The default threshold from ``(bin_start_weight, pairs, sum_of_probabilities)`` bins."""
    bins = sorted(b for b in histogram if b[1] > 0)
    if sum(n for _, n, _ in bins) < 50:
        return ThresholdChoice(
            FALLBACK, probability_to_weight(FALLBACK), "fallback (too few pairs)"
        )
    # Walk down from the strongest bin; after each, the accepted set is that bin and all
    # above it, and the laxest cut giving that set sits just above the next bin down.
    chosen = MAX_DEFAULT
    pairs = 0
    sum_p = 0.0
    descending = list(reversed(bins))
    for i, (start, n, s) in enumerate(descending):
        if weight_to_probability(start + BIN_WIDTH) < MIN_DEFAULT:
            break
        pairs += n
        sum_p += s
        if sum_p / pairs < TARGET_PRECISION:
            continue
        below = descending[i + 1][0] + BIN_WIDTH if i + 1 < len(descending) else -math.inf
        chosen = min(chosen, max(weight_to_probability(below), MIN_DEFAULT))
    p = min(max(chosen, MIN_DEFAULT), MAX_DEFAULT)
    return ThresholdChoice(
        p,
        probability_to_weight(p),
        f"expected precision >= {TARGET_PRECISION} (model's own estimate)",
    )
