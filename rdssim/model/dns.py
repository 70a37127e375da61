"""The writer endpoint: a DNS CNAME whose answer changes after a propagation delay."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from rdssim.model.context import FirstOf, Signal, SimContext
from rdssim.model.renewal import lookup_gap_s


class Endpoint:
    """A DNS name resolving to one instance, with a record TTL (RDS: 5 s)."""

    def __init__(
        self, ctx: SimContext, name: str, target: str, ttl_s: float, *, announce: bool = True
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.ttl_s = ttl_s
        self._answer = target
        self.resolutions = 0
        self.changed = Signal(ctx.env)
        """Fires when the answer changes (clients that cache it look it up again later)."""
        self.changed_or_topology = FirstOf(ctx.env, self.changed, ctx.changed)
        """Fires when the answer or the topology changes."""
        if announce:
            ctx.emit(
                "dns", "dns-answer", f"{name} resolves to {target}", endpoint=name, target=target
            )

    @property
    def target(self) -> str:
        """The instance the name resolves to now (not counted as a lookup)."""
        return self._answer

    def resolve(self, lookups: int = 1) -> str:
        """The instance the name resolves to now; counts ``lookups`` of it (a client solved
        over a stretch of time counts the lookups it made at once)."""
        self.resolutions += lookups
        return self._answer

    def repoint(self, target: str, propagation_s: float) -> Generator[simpy.Event, Any, None]:
        """Process: after ``propagation_s`` every fresh lookup answers ``target``."""
        if propagation_s > 0:
            yield self.ctx.env.timeout(propagation_s)
        self._answer = target
        self.changed.fire()
        self.ctx.emit(
            "dns",
            "dns-answer",
            f"{self.name} resolves to {target}",
            endpoint=self.name,
            target=target,
        )


class DnsCache:
    """A client's cache of one endpoint's answer: ``ttl`` honours the record's TTL,
    ``fixed`` keeps answers ``fixed_s`` (a JVM's networkaddress.cache.ttl), ``forever``
    never asks again. ``on_lookup`` hears the lookups that change the answer (name, answer),
    the first one included: a lookup that gets the same answer changes nothing, and a
    client retrying for hours would otherwise log one every TTL."""

    def __init__(
        self,
        ctx: SimContext,
        endpoint: Endpoint,
        policy: str,
        fixed_s: float,
        on_lookup: Callable[[str, str], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.endpoint = endpoint
        self.policy = policy
        self.fixed_s = fixed_s
        self.on_lookup = on_lookup
        self._cached: str | None = None
        self._expiry_s = -math.inf

    @property
    def keep_s(self) -> float:
        if self.policy == "ttl":
            return self.endpoint.ttl_s
        if self.policy == "fixed":
            return self.fixed_s
        return math.inf

    def resolve(self, *, expires_in_s: float | None = None) -> str:
        """The cached answer, or a fresh lookup when it expired. ``expires_in_s`` sets when
        a fresh answer expires (a client that started earlier has its cache out of phase)."""
        now = self.ctx.now
        if self._cached is None or now >= self._expiry_s:
            previous, self._cached = self._cached, self.endpoint.resolve()
            self._expiry_s = now + (self.keep_s if expires_in_s is None else expires_in_s)
            if self.on_lookup is not None and self._cached != previous:
                self.on_lookup(self.endpoint.name, self._cached)
        return self._cached

    @property
    def answer(self) -> str | None:
        """The answer held, expired or not (None before the first lookup)."""
        return self._cached

    @property
    def expiry_s(self) -> float:
        return self._expiry_s

    def stale(self) -> bool:
        """Whether the cached answer is no longer the endpoint's."""
        return self._cached is not None and self._cached != self.endpoint.target

    def replay(self, starts_s: npt.NDArray[np.float64]) -> None:
        """Attempts that started at ``starts_s`` (sorted, in the past) resolved the name while
        its answer could not change: count their lookups and move the expiry on, as
        :meth:`resolve` at each would have (solved: one step per lookup, none per attempt)."""
        first = int(np.searchsorted(starts_s, self._expiry_s, side="left"))
        if first >= starts_s.size:
            return
        if self.keep_s == 0:  # every attempt looks the name up (a TTL of 0)
            self.endpoint.resolve(starts_s.size - first)
            self._expiry_s = float(starts_s[-1])
            return
        lookups, i = 0, first
        while i < starts_s.size:
            lookups += 1
            self._expiry_s = float(starts_s[i]) + self.keep_s
            i = bisect.bisect_left(starts_s, self._expiry_s, lo=i + 1)
        self.endpoint.resolve(lookups)

    def count_lookups(self, from_s: float, to_s: float, least_s: float, spread_s: float) -> None:
        """Attempts spaced ``least_s + U(0, spread_s)`` apart from ``from_s`` to ``to_s``
        resolved the name while its answer could not change: count their lookups. None
        comes before the cached answer expires (a cache that still holds an old answer looks
        up at its expiry, after ``to_s``); from then on they come
        :func:`rdssim.model.renewal.lookup_gap_s` apart on average. The expiry keeps its
        phase, one such gap after each lookup: moved to ``to_s`` it would shift the next
        lookup, and the moment a changed answer is seen, by up to a cache lifetime."""
        if math.isinf(self.keep_s) or self._expiry_s >= to_s:
            return
        gap_s = lookup_gap_s(self.keep_s, least_s, spread_s)
        first_s = max(from_s, self._expiry_s)
        lookups = math.ceil((to_s - first_s) / gap_s)
        self.endpoint.resolve(lookups)
        self._expiry_s = first_s + lookups * gap_s
