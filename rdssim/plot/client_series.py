"""What the client plots draw, read from a Record and binned over time (numpy only).

Time is cut into bins of one width (a round number of seconds, so that a 10-minute run gets
1 s bins and an hour 5 s bins: never more than :data:`MAX_BINS`). Per bin:

* requests by outcome, counted by *arrival* time: a Flow's requests arriving in the bin are
  its rate times its overlap with the bin (exact);
* the p50 and p99 latency of the successful requests arriving in the bin, and apart, the p50
  and p99 time to error of the failed ones (the summary's ``latency_ok_*`` and
  ``error_latency_*``). Within a Flow, latency is linear in arrival time, so the requests of
  a Flow arriving in a bin have
  latencies spread uniformly between its latency at the two ends of the overlap; the bin's
  latencies are a mixture of such uniforms (and of point masses, for constant latencies),
  whose quantiles are computed exactly. The only approximation is the bin itself: a latency
  that changes within a bin is summarised by the bin's percentiles;
* DB connections opened: the ``connections-opened`` bursts falling in the bin, plus the
  steady per-request open rate (:data:`~rdssim.record.CONNECTION_OPENS`) integrated over it.

Connections open (per DB instance, and clients held by RDS Proxy) are step series and are
drawn as they are, not binned.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from rdssim.mixture import mixture_quantiles
from rdssim.record import (
    CONNECTION_OPENS,
    CONNECTIONS_OPENED,
    PROXY_CLIENTS,
    Flow,
    Record,
    db_connections_series,
)

FloatArray = npt.NDArray[np.float64]

MAX_BINS = 720
NICE_BINS_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
QUANTILES = (0.50, 0.99)
OK = "ok"


# -- bins -------------------------------------------------------------------------------------
def bin_width_s(duration_s: float, max_bins: int = MAX_BINS) -> float:
    """The smallest round width that cuts ``duration_s`` into at most ``max_bins`` bins."""
    for width in NICE_BINS_S:
        if duration_s / width <= max_bins + 1e-9:
            return width
    return float(math.ceil(duration_s / max_bins / 3600.0) * 3600.0)


def bin_edges(duration_s: float, width_s: float | None = None) -> FloatArray:
    """Edges from 0 to ``duration_s`` every ``width_s`` (default :func:`bin_width_s`); the
    last bin is shorter if the width does not divide the duration."""
    width = bin_width_s(duration_s) if width_s is None else width_s
    count = max(1, math.ceil(duration_s / width - 1e-9))
    return np.minimum(np.arange(count + 1, dtype=np.float64) * width, duration_s)


def step_amounts(
    starts: FloatArray, ends: FloatArray, rates: FloatArray, edges: FloatArray
) -> FloatArray:
    """Per bin, the integral of the sum of rate pieces ``rates[i]`` on [starts[i], ends[i]).

    Exact: the integral up to t is piecewise linear with kinks at the pieces' ends, so it is
    accumulated over the sorted kinks and read at the edges.
    """
    keep = ends > starts
    starts, ends, rates = starts[keep], ends[keep], rates[keep]
    knots = np.unique(np.concatenate([starts, ends, edges]))
    slope_change = np.zeros(knots.size, dtype=np.float64)
    np.add.at(slope_change, np.searchsorted(knots, starts), rates)
    np.add.at(slope_change, np.searchsorted(knots, ends), -rates)
    slope = np.cumsum(slope_change)[:-1]  # on [knots[k], knots[k + 1])
    total = np.concatenate([[0.0], np.cumsum(slope * np.diff(knots))])
    return np.diff(total[np.searchsorted(knots, edges)])


# -- requests by outcome ------------------------------------------------------------------------
def outcome_of(flow: Flow) -> str:
    """The outcome drawn: ok, the error kind (refused, ...) or, if none is named, the bare
    outcome (fail, unknown)."""
    if flow.outcome == OK:
        return OK
    return flow.error or flow.outcome


@dataclass(frozen=True)
class OutcomeBins:
    """Requests arriving in each bin: in all, and by outcome (:func:`outcome_of`)."""

    edges: FloatArray
    requests: FloatArray
    by_outcome: dict[str, FloatArray]

    def shares(self) -> dict[str, FloatArray]:
        """Each outcome's share of the bin's requests; NaN where nothing arrived."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                key: np.where(self.requests > 0, n / self.requests, np.nan)
                for key, n in self.by_outcome.items()
            }

    def totals(self) -> dict[str, float]:
        """Requests per outcome over the whole run."""
        return {key: float(n.sum()) for key, n in self.by_outcome.items()}

    def failed(self) -> FloatArray:
        """Requests per bin that did not succeed (every outcome but ok)."""
        counts = np.zeros(self.edges.size - 1, dtype=np.float64)
        for key, n in self.by_outcome.items():
            if key != OK:
                counts += n
        return counts


def _flow_arrays(flows: Sequence[Flow]) -> tuple[FloatArray, FloatArray, FloatArray]:
    starts = np.array([f.start_s for f in flows], dtype=np.float64)
    ends = np.array([f.end_s for f in flows], dtype=np.float64)
    rates = np.array([f.rate_per_s for f in flows], dtype=np.float64)
    return starts, ends, rates


def outcome_bins(flows: Sequence[Flow], edges: FloatArray) -> OutcomeBins:
    """Requests per bin by arrival time, split by outcome (exact)."""
    grouped: dict[str, list[Flow]] = defaultdict(list)
    for flow in flows:
        grouped[outcome_of(flow)].append(flow)
    by_outcome = {key: step_amounts(*_flow_arrays(group), edges) for key, group in grouped.items()}
    requests = np.zeros(edges.size - 1, dtype=np.float64)
    for amounts in by_outcome.values():
        requests += amounts
    return OutcomeBins(edges, requests, by_outcome)


