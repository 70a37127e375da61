"""Read-replica metrics: lag, catch-up, promotion loss and what readers saw, from a Record.

Definitions (lag is the *data lag* of :mod:`rdssim.lag`: seconds the replica's applied data is
behind the primary's committed log, which is also the staleness of a read on the replica):

* ``max_lag_s``: per replica, the largest data lag over its life (from its first state until
  a promotion detaches it); None if it never existed.
* ``catch_up_s``: a *behind episode* is a maximal stretch of time in which the replica is in
  one of ``BEHIND_STATES`` (catching-up, reconnecting, restarting, stranded). Of the episodes
  that include "catching-up", take the one holding the replica's largest lag; ``catch_up_s``
  is the time from the instant of its largest *backlog* (bytes behind: from then on the
  replica gains on the primary) to the end of the episode, when the replica turns
  "replicating". None if it never does (the run ends
  first, or it leaves the episode some other way: promoted, failed); the replica is absent
  from the dict if it never was catching up. A replica that resumes at t_r with a backlog of
  B bytes, applying C bytes/s while the primary writes W bytes/s, catches up at
  t_r + B / (C - W); after a write spike, B is the backlog when the spike ends.
* ``promotions``: at each "replica-promotion-started" event (time t_p) what the replica had
  not applied is lost: ``lost_txns`` = (committed(t_p) - applied(t_p)) / bytes_per_txn and
  ``lost_s`` = the data lag at t_p, read off the curves directly (the replica is detached
  at t_p, where :func:`rdssim.lag.data_lag_s` is already NaN). ``promotion_lost_txns`` is
  their rounded sum, ``promotion_lost_s`` their maximum.
* Reads: ``reads_per_s:<r>`` reads per second are offered to replica r (a step series), and
  ``ryw_reads_per_s:<r>`` of them follow the same client's write to the primary by
  ``meta["read_after_write_s"]`` = d seconds. A read is *served* if the replica is in one of
  ``SERVING_STATES``, else it *fails*. A served read's staleness is the data lag; reads on a
  promoted (detached) replica are served but have no staleness and are left out of the
  staleness distribution. ``stale_read_p50_s`` / ``stale_read_p99_s`` are weighted
  percentiles of the staleness of all replicas' served reads; ``ryw_violations`` is the
  expected number of served read-your-writes reads that miss their own write (the write was
  made d seconds before the read, so it is missed iff the lag exceeds d); ``reads_served``
  and ``reads_failed`` are the totals. All counts are rounded expectations.

Exact, and at a cost per state change, not per simulated second. The data lag
``t - tau(applied(t))`` (tau: when the primary's log was there) is piecewise linear; its
kinks and jumps lie at breakpoints of the committed and applied curves and at the instants
the applied position reaches a breakpoint value of the committed curve. Each replica is
evaluated on every breakpoint instant of the run (:func:`rdssim.lag.corner_times`) merged
with its state changes, its detachment and those instants, so on every interval
[t_i, t_i+1) between them the lag is linear and the reads' rate and serving state are
constant. The lag is evaluated at two inner points of each interval, which give its limits
at both ends. Hence:

* ``max_lag_s`` and the catch-up peak are exact (up to rounding), left limits included: the
  lag drops at once when a replica reaches the level of an idle primary, and just before a
  promotion.
* ``reads_served``, ``reads_failed`` and ``ryw_violations`` are exact integrals (the share of
  an interval with lag > d is solved from the linear lag).
* Percentiles: on each interval the reads arrive evenly while the lag runs linearly, so
  their staleness is uniform between its two ends; the staleness of all reads is a mixture
  of those uniforms, whose quantiles :func:`rdssim.mixture.mixture_quantiles` gives exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from rdssim.fluid import Curve
from rdssim.lag import (
    REPLICATING_STATES,
    SERVING_STATES,
    backlog_bytes,
    corner_times,
    curve,
    data_lag_s,
    detached_s,
    replicas,
    states_at,
)
from rdssim.mixture import mixture_quantiles
from rdssim.record import (
    COMMITTED,
    PROMOTION_STARTED,
    Record,
    StateChange,
    applied_series,
    reads_series,
    ryw_reads_series,
)
from rdssim.txn_spread import above_share, busy_share
from rdssim.txn_spread import spread as spread_lag

FloatArray = npt.NDArray[np.float64]

# States in which a replica is behind and has not caught up yet: a catch-up episode.
BEHIND_STATES = ("catching-up", "reconnecting", "restarting", "stranded")
CATCHING_UP = "catching-up"
CAUGHT_UP = "replicating"
_TIE_S = 1e-9  # lags this close (relative) are one plateau: the first instant is the peak


class Promotion(TypedDict):
    """What one replica promotion lost: transactions and seconds of data not yet applied."""

    replica: str
    at_s: float
    lost_txns: float
    lost_s: float


@dataclass(frozen=True)
class ReplicaSummary:
    """What the read replicas of one run amount to. Keys are stable (merged into Summary)."""

    max_lag_s: dict[str, float | None]
    lag_p50_s: dict[str, float | None]
    lag_p95_s: dict[str, float | None]
    max_behind_txns: dict[str, float | None]
    catch_up_s: dict[str, float | None]
    promotions: list[Promotion]
    promotion_lost_txns: int | None
    promotion_lost_s: float | None
    stale_read_p50_s: float | None
    stale_read_p99_s: float | None
    ryw_violations: int | None
    reads_served: int | None
    reads_failed: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Profile:
    """A replica's data lag on its grid ``times`` (n + 1 points, n intervals).

    ``at[i]`` is the lag at ``times[i]`` (its right limit: the lag is right-continuous) and
    holds, linearly, over [times[i], times[i+1]) up to ``before[i]``, the left limit at
    ``times[i+1]``. NaN where the lag is undefined.
    """

    times: FloatArray
    at: FloatArray
    before: FloatArray

    @property
    def starts(self) -> FloatArray:
        return self.times[:-1]


def _has_series(record: Record, name: str) -> bool:
    return any(b.series == name for b in record.breakpoints)


def _changes(record: Record, instance: str) -> list[StateChange]:
    """The instance's state changes in time order (stable: same-time changes keep order)."""
    return sorted((s for s in record.states if s.instance == instance), key=lambda s: s.time_s)


