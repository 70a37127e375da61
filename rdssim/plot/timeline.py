"""The timeline of one run, drawn from its Record alone.

Rows, top to bottom, share one time axis:

* a header: the labels of the fault and action markers, each failover's (or in-place
  recovery's) total time as a double arrow and, in a close-up, each phase's length;
* one lane per instance, coloured by state, with the role written inside wide segments;
* the probe client: a tick per attempt coloured by outcome, and its observed downtime.

The failover phases (detection, promotion, dns) are tinted behind every row, so they line
up with the instance states and the probe's errors. Time is in seconds from the first fault
or action (t = 0 at the fault, negative before it); a run without one keeps absolute seconds.

Why two panels: a failover lasts about a minute, but the story around it can last an hour (a
30-minute AZ outage, a standby rebuild, a point-in-time restore); at one scale the phases
would be a sliver. So the left panel shows the incident, from 60 s before the first fault to
a little after the last fault, action or RDS event (or the end of the probe's last outage),
and, when the first failover spans less than a third of that, a right panel magnifies it,
from just before its trigger to just after RDS-EVENT-0049 and the probe's recovery (if that
follows soon). The overview outlines the range the close-up shows. Later failovers are drawn
in the overview only. A run without faults is drawn whole, in one panel.

Labels that could collide (markers close in time, arrows that overlap) are stacked on levels,
packed greedily like intervals onto tracks. The number of levels is estimated before the
layout (it sets the header's height) and the labels are re-stacked on the final axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal, TypeVar

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from rdssim.metrics import Failover, failovers, lost_txns
from rdssim.record import Event, Operation, Record

# Fixed colours, so a state means the same colour in every picture: green is healthy, reds
# are impairments (darker = further away), blues are a host taking up a role, purples are
# repairs that take long, amber is a planned interruption.
STATE_COLOURS: dict[str, str] = {
    "available": "#4daf4a",
    "failed": "#e31a1c",
    "unreachable": "#99000d",
    "storage-failed": "#f16913",
    "stranded": "#67000d",
    "promoting": "#3182bd",
    "creating": "#6baed6",
    "catching-up": "#9ecae1",
    "rebooting": "#fdbf11",
    "stopped": "#969696",
    "recovering": "#9e9ac8",
    "restoring": "#6a51a3",
}
UNKNOWN_STATE_COLOURS = ("#bdbdbd", "#d9d9d9", "#8c6d31", "#e7ba52", "#7b4173")

# Light tints: they sit behind the lanes and must not be mistaken for a state.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("detection", "#fff2b3", "detection: trigger → RDS-EVENT-0013"),
    ("promotion", "#cfe1f2", "promotion: 0013 → 0015"),
    ("dns", "#e4d4f0", "dns: 0015 → 0049"),
)

OUTCOME_COLOURS: dict[str, str] = {"ok": "#2ca02c", "fail": "#d62728", "unknown": "#ff7f0e"}
# Opaque pale versions for the bands under the ticks (opaque so the phase tints do not mix in).
OUTCOME_TINTS: dict[str, str] = {"ok": "#d5efcf", "fail": "#f9c9c3", "unknown": "#fde0bf"}

# Event kinds drawn as vertical markers: what was done to the system and how RDS answered
# an action it would not carry out. (colour, line style)
MARKER_STYLES: dict[str, tuple[str, str]] = {
    "fault": ("#111111", "-"),
    "fault-end": ("#111111", "--"),
    "action": ("#08519c", "-."),
    "action-abandoned": ("#636363", ":"),
    "action-rejected": ("#636363", ":"),
    "fault-skipped": ("#636363", ":"),
    "failover-failed": ("#a50f15", "--"),
}
ORIGIN_KINDS = ("fault", "action")
ACTION_LABELS = {"reboot-with-failover": "reboot w/ failover"}

LANE_HEIGHT = 0.62  # of one lane; the gaps let the phase tints show between lanes
PROBE_HEIGHT = 0.95  # of the probe strip, in lane heights
# The header, in lane heights (its y data units), bottom up: phase lengths, then rows of
# arrows, then rows of marker labels.
PHASE_BAND = 0.34
SPAN_STEP = 0.38
LEVEL_STEP = 0.2
MAX_LEVELS = 4
INCH_PER_LANE = 0.9
LEAD_S = 60.0  # the overview starts this long before the first fault
CLOSE_UP_BELOW = 0.35  # magnify a failover that spans less than this share of the overview
MAX_LABEL_CHARS = 30
MARKER_FONT = 8.5
SPAN_FONT = 9.0
DPI = 140

T = TypeVar("T")
HAlign = Literal["left", "center", "right"]
VAlign = Literal["bottom", "center"]


@dataclass(frozen=True)
class Marker:
    """A fault or action event as drawn: time, kind (for the style) and a short label."""

    time_s: float
    kind: str
    label: str


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


@dataclass(frozen=True)
class Panel:
    """The axes of one column: header, instance lanes and (if there is a probe) its strip."""

    window: Window
    header: Axes
    lanes: Axes
    probe: Axes | None

    @property
    def body(self) -> list[Axes]:
        """The rows that carry data (tints and marker lines cross all of them)."""
        return [self.lanes] if self.probe is None else [self.lanes, self.probe]


# -- reading the Record ---------------------------------------------------------------------
def marker_label(event: Event) -> str:
    """A short label for a marker event: "host-crash db-1", "AZ us-east-1a dark", ..."""
    data = event.data
    kind, target = data.get("fault_kind"), data.get("target")
    label = event.message
    if event.kind == "fault":
        label = f"AZ {data.get('az')} dark" if kind == "az-outage" else f"{kind} {target}"
    elif event.kind == "fault-end":
        label = f"AZ {data.get('az')} back" if kind == "az-outage" else f"{kind} {target} over"
    elif event.kind == "action":
        label = ACTION_LABELS.get(str(kind), str(kind or event.message))
    elif event.kind == "action-abandoned":
        label = f"{(event.rds_event or '')[-4:]} abandoned".strip()
    elif event.kind == "action-rejected":
        label = f"{ACTION_LABELS.get(str(kind), 'action')} rejected"
    elif event.kind == "fault-skipped":
        label = f"{kind} skipped"
    elif event.kind == "failover-failed":
        label = "failover failed"
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def markers(record: Record) -> list[Marker]:
    """The fault and action events of the run, in time order."""
    found = [Marker(e.time_s, e.kind, marker_label(e))
             for e in record.events if e.kind in MARKER_STYLES]
    return sorted(found, key=lambda m: m.time_s)


def origin(record: Record) -> tuple[float, str]:
    """(time of t = 0, x axis label): the first fault or action, else the start of the run."""
    for marker in markers(record):
        if marker.kind in ORIGIN_KINDS:
            return marker.time_s, f"seconds from {marker.kind} ({marker.label})"
    return 0.0, "seconds since the start of the run"


def probe_operations(record: Record) -> list[Operation]:
    return sorted((o for o in record.operations if o.client == "probe"), key=lambda o: o.start_s)


def outages(record: Record) -> list[Outage]:
    """Each outage seen by the probe: first failed attempt to the end of the next ok one.

    The definition of :func:`rdssim.metrics.client_downtime`, which only returns the sum
    (the tests check that the two agree).
    """
    out: list[Outage] = []
    start: float | None = None
    for op in probe_operations(record):
        if op.outcome == "ok" and start is not None:
            out.append(Outage(start, op.end_s, recovered=True))
            start = None
        elif op.outcome != "ok" and start is None:
            start = op.start_s
    if start is not None:
        out.append(Outage(start, record.duration_s, recovered=False))
    return out


def outcome_runs(ops: Sequence[Operation], end_s: float) -> list[tuple[str, float, float]]:
    """(outcome, start_s, end_s) of each run of consecutive attempts with the same outcome.

    A run lasts until the next run's first attempt starts (the last one until its last
    attempt ends), so the runs tile the probe's lifetime without gaps.
    """
    runs: list[tuple[str, float, float]] = []
    for op in ops:
        if runs and runs[-1][0] == op.outcome:
            outcome, start, end = runs[-1]
            runs[-1] = (outcome, start, max(end, op.end_s))
            continue
        if runs:
            outcome, start, _ = runs[-1]
            runs[-1] = (outcome, start, op.start_s)
        runs.append((op.outcome, op.start_s, op.end_s))
    return [(o, a, min(b, end_s)) for o, a, b in runs]


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


def state_colours(record: Record) -> dict[str, str]:
    """The fixed colour of every state drawn, in a fixed order (healthy first).

    From the intervals, not the changes: a state held for no time (a host passing through
    "stopped" on its way to "creating") is never drawn, so it must not be in the legend.
    States this module does not know yet get spare colours, in name order.
    """
    drawn = {s for info in record.instances for *_, s in record.state_intervals(info.name)}
    colours = {s: c for s, c in STATE_COLOURS.items() if s in drawn}
    for i, state in enumerate(sorted(drawn - set(STATE_COLOURS))):
        colours[state] = UNKNOWN_STATE_COLOURS[i % len(UNKNOWN_STATE_COLOURS)]
    return colours


# -- choosing the panels --------------------------------------------------------------------
def windows(record: Record) -> list[Window]:
    """The overview and, if the first failover would be a sliver in it, a close-up of it."""
    found = markers(record)
    if not found:
        return [Window(0.0, record.duration_s)]
    last = max([m.time_s for m in found] + [e.time_s for e in record.rds_events()]
               + [o.end_s for o in outages(record)])
    start = max(0.0, found[0].time_s - LEAD_S)
    end = min(record.duration_s, last + max(LEAD_S, 0.05 * (last - start)))
    fos = failovers(record)
    if fos:
        close = close_up(record, fos[0], several=len(fos) > 1)
        if close.end_s - close.start_s < CLOSE_UP_BELOW * (end - start):
            return [Window(start, end, "overview"), close]
    return [Window(start, end)]  # one panel needs no title


def close_up(record: Record, failover: Failover, *, several: bool = False) -> Window:
    """From just before the trigger to just after 0049 and, if it follows soon, the probe's
    recovery (a probe still failing long after the failover would stretch the close-up)."""
    start = failover.trigger_s
    end = record.duration_s if failover.failover_s is None else start + failover.failover_s
    soon = end + 0.5 * (end - start)
    for outage in outages(record):
        if outage.start_s <= end and start <= outage.end_s <= soon:
            end = max(end, outage.end_s)
    pad = max(5.0, 0.12 * (end - start))
    title = f"close-up of failover {failover.number}" if several else "close-up of the failover"
    return Window(max(0.0, start - pad), min(record.duration_s, end + pad), title, True)


# -- stacking header labels -----------------------------------------------------------------
@dataclass(frozen=True)
class Placed:
    """A header label's box in pixels, the side of its anchor it sits on, and its level."""

    left: float
    right: float
    side: str  # "right"/"left" of a marker line; "above"/"right"/"left" of an arrow
    level: int = 0


