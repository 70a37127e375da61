"""The time range of each panel: an overview of the incident and, if needed, a close-up.

Why two panels: a failover lasts about a minute, but the story around it can last an hour (a
30-minute AZ outage, a standby rebuild, a point-in-time restore); at one scale the phases
would be a sliver. So the overview shows the incident, from 60 s before the first fault to
a little after the last fault, action or RDS event (or the end of the probe's last outage),
and, when the first failover spans less than a third of that, a close-up magnifies it, from
just before its trigger to just after RDS-EVENT-0049 and the probe's recovery (if that
follows soon). Later failovers are drawn in the overview only. A run without faults is drawn
whole, in one panel, and so is the overview of a long run (over time_ticks.LONG_RUN_S, a month
or a year of random failures): its story is the whole horizon, quiet days included, and its
client plots span it too; without a failover, its incident (as a short run's overview would
span it) is the close-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rdssim.metrics import Failover, failovers
from rdssim.plot.reading import markers, outages
from rdssim.plot.time_ticks import is_long
from rdssim.record import Record

FloatArray = npt.NDArray[np.float64]

LEAD_S = 60.0  # the overview starts this long before the first fault
CLOSE_UP_BELOW = 0.35  # magnify a failover that spans less than this share of the overview


@dataclass(frozen=True)
class Window:
    """The time range of one panel, in record seconds."""

    start_s: float
    end_s: float
    title: str = ""
    close_up: bool = False

    def contains(self, time_s: float) -> bool:
        return self.start_s <= time_s <= self.end_s

    def clip(self, start_s: float, end_s: float) -> tuple[float, float] | None:
        """The part of [start_s, end_s] inside the window, or None."""
        left, right = max(start_s, self.start_s), min(end_s, self.end_s)
        return (left, right) if right > left else None


def windows(record: Record) -> list[Window]:
    """The overview and, if the first failover would be a sliver in it, a close-up of it."""
    return shared_windows([record])


def shared_windows(records: Sequence[Record]) -> list[Window]:
    """The columns of several runs of one scenario drawn alike (its variants): the overview
    spans every run's incident and the close-up every run's first failover, so the runs
    line up column by column; one run's are :func:`windows`'s."""
    spans = [span for span in map(_incident, records) if span is not None]
    if not spans:
        return [Window(0.0, max(r.duration_s for r in records))]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    closes = [
        close_up(record, fos[0], several=len(fos) > 1)
        for record, fos in ((r, failovers(r)) for r in records)
        if fos
    ]
    if is_long(records):  # the horizon is the story (availability is over all of it) ...
        if not closes:  # ... and the incident, failover or not, its close-up
            closes.append(Window(start, end, "close-up of the incident", True))
        start, end = 0.0, max(r.duration_s for r in records)
    if closes:
        close = Window(
            min(c.start_s for c in closes),
            max(c.end_s for c in closes),
            max((c.title for c in closes), key=len),  # "close-up of failover 1" if any has more
            True,
        )
        if close.end_s - close.start_s < CLOSE_UP_BELOW * (end - start):
            return [Window(start, end, "overview"), close]
    return [Window(start, end)]  # one panel needs no title


def _incident(record: Record) -> tuple[float, float] | None:
    """From 60 s before the first fault or action to a little after the last fault, action
    or RDS event, or the end of the probe's last outage; None without faults or actions."""
    found = markers(record)
    if not found:
        return None
    last = max(
        [m.time_s for m in found]
        + [e.time_s for e in record.rds_events()]
        + [o.end_s for o in outages(record)]
    )
    start = max(0.0, found[0].time_s - LEAD_S)
    return start, min(record.duration_s, last + max(LEAD_S, 0.05 * (last - start)))


def close_up(record: Record, failover: Failover, *, several: bool = False) -> Window:
    """From just before the trigger to just after 0049 and, if it follows soon, the probe's
    recovery (a probe still failing long after the failover would stretch the close-up)."""
    start = failover.trigger_s
    end = record.duration_s if failover.failover_s is None else start + failover.failover_s
    soon = end + 0.5 * (end - start)
    for outage in outages(record):
        if outage.start_s <= end and start <= outage.end_s <= soon:
            end = max(end, outage.end_s)
    title = f"close-up of failover {failover.number}" if several else "close-up of the failover"
    return _close_up_around(start, end, record.duration_s, title)


