"""Failover logic of a Multi-AZ DB instance (primary + one synchronous standby).

A Single-AZ instance uses the same controller: it simply never has a standby, so every
primary failure takes the in-place recovery path.

Health checks are *solved*, not polled: the checks run on a fixed grid (interval, random
phase); when the primary turns unhealthy at t_u, the controller computes when the
``unhealthy_checks``-th failed check completes, and waits that long unless health returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from rdssim.model.context import SimContext
from rdssim.model.dns import Endpoint
from rdssim.model.instance import Instance
from rdssim.model.network import Network
from rdssim.model.writelog import WriteLog
from rdssim.scenario.schema import TimingsSpec

Proc = Generator[simpy.Event, Any, Any]


class MultiAZController:
    """Detects failures, promotes the standby, flips DNS and rebuilds the standby."""

    def __init__(
        self,
        ctx: SimContext,
        instances: list[Instance],
        network: Network,
        endpoint: Endpoint,
        log: WriteLog,
        timings: TimingsSpec,
    ) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.instances = instances
        self.network = network
        self.endpoint = endpoint
        self.log = log
        self.t = timings
        # One stream per concern, so e.g. a repair that differs between two variants does not
        # shift the next failover's draws (common random numbers, DESIGN.md principle 2).
        streams = ctx.streams
        self.check_phase_s = float(
            streams.get("health-checks").uniform(0.0, timings.health_check_interval_s)
        )
        self._checkpoint_phase_s = float(
            streams.get("checkpoints").uniform(0.0, timings.checkpoint_interval_s)
        )
        self._upload_phase_s = float(
            streams.get("log-uploads").uniform(0.0, timings.log_upload_interval_s)
        )
        self.rng = streams.get("failover")
        self.busy = False
        self.failovers = 0
        self.last_failover_end_s = -math.inf
        self._repairing: set[str] = set()
        self._unhealthy_since: dict[str, float] = {}
        ctx.listeners.add(self._track_health)

    # -- roles ----------------------------------------------------------------------------
    def with_role(self, role: str) -> Instance | None:
        for inst in self.instances:
            if inst.role == role:
                return inst
        return None

    def _track_health(self) -> None:
        for inst in self.instances:
            if inst.healthy:
                self._unhealthy_since.pop(inst.name, None)
            else:
                self._unhealthy_since.setdefault(inst.name, self.ctx.now)

    def detection_due_s(self, unhealthy_since_s: float) -> float:
        """When the ``unhealthy_checks``-th consecutive failed health check completes."""
        interval = self.t.health_check_interval_s
        k = math.ceil((unhealthy_since_s - self.check_phase_s) / interval)
        first_check = self.check_phase_s + k * interval
        return (
            first_check + (self.t.unhealthy_checks - 1) * interval + self.t.health_check_timeout_s
        )

    # -- the watcher --------------------------------------------------------------------
    def monitor(self) -> Proc:
        """Process: react to unhealthy instances once the health checks have noticed."""
        while True:
            due = self._next_repair()
            if due is None:
                yield self.ctx.changed.wait()
                continue
            due_s, start = due
            if due_s > self.ctx.now:
                yield self.env.timeout(due_s - self.ctx.now) | self.ctx.changed.wait()
                continue
            start()

    def _next_repair(self) -> tuple[float, Callable[[], None]] | None:
        if self.busy:
            return None
        primary = self.with_role("primary")
        if primary is not None and not primary.healthy and primary.name not in self._repairing:
            since = self._unhealthy_since[primary.name]
            standby = self.with_role("standby")
            if standby is not None and standby.in_sync_standby:
                return self.detection_due_s(since), lambda: self._start(
                    self.failover(since, primary.state, manual=False)
                )
            return self.detection_due_s(since), lambda: self._start(
                self.recover_in_place(primary, since)
            )
        standby = self.with_role("standby")
        if standby is not None and not standby.healthy and standby.name not in self._repairing:
            since = self._unhealthy_since[standby.name]
            return self.detection_due_s(since), lambda: self._start_rebuild(standby, reboot=False)
        return None

    def _start(self, process: Proc) -> None:
        self.busy = (
            True  # set before the process first runs, so the watcher does not start it twice
        )
        self.env.process(process)

    def _start_rebuild(self, inst: Instance, *, reboot: bool) -> None:
        self._repairing.add(inst.name)
        self.env.process(self.rebuild_standby(inst, reboot=reboot))

    def _wait_unless(
        self, delay_s: float, broken: Callable[[], bool]
    ) -> Generator[simpy.Event, Any, bool]:
        """Wait ``delay_s``; return False early if ``broken()`` becomes true meanwhile."""
        end = self.ctx.now + delay_s
        while self.ctx.now < end:
            if broken():
                return False
            yield self.env.timeout(end - self.ctx.now) | self.ctx.changed.wait()
        return not broken()

    def _wait_until(self, ready: Callable[[], bool]) -> Proc:
        while not ready():
            yield self.ctx.changed.wait()

    # -- API actions ----------------------------------------------------------------------
    def request_failover(self, source: str) -> None:
        """RebootDBInstance with ForceFailover=true."""
        now = self.ctx.now
        primary, standby = self.with_role("primary"), self.with_role("standby")
        if self.busy or now - self.last_failover_end_s < self.t.failover_cooldown_s:
            self.ctx.emit(source, "action-abandoned", rds="0034", fault_kind="reboot-with-failover")
        elif (
            primary is None
            or primary.state != "available"
            or standby is None
            or not standby.in_sync_standby
        ):
            self.ctx.emit(
                source,
                "action-rejected",
                "reboot with failover rejected: no available primary with an in-sync standby",
                fault_kind="reboot-with-failover",
            )
        else:
            self._start(self.failover(now, "reboot-with-failover", manual=True))

    # -- failover ---------------------------------------------------------------------------
    def failover(self, trigger_s: float, cause: str, *, manual: bool) -> Proc:
        """Promote the standby: detection already happened at ``trigger_s``'s health checks."""
        yield self.env.timeout(self.t.failover_initiation.sample(self.rng))
        old, new = self.with_role("primary"), self.with_role("standby")
        if not manual and old is not None and old.healthy:
            # The primary came back while the control plane was reacting: nothing to do.
            self.ctx.emit("controller", "failover-cancelled", "the primary is healthy again")
            self.busy = False
            self.ctx.changed.fire()
            return
        if old is None or new is None or not (new.in_sync_standby and new.healthy):
            self.ctx.emit("controller", "failover-failed", "no in-sync standby left to promote")
            self.busy = False
            self.ctx.changed.fire()
            return
        self.failovers += 1
        number = self.failovers
        self.ctx.emit(
            old.name,
            "failover-started",
            rds="0013",
            failover=number,
            trigger_s=trigger_s,
            cause=cause,
            source_instance=old.name,
            target_instance=new.name,
        )
        if manual:
            redo_bytes = 0.0  # a clean shutdown checkpoints: nothing to redo on the standby
            old.set(role="none", op_state="rebooting")
            self.ctx.emit(old.name, "shutdown", rds="0004")
        else:
            redo_bytes = self._redo_bytes(trigger_s)
            old.set(role="none", op_state="stopped")
        lost_bytes = self.log.committed_at(self.ctx.now) - self.log.applied_now(new.name)
        self.log.rewind_to(self.log.applied_now(new.name))
        new.set(role="primary", op_state="promoting")
        promotion_s = self.t.standby_activation.sample(self.rng) + self._replay_s(redo_bytes)
        if not (yield from self._wait_unless(promotion_s, lambda: not new.healthy)):
            self.ctx.emit(
                new.name,
                "failover-failed",
                "the standby failed while being promoted",
                failover=number,
            )
            # The old primary comes back as the standby (rebooted after a clean shutdown,
            # otherwise on a replacement host); the new one is recovered where it is, now:
            # waiting for health checks would leave it stuck in "promoting" if it recovered.
            self._start_rebuild(old, reboot=manual)
            yield from self.recover_in_place(new, self.ctx.now)
            return
        new.set(op_state="available")
        self.ctx.emit(
            new.name,
            "failover-promoted",
            rds="0015",
            failover=number,
            redo_bytes=redo_bytes,
            lost_txns=lost_bytes / self.log.bytes_per_txn,
        )
        yield from self.endpoint.repoint(new.name, self.t.dns_propagation.sample(self.rng))
        self.ctx.emit(new.name, "failover-completed", rds="0049", failover=number)
        self.busy = False
        self.last_failover_end_s = self.ctx.now
        self._start_rebuild(old, reboot=manual)
        # The endpoint names the new primary: whatever finds its source through it (the
        # replicas) looks again now, even if no instance changes (the old one's AZ dark).
        self.ctx.topology_changed()

    def _repair_rng(self, inst: Instance) -> np.random.Generator:
        return self.ctx.streams.get(f"repair:{inst.name}")

    def _redo_bytes(self, stopped_s: float) -> float:
        """Log written between the last checkpoint before ``stopped_s`` and ``stopped_s``."""
        checkpoint_s = self._last_checkpoint(stopped_s)
        return self.log.committed_at(stopped_s) - self.log.committed_at(checkpoint_s)

    def _replay_s(self, redo_bytes: float) -> float:
        """Crash recovery: the time to replay ``redo_bytes`` of log."""
        return redo_bytes / (self.t.redo_mib_per_s * 2**20)

    def _last_checkpoint(self, t: float) -> float:
        interval = self.t.checkpoint_interval_s
        k = math.floor((t - self._checkpoint_phase_s) / interval)
        return max(0.0, self._checkpoint_phase_s + k * interval)

    def _last_log_upload(self, t: float) -> float:
        interval = self.t.log_upload_interval_s
        k = math.floor((t - self._upload_phase_s) / interval)
        return max(0.0, self._upload_phase_s + k * interval)

    # -- repairs ----------------------------------------------------------------------------
    def rebuild_standby(self, inst: Instance, *, reboot: bool) -> Proc:
        """Make ``inst`` the in-sync standby again: reboot it, or replace its host."""
        while True:
            if reboot:
                inst.set(role="none", op_state="rebooting")
                ok = yield from self._wait_unless(
                    self.t.reboot.sample(self._repair_rng(inst)), lambda: not inst.healthy
                )
                if ok:
                    self.ctx.emit(inst.name, "restarted", rds="0006")
                    inst.set(role="standby", op_state="available")
                    break
                reboot = False
                continue
            # assumption: the replacement host goes into the same AZ, so it waits for that AZ.
            yield from self._wait_until(lambda: not self.network.is_dark(inst.az))
            inst.replace_host()
            inst.set(role="standby", op_state="creating")
            self.ctx.emit(inst.name, "standby-recovery-started", rds="0052")
            if (
                yield from self._wait_unless(
                    self.t.standby_rebuild.sample(self._repair_rng(inst)), lambda: not inst.healthy
                )
            ):
                inst.set(op_state="available")
                self.ctx.emit(inst.name, "standby-recovery-completed", rds="0053")
                break
        self._repairing.discard(inst.name)
        self.ctx.changed.fire()

    def recover_in_place(self, inst: Instance, trigger_s: float) -> Proc:
        """No standby to fail over to: recover the primary where it is (instance recovery)."""
        self._repairing.add(inst.name)
        cause = inst.state
        self.ctx.emit(inst.name, "recovery-started", rds="0020", trigger_s=trigger_s, cause=cause)
        restored = False
        lost_bytes = 0.0
        while True:  # a recovery cut short by a new impairment starts over on a new host
            yield from self._wait_until(lambda: not self.network.is_dark(inst.az))
            storage_lost = not inst.storage_ok
            inst.replace_host()
            if storage_lost:
                # The volume is gone: restore to the latest restorable time (logs reach S3
                # every 5 min).
                restored = True
                restorable_s = self._last_log_upload(trigger_s)
                restorable = self.log.committed_at(restorable_s)
                lost_bytes += self.log.committed_at(self.ctx.now) - restorable
                self.log.rewind_to(restorable)
                duration_s = self.t.pitr_restore.sample(self._repair_rng(inst))
            else:
                duration_s = self.t.host_replacement.sample(self._repair_rng(inst))
                duration_s += self._replay_s(self._redo_bytes(trigger_s))
            inst.set(op_state="restoring" if storage_lost else "recovering")
            if (yield from self._wait_unless(duration_s, lambda: not inst.healthy)):
                break
        inst.set(op_state="available")
        lost_txns = lost_bytes / self.log.bytes_per_txn
        if restored:
            self.ctx.emit(inst.name, "restored", rds="0019", lost_txns=lost_txns)
        self.ctx.emit(
            inst.name, "recovery-completed", rds="0021", trigger_s=trigger_s, lost_txns=lost_txns
        )
        if self.endpoint.target != inst.name:
            # It became the primary in a failover whose promotion failed: DNS still names the
            # old primary.
            yield from self.endpoint.repoint(inst.name, self.t.dns_propagation.sample(self.rng))
        self._repairing.discard(inst.name)
        self.busy = False
        self.ctx.topology_changed()  # as at the end of a failover
