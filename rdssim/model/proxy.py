"""RDS Proxy: one endpoint that never moves, a multiplexed pool of DB connections.

Behaviour and defaults from rds-facts.md, "RDS Proxy": the proxy tracks the writer itself,
so clients see no DNS change; idle client connections survive a failover; in-flight
transactions are cancelled; new requests queue until the new writer is up, each for at most
ConnectionBorrowTimeout. A DB connection is borrowed per transaction unless the session is
pinned. The pool is bounded by MaxConnectionsPercent of ``max_connections``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from rdssim.model.cohort import Cohort, pool_connections, session_connections
from rdssim.model.conntable import ConnectionTable
from rdssim.model.context import Signal, SimContext
from rdssim.model.dns import DnsCache, Endpoint
from rdssim.model.flows import Part, write_queue
from rdssim.model.instance import STALLED, Instance
from rdssim.record import PROXY_CLIENTS, TXNS_CANCELLED
from rdssim.scenario.schema import ClientSpec, ProxySpec

Proc = Generator[simpy.Event, Any, None]
HOLDER = "proxy"
# assumption: the pool keeps enough connections for the peaks of a Poisson number of
# concurrent transactions (mean + 3 standard deviations); those idle between peaks are what
# MaxIdleConnectionsPercent trims.
PEAK_SIGMAS = 3.0


class Proxy:
    """The proxy's view of the writer and its pool of DB connections."""

    def __init__(
        self,
        ctx: SimContext,
        spec: ProxySpec,
        name: str,
        instances: dict[str, Instance],
        table: ConnectionTable,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.instances = instances
        self.table = table
        self.max_pool = 0
        self.max_idle = 0
        self.resize()
        # The proxy endpoint resolves to the proxy, whatever happens to the instances.
        self.endpoint = Endpoint(ctx, name, HOLDER, ctx.scenario.timings.dns_ttl_s, announce=False)
        self.rng = ctx.streams.get("proxy")
        self.cohorts: list[ProxiedCohort] = []
        self.writer: str | None = self._accepting_writer()
        self.pool = 0.0
        self.demand = 0.0
        """DB connections the clients need at once: busy transactions plus pinned sessions."""
        self.client_connections = 0.0
        """Client connections open to the proxy."""
        self._finding = False
        self._reshaping = False
        self._suspended: str | None = None
        self._clients_shown: float | None = None
        self.writer_found = Signal(ctx.env)
        """Fires when the proxy has found a (new) writer: queued requests go through."""
        ctx.listeners.add(self._on_change)

    def resize(self) -> None:
        """MaxConnectionsPercent and MaxIdleConnectionsPercent of the DB instance's
        max_connections (again after a class change moves it)."""
        engine = self.ctx.scenario.engine
        limit = self.table.max_connections
        self.max_pool = math.floor(limit * self.spec.max_percent(engine) / 100)
        self.max_idle = math.floor(limit * self.spec.max_idle_percent(engine) / 100)

    # -- the pool -----------------------------------------------------------------------
    def served_share(self) -> float:
        """Share of the requests the pool serves at once (1 unless it is exhausted)."""
        return 1.0 if self.demand <= self.pool else self.pool / self.demand

    def _target(self) -> float:
        busy = self.demand
        idle = min(PEAK_SIGMAS * math.sqrt(busy), self.max_idle)
        return float(min(self.max_pool, math.ceil(busy + idle)))

    def _resize(self) -> None:
        if self.writer is not None:
            self.pool = self.table.hold(self.writer, HOLDER, self._target(), group=HOLDER)

    def join(self, cohort: ProxiedCohort) -> None:
        """A cohort starts sending through the proxy."""
        share_before = self.served_share()
        self.cohorts.append(cohort)
        # Kept as running sums: a join must not cost a pass over every cohort.
        self.demand += cohort.borrowed
        self._resize()
        self.add_client_connections(cohort.client_connections)
        if self.served_share() != share_before:
            self._reshape_all_soon()
        else:
            cohort.reshape()

    def _reshape_all_soon(self) -> None:
        """Every cohort serves the new share, once for all the joins at this instant (not
        once per join: cohorts join together, and a pass over all per join is quadratic)."""
        if self._reshaping:
            return
        self._reshaping = True

        def reshape() -> Proc:
            yield self.ctx.env.timeout(0)
            self._reshaping = False
            for cohort in self.cohorts:
                cohort.reshape()

        self.ctx.env.process(reshape())

    def add_client_connections(self, count: float) -> None:
        """Client connections opened (``count`` > 0) or closed (< 0) to the proxy."""
        self.client_connections += count
        self.ctx.record.add_step(
            self.ctx.now, PROXY_CLIENTS, self._clients_shown, self.client_connections
        )
        self._clients_shown = self.client_connections

    def register(self, inst: Instance) -> None:
        """RegisterDBProxyTargets: the proxy may lend connections to ``inst`` from now on
        (a DB instance restored to a point in time is a new target)."""
        self.instances[inst.name] = inst

    # -- following the writer ------------------------------------------------------------
    def _accepting_writer(self) -> str | None:
        for inst in self.instances.values():
            if inst.accepting_writes:
                return inst.name
        return None

    def _on_change(self) -> None:
        """Topology listener: lose the writer at once, find the next one after a delay."""
        if self._suspended is not None and not self.instances[self._suspended].healthy:
            # The writer whose I/O was suspended failed meanwhile: its connections are gone,
            # with the transactions waiting on them, and finding it again (recovered in
            # place) takes the detection delay too.
            self.table.release(self._suspended, HOLDER)
            self.pool = 0.0
            cancelled = sum(cohort.held_cancelled() for cohort in self.cohorts)
            self._cancelled(cancelled, self._suspended)
            self._suspended = None
        if self.writer is not None:
            inst = self.instances[self.writer]
            if inst.accepting_writes:
                return
            broken = not inst.healthy or inst.role != "primary" or inst.op_state not in STALLED
            self._lose_writer(broken)
        if self.writer is None and not self._finding and self._accepting_writer() is not None:
            self._finding = True
            self.ctx.env.process(self._find_writer())

    def _lose_writer(self, broken: bool) -> None:
        assert self.writer is not None
        share = self.served_share()
        in_flight = sum(c.in_flight(share) for c in self.cohorts)
        if broken:
            self.table.release(self.writer, HOLDER)
            self.pool = 0.0
            self._cancelled(in_flight, self.writer)
            self.writer = None
        else:
            # I/O suspended: connections stay open, transactions wait with new requests.
            self._suspended = self.writer
            self.writer = None
        for cohort in self.cohorts:
            cohort.writer_lost(cancel=broken)

    def _cancelled(self, count: float, instance: str) -> None:
        """Record the transactions cancelled when the proxy lost ``instance``, if any."""
        if count > 0:
            self.ctx.emit(
                HOLDER,
                TXNS_CANCELLED,
                f"{count:,.1f} in-flight transactions cancelled",
                count=count,
                instance=instance,
            )

    def _find_writer(self) -> Proc:
        """The proxy notices the new writer after its detection delay."""
        if self._accepting_writer() != self._suspended:
            yield self.ctx.env.timeout(self.spec.failover_detection.sample(self.rng))
        else:
            yield self.ctx.env.timeout(0)
        self._finding = False
        self._suspended = None
        writer = self._accepting_writer()
        if writer is None:
            return  # lost again meanwhile; the next change starts a new search
        self.writer = writer
        self._resize()
        for cohort in self.cohorts:
            cohort.writer_back()
        self.writer_found.fire()

    def wait_limit(self, read_timeout_s: float | None) -> tuple[float, str]:
        """How long a queued request waits at most, and the error when it gives up: the
        borrow timeout, or the client's own read timeout if that is shorter."""
        borrow_s = self.spec.connection_borrow_timeout_s
        if read_timeout_s is not None and read_timeout_s < borrow_s:
            return read_timeout_s, "read-timeout"
        return borrow_s, "borrow-timeout"

    def finish(self) -> None:
        for cohort in self.cohorts:
            cohort.finish()


class ProxiedCohort(Cohort):
    """Instances that send every request through the proxy endpoint."""

    def __init__(self, ctx: SimContext, spec: ClientSpec, index: int, proxy: Proxy) -> None:
        super().__init__(ctx, spec, index)
        self.proxy = proxy
        self.cache = DnsCache(
            ctx, proxy.endpoint, spec.dns_cache, spec.dns_cache_s, self._looked_up
        )
        self.client_connections = self.weight * session_connections(spec)
        busy = self.rate_per_s * spec.txn_duration_s
        self.borrowed = (1 - spec.pinned_share) * busy + spec.pinned_share * max(
            busy, self.client_connections
        )
        connect_s = spec.connect_s if spec.kind == "per-request" else 0.0
        self.ok_latency_s = connect_s + proxy.spec.latency_s + spec.txn_duration_s
        self.started = False
        self.waiting_since_s: float | None = None
        """Set while requests queue in the proxy (they are written on release)."""
        self.held: tuple[float, float] | None = None
        """Transactions under way when the writer suspended its I/O: (first arrival, rate)."""

    def in_flight(self, served_share: float) -> float:
        """Transactions under way now (Little's law on the served rate)."""
        if not self.started or self.waiting_since_s is not None:
            return 0.0
        return self.rate_per_s * served_share * self.spec.txn_duration_s

    @property
    def limit(self) -> tuple[float, str]:
        """How long a request queued in the proxy waits at most, and its error then."""
        return self.proxy.wait_limit(self.spec.read_timeout_s)

    def run(self) -> Proc:
        """Process: resolve the proxy endpoint once, connect, then follow the proxy."""
        if self.spec.start_s > 0:
            yield self.ctx.env.timeout(self.spec.start_s)
        self.cache.resolve()
        self.started = True
        if self.proxy.writer is None:
            # No writer yet: requests queue from the start (set before joining, so that
            # the join does not also write them as served).
            self.waiting_since_s = self.ctx.now
        self.proxy.join(self)
        yield from self._idle_connections_closed()

    def _idle_connections_closed(self) -> Proc:
        """IdleClientTimeout: the proxy closes a pool's connections that sit idle longer.

        A pool lends its first free connections again and again (HikariCP's ConcurrentBag),
        so those beyond its load's peaks sit idle. Unless the pool retires them first
        (``max_lifetime`` not longer than the timeout: HikariCP retires a connection up to
        2.5% before its max lifetime), the proxy closes them after ``idle_client_timeout``;
        the pool does not notice until it retires them and opens new ones, which sit idle
        again. Nothing fails: under steady load the closed ones are never lent.

        Each idle connection is open for ``idle_client_timeout`` of every ``max_lifetime``.
        Instances running before the run are out of phase: their idle connections count at
        that share from the start. Instances that start later open theirs together: all are
        open until the timeout, none until their lifetime ends, and from then on they count
        at their share too (no event per lifetime: a saw-tooth per instance over a year
        would cost per second, and instances drift out of phase).
        """
        spec, env = self.spec, self.ctx.env
        timeout_s = self.proxy.spec.idle_client_timeout_s
        lifetime_s = spec.pool.max_lifetime_s
        if spec.kind != "pool" or lifetime_s <= timeout_s:
            return
        busy = spec.requests_per_s * spec.txn_duration_s
        in_use = min(
            pool_connections(spec), max(1.0, math.ceil(busy + PEAK_SIGMAS * math.sqrt(busy)))
        )
        idle = self.client_connections - self.weight * in_use
        if idle <= 0:
            return
        closed = idle * (1 - timeout_s / lifetime_s)  # on average over a lifetime
        if spec.start_s == 0:
            self.proxy.add_client_connections(-closed)
            return
        yield env.timeout(timeout_s)
        self.proxy.add_client_connections(-idle)
        yield env.timeout(lifetime_s - timeout_s)
        self.proxy.add_client_connections(idle - closed)

    def _parts(self) -> list[Part]:
        share = self.proxy.served_share()
        if share >= 1.0:
            return [Part(self.rate_per_s, "ok", None, self.ok_latency_s)]
        # Pool exhausted: an overloaded FIFO queue whose requests give up after the bound;
        # the served ones have waited about that long (steady state; the fill is skipped).
        limit_s, error = self.limit
        return [
            Part(self.rate_per_s * share, "ok", None, limit_s + self.ok_latency_s),
            Part(self.rate_per_s * (1 - share), "fail", error, limit_s),
        ]

    def reshape(self) -> None:
        """The pool or the demand changed: serve the new shares."""
        if self.started and self.waiting_since_s is None:
            self.flows.set(self._parts())

    def writer_lost(self, *, cancel: bool) -> None:
        if not self.started or self.waiting_since_s is not None:
            return
        now = self.ctx.now
        if cancel:
            cut = Part(0.0, "fail", "cancelled-in-transaction", 0.0)
            self.flows.set([], cut_back_s=self.spec.txn_duration_s, cut=cut)
        else:
            # I/O suspended: the transactions under way wait on their DB connections.
            self.held = self.flows.hold_back(self.spec.txn_duration_s)
        self.waiting_since_s = now
        limit_s, error = self.limit
        if error == "read-timeout":
            self.ctx.env.process(self._reconnect_after(limit_s, now))

    def _reconnect_after(self, delay_s: float, since_s: float) -> Proc:
        """A client that timed out drops its connection and opens one to the proxy again."""
        yield self.ctx.env.timeout(delay_s)
        if self.waiting_since_s == since_s:
            self.cache.resolve()

    def writer_back(self) -> None:
        if self.waiting_since_s is None:
            return
        limit_s, error = self.limit
        if self.held is not None:
            self._write_held(release_s=self.ctx.now, release_error=None)
        write_queue(
            self.flows,
            self.waiting_since_s,
            self.ctx.now,
            self.rate_per_s,
            limit_s,
            error,
            self.ok_latency_s,
        )
        self.waiting_since_s = None
        self.flows.set(self._parts())

    def _write_held(self, *, release_s: float, release_error: str | None) -> float:
        """Write the transactions held on suspended I/O, which end at ``release_s`` (served,
        or failed with ``release_error``) unless they gave up first. Returns how many did
        not give up."""
        assert self.held is not None and self.waiting_since_s is not None
        first_s, rate_per_s = self.held
        # Transactions already on a DB connection wait only for the client's read timeout
        # (the borrow timeout is for requests waiting for one).
        limit_s, error = self.read_limit
        released = write_queue(
            self.flows,
            first_s,
            self.waiting_since_s,
            rate_per_s,
            limit_s,
            error,
            self.ok_latency_s,
            release_s=release_s,
            release_error=release_error,
        )
        self.held = None
        return released

    def held_cancelled(self) -> float:
        """The writer whose I/O was suspended failed: the transactions that were under way
        on it and still waiting are cancelled now. Returns how many."""
        if self.held is None or self.waiting_since_s is None:
            return 0.0
        return self._write_held(release_s=self.ctx.now, release_error="cancelled-in-transaction")

    def finish(self) -> None:
        """The run ends: transactions still held on suspended I/O, and requests still
        queued, fail at their limits."""
        if self.held is not None and self.waiting_since_s is not None:
            self._write_held(release_s=math.inf, release_error="read-timeout")
        if self.waiting_since_s is not None:
            limit_s, error = self.limit
            start_s, now = self.waiting_since_s, self.ctx.now
            self.flows.write(start_s, now, self.rate_per_s, "fail", error, limit_s, limit_s)
            self.waiting_since_s = None
        super().finish()
