"""Availability over a run, as the writer had it and as the clients saw it, against the SLA.

Definitions (docs/summary-keys.md documents them for users):

* An *outage profile* is a step function share(t) in [0, 1]: the share of the service missing
  at t. The writer's is 1 while no instance is a primary in state ``available`` (the time
  ``writer_unavailable_s`` sums), else 0. The clients' is the request-weighted mean over the
  client groups of the share of requests not answered successfully (its integral is
  ``client_downtime_s``); without groups, the probe's: 1 from the start of its first failed
  attempt of an outage to the end of its next successful one.
* ``availability`` = 1 - (integral of share) / duration; ``downtime_min_per_year`` and
  ``downtime_min_per_month`` scale the missing share to a year of 365.25 days and a month of a
  twelfth of that; ``nines`` = -log10(1 - availability) (None when nothing was missing);
  ``incidents``: maximal stretches in which share > 0; ``longest_outage_s`` the longest of
  them (0 without any).
* SLA (aws.amazon.com/rds/sla, aws.amazon.com/rds/aurora/sla): the monthly uptime
  percentage promised for the deployment type (``sla_percent``; None on EC2, which no RDS
  SLA covers). ``months``: the whole months of the run, from its start (the last may be up
  to 2% short, so that 365 days are twelve months);
  ``sla_breach_months``: those whose uptime, as the clients saw it (the writer's without
  clients or probe), is below the SLA; ``sla_breach_probability`` their share (over a
  sweep, its mean estimates the probability that a month breaches the SLA). The SLA counts
  1-minute periods in which every connection fails; this counts the seconds missing, an
  approximation that differs by under a minute per incident.

Cost: per state change and per flow, never per simulated second.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from rdssim.client_metrics import flows_by_group, group_missing
from rdssim.record import Record
from rdssim.scenario.fields import YEAR_S

FloatArray = npt.NDArray[np.float64]

MONTH_S = YEAR_S / 12.0
MINUTE_S = 60.0
MONTH_SLACK = 0.02

WRITER = (("primary", "available"),)
"""(role, state) pairs of a writer."""


def float_sum(values: list[float]) -> float:
    """``float(numpy.sum(values))``, without numpy for a few values: numpy adds fewer than 8
    float64 values one after the other from 0.0 (pairwise only from 8 on)."""
    if len(values) >= 8:
        return float(np.sum(np.array(values, dtype=np.float64)))
    total = 0.0
    for value in values:
        total += value
    return total


@dataclass(frozen=True)
class Profile:
    """share(t) = ``shares[i]`` on [knots[i], knots[i + 1]); knots end at the run's end."""

    knots: FloatArray
    shares: FloatArray

    # A profile has a few pieces per incident: plain floats, not numpy on tiny arrays.
    def missing_s(self, start_s: float = 0.0, end_s: float = math.inf) -> float:
        """The integral of the share over [start_s, end_s)."""
        knots = self.knots.tolist()
        parts = [
            share * (min(max(hi, start_s), end_s) - min(max(lo, start_s), end_s))
            for share, lo, hi in zip(self.shares.tolist(), knots, knots[1:], strict=False)
        ]
        return float_sum(parts)

    def incidents(self) -> list[tuple[float, float]]:
        """The maximal stretches in which something is missing."""
        knots = self.knots.tolist()
        out: list[tuple[float, float]] = []
        for i, share in enumerate(self.shares.tolist()):
            start, end = knots[i], knots[i + 1]
            if not share > 0.0 or end <= start:
                continue
            if out and out[-1][1] >= start:
                out[-1] = (out[-1][0], end)
            else:
                out.append((start, end))
        return out


