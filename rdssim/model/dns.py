"""The writer endpoint: a DNS CNAME whose answer changes after a propagation delay."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from rdssim.model.context import SimContext


class Endpoint:
    """A DNS name resolving to one instance, with a record TTL (RDS: 5 s)."""

    def __init__(self, ctx: SimContext, name: str, target: str, ttl_s: float) -> None:
        self.ctx = ctx
        self.name = name
        self.ttl_s = ttl_s
        self._answer = target
        self.resolutions = 0
        ctx.emit("dns", "dns-answer", f"{name} resolves to {target}", endpoint=name, target=target)

    @property
    def target(self) -> str:
        """The instance the name resolves to now (not counted as a lookup)."""
        return self._answer

    def resolve(self) -> str:
        """The instance the name resolves to now (one lookup)."""
        self.resolutions += 1
        return self._answer

    def repoint(self, target: str, propagation_s: float) -> Generator[simpy.Event, Any, None]:
        """Process: after ``propagation_s`` every fresh lookup answers ``target``."""
        if propagation_s > 0:
            yield self.ctx.env.timeout(propagation_s)
        self._answer = target
        self.ctx.emit(
            "dns",
            "dns-answer",
            f"{self.name} resolves to {target}",
            endpoint=self.name,
            target=target,
        )
