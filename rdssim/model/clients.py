"""Client groups that connect to the DB instance endpoint directly (no proxy).

A group of identical application instances is simulated as a few cohorts (DESIGN.md
principle 1: rates, not requests): each cohort is one SimPy process standing for
``instances / cohorts`` instances, with its own DNS cache phase and retry jitter. Its
traffic is written as Flow entries: what its requests got, at what rate, with what latency.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from rdssim.model.conntable import ConnectionTable
from rdssim.model.context import SimContext
from rdssim.model.dns import DnsCache, Endpoint
from rdssim.model.flows import FlowWriter, Part, write_queue
from rdssim.model.instance import Instance
from rdssim.record import DNS_LOOKUP
from rdssim.scenario.schema import ClientSpec

Proc = Generator[simpy.Event, Any, None]

# assumption: a refused connection (RST from a live host) fails after about one round trip.
REFUSED_AFTER_S = 0.001
# assumption (Linux defaults): with no connect timeout the kernel gives up on SYNs after
# tcp_syn_retries=6 retransmissions, 1+2+4+8+16+32+64 s.
SYN_GIVE_UP_S = 127.0
# assumption (Linux defaults): with no read timeout a request on a connection to a dead
# host waits for tcp_retries2=15 retransmissions, about 924.6 s: "the hang".
RETRANSMIT_GIVE_UP_S = 924.6
# Operational states in which an instance keeps its client connections.
_KEEPS_CONNECTIONS = ("available", "io-suspended")


def connect_outcome(spec: ClientSpec, inst: Instance) -> tuple[str | None, float]:
    """(error or None, seconds) of one attempt to open a connection to ``inst``."""
    if not (inst.host_up and inst.reachable):
        return "connect-timeout", spec.connect_timeout_s or SYN_GIVE_UP_S
    if not inst.storage_ok:
        # assumption: the host accepts the TCP connection but the login, which needs the
        # storage, never completes; the driver gives up at its connect (login) timeout.
        return "connect-timeout", spec.connect_timeout_s or SYN_GIVE_UP_S
    if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
        return "refused", REFUSED_AFTER_S
    return None, spec.connect_s


def pool_connections(spec: ClientSpec) -> float:
    """Connections one application instance keeps: the whole pool, or what the load keeps
    busy (at least ``min_idle``) when idle ones are closed after ``idle_timeout``."""
    if spec.pool.min_idle is None:
        return float(spec.pool.size)
    busy = math.ceil(spec.requests_per_s * spec.txn_duration_s)
    return float(min(spec.pool.size, max(spec.pool.min_idle, busy, 1)))


def session_connections(spec: ClientSpec) -> float:
    """Connections one instance holds on average: a pool, or a function's connection while
    it connects and runs its request."""
    if spec.kind == "pool":
        return pool_connections(spec)
    return spec.requests_per_s * (spec.connect_s + spec.session_hold_s)


class Cohort:
    """What every cohort shares: identity, rate, flows, random stream."""

    def __init__(self, ctx: SimContext, spec: ClientSpec, index: int) -> None:
        self.ctx = ctx
        self.spec = spec
        self.index = index
        self.weight = spec.instances / spec.cohort_count
        self.rate_per_s = self.weight * spec.requests_per_s
        self.key = f"{spec.name}#{index}"
        self.rng: np.random.Generator = ctx.streams.get(f"client:{spec.name}:{index}")
        self.flows = FlowWriter(ctx, spec.name, index)
        self.waiting_since_s: float | None = None
        """Set while requests queue for something to resume (they are written on release)."""

    @property
    def limit(self) -> tuple[float, str]:
        """How long a queued request waits at most, and the error when it gives up."""
        return self.spec.read_timeout_s or RETRANSMIT_GIVE_UP_S, "read-timeout"

    def finish(self) -> None:
        """The run ends: close the open segments; requests still queued count as failed."""
        if self.waiting_since_s is not None:
            limit_s, error = self.limit
            start_s, now = self.waiting_since_s, self.ctx.now
            self.flows.write(start_s, now, self.rate_per_s, "fail", error, limit_s, limit_s)
            self.waiting_since_s = None
        self.flows.stop()

    def _looked_up(self, name: str, answer: str) -> None:
        self.ctx.emit(
            self.spec.name,
            DNS_LOOKUP,
            f"{self.key} resolved {name}: {answer}",
            name=name,
            answer=answer,
            cohort=self.index,
        )

    def _backoff_s(self, attempt: int) -> float:
        retry = self.spec.retry
        ceiling = min(retry.cap_s, retry.base_s * retry.multiplier ** min(attempt, 60))
        return float(self.rng.uniform(0.0, ceiling))


class DirectCohort(Cohort):
    """Instances that resolve the instance endpoint themselves and connect to its answer."""

    def __init__(
        self,
        ctx: SimContext,
        spec: ClientSpec,
        index: int,
        endpoint: Endpoint,
        instances: dict[str, Instance],
        table: ConnectionTable,
    ) -> None:
        super().__init__(ctx, spec, index)
        self.instances = instances
        self.table = table
        self.cache = DnsCache(ctx, endpoint, spec.dns_cache, spec.dns_cache_s, self._looked_up)
        self.wanted = self.weight * session_connections(spec)
        self.ok_latency_s = spec.txn_duration_s + (
            spec.connect_s if spec.kind == "per-request" else 0.0
        )
        self.address: str | None = None
        self.granted = 0.0
        # A pool opens its connections at once; functions open one per request, a steady
        # rate counted by the table's open rate, not as a burst.
        self.bursts = spec.kind == "pool"
        # A pool opens what its traffic needs first and fills up to its size afterwards
        # (HikariCP fills in the background), so that instances starting together share a
        # short max_connections instead of the first ones taking it all.
        self.first_wanted = self.wanted
        if spec.kind == "pool":
            busy = math.ceil(spec.requests_per_s * spec.txn_duration_s)
            self.first_wanted = min(self.wanted, self.weight * max(1, busy))

    def run(self) -> Proc:
        """Process: connect, serve until the connection breaks, reconnect; until the end."""
        env = self.ctx.env
        if self.spec.start_s > 0:
            yield env.timeout(self.spec.start_s)
        keep = self.cache.keep_s
        # The instances started before the run: their cached answers expire out of phase.
        self.cache.resolve(expires_in_s=self.rng.uniform(0, keep) if math.isfinite(keep) else None)
        first = True
        while True:
            yield from self._connect()
            yield from self._serve(first)
            first = False

    # -- connecting ----------------------------------------------------------------------
    def _connect(self) -> Proc:
        """Attempt, back off, attempt again until some connections are granted."""
        env = self.ctx.env
        attempt = 0
        while True:
            address = self.cache.resolve()
            error, duration_s = connect_outcome(self.spec, self.instances[address])
            if error is None:
                self.granted = self.table.hold(
                    address, self.key, self.first_wanted, group=self.spec.name, burst=self.bursts
                )
                if self.granted > 0:
                    self.address = address
                    return
                error = "too-many-connections"
            # Requests that find no connection wait for this attempt and fail with it.
            self.flows.set([Part(self.rate_per_s, "fail", error, duration_s)])
            yield env.timeout(duration_s)
            yield env.timeout(self._backoff_s(attempt))
            attempt += 1

    def _drop(self) -> None:
        assert self.address is not None
        self.table.release(self.address, self.key)
        self.table.set_open_rate(self.key, 0.0)
        self.granted = 0.0

    # -- serving -----------------------------------------------------------------------
    def _needed(self) -> float:
        """Connections the traffic needs at once: a pool's busy ones (Little's law), or
        every open request's own connection for per-request clients."""
        if self.spec.kind == "pool":
            return min(self.wanted, self.rate_per_s * self.spec.txn_duration_s)
        return self.wanted

    def _serve_parts(self) -> list[Part]:
        needed = self._needed()
        served = 1.0 if needed <= 0 else min(1.0, self.granted / needed)
        refused = "too-many-connections"
        return [
            Part(self.rate_per_s * served, "ok", None, self.ok_latency_s),
            Part(self.rate_per_s * (1 - served), "fail", refused, self.spec.connect_s),
        ]

    def _serve(self, first: bool) -> Proc:
        """Serve on the granted connections until they break."""
        env = self.ctx.env
        spec = self.spec
        assert self.address is not None
        if spec.kind == "per-request":
            self.table.set_open_rate(self.key, self.rate_per_s * self.granted / self.wanted)
        self.flows.set(self._serve_parts())
        lifetime_s = spec.pool.max_lifetime_s
        # One timer per lifetime (not one per wake-up): a pool's connections are replaced
        # when they reach max_lifetime; the instances started out of phase.
        recycle = None
        if spec.kind == "pool":
            recycle = env.timeout(self.rng.uniform(0, lifetime_s) if first else lifetime_s)
        # The pool fills up once its first connections are open.
        fill = env.timeout(spec.connect_s) if self.granted < self.wanted else None
        inst = self.instances[self.address]
        while True:
            # The state is checked before waiting: it may have changed while connecting.
            if not (inst.host_up and inst.reachable and inst.storage_ok):
                yield from self._dead()
                return
            if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
                # A reboot or a demotion closes the connections: in-flight requests fail.
                cut = Part(0.0, "fail", "connection-lost", 0.0)
                self.flows.set([], cut_back_s=spec.txn_duration_s, cut=cut)
                self._drop()
                return
            if inst.op_state == "io-suspended":
                yield from self._stalled(inst)
                continue
            if recycle is not None and recycle.processed:
                recycle = env.timeout(lifetime_s)
                if self.cache.resolve() != self.address:
                    self._drop()  # max_lifetime: new connections follow the new answer
                    return
                self.table.opened(self.address, spec.name, self.granted)
            if self.granted < self.wanted and (fill is None or fill.processed):
                fill = None
                more = self.table.hold(
                    self.address, self.key, self.wanted, group=spec.name, burst=self.bursts
                )
                if more != self.granted:
                    self.granted = more
                    if spec.kind == "per-request":
                        self.table.set_open_rate(self.key, self.rate_per_s * more / self.wanted)
                    self.flows.set(self._serve_parts())
            wakers = [self.ctx.changed.wait()]
            if self.granted < self.wanted:
                wakers.append(fill if fill is not None else self.table.released.wait())
            if recycle is not None:
                wakers.append(recycle)
            yield env.any_of(wakers)

    def _dead(self) -> Proc:
        """The host is gone without closing anything: requests hang until a timeout."""
        spec = self.spec
        hang_s = spec.read_timeout_s or RETRANSMIT_GIVE_UP_S
        if spec.kind == "pool" and spec.pool.validate_on_borrow:
            hang_s = min(hang_s, spec.pool.validation_timeout_s)
        timeout = Part(self.rate_per_s, "fail", "read-timeout", hang_s)
        # A function's next request opens a new connection. A pool lends the dead ones
        # until the first timeouts evict them: once all are stuck, the requests that find
        # none free give up after the pool's connection timeout if that comes first.
        parts = [timeout] if spec.kind == "pool" else []
        wait_s = spec.pool.connection_timeout_s
        if spec.kind == "pool" and wait_s < hang_s:
            parts = [Part(self.rate_per_s, "fail", "pool-timeout", wait_s)]
        self.flows.set(parts, cut_back_s=spec.txn_duration_s, cut=timeout, answered_now=False)
        self._drop()
        if parts:
            yield self.ctx.env.timeout(hang_s)

    def _stalled(self, inst: Instance) -> Proc:
        """I/O suspended: requests wait for it to resume, up to the read timeout."""
        self.waiting_since_s = start_s = self.ctx.now
        self.flows.stop()
        while inst.op_state == "io-suspended" and inst.healthy:
            yield self.ctx.changed.wait()
        limit_s, error = self.limit
        write_queue(
            self.flows, start_s, self.ctx.now, self.rate_per_s, limit_s, error, self.ok_latency_s
        )
        self.waiting_since_s = None
        self.flows.set(self._serve_parts())
