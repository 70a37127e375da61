"""What the timeline shows, read from the Record alone: markers, headline spans, outages.

Nothing here draws; the drawing modules turn these into artists. Times are record seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdssim.availability import client_outages
from rdssim.metrics import Failover, failovers
from rdssim.plot.style import MARKER_STYLES, PHASES
from rdssim.plot.time_ticks import is_long
from rdssim.record import Attempts, Event, Record
from rdssim.timebase import origin_event

ACTION_LABELS = {"reboot-with-failover": "reboot w/ failover"}
REPLICA_ACTION_VERBS = {
    "promote-replica": "promote",
    "repoint-replica": "re-point",
    "create-replica": "create",
}
MAX_LABEL_CHARS = 36


@dataclass(frozen=True)
class Marker:
    """A fault or action event as drawn: time, kind (for the style) and a short label."""

    time_s: float
    kind: str
    label: str
    fault: int | None = None
    """A fault's or a fault's end's index (``fault[3]``): what pairs the two."""


@dataclass(frozen=True)
class Span:
    """A headline duration drawn as a double arrow (a failover, an in-place recovery)."""

    start_s: float
    end_s: float
    label: str


@dataclass(frozen=True)
class Outage:
    """A stretch of client-observed downtime, as metrics.client_downtime defines it."""

    start_s: float
    end_s: float
    recovered: bool


def marker_label(event: Event) -> str:
    """A short label for a marker event: "host-crash db-1", "AZ us-east-1a dark", ..."""
    data = event.data
    kind, target = data.get("fault_kind"), data.get("target")
    code = (event.rds_event or "")[-4:]  # "0034" of RDS-EVENT-0034
    label = event.message
    if event.kind == "fault":
        label = f"AZ {data.get('az')} dark" if kind == "az-outage" else f"{kind} {target}"
        if kind == "volume-copy-loss":
            label = f"copy lost in {data.get('az')}"
    elif event.kind == "fault-end":
        label = f"AZ {data.get('az')} back" if kind == "az-outage" else f"{kind} {target} over"
    elif event.kind == "action":
        label = ACTION_LABELS.get(str(kind), str(kind or event.message))
        if kind in REPLICA_ACTION_VERBS:  # "promote replica-1"
            label = f"{REPLICA_ACTION_VERBS[str(kind)]} {target}"
    elif event.kind in ("action-abandoned", "action-rejected"):
        verb = event.kind.removeprefix("action-")
        if kind is not None:  # "reboot w/ failover abandoned (0034)"
            action = ACTION_LABELS.get(str(kind), str(kind))
            label = f"{action} {verb}" + (f" ({code})" if code else "")
        elif verb == "abandoned":  # which action is not said: "0034 abandoned"
            label = f"{code} abandoned".strip()
        else:
            label = "action rejected"
    elif event.kind == "fault-skipped":
        label = f"{kind} skipped"
    elif event.kind == "failover-failed":
        label = "failover failed"
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def markers(record: Record) -> list[Marker]:
    """The fault and action events of the run, in time order."""
    found = [
        Marker(e.time_s, e.kind, marker_label(e), _fault(e))
        for e in record.events
        if e.kind in MARKER_STYLES
    ]
    return sorted(found, key=lambda m: m.time_s)


def _fault(event: Event) -> int | None:
    index = event.data.get("fault")
    return index if event.kind in ("fault", "fault-end") and isinstance(index, int) else None


def origin(record: Record, *, long: bool | None = None) -> tuple[float, str]:
    """(time of t = 0, x axis label): the first fault or action, else the start of the run
    (rdssim.timebase: the same origin as explain, the event log and events.csv). The
    label says "time", not "seconds", where the ticks carry their units: ``long``
    (rdssim.plot.time_ticks.label_times), by default whether the run is long."""
    event = origin_event(record)
    quantity = "time" if (is_long([record]) if long is None else long) else "seconds"
    if event is None:
        return 0.0, f"{quantity} since the start of the run"
    return event.time_s, f"{quantity} from {event.kind} ({marker_label(event)})"


def probe_attempts(record: Record) -> list[Attempts]:
    """The probe's stretches of identical attempts, in time order."""
    runs = (a for a in record.attempts if a.client == "probe")
    return sorted(runs, key=lambda a: a.first_start_s)


def outages(record: Record) -> list[Outage]:
    """Each outage seen by the probe: first failed attempt to the end of the next ok one
    (rdssim.availability.client_outages: the summary's ``probe_outages``, in order)."""
    found = client_outages(record, "probe")
    if found is None:
        return []
    spans, open_at_end = found
    last = len(spans) - 1
    return [
        Outage(start, end, recovered=not (open_at_end and k == last))
        for k, (start, end) in enumerate(spans)
    ]


def outcome_runs(runs: Sequence[Attempts], end_s: float) -> list[tuple[str, float, float]]:
    """(outcome, start_s, end_s) of each run of consecutive attempts with the same outcome.

    A run lasts until the next run's first attempt starts (the last one until its last
    attempt ends), so the runs tile the probe's lifetime without gaps.
    """
    out: list[tuple[str, float, float]] = []
    for run in runs:
        if out and out[-1][0] == run.outcome:
            outcome, start, end = out[-1]
            out[-1] = (outcome, start, max(end, run.end_s))
            continue
        if out:
            outcome, start, _ = out[-1]
            out[-1] = (outcome, start, run.first_start_s)
        out.append((run.outcome, run.first_start_s, run.end_s))
    return [(o, a, min(b, end_s)) for o, a, b in out]


def phase_bounds(record: Record, failover: Failover) -> list[tuple[str, float, float]]:
    """(phase, start_s, end_s) of a failover; an unfinished phase runs to the end of the run."""
    bounds: list[tuple[str, float, float]] = []
    start = failover.trigger_s
    lengths = (failover.detection_s, failover.promotion_s, failover.dns_s)
    for (name, _, _), length in zip(PHASES, lengths, strict=True):
        end = record.duration_s if length is None else start + length
        bounds.append((name, start, end))
        if length is None:
            break
        start = end
    return bounds


def headline_spans(record: Record) -> list[Span]:
    """Failovers (trigger -> 0049) and in-place recoveries (trigger -> 0021) of the run."""
    spans: list[Span] = []
    all_failovers = failovers(record)
    for fo in all_failovers:
        name = "failover" if len(all_failovers) == 1 else f"failover {fo.number}"
        end = record.duration_s if fo.failover_s is None else fo.trigger_s + fo.failover_s
        length = "unfinished" if fo.failover_s is None else duration_text(fo.failover_s)
        spans.append(Span(fo.trigger_s, end, f"{name} {length}"))
    completed = iter(e for e in record.events if e.rds_event == "RDS-EVENT-0021")
    for begin in (e for e in record.events if e.rds_event == "RDS-EVENT-0020"):
        trigger = begin.data.get("trigger_s", begin.time_s)
        assert isinstance(trigger, int | float)
        done = next(completed, None)
        if done is None:
            spans.append(Span(trigger, record.duration_s, "recovery unfinished"))
        else:
            length = duration_text(done.time_s - trigger)
            spans.append(Span(trigger, done.time_s, f"recovery {length}"))
    return spans


def duration_text(seconds: float) -> str:
    """70.6 s; long ones also in minutes: 2483 s (41.4 min)."""
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds:.0f} s ({seconds / 60:.1f} min)"
