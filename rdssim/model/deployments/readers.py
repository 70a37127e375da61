"""What deployments whose failover targets are followers share: a Multi-AZ DB cluster's
readers, Aurora replicas, self-managed standbys on EC2.

Unlike a Multi-AZ DB instance's synchronous standby, a follower has received and applied
the writer's log up to positions of its own (:mod:`rdssim.model.replication.followers`),
so a failover *chooses* among them, may wait for the chosen one to apply what it received,
and loses what it had not received. The types differ in how the failure is noticed, which
follower is chosen, what the promotion waits for, how the endpoint moves and who repairs;
those are the hooks a subclass fills in.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rdssim.model.deployments.base import PATCHING, Proc
from rdssim.model.deployments.db_instance import DBInstanceController
from rdssim.model.instance import REPLICATING, STALLED, Instance
from rdssim.model.links import Link, link_between
from rdssim.model.rds_events import CLUSTER_FAILOVER_REASONS, SELF_MANAGED_FAILOVER_REASONS
from rdssim.model.replication.followers import Followers, FollowParams

STOPPED_AS = {"auto": "stopped", "abrupt": "rebooting", "planned": "stopped"}
# (a planned failover's old writer then gets the maintenance: _rejoin)
"""What the old writer is while the failover runs, by mode."""


def _down(inst: Instance) -> Callable[[], bool]:
    return lambda: not inst.healthy


class ReaderDeployment(DBInstanceController):
    """A writer and followers; failover promotes a follower."""

    follower_role = "reader"

    def setup(self) -> None:
        super().setup()
        scenario, log = self.scenario, self.log
        self.specs = {spec.name: spec for spec in scenario.deployment.instances}
        for inst in self.instances:
            if inst.role == self.follower_role:
                inst.op_state = REPLICATING
        self.followers = Followers(self.ctx, self._follows, self.follow_params, self.streams_to)
        log.followers = self.followers
        # A workload phase changes what the followers fall behind by (flow control, a
        # lagging reader): the watcher looks again at each one, as at a topology change.
        log.watch(self.ctx.changed.fire)
        self._links: dict[tuple[str, str], Link] = {}
        self._detect_at: dict[tuple[str, float], float] = {}
        self._wakes: set[float] = set()

    def wake_at(self, when_s: float) -> None:
        """Wake the watcher at ``when_s`` (once per instant, however often it is asked)."""
        if when_s not in self._wakes:
            self._wakes.add(when_s)
            self.env.process(self._wake(when_s))

    def _wake(self, when_s: float) -> Proc:
        yield self.env.timeout(max(0.0, when_s - self.ctx.now))
        self._wakes.discard(when_s)
        self.ctx.changed.fire()

    # -- following ------------------------------------------------------------------------
    def _follows(self, inst: Instance) -> bool:
        return inst.role == self.follower_role

    def link(self, writer: Instance, inst: Instance) -> Link:
        key = (writer.name, inst.name)
        if key not in self._links:
            spec = self.specs[inst.name]
            self._links[key] = link_between(writer.az, inst.az, spec.link, self.scenario.region_of)
        return self._links[key]

    def follow_params(self, inst: Instance, writer: Instance | None) -> FollowParams:
        apply_bps = self.specs[inst.name].apply_writes_per_s * self.log.bytes_per_txn
        if writer is None:  # nothing to receive: only its apply rate matters
            return FollowParams(0.0, math.inf, apply_bps)
        link = self.link(writer, inst)
        return FollowParams(link.latency_s, link.bandwidth_bps, apply_bps)

    def streams_to(self, writer: Instance, inst: Instance) -> bool:
        """Whether ``writer`` ships its log to ``inst`` now."""
        return (
            writer.healthy
            and inst.healthy
            and writer.op_state in ("available", *STALLED)
            and not (writer.partitioned or inst.partitioned)
        )

    def reader_endpoint(self) -> list[Instance]:
        """The reader endpoint's members: the readers, and a reader promoted by a failover
        until it completes."""
        members = self.followers_now()
        if self._promoted is not None and self._promoted not in [m.name for m in members]:
            members.append(self.instance(self._promoted))
        return members

    _promoted: str | None = None

    def followers_now(self) -> list[Instance]:
        return [i for i in self.instances if i.role == self.follower_role]

    def candidates(self) -> list[Instance]:
        """Followers that could be promoted now."""
        return [
            i
            for i in self.followers_now()
            if i.healthy and not i.partitioned and i.op_state == REPLICATING
        ]

    # -- hooks ----------------------------------------------------------------------------
    def detected_at(self, inst: Instance, since_s: float) -> float:
        """When the failure of ``inst`` (since ``since_s``) is noticed: one draw per
        incident."""
        key = (inst.name, since_s)
        if key not in self._detect_at:
            self._detect_at[key] = since_s + self.detection_delay_s(inst)
        return self._detect_at[key]

    def detection_delay_s(self, inst: Instance) -> float:
        """From the failure of ``inst`` to its being noticed (drawn once per incident)."""
        raise NotImplementedError

    def choose_target(self) -> Instance | None:
        """The follower a failover promotes (default: the one that received the most)."""
        found = self.candidates()
        if not found:
            return None
        return max(found, key=lambda i: self.log.received_now(i.name))

    def promotion_wait_s(self, new: Instance) -> float:
        """From the failover's start to the new writer opening (apply, then promote)."""
        raise NotImplementedError

    def failover_event_ids(self, old: Instance, new: Instance) -> tuple[str, str]:
        """RDS event ids of the failover's start and completion."""
        return ("0073" if old.az != new.az else "0072"), "0071"

    def without_target(self, primary: Instance, since_s: float) -> Proc:
        """The writer failed and no follower can take over."""
        return self.recover_in_place(primary, since_s)

    def move_endpoint(self, new: Instance) -> Proc:
        """Point the application at the new writer."""
        yield from self.endpoint.repoint(new.name, self.t.dns_propagation.sample(self.rng))

    def unhealthy(self, inst: Instance) -> bool:
        return not inst.healthy

    # -- the watcher ----------------------------------------------------------------------
    def _track_health(self) -> None:
        for inst in self.instances:
            if not self.unhealthy(inst):
                self._unhealthy_since.pop(inst.name, None)
            else:
                self._unhealthy_since.setdefault(inst.name, self.ctx.now)

    def _next_repair(self) -> tuple[float, Callable[[], None]] | None:
        self.before_repair()
        if self.busy:
            return None
        primary = self.with_role("primary")
        if primary is not None and self.unhealthy(primary) and primary.name not in self._repairing:
            since = self._unhealthy_since[primary.name]
            due = self.detected_at(primary, since)
            reason = primary.state if not primary.partitioned else "unreachable"
            if self.candidates():
                return due, lambda: self._start(self.failover(since, reason, "auto"))
            if not primary.storage_ok and self.rds_events and not self.shared_volume:
                return due, lambda: self._fail(primary)
            return due, lambda: self._start(self.without_target(primary, since))
        for inst in self.followers_now():
            if self.unhealthy(inst) and inst.name not in self._repairing and self.repairs:
                since = self._unhealthy_since[inst.name]
                return self.detected_at(inst, since), lambda inst=inst: self._repair_follower(inst)
        return None

    shared_volume = False
    """Aurora: the instances share one volume (a host's storage cannot fail alone)."""
    repairs = True
    """Whether anybody replaces a follower's failed host (not on EC2)."""

    def before_repair(self) -> None:
        """State the controller keeps in step with the hosts (acks, quorum), each wake-up."""

    # -- failover -------------------------------------------------------------------------
    def request_failover(self, source: str) -> None:
        """FailoverDBCluster (or a switchover by hand): to the chosen follower, now."""
        primary = self.with_role("primary")
        if self.in_failover or self.busy:
            self.emit(
                source,
                "action-rejected",
                "failover refused: a failover or a repair is under way",
                fault_kind="reboot-with-failover",
            )
        elif primary is None or primary.state != "available" or self.choose_target() is None:
            self.emit(
                source,
                "action-rejected",
                "failover rejected: no available writer with a follower to promote",
                fault_kind="reboot-with-failover",
            )
        else:
            self._start(self.failover(self.ctx.now, "user", "abrupt"))

    def _failover(self, trigger_s: float, reason: str, mode: str, work: str | None) -> Proc:
        old = self.with_role("primary")
        if mode == "auto" and old is not None and not self.unhealthy(old):
            self.emit("controller", "failover-cancelled", "the writer is healthy again")
            self.busy = False
            self.ctx.changed.fire()
            return
        new = self.choose_target()
        if old is None or new is None:
            self.emit(
                "controller",
                "failover-failed",
                "no follower left to promote",
                rds="0069",
            )
            self.busy = False
            self.ctx.changed.fire()
            return
        self.failovers += 1
        number = self.failovers
        started, completed = self.failover_event_ids(old, new)
        reasons = CLUSTER_FAILOVER_REASONS if self.rds_events else SELF_MANAGED_FAILOVER_REASONS
        self.emit(old.name, "failover-reason", reasons[reason], failover=number)
        self.emit(
            old.name,
            "failover-started",
            f"to {new.name}",
            rds=started,
            failover=number,
            trigger_s=trigger_s,
            cause=reason,
            source_instance=old.name,
            target_instance=new.name,
        )
        self.demote(old, mode)
        new.set(op_state="promoting")
        wait_s = self.promotion_wait_s(new)
        if not (yield from self._wait_unless(wait_s, lambda: self.unhealthy(new))):
            self.emit(
                new.name,
                "failover-failed",
                f"{new.name} failed while being promoted",
                rds="0069",
                failover=number,
            )
            self.busy = False
            self.ctx.changed.fire()
            return
        position = self.surviving_position(new)
        lost_bytes = max(0.0, self.log.committed_at(self.ctx.now) - position)
        self.log.rewind_to(min(position, self.log.committed_at(self.ctx.now)))
        self.log.lineage = new.name
        self._promoted = new.name
        new.set(role="primary", op_state="available")
        self.emit(
            new.name,
            "failover-promoted",
            f"{new.name} opens as the writer",
            failover=number,
            lost_txns=lost_bytes / self.log.bytes_per_txn,
        )
        yield from self.move_endpoint(new)
        self._promoted = None
        self.emit(new.name, "failover-completed", f"to {new.name}", rds=completed, failover=number)
        self.busy = False
        self.last_failover_end_s = self.ctx.now
        self.after_failover(old, mode)
        self.ctx.topology_changed()

    semi_sync = False
    """Commits wait for a follower's acknowledgement of receipt."""

    def surviving_position(self, new: Instance) -> float:
        """Where the new writer's log ends. Asynchronous: what it received (and has applied
        by now); semi-synchronous: everything committed, since a commit returned only once a
        follower had received it (the most advanced follower is chosen)."""
        if self.semi_sync:
            return self.log.committed_at(self.ctx.now)
        return self.log.received_now(new.name)

    def demote(self, old: Instance, mode: str) -> None:
        """The old writer stops being the writer as the failover starts."""
        old.set(role="none", op_state=STOPPED_AS[mode])

    def after_failover(self, old: Instance, mode: str) -> None:
        """The old writer comes back as a follower (its maintenance done, rebooted, or on a
        new host)."""
        self._repairing.add(old.name)
        self.env.process(self._rejoin(old, reboot=mode == "abrupt", work=self._maintenance_work))

    # -- maintenance ----------------------------------------------------------------------
    def maintain(self, work: str, source: str, instance_class: str | None = None) -> None:
        """OS patching or a class change: the followers one at a time, then a failover to
        one of them, then the old writer, which comes back as a follower (with no
        follower, the writer alone, offline)."""
        primary = self.with_role("primary")
        if not self.candidates():
            super().maintain(work, source, instance_class)
            return
        if self.busy or primary is None or primary.op_state != "available":
            self.emit(source, "action-rejected", f"{work} refused: the cluster is busy")
            return
        self._pending_class = instance_class
        self._start(self._maintain_followers(work))

    def _maintain_followers(self, work: str) -> Proc:
        timing = self.t.os_patch if work == PATCHING else self.t.class_change
        writer = self.with_role("primary")
        assert writer is not None
        if work == PATCHING:
            self.emit(writer.name, "maintenance-started", rds="0026")
        else:
            self.emit(writer.name, "modification-started", "applying the new instance class")
        for inst in self.candidates():
            inst.set(op_state=work)
            done = yield from self._wait_unless(timing.sample(self._repair_rng(inst)), _down(inst))
            if done:
                inst.set(op_state=REPLICATING)
                self._work_finished(inst, work)
        reason = "os-patch" if work == PATCHING else "class-change"
        self._maintenance_work = work
        yield from self.failover(self.ctx.now, reason, "planned", work=work)
        self._maintenance_work = None
        writer = self.with_role("primary")
        if writer is not None and writer.name != self.log.lineage:
            return
        self._apply_class()

    _maintenance_work: str | None = None

    def _work_finished(self, inst: Instance, work: str) -> None:
        if work == PATCHING:
            self.emit(inst.name, "maintenance-finished", rds="0027")
        else:
            self.emit(inst.name, "modification-finished", "the new instance class is applied")

    # -- repairs --------------------------------------------------------------------------
    def _repair_follower(self, inst: Instance) -> None:
        self._repairing.add(inst.name)
        self.env.process(self._rejoin(inst, reboot=False))

    def _rejoin(self, inst: Instance, *, reboot: bool, work: str | None = None) -> Proc:
        """Bring ``inst`` back as a follower: it gets its maintenance, waits out a network
        loss or an AZ outage, reboots a busy engine (or after a requested failover), is
        rebuilt on a new host after a host or storage failure; then it catches up from
        where it stopped."""
        if work is not None and inst.healthy:
            inst.set(role="none", op_state=work)
            timing = self.t.os_patch if work == PATCHING else self.t.class_change
            if (
                yield from self._wait_unless(
                    timing.sample(self._repair_rng(inst)), lambda: not inst.healthy
                )
            ):
                self._work_finished(inst, work)
                self._back_as_follower(inst)
                return
        while True:
            if inst.healthy and inst.op_state == "creating":
                # A rebuild cut short by a passing impairment starts over.
                inst.set(role="none", op_state="creating")
                if (yield from self._wait_unless(self._rebuild_s(inst), _down(inst))):
                    self.log.seed_from_snapshot(inst.name, self.log.committed_at(self.ctx.now))
                    break
                continue
            if reboot or (inst.healthy and inst.op_state != REPLICATING):
                inst.set(role="none", op_state="rebooting")
                if (
                    yield from self._wait_unless(
                        self.t.reboot.sample(self._repair_rng(inst)), lambda: not inst.healthy
                    )
                ):
                    break
                reboot = False
                continue
            if inst.healthy:
                break
            if inst.host_up and inst.storage_ok:
                if not inst.responsive:
                    inst.responsive = True  # rebooted: a busy engine answers again
                    reboot = True
                    continue
                yield from self._wait_until(lambda: inst.healthy)  # its network or AZ
                if inst.role == self.follower_role:
                    break
                continue
            yield from self._wait_until(lambda: not self.network.is_dark(inst.az))
            inst.replace_host()
            inst.set(role="none", op_state="creating")
            if (yield from self._wait_unless(self._rebuild_s(inst), lambda: not inst.healthy)):
                # assumption: building it includes catching up with the writer (as a
                # Multi-AZ instance's new standby syncs): it joins at the writer's position.
                self.log.seed_from_snapshot(inst.name, self.log.committed_at(self.ctx.now))
                break
        self._back_as_follower(inst)

    def _back_as_follower(self, inst: Instance) -> None:
        if self.shared_volume:
            # A replica reads the cluster volume: it comes back with today's data, not with
            # what it had cached when it went away.
            self.log.seed_from_snapshot(inst.name, self.log.committed_at(self.ctx.now))
        inst.set(role=self.follower_role, op_state=REPLICATING)
        self._repairing.discard(inst.name)
        self.ctx.changed.fire()
