"""The fluid replication math: followers, catch-up instants and lag against closed forms.

Closed forms: a follower behind by b at max slope c > r on a source of constant rate r catches
up after b / (c - r); a spike of rate h for d seconds over a follower of capacity c leaves a
backlog (h - c) d, cleared after it at (c - base) per second; a caught-up replica behind a link
of latency L lags by L. Property tests check every follower against the independent Hopf-Lax
formula for the largest curve below S with slope <= c from (t0, a0):

    a(t) = min(a0 + c (t - t0),  min over tau in (t0, t] of S(tau) + c (t - tau)),

whose inner minimum is reached at t itself or at one of the source's breakpoints.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdssim.fluid import (
    Curve,
    FloatArray,
    backlog_bytes,
    catch_up_time_s,
    follow,
    lag_s,
    log_curve,
    ramp_phases,
    spike_phases,
)


def grid(curve: Curve, *extra: float, points: int = 1500) -> FloatArray:
    """A dense time grid to past the curve's last breakpoint, its breakpoints included."""
    end = curve.last_time_s + 100.0
    marks = [t for t in extra if math.isfinite(t)]
    return np.unique(np.concatenate((np.linspace(0.0, end, points), curve.times_s, marks)))


def largest_below(target: Curve, t0: float, a0: float, c: float, t: FloatArray) -> FloatArray:
    """Hopf-Lax: the largest curve from (t0, a0) at or below ``target`` with slope <= c."""
    times, values = target.times_s, target.values_bytes
    through = values[None, :] + c * (t[:, None] - times[None, :])
    reachable = (times[None, :] > t0) & (times[None, :] <= t[:, None])  # a0 covers tau = t0
    inner = np.min(np.where(reachable, through, np.inf), axis=1, initial=np.inf)
    return np.minimum(np.minimum(a0 + c * (t - t0), target.value_at(t)), inner)


def tolerance(*curves: Curve) -> float:
    return 1e-9 * max(1.0, *(float(np.max(np.abs(c.values_bytes))) for c in curves))


# -- closed forms -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rate", "backlog", "capacity"), [(100.0, 5e4, 300.0), (1e5, 3e9, 1.7e5), (0.0, 1234.5, 0.5)]
)
def test_behind_on_a_constant_rate_catches_up_after_backlog_over_closing_speed(
    rate: float, backlog: float, capacity: float
) -> None:
    source = Curve.ray(0.0, 0.0, rate)
    start_s = 10.0
    follower = follow(source, start_s, source.value_at(start_s) - backlog, capacity)
    expected = start_s + backlog / (capacity - rate)
    solved = catch_up_time_s(source, follower)
    assert solved == pytest.approx(expected, rel=1e-9)
    assert follower.times_s[-1] == pytest.approx(expected, rel=1e-9)  # solved, one breakpoint
    assert follower.final_slope_bps == rate  # then tracks the source
    assert backlog_bytes(source, follower, start_s) == pytest.approx(backlog)
    later = expected + 1000.0
    assert backlog_bytes(source, follower, later) <= 1e-9 * source.value_at(later)


@pytest.mark.parametrize("capacity", [100.0, 60.0])
def test_no_faster_than_the_source_never_catches_up_and_the_gap_grows(capacity: float) -> None:
    rate, backlog = 100.0, 2000.0
    source = Curve.ray(0.0, 0.0, rate)
    follower = follow(source, 0.0, -backlog, capacity)
    assert catch_up_time_s(source, follower) is None
    t = np.array([0.0, 10.0, 1000.0, 1e5])
    expected = backlog + (rate - capacity) * t
    np.testing.assert_allclose(backlog_bytes(source, follower, t), expected, rtol=1e-12)


def test_a_spike_leaves_a_backlog_cleared_at_the_solved_instant() -> None:
    bytes_per_txn, base, high, capacity, spike_s, length_s = 250.0, 100.0, 1000.0, 500.0, 30.0, 60.0
    source = log_curve(spike_phases(base, high, spike_s, length_s), bytes_per_txn)
    applied = follow(source, 0.0, 0.0, capacity * bytes_per_txn)
    spike_end_s = spike_s + length_s
    backlog = (high - capacity) * length_s * bytes_per_txn
    catch_up_s = spike_end_s + backlog / ((capacity - base) * bytes_per_txn)
    assert catch_up_s == pytest.approx(spike_end_s + 75.0)
    assert backlog_bytes(source, applied, spike_s) == 0.0  # kept up before the spike
    assert backlog_bytes(source, applied, spike_end_s) == pytest.approx(backlog, rel=1e-12)
    assert catch_up_time_s(source, applied, now_s=spike_s + 1.0) == pytest.approx(
        catch_up_s, rel=1e-12
    )
    assert catch_up_time_s(source, applied) == 0.0  # already caught up at the start
    # Lag peaks at the spike's end: the applied position was written (h - c) d / h seconds in.
    peak = spike_end_s - (spike_s + capacity * length_s / high)
    assert lag_s(source, applied, spike_end_s) == pytest.approx(peak, rel=1e-12)
    assert lag_s(source, applied, catch_up_s + 1.0) == pytest.approx(0.0, abs=1e-9)