def _from_intervals(intervals: list[tuple[float, float]], end_s: float) -> Profile:
    knots = [0.0]
    shares: list[float] = []
    for start, stop in sorted(intervals):
        start, stop = max(start, knots[-1]), min(stop, end_s)
        if stop <= start:
            continue
        if start > knots[-1]:
            knots.append(start)
            shares.append(0.0)
        knots.append(stop)
        shares.append(1.0)
    if knots[-1] < end_s:
        knots.append(end_s)
        shares.append(0.0)
    return Profile(np.array(knots, dtype=np.float64), np.array(shares, dtype=np.float64))


def spans_with(
    record: Record, pairs: tuple[tuple[str, str], ...], least: int, most: int
) -> list[tuple[float, float]]:
    """The stretches between state changes in which the number of instances showing one of
    ``pairs`` (role, state) lies in [least, most], in time order."""
    shows: dict[str, bool] = {}
    showing = 0  # instances showing one of the pairs now
    changes = sorted(record.states, key=attrgetter("time_s"))
    times = [c.time_s for c in changes] + [record.duration_s]
    spans: list[tuple[float, float]] = []
    for i, change in enumerate(changes):
        now_shows = (change.role, change.state) in pairs
        showing += now_shows - shows.get(change.instance, False)
        shows[change.instance] = now_shows
        if times[i + 1] > change.time_s and least <= showing <= most:
            spans.append((change.time_s, times[i + 1]))
    return spans


def writer_profile(record: Record) -> Profile:
    """1 while no instance is a primary in state ``available``."""
    return _from_intervals(spans_with(record, WRITER, 0, 0), record.duration_s)


def client_outages(
    record: Record, client: str = "probe"
) -> tuple[list[tuple[float, float]], bool] | None:
    """(the outages a client's attempts saw, whether the last lasts to the end of the run);
    None without such a client. Read off the stretches of identical attempts: an outage
    starts with the first attempt of a failing stretch and ends with the end of the first
    attempt of the next ok one."""
    runs = sorted((a for a in record.attempts if a.client == client), key=lambda a: a.first_start_s)
    if not runs:
        return None
    down: list[tuple[float, float]] = []
    outage_start: float | None = None
    for run in runs:
        if run.outcome == "ok":
            if outage_start is not None:
                down.append((outage_start, run.first_start_s + run.duration_s))
                outage_start = None
        elif outage_start is None:
            outage_start = run.first_start_s
    if outage_start is not None:
        down.append((outage_start, record.duration_s))
    return down, outage_start is not None


def probe_profile(record: Record) -> Profile | None:
    """1 through each outage the probe saw (None without a probe)."""
    found = client_outages(record)
    return None if found is None else _from_intervals(found[0], record.duration_s)


def groups_profile(record: Record) -> Profile | None:
    """The request-weighted mean of the groups' missing shares (None without groups)."""
    if not record.flows:
        return None
    by_group = flows_by_group(record)
    total = sum(f.requests for f in record.flows)
    pieces = []
    for flows in by_group.values():
        weight = sum(f.requests for f in flows) / total if total > 0 else 1.0 / len(by_group)
        knots, missing = group_missing(flows, record.duration_s)
        pieces.append((knots, missing * weight))
    knots = np.unique(np.concatenate([[0.0, record.duration_s], *(k for k, _ in pieces)]))
    knots = knots[(knots >= 0.0) & (knots <= record.duration_s)]
    shares = np.zeros(knots.size - 1, dtype=np.float64)
    for group_knots, group_shares in pieces:
        index = np.searchsorted(group_knots, knots[:-1], side="right") - 1
        inside = (index >= 0) & (index < group_shares.size)
        shares[inside] += group_shares[index[inside]]
    return Profile(knots, np.clip(shares, 0.0, 1.0))


def client_profile(record: Record) -> Profile | None:
    """The clients' view: the groups', else the probe's (None with neither)."""
    return groups_profile(record) or probe_profile(record)


@dataclass(frozen=True)
class Availability:
    """One view's availability keys (see the module docstring)."""

    availability: float
    downtime_min_per_year: float
    downtime_min_per_month: float
    nines: float | None
    incidents: int
    longest_outage_s: float


