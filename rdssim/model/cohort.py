"""What every client cohort shares, direct or through RDS Proxy.

A group of identical application instances is simulated as a few cohorts (DESIGN.md
principle 1: rates, not requests): each cohort is one SimPy process standing for
``instances / cohorts`` instances, with its own DNS cache phase and retry jitter. Its
traffic is written as Flow entries: what its requests got, at what rate, with what latency.
"""

from __future__ import annotations

import math

import numpy as np

from rdssim.model.context import SimContext
from rdssim.model.dns import Endpoint
from rdssim.model.flows import FlowWriter
from rdssim.model.tcp import RETRANSMIT_GIVE_UP_S
from rdssim.record import DNS_LOOKUP
from rdssim.scenario.schema import ClientSpec


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

    @property
    def name(self) -> str:
        """The client group's name (what a repoint-clients action names)."""
        return self.spec.name

    def follow(self, endpoint: Endpoint) -> None:
        """The application is reconfigured to use ``endpoint`` (cohorts through RDS Proxy
        keep using the proxy's)."""

    @property
    def read_limit(self) -> tuple[float, str]:
        """How long a request on an open connection waits for its answer at most, and the
        error when it gives up: the read timeout, or TCP's give-up without one."""
        return self.spec.read_timeout_s or RETRANSMIT_GIVE_UP_S, "read-timeout"

    def finish(self) -> None:
        """The run ends: close the open segments."""
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
