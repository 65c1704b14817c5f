"""Dice coefficients of Bloom-filter encodings: a vectorised NumPy popcount kernel."""

from __future__ import annotations

import numpy as np

__all__ = ["dice_pairs", "popcounts"]


def popcounts(filters: np.ndarray) -> np.ndarray:
    """Bits set in each filter."""
    return np.bitwise_count(filters).sum(axis=1, dtype=np.int32)


def dice_pairs(
    filters: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    counts: np.ndarray | None = None,
    chunk: int = 4096,
) -> np.ndarray:
    """Dice coefficient 2|A∧B| / (|A|+|B|) of each candidate pair (left[k], right[k]).

    Whole rows gathered a cache-sized chunk at a time and ANDed in place: about twice as
    fast as gathering word by word, and no (pairs × words) array is ever materialised.
    """
    if counts is None:
        counts = popcounts(filters)
    out = np.empty(len(left), dtype=np.float32)
    for start in range(0, len(left), chunk):
        li = left[start : start + chunk]
        ri = right[start : start + chunk]
        both = filters.take(li, axis=0)
        both &= filters.take(ri, axis=0)
        common = np.bitwise_count(both).sum(axis=1, dtype=np.int32)
        total = counts[li] + counts[ri]
        out[start : start + len(li)] = np.where(total > 0, 2.0 * common / np.maximum(total, 1), 0)
    return out
