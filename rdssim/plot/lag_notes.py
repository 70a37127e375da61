"""The lag plot's parts placed once the layout is known: marker labels and loss notes.

Both need the axes' final size in display units, so :func:`rdssim.plot.lag.plot_lag` lays
the figure out first and calls these after.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox, offset_copy

from rdssim.plot.labels import Placed, note_untold, place_marker, stagger
from rdssim.plot.reading import Marker
from rdssim.plot.style import LAG_MARKER_STYLES
from rdssim.record import PROMOTION_STARTED, Record

FloatArray = npt.NDArray[np.float64]

LEVEL_IN = 0.22  # height of one level of marker labels
MAX_LEVELS = 4
LABEL_FONT = 8.0
# Where a loss note may go from its point, in points, in order of preference.
NOTE_OFFSETS = tuple((dx, dy) for dy in (16, 32, -24, 48) for dx in (14, -14))
LOST_GID = "lost:{}"


def annotate_losses(ax: Axes, record: Record, t0: float, renderer: RendererBase) -> None:
    """At each promotion, what the promoted replica had not applied: lost to its readers.

    The note goes where it hides the fewest line samples, inside the axes: call it once the
    layout is done.
    """
    crowd = _line_points(ax)
    inside = ax.get_window_extent(renderer)
    for event in record.events:
        lost_s, lost_txns = event.data.get("lost_s"), event.data.get("lost_txns")
        if event.kind != PROMOTION_STARTED or lost_s is None or lost_txns is None:
            continue
        best: tuple[float, Annotation] | None = None
        for dx, dy in NOTE_OFFSETS:
            note = ax.annotate(
                f"{event.source} promoted with\n{float(lost_s):.1f} s / "
                f"{float(lost_txns):,.0f} txns not applied",
                xy=(event.time_s - t0, float(lost_s)),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
                va="bottom" if dy > 0 else "top",
                multialignment="left",
                fontsize=8.5,
                color="#3f007d",
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#9e9ac8"},
                arrowprops={"arrowstyle": "-|>", "color": "#6a3d9a", "linewidth": 0.9},
                zorder=7,
                gid=LOST_GID.format(event.source),
            )
            note.update_positions(renderer)  # (place the text as drawing would)
            box = Text.get_window_extent(note, renderer)  # the text, not the arrow
            x, y = crowd[:, 0], crowd[:, 1]
            hidden = np.count_nonzero((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1))
            outside = 0.0 if _within(box, inside) else 1e6
            if best is None or hidden + outside < best[0]:
                if best is not None:
                    best[1].remove()
                best = (hidden + outside, note)
            else:
                note.remove()


def _line_points(ax: Axes) -> FloatArray:
    """Points every 2 pixels along every line of ``ax``, in display coordinates: how much
    of a line a box covers is how many of them it holds (a steep drop between two samples
    counts for its length, not for two points)."""
    found = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=np.float64)
        y = np.asarray(line.get_ydata(), dtype=np.float64)
        xy = line.get_transform().transform(np.column_stack([x, y]))
        step = np.diff(xy, axis=0)
        length = np.hypot(step[:, 0], step[:, 1])
        count = np.where(np.isfinite(length), np.ceil(length / 2.0), 0).astype(np.int64)
        starts = np.cumsum(count) - count
        within = np.arange(count.sum()) - np.repeat(starts, count)
        fraction = (within / np.repeat(np.maximum(count, 1), count))[:, None]
        found.append(np.repeat(xy[:-1], count, axis=0) + fraction * np.repeat(step, count, axis=0))
    return np.vstack(found) if found else np.empty((0, 2))


def _within(box: Bbox, outer: Bbox) -> bool:
    return bool(
        box.x0 >= outer.x0 and box.x1 <= outer.x1 and box.y0 >= outer.y0 and box.y1 <= outer.y1
    )


def header_in(levels: int) -> float:
    """Height of the header in inches: a row per level of labels."""
    return LEVEL_IN * levels + 0.05


def stack_labels(
    ax: Axes, marks: Sequence[Marker], t0: float, renderer: RendererBase
) -> list[tuple[Marker, Placed, int]]:
    """Each label right of its line (left near the right edge), on the lowest free level.

    Uses ``ax``'s present width: call it once the layout is done.
    """
    ruler = ax.text(0, 0, "", fontsize=LABEL_FONT)
    left, right = ax.get_xlim()
    box = ax.get_window_extent(renderer)
    placed = []
    for marker in marks:
        ruler.set_text(f" {marker.label} ")
        width = float(ruler.get_window_extent(renderer).width)
        x = (marker.time_s - t0 - left) / (right - left) * box.width
        placed.append(place_marker(x, width, box.width))
    ruler.remove()
    levels = stagger([(p.left, p.right) for p in placed])
    return list(zip(marks, placed, levels, strict=True))


def label_markers(
    fig: Figure,
    ax: Axes,
    stacked: Sequence[tuple[Marker, Placed, int]],
    levels: int,
    t0: float,
) -> None:
    """The labels, each joined to its marker line by a line up the header.

    A label beyond ``levels`` (a year's many events) is left out, its line kept, and the
    header says how many more ``rdssim explain`` tells: on the top level it would cover
    another.
    """
    untold = 0
    for marker, where, level in stacked:
        colour, style = LAG_MARKER_STYLES[marker.kind]
        x, y = marker.time_s - t0, min(level, levels - 1) + 0.5
        ax.plot([x, x], [0.0, y + 0.4], color=colour, linestyle=style, linewidth=1.0, zorder=4)
        if level >= levels:
            untold += 1
            continue
        # On white, so a taller label's line passing behind it does not strike it through;
        # shifted off its own line, so its box does not hide it.
        right = where.side == "right"
        ax.text(
            x,
            y,
            marker.label,
            transform=offset_copy(ax.transData, fig, x=3 if right else -3, units="points"),
            ha="left" if right else "right",
            va="center",
            fontsize=LABEL_FONT,
            color=colour,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4},
            zorder=5,
        )
    note_untold(ax, untold)