def _close_up_around(start_s: float, end_s: float, duration_s: float, title: str) -> Window:
    """A close-up of [start_s, end_s], padded by 12% (at least 5 s) and kept in the run."""
    pad = max(5.0, 0.12 * (end_s - start_s))
    return Window(max(0.0, start_s - pad), min(duration_s, end_s + pad), title, True)


# -- the client plots' close-up ---------------------------------------------------------------
CLIENT_BULK = 0.99  # the close-up ends after this share of the failed requests


def client_close_up(
    records: Sequence[Record], failed: Sequence[tuple[FloatArray, FloatArray]]
) -> Window | None:
    """The close-up of the client plots of one or more runs drawn alike: from just before
    the first fault or action (or failed request) to just after the first failover's
    completion or the arrival of the 99th percent of the failed requests, whichever is
    later; ``failed`` is each run's (bin edges, failed requests per bin). None when nothing
    failed nor failed over, or when the close-up would span a third of the run or more (the
    whole run shows it well enough)."""
    starts: list[float] = []
    ends: list[float] = []
    for record, (edges, counts) in zip(records, failed, strict=True):
        found = markers(record)
        fos = failovers(record)
        if fos and fos[0].failover_s is not None:
            ends.append(fos[0].trigger_s + fos[0].failover_s)
        per_bin = np.asarray(counts, dtype=np.float64)
        total = float(per_bin.sum())
        if total > 0:
            bulk = int(np.searchsorted(np.cumsum(per_bin), CLIENT_BULK * total))
            ends.append(float(edges[min(bulk + 1, len(edges) - 1)]))
        if found:
            starts.append(found[0].time_s)
        elif total > 0:  # no fault or action: from the first failed request
            starts.append(float(edges[int(np.argmax(per_bin > 0))]))
    if not starts or not ends:
        return None
    start, end = min(starts), max(max(ends), min(starts))
    duration = max(r.duration_s for r in records)
    close = _close_up_around(start, end, duration, "close-up of the incident")
    if close.end_s - close.start_s >= CLOSE_UP_BELOW * duration:
        return None
    return close


INCIDENT_GAP_S = 60.0
"""Harm (failed requests, a failover) this far apart or more belongs to different incidents."""


def first_incident_close_up(records: Sequence[Record]) -> Window | None:
    """The close-up of the client plots of a long run (a month or a year of random
    failures), where the whole run's bins are hours wide and 99% of the failed requests span
    many incidents: the first incident only. An incident is a stretch of harm, the arrivals
    of failed requests and the failovers (trigger to RDS-EVENT-0049), without a gap of
    :data:`INCIDENT_GAP_S`: a fault that harms nothing (a standby's network blip) starts
    none. Exact: read off the flows, not off bins. Of several runs drawn alike, the earliest
    first incident and those of the others that overlap it. None when nothing failed nor
    failed over."""
    firsts = sorted(span for span in map(_first_harm, records) if span is not None)
    if not firsts:
        return None
    start, end = firsts[0]
    for begin, finish in firsts[1:]:
        if begin <= end + INCIDENT_GAP_S:  # another run's view of the same incident
            end = max(end, finish)
    duration = max(r.duration_s for r in records)
    return _close_up_around(start, end, duration, "close-up of the first incident")


def _first_harm(record: Record) -> tuple[float, float] | None:
    """(start, end) of the record's first stretch of harm (:func:`first_incident_close_up`)."""
    harm = [(f.start_s, f.end_s) for f in record.flows if f.outcome != "ok" and f.rate_per_s > 0]
    harm += [(fo.trigger_s, fo.trigger_s + (fo.failover_s or 0.0)) for fo in failovers(record)]
    if not harm:
        return None
    harm.sort()
    start, end = harm[0]
    for begin, finish in harm[1:]:
        if begin > end + INCIDENT_GAP_S:
            break
        end = max(end, finish)
    return start, end
