"""The rows under the header: one lane per instance and the probe client's strip.

* a lane is a bar per (role, state) interval, coloured by state, with the role written
  inside the segments wide enough;
* the probe strip has a tick per attempt coloured by outcome (when there are not thousands
  in view), over a pale band per run of the same outcome, and a bracket over each outage
  labelled with the probe's downtime;
* a client group's strip is filled up to the share of its requests not answered
  successfully; its label carries the group's client-observed downtime.

The bars and ticks are drawn before the layout; the labels after it, once text sizes and
the final axes widths are known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase

from rdssim.client_metrics import group_missing, summarize_clients
from rdssim.plot.artists import stairs
from rdssim.plot.labels import fits, px_width
from rdssim.plot.reading import duration_text, outages, outcome_runs, probe_attempts
from rdssim.plot.style import OUTCOME_COLOURS, OUTCOME_TINTS, ink, state_colours
from rdssim.plot.windows import Window
from rdssim.record import Attempts, Record

FloatArray = npt.NDArray[np.float64]
MAX_TICKS = 3000  # beyond, one tick per attempt is a solid block: the bands alone are drawn
LANE_HEIGHT = 0.62  # of one lane; the gaps let the phase tints show between lanes
PROBE_HEIGHT = 0.95  # of the probe strip, in lane heights
GROUP_HEIGHT = 0.75  # of one client group's strip, in lane heights

HAlign = Literal["left", "center", "right"]
VAlign = Literal["bottom", "center"]


# -- before the layout ----------------------------------------------------------------------
def draw_lanes(ax: Axes, record: Record, t0: float) -> None:
    """One bar per (role, state) interval; the first instance on top."""
    colours = state_colours(record)
    for row, info in enumerate(record.instances):
        for start, end, _, state in record.state_intervals(info.name):
            ax.broken_barh(
                [(start - t0, end - start)],
                (row - LANE_HEIGHT / 2, LANE_HEIGHT),
                facecolors=colours[state],
                edgecolor="white",
                linewidth=0.6,
                zorder=2,
            )
    ax.set_yticks(range(len(record.instances)), [f"{i.name} ({i.az})" for i in record.instances])
    ax.set_ylim(len(record.instances) - 0.5, -0.5)


def draw_probe(ax: Axes, record: Record, t0: float, win: Window) -> None:
    """A tick at each attempt's start, over a pale band for each run of the same outcome.

    The bands keep a long run readable when the ticks are too dense to tell apart (a 1 s
    probe over an hour), and show where attempts were waiting on a timeout.
    """
    runs = probe_attempts(record)
    for outcome, start, end in outcome_runs(runs, record.duration_s):
        ax.broken_barh(
            [(start - t0, end - start)],
            (0.08, 0.42),
            facecolors=OUTCOME_TINTS[outcome],
            linewidth=0,
            zorder=2,
        )
    ticks: dict[str, FloatArray] = {}
    room = MAX_TICKS
    for outcome in OUTCOME_COLOURS:
        found = attempt_starts(runs, outcome, win, room)
        if found is None:  # too dense to tell apart: the bands say it all
            _probe_axis(ax)
            return
        ticks[outcome], room = found, room - found.size
    for outcome, colour in OUTCOME_COLOURS.items():
        if ticks[outcome].size:
            ax.vlines(ticks[outcome] - t0, 0.08, 0.5, colors=colour, linewidth=0.9, zorder=3)
    _probe_axis(ax)


def _probe_axis(ax: Axes) -> None:
    ax.set_ylim(0.0, PROBE_HEIGHT)
    ax.set_yticks([0.29], ["probe client"])


def attempt_starts(
    runs: Sequence[Attempts], outcome: str, win: Window, limit: int = MAX_TICKS
) -> FloatArray | None:
    """Start times of the attempts with ``outcome`` inside ``win`` (solved per stretch), or
    None if there are more than ``limit`` of them (counted before any is listed)."""
    spans = []
    for run in runs:
        if run.outcome != outcome or run.end_s < win.start_s or run.first_start_s > win.end_s:
            continue
        first = max(0, math.ceil((win.start_s - run.first_start_s) / run.period_s))
        last = min(run.count - 1, math.floor((win.end_s - run.first_start_s) / run.period_s))
        if last >= first:
            spans.append((run, first, last))
    if sum(last - first + 1 for _, first, last in spans) > limit:
        return None
    found = [r.first_start_s + np.arange(a, b + 1) * r.period_s for r, a, b in spans]
    return np.concatenate(found) if found else np.empty(0)


def group_names(record: Record) -> list[str]:
    """The client groups of the run, in the order they first wrote traffic."""
    return list(dict.fromkeys(flow.group for flow in record.flows))


def draw_groups(ax: Axes, record: Record, t0: float) -> None:
    """One strip per client group: pale where its requests are answered, filled up to the
    share not answered successfully (its integral is the group's client-observed downtime,
    the summary's ``client_downtime_by_group``, written in its label)."""
    names = group_names(record)
    for row, name in enumerate(names):
        flows = [f for f in record.flows if f.group == name]
        knots, missing = group_missing(flows, record.duration_s)
        base, height = row + 0.15, 0.7
        ax.broken_barh(
            [(knots[0] - t0, knots[-1] - knots[0])],
            (base, height),
            facecolors=OUTCOME_TINTS["ok"],
            linewidth=0,
            zorder=2,
        )
        stairs(
            ax,
            base + height * missing,
            knots - t0,
            baseline=base,
            fill=True,
            color=OUTCOME_COLOURS["fail"],
            linewidth=0,
            zorder=3,
        )
    summary = summarize_clients(record)
    assert summary is not None
    ax.set_ylim(len(names), 0.0)  # the first group on top
    ax.set_yticks(
        [row + 0.5 for row in range(len(names))],
        [
            f"{name}: client-observed\ndowntime {summary.client_downtime_by_group[name]:,.1f} s"
            for name in names
        ],
    )


# -- after the layout -----------------------------------------------------------------------
def _widest_piece(seen: tuple[float, float], cuts: Sequence[float]) -> tuple[float, float]:
    """The widest part of ``seen`` between the ``cuts`` (marker lines) that fall inside it."""
    edges = [seen[0], *sorted(c for c in cuts if seen[0] < c < seen[1]), seen[1]]
    return max(pairwise(edges), key=lambda piece: piece[1] - piece[0])


def label_roles(
    ax: Axes, record: Record, t0: float, renderer: RendererBase, cuts: Sequence[float]
) -> None:
    """Write the role inside each bar segment wide enough, clear of the marker lines."""
    colours = state_colours(record)
    lo, hi = ax.get_xlim()
    for row, info in enumerate(record.instances):
        for start, end, role, state in record.state_intervals(info.name):
            seen = Window(lo, hi).clip(start - t0, end - t0)
            if seen is None:
                continue
            left, right = _widest_piece(seen, cuts)
            text = ax.text(
                (left + right) / 2,
                row,
                role if role != "none" else "no role",
                ha="center",
                va="center",
                fontsize=8,
                color=ink(colours[state]),
                zorder=5,
                clip_on=True,
            )
            if not fits(text, ax, left, right, renderer, pad=8):
                text.remove()


def label_outages(ax: Axes, record: Record, t0: float, renderer: RendererBase) -> None:
    """A bracket over each outage of the probe, labelled with its length where that fits.

    Candidates, best first: over the bracket, beside it (right, then left), then the same
    with the length alone; the first that stays inside the axes and clear of the labels
    already placed wins. A label that fits nowhere is left out (the bracket stays).
    """
    lo, hi = ax.get_xlim()
    frame = ax.get_window_extent(renderer)
    taken: list[tuple[float, float]] = []
    found = outages(record)
    for number, outage in enumerate(found, 1):
        seen = Window(lo, hi).clip(outage.start_s - t0, outage.end_s - t0)
        if seen is None:
            continue
        start, end = seen
        ax.plot(
            [start, start, end, end],
            [0.56, 0.64, 0.64, 0.56],
            color="#b2182b",
            linewidth=1.0,
            zorder=5,
        )
        length = duration_text(outage.end_s - outage.start_s)
        # One outage is the summary's probe_downtime_s; of several, each is its own
        # (probe_outages[number - 1]), not the total.
        name = "probe downtime" if len(found) == 1 else f"probe outage {number}"
        long = f"{name} {length}" + ("" if outage.recovered else ", still down at the end")
        spots: list[tuple[float, float, HAlign, VAlign]] = [
            ((start + end) / 2, 0.67, "center", "bottom"),
            (end, 0.64, "left", "center"),
            (start, 0.64, "right", "center"),
        ]
        candidates = [(label, spot) for label in (long, length) for spot in spots]
        text = ax.text(0, 0, "", fontsize=8.5, color="#b2182b", zorder=6)
        for label, (x, y, ha, va) in candidates:
            text.set_text(label if ha == "center" else f" {label} ")
            text.set_position((x, y))
            text.set_horizontalalignment(ha)
            text.set_verticalalignment(va)
            box = text.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1
            over = ha != "center" or box.width <= px_width(ax, start, end)
            if inside and over and all(box.x1 < a or box.x0 > b for a, b in taken):
                taken.append((box.x0, box.x1))
                break
        else:
            text.remove()
