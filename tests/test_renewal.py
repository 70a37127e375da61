"""The mean time between a retrying client's DNS lookups (rdssim.model.renewal), against
simulated attempts and the renewal theorem's asymptote."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rdssim.model.renewal import EXACT_UP_TO, irwin_hall_cdf, lookup_gap_s, renewal_function

SPACINGS = [(0.002, 0.001), (0.0005, 0.001), (0.0, 0.002), (0.001, 0.004), (0.1, 5.0)]


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


@pytest.mark.parametrize(("least", "spread"), SPACINGS)
def test_the_asymptote_takes_over_where_they_agree(least: float, spread: float) -> None:
    mean = least + spread / 2
    keep = EXACT_UP_TO * mean
    exact = mean * (1 + renewal_function(keep, least, spread))
    assert lookup_gap_s(keep, least, spread) == pytest.approx(exact, rel=5e-4)


def test_a_cache_shorter_than_the_shortest_spacing_is_looked_up_at_every_attempt() -> None:
    assert lookup_gap_s(0.0015, 0.002, 0.001) == pytest.approx(0.0025)
    assert renewal_function(0.006, 0.002, 0.0) == 2.0  # at 2 and 4 ms; the one at 6 ms is not