def test_an_upward_jump_puts_a_tracking_follower_behind() -> None:
    source = Curve([0.0, 10.0, 10.0], [0.0, 100.0, 500.0], 10.0)
    follower = follow(source, 0.0, 0.0, 50.0)
    assert follower.value_at(10.0) == 100.0  # cannot jump
    assert catch_up_time_s(source, follower, now_s=10.0) == pytest.approx(10.0 + 400.0 / 40.0)
    unlimited = follow(source, 0.0, 0.0, math.inf)
    assert unlimited.value_at(10.0) == 500.0


# -- latency and lag --------------------------------------------------------------------------
@pytest.mark.parametrize("bandwidth", [math.inf, 1e15])
def test_unlimited_bandwidth_tracks_the_delayed_source(bandwidth: float) -> None:
    source = log_curve([(0.0, 300.0), (40.0, 0.0), (90.0, 2000.0), (95.0, 50.0)], 512.0)
    latency_s = 2.5
    received = follow(source.shifted(latency_s), 0.0, 0.0, bandwidth)
    t = grid(source)
    np.testing.assert_allclose(
        received.value_at(t), source.value_at(t - latency_s), rtol=0, atol=tolerance(source)
    )


def test_caught_up_replica_lags_by_its_latency_under_a_constant_rate() -> None:
    latency_s = 0.75
    source = Curve.ray(0.0, 0.0, 4096.0 * 700)
    applied = follow(follow(source.shifted(latency_s), 0.0, 0.0, 1e12), 0.0, 0.0, 1e10)
    t = np.linspace(latency_s, 3600.0, 500)
    np.testing.assert_allclose(lag_s(source, applied, t), latency_s, rtol=1e-9)
    assert lag_s(source, applied, 0.5) == pytest.approx(0.5)  # nothing received yet


def test_idle_source_shows_no_phantom_lag() -> None:
    source = log_curve([(0.0, 1000.0), (100.0, 0.0), (400.0, 10.0)], 4096.0)
    applied = follow(source, 0.0, 0.0, 700.0 * 4096.0)
    caught_s = catch_up_time_s(source, applied, now_s=1.0)
    assert caught_s is not None and 100.0 < caught_s < 400.0
    idle = np.linspace(caught_s, 400.0, 301)
    assert (backlog_bytes(source, applied, idle) == 0.0).all()
    assert (lag_s(source, applied, idle) == 0.0).all()
    # Still behind early in the idle stretch: the lag is real and grows with the clock.
    assert lag_s(source, applied, 110.0) > lag_s(source, applied, 105.0) > 0.0


def test_no_phantom_lag_with_awkward_numbers() -> None:
    """Exactness, not luck: a caught-up follower on an idle source *equals* it, to the bit."""
    rng = np.random.default_rng(20240601)
    for _ in range(400):
        rate, bytes_per_txn = rng.uniform(1.0, 5000.0), rng.uniform(1.0, 9000.0)
        busy_s, latency_s = rng.uniform(1.0, 500.0), rng.choice([0.0, rng.uniform(0.0, 5.0)])
        # Too slow (catches up while idle) or fast enough (tracks, then the source goes idle).
        capacity = rate * bytes_per_txn * rng.choice([rng.uniform(0.1, 0.95), rng.uniform(1, 3)])
        idle_s = busy_s + latency_s + 20 * busy_s * rate * bytes_per_txn / capacity
        source = log_curve([(0.0, rate), (busy_s, 0.0), (idle_s, rate)], bytes_per_txn)
        received = follow(source.shifted(latency_s), 0.0, 0.0, rng.uniform(1.0, 1e3) * capacity)
        applied = follow(received, 0.0, 0.0, capacity)
        caught_s = catch_up_time_s(source, applied, now_s=busy_s + latency_s)
        assert caught_s is not None and caught_s < idle_s
        quiet = np.linspace(caught_s, idle_s, 97)
        assert (applied.value_at(quiet) == source.value_at(busy_s)).all()
        assert (lag_s(source, applied, quiet) == 0.0).all()


