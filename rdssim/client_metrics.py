"""What the application saw: downtime, errors by kind, latency, connections (from Flows).

Definitions (docs/summary-keys.md documents them for users):

* client downtime of a group: the time during which its requests were not being answered
  successfully, weighted by the share missing: the integral over t of
  max(0, 1 - ok(t) / offered(t)), where offered(t) is the rate of requests arriving at t and
  ok(t) the rate of successful answers arriving at t. A queue released at one instant
  answers nothing while it waits, so a proxy that holds requests through a failover counts
  the wait as downtime even though the requests succeed in the end. The first latency of a
  group that starts healthy is not downtime (its first answers are on their way). The summary's
  ``client_downtime_s`` is the mean over groups, weighted by their request rates.
* latency of successes (``latency_ok_*``): time from a request's arrival to its successful
  answer, over all groups; time to error (``error_latency_*``): from a failed request's
  arrival to its error (a refusal after a millisecond, a timeout after its wait). Apart, so
  that fast errors during an outage do not pull the latency down.
* connections: the most open at once on any DB instance (clients directly and the proxy),
  and every DB connection opened (bursts and per-request opens).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rdssim.mixture import mixture_quantiles
from rdssim.record import CONNECTION_OPENS, CONNECTIONS_OPENED, Flow, Record

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClientSummary:
    """What the client groups of one run amount to. Keys are stable (merged into Summary)."""

    client_downtime_by_group: dict[str, float]
    client_requests: int
    errors_by_kind: dict[str, int]
    client_failed_share: float | None
    latency_ok_p50_ms: float | None
    latency_ok_p99_ms: float | None
    error_latency_p50_ms: float | None
    error_latency_p99_ms: float | None
    db_connections_max: float | None
    max_connections: int | None
    connection_opens: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _step_integral(knots: FloatArray, rates: FloatArray) -> FloatArray:
    """Per interval between knots, the summed rate of the [start, end) pieces in ``rates``
    (rows: start, end, rate)."""
    change = np.zeros(knots.size, dtype=np.float64)
    np.add.at(change, np.searchsorted(knots, rates[:, 0]), rates[:, 2])
    np.add.at(change, np.searchsorted(knots, rates[:, 1]), -rates[:, 2])
    return np.cumsum(change)[:-1]


def group_missing(flows: list[Flow], end_s: float) -> tuple[FloatArray, FloatArray]:
    """(knots, missing): the share of a group's requests not being answered successfully,
    constant between consecutive knots (n + 1 knots, n shares), up to ``end_s``; the
    downtime is its integral (see the module docstring)."""
    offered = np.array([(f.start_s, f.end_s, f.rate_per_s) for f in flows], dtype=np.float64)
    answered = np.array(
        [
            (f.start_s + f.latency_start_s, f.end_s + f.latency_end_s, f.rate_per_s)
            for f in flows
            if f.outcome == "ok" and f.end_s + f.latency_end_s > f.start_s + f.latency_start_s
        ],
        dtype=np.float64,
    ).reshape(-1, 3)
    for pieces in (offered, answered):
        pieces[:, :2] = np.minimum(pieces[:, :2], end_s)
    knots = np.unique(np.concatenate([offered[:, :2].ravel(), answered[:, :2].ravel(), [end_s]]))
    offered_rate = _step_integral(knots, offered)
    ok_rate = _step_integral(knots, answered) if answered.size else np.zeros_like(offered_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        missing = np.where(offered_rate > 1e-12, 1.0 - ok_rate / offered_rate, 0.0)
    # The first answers of a group that starts healthy are on their way for one latency:
    # that is not downtime (later, the answers of earlier requests fill the same gap).
    missing[knots[:-1] < _pipeline_filled_s(flows)] = 0.0
    return knots, np.clip(missing, 0.0, 1.0)


def group_downtime_s(flows: list[Flow], end_s: float) -> float:
    """Downtime of one group (see the module docstring), up to ``end_s``."""
    knots, missing = group_missing(flows, end_s)
    return float(np.sum(missing * np.diff(knots)))


def _pipeline_filled_s(flows: list[Flow]) -> float:
    """When the first answers arrive, if every request at the group's start succeeds."""
    start_s = min(f.start_s for f in flows)
    first = [f for f in flows if f.start_s == start_s and f.rate_per_s > 0]
    if not first or any(f.outcome != "ok" for f in first):
        return start_s
    return start_s + min(f.latency_start_s for f in first)


