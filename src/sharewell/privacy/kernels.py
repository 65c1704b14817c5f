"""The two inner loops NumPy cannot do without large temporaries, compiled by numba (LLVM).

Each is compiled on first use and cached on disk, so importing sharewell stays quick and a
second run starts at once. Both are held by the tests to plain NumPy doing the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

__all__ = ["dice_kernel", "or_rows_kernel"]


@cache
def dice_kernel() -> Callable[..., None]:
    """``kernel(filters, left, right, counts, out)``: Dice of each pair into ``out``."""
    from llvmlite import ir
    from numba import njit, types
    from numba.extending import intrinsic

    @intrinsic
    def popcount64(typingctx: Any, word: Any) -> Any:
        # LLVM's ctpop: one POPCNT instruction, or a vectorised popcount across words.
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
            return builder.call(fn, args)

        return types.uint64(types.uint64), codegen

    @njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
    def kernel(filters: Any, left: Any, right: Any, counts: Any, out: Any) -> None:
        n, words = filters.shape
        for k in range(left.shape[0]):
            i, j = left[k], right[k]
            # Checked here, in the same pass, rather than by four NumPy passes beforehand.
            if i < 0 or j < 0 or i >= n or j >= n:
                raise IndexError("a pair refers to a record outside the filters")
            # Each row read where it lies: no gathered copy of the pair's two filters.
            a = filters[i]
            b = filters[j]
            common = np.uint64(0)
            for w in range(words):
                common += popcount64(a[w] & b[w])  # type: ignore[call-arg]  # numba supplies typingctx
            total = counts[i] + counts[j]
            # As the NumPy reference: float64 arithmetic, stored as float32.
            out[k] = 2.0 * np.int64(common) / total if total > 0 else 0.0

    return kernel


@cache
def or_rows_kernel() -> Callable[..., None]:
    """``kernel(masks, token_ids, ends, out)``: row i of ``out`` ORs its tokens' masks."""
    from numba import njit

    @njit(cache=True, nogil=True, boundscheck=False)
    def kernel(masks: Any, token_ids: Any, ends: Any, out: Any) -> None:
        start = 0
        words = masks.shape[1]
        for row in range(ends.shape[0]):
            for k in range(start, ends[row]):
                mask = masks[token_ids[k]]
                for w in range(words):
                    out[row, w] |= mask[w]
            start = ends[row]

    return kernel
