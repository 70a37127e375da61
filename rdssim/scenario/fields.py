"""Field types of the scenario format, each with the range a value may take.

Every number in a scenario is finite and bounded (docs/scenario-format.md, "Ranges"): a
value outside its range is a mistake (``writes_per_s: 1e308``), and one inside it can still
break a run only if the model has a bug. The bounds are physical (no RDS instance commits a
million transactions a second), a documented limit of the system modelled (HikariCP refuses
a ``maxLifetime`` under 30 s), or, for horizons and repair times, wide enough for any study
(ten years; a month).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BeforeValidator, PlainValidator

from rdssim.distributions import Distribution, parse_distribution
from rdssim.durations import format_duration_s, parse_duration_s
from rdssim.scenario.wording import did_you_mean

MS = 0.001
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
YEAR = 365 * DAY
YEAR_S = 365.25 * DAY
"""The year of failure rates (``per_year``) and of the availability keys (a Julian year)."""

MAX_HORIZON_S = 10 * YEAR
"""The longest run: a few years of random failures is the longest study users make."""
MAX_TIMING_S = 30 * DAY
"""The longest repair or control-plane delay: beyond a month it is an outage, not a timing."""
MAX_RATE_PER_S = 1e6
"""Writes, requests or reads per second: no RDS instance does a million per second."""
MAX_COUNT = 1_000_000
"""Client instances and the like."""


def _bounded(
    value: object,
    *,
    low_s: float,
    high_s: float,
    above: bool,
    parse: Callable[[object], float] = parse_duration_s,
) -> float:
    seconds = parse(value)
    if above and not seconds > low_s:
        least = "a positive duration" if low_s == 0 else f"longer than {format_duration_s(low_s)}"
        raise ValueError(f"expected {least}, got {value!r}")
    if seconds < low_s:
        least = format_duration_s(low_s)
        raise ValueError(f"expected a duration of at least {least}, got {value!r}")
    if seconds > high_s:
        most = format_duration_s(high_s)
        raise ValueError(f"expected a duration of at most {most}, got {value!r}")
    return seconds


def seconds(high_s: float, low_s: float = 0.0, *, above: bool = False) -> BeforeValidator:
    """Annotated metadata: a duration in [low_s, high_s] (``above``: more than low_s), read
    as float seconds: ``Annotated[float, seconds(HOUR, MS)]``."""
    return BeforeValidator(partial(_bounded, low_s=low_s, high_s=high_s, above=above))


def _optional(value: object, check: Callable[[object], float]) -> float | None:
    return None if value is None or value == "none" else check(value)


def seconds_or_none(high_s: float, low_s: float = 0.0) -> BeforeValidator:
    """A timeout that may be switched off: ``none`` (or YAML null) means never."""
    check = partial(_bounded, low_s=low_s, high_s=high_s, above=low_s == 0.0)
    return BeforeValidator(partial(_optional, check=check))


DISTRIBUTION_KEYS = {
    "fixed": (),
    "uniform": (),
    "lognormal": ("median", "sigma"),
    "exponential": ("mean",),
    "empirical": (),
}
"""The forms of a timing distribution, with the keys of those written as mappings."""


def _distribution(value: Any, *, max_s: float) -> Distribution:
    """parse_distribution, with "did you mean" for a misspelt form or key of one."""
    try:
        return parse_distribution(value, max_s=max_s)
    except ValueError as error:
        if isinstance(value, dict) and len(value) == 1:
            ((kind, args),) = value.items()
            suggestion = did_you_mean(kind, DISTRIBUTION_KEYS)
            if kind not in DISTRIBUTION_KEYS and suggestion:
                raise ValueError(f"unknown distribution {kind!r}{suggestion}") from None
            keys = DISTRIBUTION_KEYS.get(kind, ())
            unknown = [k for k in args if k not in keys] if keys and isinstance(args, dict) else []
            if unknown:
                suggestion = did_you_mean(unknown[0], keys)
                raise ValueError(
                    f"{kind}: unknown key {unknown[0]!r}{suggestion} ({error})"
                ) from None
        raise


def timing(high_s: float = MAX_TIMING_S) -> PlainValidator:
    """A timing distribution whose durations lie in [0, high_s] (parse_distribution)."""
    return PlainValidator(partial(_distribution, max_s=high_s))
