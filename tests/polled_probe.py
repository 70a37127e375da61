"""The probe as it was before it was solved: one SimPy step per attempt (a reference).

rdssim.model.probe solves stretches of identical attempts instead of polling them; the
tests run this polled loop beside it, on the same environment, and compare the attempts
one by one. It appends Operations to its own list, not to the Record, and counts its DNS
lookups on its own cache, so the model and the solved probe are untouched by it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from rdssim.model.context import SimContext
from rdssim.model.dns import Endpoint
from rdssim.model.instance import Instance
from rdssim.model.tcp import REFUSED_AFTER_S
from rdssim.record import Operation, Outcome

if TYPE_CHECKING:
    from rdssim.model.proxy import Proxy
from rdssim.scenario.schema import ProbeSpec


class _Cache:
    """The client's DNS cache (rdssim.model.dns.DnsCache), counting its own lookups and not
    the endpoint's. An answer that has lived its TTL has expired, even if the sum of the
    start times drifted a few ulps below it: the polled loop adds the interval to itself."""

    def __init__(self, endpoint: Endpoint, policy: str, fixed_s: float) -> None:
        self.endpoint = endpoint
        self.keep_s = {"ttl": endpoint.ttl_s, "fixed": fixed_s}.get(policy, math.inf)
        self.cached: str | None = None
        self.expiry_s = -math.inf
        self.lookups = 0

    def resolve(self, now: float) -> str:
        if self.cached is None or now >= self.expiry_s - 1e-9 * max(1.0, abs(now)):
            self.cached = self.endpoint.target
            self.expiry_s = now + self.keep_s
            self.lookups += 1
        return self.cached


class PolledProbe:
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
        self.cache = _Cache(target, spec.dns_cache, spec.dns_cache_s)
        self.operations: list[Operation] = []

    def follow(self, endpoint: Endpoint) -> None:
        """Reconfigured to connect to ``endpoint`` (repoint-clients), as the solved probe."""
        if self.proxy is None:
            lookups = self.cache.lookups
            self.cache = _Cache(endpoint, self.spec.dns_cache, self.spec.dns_cache_s)
            self.cache.lookups = lookups

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
        address = self.cache.resolve(self.ctx.now)
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
        elif not (inst.storage_ok and inst.responsive):
            # The server accepts the connection but the insert never returns.
            yield env.timeout(self.spec.read_timeout_s)
            outcome, error = "unknown", "read-timeout"
        else:
            # Commits wait for a standby that is catching up (ctx.commit_latency_s).
            yield env.timeout(self.spec.write_latency_s + self.ctx.commit_latency_s)
            if inst.accepting_writes:
                outcome, error = "ok", None
            else:
                outcome, error = "unknown", "connection-lost"
        self.operations.append(Operation(self.name, start, self.ctx.now, outcome, error, address))

    def _through_proxy(self, start: float, proxy: Proxy) -> Generator[simpy.Event, Any, None]:
        """The proxy always accepts the connection; the insert waits for a writer."""
        env = self.ctx.env
        self.cache.resolve(self.ctx.now)
        outcome: Outcome = "ok"
        error: str | None = None
        if proxy.writer is None:
            limit_s, limit_error = proxy.wait_limit(self.spec.read_timeout_s)
            yield proxy.writer_found.wait() | env.timeout(limit_s)
            if proxy.writer is None:
                outcome, error = "fail", limit_error
        if error is None:
            yield env.timeout(
                self.spec.write_latency_s + proxy.spec.latency_s + self.ctx.commit_latency_s
            )
            if proxy.writer is None:
                outcome, error = "unknown", "cancelled-in-transaction"
        self.operations.append(
            Operation(self.name, start, self.ctx.now, outcome, error, proxy.writer)
        )