def test_ramp_steps_are_exact_at_step_boundaries_and_within_the_bound_between() -> None:
    bytes_per_txn, start_s, length_s, low, high, steps = 100.0, 20.0, 300.0, 50.0, 950.0, 12
    phases = [(0.0, low), *ramp_phases(start_s, length_s, low, high, steps)]
    curve = log_curve(phases, bytes_per_txn)

    def exact(t: FloatArray) -> FloatArray:
        into = np.clip(t - start_s, 0.0, length_s)
        ramp = low * into + (high - low) * into**2 / (2 * length_s)
        return bytes_per_txn * (
            low * np.minimum(t, start_s) + ramp + high * np.maximum(t - start_s - length_s, 0.0)
        )

    boundaries = start_s + np.arange(steps + 1) * length_s / steps
    np.testing.assert_allclose(curve.value_at(boundaries), exact(boundaries), rtol=1e-12)
    t = np.linspace(0.0, 600.0, 6001)
    bound = bytes_per_txn * (high - low) * length_s / (8 * steps**2)
    error = np.abs(curve.value_at(t) - exact(t))
    assert error.max() <= bound * (1 + 1e-9)
    assert error.max() >= 0.9 * bound  # the bound is tight (reached mid-step)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        Curve([0.0, 2.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        Curve([0.0, 1.0], [5.0, 1.0])
    with pytest.raises(ValueError, match="ahead"):
        follow(Curve.ray(0.0, 0.0, 1.0), 5.0, 6.0, 2.0)
    with pytest.raises(ValueError, match="max slope"):
        follow(Curve.ray(0.0, 0.0, 1.0), 0.0, 0.0, 0.0)


def test_continued_keeps_the_past_and_changes_the_slope_from_then() -> None:
    curve = log_curve([(0.0, 10.0), (50.0, 30.0)], 1.0).continued(60.0, 5.0)
    assert curve.value_at(np.array([25.0, 60.0, 70.0])).tolist() == [250.0, 800.0, 850.0]


# -- properties -------------------------------------------------------------------------------
RATES = st.one_of(st.just(0.0), st.floats(1.0, 2000.0))
PIECES = st.tuples(
    st.floats(0.5, 100.0), RATES, st.one_of(st.just(0.0), st.just(0.0), st.floats(1.0, 5e4))
)
SLOPES = st.floats(1.0, 3000.0)


@st.composite
def sources(draw: st.DrawFn) -> Curve:
    """A random non-decreasing source: pieces of random length and rate, idle ones and jumps."""
    pieces = draw(st.lists(PIECES, min_size=1, max_size=6))
    times, values, t, v = [0.0], [0.0], 0.0, 0.0
    for length_s, rate, jump in pieces[:-1]:
        t, v = t + length_s, v + rate * length_s
        times.append(t)
        values.append(v)
        if jump:
            times.append(t)
            values.append(v + jump)
            v += jump
    return Curve(times, values, pieces[-1][1])


def tracking_until(target: Curve, since_s: float, max_slope: float) -> float:
    """End of the stretch from ``since_s`` on which the target grows no faster than max_slope."""
    times = target.times_s
    starts = np.concatenate(([since_s], times[times > since_s]))
    too_fast = starts[target.slope_at(starts) > max_slope]
    jumps = times[1:][(np.diff(times) == 0) & (times[1:] > since_s)]
    return float(min(too_fast.min(initial=np.inf), jumps.min(initial=np.inf)))


@settings(max_examples=150, deadline=None)
@given(sources(), SLOPES, st.floats(0.0, 50.0), st.floats(0.0, 1.0))
def test_follower_is_the_largest_curve_below_the_target_with_bounded_slope(
    source: Curve, max_slope: float, start_s: float, start_fraction: float
) -> None:
    level = source.value_at(start_s)
    follower = follow(source, start_s, start_fraction * level, max_slope)
    caught_s = catch_up_time_s(source, follower)
    t = grid(source, caught_s if caught_s is not None else math.inf)
    t = t[t >= start_s]
    a, s = follower.value_at(t), source.value_at(t)
    # Relative 1e-9 of the largest value compared: the grid runs on along the final ray to
    # the catch-up, which can lie ~1e16 s out (a slope 1 ulp above the source's), where the
    # source's own breakpoints say nothing of the magnitude.
    tol = max(tolerance(source), 1e-9 * float(np.max(np.abs(s), initial=0.0)))
    np.testing.assert_allclose(
        a, largest_below(source, start_s, start_fraction * level, max_slope, t), rtol=0, atol=tol
    )
    assert (a <= s + tol).all()
    assert (np.diff(a) >= -tol).all()
    assert (np.diff(a) <= max_slope * np.diff(t) + tol).all()
    if caught_s is not None:
        stays = (t >= caught_s) & (t < tracking_until(source, caught_s, max_slope))
        np.testing.assert_allclose(a[stays], s[stays], rtol=0, atol=tol)
        if level - start_fraction * level > tol:  # (a start within rounding may snap later)
            behind = t < caught_s - 1e-6
            assert (s[behind] > a[behind]).all()  # behind until then
    else:
        assert source.final_slope_bps >= max_slope