def _first_reach_s(applied: Curve, positions: FloatArray) -> FloatArray:
    """The first instant ``applied`` reaches each position (dropped where it never does)."""
    times, values = applied.times_s, applied.values_bytes
    if times.size < 2:
        return np.empty(0)
    j = np.searchsorted(values, positions, side="left")  # first breakpoint at or above
    inside = (j > 0) & (j < values.size)
    k = np.clip(j, 1, values.size - 1)
    rise = values[k] - values[k - 1]  # > 0 where inside: values[k-1] < position <= values[k]
    # Only where inside (elsewhere the quotient is unused and may overflow).
    share = np.divide(
        positions - values[k - 1], rise, out=np.ones_like(rise), where=inside & (rise > 0)
    )
    reach = times[k - 1] + share * (times[k] - times[k - 1])
    return reach[inside]


def _profile(record: Record, replica: str, base: FloatArray) -> _Profile:
    """The replica's lag on ``base`` merged with every instant where it may kink or jump."""
    extra = [s.time_s for s in record.states if s.instance == replica]
    detach = detached_s(record, replica)
    if np.isfinite(detach):
        extra.append(detach)
    lag_known = _has_series(record, COMMITTED) and _has_series(record, applied_series(replica))
    images = np.empty(0)
    if lag_known:
        committed = curve(record, COMMITTED)
        images = _first_reach_s(curve(record, applied_series(replica)), committed.values_bytes)
    times = np.union1d(base, np.concatenate((np.array(extra, dtype=np.float64), images)))
    times = times[(times >= 0.0) & (times <= record.duration_s)]
    if not lag_known or times.size == 0:
        nan = np.full(times.size, np.nan)
        return _Profile(times, nan, nan[:-1])
    # The lag is linear inside each interval: the line through two inner points gives its
    # limits at both ends. (At an end itself a jump would be decided by rounding: reaching
    # an idle primary's level a few ulps early or late is a jump of the whole failover.)
    span = np.diff(times)
    inner = np.concatenate((times[:-1] + 0.25 * span, times[:-1] + 0.75 * span))
    lag = data_lag_s(record, replica, inner)
    first, third = lag[: span.size], lag[span.size :]
    rise = (third - first) / 2.0  # over a quarter of the interval
    at = np.maximum(np.append(first - rise, third[-1:] + rise[-1:]), 0.0)
    before = np.maximum(third + rise, 0.0)
    return _Profile(times, at, before)


def _peak(profile: _Profile, start_s: float, end_s: float) -> tuple[float, float] | None:
    """(largest lag, first instant of it) over [start_s, end_s), left limits included."""
    inner = (profile.times >= start_s) & (profile.times < end_s)
    left = (profile.times[1:] > start_s) & (profile.times[1:] <= end_s)
    times = np.concatenate((profile.times[inner], profile.times[1:][left]))
    lags = np.concatenate((profile.at[inner], profile.before[left]))
    finite = np.isfinite(lags)
    if not finite.any():
        return None
    times, lags = times[finite], lags[finite]
    top = float(lags.max())
    first = float(times[lags >= top - _TIE_S * max(1.0, top)].min())
    return top, first


