"""What RDS does for a Multi-AZ DB instance (primary + one synchronous standby) and for a
Single-AZ one (which simply never has a standby), on every documented trigger.

* The primary stops answering (host crash, network loss, AZ outage, storage failure, a busy
  engine): health checks notice it; with an in-sync standby RDS fails over (crash recovery
  on the standby, then the DNS flip); without one it recovers the instance in place (a new
  host or a reboot, then crash recovery), except a lost volume, which puts the instance in
  the failed state (RDS-EVENT-0031) until an operator restores it to a point in time.
* RebootDBInstance with ForceFailover: the same failover at once, the primary abruptly
  interrupted (its crash recovery runs on the standby).
* Planned maintenance (OS patching, an instance-class change): the standby first, then a
  failover to it, then the old primary, which becomes the standby (one host, offline, on a
  Single-AZ instance).
* An engine crash on a healthy host: restarted in place (clients are refused meanwhile);
  storage full: the engine is shut down until the storage is increased.

Health checks are *solved*, not polled: the checks run on a fixed grid (interval, random
phase); when the primary turns unhealthy at t_u, the controller computes when the
``unhealthy_checks``-th failed check completes, and waits that long unless health returns.
Crash recovery is bounded by the engine's checkpoints and paced by the storage
(rdssim.recovery, rdssim.storage).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from rdssim.model.context import SimContext
from rdssim.model.deployments.base import PATCHING, Proc
from rdssim.model.dns import Endpoint
from rdssim.model.instance import Instance
from rdssim.model.network import Network
from rdssim.model.rds_events import FAILOVER_REASONS, RDS_EVENTS, failover_events
from rdssim.model.writelog import WriteLog
from rdssim.record import SYNCING, Scalar
from rdssim.recovery import Checkpoints, settings_for, workload_undo_bytes
from rdssim.scenario.schema import Scenario


class DBInstanceController:
    """Detects failures, fails over or recovers, flips DNS and rebuilds the standby."""

    rds_events = True
    """False on EC2: nobody writes RDS events (the texts stay, without an id)."""

    def __init__(
        self,
        ctx: SimContext,
        instances: list[Instance],
        network: Network,
        endpoint: Endpoint,
        log: WriteLog,
        scenario: Scenario,
    ) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.instances = instances
        self.network = network
        self.endpoint = endpoint
        self.log = log
        self.t = scenario.timings
        deployment = scenario.deployment
        self.scenario = scenario
        self.recovery = settings_for(scenario)
        self.instance_class = scenario.deployment.instance_class
        self.class_listeners: list[Callable[[str], None]] = []
        """Called with the new class once the writer runs on it (max_connections follows)."""
        self._pending_class: str | None = None
        self.data_gib = deployment.storage.data_size_gib
        self.events = failover_events(scenario.engine)
        # One stream per concern, so e.g. a repair that differs between two variants does not
        # shift the next failover's draws (common random numbers, DESIGN.md principle 2).
        streams = ctx.streams
        first_checkpoint_s = float(
            streams.get("checkpoints").uniform(
                0.0, min(self.recovery.checkpoint_timeout_s, 86_400.0)
            )
        )
        self.checkpoints = Checkpoints(
            self.recovery.checkpoint_timeout_s,
            self.recovery.redo_capacity_bytes,
            first_checkpoint_s,
        )
        self.rng = streams.get("failover")
        self.busy = False
        self.failovers = 0
        self.last_failover_end_s = -math.inf
        self._repairing: set[str] = set()
        self.in_failover = False
        self.volume_full = False
        """The DB instance's volume is full (storage-full, until increase-storage): whatever
        host opens, opens storage-full."""
        self._failed: set[str] = set()
        """Instances put in the failed state (0031): the only ones a restore may replace."""
        self._unhealthy_since: dict[str, float] = {}
        self.endpoints: dict[str, Endpoint] = {}
        """Endpoints of DB instances restored to a point in time, by instance name."""
        ctx.listeners.add(self._track_health)
        self.setup()

    # Phases drawn when first needed, each from its own stream (so whether and when it is
    # drawn shifts nobody's draws): a run without a failure never pays for them.
    @functools.cached_property
    def check_phase_s(self) -> float:
        """Where the health checks' fixed grid starts."""
        stream = self.ctx.streams.get("health-checks")
        return float(stream.uniform(0.0, self.t.health_check_interval_s))

    @functools.cached_property
    def _upload_phase_s(self) -> float:
        """Where the grid of log uploads to S3 starts (the latest restorable time)."""
        return float(self.ctx.streams.get("log-uploads").uniform(0.0, self.t.log_upload_interval_s))

    def setup(self) -> None:
        """What a deployment type adds to the controller once it is wired (a subclass's
        hook, so that none repeats the constructor)."""

    def emit(
        self,
        source: str,
        kind: str,
        message: str | None = None,
        *,
        rds: str | None = None,
        **data: Scalar,
    ) -> None:
        """SimContext.emit, without RDS event ids where there is no RDS."""
        if rds is not None and not self.rds_events:
            message, rds = message or RDS_EVENTS[rds], None
        self.ctx.emit(source, kind, message, rds=rds, **data)

    # -- roles --------------------------------------------------------------------------------
    def with_role(self, role: str) -> Instance | None:
        for inst in self.instances:
            if inst.role == role:
                return inst
        return None

    def instance(self, name: str) -> Instance:
        return next(i for i in self.instances if i.name == name)

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

    # -- the watcher ------------------------------------------------------------------------
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
            due = self.detection_due_s(since)
            reason = primary.state
            standby = self.with_role("standby")
            if standby is not None and standby.in_sync_standby:
                return due, lambda: self._start(self.failover(since, reason, "auto"))
            if not primary.storage_ok:
                return due, lambda: self._fail(primary)
            return due, lambda: self._start(self.recover_in_place(primary, since))
        standby = self.with_role("standby")
        if standby is not None and not standby.healthy and standby.name not in self._repairing:
            since = self._unhealthy_since[standby.name]
            reboot = standby.state == "unresponsive"  # a busy engine is rebooted
            return self.detection_due_s(since), lambda: self._start_rebuild(standby, reboot)
        return None

    def _start(self, process: Proc) -> None:
        self.busy = True  # before the process first runs, so the watcher does not start it twice
        self.env.process(process)

    def _start_rebuild(self, inst: Instance, reboot: bool, work: str | None = None) -> None:
        self._repairing.add(inst.name)
        self.env.process(self.rebuild_standby(inst, reboot=reboot, work=work))

    def _instance_failed(self) -> bool:
        """Whether the DB instance is in the failed state (its primary lost its volume)."""
        primary = self.with_role("primary")
        return primary is not None and primary.name in self._failed

    def _open(self, inst: Instance, role: str | None = None) -> None:
        """``inst`` is ready: available, or storage-full while the volume is full."""
        inst.set(role=role, op_state="storage-full" if self.volume_full else "available")

    def _fail(self, inst: Instance) -> None:
        """No standby and no volume: RDS puts the instance in the failed state and waits
        for an operator to restore it to a point in time (restore-to-point-in-time)."""
        self._repairing.add(inst.name)
        self._failed.add(inst.name)
        self.emit(inst.name, "instance-failed", rds="0031")

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

    # -- crash recovery ---------------------------------------------------------------------
    def crash_recovery(self, stopped_s: float) -> tuple[float, float]:
        """Crash recovery of an engine stopped at ``stopped_s``, in bytes: the redo since
        its last checkpoint and (on engines with undo) the rollback of what was in flight."""
        redo = self.checkpoints.redo_bytes(self.log.curve(), stopped_s)
        undo = 0.0
        if self.recovery.undo:  # the writes offered when it stopped were in flight there
            undo = workload_undo_bytes(self.scenario.workload, self.log.offered_rate(stopped_s))
        return redo, undo

    def recovery_s(self, stopped_s: float) -> float:
        """How long the crash recovery of ``crash_recovery`` takes at the storage's rate."""
        return sum(self.crash_recovery(stopped_s)) / self.recovery.bytes_per_s

    def _last_log_upload(self, t: float) -> float:
        interval = self.t.log_upload_interval_s
        k = math.floor((t - self._upload_phase_s) / interval)
        return max(0.0, self._upload_phase_s + k * interval)

    def _repair_rng(self, inst: Instance) -> np.random.Generator:
        return self.ctx.streams.get(f"repair:{inst.name}")

    # -- failover -----------------------------------------------------------------------------
    def request_failover(self, source: str) -> None:
        """RebootDBInstance with ForceFailover=true."""
        now = self.ctx.now
        primary, standby = self.with_role("primary"), self.with_role("standby")
        if self.in_failover or now - self.last_failover_end_s < self.t.failover_cooldown_s:
            self.emit(source, "action-abandoned", rds="0034", fault_kind="reboot-with-failover")
        elif self.busy:
            self.emit(
                source,
                "action-rejected",
                "reboot with failover refused: the instance is busy (maintenance or a repair)",
                fault_kind="reboot-with-failover",
            )
        elif (
            primary is None
            or primary.state != "available"
            or standby is None
            or not standby.in_sync_standby
        ):
            self.emit(
                source,
                "action-rejected",
                "reboot with failover rejected: no available primary with an in-sync standby",
                fault_kind="reboot-with-failover",
            )
        else:
            self._start(self.failover(now, "user", "abrupt"))

    def failover(self, trigger_s: float, reason: str, mode: str, work: str | None = None) -> Proc:
        """Process: :meth:`_failover`, flagged while it runs (a requested failover is
        abandoned with 0034 meanwhile, refused as busy during other work)."""
        self.in_failover = True
        try:
            yield from self._failover(trigger_s, reason, mode, work)
        finally:
            self.in_failover = False

    def _failover(self, trigger_s: float, reason: str, mode: str, work: str | None) -> Proc:
        """Promote the standby. ``mode``: ``auto`` (the health checks noticed at
        ``trigger_s``: the primary stopped then), ``abrupt`` (a reboot with failover: the
        primary is interrupted as it starts) or ``planned`` (maintenance: a clean shutdown,
        no crash recovery); ``work`` is the maintenance the old primary then gets."""
        if mode == "planned":
            # The primary is shut down cleanly first: in a published class change, 0004
            # came 37 s before 0013 (rds-facts.md, "What the Multi-AZ instance event log
            # really shows"); the initiation is that gap.
            primary = self.with_role("primary")
            if primary is not None:
                primary.set(op_state=work or "stopped")
                self.emit(primary.name, "shutdown", rds="0004")
        yield self.env.timeout(self.t.failover_initiation.sample(self.rng))
        old, new = self.with_role("primary"), self.with_role("standby")
        if mode == "auto" and old is not None and old.healthy:
            # The primary came back while the control plane was reacting: nothing to do.
            self.emit("controller", "failover-cancelled", "the primary is healthy again")
            self.busy = False
            self.ctx.changed.fire()
            return
        if old is None or new is None or not (new.in_sync_standby and new.healthy):
            self.emit("controller", "failover-failed", "no in-sync standby left to promote")
            if mode == "planned" and old is not None and old.healthy:
                self._open(old)  # the maintenance waits; the primary reopens
            self.busy = False
            self.ctx.changed.fire()
            return
        self.failovers += 1
        number = self.failovers
        self.emit(old.name, "failover-reason", FAILOVER_REASONS[reason], failover=number)
        self.emit(
            old.name,
            "failover-started",
            rds="0013",
            failover=number,
            trigger_s=trigger_s,
            cause=reason,
            source_instance=old.name,
            target_instance=new.name,
        )
        stopped_s = trigger_s if mode == "auto" else self.ctx.now
        redo, undo = (0.0, 0.0) if mode == "planned" else self.crash_recovery(stopped_s)
        recovery_s = (redo + undo) / self.recovery.bytes_per_s
        old_state = {"auto": "stopped", "abrupt": "rebooting", "planned": work or "stopped"}
        old.set(role="none", op_state=old_state[mode])
        lost_bytes = self.log.committed_at(self.ctx.now) - self.log.applied_now(new.name)
        self.log.rewind_to(self.log.applied_now(new.name))
        new.set(role="primary", op_state="promoting")
        promotion_s = self.t.standby_activation.sample(self.rng) + recovery_s
        if not (yield from self._wait_unless(promotion_s, lambda: not new.healthy)):
            self.emit(
                new.name,
                "failover-failed",
                "the standby failed while being promoted",
                failover=number,
            )
            # The old primary comes back as the standby (rebooted after a reboot, otherwise
            # on a replacement host); the new one is recovered where it is, now: waiting
            # for health checks would leave it stuck in "promoting" if it recovered.
            self._start_rebuild(old, reboot=mode != "auto", work=work)
            yield from self.recover_in_place(new, self.ctx.now)
            return
        new.set(op_state="available")
        self.emit(
            new.name,
            "failover-promoted",
            f"{new.name} opens as the primary",
            failover=number,
            recovery_s=recovery_s,
            redo_bytes=redo,
            undo_bytes=undo,
            lost_txns=lost_bytes / self.log.bytes_per_txn,
        )
        yield from self.endpoint.repoint(new.name, self.t.dns_propagation.sample(self.rng))
        self.emit(new.name, "failover-completed", rds="0049", failover=number)
        if self.events.promoted_event:
            self.env.process(self._late_promotion_event(new.name, number))
        self.busy = False
        self.last_failover_end_s = self.ctx.now
        self._start_rebuild(old, reboot=mode == "abrupt", work=work)
        # The endpoint names the new primary: whatever finds its source through it (the
        # replicas) looks again now, even if no instance changes (the old one's AZ dark).
        self.ctx.topology_changed()

    def _late_promotion_event(self, name: str, number: int) -> Proc:
        """SQL Server writes 0015 after 0049 (rds_events.FailoverEvents)."""
        yield self.env.timeout(self.t.sqlserver_promotion_event.sample(self.rng))
        self.emit(name, "failover-notice", rds="0015", failover=number)

    # -- repairs ----------------------------------------------------------------------------
    def _rebuild_s(self, inst: Instance) -> float:
        """Building a new standby: a fixed part and its data (0052: "Recovery time will
        vary with the amount of data to be recovered")."""
        fixed = self.t.standby_rebuild.sample(self._repair_rng(inst))
        return fixed + self.data_gib * self.t.standby_rebuild_s_per_gib

    def rebuild_standby(self, inst: Instance, *, reboot: bool, work: str | None = None) -> Proc:
        """Make ``inst`` the in-sync standby again: finish its maintenance, reboot it, or
        replace its host (then it catches up, commits waiting for it: ``syncing``). Not
        for a DB instance in the failed state: there is nothing to be the standby of."""
        while True:
            if self._instance_failed():
                self._repairing.discard(inst.name)
                return
            if work is not None:
                inst.set(role="none", op_state=work)
                timing = self.t.os_patch if work == PATCHING else self.t.class_change
                done = yield from self._wait_unless(
                    timing.sample(self._repair_rng(inst)), lambda: not inst.healthy
                )
                if done:
                    self._work_finished(inst, work)
                    self._open(inst, role="standby")
                    break
                work, reboot = None, False
                continue
            if reboot:
                inst.set(role="none", op_state="rebooting")
                ok = yield from self._wait_unless(
                    self.t.reboot.sample(self._repair_rng(inst)), lambda: not inst.healthy
                )
                if ok:
                    self.emit(inst.name, "restarted", rds="0006")
                    self._open(inst, role="standby")
                    break
                reboot = False
                continue
            # assumption: the replacement host goes into the same AZ, so it waits for that AZ.
            yield from self._wait_until(lambda: not self.network.is_dark(inst.az))
            inst.replace_host()
            inst.set(role="standby", op_state="creating")
            self.emit(inst.name, "standby-recovery-started", rds="0052")
            built = yield from self._wait_unless(self._rebuild_s(inst), lambda: not inst.healthy)
            if not built:
                continue
            self._set_commit_latency(self.t.sync_commit_latency_s)
            inst.set(op_state=SYNCING)
            synced = yield from self._wait_unless(
                self.t.standby_sync.sample(self._repair_rng(inst)), lambda: not inst.healthy
            )
            self._set_commit_latency(0.0)
            if synced and self._instance_failed():
                continue  # the primary failed for good meanwhile (the loop's top ends it)
            if synced:
                self._open(inst)
                self.emit(inst.name, "standby-recovery-completed", rds="0053")
                break
            inst.sync()
        self._repairing.discard(inst.name)
        self.ctx.changed.fire()

    def _set_commit_latency(self, seconds: float) -> None:
        """Commits wait this much longer (a new standby catching up), from now."""
        self.ctx.commit_latency_s = seconds

    def recover_in_place(self, inst: Instance, trigger_s: float) -> Proc:
        """No standby to fail over to: recover the primary where it is (instance recovery):
        a new host, or a reboot for a busy engine, then crash recovery."""
        self._repairing.add(inst.name)
        if not inst.storage_ok:  # no volume to recover: the failed state at once, no 0020
            self._fail(inst)
            self.busy = False
            self.ctx.changed.fire()
            return
        self.emit(inst.name, "recovery-started", rds="0020", trigger_s=trigger_s, cause=inst.state)
        while True:  # a recovery cut short by a new impairment starts over
            yield from self._wait_until(lambda: not self.network.is_dark(inst.az))
            if not inst.storage_ok:  # its volume is gone: only a restore brings it back
                self._fail(inst)
                self.busy = False
                self.ctx.changed.fire()
                return
            if inst.host_up and inst.net_ok:
                duration_s = self.t.reboot.sample(self._repair_rng(inst))  # a busy engine
            else:
                duration_s = self.t.host_replacement.sample(self._repair_rng(inst))
            inst.replace_host()
            duration_s += self.recovery_s(trigger_s)
            inst.set(op_state="recovering")
            if (yield from self._wait_unless(duration_s, lambda: not inst.healthy)):
                break
        self._open(inst)
        self.emit(inst.name, "recovery-completed", rds="0021", trigger_s=trigger_s)
        if self.endpoint.target != inst.name:
            # It became the primary in a failover whose promotion failed: DNS still names the
            # old primary.
            yield from self.endpoint.repoint(inst.name, self.t.dns_propagation.sample(self.rng))
        self._repairing.discard(inst.name)
        self.busy = False
        self.ctx.topology_changed()  # as at the end of a failover

    # -- the engine ---------------------------------------------------------------------------
    def engine_crash(self, inst: Instance, source: str) -> None:
        """The engine process died on a healthy host: it is restarted in place, then runs
        crash recovery; its clients are refused meanwhile (no failover)."""
        if inst.op_state != "available" or not inst.healthy:
            self.emit(source, "fault-skipped", f"{inst.name} is {inst.state}")
            return
        inst.set(op_state="restarting")
        self.env.process(self._restart(inst, self.ctx.now))

    def _restart(self, inst: Instance, crashed_s: float) -> Proc:
        """Restart, then crash recovery; cut short by an impairment, it starts over once the
        host is healthy again, unless a repair has taken the instance over meanwhile."""
        while True:
            duration_s = self.t.engine_restart.sample(self._repair_rng(inst))
            if inst.role == "primary":
                duration_s += self.recovery_s(crashed_s)
            done = yield from self._wait_unless(duration_s, lambda: not inst.healthy)
            if inst.op_state != "restarting":
                return  # recovered in place or rebuilt by the watcher
            if done:
                break
            yield from self._wait_until(lambda: inst.healthy or inst.op_state != "restarting")
            if inst.op_state != "restarting":
                return
        self._open(inst)
        self.emit(inst.name, "restarted", rds="0006")

    def storage_full(self, source: str) -> None:
        """The volume is full: the engine is shut down (RDS-EVENT-0221) on every host of the
        DB instance (they share the data), until the storage is increased."""
        self.volume_full = True
        for inst in self.instances:
            if inst.role in ("primary", "standby") and inst.op_state == "available":
                inst.set(op_state="storage-full")
        primary = self.with_role("primary")
        self.emit(primary.name if primary else source, "storage-full", rds="0221")

    def increase_storage(self, source: str) -> None:
        """ModifyDBInstance AllocatedStorage: a storage-full instance opens again."""
        if not self.volume_full:
            self.emit(source, "action-rejected", "the volume is not full")
            return
        self.env.process(self._increase_storage())

    def _increase_storage(self) -> Proc:
        yield self.env.timeout(self.t.storage_increase.sample(self.rng))
        self.volume_full = False
        reopened = [i for i in self.instances if i.op_state == "storage-full"]
        for inst in reopened:
            inst.set(op_state="available")
        if reopened:  # one DB instance, one event, whichever of its hosts are reopened
            primary = self.with_role("primary")
            self.emit(primary.name if primary else reopened[0].name, "restarted", rds="0006")

    # -- maintenance ------------------------------------------------------------------------
    def maintain(self, work: str, source: str, instance_class: str | None = None) -> None:
        """OS patching (``patching``) or an instance-class change (``modifying``): the
        standby first, then a failover to it, then the old primary, which becomes the new
        standby; a Single-AZ instance is offline while its one host is worked on."""
        primary, standby = self.with_role("primary"), self.with_role("standby")
        if self.busy or primary is None or primary.op_state != "available":
            # rdssim does not queue maintenance for a later window: the call is refused.
            self.emit(source, "action-rejected", f"{work} refused: the instance is busy")
            return
        self._pending_class = instance_class
        self._start(self._maintain(work, primary, standby))

    def _maintain(self, work: str, primary: Instance, standby: Instance | None) -> Proc:
        timing = self.t.os_patch if work == PATCHING else self.t.class_change
        if work == PATCHING:
            self.emit(primary.name, "maintenance-started", rds="0026")
        else:
            self.emit(primary.name, "modification-started", "applying the new instance class")
        if standby is None or not standby.in_sync_standby:
            primary.set(op_state=work)
            done = yield from self._wait_unless(
                timing.sample(self._repair_rng(primary)), lambda: not primary.healthy
            )
            if done:
                self._open(primary)
                self._work_finished(primary, work)
                self._apply_class()
            self.busy = False
            self.ctx.changed.fire()
            return
        standby.set(op_state=work)
        done = yield from self._wait_unless(
            timing.sample(self._repair_rng(standby)), lambda: not standby.healthy
        )
        if not done:
            self.busy = False
            self.ctx.changed.fire()
            return
        self._open(standby)
        reason = "os-patch" if work == PATCHING else "class-change"
        yield from self.failover(self.ctx.now, reason, "planned", work=work)
        if standby.role == "primary":  # the writer now runs on the new class
            self._apply_class()

    def _apply_class(self) -> None:
        """The DB instance's class is the new one: its crash-recovery bounds (MySQL 8.4's
        redo capacity) and, through the listeners, max_connections follow."""
        new_class, self._pending_class = self._pending_class, None
        if new_class is None:
            return
        self.instance_class = new_class
        self.recovery = settings_for(self.scenario, new_class)
        for listener in self.class_listeners:
            listener(new_class)

    def _work_finished(self, inst: Instance, work: str) -> None:
        if work == PATCHING:
            self.emit(inst.name, "maintenance-finished", rds="0027")
        else:
            self.emit(inst.name, "modification-finished", "the new instance class is applied")

    def lose_copy(self, az: str, source: str) -> None:
        """A DB instance has no cluster volume (the loader refuses the fault)."""
        self.emit(source, "fault-skipped", "no cluster volume")

    # -- point-in-time restore ----------------------------------------------------------------
    def restore(self, target: Instance, new: Instance, endpoint: Endpoint, source: str) -> None:
        """RestoreDBInstanceToPointInTime: a NEW DB instance with a NEW endpoint, holding the
        log up to the latest restorable time (logs reach S3 every 5 minutes)."""
        if new.op_state != "absent":
            self.emit(source, "action-rejected", f"{new.name} exists already")
            return
        if target.name not in self._failed:
            # A restore beside a DB instance that still has a writer (its standby took over,
            # or it never failed) is a second, diverging database: rdssim follows one log,
            # so it restores only an instance in the failed state (RDS-EVENT-0031).
            self.emit(
                source,
                "action-rejected",
                f"{target.name} is not in the failed state; rdssim restores only a DB "
                "instance that lost its volume with no standby to fail over to",
            )
            return
        self.endpoints[new.name] = endpoint
        self.env.process(self._restore(target, new))

    def _restore(self, target: Instance, new: Instance) -> Proc:
        failed_s = self._unhealthy_since.get(target.name, self.ctx.now)
        restorable_s = self._last_log_upload(min(failed_s, self.ctx.now))
        new.set(role="none", op_state="creating")
        # The log keeps RDS's own text; the restore point is in the event's data.
        self.emit(
            new.name,
            "restore-started",
            rds="0005",
            source_instance=target.name,
            restore_time_s=restorable_s,
        )
        fixed = self.t.pitr_restore.sample(self._repair_rng(new))
        duration_s = fixed + self.data_gib * self.t.pitr_restore_s_per_gib
        # assumption: an outage of its AZ during the restore starts it over once it is back.
        while True:
            yield from self._wait_until(lambda: not self.network.is_dark(new.az))
            if (yield from self._wait_unless(duration_s, lambda: self.network.is_dark(new.az))):
                break
        restorable = self.log.committed_at(restorable_s)
        lost_bytes = max(0.0, self.log.committed_at(self.ctx.now) - restorable)
        self.log.rewind_to(restorable)
        if target.role == "primary":
            target.set(role="none")
        new.set(role="primary", op_state="available")
        self.emit(new.name, "restored", rds="0019", lost_txns=lost_bytes / self.log.bytes_per_txn)
        self.ctx.topology_changed()
