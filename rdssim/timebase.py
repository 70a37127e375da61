"""The one time base of rdssim's outputs besides the run's own seconds: seconds from the
first fault or action (the origin). Plots draw against it, ``explain`` and the printed event
log show it beside the run's time, events.csv has it as a column."""

from __future__ import annotations

from rdssim.record import Event, Record

ORIGIN_KINDS = ("fault", "action")


def origin_event(record: Record) -> Event | None:
    """The first fault or action of the run (the earliest; the first logged of a tie)."""
    found = [e for e in record.events if e.kind in ORIGIN_KINDS]
    return min(found, key=lambda e: e.time_s) if found else None


def origin_s(record: Record) -> float:
    """When the origin is: the first fault or action, else the run's start (0)."""
    event = origin_event(record)
    return event.time_s if event is not None else 0.0