def _episodes(record: Record, replica: str) -> list[tuple[float, float, bool, str | None]]:
    """Each behind episode of positive length, as (start_s, end_s, whether it includes
    catching-up, the state that ended it or None if the run ended first)."""
    out: list[tuple[float, float, bool, str | None]] = []
    start: float | None = None
    catching = False
    for change in _changes(record, replica):
        if change.state in BEHIND_STATES:
            if start is None:
                start, catching = change.time_s, False
            catching = catching or change.state == CATCHING_UP
        elif start is not None:
            out.append((start, change.time_s, catching, change.state))
            start = None
    if start is not None:
        out.append((start, record.duration_s, catching, None))
    return [e for e in out if e[1] > e[0]]


def _catch_up_s(record: Record, replica: str, profile: _Profile) -> tuple[bool, float | None]:
    """(whether the replica ever was catching up, catch_up_s as defined above)."""
    best: tuple[float, float, float, str | None] | None = None  # (lag, at, end, ended by)
    seen = False
    for start_s, end_s, catching, ended_by in _episodes(record, replica):
        if not catching:
            continue
        seen = True
        peak = _peak(profile, start_s, end_s)
        if peak is not None and (best is None or peak[0] > best[0]):
            best = (peak[0], peak[1], end_s, ended_by)
    if best is None or best[3] != CAUGHT_UP:
        return seen, None
    start_s = next(e[0] for e in _episodes(record, replica) if e[0] <= best[1] <= e[1])
    return seen, best[2] - _backlog_peak_s(record, replica, start_s, best[2])


def _backlog_peak_s(record: Record, replica: str, start_s: float, end_s: float) -> float:
    """The first instant of the largest backlog (bytes behind) in [start_s, end_s].

    The backlog is linear between the two curves' breakpoints, so its maximum is at one of
    them (or at the start). From there the replica gains on the primary for good: that is
    where catching up starts, whatever the lag in seconds does (after a write spike it keeps
    growing for a while, because the log the replica is applying was written faster).
    """
    committed = curve(record, COMMITTED)
    applied = curve(record, applied_series(replica))
    cuts = np.union1d(committed.times_s, applied.times_s)
    times = np.concatenate(([start_s], cuts[(cuts > start_s) & (cuts <= end_s)]))
    backlog = committed.value_at(times) - applied.value_at(times)
    top = backlog.max()
    return float(times[backlog >= top - 1e-9 * max(1.0, abs(top))][0])


def _promotions(record: Record) -> list[Promotion]:
    out: list[Promotion] = []
    started = [e for e in record.events if e.kind == PROMOTION_STARTED]
    if not started:
        return out
    bytes_per_txn = record.meta.get("bytes_per_txn")
    assert isinstance(bytes_per_txn, int | float) and bytes_per_txn > 0
    committed = curve(record, COMMITTED)
    for event in started:
        t = event.time_s
        applied = curve(record, applied_series(event.source)).value_at(t)
        lost_bytes = max(committed.value_at(t) - applied, 0.0)
        # Below the log's first position: behind at least since the record began.
        when = max(committed.latest_time_at_or_below(applied, t), committed.start_time_s)
        out.append(
            Promotion(
                replica=event.source,
                at_s=t,
                lost_txns=lost_bytes / bytes_per_txn,
                lost_s=max(t - when, 0.0),
            )
        )
    return out


def _steps(record: Record, name: str, times_s: FloatArray) -> FloatArray | None:
    """A step series at each time (right-continuous, 0 before its first point); None if absent."""
    times, values = record.series(name)
    if times.size == 0:
        return None
    order = np.argsort(times, kind="stable")  # same-time points keep order: the last one holds
    times, values = times[order], values[order]
    index = np.searchsorted(times, times_s, side="right") - 1
    return np.where(index >= 0, values[np.maximum(index, 0)], 0.0)


def _above_share(lo: FloatArray, hi: FloatArray, threshold: float) -> FloatArray:
    """Share of each interval on which a lag linear from ``lo`` to ``hi`` exceeds threshold."""
    span = np.abs(hi - lo)
    top = np.maximum(lo, hi)
    share = np.divide(top - threshold, span, out=np.zeros_like(span), where=span > 0)
    flat = np.where(lo > threshold, 1.0, 0.0)
    out = np.where(span > 0, np.clip(share, 0.0, 1.0), flat)
    return np.where(np.isfinite(lo) & np.isfinite(hi), out, 0.0)


