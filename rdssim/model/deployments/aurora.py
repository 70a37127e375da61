"""What Aurora does for a DB cluster: one cluster volume shared by a writer and up to 15
replicas (AUR:Concepts.AuroraHighAvailability, AUR:Aurora.Replication; docs/calibration.md,
"Deployments").

* The volume keeps six copies of every segment, two in each of three AZs; a write needs 4
  of them, a read 3 (:mod:`rdssim.quorum`). An AZ outage leaves it writable; an AZ and one
  more copy leave it readable but not writable (the writer's commits wait); worse, nothing
  reads. A lost copy is re-created in ``segment_repair`` once its AZ is up.
* Replicas read the same volume: their lag is only their caches' (``aurora_replica_lag``,
  growing with the write rate), and a promotion replays no redo: RPO is 0.
* Failover goes to the replica of the lowest promotion tier, then the largest class, then
  any (drawn from the failover stream); "usually under 60 s, often under 30 s". Without a
  replica the writer is re-created in its own AZ on the same volume ("typically under 10
  minutes").
* Events: Aurora's cluster events (0072/0073 failover started, 0071 completed, 0069
  failed).
"""

from __future__ import annotations

import math

from rdssim.connections import CLASS_MEMORY_GIB
from rdssim.model.deployments.base import Proc
from rdssim.model.deployments.readers import ReaderDeployment
from rdssim.model.instance import COMMITS_WAITING, REPLICATING, Instance
from rdssim.model.replication.followers import FollowParams
from rdssim.quorum import copies_left, volume_state
from rdssim.record import StateChange
from rdssim.scenario.checks_deployments import volume_azs

VOLUME_LANE = "cluster-volume"
"""The volume's lane in the Record (its states: writable, readable, unavailable)."""
VOLUME_UNAVAILABLE = "volume-unavailable"
STATE_TEXT = {
    "writable": "writable",
    "readable": "readable, not writable (commits wait)",
    "unavailable": "neither readable nor writable",
}
"""A replica's state while the volume has no read quorum."""


