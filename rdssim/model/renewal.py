"""How often retrying attempts look a name up: a renewal process read at a cache's expiry.

Attempts failing alike are spaced ``least + U(0, spread)`` apart (each takes ``least``, then
backs off uniformly up to the ceiling). One of them looks the name up, and the answer is
kept ``keep`` seconds: the next lookup is made by the first attempt at or after the expiry.
The attempts after a lookup are a renewal process started at it, so the lookup is attempt
number ``1 + N(keep)`` after it, N counting the attempts before the expiry, and by Wald's
identity the mean time between lookups is ``mean * (1 + m(keep))``, m the renewal function
``m(t) = sum over n of P(S_n < t)``, S_n the time to the n-th attempt.

For a cache kept many attempts long, m(t) is ``t / mean + (sd^2 - mean^2) / (2 mean^2)`` to
well within 0.1% (the gap is then ``keep`` plus the renewal residual); for a shorter one
the sum is taken: S_n is ``n * least`` plus ``spread`` times an Irwin-Hall variable (the sum
of n uniforms), whose distribution function is a short alternating sum. (scipy.stats has
it too, but importing scipy.stats costs a run more than a leap saves.)
"""

from __future__ import annotations

import math
from functools import lru_cache

EXACT_UP_TO = 12.0
"""Caches kept fewer mean spacings than this get the exact sum; beyond, the asymptote's
error is below 0.05% (checked against the sum and by simulation, tests/test_renewal.py)."""


def irwin_hall_cdf(x: float, n: int) -> float:
    """P(U_1 + ... + U_n <= x) for n independent uniforms on [0, 1)."""
    if x <= 0.0:
        return 0.0
    if x >= n:
        return 1.0
    terms = [(-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(math.floor(x) + 1)]
    return min(1.0, max(0.0, math.fsum(terms) / math.factorial(n)))


def renewal_function(t_s: float, least_s: float, spread_s: float) -> float:
    """m(t): the mean number of attempts before ``t_s`` after one at 0, each spaced
    ``least_s + U(0, spread_s)`` from the one before."""
    mean_s = least_s + spread_s / 2
    if t_s <= least_s or mean_s <= 0.0:
        return 0.0
    if spread_s <= 0.0:  # evenly spaced: the ones strictly before t
        return float(math.ceil(t_s / least_s) - 1)
    total = 0.0
    n = 1
    while n * least_s < t_s:
        p = irwin_hall_cdf((t_s - n * least_s) / spread_s, n)
        if p < 1e-15 and n * mean_s > t_s:
            break  # the rest are further out still
        total += p
        n += 1
    return total


@lru_cache(maxsize=1024)  # a group's cohorts leap with the same spacing and cache
def lookup_gap_s(keep_s: float, least_s: float, spread_s: float) -> float:
    """The mean time between lookups of attempts spaced ``least_s + U(0, spread_s)`` apart
    through a cache that keeps an answer ``keep_s``."""
    mean_s = least_s + spread_s / 2
    assert mean_s > 0.0, "attempts take time or back off"
    if keep_s >= EXACT_UP_TO * mean_s:
        variance = spread_s**2 / 12
        return keep_s + (variance + mean_s**2) / (2 * mean_s)
    return mean_s * (1.0 + renewal_function(keep_s, least_s, spread_s))
