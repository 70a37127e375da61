"""Client cohorts that connect to the DB instance endpoint directly (no proxy): connect,
serve, and wait on connections that stop answering (docs/scenario-format.md, "What a direct
client sees")."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from rdssim.model.cohort import Cohort, session_connections
from rdssim.model.conntable import ConnectionTable
from rdssim.model.context import SimContext, first_of
from rdssim.model.dns import DnsCache, Endpoint
from rdssim.model.flows import Part, write_queue
from rdssim.model.instance import STALLED, Instance
from rdssim.model.tcp import REFUSED_AFTER_S, SYN_GIVE_UP_S, next_retransmission_s
from rdssim.scenario.schema import ClientSpec

Proc = Generator[simpy.Event, Any, None]
FloatArray = npt.NDArray[np.float64]

# Back-offs drawn at once when attempts are worked out after the fact: a first batch, then
# batches twice as large up to a bound (rdssim's own choice: memory against Python calls).
_DRAWS = 64
_MAX_DRAWS = 1 << 16
# After this many attempts worked out one by one, the rest of a long outage is leapt over
# (rdssim's own choice: the central limit holds to within a part in a thousand by then).
_EXACT_ATTEMPTS = 4096
# Operational states in which an instance keeps its client connections.
_KEEPS_CONNECTIONS = ("available", *STALLED)


def connect_outcome(spec: ClientSpec, inst: Instance) -> tuple[str | None, float]:
    """(error or None, seconds) of one attempt to open a connection to ``inst``."""
    if not (inst.host_up and inst.reachable):
        return "connect-timeout", spec.connect_timeout_s or SYN_GIVE_UP_S
    if not (inst.storage_ok and inst.responsive):
        # assumption: the host accepts the TCP connection but the login, which needs the
        # storage (or a busy engine), never completes; the driver gives up at its connect
        # (login) timeout.
        return "connect-timeout", spec.connect_timeout_s or SYN_GIVE_UP_S
    if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
        return "refused", REFUSED_AFTER_S
    return None, spec.connect_s


_SLEEP_THROUGH = True
"""Whether cohorts sleep through changes their view does not show (tests switch it off to
compare: the same Record either way)."""


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
        self.failing: tuple[DnsCache, float, float, int] | None = None
        """The cache and (start, duration, index) of the attempt that a run of alike
        failures began with, while it goes on."""
        self._timers: dict[float, simpy.Timeout] = {}
        """The timeouts waited for, by instant, until they fire (:meth:`_timer`)."""
        self.stuck: _Stuck | None = None
        """Requests queued on connections that stopped answering, until they end."""
        self.backlog: list[tuple[float, float, bool]] = []
        """Arrivals still waiting for a pooled connection when the stuck ones were dropped:
        (first arrival, last, whether the host was dead), written at the next attempt."""
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

    def follow(self, endpoint: Endpoint) -> None:
        """Resolve ``endpoint`` from now on (its next connections go there)."""
        spec = self.spec
        self.cache = DnsCache(self.ctx, endpoint, spec.dns_cache, spec.dns_cache_s, self._looked_up)

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
                    self._write_backlog(env.now, None)
                    return
                error = "too-many-connections"
            # Requests queued for a connection when the old ones were dropped get this one's.
            self._write_backlog(env.now + duration_s, error)
            # Requests that find no connection wait for this attempt and fail with it.
            self.flows.set([Part(self.rate_per_s, "fail", error, duration_s)])
            if error != "too-many-connections":
                attempt, next_s = yield from self._retry_alike(
                    env.now, duration_s, attempt, address, error
                )
                yield self._timer(next_s)
                continue
            yield env.timeout(duration_s)
            if self.table.total(address) >= self.table.max_connections:
                # Attempts fail the same way until connections are released or the topology
                # changes: skip them (one event, not one per back-off; the same Flows).
                yield self.table.released_or_changed.wait()
            yield env.timeout(self._backoff_s(attempt))
            attempt += 1

    def _retry_alike(
        self, start_s: float, duration_s: float, attempt: int, address: str, error: str
    ) -> Generator[simpy.Event, Any, tuple[int, float]]:
        """Attempt ``attempt``, started at ``start_s``, fails with ``error`` after
        ``duration_s`` (``address`` is dead or refusing). The next ones fail alike, each
        after its back-off, until what an attempt to ``address`` gets changes or the
        endpoint's answer does (once the cache looks it up): wait for that, not for each
        attempt, then work out the attempts made meanwhile. Returns (index, start) of the
        first attempt at or after the change, which sees it.
        """
        env = self.ctx.env
        cache, target = self.cache, self.cache.endpoint.target
        expiry = None
        if cache.stale() and cache.expiry_s > env.now:
            # The endpoint names another instance: the attempt after the expiry sees it.
            expiry = self._timer(cache.expiry_s)
        self.failing = (cache, start_s, duration_s, attempt)
        while True:
            changes = cache.endpoint.changed_or_topology
            yield changes.wait() if expiry is None else changes.wait_or(expiry)
            if (
                (expiry is not None and expiry.processed)
                or self.cache is not cache  # the application now follows another endpoint
                or cache.endpoint.target != target
                or connect_outcome(self.spec, self.instances[address]) != (error, duration_s)
            ):
                break
            # Another instance changed (a thousand cohorts woken by the standby's every
            # step): the attempts fail as they did, and go on as one by one they would.
        self.failing = None
        return self._attempts_until(cache, env.now, start_s, duration_s, attempt)

    def _attempts_until(
        self, cache: DnsCache, now_s: float, start_s: float, duration_s: float, attempt: int
    ) -> tuple[int, float]:
        """Attempts failing alike from attempt ``attempt`` (started at ``start_s``, each
        taking ``duration_s``): draw their back-offs as one by one they would have been
        drawn, count the lookups in ``cache`` of those started before ``now_s``, and return
        (index, start) of the first at or after it."""
        rng = self.rng
        bits = rng.bit_generator
        assert isinstance(bits, np.random.PCG64)  # rdssim.rng: advance() skips used draws
        draws = _DRAWS
        while True:
            ceilings = self._ceilings(attempt, draws)
            state = bits.state
            backoffs = rng.uniform(0.0, ceilings)
            # start(k + 1) = (start(k) + duration) + backoff(k), added up as SimPy would.
            steps = np.column_stack((np.full(draws, duration_s), backoffs)).ravel()
            starts = np.cumsum(np.concatenate(([start_s], steps)))[2::2]
            hit = int(np.searchsorted(starts, now_s, side="left"))
            if hit < draws:
                bits.state = state  # keep only the draws the attempts used
                bits.advance(hit + 1)
                cache.replay(starts[:hit])  # the attempts made meanwhile looked it up
                return attempt + hit + 1, float(starts[hit])
            cache.replay(starts)
            attempt, start_s = attempt + draws, float(starts[-1])
            draws = min(2 * draws, _MAX_DRAWS)  # a long outage: fewer, larger batches
            if attempt >= _EXACT_ATTEMPTS:
                attempt, start_s = self._leap(cache, attempt, start_s, duration_s, now_s)

    def _leap(
        self, cache: DnsCache, attempt: int, start_s: float, duration_s: float, now_s: float
    ) -> tuple[int, float]:
        """Thousands of attempts into an outage, leap over most of the rest of it: by then
        every back-off has the same ceiling c, so the attempts' spacing is d + U(0, c), and
        the start of the n-th next one is normal (central limit) with mean n (d + c/2) and
        variance n c^2 / 12. Leap to 8 standard deviations before ``now_s`` (it is never
        passed); the last few thousand attempts are drawn one by one again. Their DNS
        lookups are counted from the spacing (their answer cannot have changed).
        """
        ceiling = float(self._ceilings(attempt, 1)[0])
        mean_s, sd_s = duration_s + ceiling / 2, ceiling / math.sqrt(12.0)
        while True:
            cycles = (now_s - start_s) / mean_s
            leap = math.floor(cycles - _EXACT_ATTEMPTS - 8.0 * math.sqrt(cycles) * sd_s / mean_s)
            if leap <= 0:
                return attempt, start_s
            landed = start_s + leap * mean_s + math.sqrt(leap) * sd_s * self.rng.standard_normal()
            cache.count_lookups(start_s, landed, duration_s, ceiling)
            attempt, start_s = attempt + leap, float(landed)

    def _ceilings(self, attempt: int, count: int) -> FloatArray:
        """The back-off ceilings of attempts ``attempt`` to ``attempt + count - 1``."""
        retry = self.spec.retry
        exponents = np.minimum(np.arange(attempt, attempt + count), 60)
        return np.minimum(retry.cap_s, retry.base_s * retry.multiplier**exponents)

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
        latency_s = self.ok_latency_s + self.ctx.commit_latency_s
        return [
            Part(self.rate_per_s * served, "ok", None, latency_s),
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
        # A pool replaces its connections when they reach max_lifetime. That costs no event
        # per lifetime: the reopened connections count as a steady rate, from the start for
        # instances that started before the run (their connections' ages are spread over a
        # lifetime), a lifetime after connecting otherwise (fresh connections live a whole
        # one). They go where they were, unless the endpoint names another instance: then
        # the next replacement is timed and follows the cache's answer.
        recycle_s = opens_from_s = None
        if spec.kind == "pool":
            # The n-th replacement is at phase + n lifetimes, however many were passed at once.
            phase_s = env.now + (self.rng.uniform(0, lifetime_s) if first else lifetime_s)
            recycle_s = opens_from_s = phase_s
            if first:
                opens_from_s = env.now
        # The pool fills up once its first connections are open.
        fill = env.timeout(spec.connect_s) if self.granted < self.wanted else None
        inst = self.instances[self.address]

        def serving_view() -> object:
            """What this loop reads that a change elsewhere may move (the rest is timed)."""
            cache = self.cache
            commit_s = self.ctx.commit_latency_s
            return inst.role, inst.op_state, inst.answers, cache, cache.endpoint.target, commit_s

        named: str | None = self.cache.endpoint.target
        while True:
            endpoint = self.cache.endpoint  # a reconfigured application follows another one
            # The state is checked before waiting: it may have changed while connecting.
            if not _answers(inst) or inst.op_state in STALLED:
                # Connections stuck in use are not replaced (HikariCP retires idle ones).
                if spec.kind == "pool":
                    self.table.set_open_rate(self.key, 0.0)
                if recycle_s is not None and env.now >= recycle_s and named == self.address:
                    # The replacements until now went back to this instance: only those
                    # falling due while the connections are stuck wait for them.
                    recycle_s = _next_after(phase_s, lifetime_s, env.now)
                resumed = yield from self._wait_for_answers(inst)
                if not resumed:
                    self._drop()
                    return
                # The application may have been given another endpoint meanwhile, and the
                # replacements due while the connections were stuck are made now.
                endpoint, named = self.cache.endpoint, None
                if spec.kind == "pool" and opens_from_s is None:
                    self.table.set_open_rate(self.key, self.granted / lifetime_s)
                self.flows.set(self._serve_parts())
            if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
                # A reboot or a demotion closes the connections: in-flight requests fail.
                cut = Part(0.0, "fail", "connection-lost", 0.0)
                self.flows.set([], cut_back_s=spec.txn_duration_s, cut=cut)
                self._drop()
                return
            if opens_from_s is not None and env.now >= opens_from_s:
                opens_from_s = None
                self.table.set_open_rate(self.key, self.granted / lifetime_s)
            if recycle_s is not None and env.now >= recycle_s:
                # Replacements made while the endpoint named this instance went back to it
                # (the loop wakes when its answer changes, not at each replacement).
                moved = named != self.address
                recycle_s = _next_after(phase_s, lifetime_s, env.now)
                if (
                    moved
                    and endpoint.target != self.address
                    and self.cache.resolve() != self.address
                ):
                    self._drop()  # max_lifetime: new connections follow the new answer
                    return
            # Each request opens its own connection: once the cache answers the other
            # instance (at its expiry, or at once for an application given another
            # endpoint), the next requests go there.
            if (
                spec.kind == "per-request"
                and endpoint.target != self.address
                and self.cache.resolve() != self.address
            ):
                self._drop()
                return
            if self.granted < self.wanted and (fill is None or fill.processed):
                fill = None
                more = self.table.hold(
                    self.address, self.key, self.wanted, group=spec.name, burst=self.bursts
                )
                if more != self.granted:
                    self.granted = more
                    if spec.kind == "per-request":
                        self.table.set_open_rate(self.key, self.rate_per_s * more / self.wanted)
                    elif opens_from_s is None:
                        self.table.set_open_rate(self.key, more / lifetime_s)
                    self.flows.set(self._serve_parts())
            self.flows.set(self._serve_parts())  # commits may be slower now (or no longer)
            wakers: list[simpy.Event] = []
            if self.granted < self.wanted:
                wakers.append(fill if fill is not None else self.table.released.wait())
            if opens_from_s is not None:
                wakers.append(self._timer(opens_from_s))
            # A new answer is followed by the next connections: a pool's next replacement,
            # a function's next requests once its cache looks the name up again.
            wakers.append(endpoint.changed.wait())
            if endpoint.target != self.address and self._may_move(self.cache):
                follow_s = recycle_s if recycle_s is not None else self.cache.expiry_s
                wakers.append(self._timer(follow_s))
            named = endpoint.target  # what the endpoint names while this loop waits
            if self.granted < self.wanted:  # the table's room may change with anything
                yield first_of(env, [self.ctx.changed.wait(), *wakers])
            else:
                yield from self._sleep_through(serving_view, wakers)

    def _sleep_through(
        self, view: Callable[[], object], wakers: list[simpy.Event]
    ) -> Generator[simpy.Event, Any, None]:
        """Wait for one of ``wakers`` or a topology change; a change after which ``view()``
        is what it was is slept through (the loop that called this would do nothing for
        it: another instance's state, a replica's lag). The view is read when the loop
        would have looked, after whatever the change set off at that instant."""
        seen = view()
        env, changed = self.ctx.env, self.ctx.changed
        while True:
            yield first_of(env, [changed.wait(), *wakers])
            for waker in wakers:
                if waker.callbacks is None:  # processed: it is what woke the loop
                    return
            if not _SLEEP_THROUGH or view() != seen:
                return

    def _timer(self, at_s: float) -> simpy.Timeout:
        """A timeout at ``at_s``, the same one for every wait made before it fires: a loop
        that wakes and waits again for the same instant queues no second timeout, and its
        timer lands where it would have however often the loop woke meanwhile (a delay
        ``at_s - now`` from another ``now`` can land an ulp away)."""
        timers = self._timers
        timer = timers.get(at_s)
        if timer is not None and timer.callbacks is not None:  # not processed yet
            return timer
        if len(timers) > 8:  # the processed ones are no use
            self._timers = timers = {t: e for t, e in timers.items() if e.callbacks is not None}
        env = self.ctx.env
        timer = timers[at_s] = env.timeout(max(0.0, at_s - env.now))
        return timer

    def _may_move(self, cache: DnsCache) -> bool:
        """Whether a replacement can follow another answer: the cache looks the name up
        again in time, or holds no answer naming this address (the application was given
        another endpoint: its fresh cache has none yet)."""
        return math.isfinite(cache.keep_s) or cache.answer != self.address

    # -- waiting on connections that do not answer ---------------------------------------------
    def _wait_for_answers(self, inst: Instance) -> Generator[simpy.Event, Any, bool]:
        """The instance stopped answering (host, network or storage gone) or suspended its
        I/O, without closing the connections: requests queue on them. Returns whether the
        connections serve again.

        They serve again if the same instance answers as the writer it was: when its I/O
        resumes, or at the next TCP retransmission after lost packets (a network loss that
        ends). An instance that answers again but is no longer the writer (demoted,
        rebooting) resets them at that retransmission (``connection-lost``). A crashed or
        replaced host never answers on them (assumption: a replacement host does not take
        over the connections' address; the hang reported for failovers without a socket
        timeout is this): the requests in flight fail at the read timeout (924.6 s without
        one, "the hang"), and the pool drops the connections then, or at the validation
        timeout of a pool that tests what it lends.
        """
        spec, env = self.spec, self.ctx.env
        assert self.address is not None
        first_s, held_rate = self.flows.hold_back(spec.txn_duration_s)
        stuck = self.stuck = _Stuck(first_s, held_rate, since_s=env.now)
        lost_s = env.now
        deadline_s = math.inf  # while only suspended, requests wait for it to resume
        cut_off = restarted = False
        host = inst.hosts_replaced

        def waiting_view() -> object:
            """What this loop reads that a change elsewhere may move (the rest is timed)."""
            return (
                inst.host_up,
                inst.reachable,
                inst.hosts_replaced,
                inst.answers,
                inst.role,
                inst.op_state,
            )

        while True:
            cut_off = cut_off or not (inst.host_up and inst.reachable)
            if not restarted and (not inst.host_up or inst.hosts_replaced != host):
                # The connections died with the host: the instance no longer counts them.
                restarted = True
                self.table.release(self.address, self.key)
            if not _answers(inst) and math.isinf(deadline_s):
                lost_s, deadline_s = env.now, env.now + self._hang_s()
                stuck.dead_since_s = min(stuck.dead_since_s, lost_s)
            # How they end if nothing changes from now (what the run's end writes).
            stuck.ends = (deadline_s, "read-timeout")
            if spec.kind == "per-request" and not _answers(inst):
                # Each function's request has its own connection: those in flight hang until
                # the read timeout, the next ones open new connections.
                end: str | None = "read-timeout"
                break
            if inst.host_up and inst.reachable and cut_off and not restarted:
                # Packets get through again: the connection notices at its next retransmission.
                at_s = lost_s + next_retransmission_s(env.now - lost_s)
                if at_s < deadline_s:
                    answer = _answer_at_retransmission(inst)
                    if answer != "stuck":
                        stuck.ends = (at_s, answer)
                    retransmission = self._timer(at_s)
                    yield from self._sleep_through(waiting_view, [retransmission])
                    if env.now >= at_s:
                        cut_off = not (inst.host_up and inst.reachable)
                        if not cut_off and _answers(inst):
                            deadline_s = math.inf  # through: only a stall can remain
                    continue
            if not cut_off and not restarted:
                if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
                    end = "connection-lost"
                    break
                if _answers(inst) and inst.op_state == "available":
                    end = None
                    break
            if env.now >= deadline_s:
                end = "read-timeout"
                break
            timeout = self._timer(deadline_s)
            yield from self._sleep_through(waiting_view, [timeout])
        self._release(stuck, end, env.now)
        return end is None

    def _hang_s(self) -> float:
        """How long after a host stops answering the pool drops its connections: at the
        read timeout, or at the validation timeout of a pool that tests what it lends."""
        hang_s, _ = self.read_limit
        if self.spec.kind == "pool" and self.spec.pool.validate_on_borrow:
            hang_s = min(hang_s, self.spec.pool.validation_timeout_s)
        return hang_s

    def _arrival_limit(self, dead: bool) -> tuple[float, str]:
        """How long a request arriving while the connections are stuck waits, and its error:
        a pool's requests wait for a free connection (HikariCP ``connectionTimeout``; with
        validation, a dead connection fails its test); a function's waits on its own."""
        pool = self.spec.pool
        if self.spec.kind != "pool":
            return self.read_limit
        if dead and pool.validate_on_borrow:
            return pool.validation_timeout_s, "read-timeout"
        return pool.connection_timeout_s, "pool-timeout"

    def _release(self, stuck: _Stuck, end: str | None, release_s: float) -> None:
        """Write the stuck requests, which end at ``release_s``: served (``end`` None),
        reset (``connection-lost``) or timed out (``read-timeout``), each unless it gave up
        at its limit first. Those in flight time out at the read timeout. A pool's arrivals,
        waiting for a pooled connection, are not on the stuck ones: unless served, they wait
        on for the new connections the pool opens (the backlog, see :meth:`_connect`)."""
        timed_out = end == "read-timeout"
        read_limit_s, read_error = self.read_limit
        write_queue(
            self.flows,
            stuck.first_s,
            stuck.since_s,
            stuck.held_rate_per_s,
            read_limit_s,
            read_error,
            self.ok_latency_s,
            release_s=math.inf if timed_out else release_s,
            release_error=end,
        )
        now = self.ctx.now
        dead_since_s = min(stuck.dead_since_s, now)
        # Arrivals while the I/O was only suspended wait as for a stall, the later ones as
        # for a dead host.
        self.backlog = [(stuck.since_s, dead_since_s, False), (dead_since_s, now, True)]
        self.stuck = None
        if end is None or self.spec.kind != "pool":
            self._write_backlog(math.inf if timed_out else release_s, end)

    def _write_backlog(self, release_s: float, error: str | None) -> None:
        """The queued arrivals get what a connection gets at ``release_s``: served (``error``
        None) or ``error``, unless they gave up at their limit first."""
        for start_s, end_s, dead in self.backlog:
            limit_s, limit_error = self._arrival_limit(dead)
            write_queue(
                self.flows,
                start_s,
                end_s,
                self.rate_per_s,
                limit_s,
                limit_error,
                self.ok_latency_s,
                release_s=release_s,
                release_error=error,
            )
        self.backlog = []

    def finish(self) -> None:
        """The run ends: requests still stuck end as they would (at a known release, else
        at their limits)."""
        if self.stuck is not None:
            release_s, end = self.stuck.ends
            self._release(self.stuck, end, max(release_s, self.ctx.now))
        if self.backlog:
            self._write_backlog(math.inf, "read-timeout")
        if self.failing is not None:
            # An outage still going at the end: its attempts looked the name up too.
            cache, start_s, duration_s, attempt = self.failing
            self._attempts_until(cache, self.ctx.now, start_s, duration_s, attempt)
        super().finish()