class AuroraController(ReaderDeployment):
    """An Aurora DB cluster's control plane and its volume."""

    shared_volume = True

    def setup(self) -> None:
        super().setup()
        azs = volume_azs(self.scenario)
        assert azs is not None  # the loader checked
        self.volume_azs = azs
        self.lost_copies: dict[str, int] = {}
        self.volume = "writable"
        self.ctx.record.add(StateChange(0.0, VOLUME_LANE, "volume", "writable"))

    # -- the volume -----------------------------------------------------------------------
    def copies(self) -> int:
        dark = [az for az in self.volume_azs if self.network.is_dark(az)]
        return copies_left(self.volume_azs, dark, self.lost_copies)

    def lose_copy(self, az: str, source: str) -> None:
        """A storage node of ``az`` fails: one copy fewer until it is repaired."""
        self.lost_copies[az] = min(2, self.lost_copies.get(az, 0) + 1)
        self.emit(source, "volume-copy-lost", f"a copy in {az} is lost ({self.copies()} of 6)")
        self.ctx.changed.fire()
        self.env.process(self._repair_copy(az))

    def _repair_copy(self, az: str) -> Proc:
        duration_s = self.t.segment_repair.sample(self.ctx.streams.get("segment-repair"))
        while True:  # re-created in its AZ, once that AZ is up
            yield from self._wait_until(lambda: not self.network.is_dark(az))
            if (yield from self._wait_unless(duration_s, lambda: self.network.is_dark(az))):
                break
        self.lost_copies[az] -= 1
        self.emit(
            VOLUME_LANE, "volume-copy-repaired", f"a copy in {az} is back ({self.copies()} of 6)"
        )
        self.ctx.changed.fire()

    def before_repair(self) -> None:
        """Writes need the write quorum, reads the read quorum."""
        state = volume_state(self.copies())
        if state != self.volume:
            self.emit(
                VOLUME_LANE,
                "volume-" + state,
                f"{self.copies()} of 6 copies answer: {STATE_TEXT[state]}",
            )
            self.ctx.record.add(StateChange(self.ctx.now, VOLUME_LANE, "volume", state))
            self.volume = state
        writer = self.with_role("primary")
        if writer is not None and writer.healthy:
            if writer.op_state == "available" and state != "writable":
                writer.set(op_state=COMMITS_WAITING)
            elif writer.op_state == COMMITS_WAITING and state == "writable":
                writer.set(op_state="available")
        for reader in self.followers_now():
            if reader.op_state == REPLICATING and state == "unavailable":
                reader.set(op_state=VOLUME_UNAVAILABLE)
            elif reader.op_state == VOLUME_UNAVAILABLE and state != "unavailable":
                reader.set(op_state=REPLICATING)

    # -- following: the shared volume -----------------------------------------------------
    def follow_params(self, inst: Instance, writer: Instance | None) -> FollowParams:
        rate = self.log.offered_rate(self.ctx.now)
        lag_s = self.t.aurora_replica_lag_s + self.t.aurora_lag_s_per_kwrites * rate / 1000.0
        return FollowParams(0.0, math.inf, math.inf, apply_delay_s=lag_s)

    def streams_to(self, writer: Instance, inst: Instance) -> bool:
        # Replicas read the volume, not the writer's stream; they see new pages while the
        # writer writes and they run.
        return inst.healthy and writer.healthy

    # -- failover -------------------------------------------------------------------------
    def detection_delay_s(self, inst: Instance) -> float:
        return self.t.aurora_detection.sample(self.rng)

    def candidates(self) -> list[Instance]:
        if self.volume == "unavailable":
            return []
        return [
            i
            for i in self.followers_now()
            if i.healthy and i.op_state in (REPLICATING, VOLUME_UNAVAILABLE)
        ]

    def choose_target(self) -> Instance | None:
        """Lowest promotion tier, then the largest class, then any of those."""
        found = self.candidates()
        if not found:
            return None

        def rank(inst: Instance) -> tuple[int, float]:
            spec = self.specs[inst.name]
            size = CLASS_MEMORY_GIB.get(
                spec.instance_class or self.scenario.deployment.instance_class, 0.0
            )
            return (spec.promotion_tier, -size)

        best = min(rank(i) for i in found)
        tied = [i for i in found if rank(i) == best]
        if len(tied) == 1:
            return tied[0]
        return tied[int(self.ctx.streams.get("aurora-target").integers(len(tied)))]

    def surviving_position(self, new: Instance) -> float:
        return self.log.committed_at(self.ctx.now)  # one volume: nothing is lost

    def promotion_wait_s(self, new: Instance) -> float:
        return self.t.aurora_promotion.sample(self.rng)  # no redo to replay

    def without_target(self, primary: Instance, since_s: float) -> Proc:
        """No replica: the writer is re-created in its AZ on the same volume."""
        self._repairing.add(primary.name)
        self.emit(
            primary.name, "recovery-started", rds="0020", trigger_s=since_s, cause=primary.state
        )
        while True:
            yield from self._wait_until(lambda: not self.network.is_dark(primary.az))
            if (
                primary.host_up
                and primary.reachable
                and primary.storage_ok
                and not primary.responsive
            ):
                duration_s = self.t.reboot.sample(self._repair_rng(primary))
            else:
                duration_s = self.t.aurora_recreate.sample(self._repair_rng(primary))
            primary.replace_host()
            primary.set(op_state="recovering")
            if (yield from self._wait_unless(duration_s, lambda: not primary.healthy)):
                break
        self._open(primary)
        self.emit(primary.name, "recovery-completed", rds="0021", trigger_s=since_s)
        self._repairing.discard(primary.name)
        self.busy = False
        self.ctx.topology_changed()