@dataclass(frozen=True)
class HeaderPlan:
    """Heights in the header (lane units), bottom up: phase lengths, arrows, marker labels."""

    phase_band: float
    span_levels: int
    marker_levels: int

    # A level beyond the plan (the final axes came out narrower than estimated) shares the
    # top one: a rare overlap beats a label drawn outside the figure.
    def arrow_y(self, level: int) -> float:
        level = max(0, min(level, self.span_levels - 1))
        return self.phase_band + SPAN_STEP * level + 0.1

    def marker_y(self, level: int) -> float:
        level = max(0, min(level, self.marker_levels - 1))
        return self.phase_band + SPAN_STEP * self.span_levels + LEVEL_STEP * (level + 0.5)

    @property
    def height(self) -> float:
        spans = SPAN_STEP * self.span_levels
        return self.phase_band + spans + LEVEL_STEP * self.marker_levels + 0.06


def stagger(boxes: Sequence[tuple[float, float]], gap: float = 6.0) -> list[int]:
    """Level of each (left, right) box, in order: the lowest one whose last box ends ``gap``
    before it starts (greedy, like packing intervals onto tracks)."""
    ends: list[float] = []
    out: list[int] = []
    for left, right in boxes:
        level = next((i for i, end in enumerate(ends) if left > end + gap), len(ends))
        if level == len(ends):
            ends.append(right)
        ends[level] = right
        out.append(level)
    return out


