"""The mean time between a retrying client's DNS lookups (rdssim.model.renewal), against
simulated attempts and the renewal theorem's asymptote."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rdssim.model.renewal import WINDOW_TERMS, irwin_hall_cdf, lookup_gap_s, renewal_function

SPACINGS = [(0.002, 0.001), (0.0005, 0.001), (0.0, 0.002), (0.001, 0.004), (0.1, 5.0)]
# Nearly even: a back-off spread small against the attempt's own time (the renewal function
# stays step-like for many spacings).
NEAR_EVEN = [(2.0, 0.01), (2.0, 0.05), (1.0, 0.001), (0.02, 0.001)]


def simulated_gap(keep: float, least: float, spread: float, samples: int = 100_000) -> tuple:
    """(mean, standard error) of the time from a lookup to the next, attempt by attempt."""
    rng = np.random.default_rng(12345)
    horizon = int(keep / (least + spread / 2) * 3 + 40)
    starts = np.cumsum(least + spread * rng.random((samples, horizon)), axis=1)
    before = (starts < keep).sum(axis=1)  # attempts before the expiry look nothing up
    assert before.max() < horizon
    gaps = starts[np.arange(samples), before]
    return gaps.mean(), gaps.std() / math.sqrt(samples)


def test_irwin_hall_matches_its_small_cases() -> None:
    assert irwin_hall_cdf(0.5, 1) == pytest.approx(0.5)
    assert irwin_hall_cdf(1.0, 2) == pytest.approx(0.5)  # the triangle's middle
    assert irwin_hall_cdf(0.5, 2) == pytest.approx(0.125)
    assert irwin_hall_cdf(6.0, 12) == pytest.approx(0.5)
    assert irwin_hall_cdf(-1.0, 3) == 0.0 and irwin_hall_cdf(3.5, 3) == 1.0


@pytest.mark.parametrize(("least", "spread"), SPACINGS)
@pytest.mark.parametrize("keeps", [0.3, 0.8, 1.0, 1.2, 2.0, 4.0, 11.9, 12.0, 30.0])
def test_the_gap_is_what_attempt_by_attempt_lookups_average(
    least: float, spread: float, keeps: float
) -> None:
    keep = keeps * (least + spread / 2)  # in mean spacings
    mean, error = simulated_gap(keep, least, spread)
    assert lookup_gap_s(keep, least, spread) == pytest.approx(mean, abs=5 * error + 1e-12)


@pytest.mark.parametrize(("least", "spread"), NEAR_EVEN)
@pytest.mark.parametrize("keeps", [1.5, 6.7, 12.2, 12.35, 15.0, 40.0])
def test_nearly_even_spacings_too(least: float, spread: float, keeps: float) -> None:
    keep = keeps * (least + spread / 2)
    mean, error = simulated_gap(keep, least, spread)
    assert lookup_gap_s(keep, least, spread) == pytest.approx(mean, abs=5 * error + 1e-12)


@pytest.mark.parametrize(("least", "spread"), SPACINGS + NEAR_EVEN)
def test_the_asymptote_takes_over_where_they_agree(least: float, spread: float) -> None:
    # A cache so long that the window of uncertain terms passes WINDOW_TERMS: the sum just
    # short of it and the asymptote just past it agree.
    mean, sd = least + spread / 2, spread / math.sqrt(12)
    n = (WINDOW_TERMS * mean / (2 * 9.0 * sd)) ** 2  # the window is about 18 sd sqrt(n) / mean
    short, long = 0.98 * n * mean, 1.02 * n * mean
    asymptote = long / mean + (sd**2 - mean**2) / (2 * mean**2)
    assert renewal_function(long, least, spread) == pytest.approx(asymptote, rel=1e-12)
    summed = renewal_function(short, least, spread)
    assert summed == pytest.approx(short / mean + (sd**2 - mean**2) / (2 * mean**2), abs=1e-3)


def test_a_cache_shorter_than_the_shortest_spacing_is_looked_up_at_every_attempt() -> None:
    assert lookup_gap_s(0.0015, 0.002, 0.001) == pytest.approx(0.0025)
    assert renewal_function(0.006, 0.002, 0.0) == 2.0  # at 2 and 4 ms; the one at 6 ms is not
