"""Dice coefficients of Bloom-filter encodings: a compiled popcount kernel, NumPy reference.

The hub compares candidate pairs (from blocking), not whole datasets, so the kernel takes
a list of pairs. NumPy cannot do that fast: it must gather both rows of every pair into
a temporary array first. The kernel is compiled by numba (LLVM), which turns the word
loop into the CPU's own popcount (AVX2 where present) and reads each row where it lies.
``dice_pairs_numpy`` is the same arithmetic in NumPy: the reference the tests hold the
kernel to, bit for bit, and the baseline the benchmark measures it against.
"""

from __future__ import annotations

import numpy as np

from sharewell.privacy.kernels import dice_kernel

__all__ = ["dice_pairs", "dice_pairs_numpy", "popcounts"]


def popcounts(filters: np.ndarray) -> np.ndarray:
    """Bits set in each filter."""
    return np.bitwise_count(filters).sum(axis=1, dtype=np.int32)


def _as_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    left = np.ascontiguousarray(left, dtype=np.int64)
    right = np.ascontiguousarray(right, dtype=np.int64)
    if left.shape != right.shape:
        raise ValueError(f"{len(left)} left records but {len(right)} right records")
    return left, right


def dice_pairs(
    filters: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Dice coefficient 2|A∧B| / (|A|+|B|) of each candidate pair (left[k], right[k]).

    Args:
        filters: (n, words) uint64 encodings.
        left, right: row numbers of the pairs' two records (sorting by ``left`` helps).
        counts: bits set in each filter (``popcounts``), if already known.

    Returns:
        float32 scores, one per pair; 0 where both filters are empty.
    """
    left, right = _as_pairs(left, right)
    filters = np.ascontiguousarray(filters, dtype=np.uint64)
    counts = popcounts(filters) if counts is None else np.ascontiguousarray(counts, np.int32)
    out = np.empty(len(left), dtype=np.float32)
    dice_kernel()(filters, left, right, counts, out)
    return out


def dice_pairs_numpy(
    filters: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    counts: np.ndarray | None = None,
    chunk: int = 4096,
) -> np.ndarray:
    """``dice_pairs`` in NumPy alone: whole rows gathered a cache-sized chunk at a time."""
    left, right = _as_pairs(left, right)
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
