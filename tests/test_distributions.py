"""Timing distributions: every scenario form parses, bad forms are refused, and samples follow
their closed forms (checked over many draws with tolerances of a few standard errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rdssim.distributions import Empirical, Fixed, LogNormal, Uniform, parse_distribution

DRAWS = 40_000


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("20s", Fixed(20.0)),
        (20, Fixed(20.0)),
        (2.5, Fixed(2.5)),
        ("PT1M", Fixed(60.0)),
        ({"fixed": "20s"}, Fixed(20.0)),
        ({"fixed": 7}, Fixed(7.0)),
        ({"uniform": ["10s", "30s"]}, Uniform(10.0, 30.0)),
        ({"uniform": [5, "1m"]}, Uniform(5.0, 60.0)),
        ({"uniform": ["10s", "10s"]}, Uniform(10.0, 10.0)),
        ({"lognormal": {"median": "30s", "sigma": 0.3}}, LogNormal(30.0, 0.3)),
        ({"lognormal": {"median": "2m", "sigma": 0}}, LogNormal(120.0, 0.0)),
        ({"empirical": ["12s", "15s", "40s"]}, Empirical((12.0, 15.0, 40.0))),
        ({"empirical": [3]}, Empirical((3.0,))),
    ],
    ids=repr,
)
def test_parses_every_form(form: object, expected: object) -> None:
    assert parse_distribution(form) == expected


def test_a_distribution_object_passes_through() -> None:
    dist = LogNormal(8.0, 0.5)
    assert parse_distribution(dist) is dist


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("soon", "expected a duration"),
        ("-5s", "expected a duration"),
        (True, "expected a duration"),
        ({}, "exactly one of"),
        ({"fixed": "1s", "uniform": ["1s", "2s"]}, "exactly one of"),
        ({"gamma": {"shape": 2}}, "unknown distribution 'gamma'"),
        ({"fixed": "-1s"}, "non-negative"),
        ({"uniform": ["30s", "10s"]}, "low <= high"),
        ({"uniform": ["10s"]}, r"uniform expects \[low, high\]"),
        ({"uniform": "10s"}, r"uniform expects \[low, high\]"),
        ({"uniform": ["10s", "later"]}, "duration such as"),
        ({"lognormal": {"median": "30s"}}, "lognormal expects"),
        ({"lognormal": {"median": "30s", "sigma": 0.3, "mean": 1}}, "lognormal expects"),
        ({"lognormal": [30, 0.3]}, "lognormal expects"),
        ({"lognormal": {"median": "30s", "sigma": -0.1}}, "sigma must be a number from 0 to 3"),
        ({"lognormal": {"median": "30s", "sigma": True}}, "sigma must be a number from 0 to 3"),
        ({"lognormal": {"median": "30s", "sigma": "wide"}}, "sigma must be a number from 0 to 3"),
        ({"lognormal": {"median": 0, "sigma": 0.3}}, "median must be positive"),
        ({"empirical": []}, "a list of 1 to 10,000 durations"),
        ({"empirical": "12s"}, "a list of 1 to 10,000 durations"),
        ({"empirical": ["12s", "never"]}, "duration such as"),
    ],
    ids=repr,
)
def test_refuses_bad_forms(form: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_distribution(form)


def test_medians_and_descriptions() -> None:
    assert Fixed(20.0).median_s() == 20.0
    assert Uniform(10.0, 30.0).median_s() == 20.0
    assert LogNormal(8.0, 0.5).median_s() == 8.0
    assert Empirical((1.0, 2.0, 10.0)).median_s() == 2.0
    assert Empirical((1.0, 2.0, 3.0, 10.0)).median_s() == 2.5
    assert "20" in Fixed(20.0).describe()
    assert "10-30" in Uniform(10.0, 30.0).describe()
    assert "median 8" in LogNormal(8.0, 0.5).describe()
    assert "3 values" in Empirical((1.0, 2.0, 3.0)).describe()


def test_fixed_always_gives_its_value(rng: np.random.Generator) -> None:
    assert {Fixed(12.5).sample(rng) for _ in range(100)} == {12.5}


def test_uniform_mean_and_range(rng: np.random.Generator) -> None:
    low, high = 10.0, 30.0
    draws = np.array([Uniform(low, high).sample(rng) for _ in range(DRAWS)])
    assert draws.min() >= low and draws.max() <= high
    # Closed form: mean (low + high) / 2, standard deviation (high - low) / sqrt(12).
    standard_error = (high - low) / math.sqrt(12) / math.sqrt(DRAWS)
    assert abs(draws.mean() - (low + high) / 2) < 4 * standard_error
    # And it is spread over the whole range, not bunched: each quarter holds about 25%.
    quarters = np.histogram(draws, bins=4, range=(low, high))[0] / DRAWS
    assert np.all(np.abs(quarters - 0.25) < 4 * math.sqrt(0.25 * 0.75 / DRAWS))


def test_lognormal_median_and_mean(rng: np.random.Generator) -> None:
    median, sigma = 28.0, 0.3
    draws = np.array([LogNormal(median, sigma).sample(rng) for _ in range(DRAWS)])
    assert draws.min() > 0
    # The sample median's log is asymptotically normal with sd sqrt(pi/2) * sigma / sqrt(n).
    median_se = math.sqrt(math.pi / 2) * sigma / math.sqrt(DRAWS)
    assert abs(math.log(np.median(draws)) - math.log(median)) < 4 * median_se
    # Mean: median * exp(sigma^2 / 2); sd of one draw: mean * sqrt(exp(sigma^2) - 1).
    mean = median * math.exp(sigma**2 / 2)
    mean_se = mean * math.sqrt(math.exp(sigma**2) - 1) / math.sqrt(DRAWS)
    assert abs(draws.mean() - mean) < 4 * mean_se
    # The log-space standard deviation is sigma (its se is about sigma / sqrt(2n)).
    assert abs(np.log(draws).std() - sigma) < 4 * sigma / math.sqrt(2 * DRAWS)


def test_lognormal_with_no_spread_is_fixed(rng: np.random.Generator) -> None:
    assert {LogNormal(30.0, 0.0).sample(rng) for _ in range(50)} == {30.0}


def test_empirical_draws_each_value_equally_often(rng: np.random.Generator) -> None:
    values = (12.0, 15.0, 40.0, 90.0)
    draws = [Empirical(values).sample(rng) for _ in range(DRAWS)]
    assert set(draws) == set(values)
    p = 1 / len(values)
    se = math.sqrt(p * (1 - p) / DRAWS)
    for value in values:
        assert abs(draws.count(value) / DRAWS - p) < 4 * se


def test_samples_depend_only_on_the_generator() -> None:
    dist = LogNormal(8.0, 0.5)
    first = [dist.sample(np.random.default_rng(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert dist.sample(np.random.default_rng(8)) != first[0]
