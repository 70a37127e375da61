"""The hosts of a deployment that follow its writer's log without being synchronous: a
Multi-AZ DB cluster's readers (semi-synchronous: they acknowledge on receipt and apply
later), Aurora replicas (they share the volume: only their caches lag) and self-managed
standbys on EC2 (asynchronous or semi-synchronous streaming).

Each follower has a received and an applied position, fluid curves like a read replica's
(:mod:`rdssim.model.replica`): received follows the writer's committed log as the link
delays it, applied follows received at the host's apply capacity, shifted by its apply
delay. The write log (:mod:`rdssim.model.writelog`) hands a host over to this set while it
is a follower and takes it back when it is promoted, so one Record series per host holds
its whole history. Nothing is polled: curves change only at a topology or phase change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rdssim.fluid import Curve, at_or_below, follow
from rdssim.model.context import SimContext
from rdssim.model.instance import Instance
from rdssim.model.replica import Positions
from rdssim.record import received_series


@dataclass(frozen=True)
class FollowParams:
    """How one follower follows the writer it is attached to now."""

    latency_s: float
    """The link's one-way latency: what the follower has received trails the log by it."""
    bandwidth_bps: float
    apply_bps: float
    """Apply capacity (math.inf: no limit, as on Aurora's shared volume)."""
    apply_delay_s: float = 0.0
    """A lag even when keeping up (Aurora: its caches are updated asynchronously)."""


class Follower(Positions):
    """One following host's positions."""

    def __init__(
        self, ctx: SimContext, inst: Instance, position: float, received_before: float | None
    ) -> None:
        super().__init__(ctx, inst.name)
        self.inst = inst
        now = ctx.now
        self.received = Curve.ray(now, position, 0.0)
        self.applied = Curve.ray(now, position, 0.0)
        self.inputs: tuple[object, ...] | None = None
        # Its received series starts here, stepping from where an earlier stint as a
        # follower left it (it received nothing while it was the writer or down).
        if received_before is not None:
            self._put(received_series(inst.name), now, received_before)
        self._put(received_series(inst.name), now, position)

    def recompute(self, committed: Curve | None, params: FollowParams, applying: bool) -> None:
        """New curves from now: receive from ``committed`` (None: nothing) and apply."""
        now = self.ctx.now
        self.flush(now)
        received_now, applied_now = self.received_now(), self.applied_now()
        if committed is None:
            self.received = Curve.ray(now, received_now, 0.0)
        else:
            self.received = _follow_from(
                committed.shifted(params.latency_s), now, received_now, params.bandwidth_bps
            )
        if applying:
            target = self.received.shifted(params.apply_delay_s)
            self.applied = _follow_from(target, now, applied_now, params.apply_bps)
        else:
            self.applied = Curve.ray(now, applied_now, 0.0)
        # An unlimited rate (Aurora's shared volume) jumps now: flush() writes only what
        # lies after the last point written, so write the value after the jump here.
        self._emit_now(now)

    def clamp(self, position: float) -> None:
        """The writer's log was rewound to ``position``: what is beyond it is discarded."""
        now = self.ctx.now
        self.flush(now)
        received, applied = self.received_now(), self.applied_now()
        if received > position or applied > position:
            self.received = Curve.ray(now, min(received, position), 0.0)
            self.applied = Curve.ray(now, min(applied, position), 0.0)
            self._emit_now(now)
        self.inputs = None


def _follow_from(target: Curve, now: float, start: float, rate_bps: float) -> Curve:
    """fluid.follow, also from a start above the target (a shift grew, a log was rewound):
    flat until the target passes the start, then following it."""
    level = target.value_at(now)
    if at_or_below(start, level):
        return follow(target, now, start, rate_bps)
    passed = float(target.earliest_time_at_or_above(np.array([start]))[0])
    if not math.isfinite(passed):
        return Curve.ray(now, start, 0.0)
    rest = follow(target, max(passed, now), start, rate_bps)
    # Rounding may put the target a hair under ``start`` where it passes: never go back.
    values = np.maximum.accumulate(np.concatenate(([start], rest.values_bytes)))
    return Curve(np.concatenate(([now], rest.times_s)), values, rest.final_slope_bps)


class Followers:
    """The deployment's following hosts; the write log asks it about them."""

    def __init__(
        self,
        ctx: SimContext,
        follows: Callable[[Instance], bool],
        params: Callable[[Instance, Instance | None], FollowParams],
        streams_to: Callable[[Instance, Instance], bool],
    ) -> None:
        self.ctx = ctx
        self._follows = follows
        self._params = params
        self._streams_to = streams_to
        self.active: dict[str, Follower] = {}
        self._received_before: dict[str, float] = {}

    def manages(self, inst: Instance) -> bool:
        """Whether ``inst`` is a follower now (its role), so its positions are kept here."""
        return self._follows(inst)

    def adopt(self, inst: Instance, position: float) -> None:
        before = self._received_before.get(inst.name)
        self.active[inst.name] = Follower(self.ctx, inst, position, before)

    def release(self, name: str) -> float:
        """``name`` stops following (promoted): its applied position now."""
        follower = self.active.pop(name)
        follower.flush(self.ctx.now)
        self._received_before[name] = follower.received_now()
        return follower.applied_now()

    def received_now(self, name: str) -> float:
        return self.active[name].received_now()

    def applied_now(self, name: str) -> float:
        return self.active[name].applied_now()

    def update(self, committed: Curve, version: int, writer: Instance | None) -> None:
        """Recompute whatever follower's inputs changed."""
        for follower in self.active.values():
            inst = follower.inst
            streaming = writer is not None and self._streams_to(writer, inst)
            # Without a writer it receives nothing, and applies its backlog at its own pace.
            params = self._params(inst, writer)
            applying = inst.healthy
            inputs = (streaming, applying, params, version if streaming else None)
            if inputs == follower.inputs:
                continue
            follower.inputs = inputs
            follower.recompute(committed if streaming else None, params, applying)

    def clamp(self, position: float) -> None:
        for follower in self.active.values():
            follower.clamp(position)

    def finish(self) -> None:
        for follower in self.active.values():
            follower.flush(self.ctx.now)
