"""The read workload on the replicas, as rates (no per-read events: DESIGN.md principle 1).

Reads go to one replica, or through a reader endpoint that spreads them evenly over the
replicas answering reads (assumption: an application-side reader endpoint, e.g. Route 53
weighted records, that drops a replica as soon as it stops answering). On a DB cluster
(Multi-AZ DB cluster, Aurora) the readers are members too, as on RDS's reader endpoint;
a reader promoted in a failover stays one until the failover completes (its DNS record is
updated with the writer's), so reads briefly reach the new writer
(RDS:multi-az-db-clusters-concepts). The rate offered to
each replica is recorded as a step series; whether a read is answered, and how stale it is,
is measured from the Record (rdssim.replica_metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rdssim.lag import SERVING_STATES
from rdssim.model.context import SimContext
from rdssim.model.instance import ABSENT, Instance
from rdssim.model.replicas import ReplicaSet
from rdssim.record import reads_series, ryw_reads_series
from rdssim.scenario.checks_replicas import READER_ENDPOINT
from rdssim.scenario.schema import ReadSpec


class ReadRouter:
    """Routes the read rate to replicas whenever their states change."""

    def __init__(
        self,
        ctx: SimContext,
        spec: ReadSpec,
        replicas: ReplicaSet,
        readers: Callable[[], list[Instance]] | None = None,
        names: Sequence[str] = (),
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.replicas = replicas
        self.readers = readers
        """The DB cluster's reader endpoint members now (none on other types)."""
        self.names = [*names, *replicas.replicas]
        self._rates: dict[str, float] = {}
        replicas.on_update(self.route)
        self.route()

    def _shares(self) -> dict[str, float]:
        if self.spec.target != READER_ENDPOINT:
            return {self.spec.target: 1.0}
        members = [
            (r.name, r.state)
            for r in self.replicas.replicas.values()
            if r.op_state != ABSENT and not r.detached
        ]
        if self.readers is not None:
            members = [(i.name, i.state) for i in self.readers()] + members
        serving = [name for name, state in members if state in SERVING_STATES]
        # Nobody answers: the endpoint still names the members, and the reads fail there.
        chosen = serving or [name for name, _ in members]
        return {name: 1.0 / len(chosen) for name in chosen}

    def route(self) -> None:
        shares = self._shares()
        for name in self.names:
            rate = self.spec.reads_per_s * shares.get(name, 0.0)
            old = self._rates.get(name)
            if old == rate:
                continue
            self._put(name, old, rate)
            self._rates[name] = rate

    def _put(self, replica: str, old: float | None, new: float) -> None:
        """Both step series of one replica: all reads, and the read-your-writes share."""
        share = self.spec.read_your_writes
        record, now = self.ctx.record, self.ctx.now
        record.add_step(now, reads_series(replica), old, new)
        record.add_step(
            now, ryw_reads_series(replica), None if old is None else old * share, new * share
        )

    def finish(self) -> None:
        """Close the series at the end of the run."""
        for name, rate in self._rates.items():
            self._put(name, None, rate)