def place_marker(x: float, width: float, right_edge: float) -> Placed:
    """Right of its line if the label fits before ``right_edge``, else left of it."""
    if x + width <= right_edge:
        return Placed(x, x + width, "right")
    return Placed(x - width, x, "left")


def place_span(start: float, end: float, width: float, right_edge: float) -> Placed:
    """Above the arrow if the label fits its length, else beside it (right if there is room)."""
    if width <= end - start:
        return Placed(start, end, "above")
    if end + width <= right_edge:
        return Placed(start, end + width, "right")
    return Placed(start - width, end, "left")


def _stacked(items: list[tuple[T, Placed]]) -> list[tuple[T, Placed]]:
    levels = stagger([(p.left, p.right) for _, p in items])
    return [(item, replace(p, level=lv)) for (item, p), lv in zip(items, levels, strict=True)]


@dataclass(frozen=True)
class HeaderLabels:
    """The header's markers and spans, with each label's width in pixels (measured once)."""

    markers: list[tuple[Marker, float]]
    spans: list[tuple[Span, float]]

    def place(
        self, win: Window, to_px: Callable[[float], float], right_edge: float
    ) -> tuple[list[tuple[Marker, Placed]], list[tuple[Span, Placed]]]:
        """Stack the labels of window ``win``; ``to_px`` maps record seconds to pixels."""
        marks = [(m, place_marker(to_px(m.time_s), w, right_edge))
                 for m, w in self.markers if win.contains(m.time_s)]
        spans = []
        for span, width in self.spans:
            seen = win.clip(span.start_s, span.end_s)
            if seen is not None:
                spans.append((span, place_span(to_px(seen[0]), to_px(seen[1]), width, right_edge)))
        return _stacked(marks), _stacked(spans)


