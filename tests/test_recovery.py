"""Checkpoints solved on a piecewise-linear log: remembered look-ups agree with a look-up from
the first checkpoint and with stepping through every checkpoint one by one."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rdssim.fluid import Curve
from rdssim.recovery import Checkpoints, last_checkpoint_s


def stepped_last_checkpoint_s(
    log: Curve, timeout_s: float, capacity_bytes: float, first_s: float, t_s: float
) -> float:
    """The definition, one checkpoint at a time: the next comes at the timeout or once
    ``capacity_bytes`` more log is written, whichever is first."""
    if first_s > t_s:
        return 0.0
    c = first_s
    while True:
        if math.isinf(capacity_bytes):
            by_size = math.inf
        else:
            level = log.value_at(c)
            by_size = float(log.latest_time_at_or_below(level + capacity_bytes, math.inf))
        following = min(c + timeout_s, by_size)
        if following > t_s:
            return c
        c = following


@st.composite
def logs(draw: st.DrawFn) -> Curve:
    """A write log of a few stretches of different rates (some idle), 0 to 24,000 s. The
    rates are not round: a checkpoint by size falling exactly on a knot is a tie that the
    leap over a stretch and a step settle on either side."""
    pieces = draw(st.integers(1, 6))
    times = np.cumsum([0.0] + [draw(st.floats(50.0, 4000.0)) for _ in range(pieces)])
    rates = [draw(st.sampled_from([0.0, 1234.567, 54_321.9, 201_234.7])) for _ in range(pieces)]
    values = np.concatenate(([0.0], np.cumsum(np.diff(times) * rates)))
    return Curve(times, values, draw(st.sampled_from([0.0, 12_345.6])))


@settings(max_examples=150, deadline=None)
@given(
    log=logs(),
    timeout_s=st.sampled_from([60.0, 300.0]),
    capacity_bytes=st.sampled_from([math.inf, 2e6, 3e7]),
    first_s=st.floats(0.0, 300.0),
    queries_s=st.lists(st.floats(0.0, 25_000.0), min_size=1, max_size=12),
)
def test_remembered_checkpoints_agree_with_the_definition(
    log: Curve,
    timeout_s: float,
    capacity_bytes: float,
    first_s: float,
    queries_s: list[float],
) -> None:
    """In any order of look-ups, earlier ones included: a remembered look-up is the last
    checkpoint found by stepping through all of them (to rounding: the leaps over periodic
    stretches add their periods at once)."""
    first_s = min(first_s, timeout_s)
    remembered = Checkpoints(timeout_s, capacity_bytes, first_s)
    for t_s in queries_s:
        stepped = stepped_last_checkpoint_s(log, timeout_s, capacity_bytes, first_s, t_s)
        fresh = last_checkpoint_s(log, timeout_s, capacity_bytes, first_s, t_s)
        found = remembered.last_at_or_before(log, t_s)
        assert found <= t_s
        assert math.isclose(found, stepped, rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(fresh, stepped, rel_tol=1e-9, abs_tol=1e-6)
        redo = remembered.redo_bytes(log, t_s)
        assert redo == max(0.0, log.value_at(t_s) - log.value_at(found))


def test_a_long_log_is_not_walked_again_for_each_crash() -> None:
    """A log with a knot an hour (every topology change adds one) over a year: each look-up
    goes on from the previous one, so the year's look-ups step over each stretch once."""
    hours = 24 * 365
    times = np.arange(hours + 1) * 3600.0
    log = Curve(times, times * 1e3, 1e3)
    remembered = Checkpoints(300.0, math.inf, 17.0)
    calls = {"value_at": 0}
    original = Curve.value_at

    def counting_value_at(self: Curve, t_s: float) -> float:
        calls["value_at"] += 1
        return original(self, t_s)

    Curve.value_at = counting_value_at  # type: ignore[assignment,method-assign]
    try:
        for day in range(1, 366):
            t_s = day * 86_400.0 + 1234.5
            expected = 17.0 + math.floor((t_s - 17.0) / 300.0) * 300.0
            assert math.isclose(remembered.last_at_or_before(log, t_s), expected, rel_tol=1e-12)
    finally:
        Curve.value_at = original  # type: ignore[method-assign]
    # About three per knot (a stretch's leap, then the step onto the next): not 365 x knots.
    assert calls["value_at"] < 4 * hours
