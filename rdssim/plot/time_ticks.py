"""Time axes that read at any horizon.

An incident is read in seconds; a month or a year of random failures is not: matplotlib
would label a year "0.0 ... 2.5" under a "1e7" offset. Runs longer than
:data:`LONG_RUN_S` therefore get ticks at round numbers of the unit the axis's own span
calls for (seconds in a close-up, hours over a day, days over a year), each labelled with
its unit ("20 s", "6 h", "100 d"), and the axis label says "time from", not "seconds from".
The data stay in seconds from the origin (rdssim.timebase): only the labels change. Runs
up to that length keep plain seconds, as the event log and the summary give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, MaxNLocator

from rdssim.record import Record

LONG_RUN_S = 6 * 3600.0
"""Runs longer than this (a quarter of a day) get unit-labelled time ticks."""

UNITS: tuple[tuple[float, str], ...] = ((1.0, "s"), (60.0, "min"), (3600.0, "h"), (86400.0, "d"))
MOST_SECONDS_S = 1200.0
"""An axis spanning up to this many seconds is labelled in seconds (up to four digits)."""
MIN_TICKS_OF_UNIT = 4.0
"""A larger unit is taken when the span holds at least this many of it."""


def is_long(records: Iterable[Record]) -> bool:
    """Whether any of ``records`` runs longer than :data:`LONG_RUN_S`."""
    return any(r.duration_s > LONG_RUN_S for r in records)


def unit_for(span_s: float) -> tuple[float, str]:
    """(seconds per unit, its symbol) for an axis spanning ``span_s`` seconds."""
    if span_s <= MOST_SECONDS_S:
        return UNITS[0]
    fitting = [unit for unit in UNITS if span_s / unit[0] >= MIN_TICKS_OF_UNIT]
    return fitting[-1]


def duration_text(seconds: float) -> str:
    """A bin width or span in the largest unit that it is a whole number of: 46800 s is
    "13 h", 90 s "90 s", 5 s "5 s"."""
    for size, symbol in reversed(UNITS):
        count = seconds / size
        if count >= 1.0 and abs(count - round(count)) < 1e-9 * count:
            return f"{round(count):d} {symbol}"
    return f"{seconds:g} s"


class TimeLocator(MaxNLocator):
    """Round numbers of the axis's unit (:func:`unit_for` of the view's span)."""

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        size, _ = unit_for(abs(vmax - vmin))
        return [float(v) * size for v in super().tick_values(vmin / size, vmax / size)]


class TimeFormatter(Formatter):
    """Each tick in the axis's unit, with its symbol: "0", "20 s", "6 h", "100 d"."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        assert self.axis is not None
        vmin, vmax = self.axis.get_view_interval()
        size, symbol = unit_for(abs(vmax - vmin))
        value = x / size
        if abs(value) < 1e-9:
            return "0"
        return f"{value:.4g} {symbol}"


def label_times(axes: Iterable[Axes], records: Iterable[Record]) -> None:
    """Give each of ``axes`` (x in seconds from the origin) unit-labelled time ticks when a
    run of ``records`` is long (:func:`is_long`); leaves them as they are otherwise. Axes
    sharing x share their ticks: one of each group is enough."""
    if not is_long(records):
        return
    for ax in axes:
        ax.xaxis.set_major_locator(TimeLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(TimeFormatter())