def _measure(fig: Figure, record: Record, renderer: RendererBase) -> HeaderLabels:
    """Each header label's width in pixels: it does not depend on the layout, only on dpi."""
    ruler = fig.text(0, 0, "")

    def width(text: str, size: float, weight: str = "normal") -> float:
        ruler.set_text(f" {text} ")
        ruler.set_fontsize(size)
        ruler.set_fontweight(weight)
        return float(ruler.get_window_extent(renderer).width)

    labels = HeaderLabels(
        [(m, width(m.label, MARKER_FONT)) for m in markers(record)],
        [(s, width(s.label, SPAN_FONT, "bold")) for s in headline_spans(record)],
    )
    ruler.remove()
    return labels


def _scale(win: Window, width_px: float) -> Callable[[float], float]:
    """Record seconds to pixels on an axes ``width_px`` wide showing ``win``."""
    px_per_s = width_px / (win.end_s - win.start_s)
    return lambda time_s: (time_s - win.start_s) * px_per_s


def _plan_header(record: Record, wins: Sequence[Window], labels: HeaderLabels) -> HeaderPlan:
    """How many levels the header needs, estimated before the layout exists.

    The axes' final widths are unknown yet, so assume the panels share about 70% of the
    figure's width (the rest holds lane names and legends); the labels are re-stacked on the
    real axes afterwards, within these levels.
    """
    panel_px = 12.0 * 100 * 0.7 / len(wins)  # at the layout's 100 dpi
    span_levels = marker_levels = 0
    for win in wins:
        marks, spans = labels.place(win, _scale(win, panel_px), panel_px)
        marker_levels = max([marker_levels, *(p.level + 1 for _, p in marks)])
        span_levels = max([span_levels, *(p.level + 1 for _, p in spans)])
    phase_band = PHASE_BAND if failovers(record) else 0.0
    return HeaderPlan(phase_band, min(span_levels, MAX_LEVELS), min(marker_levels, MAX_LEVELS))


