"""The header's labels: marker labels, headline arrows and phase lengths, stacked on levels.

Labels that could collide (markers close in time, arrows that overlap) are stacked on levels,
packed greedily like intervals onto tracks. The number of levels is estimated before the
layout (it sets the header's height, see :func:`plan_header`) and the labels are re-stacked
on the final axes (:func:`label_header`). Also the helpers that tell whether a text fits
between two times, which the lanes use for their labels too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text

from rdssim.metrics import failovers, fault_spans
from rdssim.plot.reading import Marker, Span, headline_spans, markers, phase_bounds
from rdssim.plot.style import MARKER_STYLES
from rdssim.plot.windows import Window
from rdssim.record import Record

# The header, in lane heights (its y data units), bottom up: phase lengths, then rows of
# arrows, then rows of marker labels.
PHASE_BAND = 0.34
SPAN_STEP = 0.38
LEVEL_STEP = 0.2
MAX_LEVELS = 4
MARKER_FONT = 8.5
MERGE_PX = 4.0  # a fault and its end closer than this on the axis get one label (Brief)
SPAN_FONT = 9.0

T = TypeVar("T")


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


# -- stacking -------------------------------------------------------------------------------
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
class Brief:
    """A fault and its end, told as one label ("network-loss db-1 for 41 s") where their
    lines fall on the same pixels (a year's overview): two labels there would need two
    levels, and a long run's many faults overflow the header's levels into overlaps."""

    start: Marker
    end: Marker
    told: Marker
    width: float


@dataclass(frozen=True)
class HeaderLabels:
    """The header's markers and spans, with each label's width in pixels (measured once)."""

    markers: list[tuple[Marker, float]]
    spans: list[tuple[Span, float]]
    briefs: list[Brief] = field(default_factory=list)

    def place(
        self, win: Window, to_px: Callable[[float], float], right_edge: float
    ) -> tuple[list[tuple[Marker, Placed]], list[tuple[Span, Placed]]]:
        """Stack the labels of window ``win``; ``to_px`` maps record seconds to pixels."""
        shown = [(m, w) for m, w in self.markers if win.contains(m.time_s)]
        for brief in self.briefs:
            if abs(to_px(brief.end.time_s) - to_px(brief.start.time_s)) > MERGE_PX:
                continue
            if any(m is brief.start for m, _ in shown) and any(m is brief.end for m, _ in shown):
                shown = [
                    (brief.told, brief.width) if m is brief.start else (m, w)
                    for m, w in shown
                    if m is not brief.end
                ]
        marks = [(m, place_marker(to_px(m.time_s), w, right_edge)) for m, w in shown]
        spans = []
        for span, width in self.spans:
            seen = win.clip(span.start_s, span.end_s)
            if seen is not None:
                spans.append((span, place_span(to_px(seen[0]), to_px(seen[1]), width, right_edge)))
        return _stacked(marks), _stacked(spans)

    def levels(
        self, win: Window, to_px: Callable[[float], float], right_edge: float
    ) -> tuple[int, int]:
        """(arrow levels, marker levels) the labels of ``win`` need, at most MAX_LEVELS each."""
        marks, spans = self.place(win, to_px, right_edge)
        span_levels = max([0, *(p.level + 1 for _, p in spans)])
        marker_levels = max([0, *(p.level + 1 for _, p in marks)])
        return min(span_levels, MAX_LEVELS), min(marker_levels, MAX_LEVELS)


# -- before the layout: how tall the header must be -----------------------------------------
def measure(fig: Figure, record: Record, renderer: RendererBase) -> HeaderLabels:
    """Each header label's width in pixels: it does not depend on the layout, only on dpi."""
    ruler = fig.text(0, 0, "")

    def width(text: str, size: float, weight: str = "normal") -> float:
        ruler.set_text(f" {text} ")
        ruler.set_fontsize(size)
        ruler.set_fontweight(weight)
        return float(ruler.get_window_extent(renderer).width)

    found = markers(record)
    briefs = []
    lasted = {f["fault"]: f["duration_s"] for f in fault_spans(record)}  # the summary's faults
    for start, end in _fault_pairs(found):
        assert start.fault is not None
        told = replace(start, label=f"{start.label} for {lasting_text(lasted[start.fault])}")
        briefs.append(Brief(start, end, told, width(told.label, MARKER_FONT)))
    labels = HeaderLabels(
        [(m, width(m.label, MARKER_FONT)) for m in found],
        [(s, width(s.label, SPAN_FONT, "bold")) for s in headline_spans(record)],
        briefs,
    )
    ruler.remove()
    return labels


def _fault_pairs(found: Sequence[Marker]) -> list[tuple[Marker, Marker]]:
    """(fault, its end) for each fault that ended, in time order."""
    open_: dict[int, Marker] = {}
    pairs = []
    for marker in found:
        if marker.fault is None:
            continue
        if marker.kind == "fault":
            open_[marker.fault] = marker
        elif marker.kind == "fault-end" and marker.fault in open_:
            pairs.append((open_.pop(marker.fault), marker))
    return pairs


def lasting_text(seconds: float) -> str:
    """How long a fault lasted, briefly: 41 s, 12 min, 3.5 h, 2.1 d."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _scale(win: Window, width_px: float) -> Callable[[float], float]:
    """Record seconds to pixels on an axes ``width_px`` wide showing ``win``."""
    px_per_s = width_px / (win.end_s - win.start_s)
    return lambda time_s: (time_s - win.start_s) * px_per_s


def plan_header(record: Record, wins: Sequence[Window], labels: HeaderLabels) -> HeaderPlan:
    """How many levels the header needs, estimated before the layout exists.

    The axes' final widths are unknown yet, so assume the panels share about 70% of the
    figure's width (the rest holds lane names and legends); the labels are re-stacked on the
    real axes afterwards, within these levels.
    """
    panel_px = 12.0 * 100 * 0.7 / len(wins)  # at the layout's 100 dpi
    needed = [labels.levels(win, _scale(win, panel_px), panel_px) for win in wins]
    phase_band = PHASE_BAND if failovers(record) else 0.0
    return HeaderPlan(phase_band, max(n[0] for n in needed), max(n[1] for n in needed))


# -- after the layout: drawing on the final axes --------------------------------------------
def seconds_to_px(ax: Axes, t0: float) -> Callable[[float], float]:
    """Record seconds to pixels on ``ax``, whose x is in seconds from ``t0``."""
    return lambda time_s: float(ax.transData.transform((time_s - t0, 0.0))[0])


def px_width(ax: Axes, start: float, end: float) -> float:
    """Width in pixels of the data range [start, end] on ``ax``."""
    (x0, _), (x1, _) = ax.transData.transform([(start, 0.0), (end, 0.0)])
    return float(abs(x1 - x0))


def fits(
    text: Text, ax: Axes, start: float, end: float, renderer: RendererBase, pad: float
) -> bool:
    """Whether ``text`` is at least ``pad`` pixels narrower than [start, end] on ``ax``."""
    return float(text.get_window_extent(renderer).width) + pad <= px_width(ax, start, end)


def label_header(
    ax: Axes, win: Window, labels: HeaderLabels, plan: HeaderPlan, t0: float, renderer: RendererBase
) -> None:
    """Marker labels and headline arrows of ``win``, stacked on the final axes within the plan."""
    marks, spans = labels.place(win, seconds_to_px(ax, t0), ax.get_window_extent(renderer).x1)
    # A label beyond the header's levels (a year's many faults need more than MAX_LEVELS) is
    # left out, its line kept: drawn on the top level it would cover another.
    untold = 0
    for marker, placed in marks:
        x, y = marker.time_s - t0, plan.marker_y(placed.level)
        colour, style = MARKER_STYLES[marker.kind]
        if placed.level < plan.marker_levels:
            ax.text(
                x,
                y,
                f" {marker.label} ",
                ha="left" if placed.side == "right" else "right",
                va="center",
                fontsize=MARKER_FONT,
                color=colour,
                zorder=5,
            )
        else:
            untold += 1
        ax.plot(
            [x, x],
            [0.0, y + LEVEL_STEP / 2],
            color=colour,
            linestyle=style,
            linewidth=1.1,
            zorder=4,
        )
    for span, placed in spans:
        if placed.level >= plan.span_levels:  # its arrow too would cross another's
            untold += 1
            continue
        seen = win.clip(span.start_s, span.end_s)
        assert seen is not None  # place() keeps only the spans it can see
        start, end, y = seen[0] - t0, seen[1] - t0, plan.arrow_y(placed.level)
        # Arrow heads would swallow a span only a few pixels wide: end bars instead.
        style = "<|-|>" if px_width(ax, start, end) > 30 else "|-|, widthA=0.3, widthB=0.3"
        ax.annotate(
            "",
            xy=(end, y),
            xytext=(start, y),
            arrowprops={
                "arrowstyle": style,
                "color": "#252525",
                "linewidth": 1.0,
                "mutation_scale": 7,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        where = {
            "above": ((start + end) / 2, y + 0.04, "center", "bottom"),
            "right": (end, y, "left", "center"),
            "left": (start, y, "right", "center"),
        }
        x, ty, ha, va = where[placed.side]
        ax.text(
            x,
            ty,
            f" {span.label} ",
            ha=ha,
            va=va,
            fontsize=SPAN_FONT,
            fontweight="bold",
            color="#252525",
            zorder=6,
        )
    note_untold(ax, untold)


def note_untold(ax: Axes, untold: int) -> None:
    """Say in ``ax``'s top right how many labels were left out, and where they are told."""
    if untold:
        ax.set_title(f"{untold} more in rdssim explain", loc="right", fontsize=8, color="#808080")


def label_phases(
    ax: Axes, record: Record, t0: float, renderer: RendererBase, plan: HeaderPlan
) -> None:
    """Each phase's length under the failover arrow: with its name if there is room."""
    lo, hi = ax.get_xlim()
    for fo in failovers(record):
        for name, start, end in phase_bounds(record, fo):
            seen = Window(lo, hi).clip(start - t0, end - t0)
            if seen is None:
                continue
            text = ax.text(
                sum(seen) / 2,
                plan.phase_band / 2,
                f"{name}\n{end - start:.1f} s",
                ha="center",
                va="center",
                fontsize=7.5,
                color="#404040",
                linespacing=1.0,
                zorder=6,
            )
            for fallback in (f"{end - start:.1f} s", ""):
                if fits(text, ax, *seen, renderer, pad=2):
                    break
                text.set_text(fallback)