@settings(max_examples=120, deadline=None)
@given(sources(), SLOPES, SLOPES, st.floats(0.0, 30.0))
def test_a_chain_never_gets_ahead_and_lag_is_honest(
    source: Curve, bandwidth: float, capacity: float, latency_s: float
) -> None:
    received = follow(source.shifted(latency_s), 0.0, 0.0, bandwidth)
    applied = follow(received, 0.0, 0.0, capacity)
    t = grid(source, latency_s)
    tol = tolerance(source)
    s, r, a = source.value_at(t), received.value_at(t), applied.value_at(t)
    assert (r <= source.value_at(t - latency_s) + tol).all()
    assert (r <= s + tol).all()
    assert (a <= r + tol).all()
    lag = lag_s(source, applied, t)
    assert (lag >= 0).all()
    assert (lag <= t + 1e-9).all()  # the source started at 0: nothing is older than the run
    # Where applied has caught up with the delayed source (the whole chain tracks it), the lag
    # is L while the source was writing L seconds ago...
    delayed = source.shifted(latency_s)
    caught_s = catch_up_time_s(delayed, applied)
    if caught_s is None:
        return
    until_s = tracking_until(delayed, caught_s, min(bandwidth, capacity))
    caught = (t > caught_s) & (t < until_s)
    np.testing.assert_allclose(a[caught], delayed.value_at(t[caught]), rtol=0, atol=tol)
    slope = source.slope_at(t - latency_s)
    # (Writing around t - L, not just from it: at the last write's instant, 0 and L tie.)
    around = np.minimum(
        source.slope_at(t - latency_s - 1e-6), source.slope_at(t - latency_s + 1e-6)
    )
    writing = caught & (slope > 0) & (around > 0) & (t > latency_s + 1e-6)
    within = 1e-11 * tol / 1e-9 / np.where(writing, slope, 1.0) + 1e-9
    assert (np.abs(lag - latency_s)[writing] <= within[writing]).all()
    # ...and exactly 0 where the source has been idle since then: no phantom lag.
    idle = caught & (slope == 0) & (source.value_at(t - latency_s) == s)
    assert (lag[idle] == 0.0).all()
    assert (lag[caught] <= latency_s + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(sources(), SLOPES)
def test_catch_up_is_the_solved_instant_of_a_falling_behind_follower(
    source: Curve, max_slope: float
) -> None:
    follower = follow(source, 0.0, 0.0, max_slope)
    for start_s, end_s in pairwise([*follower.times_s, follower.last_time_s + 1.0]):
        now_s = (start_s + end_s) / 2
        caught_s = catch_up_time_s(source, follower, now_s)
        if caught_s is None:
            assert backlog_bytes(source, follower, now_s) > 0
            continue
        assert caught_s >= now_s
        assert backlog_bytes(source, follower, caught_s) <= 1e-9 * max(
            1.0, source.value_at(caught_s)
        )
        before = np.linspace(now_s, caught_s, 50)[:-1]
        assert (backlog_bytes(source, follower, before) > 0).all() or caught_s == now_s


@settings(max_examples=150, deadline=None)
@given(sources(), st.floats(0.0, 1.0))
def test_earliest_time_at_or_above_is_when_the_source_first_got_there(
    source: Curve, share: float
) -> None:
    """Against a fine grid: the curve is below the position just before the answer and at
    or above it from the answer on (right-continuous at jumps)."""
    top = float(source.values_bytes[-1]) + 10.0 * source.final_slope_bps
    q = share * top
    tau = float(source.earliest_time_at_or_above(np.array([q]))[0])
    assert source.value_at(tau) >= q - 1e-6 * max(1.0, q)
    grid = np.linspace(0.0, tau, 2001)[:-1]
    assert (source.value_at(grid) < q + 1e-6 * max(1.0, q)).all()
    if tau > 0:
        assert source.value_at(tau - 1e-6 * max(1.0, tau)) <= q + 1e-6 * max(1.0, q)


@given(sources(), st.lists(st.floats(-50.0, 2000.0), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_a_scalar_query_is_the_array_query_bit_for_bit(source: Curve, times: list[float]) -> None:
    # One instant is answered from Python floats, a grid with numpy: the same operations.
    grid_s = np.array(times)
    positions = source.value_at(grid_s)
    for i, t in enumerate(times):
        assert source.value_at(t) == positions[i]
        assert source.slope_at(t) == source.slope_at(grid_s)[i]
        for q in (positions[i], positions[i] + 1.0, -1.0):
            for now in (t, math.inf):
                expected = source.latest_time_at_or_below(np.array([q]), now)[0]
                assert source.latest_time_at_or_below(float(q), now) == expected
