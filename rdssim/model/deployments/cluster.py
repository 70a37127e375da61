"""What RDS does for a Multi-AZ DB cluster: a writer and two readable readers in three AZs
(RDS:multi-az-db-clusters-concepts; docs/calibration.md, "Deployments").

* Semi-synchronous commit: a commit waits for the first of the two readers to acknowledge
  that it *received* the log (not applied it), so commits follow the nearer reader and a
  reader may serve stale reads. With one reader down commits go on; with both down they
  wait (the writer's state ``commits-waiting``: inserts hang, connections stay).
* Readers apply asynchronously at their apply capacity. Flow control: once a reader's apply
  lag passes its target (``cluster_flow_control_lag``: MySQL's
  rpl_semi_sync_master_target_apply_lag, 120 s; PostgreSQL's
  flow_control.target_standby_apply_lag, 2 min) commits are delayed until that reader is
  back at the target and then throttled to what it keeps up with, so its lag stays at the
  target (the fluid limit of a controller that delays commits while the lag is above it).
* Failover promotes the reader with the most recent change record (the most received) and
  completes once outstanding transactions are applied: MySQL waits for both readers,
  PostgreSQL for the less lagged one; then the promotion itself and the DNS flip of the
  writer (cluster) endpoint. RPO is 0 while one reader acknowledged.
* Without a reader to promote, the writer is recovered in place, as a DB instance is.
"""

from __future__ import annotations

import math

from rdssim.fluid import lag_s
from rdssim.model.deployments.readers import ReaderDeployment
from rdssim.model.instance import COMMITS_WAITING, Instance


class ClusterController(ReaderDeployment):
    """A Multi-AZ DB cluster's control plane."""

    semi_sync = True
    _throttled_by: str | None = None
    _held_until_s = 0.0
    """Flow control holds commits until then, and throttles them from then on."""

    def detection_delay_s(self, inst: Instance) -> float:
        return self.t.cluster_detection.sample(self.rng)

    def promotion_wait_s(self, new: Instance) -> float:
        """Apply what was received (MySQL: both readers; PostgreSQL: the less lagged one),
        then promote."""
        waits = [
            self._apply_backlog_s(r)
            for r in self.followers_now()
            if r.healthy and (r is new or self.scenario.engine == "mysql")
        ]
        if self.scenario.engine == "mysql":
            apply_s = max(waits, default=0.0)
        else:
            apply_s = min(waits, default=0.0)
        return apply_s + self.t.cluster_promotion.sample(self.rng)

    def _apply_backlog_s(self, inst: Instance) -> float:
        backlog = self.log.received_now(inst.name) - self.log.applied_now(inst.name)
        return max(0.0, backlog) / self._apply_bps(inst)

    # -- semi-synchronous commit and flow control -----------------------------------------
    def before_repair(self) -> None:
        writer = self.with_role("primary")
        if writer is None:
            return
        ackers = [r for r in self.followers_now() if self.streams_to(writer, r)]
        # A commit waits for the nearer reader's acknowledgement: one round trip.
        rtt = min((2 * self.link(writer, r).latency_s for r in ackers), default=0.0)
        self.ctx.commit_latency_s = rtt
        if writer.op_state == "available" and not ackers and writer.healthy:
            writer.set(op_state=COMMITS_WAITING)
            self.emit(writer.name, "commits-waiting", "no reader acknowledges: commits wait")
        elif writer.op_state == COMMITS_WAITING and ackers:
            writer.set(op_state="available")
            self.emit(writer.name, "commits-resumed", f"{ackers[0].name} acknowledges again")
        self._flow_control(writer)

    def _flow_control(self, writer: Instance) -> None:
        """Throttle commits to the apply rate of a reader whose apply lag reached the
        target, while the application offers more than it applies; else schedule the
        instant the next reader's lag will reach it."""
        now = self.ctx.now
        offered_bps = self.log.offered_rate(now) * self.log.bytes_per_txn
        throttled = self._throttled_by
        if throttled is not None:
            reader = self.instance(throttled)
            apply_bps = self._keeps_up_bps(writer, reader)
            still = reader.role == self.follower_role and self.streams_to(writer, reader)
            if still and offered_bps > apply_bps:
                if now >= self._held_until_s and self.log.max_commit_bps != apply_bps:
                    self.log.max_commit_bps = apply_bps
                    self.log.update()
                return
            self._throttled_by = None
            self.log.max_commit_bps = math.inf
            self.emit(writer.name, "flow-control-released", "commits are no longer throttled")
            self.log.update()
        target_s = self.t.cluster_flow_control_lag_s
        committed = self.log.curve()
        soonest = math.inf
        for reader in self.followers_now():
            follower = self.followers.active.get(reader.name)
            if follower is None or not self.streams_to(writer, reader):
                continue
            apply_bps = self._keeps_up_bps(writer, reader)
            write_bps = committed.slope_at(now)
            if write_bps <= apply_bps:
                continue
            lag = float(lag_s(committed, follower.applied, now))
            if lag >= target_s - 1e-6:
                # What is committed already must be applied at ``apply``, so the lag goes on
                # growing until it is; commits held until the reader is ``target`` short of
                # the present position, then at ``apply``, are each applied ``target`` later.
                behind = self.log.committed_at(now) - follower.applied_now()
                hold_s = max(0.0, behind / apply_bps - target_s)
                self._throttled_by = reader.name
                self._held_until_s = now + hold_s
                self.log.max_commit_bps = 0.0 if hold_s > 0.0 else apply_bps
                self.emit(
                    writer.name,
                    "flow-control",
                    f"{reader.name}'s apply lag reached {target_s:g} s: commits held "
                    f"{hold_s:.1f} s, then throttled to "
                    f"{apply_bps / self.log.bytes_per_txn:g} per second",
                    reader=reader.name,
                    hold_s=hold_s,
                )
                self.log.update()
                if hold_s > 0.0:
                    self.wake_at(self._held_until_s)
                return
            # Behind at ``apply`` while the log grows at ``write``: the lag grows at
            # 1 - apply / write seconds per second.
            soonest = min(soonest, now + (target_s - lag) / (1.0 - apply_bps / write_bps))
        if math.isfinite(soonest):
            self.wake_at(soonest)

    def _keeps_up_bps(self, writer: Instance, reader: Instance) -> float:
        """The write rate a reader keeps up with: its apply rate, or its link's if slower."""
        return min(self._apply_bps(reader), self.link(writer, reader).bandwidth_bps)

    def _apply_bps(self, reader: Instance) -> float:
        return self.specs[reader.name].apply_writes_per_s * self.log.bytes_per_txn
