"""The probe client: the 1-second "connect and insert" loop used to time real failovers.

Each attempt resolves the writer endpoint through the client's DNS cache, connects to the
address it got, and inserts one row. It is the only per-request traffic in the model
(DESIGN.md principle 1); its history of operations is what "client-observed downtime" is
measured from.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from rdssim.model.context import SimContext
from rdssim.model.dns import DnsCache, Endpoint
from rdssim.model.instance import Instance
from rdssim.model.tcp import REFUSED_AFTER_S
from rdssim.record import Operation, Outcome

if TYPE_CHECKING:
    from rdssim.model.proxy import Proxy
from rdssim.scenario.schema import ProbeSpec


class ProbeClient:
    """Connect, insert, wait ``interval``; repeat until the end of the run."""

    def __init__(
        self,
        ctx: SimContext,
        spec: ProbeSpec,
        endpoint: Endpoint,
        instances: list[Instance],
        proxy: Proxy | None = None,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.endpoint = endpoint
        self.instances = {i.name: i for i in instances}
        self.name = "probe"
        self.proxy = proxy
        target = proxy.endpoint if proxy is not None else endpoint
        self.cache = DnsCache(ctx, target, spec.dns_cache, spec.dns_cache_s)

    def run(self) -> Generator[simpy.Event, Any, None]:
        """Process: one attempt per interval (an attempt that times out delays the next)."""
        env = self.ctx.env
        while True:
            start = self.ctx.now
            yield from self._attempt(start)
            next_start = start + self.spec.interval_s
            if next_start > self.ctx.now:
                yield env.timeout(next_start - self.ctx.now)

    def _attempt(self, start: float) -> Generator[simpy.Event, Any, None]:
        if self.proxy is not None:
            yield from self._through_proxy(start, self.proxy)
            return
        env = self.ctx.env
        address = self.cache.resolve()
        inst = self.instances[address]
        outcome: Outcome
        error: str | None
        if not (inst.host_up and inst.reachable):
            yield env.timeout(self.spec.connect_timeout_s)
            outcome, error = "fail", "connect-timeout"
        elif inst.op_state == "io-suspended":
            # A snapshot suspends I/O: the connection is accepted, the insert hangs.
            yield env.timeout(self.spec.read_timeout_s)
            outcome, error = "unknown", "read-timeout"
        elif inst.role != "primary" or inst.op_state != "available":
            yield env.timeout(REFUSED_AFTER_S)
            outcome, error = "fail", "refused"
        elif not inst.storage_ok:
            # The server accepts the connection but the insert never returns.
            yield env.timeout(self.spec.read_timeout_s)
            outcome, error = "unknown", "read-timeout"
        else:
            yield env.timeout(self.spec.write_latency_s)
            if inst.accepting_writes:
                outcome, error = "ok", None
            else:
                outcome, error = "unknown", "connection-lost"
        self.ctx.record.add(Operation(self.name, start, self.ctx.now, outcome, error, address))

    def _through_proxy(self, start: float, proxy: Proxy) -> Generator[simpy.Event, Any, None]:
        """The proxy always accepts the connection; the insert waits for a writer."""
        env = self.ctx.env
        self.cache.resolve()
        outcome: Outcome = "ok"
        error: str | None = None
        if proxy.writer is None:
            limit_s, limit_error = proxy.wait_limit(self.spec.read_timeout_s)
            yield proxy.writer_found.wait() | env.timeout(limit_s)
            if proxy.writer is None:
                outcome, error = "fail", limit_error
        if error is None:
            yield env.timeout(self.spec.write_latency_s + proxy.spec.latency_s)
            if proxy.writer is None:
                outcome, error = "unknown", "cancelled-in-transaction"
        self.ctx.record.add(Operation(self.name, start, self.ctx.now, outcome, error, proxy.writer))