# -- the figure -----------------------------------------------------------------------------
def plot_timeline(record: Record, path: Path | None = None) -> Figure:
    """Draw the timeline of ``record``; if ``path`` is given, also save it there as a PNG.

    Reads only the Record (and metrics computed from it), so a run loaded back from JSON
    lines plots exactly like the live one. No pyplot: the Figure is drawn on its own Agg
    canvas, so no global state is touched and nothing needs a display. The labels are
    placed for the final layout, which is then frozen: to change the size, plot again.
    """
    t0, xlabel = origin(record)
    wins = windows(record)
    fig = Figure(dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    labels = _measure(fig, record, fig.canvas.get_renderer())  # type: ignore[attr-defined]
    plan = _plan_header(record, wins, labels)
    has_probe = bool(probe_operations(record))
    rows = [plan.height, float(len(record.instances))] + ([PROBE_HEIGHT] if has_probe else [])
    fig.set_size_inches(12.0, 1.35 + INCH_PER_LANE * sum(rows))
    panels = _make_axes(fig, wins, rows)
    for panel in panels:
        _draw_panel(panel, record, t0, plan)
    _add_legends(panels[-1], record)
    title = f"{record.meta.get('scenario')} [{record.meta.get('variant')}] — seed "
    # The empty second line keeps room for the subtitle, placed once the layout is known.
    heading = fig.suptitle(f"{title}{record.meta.get('seed')}\n", fontsize=13, fontweight="bold")
    fig.supxlabel(xlabel, fontsize=10)
    # Freeze the layout, then place what depends on measured sizes and final axes widths.
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    _add_subtitle(fig, heading, record, renderer)
    for panel in panels:
        _label_roles(panel.lanes, record, t0, renderer, [m.time_s - t0 for m in markers(record)])
        _label_header(panel, labels, plan, t0, renderer)
        # Phase lengths belong in the close-up; the overview beside it would repeat them small.
        if len(panels) == 1 or panel.window.close_up:
            _label_phases(panel.header, record, t0, renderer, plan)
        if panel.probe is not None:
            _label_outages(panel.probe, record, t0, renderer)
    if len(panels) == 2:
        _outline_close_up(panels[0], panels[1].window, t0)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def _make_axes(fig: Figure, wins: Sequence[Window], rows: Sequence[float]) -> list[Panel]:
    """One column per window; rows share x within a column and y across columns."""
    grid = fig.add_gridspec(len(rows), len(wins), height_ratios=rows)
    panels: list[Panel] = []
    for col, win in enumerate(wins):
        first = panels[0] if panels else None
        lanes = fig.add_subplot(grid[1, col], sharey=first.lanes if first else None)
        header = fig.add_subplot(grid[0, col], sharex=lanes)
        header.set_ylim(0.0, rows[0])
        probe = None
        if len(rows) > 2:
            probe = fig.add_subplot(grid[2, col], sharex=lanes,
                                    sharey=first.probe if first else None)
        panels.append(Panel(win, header, lanes, probe))
    return panels


# -- drawing (before the layout) ------------------------------------------------------------
def _draw_panel(panel: Panel, record: Record, t0: float, plan: HeaderPlan) -> None:
    """Everything in a panel whose placement does not need measured text sizes."""
    win = panel.window
    panel.lanes.set_xlim(win.start_s - t0, win.end_s - t0)
    _draw_lanes(panel.lanes, record, t0)
    _tint_phases(panel, record, t0, plan)
    for marker in markers(record):
        if win.contains(marker.time_s):
            colour, style = MARKER_STYLES[marker.kind]
            for ax in panel.body:
                ax.axvline(marker.time_s - t0, color=colour, linestyle=style, linewidth=1.1,
                           zorder=4)
    if panel.probe is not None:
        _draw_probe(panel.probe, record, t0, win)
    for ax in panel.body:
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0, labelleft=not win.close_up)
    if panel.probe is not None:
        panel.lanes.tick_params(axis="x", labelbottom=False)
    header = panel.header
    header.set_yticks([])
    header.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right", "left", "bottom"):
        header.spines[side].set_visible(False)
    header.set_title(win.title, loc="left", fontsize=10, color="#404040")


def _draw_lanes(ax: Axes, record: Record, t0: float) -> None:
    """One bar per (role, state) interval; the first instance on top."""
    colours = state_colours(record)
    for row, info in enumerate(record.instances):
        for start, end, _, state in record.state_intervals(info.name):
            ax.broken_barh([(start - t0, end - start)], (row - LANE_HEIGHT / 2, LANE_HEIGHT),
                           facecolors=colours[state], edgecolor="white", linewidth=0.6, zorder=2)
    ax.set_yticks(range(len(record.instances)),
                  [f"{i.name} ({i.az})" for i in record.instances])
    ax.set_ylim(len(record.instances) - 0.5, -0.5)


def _tint_phases(panel: Panel, record: Record, t0: float, plan: HeaderPlan) -> None:
    """Tint detection, promotion and dns behind every row, and under the header's arrows."""
    tint = {name: colour for name, colour, _ in PHASES}
    for fo in failovers(record):
        for name, start, end in phase_bounds(record, fo):
            for ax in panel.body:
                ax.axvspan(start - t0, end - t0, color=tint[name], zorder=0.5, linewidth=0)
            panel.header.fill_between([start - t0, end - t0], 0.0, plan.arrow_y(0),
                                      color=tint[name], zorder=0.5, linewidth=0)


