"""Parse human durations ("90s", "5m", "1h30m", "PT2M", 12.5) into float seconds.

The grammar is strict on purpose: a duration that could be read two ways is a typo.

* a number (int or float, not a boolean): seconds;
* a string of number-unit pairs, each unit at most once and from the largest to the smallest
  (``d``, ``h``, ``m`` or ``min``, ``s``, ``ms``): ``1h30m``, ``90s``, ``250ms``, ``1h 30m``;
* an ISO-8601 duration with days, hours, minutes and seconds (as AWS FIS writes them):
  ``PT5M``, ``P1DT2H``; a ``T`` must be followed by a time part.

Digits are ASCII digits; the value is finite and not negative.
"""

from __future__ import annotations

import math
import re

_UNIT_S = {"d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_PLAIN = re.compile(rf"{_NUMBER}(?:[eE][+-]?[0-9]+)?", re.ASCII)
_HUMAN = re.compile(rf"({_NUMBER})(ms|min|d|h|m|s)", re.ASCII)
_ISO = re.compile(
    rf"P(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?=[0-9])(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?",
    re.ASCII,
)

EXPECTED = "a duration such as 90s, 5m, 1h30m, 365d, 250ms, PT2M or a number of seconds"
_YEARS = re.compile(
    rf"({_NUMBER})\s*(?:y|yr|yrs|year|years)(?![a-z])\s*(.*)", re.ASCII | re.IGNORECASE
)


def shown(value: object) -> str:
    """A value as an error message quotes it: short, whatever the user wrote."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_duration_s(value: object) -> float:
    """Return ``value`` as non-negative, finite seconds; ``ValueError`` says what was expected."""
    if isinstance(value, bool):
        raise ValueError(f"expected {EXPECTED}, got {shown(value)}")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            raise ValueError(f"expected a finite duration, got {shown(value)}") from None
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValueError(f"expected {EXPECTED}, got {shown(value)}")
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration, got {shown(value)}")
    if seconds < 0:
        raise ValueError(f"expected a non-negative duration, got {shown(value)}")
    return seconds


def _parse_text(text: str) -> float:
    if not text:
        raise ValueError(f"expected {EXPECTED}, got an empty string")
    if text.startswith("-"):
        raise ValueError(f"expected a non-negative duration, got {shown(text)}")
    if _PLAIN.fullmatch(text):
        return float(text)
    if text.upper().startswith("P"):
        match = _ISO.fullmatch(text.upper())
        if match is None or not any(match.groupdict().values()):
            in_years = "Y" in text.upper().split("T")[0]  # P1Y, P1Y2D: a year has no one length
            raise ValueError(
                f"expected an ISO-8601 duration such as PT5M or P1DT2H, got {shown(text)}"
                + (": years are written in days, P365D (365 days a year)" if in_years else "")
            )
        parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
        return sum(parts[k] * _UNIT_S[k] for k in parts)
    compact = text.replace(" ", "")
    total, pos, last_size = 0.0, 0, math.inf
    for match in _HUMAN.finditer(compact):
        if match.start() != pos:
            break
        size = _UNIT_S[match.group(2)]
        if size >= last_size:
            raise ValueError(
                "expected each unit once, from the largest to the smallest (1h30m), "
                f"got {shown(text)}"
            )
        total += float(match.group(1)) * size
        pos, last_size = match.end(), size
    if pos != len(compact) or pos == 0:
        years = _YEARS.fullmatch(text)
        if years is not None:  # a year has no single length (365 or 365.25 days?): say days
            written = _in_days(float(years.group(1)) * 365, years.group(2).replace(" ", ""))
            raise ValueError(
                f"expected {EXPECTED}, got {shown(text)}: years are written in days,"
                f" {written + ', ' if written else ''}365 days a year"
            )
        raise ValueError(f"expected {EXPECTED}, got {shown(text)}")
    return total


def _in_days(days: float, rest: str) -> str | None:
    """``days`` and the ``rest`` that followed a number of years (1y30d12h: 365, "30d12h")
    written as the grammar reads them (395d12h), or None if the rest is no duration."""
    parts = list(_HUMAN.finditer(rest))
    if "".join(m.group(0) for m in parts) != rest:
        return None  # not number-unit pairs (1y5, 1yPT5M)
    if rest:
        try:
            _parse_text(rest)  # each unit once, largest first
        except ValueError:
            return None
    if parts and parts[0].group(2) == "d":
        days += float(parts.pop(0).group(1))
    if days >= 1e9:  # too long to be worth writing out
        return None
    # Digits and a point, never "1.1e+06"; the rest as the user wrote it.
    return f"{days:f}".rstrip("0").rstrip(".") + "d" + "".join(m.group(0) for m in parts)


def format_duration_s(seconds: float) -> str:
    """A duration as users write it, in its largest whole unit: 250ms, 30s, 1h, 3650d."""
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNIT_S[unit]
        if seconds >= size and (seconds / size).is_integer():
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