@dataclass(frozen=True)
class _Reads:
    """One replica's reads: totals, the staleness of the served ones (a mixture of uniforms
    on [low, high] with the reads as weights) and read-your-writes misses."""

    served: float
    failed: float
    low_s: FloatArray
    high_s: FloatArray
    weights: FloatArray
    ryw_violations: float


def _reads(
    record: Record, replica: str, profile: _Profile, window_s: float | None, spread: _Spread
) -> _Reads | None:
    starts = profile.starts
    rate = _steps(record, reads_series(replica), starts)
    if rate is None:
        return None
    dt = np.diff(profile.times)
    serving = np.isin(states_at(record, replica, starts), SERVING_STATES)
    offered = rate * dt
    lo, hi = profile.at[:-1], profile.before
    sampled = serving & np.isfinite(lo) & np.isfinite(hi) & (offered > 0)
    ryw = _steps(record, ryw_reads_series(replica), starts)
    violations = 0.0
    if ryw is not None and window_s is not None:
        # Missed iff the fluid lag plus the large transactions' extra exceeds the window.
        above = (1 - spread.busy) * _above_share(lo, hi, window_s)
        if spread.block_s > 0:
            above += spread.busy * above_share(lo, hi, window_s, spread.block_s)
        violations = float((ryw * dt * serving * above).sum())
    low, high, weights = spread_lag(
        np.minimum(lo, hi)[sampled],
        np.maximum(lo, hi)[sampled],
        offered[sampled],
        spread.busy[sampled],
        spread.block_s,
    )
    return _Reads(
        served=float(offered[serving].sum()),
        failed=float(offered[~serving].sum()),
        low_s=low,
        high_s=high,
        weights=weights,
        ryw_violations=violations,
    )


@dataclass(frozen=True)
class _Spread:
    """What large transactions add to one replica's lag (rdssim.txn_spread): on each
    interval of its profile, the share of time in a bump, and the bump's height."""

    busy: FloatArray
    block_s: float
    writes_per_s: FloatArray
    """The primary's write rate on each interval (a bump holds back block x rate txns)."""


def _spread(record: Record, replica: str, profile: _Profile) -> _Spread:
    starts = profile.starts
    none = _Spread(np.zeros(starts.size), 0.0, np.zeros(starts.size))
    share, block = (
        record.meta.get("large_txn_share"),
        record.meta.get(f"large_txn_block_s:{replica}"),
    )
    apply = record.meta.get(f"apply_writes_per_s:{replica}")
    if not isinstance(share, float) or not isinstance(block, float) or block <= 0:
        return none
    if not isinstance(apply, int | float) or not _has_series(record, COMMITTED):
        return none
    bytes_per_txn = record.meta.get("bytes_per_txn")
    assert isinstance(bytes_per_txn, int | float) and bytes_per_txn > 0
    writes = curve(record, COMMITTED).slope_at(starts) / float(bytes_per_txn)
    busy = busy_share(block, share * writes, writes, float(apply))
    applying = np.isin(states_at(record, replica, starts), REPLICATING_STATES)
    return _Spread(np.where(applying, busy, 0.0), block, writes)


def _bump_peak(profile: _Profile, spread: _Spread) -> float:
    """The highest lag a large transaction's bump reaches: on an interval where the replica
    applies, its fluid lag plus the whole block (0 without large transactions)."""
    busy = spread.busy > 0
    if spread.block_s <= 0 or not busy.any():
        return 0.0
    top = np.fmax(profile.at[:-1], profile.before)[busy]
    return float(np.nanmax(top, initial=0.0)) + spread.block_s


def _lag_quantiles(profile: _Profile, spread: _Spread) -> tuple[float | None, float | None]:
    """Time-weighted median and 95th percentile of the lag over the replica's life."""
    lo, hi = profile.at[:-1], profile.before
    known = np.isfinite(lo) & np.isfinite(hi)
    low, high, weights = spread_lag(
        np.minimum(lo, hi)[known],
        np.maximum(lo, hi)[known],
        np.diff(profile.times)[known],
        spread.busy[known],
        spread.block_s,
    )
    p50, p95 = mixture_quantiles(low, high, weights, [0.50, 0.95])
    return (None if np.isnan(p50) else float(p50)), (None if np.isnan(p95) else float(p95))


