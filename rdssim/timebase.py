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


def clock_text(x_s: float, *, seconds: bool, tenths: bool = False) -> str:
    """``x_s`` as [d days] h:mm[:ss[.s]], to the minute, the second or (``tenths``) the tenth
    of a second: 8741720 s is "101 d 04:15:20", 12000 s "3:20" to the minute, 918.24 s
    "0:15:18.2" in tenths. The plots' long time axes and ``explain``'s later times."""
    sign = "-" if x_s < 0 else ""
    step = 1 if tenths else 10 if seconds else 600  # in tenths of a second
    total = step * round(abs(x_s) * 10 / step)
    days, rest = divmod(total, 864_000)
    hours, rest = divmod(rest, 36_000)
    minutes, rest = divmod(rest, 600)
    clock = f"{hours:02d}:{minutes:02d}" if days else f"{hours}:{minutes:02d}"
    if seconds or tenths:
        clock += f":{rest // 10:02d}" + (f".{rest % 10}" if tenths else "")
    return f"{sign}{days} d {clock}" if days else f"{sign}{clock}"
