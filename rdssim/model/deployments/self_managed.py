"""The database on EC2 instances you run: replication as configured, no control plane
(docs/calibration.md, "Self-managed"; Patroni's documented knobs).

* No RDS events, no automatic repair of a host, no DNS flip unless the HA manager moves a
  DNS name (``ha.endpoint: dns``); read replicas are stranded until re-pointed.
* ``ha.manager: manual``: a person. The failure raises an alarm (``oncall_alert``), the
  person on call responds (``oncall_response``), promotes the most advanced standby
  (``manual_promotion``) and reconfigures the application (``app_reconfigure``).
* ``ha.manager: patroni``: the leader holds a lease in a consensus store, renewed every
  ``loop_wait``; it lapses ``ttl`` after the last renewal, and the standbys notice at their
  next loop. A standby further behind than ``maximum_lag_on_failover`` bytes is not
  promoted: with none left, there is no failover (the refusal is in the event log).
* Fencing: an old primary cut off from its peers (a ``partition``) demotes itself when its
  lease lapses (Patroni) or is shut down by the person promoting. Without fencing it keeps
  accepting the writes that reach it: two writers, and what it accepts after the promotion
  is lost (``split_brain_txns``) when it rejoins.
"""

from __future__ import annotations

import math

from rdssim.model.deployments.base import Proc
from rdssim.model.deployments.readers import ReaderDeployment
from rdssim.model.instance import REPLICATING, Instance

DEMOTED = "read-only"
"""A fenced old primary: up, refusing writes."""