def _max_behind_txns(record: Record, replica: str, times: FloatArray) -> float | None:
    """The largest backlog in transactions: at every grid time and just before it (the
    backlog is linear in between, and drops where the replica jumps to a snapshot)."""
    if not _has_series(record, applied_series(replica)):
        return None  # never created
    both = np.concatenate((times, times - 1e-9))
    behind = backlog_bytes(record, replica, both[both >= 0.0])
    if not np.isfinite(behind).any():
        return None
    bytes_per_txn = record.meta.get("bytes_per_txn")
    assert isinstance(bytes_per_txn, int | float) and bytes_per_txn > 0
    return float(np.nanmax(behind)) / float(bytes_per_txn)


def summarize_replicas(record: Record) -> ReplicaSummary | None:
    """The ReplicaSummary of one run, from its Record alone; None if it has no read replicas."""
    infos = replicas(record)
    if not infos:
        return None
    base = corner_times(record)
    window = record.meta.get("read_after_write_s")
    window_s = float(window) if isinstance(window, int | float) else None
    has_ryw = any(_has_series(record, ryw_reads_series(i.name)) for i in infos)
    max_lag: dict[str, float | None] = {}
    lag_p50: dict[str, float | None] = {}
    lag_p95: dict[str, float | None] = {}
    max_behind: dict[str, float | None] = {}
    catch_up: dict[str, float | None] = {}
    reads: list[_Reads] = []
    for info in infos:
        profile = _profile(record, info.name, base)
        spread = _spread(record, info.name, profile)
        peak = _peak(profile, -np.inf, np.inf)
        max_lag[info.name] = None if peak is None else max(peak[0], _bump_peak(profile, spread))
        lag_p50[info.name], lag_p95[info.name] = _lag_quantiles(profile, spread)
        max_behind[info.name] = _max_behind_txns(record, info.name, profile.times)
        held = spread.block_s * spread.writes_per_s[spread.busy > 0]
        if held.size and max_behind[info.name] is not None:
            # A bump holds back what is committed during it (the larger of that and the
            # fluid backlog: in steady state the fluid one is a link delay).
            max_behind[info.name] = max(max_behind[info.name] or 0.0, float(held.max()))
        seen, value = _catch_up_s(record, info.name, profile)
        if seen:
            catch_up[info.name] = value
        replica_reads = _reads(record, info.name, profile, window_s, spread)
        if replica_reads is not None:
            reads.append(replica_reads)
    promotions = _promotions(record)
    stale_p50, stale_p99 = mixture_quantiles(
        np.concatenate([r.low_s for r in reads]) if reads else np.empty(0),
        np.concatenate([r.high_s for r in reads]) if reads else np.empty(0),
        np.concatenate([r.weights for r in reads]) if reads else np.empty(0),
        [0.50, 0.99],
    )
    return ReplicaSummary(
        max_lag_s=max_lag,
        lag_p50_s=lag_p50,
        lag_p95_s=lag_p95,
        max_behind_txns=max_behind,
        catch_up_s=catch_up,
        promotions=promotions,
        promotion_lost_txns=round(sum(p["lost_txns"] for p in promotions)) if promotions else None,
        promotion_lost_s=max(p["lost_s"] for p in promotions) if promotions else None,
        stale_read_p50_s=None if np.isnan(stale_p50) else float(stale_p50),
        stale_read_p99_s=None if np.isnan(stale_p99) else float(stale_p99),
        ryw_violations=(
            round(sum(r.ryw_violations for r in reads))
            if reads and has_ryw and window_s is not None
            else None
        ),
        reads_served=round(sum(r.served for r in reads)) if reads else None,
        reads_failed=round(sum(r.failed for r in reads)) if reads else None,
    )


def replica_table(record: Record, summary: ReplicaSummary | None = None) -> list[dict[str, Any]]:
    """One row per read replica for the report: where it is, what it replicates, how it ended.

    Keys: name, az, source (its first source: "primary" or a replica), role and state at the
    end of the run (None if it never existed), max_lag_s, catch_up_s (None also when it never
    was catching up).
    """
    if summary is None:
        summary = summarize_replicas(record)
    if summary is None:
        return []
    rows = []
    for info in replicas(record):
        changes = [c for c in _changes(record, info.name) if c.time_s <= record.duration_s]
        last = changes[-1] if changes else None
        rows.append(
            {
                "name": info.name,
                "az": info.az,
                "source": info.replica_of,
                "role": last.role if last else None,
                "state": last.state if last else None,
                "max_lag_s": summary.max_lag_s.get(info.name),
                "catch_up_s": summary.catch_up_s.get(info.name),
            }
        )
    return rows
