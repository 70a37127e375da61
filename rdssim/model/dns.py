"""The writer endpoint: a DNS CNAME whose answer changes after a propagation delay."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from rdssim.model.context import Signal, SimContext


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
    never asks again. ``on_lookup`` hears every cache miss (name, answer)."""

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
            self._cached = self.endpoint.resolve()
            self._expiry_s = now + (self.keep_s if expires_in_s is None else expires_in_s)
            if self.on_lookup is not None:
                self.on_lookup(self.endpoint.name, self._cached)
        return self._cached
