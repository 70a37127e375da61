"""The probe client: the 1-second "connect and insert" loop used to time real failovers.

Each attempt resolves the writer endpoint through the client's DNS cache, connects to the
address it got, and inserts one row; the next starts ``interval`` after it started, or when
it ends if it took longer. Its history of attempts is what client-observed downtime is
measured from when there are no client groups.

Solved, not polled (DESIGN.md principle 1, for time): between two changes of what the probe
can see (an instance's state, the endpoint's answer once its cache looks it up, the proxy's
writer) every attempt has the same outcome and length. So the probe waits for the next
change, not for each attempt; at a change it writes the attempts started before it as one
:class:`rdssim.record.Attempts` stretch and looks again at the next attempt's start. A year
of probing costs per incident, not per second.

Ties: changes at an instant come before an attempt starting at that instant (faults and
actions are scheduled at the start of the run, before the probe), and an insert that ends
at the instant of a change sees it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from rdssim.model.context import SimContext
from rdssim.model.dns import Endpoint
from rdssim.model.instance import STALLED, Instance
from rdssim.model.tcp import REFUSED_AFTER_S
from rdssim.record import Attempts, Outcome
from rdssim.scenario.schema import ProbeSpec

if TYPE_CHECKING:
    from rdssim.model.proxy import Proxy

Proc = Generator[simpy.Event, Any, None]

# Instants this close count as equal: attempt k of a stretch starts at first + k * period,
# which may differ in the last bits from adding the period k times. Relative up to 10^4 s,
# then a few ulps: a year into a run, a relative 1e-9 would be 30 ms, longer than an insert.
_TIE = 1e-9


def _tie_s(t: float, _ulp: Callable[[float], float] = math.ulp) -> float:
    # _TIE * max(1.0, min(abs(t), 1e4)) + 64 * ulp(t), without the builtins' calls (asked
    # ~40 times a run); NaN compares false both ways and gets 1.0, as with max/min.
    a = abs(t)
    return _TIE * (1e4 if a >= 1e4 else a if a > 1.0 else 1.0) + 64 * _ulp(t)


@dataclass(frozen=True)
class _Shape:
    """What an attempt starting now does if nothing changes until it ends.

    ``kind``: ``fixed`` (its outcome is known at its start), ``write`` (it inserts; the
    insert succeeds if the writer still accepts writes when it ends) or ``wait`` (through
    RDS Proxy with no writer: it waits for one, up to its limit).
    """

    kind: str
    outcome: Outcome
    error: str | None
    address: str | None
    duration_s: float


class _Cache:
    """The probe's DNS cache, solved over stretches of evenly spaced attempts.

    An attempt looks the name up when the cached answer has expired (``ttl``: the record's
    TTL, ``fixed``: ``fixed_s``, ``forever``: never again).
    """

    def __init__(self, endpoint: Endpoint, policy: str, fixed_s: float) -> None:
        self.endpoint = endpoint
        self.keep_s = {"ttl": endpoint.ttl_s, "fixed": fixed_s}.get(policy, math.inf)
        self.answer: str | None = None
        self.expiry_s = -math.inf
        self.lookups = 0

    def at(self, t: float) -> str:
        """The answer an attempt starting at ``t`` uses (a lookup if it expired)."""
        if self.answer is None or t >= self.expiry_s - _tie_s(t):
            self.answer = self.endpoint.resolve()
            self.lookups += 1
            self.expiry_s = t + self.keep_s
        return self.answer

    def _next_lookup(self, first_s: float, period_s: float, k: int) -> int:
        """The first index >= k of the stretch at which an attempt looks the name up."""
        if math.isinf(self.expiry_s):
            return math.inf if self.expiry_s > 0 else k  # type: ignore[return-value]
        guess = max(k, math.ceil((self.expiry_s - first_s) / period_s) - 1)
        while first_s + guess * period_s < self.expiry_s - _tie_s(self.expiry_s):
            guess += 1
        return guess

    def skip(self, first_s: float, period_s: float, start: int, stop: int) -> None:
        """Attempts ``start`` to ``stop - 1`` of a stretch (first_s + k * period_s) happen
        while the answer cannot change: count their lookups and move the expiry on."""
        k, lookups = start, 0
        while True:
            k = self._next_lookup(first_s, period_s, k)
            if k >= stop:
                break
            lookups += 1
            t = first_s + k * period_s
            self.expiry_s = t + self.keep_s
            if math.isinf(self.keep_s):  # a "forever" cache looks up once
                break
            # Later lookups come every ceil(keep / period) attempts: count them at once.
            step = max(1, math.ceil(self.keep_s / period_s - _TIE))
            more = (stop - 1 - k) // step
            if more > 0:
                lookups += more
                k += more * step
                self.expiry_s = first_s + k * period_s + self.keep_s
            k += 1
        if lookups:
            self.endpoint.resolve(lookups)
            self.lookups += lookups

    def stale(self) -> bool:
        """Whether the cached answer is no longer the endpoint's."""
        return self.answer is not None and self.answer != self.endpoint.target

    def refresh_at(self, first_s: float, period_s: float, k: int) -> float:
        """When the first attempt from index k looks the name up again (inf: never)."""
        index = self._next_lookup(first_s, period_s, k)
        return math.inf if math.isinf(index) else first_s + index * period_s


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
        self.cache = _Cache(target, spec.dns_cache, spec.dns_cache_s)
        self._next_cache: _Cache | None = None
        self._open: Attempts | None = None
        # The stretch under way: its first start, period, shape and attempts counted so far.
        self._stretch: tuple[float, float, _Shape] | None = None

    def follow(self, endpoint: Endpoint) -> None:
        """The probe is reconfigured to connect to ``endpoint`` (not through a proxy)."""
        if self.proxy is None:
            # Taken up once the attempts made so far are counted on the old cache (run).
            self._next_cache = _Cache(endpoint, self.spec.dns_cache, self.spec.dns_cache_s)
            self.ctx.changed.fire()

    def _take_up_new_cache(self) -> None:
        if self._next_cache is not None:  # reconfigured (follow)
            self._next_cache.lookups = self.cache.lookups
            self.cache, self._next_cache = self._next_cache, None

    # -- what an attempt does -----------------------------------------------------------
    def _shape(self, t: float) -> _Shape:
        """The attempt starting now (``t``), if nothing changes until it ends."""
        spec = self.spec
        if self.proxy is not None:
            self.cache.at(t)
            if self.proxy.writer is None:
                limit_s, error = self.proxy.wait_limit(spec.read_timeout_s)
                return _Shape("wait", "fail", error, None, limit_s)
            duration = spec.write_latency_s + self.proxy.spec.latency_s + self.ctx.commit_latency_s
            return _Shape("write", "ok", None, self.proxy.writer, duration)
        return self._direct_shape(self.cache.at(t))

    def _direct_shape(self, address: str) -> _Shape:
        """The attempt to ``address`` (not through a proxy), if nothing changes until it ends."""
        spec = self.spec
        inst = self.instances[address]
        if not (inst.host_up and inst.reachable):
            return _Shape("fixed", "fail", "connect-timeout", address, spec.connect_timeout_s)
        if inst.op_state in STALLED:
            # A snapshot suspends I/O: the connection is accepted, the insert hangs.
            return _Shape("fixed", "unknown", "read-timeout", address, spec.read_timeout_s)
        if inst.role != "primary" or inst.op_state != "available":
            return _Shape("fixed", "fail", "refused", address, REFUSED_AFTER_S)
        if not (inst.storage_ok and inst.responsive):
            # The server accepts the connection but the insert never returns.
            return _Shape("fixed", "unknown", "read-timeout", address, spec.read_timeout_s)
        return _Shape(
            "write", "ok", None, address, spec.write_latency_s + self.ctx.commit_latency_s
        )

    def _insert_outcome(self, shape: _Shape) -> tuple[Outcome, str | None]:
        """How an insert that started with ``shape`` ends now."""
        if self.proxy is not None:
            if self.proxy.writer is None:
                return "unknown", "cancelled-in-transaction"
            return "ok", None
        assert shape.address is not None
        if self.instances[shape.address].accepting_writes:
            return "ok", None
        return "unknown", "connection-lost"

    def _view(self) -> _Shape | None:
        """The shape the attempts of the stretch have as things are now, when only the
        instance the cache names can change it; None when that cannot be told: through RDS
        Proxy, with a new endpoint to take up, or with a cached answer that is no longer the
        endpoint's (the next look-up changes it). An insert under way ends as its shape
        says while the shape holds (``write``: the writer still accepts writes)."""
        answer = self.cache.answer
        if self.proxy is not None or self._next_cache is not None or answer is None:
            return None
        return None if self.cache.stale() else self._direct_shape(answer)

    def _period(self, duration_s: float) -> float:
        return max(self.spec.interval_s, duration_s)

    # -- the process ------------------------------------------------------------------------
    def _changes(self, shape: _Shape, first_s: float, period_s: float) -> list[simpy.Event]:
        """The events after which an attempt of ``shape`` may go differently."""
        env = self.ctx.env
        if shape.kind == "wait":
            assert self.proxy is not None
            return [self.proxy.writer_found.wait()]
        events = [self.ctx.changed.wait(), self.cache.endpoint.changed.wait()]
        if self.cache.stale():
            # The endpoint names another instance: the attempt that looks it up next sees it.
            k = math.floor((self.ctx.now - first_s + _tie_s(self.ctx.now)) / period_s) + 1
            refresh_s = self.cache.refresh_at(first_s, period_s, max(k, 1))
            if math.isfinite(refresh_s):
                events.append(env.timeout(max(0.0, refresh_s - self.ctx.now)))
        return events

    def run(self) -> Proc:
        """Process: one stretch of identical attempts per state of what the probe sees."""
        env = self.ctx.env
        start_s = self.ctx.now
        while True:
            self._take_up_new_cache()
            shape = self._shape(start_s)
            period_s = self._period(shape.duration_s)
            self._stretch = (start_s, period_s, shape)
            view = self._view()
            while True:
                yield env.any_of(self._changes(shape, start_s, period_s))
                if view is not None and self._view() == view:
                    continue  # a change elsewhere (the standby, say): the stretch goes on
                # Through the proxy, waiting attempts go on until a writer is found.
                if shape.kind != "wait" or (self.proxy is not None and self.proxy.writer):
                    break
            now = self.ctx.now
            # Attempts started before now went as the shape says; one starting now (up to
            # rounding) sees the change, except the first, which has already looked.
            started = max(1, math.ceil((now - start_s - _tie_s(now)) / period_s))
            last_s = start_s + (started - 1) * period_s
            self.cache.skip(start_s, period_s, 1, started)
            self._take_up_new_cache()
            in_flight = last_s + shape.duration_s >= now - _tie_s(now)
            self._add(start_s, started - 1, period_s, shape)
            if not in_flight:
                self._add(last_s, 1, period_s, shape)
            elif shape.kind == "fixed":
                # Its outcome was known when it started; it is written once it ends.
                self._stretch = (last_s, period_s, shape)
                yield env.timeout(max(0.0, last_s + shape.duration_s - now))
                self._add(last_s, 1, period_s, shape)
            elif shape.kind == "write":
                # The insert under way at the change ends as the writer is then.
                self._stretch = None
                yield env.timeout(max(0.0, last_s + shape.duration_s - now))
                outcome, error = self._insert_outcome(shape)
                # Through the proxy, the attempt reached whichever writer it has by now.
                address = shape.address if self.proxy is None else self.proxy.writer
                self._add_one(last_s, self.ctx.now, outcome, error, address)
            else:  # wait: the proxy found a writer while the attempt waited for one
                assert self.proxy is not None
                self._stretch = None
                yield env.timeout(
                    self.spec.write_latency_s
                    + self.proxy.spec.latency_s
                    + self.ctx.commit_latency_s
                )
                outcome, error = self._insert_outcome(shape)
                self._add_one(last_s, self.ctx.now, outcome, error, self.proxy.writer)
            self._stretch = None
            next_s = last_s + period_s
            if in_flight and shape.kind == "wait":  # it took as long as the wait, and more
                next_s = max(last_s + self.spec.interval_s, self.ctx.now)
            if next_s > self.ctx.now:
                yield env.timeout(next_s - self.ctx.now)
            start_s = self.ctx.now

    # -- the Record -------------------------------------------------------------------------
    def _add(self, first_s: float, count: int, period_s: float, shape: _Shape) -> None:
        """``count`` attempts of ``shape`` from ``first_s``, every ``period_s``."""
        if count <= 0:
            return
        run = Attempts(
            self.name,
            first_s,
            period_s,
            count,
            shape.duration_s,
            shape.outcome,
            shape.error,
            shape.address,
        )
        self._append(run)

    def _add_one(
        self, start_s: float, end_s: float, outcome: Outcome, error: str | None, address: str | None
    ) -> None:
        duration = end_s - start_s
        self._append(
            Attempts(
                self.name, start_s, self._period(duration), 1, duration, outcome, error, address
            )
        )

    def _append(self, run: Attempts) -> None:
        """Extend the open stretch of the Record if ``run`` continues it, else start one."""
        open_ = self._open
        if open_ is not None:
            same = (open_.outcome, open_.error, open_.address, open_.period_s) == (
                run.outcome,
                run.error,
                run.address,
                run.period_s,
            )
            next_s = open_.start_s(open_.count)
            close = abs(run.first_start_s - next_s) <= _tie_s(next_s)
            if same and close and abs(open_.duration_s - run.duration_s) <= _TIE:
                self._open = Attempts(
                    run.client,
                    open_.first_start_s,
                    open_.period_s,
                    open_.count + run.count,
                    open_.duration_s,
                    open_.outcome,
                    open_.error,
                    open_.address,
                )
                return
            self.ctx.record.add(open_)
        self._open = run

    def finish(self) -> None:
        """The run ends: the attempts of the stretch under way that ended before now."""
        now = self.ctx.now
        if self._stretch is not None:
            first_s, period_s, shape = self._stretch
            started = max(1, math.ceil((now - first_s - _tie_s(now)) / period_s))
            self.cache.skip(first_s, period_s, 1, started)
            # An attempt is written once it has ended, as the polled loop did.
            ended = math.ceil((now - shape.duration_s - first_s - _tie_s(now)) / period_s)
            self._add(first_s, max(0, min(ended, started)), period_s, shape)
            self._stretch = None
        if self._open is not None:
            self.ctx.record.add(self._open)
            self._open = None
