"""The read replicas of a deployment: how they follow their sources, break and resume.

At every change (a workload phase, a topology change, a replica's own transition) the set
re-derives each replica's state from its source's, then recomputes every replica's fluid
positions from now, sources before their replicas, and schedules one event per replica: the
instant it catches up, or falls behind. Nothing is polled.

What a replica does when its Multi-AZ source fails over is the engine's rule
(:mod:`rdssim.engines`): ``switch`` and ``resync`` reconnect to the new primary after the
engine's retry delay, ``restart`` restarts first. Self-managed replication never re-points
itself: the replica is *stranded* until a repoint action.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from rdssim.engines import replica_rules, topology_problems
from rdssim.fluid import Curve, divergence_time_s, rejoin_time_s
from rdssim.model.context import SimContext
from rdssim.model.deployments.base import Deployment
from rdssim.model.instance import ABSENT, STALLED, Instance
from rdssim.model.links import link_between
from rdssim.model.network import Network
from rdssim.model.replica import APPLYING, RUNNING, SERVES_LOG, Replica
from rdssim.model.writelog import WriteLog
from rdssim.record import DETACHED, PROMOTION_STARTED
from rdssim.scenario.schema import Scenario

Proc = Generator[simpy.Event, Any, Any]

# Within a byte of its source (as the link delays it) a replica is caught up: far below one
# transaction, far above the rounding of positions in the hundreds of gigabytes.
CAUGHT_UP_BYTES = 1.0


class ReplicaSet:
    """Every read replica of the run, and the rules they follow."""

    def __init__(
        self,
        ctx: SimContext,
        network: Network,
        log: WriteLog,
        controller: Deployment,
        scenario: Scenario,
    ) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.network = network
        self.log = log
        self.controller = controller
        self.t = scenario.timings
        self.rules = replica_rules(scenario.engine, scenario.version)
        self.self_managed = (
            scenario.deployment.replication == "self-managed"
            or scenario.deployment.type == "self-managed-ec2"
        )
        # A MySQL replica retries its source every MASTER_CONNECT_RETRY; PostgreSQL's
        # walreceiver every wal_retrieve_retry_interval (docs/calibration.md).
        self.retry = (
            self.t.replica_resync if scenario.engine == "postgres" else self.t.replica_reconnect
        )
        later = {a.target for a in scenario.actions if a.kind == "create-replica"}
        bytes_per_txn = scenario.workload.bytes_per_txn
        self.replicas: dict[str, Replica] = {}
        for spec in scenario.deployment.replicas:
            replica = Replica(ctx, network, spec, exists=spec.name not in later)
            replica.apply_bps = spec.apply_writes_per_s * bytes_per_txn
            self.replicas[spec.name] = replica
        self._updating = False
        self._dirty = False
        self._on_update: list[Callable[[], None]] = []
        for replica in self.replicas.values():
            if replica.op_state != ABSENT:
                self._attach(replica)
                replica.host.sync()
        log.watch(self.update)

    @property
    def hosts(self) -> list[Instance]:
        """The replicas' hosts, for faults."""
        return [r.host for r in self.replicas.values()]

    def rng(self, replica: Replica) -> np.random.Generator:
        return self.ctx.streams.get(f"replica:{replica.name}")

    def emit(self, replica: Replica, kind: str, message: str, rds: str | None = None) -> None:
        # RDS emits RDS-EVENTs; hand-built replication on EC2 has nobody to emit them.
        rds_id = None if self.self_managed else rds
        self.ctx.emit(replica.name, kind, message, rds=rds_id, replica=replica.name)

    # -- sources ----------------------------------------------------------------------------
    def writer(self) -> Instance | None:
        """The primary host, if it can stream its log and the endpoint names it.

        Replicas reach their source through its endpoint (assumption: RDS re-points its
        replicas the same way clients find the new primary, after the DNS flip).
        """
        primary = self.controller.with_role("primary")
        if primary is None or not primary.healthy:
            return None
        if primary.op_state not in ("available", *STALLED):
            return None
        return primary if self.controller.endpoint.target == primary.name else None

    def upstream_ok(self, replica: Replica) -> bool:
        """Whether the replica's current source is there to stream from."""
        if replica.source == "primary":
            writer = self.writer()
            return writer is not None and writer.name == replica.attached_to
        source = self.replicas[replica.source]
        return source.host.healthy and source.op_state in SERVES_LOG

    def _attach(self, replica: Replica) -> None:
        """Point the replica's stream at its source as it is now (new link, same position).

        Self-managed replication names a host: it attaches only to the host it was configured
        with (or, after a repoint, to whichever host is the primary then).
        """
        if replica.source == "primary":
            writer = self.writer()
            if writer is None:
                return
            if self.self_managed and replica.attached_to not in (None, writer.name):
                return
            replica.attached_to, source_az = writer.name, writer.az
        else:
            source = self.replicas[replica.source]
            replica.attached_to, source_az = source.name, source.spec.az
        replica.link = link_between(
            source_az, replica.spec.az, replica.spec.link, self.ctx.scenario.region_of
        )

    def depth(self, replica: Replica) -> int:
        """How many replicas stand between ``replica`` and the primary (0: fed by it)."""
        depth = 0
        while replica.source != "primary":
            replica = self.replicas[replica.source]
            depth += 1
            if depth > len(self.replicas):  # pragma: no cover - a bug: repoint refuses cycles
                raise RuntimeError(f"replication cycle through {replica.name}")
        return depth

    def descendants(self, replica: Replica) -> list[Replica]:
        found = [r for r in self.replicas.values() if r.source == replica.name]
        for child in list(found):
            found += self.descendants(child)
        return found

    # -- the update -------------------------------------------------------------------------
    def update(self) -> None:
        """React to whatever changed, then recompute every replica's positions from now."""
        if self._updating:
            self._dirty = True  # a state change made while updating: go round again
            return
        if not self.replicas:
            for callback in self._on_update:
                callback()
            return
        self._updating = True
        try:
            for _ in range(100):
                self._dirty = False
                for replica in self._in_order():
                    self._react(replica)
                ordered = self._in_order()
                if ordered:  # the curve once per pass, for every replica of the primary
                    committed = self.log.curve()
                    for replica in ordered:
                        self._recompute(replica, committed)
                if not self._dirty:
                    break
            else:  # pragma: no cover - a bug, not an input: the rules must settle
                raise RuntimeError("replica states did not settle")
        finally:
            self._updating = False
        for callback in self._on_update:
            callback()

    def on_update(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every update (the read router follows the states)."""
        self._on_update.append(callback)

    def _in_order(self) -> list[Replica]:
        existing = [r for r in self.replicas.values() if r.op_state != ABSENT]
        return sorted(existing, key=self.depth)

    def _react(self, replica: Replica) -> None:
        """Instant transitions: replication breaks, or the way to resume it is chosen."""
        state = replica.op_state
        if replica.busy or state not in APPLYING:
            return
        if not replica.host.healthy:
            if state in RUNNING:
                self._stop(replica, f"replication stopped: {replica.name} is {replica.state}")
            lost_host = not (replica.host.host_up and replica.host.storage_ok)
            if lost_host and not self.self_managed:  # nobody repairs a hand-built replica
                self._start(replica, self._repair(replica))
            return
        if state in RUNNING:
            if not self.upstream_ok(replica):
                self._stop(replica, f"replication stopped: cannot reach {replica.attached_to}")
            return
        if state == "stranded":
            return
        # reconnecting: how does it get going again?
        if self.upstream_ok(replica):
            self._start(replica, self._resume(replica, self.retry.sample(self.rng(replica))))
            return
        writer = self.writer()
        if replica.source != "primary" or writer is None:
            return  # wait for the source to come back
        if replica.attached_to is None:  # re-pointed at the primary while there was none
            self._start(replica, self._resume(replica, 0.0))
            return
        # The writer is another host now: the source failed over.
        if self.self_managed:
            replica.set(op_state="stranded")
            self.emit(
                replica,
                "replica-stranded",
                f"{replica.name} keeps retrying {replica.attached_to}, which is no longer the "
                f"primary ({writer.name} is): an operator must re-point it",
            )
        elif self.rules.on_source_failover == "restart":
            self._start(replica, self._restart(replica))
        else:  # switch (MySQL, MariaDB) or resync (PostgreSQL 13+): at the next retry
            self._start(replica, self._resume(replica, self.retry.sample(self.rng(replica))))

    def _stop(self, replica: Replica, message: str) -> None:
        replica.set(op_state="reconnecting")
        self.emit(replica, "replication-stopped", message, rds="0045")

    def _start(self, replica: Replica, process: Proc) -> None:
        replica.busy = True
        self.env.process(process)

    def _recompute(self, replica: Replica, committed: Curve) -> None:
        state = replica.op_state
        healthy = replica.host.healthy
        running = healthy and state in RUNNING and self.upstream_ok(replica)
        applying = healthy and state in APPLYING
        # A recompute depends on these alone: while they hold, the last prediction does too
        # (a change elsewhere costs this replica nothing).
        source = self.log.version if replica.source == "primary" else None
        if replica.source != "primary":
            source = self.replicas[replica.source].token
        link = (replica.link.latency_s, replica.link.bandwidth_bps) if replica.link else None
        inputs = (state, running, applying, replica.source, replica.attached_to, link, source)
        if inputs == replica.inputs:
            return
        replica.inputs = inputs
        target = None
        if running:
            target = (
                committed if replica.source == "primary" else self.replicas[replica.source].applied
            )
        shifted = replica.recompute(target, applying=applying)
        if running and shifted is None and target is not None and replica.link is not None:
            # Ahead of its source (its log was rewound): look again once the source passes.
            ahead = target.shifted(replica.link.latency_s)
            passed = ahead.latest_time_at_or_below(replica.received_now(), math.inf)
            if math.isfinite(passed):
                self.env.process(self._recheck_at(replica, passed, replica.token))
        if not running or shifted is None:
            return
        # Catching up means behind the source (as the link delays it) or falling behind now.
        now = self.ctx.now
        behind_from = divergence_time_s(shifted, replica.applied, now, CAUGHT_UP_BYTES)
        if state == "catching-up":
            when = now if behind_from is None or behind_from > now else None
            if when is None:
                when = rejoin_time_s(shifted, replica.applied, now, CAUGHT_UP_BYTES)
            next_state = "replicating"
        else:
            when, next_state = behind_from, "catching-up"
        if when is None:
            return
        if when <= now:
            self._transition(replica, next_state)
        else:
            self.env.process(self._at(replica, when, replica.token, next_state))

    def _recheck_at(self, replica: Replica, when_s: float, token: int) -> Proc:
        yield self.env.timeout(max(0.0, when_s - self.ctx.now))
        if replica.token == token:
            replica.inputs = None
            self.update()

    def _at(self, replica: Replica, when_s: float, token: int, state: str) -> Proc:
        yield self.env.timeout(when_s - self.ctx.now)
        if replica.token == token:  # nothing changed since it was scheduled
            self._transition(replica, state)

    def _transition(self, replica: Replica, state: str) -> None:
        if state == "replicating":
            self.ctx.emit(replica.name, "replica-caught-up", f"{replica.name} caught up")
        replica.set(op_state=state)

    # -- processes ----------------------------------------------------------------------------
    def _resume(self, replica: Replica, delay_s: float) -> Proc:
        """Reconnect after ``delay_s`` to whatever the source is then."""
        yield self.env.timeout(delay_s)
        replica.busy = False
        if replica.op_state == "reconnecting" and replica.host.healthy:
            self._attach(replica)
            if self.upstream_ok(replica):
                replica.set(op_state="catching-up")
                source = replica.attached_to
                self.emit(replica, "replication-resumed", f"replicating from {source}", "0046")
                return
        self.update()  # not possible now: decide again

    def _restart(self, replica: Replica) -> Proc:
        """PostgreSQL <= 12: the replica restarts before it follows the new primary."""
        replica.set(op_state="restarting")
        self.emit(
            replica, "replica-restarting", f"{replica.name} restarts to follow the new primary"
        )
        yield self.env.timeout(self.t.replica_restart.sample(self.rng(replica)))
        replica.set(op_state="reconnecting")
        yield from self._resume(replica, 0.0)

    def _repair(self, replica: Replica) -> Proc:
        """RDS replaces a replica's failed host; a lost volume means a new snapshot."""
        host = replica.host
        since = self.ctx.now
        due = self.controller.detection_due_s(since)
        yield self.env.timeout(max(0.0, due - self.ctx.now))
        lost_volume = not host.storage_ok
        # A host is replaced once its AZ is back; a lost volume also needs a source to
        # snapshot (not one that is down, or being restored itself).
        while self.network.is_dark(host.az) or (lost_volume and not self._can_snapshot(replica)):
            yield self.ctx.changed.wait()
        host.replace_host()
        # A lost volume is re-created from a snapshot of the source taken now.
        snapshot = max(self._snapshot_position(replica), replica.applied_now())
        replica.set(op_state="creating" if lost_volume else "recovering")
        duration = self.t.replica_create if lost_volume else self.t.host_replacement
        yield self.env.timeout(duration.sample(self.rng(replica)))
        if lost_volume:
            replica.start_at(snapshot)
        replica.set(op_state="reconnecting")
        replica.busy = False
        self.update()

    def _can_snapshot(self, replica: Replica) -> bool:
        if replica.source == "primary":
            return self.writer() is not None
        return self.upstream_ok(replica)

    def _snapshot_position(self, replica: Replica) -> float:
        if replica.source == "primary":
            return self.log.committed_at(self.ctx.now)
        return self.replicas[replica.source].applied_now()

    # -- actions -------------------------------------------------------------------------------
    def promote(self, name: str, source: str) -> None:
        """PromoteReadReplica: replication stops now; a standalone instance minutes later."""
        replica = self.replicas[name]
        if (
            replica.op_state in (ABSENT, "promoting", "available")
            or replica.detached
            or not replica.host.healthy
        ):
            self._reject(source, f"{name} cannot be promoted while {replica.op_state}")
            return
        now = self.ctx.now
        applied = replica.applied_now()
        committed = self.log.curve()
        lost_bytes = max(0.0, committed.value_at(now) - applied)
        lost_s = max(0.0, now - committed.latest_time_at_or_below(applied, now))
        self.ctx.emit(
            name,
            PROMOTION_STARTED,
            f"promoting {name}: {lost_s:.1f} s of writes not applied are lost",
            replica=name,
            lost_txns=lost_bytes / self.log.bytes_per_txn,
            lost_s=lost_s,
        )
        self.emit(replica, "replication-terminated", "replication terminated", "0057")
        for detached in [replica, *self.descendants(replica)]:
            detached.detached = True
            self.ctx.emit(detached.name, DETACHED, "leaves the primary's lineage")
        replica.busy = True
        replica.set(op_state="promoting")
        self.env.process(self._promote(replica))

    def _promote(self, replica: Replica) -> Proc:
        yield self.env.timeout(self.t.replica_promotion.sample(self.rng(replica)))
        replica.busy = False
        replica.set(role="standalone", op_state="available")
        self.ctx.emit(replica.name, "replica-promoted", f"{replica.name} is a standalone instance")

    def repoint(self, name: str, new_source: str, source: str) -> None:
        """Re-point a replica at ``new_source`` (CHANGE REPLICATION SOURCE, primary_conninfo)."""
        replica = self.replicas[name]
        if replica.op_state not in APPLYING or replica.busy or replica.detached:
            self._reject(source, f"{name} cannot be re-pointed while {replica.op_state}")
            return
        refusal = self._repoint_refusal(replica, new_source)
        if refusal is not None:
            self._reject(source, refusal)
            return
        replica.source = new_source
        replica.attached_to = None
        replica.busy = True  # before the state change, so the update leaves it to _repoint
        if replica.op_state != "reconnecting":
            replica.set(op_state="reconnecting")
        self.env.process(self._repoint(replica))

    def _repoint_refusal(self, replica: Replica, new_source: str) -> str | None:
        """Why re-pointing ``replica`` at ``new_source`` must be refused now, if it must.

        The scenario's checks follow its re-points in time order, but a re-point refused at
        run time (the replica was busy) leaves the topology other than they assumed: a later
        one could close a cycle (a replica fed by its own descendant) or pass the engine's
        limits. RDS refuses those; so does the simulation, by the checks' own rules.
        """
        sources = {r.name: r.source for r in self.replicas.values()}
        sources[replica.name] = new_source
        scenario = self.ctx.scenario
        found = topology_problems(self.rules, sources, f"{scenario.engine} {scenario.version}")
        if not found:
            return None
        return f"{replica.name} cannot replicate from {new_source}: {found[0][0]}"

    def _repoint(self, replica: Replica) -> Proc:
        yield self.env.timeout(self.t.replica_repoint.sample(self.rng(replica)))
        self.ctx.emit(
            replica.name,
            "replica-repointed",
            f"{replica.name} now replicates from {replica.source}",
            replica=replica.name,
            new_source=replica.source,
        )
        yield from self._resume(replica, 0.0)

    def create(self, name: str, source: str, single_az_source: bool) -> None:
        """CreateDBInstanceReadReplica: snapshot the source, restore it, start replicating."""
        replica = self.replicas[name]
        if replica.op_state != ABSENT:
            self._reject(source, f"{name} exists already")
            return
        self.env.process(self._create(replica, single_az_source))

    def _create(self, replica: Replica, single_az_source: bool) -> Proc:
        replica.busy = True
        replica.start_at(self._snapshot_position(replica))
        replica.set(op_state="creating")
        self.ctx.emit(replica.name, "replica-creation-started", f"creating {replica.name}")
        writer = self.writer() if replica.source == "primary" else None
        if writer is not None and single_az_source:
            # The snapshot of a Single-AZ source suspends its I/O (a Multi-AZ source
            # snapshots its standby instead).
            writer.set(op_state="io-suspended")
            self.ctx.emit(writer.name, "io-suspended", "I/O suspended for the snapshot")
            yield self.env.timeout(self.t.snapshot_io_suspension.sample(self.rng(replica)))
            if writer.op_state == "io-suspended":
                writer.set(op_state="available")
                self.ctx.emit(writer.name, "io-resumed", "I/O resumed")
        yield self.env.timeout(self.t.replica_create.sample(self.rng(replica)))
        replica.set(op_state="reconnecting")
        yield from self._resume(replica, 0.0)

    def _reject(self, source: str, message: str) -> None:
        self.ctx.emit(source, "action-rejected", message)

    def finish(self) -> None:
        """Write every replica's positions up to the end of the run."""
        for replica in self.replicas.values():
            if replica.op_state != ABSENT:
                replica.flush(self.ctx.now)
