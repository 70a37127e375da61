"""Time axes that read at any horizon.

An incident is read in seconds; a month or a year of random failures is not: matplotlib
would label a year "0.0 ... 2.5" under a "1e7" offset. A figure whose time ranges span more
than :data:`LONG_RUN_S` therefore gets ticks at round numbers of the unit each axis's own
span calls for (seconds in a close-up, hours over a day, days over a year, years over
decades), each labelled with its unit ("20 s", "6 h", "100 d"), and its axis label says
"time from", not "seconds from". The data stay in seconds from the origin
(rdssim.timebase): only the labels change. Figures spanning up to that length keep plain
seconds, as the event log and the summary give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, MaxNLocator

from rdssim.record import Record
from rdssim.timebase import clock_text

LONG_RUN_S = 6 * 3600.0
"""Time ranges longer than this (a quarter of a day) get unit-labelled time ticks."""

UNITS: tuple[tuple[float, str, float], ...] = (
    (1.0, "s", 1200.0),
    (60.0, "min", 2 * 3600.0),
    (3600.0, "h", 4 * 86400.0),
    (86400.0, "d", 4 * 365 * 86400.0),
    (365 * 86400.0, "y", float("inf")),
)
"""(seconds per unit, its symbol, the longest span labelled in it): up to 20 min in
seconds, 2 h in minutes, 4 days in hours, 4 years in days, then years (of 365 days)."""


def is_long(records: Iterable[Record]) -> bool:
    """Whether any of ``records`` runs longer than :data:`LONG_RUN_S`."""
    return spans_long(r.duration_s for r in records)


def spans_long(spans_s: Iterable[float]) -> bool:
    """Whether any of the time ranges ``spans_s`` (seconds) is longer than
    :data:`LONG_RUN_S`."""
    return any(span > LONG_RUN_S for span in spans_s)


def unit_for(span_s: float) -> tuple[float, str]:
    """(seconds per unit, its symbol) for an axis spanning ``span_s`` seconds."""
    for size, symbol, longest in UNITS:
        if span_s <= longest:
            return size, symbol
    return UNITS[-1][0], UNITS[-1][1]  # NaN


def whole_unit_text(seconds: float) -> str:
    """A bin width or span in the largest unit that it is a whole number of: 46800 s is
    "13 h", 90 s "90 s", 5 s "5 s"."""
    for size, symbol, _ in reversed(UNITS):
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
    """Each tick in the axis's unit, with its symbol: "0", "20 s", "6 h", "−2 d"; an axis in
    seconds or minutes an hour or more from the origin (a close-up of an incident months
    into a run) reads as a clock: "101 d 04:15:20", "3:20" (h:mm)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        assert self.axis is not None
        vmin, vmax = self.axis.get_view_interval()
        size, symbol = unit_for(abs(vmax - vmin))
        value = x / size
        if abs(value) < 1e-9:
            text = "0"
        elif size < 3600.0 and abs(x) >= 3600.0:
            text = clock_text(x, seconds=size < 60.0)
        else:
            number = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
            text = f"{number} {symbol}"
        if mpl.rcParams["axes.unicode_minus"]:  # as matplotlib's own tick labels
            text = text.replace("-", "\N{MINUS SIGN}")
        return text


def label_times(axes: Iterable[Axes], long: bool) -> None:
    """Give each of ``axes`` (x in seconds from the origin) unit-labelled time ticks if
    ``long`` (the figure's time ranges span more than :data:`LONG_RUN_S`:
    :func:`spans_long`); leaves them as they are otherwise. Axes sharing x share their
    ticks: one of each group is enough."""
    if not long:
        return
    for ax in axes:
        ax.xaxis.set_major_locator(TimeLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(TimeFormatter())
