"""Fluid model of the write log: positions in bytes, piecewise linear in time.

The application offers writes at a rate that changes only at workload phase boundaries. While
some instance accepts writes, the committed position grows at ``rate x bytes_per_txn``; each
instance's applied position either follows it (the writer, a synchronous standby in sync) or
stays frozen. Positions change slope only when the topology or the phase changes, so the cost
of a run follows state changes, never the number of transactions.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from rdssim.fluid import Curve
from rdssim.model.context import SimContext
from rdssim.model.instance import Instance
from rdssim.model.replication.followers import Followers
from rdssim.record import COMMITTED, WRITE_RATE, Breakpoint, applied_series, diverged_series
from rdssim.scenario.schema import WorkloadSpec


class _Segment:
    """A position anchored at (t0, v0) growing at ``slope`` bytes/s."""

    __slots__ = ("slope", "t0", "v0")

    def __init__(self, t0: float, v0: float, slope: float) -> None:
        self.t0, self.v0, self.slope = t0, v0, slope

    def at(self, t: float) -> float:
        return self.v0 + self.slope * (t - self.t0)


class WriteLog:
    """Committed and applied log positions of one deployment."""

    def __init__(
        self, ctx: SimContext, workload: WorkloadSpec, instances: Sequence[Instance]
    ) -> None:
        self.ctx = ctx
        self.workload = workload
        self.instances = list(instances)
        self.bytes_per_txn = workload.bytes_per_txn
        self._phase_starts = [p.start_s for p in workload.phases]
        self._phase_rates = [p.writes_per_s for p in workload.phases]
        self._rng = ctx.streams.get("workload")
        self._committed = _Segment(0.0, 0.0, 0.0)
        self._history_t: list[float] = [0.0]
        self._history_v: list[float] = [0.0]
        self._applied = {i.name: _Segment(0.0, 0.0, 0.0) for i in self.instances}
        self._writer: str | None = None
        self._rate = -1.0
        self.version = 0
        """Bumps whenever the committed position's history or slope changes (curve() is
        rebuilt only then, and replicas following it recompute only then)."""
        self._curve: Curve | None = None
        self._watchers: list[Callable[[], None]] = []
        self.followers: Followers | None = None
        """The deployment's asynchronous or semi-synchronous followers (a cluster's readers,
        Aurora replicas, self-managed standbys): their positions are kept there while they
        follow."""
        self._following: set[str] = set()
        self.lineage: str | None = None
        """The writer whose log is the deployment's, when two hosts accept writes (an
        unfenced old primary beside the one promoted in its place)."""
        self.route: Callable[[], str] | None = None
        """The host the application's writes reach (the endpoint's target)."""
        self._diverged: dict[str, _Segment] = {}
        self.max_commit_bps = math.inf
        """Flow control: commits are throttled to this many bytes per second."""
        self._emit(COMMITTED, 0.0)
        for inst in self.instances:
            self._emit(applied_series(inst.name), 0.0)
        ctx.listeners.add(self.update)

    # -- queries -------------------------------------------------------------------------
    def offered_rate(self, t: float) -> float:
        """Writes per second the application offers at time ``t``."""
        index = bisect.bisect_right(self._phase_starts, t) - 1
        return self._phase_rates[index] if index >= 0 else 0.0

    def committed_at(self, t: float) -> float:
        """Committed position (bytes) at any past or present time ``t``."""
        if t >= self._history_t[-1]:
            return self._committed.at(t)
        return float(np.interp(t, self._history_t, self._history_v))

    def applied_now(self, instance: str) -> float:
        if instance in self._following:
            assert self.followers is not None
            return self.followers.applied_now(instance)
        return self._applied[instance].at(self.ctx.now)

    def received_now(self, instance: str) -> float:
        """What ``instance`` has received (a follower), or applied (any other host)."""
        if instance in self._following:
            assert self.followers is not None
            return self.followers.received_now(instance)
        return self._applied[instance].at(self.ctx.now)

    def seed_from_snapshot(self, instance: str, position: float) -> None:
        """A new host of ``instance`` (not following now) was created from a snapshot
        holding the log up to ``position``: it resumes from there, not from where the old
        host stopped."""
        now = self.ctx.now
        segment = self._applied[instance]
        current = segment.at(now)
        if position > current and instance not in self._following:
            self._emit(applied_series(instance), current)
            self._applied[instance] = _Segment(now, position, 0.0)
            self._emit(applied_series(instance), position)

    def diverged_now(self, instance: str) -> float:
        """Bytes of writes ``instance`` accepted outside the lineage (two writers)."""
        segment = self._diverged.get(instance)
        return segment.at(self.ctx.now) if segment is not None else 0.0

    def curve(self) -> Curve:
        """The committed position as known now: its history, then the present slope.

        A rewind (a restore to an earlier position) is flattened to the running maximum:
        replicas measure themselves against the furthest the log got.
        """
        if self._curve is None:
            values = list(itertools.accumulate(self._history_v, max))
            self._curve = Curve(self._history_t, values, self._committed.slope)
        return self._curve

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every re-anchoring (a phase boundary or a topology change)."""
        self._watchers.append(callback)

    # -- changes -------------------------------------------------------------------------
    def run_phases(self) -> Generator[simpy.Event, Any, None]:
        """Process: re-anchor the slopes at every workload phase boundary."""
        for start in self._phase_starts:
            if start > self.ctx.now:
                yield self.ctx.env.timeout(start - self.ctx.now)
            self.update()

    def rewind_to(self, position: float) -> None:
        """The new writer's log ends at ``position``: later commits are gone (data loss)."""
        now = self.ctx.now
        self._anchor_committed(now, position, self._committed.slope)
        self._changed()
        # What survives is the log up to ``position``: past positions above it never became
        # durable on this timeline (later look-ups of past times must not resurrect them), and
        # no instance can have applied more than survives.
        self._history_v = [min(v, position) for v in self._history_v]
        if self.followers is not None:
            self.followers.clamp(position)
        for name, segment in self._applied.items():
            if name in self._following:
                continue
            current = segment.at(now)
            if current > position:
                self._emit(applied_series(name), current)
                self._applied[name] = _Segment(now, position, segment.slope)
                self._emit(applied_series(name), position)

    def update(self) -> None:
        """Re-anchor every position after a phase boundary or a topology change."""
        now = self.ctx.now
        instances = self.instances
        # Each instance's state asked once: whether it accepts writes, whether it is an
        # in-sync standby (Instance.accepting_writes and in_sync_standby, spelled out).
        states = [i.state for i in instances]
        accepting = [
            i.role == "primary" and state == "available"
            for i, state in zip(instances, states, strict=True)
        ]
        writers = [i for i, accepts in zip(instances, accepting, strict=True) if accepts]
        writer = writers[0].name if writers else None
        diverging: str | None = None
        if len(writers) > 1:
            names = [w.name for w in writers]
            if self.lineage in names:
                writer = self.lineage
            routed = self.route() if self.route is not None else writer
            if routed != writer and routed in names:
                diverging = routed  # the application writes to the old primary
        rate = self.offered_rate(now)
        if diverging is not None or self._diverged:
            self._diverge(now, diverging, rate * self.bytes_per_txn)
        if rate != self._rate:
            self.ctx.record.add_step(now, WRITE_RATE, self._rate if self._rate >= 0 else None, rate)
            self._rate = rate
        if self._writer is not None and writer != self._writer and rate > 0:
            # Transactions open on the writer when it stopped: their outcome is unknown.
            interrupted = int(self._rng.poisson(rate * self.workload.txn_duration_s))
            self.ctx.emit(
                self._writer,
                "txns-interrupted",
                f"{interrupted} in-flight transactions cut off",
                txns=interrupted,
            )
        self._writer = writer
        slope = rate * self.bytes_per_txn if writer is not None and diverging is None else 0.0
        slope = min(slope, self.max_commit_bps)
        position = self._committed.at(now)
        if slope != self._committed.slope:
            self._anchor_committed(now, position, slope)
        if self.followers is not None:
            self._hand_over(now)
        following = self._following
        applied = self._applied
        for inst, accepts, state in zip(instances, accepting, states, strict=True):
            name = inst.name
            if name in following:
                continue
            segment = applied[name]
            follows = accepts or (inst.role == "standby" and state == "available")
            target_slope = slope if follows else 0.0
            current = segment.v0 + segment.slope * (now - segment.t0)
            target_value = position if follows else current
            if target_slope != segment.slope or target_value != current:
                series = applied_series(name)
                if target_value != current:
                    self._emit_at(now, series, current)
                applied[name] = _Segment(now, target_value, target_slope)
                self._emit_at(now, series, target_value)
        if self.followers is not None:
            # The followers stream from the writer whose log is the deployment's (with two
            # primaries, the one promoted), else whichever host is the primary.
            primaries = [i for i in self.instances if i.role == "primary"]
            lineage = [i for i in primaries if i.name == self.lineage]
            found = lineage or primaries
            streaming = found[0] if found else None
            self.followers.update(self.curve(), self.version, streaming)
        for callback in self._watchers:
            callback()

    def _diverge(self, now: float, name: str | None, bps: float) -> None:
        """Writes accepted by a writer outside the lineage grow its own series: they are
        lost when it rejoins (RPO)."""
        for other, segment in list(self._diverged.items()):
            if other != name and segment.slope != 0.0:
                value = segment.at(now)
                self._diverged[other] = _Segment(now, value, 0.0)
                self._emit(diverged_series(other), value)
        if name is None:
            return
        segment = self._diverged.get(name, _Segment(now, 0.0, 0.0))
        if segment.slope != bps:
            value = segment.at(now)
            self._diverged[name] = _Segment(now, value, bps)
            self._emit(diverged_series(name), value)

    def _hand_over(self, now: float) -> None:
        """Hosts that became followers leave their segment for a follower's curves; hosts
        that stopped following (promoted) get a segment at their applied position."""
        assert self.followers is not None
        following = {i.name for i in self.instances if self.followers.manages(i)}
        for name in sorted(self._following - following):
            position = self.followers.release(name)
            self._applied[name] = _Segment(now, position, 0.0)
            self._emit(applied_series(name), position)
        for inst in self.instances:
            if inst.name in following and inst.name not in self._following:
                self.followers.adopt(inst, self._applied[inst.name].at(now))
        self._following = following

    def _anchor_committed(self, now: float, position: float, slope: float) -> None:
        previous = self._committed.at(now)
        if position != previous:
            self._history_t.append(now)
            self._history_v.append(previous)
            self._emit(COMMITTED, previous)
        self._committed = _Segment(now, position, slope)
        self._history_t.append(now)
        self._history_v.append(position)
        self._emit(COMMITTED, position)
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._curve = None

    def finish(self) -> None:
        """Close every series at the end of the run."""
        now = self.ctx.now
        self._emit(COMMITTED, self._committed.at(now))
        self._emit(WRITE_RATE, self._rate)
        for name, segment in self._applied.items():
            if name not in self._following:
                self._emit(applied_series(name), segment.at(now))
        if self.followers is not None:
            self.followers.finish()
        for name, segment in self._diverged.items():
            self._emit(diverged_series(name), segment.at(now))

    def _emit(self, series: str, value: float) -> None:
        self.ctx.record.add(Breakpoint(self.ctx.now, series, value))

    def _emit_at(self, now: float, series: str, value: float) -> None:
        """``_emit`` with the clock already read."""
        self.ctx.record.add(Breakpoint(now, series, value))
