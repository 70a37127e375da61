"""Quantiles of a mixture of uniform distributions: the exact distribution of a quantity
that varies linearly over many intervals (a latency, a replica's staleness), each interval's
values equally likely and weighted by how many requests saw them.

Exact and cheap: the quantile is the smallest x whose mixture CDF reaches q, found by
bisection to the resolution of a float (about 60 halvings), each CDF a clipped sum over the
uniforms: O(n) memory, O(60 n) work, and no running slope that very narrow uniforms would
swamp with rounding error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def mixture_quantiles(
    lo: FloatArray, hi: FloatArray, weight: FloatArray, qs: Sequence[float]
) -> FloatArray:
    """Quantiles ``qs`` of a mixture of uniforms on [lo, hi] (a point mass where lo == hi)
    with the given weights; NaN for each if the weights sum to zero."""
    keep = weight > 0
    lo, hi, weight = lo[keep], hi[keep], weight[keep]
    if weight.size == 0:
        return np.full(len(qs), np.nan)
    low, high = float(lo.min()), float(hi.max())
    if low == high:  # one value (steady traffic): every quantile is it, no search needed
        return np.full(len(qs), low)
    spread = hi > lo
    s_lo, s_width, s_weight = lo[spread], (hi - lo)[spread], weight[spread]
    p_at, p_weight = lo[~spread], weight[~spread]

    def cdf(x: float) -> float:
        # A very narrow uniform overflows to +-inf outside its ends: clipped to 0 or 1.
        with np.errstate(over="ignore", invalid="ignore"):
            share = np.clip((x - s_lo) / s_width, 0.0, 1.0)
        return float(share @ s_weight + p_weight[p_at <= x].sum())

    total = float(weight.sum())
    out = np.empty(len(qs), dtype=np.float64)
    for n, q in enumerate(qs):
        target = q * total * (1 - 1e-12)
        if cdf(low) >= target:
            out[n] = low
            continue
        a, b = low, high  # cdf(a) < target <= cdf(b)
        while True:
            mid = (a + b) / 2
            if not a < mid < b:
                break
            if cdf(mid) >= target:
                b = mid
            else:
                a = mid
        out[n] = b
    return out