def group_recovered(flows: list[Flow], end_s: float) -> bool:
    """Whether a group's requests arriving at the end of the run succeed as often as they
    ever did (within 0.1%), and some do: back to its best, not necessarily to all."""
    offered = np.array([(f.start_s, f.end_s, f.rate_per_s) for f in flows], dtype=np.float64)
    ok = offered[[f.outcome == "ok" for f in flows]]
    knots = np.unique(np.concatenate([offered[:, :2].ravel(), [end_s]]))
    offered_rate = _step_integral(knots, offered)
    ok_rate = _step_integral(knots, ok) if ok.size else np.zeros_like(offered_rate)
    live = offered_rate > 1e-12
    if not live.any():
        return True
    shares = ok_rate[live] / offered_rate[live]
    return bool(shares[-1] > 0 and shares[-1] >= shares.max() - 1e-3)


def latency_quantile(flows: list[Flow], q: float) -> float | None:
    """Quantile ``q`` of the latency of the requests of ``flows``: within a Flow, latency is
    uniform between its two ends, so the distribution is a mixture of uniforms (exact)."""
    if not flows:
        return None
    lo = np.array([min(f.latency_start_s, f.latency_end_s) for f in flows], dtype=np.float64)
    hi = np.array([max(f.latency_start_s, f.latency_end_s) for f in flows], dtype=np.float64)
    weight = np.array([f.requests for f in flows], dtype=np.float64)
    value = float(mixture_quantiles(lo, hi, weight, [q])[0])
    return None if np.isnan(value) else value


def db_connections_max(record: Record) -> float | None:
    """The most connections open at once on any DB instance."""
    values = [b.value for b in record.breakpoints if b.series.startswith("db_connections:")]
    return max(values) if values else None


def connection_opens(record: Record) -> float:
    """DB connections opened: bursts, plus the integral of the per-request open rate."""
    bursts = 0.0
    for event in record.events:
        count = event.data.get("count")
        if event.kind == CONNECTIONS_OPENED and isinstance(count, int | float):
            bursts += float(count)
    times, rates = record.series(CONNECTION_OPENS)
    if times.size == 0:
        return bursts
    spans = np.diff(np.append(times, record.duration_s))  # a step's two points: span 0
    return bursts + float(np.sum(rates * spans))


def flows_by_group(record: Record) -> dict[str, list[Flow]]:
    """Each client group's Flows, in the scenario's order of groups (meta client_groups),
    not the order their first Flows were written in: cohorts ending a segment at the same
    instant may write in either order."""
    declared = str(record.meta.get("client_groups", "")).split(",")
    by_group: dict[str, list[Flow]] = {name: [] for name in declared}
    for flow in record.flows:
        by_group.setdefault(flow.group, []).append(flow)
    return {name: flows for name, flows in by_group.items() if flows}


def summarize_clients(record: Record) -> ClientSummary | None:
    """The ClientSummary of one run; None if it has no client groups."""
    if not record.flows:
        return None
    by_group = flows_by_group(record)
    errors: dict[str, float] = defaultdict(float)
    for flow in record.flows:
        if flow.error is not None:
            errors[flow.error] += flow.requests
    served = [f for f in record.flows if f.outcome == "ok"]
    failed = [f for f in record.flows if f.outcome != "ok"]
    limit = record.meta.get("max_connections")
    return ClientSummary(
        client_downtime_by_group={
            name: group_downtime_s(flows, record.duration_s) for name, flows in by_group.items()
        },
        client_requests=round(sum(f.requests for f in record.flows)),
        errors_by_kind={kind: round(n) for kind, n in sorted(errors.items()) if round(n) > 0},
        client_failed_share=failed_share(record.flows),
        latency_ok_p50_ms=_ms(latency_quantile(served, 0.50)),
        latency_ok_p99_ms=_ms(latency_quantile(served, 0.99)),
        error_latency_p50_ms=_ms(latency_quantile(failed, 0.50)),
        error_latency_p99_ms=_ms(latency_quantile(failed, 0.99)),
        db_connections_max=db_connections_max(record),
        max_connections=int(limit) if isinstance(limit, int) else None,
        connection_opens=round(connection_opens(record)),
    )


def failed_share(flows: Sequence[Flow]) -> float | None:
    """The share of the client requests not answered successfully, over the run
    (request-weighted: ``client_availability`` is its time-weighted sibling); None without
    requests."""
    total = sum(f.requests for f in flows)
    if total <= 0:
        return None
    return sum(f.requests for f in flows if f.outcome != "ok") / total


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def groups_recovered(record: Record) -> bool:
    """Whether every client group is back to its best at the end (:func:`group_recovered`)."""
    by_group = flows_by_group(record)
    return all(group_recovered(flows, record.duration_s) for flows in by_group.values())


def mean_downtime_s(record: Record, summary: ClientSummary) -> float:
    """Groups' downtimes averaged with their request counts as weights."""
    requests: dict[str, float] = defaultdict(float)
    for flow in record.flows:
        requests[flow.group] += flow.requests
    total = sum(requests.values())
    return sum(summary.client_downtime_by_group[g] * n / total for g, n in requests.items())
