"""How often retrying attempts look a name up: a renewal process read at a cache's expiry.

Attempts failing alike are spaced ``least + U(0, spread)`` apart (each takes ``least``, then
backs off uniformly up to the ceiling). One of them looks the name up, and the answer is
kept ``keep`` seconds: the next lookup is made by the first attempt at or after the expiry.
The attempts after a lookup are a renewal process started at it, so the lookup is attempt
number ``1 + N(keep)`` after it, N counting the attempts before the expiry, and by Wald's
identity the mean time between lookups is ``mean * (1 + m(keep))``, m the renewal function
``m(t) = sum over n of P(S_n < t)``, S_n the time to the n-th attempt.

S_n is ``n * least`` plus ``spread`` times an Irwin-Hall variable (the sum of n uniforms).
Only the terms of n whose S_n can fall either side of t are summed: below them every term
is 1 (to within e^-40), above them 0. Up to 30 uniforms the Irwin-Hall distribution function
is its alternating sum, exact; from there the normal one, within 1e-4 (the uniform's
skewness is 0). (scipy.stats has both, but importing it costs a run more than a leap
saves.) When even that window holds thousands of terms, m(t) has long converged to its
asymptote ``t / mean + (sd^2 - mean^2) / (2 mean^2)`` (the gap is then ``keep`` plus the
renewal residual). Nearly even spacings (a back-off spread small against the attempt's own
time) keep the renewal function step-like for many spacings; the window follows them.
"""

from __future__ import annotations

import math
from functools import lru_cache

EXACT_TERMS = 30
"""Irwin-Hall's alternating sum is used up to this many uniforms (it loses precision from
about 40 with x near n/2); beyond, the normal approximation."""
TAIL_Z = 9.0
"""Terms more than this many standard deviations from t are taken as 1 or 0."""
WINDOW_TERMS = 5000
"""A window of more terms than this means the asymptote holds (its error is then below
e^-1000)."""


def irwin_hall_cdf(x: float, n: int) -> float:
    """P(U_1 + ... + U_n <= x) for n <= 30 independent uniforms on [0, 1)."""
    assert n <= EXACT_TERMS, "the alternating sum loses precision beyond"
    if x <= 0.0:
        return 0.0
    if x >= n:
        return 1.0
    terms = [(-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(math.floor(x) + 1)]
    return min(1.0, max(0.0, math.fsum(terms) / math.factorial(n)))


def _below(t_s: float, n: int, least_s: float, spread_s: float) -> float:
    """P(S_n < t)."""
    if n <= EXACT_TERMS:
        return irwin_hall_cdf((t_s - n * least_s) / spread_s, n)
    mean_s, sd_s = least_s + spread_s / 2, spread_s / math.sqrt(12.0)
    z = (t_s - n * mean_s) / (math.sqrt(n) * sd_s)
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _terms_at(t_s: float, mean_s: float, sd_s: float, z: float) -> float:
    """The n at which n * mean + z * sqrt(n) * sd = t."""
    root = (-z * sd_s + math.sqrt(z * z * sd_s * sd_s + 4 * mean_s * t_s)) / (2 * mean_s)
    return root * root


def renewal_function(t_s: float, least_s: float, spread_s: float) -> float:
    """m(t): the mean number of attempts before ``t_s`` after one at 0, each spaced
    ``least_s + U(0, spread_s)`` from the one before."""
    mean_s = least_s + spread_s / 2
    if t_s <= least_s or mean_s <= 0.0:
        return 0.0
    if spread_s <= 0.0:  # evenly spaced: the ones strictly before t
        return float(math.ceil(t_s / least_s) - 1)
    sd_s = spread_s / math.sqrt(12.0)
    # Terms up to ``ones`` are 1: t is TAIL_Z deviations or more above S_n's mean (for up to
    # 27 uniforms that puts S_n's largest value, n * (least + spread), below t as well).
    ones = max(0, math.floor(_terms_at(t_s, mean_s, sd_s, TAIL_Z)))
    last = math.ceil(_terms_at(t_s, mean_s, sd_s, -TAIL_Z)) + 1
    if last - ones > WINDOW_TERMS:
        return t_s / mean_s + (sd_s**2 - mean_s**2) / (2 * mean_s**2)
    total = float(ones)
    for n in range(ones + 1, last + 1):
        if n * least_s >= t_s:
            break
        total += _below(t_s, n, least_s, spread_s)
    return total


@lru_cache(maxsize=1024)  # a group's cohorts leap with the same spacing and cache
def lookup_gap_s(keep_s: float, least_s: float, spread_s: float) -> float:
    """The mean time between lookups of attempts spaced ``least_s + U(0, spread_s)`` apart
    through a cache that keeps an answer ``keep_s``."""
    mean_s = least_s + spread_s / 2
    assert mean_s > 0.0, "attempts take time or back off"
    return mean_s * (1.0 + renewal_function(keep_s, least_s, spread_s))
