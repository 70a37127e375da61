"""One read replica: its host, its source, and its received and applied log positions.

Positions are :class:`rdssim.fluid.Curve` predictions made at the last change and valid until
the next one. Only the part that has come true is written to the Record: at each change the
old curves' breakpoints up to now, then the present value. So the Record holds exactly the
piecewise-linear history, however far ahead a prediction reached.
"""

from __future__ import annotations

import math

import numpy as np

from rdssim.fluid import Curve, at_or_below, follow
from rdssim.model.context import SimContext
from rdssim.model.instance import ABSENT, Instance
from rdssim.model.links import Link
from rdssim.model.network import Network
from rdssim.record import Breakpoint, applied_series, received_series
from rdssim.scenario.schema import ReplicaSpec

# Operational states of a replica (the Record shows an impairment instead, if it has one).
# The replication threads run: the replica receives and applies.
RUNNING = ("replicating", "catching-up")
# The replica applies what it has received (its relay log / WAL) but receives nothing new.
APPLYING = (*RUNNING, "reconnecting", "stranded")
# A replica answers its own replicas' requests for log in these states.
SERVES_LOG = (*APPLYING, "available")


# How much of the past a replica's applied curve keeps for its own replicas, which see it
# through their link's latency (longer than any latency a scenario can sensibly set).
HISTORY_S = 600.0


def _splice(old: Curve, new: Curve, keep_from_s: float) -> Curve:
    """``old`` on [keep_from_s, new's start), then ``new``.

    ``new`` starts where ``old`` is at that instant, up to rounding (follow() clamps a start
    a few ulps above its target): lifted to it, so that the position never goes back.
    """
    start = new.start_time_s
    keep = (old.times_s >= keep_from_s) & (old.times_s < start)
    times = np.concatenate(([keep_from_s], old.times_s[keep], new.times_s))
    values = np.concatenate(([old.value_at(keep_from_s)], old.values_bytes[keep], new.values_bytes))
    return Curve(times, np.maximum.accumulate(values), new.final_slope_bps)


class Positions:
    """Received and applied positions (bytes of the writer's log) as fluid curves, and
    what of them the Record has been given: only the part that has come true."""

    def __init__(self, ctx: SimContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self.received = Curve.ray(0.0, 0.0, 0.0)
        self.applied = Curve.ray(0.0, 0.0, 0.0)
        self._emitted: dict[str, tuple[float, float]] = {}

    def received_now(self) -> float:
        return self.received.value_at(self.ctx.now)

    def applied_now(self) -> float:
        return self.applied.value_at(self.ctx.now)

    def flush(self, until_s: float) -> None:
        """Write the breakpoints the current curves reached up to ``until_s``."""
        for series, curve in (
            (received_series(self.name), self.received),
            (applied_series(self.name), self.applied),
        ):
            last_t = self._emitted.get(series, (-math.inf, 0.0))[0]
            inside = (curve.times_s > last_t) & (curve.times_s <= until_s)
            for t, v in zip(curve.times_s[inside], curve.values_bytes[inside], strict=True):
                self._put(series, float(t), float(v))
            self._put(series, until_s, float(curve.value_at(np.float64(until_s))))

    def _emit_now(self, now: float) -> None:
        self._put(received_series(self.name), now, self.received.value_at(now))
        self._put(applied_series(self.name), now, self.applied.value_at(now))

    def _put(self, series: str, t: float, v: float) -> None:
        if self._emitted.get(series) == (t, v):
            return
        self._emitted[series] = (t, v)
        self.ctx.record.add(Breakpoint(t, series, v))


class ReplicaHost(Instance):
    """The host of a replica (an instance that records nothing before it is created)."""


class Replica(Positions):
    """A read replica and its fluid positions (bytes of the primary's log)."""

    def __init__(self, ctx: SimContext, network: Network, spec: ReplicaSpec, exists: bool) -> None:
        super().__init__(ctx, spec.name)
        self.spec = spec
        self.host = ReplicaHost(ctx, network, spec.name, spec.az, "replica")
        self.host.op_state = "replicating" if exists else ABSENT
        self.source = spec.source
        self.attached_to: str | None = None  # the host or replica it streams from
        self.link: Link | None = None
        self.apply_bps = 0.0  # set by the ReplicaSet (needs bytes per transaction)
        self.detached = False  # promoted, or below a promoted replica
        self.busy = False  # a reconnect, restart, repair or promotion is under way
        self.token = 0  # bumps at every recompute: a scheduled transition must match it
        self.inputs: tuple[object, ...] | None = None
        """What the last recompute depended on: while it holds, its prediction does too."""
        if exists:
            self._emit_now(0.0)

    @property
    def state(self) -> str:
        return self.host.state

    @property
    def op_state(self) -> str:
        return self.host.op_state

    def set(self, *, role: str | None = None, op_state: str | None = None) -> None:
        self.host.set(role=role, op_state=op_state)

    def start_at(self, position_bytes: float) -> None:
        """Created from a snapshot holding the log up to ``position_bytes``: flat from now."""
        now = self.ctx.now
        if self._emitted:  # a rebuilt replica: its old curves' history up to now, then the jump
            self.flush(now)
        self.received = Curve.ray(now, position_bytes, 0.0)
        self.applied = _splice(self.applied, Curve.ray(now, position_bytes, 0.0), now - HISTORY_S)
        self._emit_now(now)
        self.inputs = None

    def recompute(self, target: Curve | None, *, applying: bool) -> Curve | None:
        """New curves from now: receive from ``target`` (None: nothing) and apply if asked.

        Returns the target shifted by the link latency, the position a caught-up replica has
        received, or None when not receiving.
        """
        now = self.ctx.now
        self.flush(now)
        received_now, applied_now = self.received_now(), self.applied_now()
        shifted: Curve | None = None
        if target is not None and self.link is not None:
            shifted = target.shifted(self.link.latency_s)
            level = shifted.value_at(now)
            # Ahead of the source (the source's log was rewound): wait until it passes us.
            if at_or_below(received_now, level):
                self.received = follow(shifted, now, received_now, self.link.bandwidth_bps)
            else:
                self.received, shifted = Curve.ray(now, received_now, 0.0), None
        else:
            self.received = Curve.ray(now, received_now, 0.0)
        if applying:
            applied = follow(self.received, now, applied_now, self.apply_bps)
        else:
            applied = Curve.ray(now, applied_now, 0.0)
        # This replica's own replicas read its applied position through a link delay: keep
        # the recent past in front of the new prediction.
        self.applied = _splice(self.applied, applied, now - HISTORY_S)
        self.token += 1
        return shifted