def _draw_probe(ax: Axes, record: Record, t0: float, win: Window) -> None:
    """A tick at each attempt's start, over a pale band for each run of the same outcome.

    The bands keep a long run readable when the ticks are too dense to tell apart (a 1 s
    probe over an hour), and show where attempts were waiting on a timeout.
    """
    ops = probe_operations(record)
    for outcome, start, end in outcome_runs(ops, record.duration_s):
        ax.broken_barh([(start - t0, end - start)], (0.08, 0.42),
                       facecolors=OUTCOME_TINTS[outcome], linewidth=0, zorder=2)
    for outcome, colour in OUTCOME_COLOURS.items():
        starts = [o.start_s - t0 for o in ops if o.outcome == outcome and win.contains(o.start_s)]
        if starts:
            ax.vlines(starts, 0.08, 0.5, colors=colour, linewidth=0.9, zorder=3)
    ax.set_ylim(0.0, PROBE_HEIGHT)
    ax.set_yticks([0.29], ["probe client"])


def _add_legends(panel: Panel, record: Record) -> None:
    """Legends at the right of the row each explains: phases, states, probe outcomes."""

    def legend(ax: Axes, handles: Sequence[Patch | Line2D], title: str) -> None:
        ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=8, title_fontsize=8.5, frameon=False, alignment="left")

    if failovers(record):
        legend(panel.header, [Patch(facecolor=c, edgecolor="#bbbbbb", label=text)
                              for _, c, text in PHASES], "failover phase")
    legend(panel.lanes, [Patch(facecolor=c, label=s) for s, c in state_colours(record).items()],
           "instance state")
    if panel.probe is not None:
        ops = probe_operations(record)
        handles: list[Patch | Line2D] = []
        for outcome, colour in OUTCOME_COLOURS.items():
            errors = sorted({o.error for o in ops if o.outcome == outcome and o.error})
            if any(o.outcome == outcome for o in ops):
                label = outcome + (f" ({', '.join(errors)})" if errors else "")
                handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
        legend(panel.probe, handles, "probe attempt")


# -- labels placed after the layout ---------------------------------------------------------
def _add_subtitle(fig: Figure, heading: Text, record: Record, renderer: RendererBase) -> None:
    """Deployment and engine under the title, on the empty line the title kept for them."""
    meta = record.meta
    parts = [f"deployment: {meta.get('deployment')}", f"engine: {meta.get('engine')}"]
    # Losses are counted in bytes and converted with bytes_per_txn; a hand-made Record
    # without it gets no RPO rather than a wrong one.
    if "bytes_per_txn" in meta:
        parts.append(f"committed transactions lost (RPO): {lost_txns(record)[0]:,}")
    text = "   ·   ".join(parts)
    box = heading.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    fig.text(0.5, box.y0 + 0.3 * box.height, text, ha="center", va="center", fontsize=9.5,
             color="#404040")


def _px_width(ax: Axes, start: float, end: float) -> float:
    """Width in pixels of the data range [start, end] on ``ax``."""
    (x0, _), (x1, _) = ax.transData.transform([(start, 0.0), (end, 0.0)])
    return float(abs(x1 - x0))


def _fits(text: Text, ax: Axes, start: float, end: float, renderer: RendererBase,
          pad: float) -> bool:
    return float(text.get_window_extent(renderer).width) + pad <= _px_width(ax, start, end)


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = to_rgb(colour)
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _widest_piece(seen: tuple[float, float], cuts: Sequence[float]) -> tuple[float, float]:
    """The widest part of ``seen`` between the ``cuts`` (marker lines) that fall inside it."""
    edges = [seen[0], *sorted(c for c in cuts if seen[0] < c < seen[1]), seen[1]]
    return max(pairwise(edges), key=lambda piece: piece[1] - piece[0])


def _label_roles(ax: Axes, record: Record, t0: float, renderer: RendererBase,
                 cuts: Sequence[float]) -> None:
    """Write the role inside each bar segment wide enough, clear of the marker lines."""
    colours = state_colours(record)
    lo, hi = ax.get_xlim()
    for row, info in enumerate(record.instances):
        for start, end, role, state in record.state_intervals(info.name):
            seen = Window(lo, hi).clip(start - t0, end - t0)
            if seen is None:
                continue
            left, right = _widest_piece(seen, cuts)
            text = ax.text((left + right) / 2, row, role if role != "none" else "no role",
                           ha="center", va="center", fontsize=8, color=_ink(colours[state]),
                           zorder=5, clip_on=True)
            if not _fits(text, ax, left, right, renderer, pad=8):
                text.remove()