class SelfManagedController(ReaderDeployment):
    """The HA manager (or the person on call) of a self-managed deployment."""

    follower_role = "standby"
    rds_events = False
    repairs = False

    def setup(self) -> None:
        super().setup()
        self.ha = self.scenario.deployment.ha
        self.semi_sync = self.ha.replication == "semi-sync"
        self.patroni = self.ha.manager == "patroni"
        streams = self.ctx.streams.get("ha-loops")
        self._leader_phase_s = float(streams.uniform(0.0, self.ha.loop_wait_s))
        self._replica_phase_s = float(streams.uniform(0.0, self.ha.loop_wait_s))
        self._refused: set[float] = set()
        endpoint = self.endpoint
        self.log.route = lambda: endpoint.target

    # -- who is the writer ----------------------------------------------------------------
    def with_role(self, role: str) -> Instance | None:
        if role == "primary" and self.log.lineage is not None:
            lineage = self.instance(self.log.lineage)
            if lineage.role == "primary":
                return lineage
        return super().with_role(role)

    def unhealthy(self, inst: Instance) -> bool:
        """What the HA manager (or the monitoring) sees: down, or cut off from it."""
        return not inst.healthy or inst.partitioned

    # -- noticing -------------------------------------------------------------------------
    def lease_expiry_s(self, since_s: float) -> float:
        """The leader's lease lapses ``ttl`` after its last renewal before ``since_s``."""
        loop = self.ha.loop_wait_s
        last = self._leader_phase_s + math.floor((since_s - self._leader_phase_s) / loop) * loop
        return max(0.0, last) + self.ha.ttl_s

    def detection_delay_s(self, inst: Instance) -> float:
        since = self._unhealthy_since[inst.name]
        if not self.patroni:
            return self.t.oncall_alert.sample(self.rng) + self.t.oncall_response.sample(self.rng)
        expiry = self.lease_expiry_s(since)
        loop = self.ha.loop_wait_s
        k = math.ceil((expiry - self._replica_phase_s) / loop)
        return self._replica_phase_s + k * loop - since

    def before_repair(self) -> None:
        """Fencing at the lease's end; an unfenced old primary rejoins once it sees the
        new leader (the partition is over)."""
        for inst in self.instances:
            if (
                self.patroni
                and inst.role == "none"
                and inst.op_state == DEMOTED
                and not self.unhealthy(inst)
            ):
                inst.set(role="standby", op_state=REPLICATING)  # rewound: a standby again
                self.emit(inst.name, "rejoined", f"{inst.name} rejoins as a standby")
                continue
            if inst.role != "primary":
                continue
            lineage = self.log.lineage
            if lineage is not None and inst.name != lineage and not inst.partitioned:
                self._rejoin_old(inst)
            elif (
                self.patroni
                and self.ha.fencing
                and inst.partitioned
                and inst.op_state == "available"
                and inst.name in self._unhealthy_since
            ):
                expiry = self.lease_expiry_s(self._unhealthy_since[inst.name])
                if self.ctx.now >= expiry:
                    inst.set(op_state=DEMOTED)
                    self.emit(inst.name, "demoted", "lost the leader lease: read-only")
                else:
                    self.wake_at(expiry)

    def _rejoin_old(self, inst: Instance) -> None:
        lost = self.log.diverged_now(inst.name)
        inst.set(role="standby", op_state=REPLICATING)
        self.emit(
            inst.name,
            "rejoined",
            f"{inst.name} sees the new leader and rejoins as a standby; the writes it took "
            "meanwhile are discarded",
            lost_txns=lost / self.log.bytes_per_txn,
        )

    # -- failover -------------------------------------------------------------------------
    def candidates(self) -> list[Instance]:
        found = super().candidates()
        if not self.patroni:
            return found
        reference = self.leader_position()
        limit = self.ha.maximum_lag_on_failover_bytes
        return [i for i in found if reference - self.log.received_now(i.name) <= limit]

    def leader_position(self) -> float:
        """The leader's last position in the consensus store (its optime, written at each
        renewal): what a standby's lag is measured against once the leader is gone."""
        primary = self.with_role("primary")
        if primary is None or primary.name not in self._unhealthy_since:
            return self.log.committed_at(self.ctx.now)
        since = self._unhealthy_since[primary.name]
        last_renewal_s = self.lease_expiry_s(since) - self.ha.ttl_s
        return self.log.committed_at(min(self.ctx.now, last_renewal_s))

    def promotion_wait_s(self, new: Instance) -> float:
        # It applies what it received before it opens.
        backlog = self.log.received_now(new.name) - self.log.applied_now(new.name)
        apply_s = max(0.0, backlog) / (
            self.specs[new.name].apply_writes_per_s * self.log.bytes_per_txn
        )
        timing = self.t.patroni_promotion if self.patroni else self.t.manual_promotion
        return apply_s + timing.sample(self.rng)

    def demote(self, old: Instance, mode: str) -> None:
        if old.partitioned and not self.ha.fencing and old.healthy:
            return  # nobody stops it: it keeps taking the writes that reach it
        if old.op_state == DEMOTED or not old.healthy:
            old.set(role="none", op_state="stopped" if not old.healthy else DEMOTED)
            return
        super().demote(old, mode)

    def move_endpoint(self, new: Instance) -> Proc:
        if not self.patroni:
            # The person reconfigures the application.
            yield self.env.timeout(self.t.app_reconfigure.sample(self.rng))
            yield from self.endpoint.repoint(new.name, 0.0)
        elif self.ha.endpoint == "dns":
            yield from self.endpoint.repoint(new.name, self.t.dns_propagation.sample(self.rng))

    def after_failover(self, old: Instance, mode: str) -> None:
        """Nobody rebuilds the old primary: a fenced one that is reachable again rejoins
        as a standby (Patroni rewinds it); a failed host stays down."""
        # before_repair lets a fenced one rejoin once it reaches its peers again.

    def without_target(self, primary: Instance, since_s: float) -> Proc:
        """No standby may be promoted: say why, and wait for the primary to come back."""
        standbys = [i for i in self.followers_now() if i.healthy and not i.partitioned]
        if since_s not in self._refused:
            self._refused.add(since_s)
            if standbys and self.patroni:
                reference = self.leader_position()
                behind = ", ".join(
                    f"{i.name} {reference - self.log.received_now(i.name):.0f} B behind"
                    for i in standbys
                )
                message = (
                    f"no failover: every standby is further behind than "
                    f"maximum_lag_on_failover ({self.ha.maximum_lag_on_failover_bytes} B): {behind}"
                )
            else:
                message = "no failover: no standby to promote"
            self.emit("ha", "failover-refused", message, trigger_s=since_s)
        yield from self._wait_until(lambda: not self.unhealthy(primary) or bool(self.candidates()))
        if primary.op_state == DEMOTED and not self.unhealthy(primary):
            primary.set(op_state="available")  # it takes the lease again
        self.busy = False
        self.ctx.changed.fire()