def availability_of(profile: Profile, duration_s: float) -> Availability:
    share = profile.missing_s() / duration_s
    spans = profile.incidents()
    return Availability(
        availability=1.0 - share,
        downtime_min_per_year=share * YEAR_S / MINUTE_S,
        downtime_min_per_month=share * MONTH_S / MINUTE_S,
        nines=-math.log10(share) if share > 0.0 else None,
        incidents=len(spans),
        longest_outage_s=max((end - start for start, end in spans), default=0.0),
    )


@dataclass(frozen=True)
class SlaResult:
    sla_percent: float | None
    months: int
    sla_breach_months: int | None
    sla_breach_probability: float | None


def sla_result(profile: Profile, duration_s: float, sla_percent: float | None) -> SlaResult:
    """Whole months from the start whose uptime fell below ``sla_percent``."""
    # A run of 365 days is twelve months: a last month up to 2% short still counts, with
    # its budget scaled to its length.
    months = int(duration_s / MONTH_S + MONTH_SLACK)
    if sla_percent is None or months == 0:
        return SlaResult(sla_percent, months, None, None)
    breaches = 0
    for m in range(months):
        start_s = m * MONTH_S
        end_s = duration_s if m == months - 1 else (m + 1) * MONTH_S
        budget_s = (1.0 - sla_percent / 100.0) * (end_s - start_s)
        breaches += profile.missing_s(start_s, end_s) > budget_s + 1e-9
    return SlaResult(sla_percent, months, breaches, breaches / months)


def sla_percent_for(deployment: str, multi_az: bool) -> float | None:
    """The monthly uptime an RDS SLA promises for a deployment type (rds-facts,
    "Availability"); Aurora's Multi-AZ figure needs instances in two AZs or more."""
    if deployment == "aurora":
        return 99.99 if multi_az else 99.9
    return {"single-az": 99.5, "multi-az-instance": 99.95, "multi-az-cluster": 99.95}.get(
        deployment
    )


@dataclass(frozen=True)
class AvailabilitySummary:
    """The availability keys of one run (merged flat into the Summary's)."""

    duration_s: float
    availability: float
    downtime_min_per_year: float
    downtime_min_per_month: float
    nines: float | None
    incidents: int
    longest_outage_s: float
    client_availability: float | None
    client_downtime_min_per_year: float | None
    client_downtime_min_per_month: float | None
    client_nines: float | None
    client_incidents: int | None
    client_longest_outage_s: float | None
    sla_percent: float | None
    months: int
    sla_breach_months: int | None
    sla_breach_probability: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def summarize_availability(record: Record) -> AvailabilitySummary:
    """The writer's and the clients' availability, and the SLA months, of one run."""
    duration_s = record.duration_s
    writers = writer_profile(record)
    writer = availability_of(writers, duration_s)
    clients_profile = client_profile(record)
    clients = availability_of(clients_profile, duration_s) if clients_profile else None
    sla = record.meta.get("sla_percent")
    sla_percent = float(sla) if isinstance(sla, int | float) else None
    months = sla_result(clients_profile or writers, duration_s, sla_percent)
    return AvailabilitySummary(
        duration_s=duration_s,
        availability=writer.availability,
        downtime_min_per_year=writer.downtime_min_per_year,
        downtime_min_per_month=writer.downtime_min_per_month,
        nines=writer.nines,
        incidents=writer.incidents,
        longest_outage_s=writer.longest_outage_s,
        client_availability=clients.availability if clients else None,
        client_downtime_min_per_year=clients.downtime_min_per_year if clients else None,
        client_downtime_min_per_month=clients.downtime_min_per_month if clients else None,
        client_nines=clients.nines if clients else None,
        client_incidents=clients.incidents if clients else None,
        client_longest_outage_s=clients.longest_outage_s if clients else None,
        sla_percent=months.sla_percent,
        months=months.months,
        sla_breach_months=months.sla_breach_months,
        sla_breach_probability=months.sla_breach_probability,
    )
