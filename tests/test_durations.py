"""Human durations in scenario files become float seconds; anything else is refused."""

from __future__ import annotations

import math

import pytest

from rdssim.durations import parse_duration_s


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("5min", 300.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("2d", 172800.0),
        ("1m30s500ms", 90.5),
        (" 42s ", 42.0),
        ("12", 12.0),
        ("0.5", 0.5),
        ("PT2M", 120.0),
        ("PT1H30M", 5400.0),
        ("PT5M", 300.0),
        ("PT0.5S", 0.5),
        ("P1D", 86400.0),
        ("P1DT1S", 86401.0),
        ("pt2m", 120.0),
        ("0s", 0.0),
    ],
)
def test_text_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(
    ("number", "seconds"), [(0, 0.0), (12, 12.0), (12.5, 12.5), (3600, 3600.0)]
)
def test_numbers_are_seconds(number: float, seconds: float) -> None:
    value = parse_duration_s(number)
    assert value == seconds
    assert isinstance(value, float)


@pytest.mark.parametrize(
    "bad",
    [
        "-5s",
        "-5",
        -1,
        -0.001,
        "",
        "   ",
        "5 parsecs",
        "s",
        "5x",
        "m5",
        "5s garbage",
        "1h-30m",
        "P",
        "PT",
        "PT5X",
        "P1H",  # hours belong after the T
        True,
        False,
        None,
        [5],
        {"s": 5},
        float("nan"),
        float("inf"),
        float("-inf"),
        10**400,
        "nan",
        "inf",
        "-inf",
        # Lenient forms that read two ways are typos, not durations:
        "P1DT",  # a T with no time after it
        "15m15m",  # a unit twice
        "30s1m",  # units out of order
        "1m1min",  # minutes twice, spelt two ways
        "\u0661\u0665m",  # Arabic-Indic digits: 15m to float(), not to a reader of YAML
        "1_000s",
        "P1Y",  # years and months have no fixed length
        "1e400",  # overflows to inf
    ],
    ids=lambda value: repr(value)[:24],
)
def test_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(bad)


def test_rejection_messages_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="duration such as 90s") as info:
        parse_duration_s("5 parsecs")
    assert "5 parsecs" in str(info.value)
    with pytest.raises(ValueError, match="non-negative"):
        parse_duration_s(-3)
    for years, days in (
        ("1y", "365d"),
        ("50 years", "18250d"),
        ("2.5y", "912.5d"),
        ("3000y", "1095000d"),  # digits the grammar reads, not "1.095e+06d"
        ("1y30d", "395d"),  # the days that follow are added
        ("2 years 12h", "730d12h"),
        ("1y 2h 30m", "365d2h30m"),
    ):
        with pytest.raises(ValueError, match="years are written in days") as info:
            parse_duration_s(years)
        assert f"in days, {days}, 365 days a year" in str(info.value)
        parse_duration_s(days)  # the advice itself parses
    for unwritable in ("1" * 400 + "y", "1y5", "1y30d30d", "1y2h30d"):
        # No "infd", and no advice that drops or reorders what followed the years.
        with pytest.raises(ValueError, match="in days, 365 days a year"):
            parse_duration_s(unwritable)
    for iso in ("P1Y", "p2y10d", "P1YT2H"):
        with pytest.raises(ValueError, match=r"years are written in days, P365D"):
            parse_duration_s(iso)
    assert parse_duration_s("P365D") == 365 * 86400.0
    with pytest.raises(ValueError) as info:
        parse_duration_s("PT1Y")  # a time part has no years: the plain advice
    assert "years" not in str(info.value)
    with pytest.raises(ValueError, match="finite"):
        parse_duration_s(math.inf)
    with pytest.raises(ValueError, match="True"):
        parse_duration_s(True)


def test_messages_for_the_lenient_forms_name_the_rule() -> None:
    with pytest.raises(ValueError, match="each unit once"):
        parse_duration_s("15m15m")
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration_s("P1DT")
