"""Timing distributions: every timing parameter in rdssim is one of these, in seconds.

Scenario files write them as ``20s`` (fixed), ``{uniform: [10s, 30s]}``,
``{lognormal: {median: 30s, sigma: 0.3}}``, ``{exponential: {mean: 4h}}`` or
``{empirical: [12s, 15s, 40s]}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdssim.durations import format_duration_s, parse_duration_s, shown


@dataclass(frozen=True)
class Fixed:
    """Always ``value_s``."""

    value_s: float

    def sample(self, rng: np.random.Generator) -> float:
        return self.value_s

    def median_s(self) -> float:
        return self.value_s

    def describe(self) -> str:
        return f"fixed {self.value_s:g} s"


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low_s, high_s]."""

    low_s: float
    high_s: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low_s, self.high_s))

    def median_s(self) -> float:
        return (self.low_s + self.high_s) / 2.0

    def describe(self) -> str:
        return f"uniform {self.low_s:g}-{self.high_s:g} s"


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with the given median and log-space standard deviation ``sigma``."""

    median: float
    sigma: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.median * math.exp(self.sigma * rng.standard_normal()))

    def median_s(self) -> float:
        return self.median

    def describe(self) -> str:
        return f"lognormal median {self.median:g} s, sigma {self.sigma:g}"


@dataclass(frozen=True)
class Empirical:
    """One of the observed ``values_s``, each equally likely."""

    values_s: tuple[float, ...]

    def sample(self, rng: np.random.Generator) -> float:
        return self.values_s[int(rng.integers(len(self.values_s)))]

    def median_s(self) -> float:
        return float(np.median(self.values_s))

    def describe(self) -> str:
        return f"empirical over {len(self.values_s)} values"


@dataclass(frozen=True)
class Exponential:
    """Exponential with mean ``mean_s`` (memoryless: a repair as a Markov model has it)."""

    mean_s: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_s))

    def median_s(self) -> float:
        return self.mean_s * math.log(2.0)

    def describe(self) -> str:
        return f"exponential mean {self.mean_s:g} s"


Distribution = Fixed | Uniform | LogNormal | Empirical | Exponential

MAX_SIGMA = 3.0
"""A log-normal's sigma: at 3 its 95th percentile is 140 times its median, wider than any
timing AWS describes; far beyond, draws overflow (sigma 1000 gives exp(1000 z))."""
MAX_VALUES = 10_000

_FORMS = (
    "a duration (20s), {fixed: 20s}, {uniform: [10s, 30s]}, "
    "{lognormal: {median: 30s, sigma: 0.3}}, {exponential: {mean: 4h}} or {empirical: [12s, 15s]}"
)


def parse_distribution(value: Any, max_s: float = math.inf) -> Distribution:
    """Build a distribution from its scenario-file form; ``ValueError`` names what was expected.

    Every duration in it is at most ``max_s``.
    """
    if isinstance(value, Fixed | Uniform | LogNormal | Empirical | Exponential):
        return value

    def seconds(v: Any) -> float:
        s = parse_duration_s(v)
        if s > max_s:
            raise ValueError(
                f"expected durations of at most {format_duration_s(max_s)}, got {shown(v)}"
            )
        return s

    if not isinstance(value, dict):
        try:
            parse_duration_s(value)
        except ValueError:
            raise ValueError(f"expected {_FORMS}, got {shown(value)}") from None
        return Fixed(seconds(value))
    if len(value) != 1:
        raise ValueError(
            "expected exactly one of fixed, uniform, lognormal, exponential, empirical; "
            f"got {shown(value)}"
        )
    ((kind, args),) = value.items()
    if kind == "fixed":
        return Fixed(seconds(args))
    if kind == "uniform":
        if not isinstance(args, list | tuple) or len(args) != 2:
            raise ValueError(f"uniform expects [low, high], got {shown(args)}")
        low, high = seconds(args[0]), seconds(args[1])
        if high < low:
            raise ValueError(f"uniform expects low <= high, got [{args[0]}, {args[1]}]")
        return Uniform(low, high)
    if kind == "lognormal":
        if not isinstance(args, dict) or set(args) != {"median", "sigma"}:
            raise ValueError(
                f"lognormal expects {{median: <duration>, sigma: <number>}}, got {shown(args)}"
            )
        median = seconds(args["median"])
        sigma = args["sigma"]
        if (
            isinstance(sigma, bool)
            or not isinstance(sigma, int | float)
            or not 0 <= sigma <= MAX_SIGMA
        ):
            raise ValueError(
                f"lognormal sigma must be a number from 0 to {MAX_SIGMA:g}, got {shown(sigma)}"
            )
        if median <= 0:
            raise ValueError("lognormal median must be positive")
        return LogNormal(median, float(sigma))
    if kind == "exponential":
        if not isinstance(args, dict) or set(args) != {"mean"}:
            raise ValueError(f"exponential expects {{mean: <duration>}}, got {shown(args)}")
        mean = seconds(args["mean"])
        if mean <= 0:
            raise ValueError("exponential mean must be positive")
        return Exponential(mean)
    if kind == "empirical":
        if not isinstance(args, list) or not args or len(args) > MAX_VALUES:
            raise ValueError(
                f"empirical expects a list of 1 to {MAX_VALUES:,} durations, got {shown(args)}"
            )
        return Empirical(tuple(seconds(v) for v in args))
    raise ValueError(f"unknown distribution {shown(kind)}; expected {_FORMS}")