def _next_after(phase_s: float, period_s: float, now_s: float) -> float:
    """The first of phase + n periods after ``now_s`` (n counted, not added up: the same
    instant however many were passed at once)."""
    count = math.floor((now_s - phase_s) / period_s) + 1
    while phase_s + count * period_s <= now_s:  # rounding
        count += 1
    return phase_s + count * period_s


def _answer_at_retransmission(inst: Instance) -> str | None:
    """How stuck connections end if a retransmission gets through now: served (None),
    reset by an instance that is no longer the writer, or "stuck" (I/O still suspended)."""
    if inst.role != "primary" or inst.op_state not in _KEEPS_CONNECTIONS:
        return "connection-lost"
    if _answers(inst) and inst.op_state == "available":
        return None
    return "stuck"


def _answers(inst: Instance) -> bool:
    """Whether the instance answers on its open connections (its I/O may be suspended)."""
    return inst.answers


@dataclass
class _Stuck:
    """Requests queued on connections that do not answer: the ones in flight when they
    stopped (arrived from ``first_s`` at ``held_rate_per_s``), then every arrival since."""

    first_s: float
    held_rate_per_s: float
    since_s: float
    dead_since_s: float = math.inf
    """When the host stopped answering (after suspended I/O, or at ``since_s``)."""
    ends: tuple[float, str | None] = (math.inf, "read-timeout")
    """How they end if nothing changes: when, and with what (None: served)."""