# -- latency ------------------------------------------------------------------------------------
def latency_percentiles(
    flows: Sequence[Flow], edges: FloatArray, qs: Sequence[float] = QUANTILES
) -> FloatArray:
    """Latency quantiles (seconds) of the requests of ``flows`` arriving in each bin: an array
    of shape (len(qs), bins), NaN where nothing arrived (see the module docstring)."""
    out = np.full((len(qs), edges.size - 1), np.nan)
    if not flows:
        return out
    starts, ends, rates = _flow_arrays(flows)
    lat0 = np.array([f.latency_start_s for f in flows], dtype=np.float64)
    lat1 = np.array([f.latency_end_s for f in flows], dtype=np.float64)
    span = ends - starts
    slope = np.divide(lat1 - lat0, span, out=np.zeros_like(span), where=span > 0)
    for b in range(edges.size - 1):
        left, right = edges[b], edges[b + 1]
        inside = (starts < right) & (ends > left) & (rates > 0)
        if not inside.any():
            continue
        a = np.maximum(starts[inside], left)
        z = np.minimum(ends[inside], right)
        at_a = lat0[inside] + slope[inside] * (a - starts[inside])
        at_z = lat0[inside] + slope[inside] * (z - starts[inside])
        out[:, b] = mixture_quantiles(
            np.minimum(at_a, at_z), np.maximum(at_a, at_z), rates[inside] * (z - a), qs
        )
    return out


# -- connections --------------------------------------------------------------------------------
def step_line(record: Record, name: str) -> tuple[FloatArray, FloatArray] | None:
    """A step series' points, held to the end of the run (a jump is two points at one time,
    so the points joined by straight lines are the steps); None if it was never written."""
    times, values = record.series(name)
    if times.size == 0:
        return None
    if times[-1] < record.duration_s:
        times, values = np.append(times, record.duration_s), np.append(values, values[-1])
    return times, values


def db_connection_lines(record: Record) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Per DB instance that ever held a connection, its connections over time."""
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    for info in record.instances:
        line = step_line(record, db_connections_series(info.name))
        if line is not None and line[1].max() > 0:
            out[info.name] = line
    return out


def open_counts(record: Record, edges: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(steady, bursts): DB connections opened in each bin, by per-request clients (the
    step series integrated over the bin) and in ``connections-opened`` bursts."""
    times, rates = record.series(CONNECTION_OPENS)
    ends = np.append(times[1:], record.duration_s) if times.size else times
    steady = step_amounts(times, np.maximum(ends, times), rates, edges)
    at: list[float] = []
    counts: list[float] = []
    for event in record.events:
        count = event.data.get("count")
        if event.kind == CONNECTIONS_OPENED and isinstance(count, int | float):
            at.append(event.time_s)
            counts.append(float(count))
    bursts, _ = np.histogram(np.array(at), bins=edges, weights=np.array(counts))
    return steady, bursts.astype(np.float64)


# -- everything one record's client plots draw ----------------------------------------------
@dataclass(frozen=True)
class ClientView:
    """The client plots' data of one record, on one grid of bins; the latency percentiles
    (the costly part) are computed when first read, so a connections plot never pays them."""

    edges: FloatArray
    flows: Sequence[Flow]
    outcomes: OutcomeBins
    connections: dict[str, tuple[FloatArray, FloatArray]]  # DB instance -> step line
    proxy_clients: tuple[FloatArray, FloatArray] | None
    opens_steady: FloatArray
    opens_bursts: FloatArray
    max_connections: int | None

    @cached_property
    def ok_latency_s(self) -> FloatArray:
        """(len(QUANTILES), bins): latency of the successful requests."""
        return latency_percentiles([f for f in self.flows if f.outcome == OK], self.edges)

    @cached_property
    def error_latency_s(self) -> FloatArray:
        """(len(QUANTILES), bins): time to error of the failed ones."""
        return latency_percentiles([f for f in self.flows if f.outcome != OK], self.edges)

    @property
    def widths_s(self) -> FloatArray:
        return np.diff(self.edges)

    @property
    def open_rate(self) -> tuple[FloatArray, FloatArray]:
        """(steady, bursts) in connections opened per second of each bin."""
        return self.opens_steady / self.widths_s, self.opens_bursts / self.widths_s

    @property
    def connections_peak(self) -> float:
        """The most connections drawn: on a DB instance, or held to the proxy."""
        lines = [*self.connections.values()]
        if self.proxy_clients is not None:
            lines.append(self.proxy_clients)
        return max((float(v.max()) for _, v in lines), default=0.0)


def client_view(record: Record, edges: FloatArray | None = None) -> ClientView:
    """Bin ``record``'s flows and connection series (default bins: :func:`bin_edges`)."""
    grid = bin_edges(record.duration_s) if edges is None else edges
    steady, bursts = open_counts(record, grid)
    limit = record.meta.get("max_connections")
    return ClientView(
        edges=grid,
        flows=record.flows,
        outcomes=outcome_bins(record.flows, grid),
        connections=db_connection_lines(record),
        proxy_clients=step_line(record, PROXY_CLIENTS),
        opens_steady=steady,
        opens_bursts=bursts,
        max_connections=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
    )


def ordered_outcomes(keys: Iterable[str], known: Sequence[str]) -> list[str]:
    """``keys`` in the order of ``known`` (ok first), unknown ones after, by name."""
    present = set(keys)
    return [k for k in known if k in present] + sorted(present - set(known))