def _label_header(panel: Panel, labels: HeaderLabels, plan: HeaderPlan, t0: float,
                  renderer: RendererBase) -> None:
    """Marker labels and headline arrows, stacked on the final axes within the plan."""
    ax = panel.header

    def to_px(time_s: float) -> float:
        return float(ax.transData.transform((time_s - t0, 0.0))[0])

    marks, spans = labels.place(panel.window, to_px, ax.get_window_extent(renderer).x1)
    for marker, placed in marks:
        x, y = marker.time_s - t0, plan.marker_y(placed.level)
        colour, style = MARKER_STYLES[marker.kind]
        ax.text(x, y, f" {marker.label} ", ha="left" if placed.side == "right" else "right",
                va="center", fontsize=MARKER_FONT, color=colour, zorder=5)
        ax.plot([x, x], [0.0, y + LEVEL_STEP / 2], color=colour, linestyle=style,
                linewidth=1.1, zorder=4)
    for span, placed in spans:
        seen = panel.window.clip(span.start_s, span.end_s)
        assert seen is not None  # place() keeps only the spans it can see
        start, end, y = seen[0] - t0, seen[1] - t0, plan.arrow_y(placed.level)
        # Arrow heads would swallow a span only a few pixels wide: end bars instead.
        style = "<|-|>" if _px_width(ax, start, end) > 30 else "|-|, widthA=0.3, widthB=0.3"
        ax.annotate("", xy=(end, y), xytext=(start, y),
                    arrowprops={"arrowstyle": style, "color": "#252525", "linewidth": 1.0,
                                "mutation_scale": 7, "shrinkA": 0, "shrinkB": 0})
        where = {"above": ((start + end) / 2, y + 0.04, "center", "bottom"),
                 "right": (end, y, "left", "center"), "left": (start, y, "right", "center")}
        x, ty, ha, va = where[placed.side]
        ax.text(x, ty, f" {span.label} ", ha=ha, va=va, fontsize=SPAN_FONT, fontweight="bold",
                color="#252525", zorder=6)


def _label_phases(ax: Axes, record: Record, t0: float, renderer: RendererBase,
                  plan: HeaderPlan) -> None:
    """Each phase's length under the failover arrow: with its name if there is room."""
    lo, hi = ax.get_xlim()
    for fo in failovers(record):
        for name, start, end in phase_bounds(record, fo):
            seen = Window(lo, hi).clip(start - t0, end - t0)
            if seen is None:
                continue
            text = ax.text(sum(seen) / 2, plan.phase_band / 2, f"{name}\n{end - start:.1f} s",
                           ha="center", va="center", fontsize=7.5, color="#404040",
                           linespacing=1.0, zorder=6)
            for fallback in (f"{end - start:.1f} s", ""):
                if _fits(text, ax, *seen, renderer, pad=2):
                    break
                text.set_text(fallback)


def _label_outages(ax: Axes, record: Record, t0: float, renderer: RendererBase) -> None:
    """A bracket over each outage of the probe, labelled with its length where that fits.

    Candidates, best first: over the bracket, beside it (right, then left), then the same
    with the length alone; the first that stays inside the axes and clear of the labels
    already placed wins. A label that fits nowhere is left out (the bracket stays).
    """
    lo, hi = ax.get_xlim()
    frame = ax.get_window_extent(renderer)
    taken: list[tuple[float, float]] = []
    for outage in outages(record):
        seen = Window(lo, hi).clip(outage.start_s - t0, outage.end_s - t0)
        if seen is None:
            continue
        start, end = seen
        ax.plot([start, start, end, end], [0.56, 0.64, 0.64, 0.56], color="#b2182b",
                linewidth=1.0, zorder=5)
        length = duration_text(outage.end_s - outage.start_s)
        long = f"client downtime {length}" + ("" if outage.recovered else ", still down at the end")
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
            over = ha != "center" or box.width <= _px_width(ax, start, end)
            if inside and over and all(box.x1 < a or box.x0 > b for a, b in taken):
                taken.append((box.x0, box.x1))
                break
        else:
            text.remove()


def _outline_close_up(overview: Panel, close: Window, t0: float) -> None:
    """A dotted box in the overview around the range the close-up magnifies."""
    for ax in overview.body:
        lo, hi = ax.get_ylim()
        ax.add_patch(Rectangle((close.start_s - t0, min(lo, hi)), close.end_s - close.start_s,
                               abs(hi - lo), fill=False, edgecolor="#525252", linestyle=":",
                               linewidth=1.0, zorder=6, clip_on=False))
