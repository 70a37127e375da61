"""Fluid model of asynchronous replication: exact piecewise-linear curves of log positions.

A source's log position S(t) (bytes) is piecewise linear and non-decreasing in time. A replica
*receives* it over a link of latency L (s) and bandwidth B (bytes/s) and *applies* what it has
received at a capacity C (bytes/s)::

    received = follow(source.shifted(L), t0, r0, B)
    applied  = follow(received,          t0, a0, C)

``follow`` gives the largest curve that starts at the given position, stays at or below its
target and never grows faster than its max slope: behind, the follower grows at its max slope
until it meets the target, then tracks it while the target grows no faster than that. Every
curve is piecewise linear, so the instant of catching up is solved in closed form per segment
(gap / (max slope - target slope)), never polled; hence received <= source and applied <=
received always. Lag in seconds inverts the source curve with ``numpy.searchsorted`` on its
breakpoints, for one instant or a whole grid of them.

Pure math: no SimPy, no Record. Units: seconds (``_s``), bytes, bytes per second (``_bps``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Phase = tuple[float, float]
"""(start_s, writes_per_s): the offered write rate from ``start_s`` until the next phase."""

_SLOPE_TOL = 1e-9  # slopes this close (relative) are equal
_REL_TOL = 1e-12  # positions this close (relative) are equal: a few hundred ulps, far below a byte


def _tolerance(position: float) -> float:
    return _REL_TOL * max(1.0, abs(position))


def at_or_below(start_bytes: float, level_bytes: float) -> bool:
    """Whether a follower at ``start_bytes`` may follow a target at ``level_bytes`` (it is
    not above it by more than rounding): the test :func:`follow` applies."""
    return start_bytes <= level_bytes + _tolerance(level_bytes)


def _like(arg: float | FloatArray, out: FloatArray) -> float | FloatArray:
    """``out`` as a plain float when the argument was a scalar."""
    return float(out) if np.ndim(arg) == 0 else out


_SMALL = 64
"""Curves with more breakpoints than this are checked with numpy, smaller ones in Python."""


def _floats(values: npt.ArrayLike) -> list[float]:
    """The breakpoints as a list of Python floats (one dimension)."""
    if isinstance(values, list | tuple) and all(type(x) is float for x in values):
        return list(values)
    array = np.array(values, dtype=np.float64, ndmin=1)
    if array.ndim != 1:
        raise ValueError("a curve needs one or more breakpoints: equal-length 1-D arrays")
    return array.tolist()  # type: ignore[no-any-return]


def _slopes_of_lists(times: list[float], values: list[float]) -> list[float]:
    """Validate a few breakpoints and give the slope of each piece between them."""
    for x in (*times, *values):
        if not math.isfinite(x):
            raise ValueError("breakpoints must be finite")
    slopes = []
    for i in range(len(times) - 1):
        dt, dv = times[i + 1] - times[i], values[i + 1] - values[i]
        if dt < 0 or dv < 0:
            raise ValueError("times and positions must be non-decreasing")
        slopes.append(dv / dt if dt > 0 else 0.0)
    return slopes


def _slopes_of_arrays(times: list[float], values: list[float]) -> list[float]:
    """:func:`_slopes_of_lists` with numpy, for many breakpoints."""
    t, v = np.array(times), np.array(values)
    if not (np.isfinite(t).all() and np.isfinite(v).all()):
        raise ValueError("breakpoints must be finite")
    dt, dv = np.diff(t), np.diff(v)
    if (dt < 0).any() or (dv < 0).any():
        raise ValueError("times and positions must be non-decreasing")
    slopes = np.zeros_like(dt)
    np.divide(dv, dt, out=slopes, where=dt > 0)
    return slopes.tolist()  # type: ignore[no-any-return]


class Curve:
    """A non-decreasing piecewise-linear position (bytes) as a function of time (s).

    Given by breakpoints (``times_s`` non-decreasing, ``values_bytes`` non-decreasing), linear
    between them, flat at the first value before the first breakpoint and continued after the
    last one by a ray of slope ``final_slope_bps``: the simulation knows only the present slope
    until the next change. Two breakpoints at one time make an upward jump; the curve takes the
    later value at that instant (right-continuous). The arrays are read-only.

    Curves in a run are small (a few breakpoints per state change) and mostly asked about one
    instant at a time, so the breakpoints are kept as Python floats, a scalar query is a
    bisection on them, and the numpy arrays (for queries over a grid) are made on first use.
    Both give the same float64 results, operation for operation.
    """

    __slots__ = ("_arrays", "_s", "_t", "_v", "final_slope_bps")

    def __init__(
        self, times_s: npt.ArrayLike, values_bytes: npt.ArrayLike, final_slope_bps: float = 0.0
    ) -> None:
        times, values = _floats(times_s), _floats(values_bytes)
        if len(times) != len(values) or not times:
            raise ValueError("a curve needs one or more breakpoints: equal-length 1-D arrays")
        if len(times) > _SMALL:
            slopes = _slopes_of_arrays(times, values)
        else:
            slopes = _slopes_of_lists(times, values)
        if not (math.isfinite(final_slope_bps) and final_slope_bps >= 0):
            raise ValueError(f"final slope must be finite and >= 0, got {final_slope_bps}")
        # slopes[i] holds on [times[i], times[i+1]); a jump's zero-length piece is never used.
        slopes.append(float(final_slope_bps))
        self._t, self._v, self._s = times, values, slopes
        self.final_slope_bps = float(final_slope_bps)
        self._arrays: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def _as_arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self._arrays is None:
            arrays = tuple(np.array(x, dtype=np.float64) for x in (self._t, self._v, self._s))
            for array in arrays:
                array.flags.writeable = False
            self._arrays = arrays  # type: ignore[assignment]
        return self._arrays  # type: ignore[return-value]

    @property
    def times_s(self) -> FloatArray:
        return self._as_arrays()[0]

    @property
    def values_bytes(self) -> FloatArray:
        return self._as_arrays()[1]

    @property
    def _slopes(self) -> FloatArray:
        return self._as_arrays()[2]

    @classmethod
    def ray(cls, start_time_s: float, start_bytes: float, slope_bps: float) -> Curve:
        """The position ``start_bytes`` at ``start_time_s`` growing at ``slope_bps``."""
        return cls([start_time_s], [start_bytes], slope_bps)

    def __repr__(self) -> str:
        points = ", ".join(
            f"({t:g}, {v:g})" for t, v in zip(self.times_s, self.values_bytes, strict=True)
        )
        return f"Curve([{points}], final_slope_bps={self.final_slope_bps:g})"

    @property
    def start_time_s(self) -> float:
        return self._t[0]

    def next_breakpoint_s(self, t_s: float) -> float:
        """The time of the first breakpoint after ``t_s`` (inf: none, the final ray)."""
        k = bisect.bisect_right(self._t, t_s)
        return self._t[k] if k < len(self._t) else math.inf

    @property
    def last_time_s(self) -> float:
        """Time of the last breakpoint: the final ray starts there."""
        return self._t[-1]

    @overload
    def value_at(self, t_s: float) -> float: ...
    @overload
    def value_at(self, t_s: FloatArray) -> FloatArray: ...
    def value_at(self, t_s: float | FloatArray) -> float | FloatArray:
        """Position (bytes) at ``t_s``: a scalar, or elementwise over an array."""
        if isinstance(t_s, float | int):
            k = bisect.bisect_right(self._t, t_s) - 1
            if k < 0:
                return self._v[0]
            return self._v[k] + self._s[k] * (t_s - self._t[k])
        t = np.asarray(t_s, dtype=np.float64)
        index = np.searchsorted(self.times_s, t, side="right") - 1
        i = np.maximum(index, 0)
        inside = self.values_bytes[i] + self._slopes[i] * (t - self.times_s[i])
        return _like(t_s, np.where(index >= 0, inside, self.values_bytes[0]))

    @overload
    def slope_at(self, t_s: float) -> float: ...
    @overload
    def slope_at(self, t_s: FloatArray) -> FloatArray: ...
    def slope_at(self, t_s: float | FloatArray) -> float | FloatArray:
        """Right-hand slope (bytes/s) at ``t_s``: 0 before the start."""
        if isinstance(t_s, float | int):
            i = bisect.bisect_right(self._t, t_s) - 1
            return self._s[i] if i >= 0 else 0.0
        t = np.asarray(t_s, dtype=np.float64)
        index = np.searchsorted(self.times_s, t, side="right") - 1
        return _like(t_s, np.where(index >= 0, self._slopes[np.maximum(index, 0)], 0.0))

    def shifted(self, latency_s: float) -> Curve:
        """The curve delayed by ``latency_s``: S(t - L), flat at its first value before."""
        return Curve([t + latency_s for t in self._t], self._v, self.final_slope_bps)

    def continued(self, at_s: float, slope_bps: float) -> Curve:
        """Equal to this curve up to ``at_s``, then a ray of ``slope_bps`` (a new phase)."""
        keep = bisect.bisect_right(self._t, at_s)  # the breakpoints at or before at_s
        times, values = self._t[:keep], self._v[:keep]
        if not times or times[-1] < at_s:
            times.append(at_s)
            values.append(self.value_at(at_s))
        return Curve(times, values, slope_bps)

    @overload
    def latest_time_at_or_below(self, position_bytes: float, now_s: float) -> float: ...
    @overload
    def latest_time_at_or_below(
        self, position_bytes: FloatArray, now_s: float | FloatArray
    ) -> FloatArray: ...
    def latest_time_at_or_below(
        self, position_bytes: float | FloatArray, now_s: float | FloatArray
    ) -> float | FloatArray:
        """max{tau <= now : S(tau) <= position}, elementwise (the time the source was there).

        On a flat stretch this is the *end* of the stretch (capped at ``now_s``), so a position
        equal to an idle source's gives ``now_s``: no phantom lag. Inside an upward jump it is
        the jump's time (the supremum). A position below the curve's start gives -inf.
        """
        if isinstance(position_bytes, float | int) and isinstance(now_s, float | int):
            return min(self._latest_at_or_below(position_bytes), now_s)
        q = np.asarray(position_bytes, dtype=np.float64)
        times, values = self.times_s, self.values_bytes
        last = times.size - 1
        j = np.searchsorted(values, q, side="right") - 1  # last breakpoint at or below q
        jc = np.clip(j, 0, last)
        jn = np.minimum(jc + 1, last)
        rise = values[jn] - values[jc]  # > 0 wherever it is used: values[j] <= q < values[j+1]
        on_segment = times[jc] + (q - values[jc]) * np.divide(
            times[jn] - times[jc], rise, out=np.zeros_like(rise), where=rise > 0
        )
        on_segment = np.minimum(on_segment, times[jn])
        final = self.final_slope_bps
        on_ray = times[last] + (q - values[last]) / final if final > 0 else np.full_like(q, np.inf)
        tau = np.where(j < 0, -np.inf, np.where(j == last, on_ray, on_segment))
        return _like(position_bytes, np.minimum(tau, now_s))

    def _latest_at_or_below(self, q: float) -> float:
        """:meth:`latest_time_at_or_below` of one position, before the cap at now."""
        times, values = self._t, self._v
        last = len(times) - 1
        j = bisect.bisect_right(values, q) - 1  # last breakpoint at or below q
        if j < 0:
            return -math.inf
        if j == last:
            final = self.final_slope_bps
            return times[last] + (q - values[last]) / final if final > 0 else math.inf
        rise = values[j + 1] - values[j]  # > 0: values[j] <= q < values[j+1]
        run = times[j + 1] - times[j]
        on_segment = times[j] + (q - values[j]) * (run / rise if rise > 0 else 0.0)
        return min(on_segment, times[j + 1])

    def earliest_time_at_or_above(self, position_bytes: FloatArray) -> FloatArray:
        """min{tau : S(tau) >= position}, elementwise: when the source first got there (the
        commit time of the change at that position). On a flat stretch this is its *start*,
        unlike :meth:`latest_time_at_or_below`. Below the start: the first time; beyond the
        curve with no slope: +inf."""
        q = np.asarray(position_bytes, dtype=np.float64)
        times, values = self.times_s, self.values_bytes
        last = times.size - 1
        i = np.searchsorted(values, q, side="left")  # first breakpoint at or above q
        ic = np.clip(i, 1, last) if last > 0 else np.zeros_like(i)
        prev = np.maximum(ic - 1, 0)
        rise = values[ic] - values[prev]
        on_segment = times[prev] + (q - values[prev]) * np.divide(
            times[ic] - times[prev], rise, out=np.zeros_like(rise), where=rise > 0
        )
        final = self.final_slope_bps
        on_ray = times[last] + (q - values[last]) / final if final > 0 else np.full_like(q, np.inf)
        tau = np.where(i == 0, times[0], np.where(i > last, on_ray, on_segment))
        return np.asarray(tau, dtype=np.float64)


def follow(target: Curve, start_time_s: float, start_bytes: float, max_slope_bps: float) -> Curve:
    """The largest curve from (start_time_s, start_bytes) at or below ``target``, slope <= max.

    Behind, the follower grows at ``max_slope_bps`` and meets a target piece of slope s < max at
    gap / (max - s), solved per segment; caught up, it copies the target's breakpoints exactly
    (so on an idle source it is *equal*, not a rounding error below) until a piece outgrows it.
    ``max_slope_bps`` may be ``math.inf`` (no limit: the follower jumps to the target). A start
    above the target by more than rounding is an error; by rounding, it is clamped.
    """
    c = float(max_slope_bps)
    if not c > 0:
        raise ValueError(f"max slope must be > 0, got {max_slope_bps}")
    t = float(start_time_s)
    level = target.value_at(t)  # the target's (right) value at t
    if not at_or_below(start_bytes, level):
        raise ValueError(f"follower starts ahead of its target: {start_bytes} > {level} at {t}")
    T, V, slopes, n = target._t, target._v, target._s, len(target._t)
    times, values = [t], [min(float(start_bytes), level)]
    chase: tuple[float, float] | None = (t, values[0]) if values[0] < level else None

    def put(time_s: float, value: float) -> None:  # a breakpoint; no jump unless c is inf
        if times[-1] == time_s:
            values[-1] = value
        else:
            times.append(time_s)
            values.append(value)

    k = bisect.bisect_right(T, t)  # first target breakpoint after t
    while True:
        # On [t, end) the target is anchor_v + slope * (x - anchor_t), exactly as value_at has it.
        end = float(T[k]) if k < n else math.inf
        anchor_t, anchor_v = (float(T[k - 1]), float(V[k - 1])) if k > 0 else (t, float(V[0]))
        slope = float(slopes[k - 1]) if k > 0 else 0.0
        if chase is not None and math.isinf(c):
            times.append(t)  # unlimited: jump to the target
            values.append(level)
            chase = None
        elif chase is not None:
            gap = level - (chase[1] + c * (t - chase[0]))
            if gap <= _tolerance(level):
                put(t, level)  # met at a piece boundary (up to rounding): snap onto the target
                chase = None
            elif c > slope:
                meet = t + gap / (c - slope)
                if meet < end:
                    level = anchor_v + slope * (meet - anchor_t)
                    if k < n:
                        level = min(level, float(V[k]))
                    put(meet, level)
                    t, chase = meet, None
        if chase is None and slope > c:
            chase = (t, level)  # the target outgrows the follower: it falls behind from here
        if k >= n:
            return Curve(times, values, slope if chase is None else c)
        left = float(V[k])  # the target's left limit at `end`
        if chase is None:
            put(end, left)
        elif chase[1] + c * (end - chase[0]) >= left - _tolerance(left):
            put(end, left)  # caught up exactly at the boundary
            chase = None
        k = bisect.bisect_right(T, end)  # skip a jump's duplicate breakpoints
        t, level = end, float(V[k - 1])
        if chase is None and level > left:
            chase = (end, left)  # the target jumped up: behind again


def catch_up_time_s(target: Curve, follower: Curve, now_s: float | None = None) -> float | None:
    """First instant >= ``now_s`` (default: the follower's start) at which follower >= target.

    Solved on each interval between the two curves' breakpoints, where the gap is linear; None
    if the follower never reaches the target (e.g. behind on a final ray no faster than it).
    Positions within a relative 1e-12 count as equal; ``now_s`` itself if already caught up.
    """
    now = follower.start_time_s if now_s is None else float(now_s)
    cuts = np.union1d(target.times_s, follower.times_s)
    starts = np.concatenate(([now], cuts[cuts > now]))
    ends = np.append(starts[1:], np.inf)
    level = target.value_at(starts)
    gap = level - follower.value_at(starts)
    closing = follower.slope_at(starts) - target.slope_at(starts)
    tol = _REL_TOL * np.maximum(1.0, np.abs(level))
    meet = starts + np.divide(gap, closing, out=np.full_like(gap, np.inf), where=closing > 0)
    # A meet within rounding of the interval's end is left to the next interval, which starts
    # there: at a breakpoint follow() put, where the follower equals the target exactly (a few
    # ulps earlier it does not), unless the target jumps away at that very instant.
    with np.errstate(invalid="ignore"):  # inf - inf on the final ray: NaN, compares False
        at_end = (closing > 0) & (np.abs(ends - meet) * closing <= tol)
    when = np.where(gap <= tol, starts, np.where((meet < ends) & ~at_end, meet, np.inf))
    hits = np.flatnonzero(np.isfinite(when))
    return float(when[hits[0]]) if hits.size else None


def divergence_time_s(
    target: Curve, follower: Curve, now_s: float, tol_bytes: float | None = None
) -> float | None:
    """First instant >= ``now_s`` at which the follower is below the target (falls behind).

    The follower of :func:`follow` leaves its target only where a target piece outgrows it,
    which starts at a breakpoint; so the first interval between breakpoints that starts
    caught up with the gap opening, or starts behind, gives the instant. None if it never does.
    Gaps up to ``tol_bytes`` (default: a relative 1e-12) count as caught up.
    """
    cuts = np.union1d(target.times_s, follower.times_s)
    starts = np.concatenate(([float(now_s)], cuts[cuts > now_s]))
    level = target.value_at(starts)
    gap = level - follower.value_at(starts)
    target_slope = target.slope_at(starts)
    opening = target_slope - follower.slope_at(starts)
    tol = _REL_TOL * np.maximum(1.0, np.abs(level)) if tol_bytes is None else tol_bytes
    # Slopes recomputed from breakpoints differ in their last digits: not an opening gap.
    opening_fast = opening > _SLOPE_TOL * np.maximum(1.0, target_slope)
    hits = np.flatnonzero((gap > tol) | ((gap >= -tol) & opening_fast))
    return float(starts[hits[0]]) if hits.size else None


def rejoin_time_s(
    target: Curve, follower: Curve, now_s: float, tol_bytes: float | None = None
) -> float | None:
    """First instant > ``now_s`` at which a follower that is behind meets its target again.

    :func:`follow` puts a breakpoint exactly where it meets its target, so this is the first
    follower breakpoint after ``now_s`` where the gap is closed and was open just before.
    None if the follower never catches up. Gaps up to ``tol_bytes`` count as closed.
    """
    times = follower.times_s[follower.times_s > now_s]
    if times.size == 0:
        return None
    before = np.concatenate(([float(now_s)], times[:-1]))
    mids = (before + times) / 2.0
    level, level_mid = target.value_at(times), target.value_at(mids)
    tol = _REL_TOL * np.maximum(1.0, np.abs(level)) if tol_bytes is None else tol_bytes
    closed = level - follower.value_at(times) <= tol
    was_open = level_mid - follower.value_at(mids) > tol
    hits = np.flatnonzero(closed & was_open)
    return float(times[hits[0]]) if hits.size else None


@overload
def backlog_bytes(target: Curve, follower: Curve, t_s: float) -> float: ...
@overload
def backlog_bytes(target: Curve, follower: Curve, t_s: FloatArray) -> FloatArray: ...
def backlog_bytes(target: Curve, follower: Curve, t_s: float | FloatArray) -> float | FloatArray:
    """Bytes the follower still lacks at ``t_s`` (never negative)."""
    t = np.asarray(t_s, dtype=np.float64)
    return _like(t_s, np.maximum(target.value_at(t) - follower.value_at(t), 0.0))


@overload
def lag_s(source: Curve, position: Curve, t_s: float) -> float: ...
@overload
def lag_s(source: Curve, position: Curve, t_s: FloatArray) -> FloatArray: ...
def lag_s(source: Curve, position: Curve, t_s: float | FloatArray) -> float | FloatArray:
    """Lag in seconds at ``t_s`` like CloudWatch ReplicaLag: t - (when the source was there).

    0 when ``position`` equals the source (also on an idle source); L for a caught-up replica
    behind a link of latency L while the source writes. Never negative.
    """
    t = np.asarray(t_s, dtype=np.float64)
    return _like(t_s, t - source.latest_time_at_or_below(position.value_at(t), t))


def log_curve(phases: Sequence[Phase], bytes_per_txn: float, start_bytes: float = 0.0) -> Curve:
    """The source's log position for write-rate phases [(start_s, writes_per_s), ...].

    Each rate holds from its start until the next phase's; the last one forever (the final
    ray). Before the first phase the position stays at ``start_bytes``.
    """
    if not phases:
        raise ValueError("need at least one phase")
    times, values, position = [], [], float(start_bytes)
    for i, (start_s, writes_per_s) in enumerate(phases):
        if writes_per_s < 0 or (i and start_s < phases[i - 1][0]):
            raise ValueError(f"phase {i}: rates must be >= 0 and starts non-decreasing")
        if i:
            previous_start_s, previous_rate = phases[i - 1]
            position += previous_rate * bytes_per_txn * (start_s - previous_start_s)
        times.append(start_s)
        values.append(position)
    return Curve(times, values, phases[-1][1] * bytes_per_txn)


def spike_phases(
    base_per_s: float, spike_per_s: float, start_s: float, duration_s: float
) -> list[Phase]:
    """``base_per_s`` from 0, ``spike_per_s`` for ``duration_s`` from ``start_s``, then base."""
    return [(0.0, base_per_s), (start_s, spike_per_s), (start_s + duration_s, base_per_s)]


def ramp_phases(
    start_s: float, duration_s: float, from_per_s: float, to_per_s: float, steps: int
) -> list[Phase]:
    """A linear ramp of the write rate, approximated by ``steps`` equal steps, then ``to_per_s``.

    A true ramp makes the position quadratic, which no piecewise-linear curve is. Each step runs
    at the ramp's rate at the step's midpoint, so the position is exact at every step boundary
    and off by at most bytes_per_txn x |to - from| x duration / (8 steps^2) in between.
    """
    if steps < 1 or duration_s <= 0:
        raise ValueError("a ramp needs steps >= 1 and a positive duration")
    width_s = duration_s / steps
    return [
        (start_s + i * width_s, from_per_s + (to_per_s - from_per_s) * (i + 0.5) / steps)
        for i in range(steps)
    ] + [(start_s + duration_s, to_per_s)]
