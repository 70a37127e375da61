"""Parse human durations ("90s", "5m", "1h30m", "PT2M", 12.5) into float seconds."""

from __future__ import annotations

import re

_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_HUMAN = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)")
_ISO = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)

EXPECTED = "a duration such as 90s, 5m, 1h30m, 250ms, PT2M or a number of seconds"


def parse_duration_s(value: object) -> float:
    """Return ``value`` as non-negative seconds.

    Accepts a number (seconds), a string of number-unit pairs ("1h30m", "90s", "250ms"),
    or an ISO-8601 duration ("PT5M", as AWS FIS uses). Raises ``ValueError`` otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            raise ValueError(f"expected a finite duration, got {value!r}") from None
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValueError(f"expected {EXPECTED}, got {value!r}")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite duration, got {value!r}")
    if seconds < 0:
        raise ValueError(f"expected a non-negative duration, got {value!r}")
    return seconds


def _parse_text(text: str) -> float:
    if not text:
        raise ValueError(f"expected {EXPECTED}, got an empty string")
    if text.startswith("-"):
        raise ValueError(f"expected a non-negative duration, got {text!r}")
    try:
        return float(text)
    except ValueError:
        pass
    if text.upper().startswith("P"):
        match = _ISO.fullmatch(text.upper())
        if match and text.upper() not in ("P", "PT"):
            parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
            return (
                parts.get("d", 0.0) * 86400.0
                + parts.get("h", 0.0) * 3600.0
                + parts.get("m", 0.0) * 60.0
                + parts.get("s", 0.0)
            )
        raise ValueError(f"expected {EXPECTED}, got {text!r}")
    pos = 0
    total = 0.0
    compact = text.replace(" ", "")
    for match in _HUMAN.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        raise ValueError(f"expected {EXPECTED}, got {text!r}")
    return total
