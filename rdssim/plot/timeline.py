"""The timeline of one run, drawn from its Record alone: the figure and its composition.

Rows, top to bottom, share one time axis:

* a header: the labels of the fault and action markers, each failover's (or in-place
  recovery's) total time as a double arrow and, in a close-up, each phase's length;
* one lane per instance, coloured by state, with the role written inside wide segments;
* the probe client: a tick per attempt coloured by outcome, and its downtime (the summary's
  ``probe_downtime_s``, per outage);
* with client groups, one strip per group: the share of its requests not answered
  successfully over time, whose integral is its client-observed downtime (the summary's
  ``client_downtime_by_group``, written beside it).

The failover phases (detection, promotion, dns) are tinted behind every row, so they line
up with the instance states and the probe's errors. Time is in seconds from the first fault
or action (t = 0 at the fault, negative before it); a run without one keeps absolute seconds.
A long incident gets two columns, an overview and a close-up of the first failover; the
overview outlines the range the close-up shows.

This module lays the figure out and draws what crosses the rows (phase tints, marker lines,
legends, title); the parts live in:

* :mod:`rdssim.plot.reading`: what to draw, read from the Record (markers, spans, outages);
* :mod:`rdssim.plot.windows`: the time range of each column (overview, close-up);
* :mod:`rdssim.plot.style`: the fixed colours;
* :mod:`rdssim.plot.labels`: the header's height and its stacked labels;
* :mod:`rdssim.plot.lanes`: the instance lanes, the probe strip and the groups' strips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from rdssim.metrics import failovers, rpo_txns
from rdssim.plot.figure import freeze_layout, save_png, target_figure
from rdssim.plot.labels import (
    HeaderLabels,
    HeaderPlan,
    label_header,
    label_phases,
    measure,
    plan_header,
    seconds_to_px,
)
from rdssim.plot.lanes import (
    GROUP_HEIGHT,
    PROBE_HEIGHT,
    draw_groups,
    draw_lanes,
    draw_probe,
    group_names,
    label_outages,
    label_roles,
)
from rdssim.plot.reading import markers, origin, phase_bounds, probe_attempts
from rdssim.plot.style import (
    MARKER_STYLES,
    OUTCOME_COLOURS,
    OUTCOME_TINTS,
    PHASES,
    legend_right,
    phase_legend,
    state_colours,
)
from rdssim.plot.time_ticks import label_times, spans_long
from rdssim.plot.windows import Window, shared_windows
from rdssim.record import Record

INCH_PER_LANE = 0.9


@dataclass(frozen=True)
class Panel:
    """The axes of one column: header, instance lanes and, if there are any, the probe's
    strip and the client groups' strips."""

    window: Window
    header: Axes
    lanes: Axes
    probe: Axes | None
    groups: Axes | None

    @property
    def body(self) -> list[Axes]:
        """The rows that carry data (tints and marker lines cross all of them)."""
        return [ax for ax in (self.lanes, self.probe, self.groups) if ax is not None]


def plot_timeline(
    record: Record,
    path: Path | None = None,
    *,
    fig: Figure | None = None,
    wins: Sequence[Window] | None = None,
) -> Figure:
    """Draw the timeline of ``record``; if ``path`` is given, also save it there as a PNG.

    ``fig``: an empty Figure to draw on (resized to fit) instead of a new one; ``wins``: the
    time ranges of the columns (:func:`rdssim.plot.windows.windows` of the record if None;
    :func:`rdssim.plot.windows.shared_windows` draws several runs alike).

    Reads only the Record (and metrics computed from it), so a run loaded back from JSON
    lines plots exactly like the live one. No pyplot: the Figure is drawn on its own Agg
    canvas, so no global state is touched and nothing needs a display. The labels are
    placed for the final layout, which is then frozen: to change the size, plot again.
    """
    return plot_timelines({"": record}, path, fig=fig, wins=wins)


def plot_timelines(
    records: Mapping[str, Record],
    path: Path | None = None,
    *,
    fig: Figure | None = None,
    wins: Sequence[Window] | None = None,
) -> Figure:
    """The timelines of several runs of one scenario (its variants), one above the other
    on the same columns and time ranges (:func:`shared_windows`), so that they compare at a
    glance: a storage failure with and without a standby, direct or through RDS Proxy."""
    if not records:
        raise ValueError("no records to draw")
    chosen = list(wins) if wins is not None else shared_windows(list(records.values()))
    fig = target_figure(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    plans = [_Plan.of(fig, record, chosen, renderer) for record in records.values()]
    areas, drawn = _build(fig, plans)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    # The header's levels were planned on estimated axes widths; where the real ones are
    # narrower and the labels need more levels (a narrow overview beside a close-up), the
    # figure is built again with them, rather than labels drawn over each other.
    grown = [_grown(plan, panels, renderer) for plan, panels, _ in drawn]
    if any(new is not old for new, old in zip(grown, plans, strict=True)):
        fig.clear()
        fig.set_layout_engine("constrained")
        areas, drawn = _build(fig, grown)
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for area, (plan, panels, heading) in zip(areas, drawn, strict=True):
        _label(area, plan, panels, heading, renderer)
    return save_png(fig, path)


def _build(
    fig: Figure, plans: Sequence[_Plan]
) -> tuple[list[Figure | SubFigure], list[tuple[_Plan, list[Panel], Text]]]:
    """Each run's axes, bars and legends on ``fig``, laid out and frozen, the columns of
    the runs aligned: what the labels are then placed on."""
    heights = [plan.height_in for plan in plans]
    fig.set_size_inches(12.0, sum(heights))
    areas: list[Figure | SubFigure] = [fig]
    if len(plans) > 1:
        grid = fig.subfigures(len(plans), 1, squeeze=False, height_ratios=heights)
        areas = list(grid[:, 0])
    drawn = [_compose(area, plan) for area, plan in zip(areas, plans, strict=True)]
    # Freeze the layout, then place what depends on measured sizes and final axes widths.
    freeze_layout(fig)
    _align_columns([panels for _, panels, _ in drawn])
    return areas, drawn


def _grown(plan: _Plan, panels: Sequence[Panel], renderer: RendererBase) -> _Plan:
    """``plan`` with the header levels its labels need on the final axes, if it planned
    fewer (never fewer than planned: the figure is not rebuilt to shrink)."""
    spans = markers_needed = 0
    for panel in panels:
        ax = panel.header
        to_px = seconds_to_px(ax, plan.t0)
        need = plan.labels.levels(panel.window, to_px, ax.get_window_extent(renderer).x1)
        spans, markers_needed = max(spans, need[0]), max(markers_needed, need[1])
    header = plan.header
    if spans <= header.span_levels and markers_needed <= header.marker_levels:
        return plan
    header = replace(
        header,
        span_levels=max(spans, header.span_levels),
        marker_levels=max(markers_needed, header.marker_levels),
    )
    return replace(plan, header=header, rows=[header.height, *plan.rows[1:]])


@dataclass(frozen=True)
class _Plan:
    """What one run's timeline needs before any axes exist: its origin, columns, header
    labels (measured) and row heights."""

    record: Record
    t0: float
    xlabel: str
    wins: list[Window]
    labels: HeaderLabels
    header: HeaderPlan
    rows: list[float]
    probe: bool
    groups: bool

    @classmethod
    def of(
        cls, fig: Figure, record: Record, wins: Sequence[Window], renderer: RendererBase
    ) -> _Plan:
        t0, xlabel = origin(record, long=_spans_long(wins))
        labels = measure(fig, record, renderer)
        header = plan_header(record, wins, labels)
        probe = bool(probe_attempts(record))
        groups = group_names(record)
        rows = [header.height, float(len(record.instances))]
        rows += [PROBE_HEIGHT] if probe else []
        rows += [GROUP_HEIGHT * len(groups)] if groups else []
        return cls(record, t0, xlabel, list(wins), labels, header, rows, probe, bool(groups))

    @property
    def height_in(self) -> float:
        return 1.35 + INCH_PER_LANE * sum(self.rows)


def _compose(area: Figure | SubFigure, plan: _Plan) -> tuple[_Plan, list[Panel], Text]:
    """The axes, bars, tints, marker lines, legends and titles of one run's timeline."""
    record = plan.record
    panels = _make_axes(area, plan.wins, plan.rows, plan.probe, plan.groups)
    label_times([panel.lanes for panel in panels], _spans_long(plan.wins))
    for panel in panels:
        _draw_panel(panel, record, plan.t0, plan.header)
    _add_legends(panels[-1], record)
    title = f"{record.meta.get('scenario')} [{record.meta.get('variant')}] — seed "
    # The empty second line keeps room for the subtitle, placed once the layout is known.
    heading = area.suptitle(f"{title}{record.meta.get('seed')}\n", fontsize=13, fontweight="bold")
    area.supxlabel(plan.xlabel, fontsize=10)
    return plan, panels, heading


def _spans_long(wins: Sequence[Window]) -> bool:
    """Whether the columns span long (unit-labelled time ticks: rdssim.plot.time_ticks)."""
    return spans_long(w.end_s - w.start_s for w in wins)


def _align_columns(runs: Sequence[Sequence[Panel]]) -> None:
    """Give column c of every run the same left and right edges (the narrowest), so the
    runs' times line up vertically; each run's layout alone would shift them by the width
    of its lane names and legends."""
    for column in zip(*runs, strict=True):
        axes = [ax for panel in column for ax in (panel.header, *panel.body)]
        boxes = [ax.get_position() for ax in axes]
        left, right = max(b.x0 for b in boxes), min(b.x1 for b in boxes)
        for ax, box in zip(axes, boxes, strict=True):
            ax.set_position((left, box.y0, right - left, box.height))


def _label(
    area: Figure | SubFigure,
    plan: _Plan,
    panels: Sequence[Panel],
    heading: Text,
    renderer: RendererBase,
) -> None:
    """What is placed on the frozen layout: subtitle, role names, header labels, outages."""
    record, t0 = plan.record, plan.t0
    _add_subtitle(area, heading, record, renderer)
    for panel in panels:
        label_roles(panel.lanes, record, t0, renderer, [m.time_s - t0 for m in markers(record)])
        label_header(panel.header, panel.window, plan.labels, plan.header, t0, renderer)
        # Phase lengths belong in the close-up; the overview beside it would repeat them small.
        if len(panels) == 1 or panel.window.close_up:
            label_phases(panel.header, record, t0, renderer, plan.header)
        if panel.probe is not None:
            label_outages(panel.probe, record, t0, renderer)
    if len(panels) == 2:
        _outline_close_up(panels[0], panels[1].window, t0)


def _make_axes(
    fig: Figure | SubFigure,
    wins: Sequence[Window],
    rows: Sequence[float],
    probe: bool,
    groups: bool,
) -> list[Panel]:
    """One column per window; rows share x within a column and y across columns."""
    grid = fig.add_gridspec(len(rows), len(wins), height_ratios=rows)
    panels: list[Panel] = []
    for col, win in enumerate(wins):
        first = panels[0] if panels else None
        lanes = fig.add_subplot(grid[1, col], sharey=first.lanes if first else None)
        header = fig.add_subplot(grid[0, col], sharex=lanes)
        header.set_ylim(0.0, rows[0])
        strips: list[Axes | None] = []
        for row, wanted in ((2, probe), (2 + probe, groups)):
            if not wanted:
                strips.append(None)
                continue
            shared = (first.probe if row == 2 and probe else first.groups) if first else None
            strips.append(fig.add_subplot(grid[row, col], sharex=lanes, sharey=shared))
        panels.append(Panel(win, header, lanes, strips[0], strips[1]))
    return panels


# -- drawing (before the layout) ------------------------------------------------------------
def _draw_panel(panel: Panel, record: Record, t0: float, plan: HeaderPlan) -> None:
    """Everything in a panel whose placement does not need measured text sizes."""
    win = panel.window
    panel.lanes.set_xlim(win.start_s - t0, win.end_s - t0)
    draw_lanes(panel.lanes, record, t0)
    _tint_phases(panel, record, t0, plan)
    for marker in markers(record):
        if win.contains(marker.time_s):
            colour, style = MARKER_STYLES[marker.kind]
            for ax in panel.body:
                ax.axvline(
                    marker.time_s - t0, color=colour, linestyle=style, linewidth=1.1, zorder=4
                )
    if panel.probe is not None:
        draw_probe(panel.probe, record, t0, win)
    if panel.groups is not None:
        draw_groups(panel.groups, record, t0)
    for ax in panel.body:
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0, labelleft=not win.close_up)
    for ax in panel.body[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    header = panel.header
    header.set_yticks([])
    header.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right", "left", "bottom"):
        header.spines[side].set_visible(False)
    title = win.title
    if win.close_up and "failover" in title and not failovers(record):
        # The close-up of the runs drawn beside it, not of one of this run's own.
        title = "close-up: the range of the other runs' failover"
    header.set_title(title, loc="left", fontsize=10, color="#404040")


def _tint_phases(panel: Panel, record: Record, t0: float, plan: HeaderPlan) -> None:
    """Tint detection, promotion and dns behind every row, and under the header's arrows."""
    tint = {name: colour for name, colour, _ in PHASES}
    for fo in failovers(record):
        for name, start, end in phase_bounds(record, fo):
            for ax in panel.body:
                ax.axvspan(start - t0, end - t0, color=tint[name], zorder=0.5, linewidth=0)
            panel.header.fill_between(
                [start - t0, end - t0],
                0.0,
                plan.arrow_y(0),
                color=tint[name],
                zorder=0.5,
                linewidth=0,
            )


def _add_legends(panel: Panel, record: Record) -> None:
    """Legends at the right of the row each explains: phases, states, probe outcomes."""

    legend = legend_right
    if failovers(record):
        legend(
            panel.header,
            [
                Patch(facecolor=c, edgecolor="#bbbbbb", label=text)
                for c, text in phase_legend(record.meta.get("deployment"))
            ],
            "failover phase",
        )
    legend(
        panel.lanes,
        [Patch(facecolor=c, label=s) for s, c in state_colours(record).items()],
        "instance state",
    )
    if panel.probe is not None:
        ops = probe_attempts(record)
        handles: list[Patch | Line2D] = []
        for outcome, colour in OUTCOME_COLOURS.items():
            errors = sorted({o.error for o in ops if o.outcome == outcome and o.error})
            if any(o.outcome == outcome for o in ops):
                label = outcome + (f" ({', '.join(errors)})" if errors else "")
                handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
        legend(panel.probe, handles, "probe attempt")
    if panel.groups is not None:
        legend(
            panel.groups,
            [
                Patch(facecolor=OUTCOME_TINTS["ok"], label="answered"),
                Patch(
                    facecolor=OUTCOME_COLOURS["fail"],
                    label="not answered (its integral:\nthe client-observed downtime)",
                ),
            ],
            "client requests",
        )


# -- after the layout -----------------------------------------------------------------------
def _add_subtitle(
    fig: Figure | SubFigure, heading: Text, record: Record, renderer: RendererBase
) -> None:
    """Deployment and engine under the title, on the empty line the title kept for them."""
    meta = record.meta
    parts = [f"deployment: {meta.get('deployment')}", f"engine: {meta.get('engine')}"]
    # Losses are counted in bytes and converted with bytes_per_txn; a hand-made Record
    # without it gets no RPO rather than a wrong one.
    if "bytes_per_txn" in meta:
        parts.append(f"committed transactions lost (RPO): {rpo_txns(record):,}")
    text = "   ·   ".join(parts)
    box = heading.get_window_extent(renderer).transformed(fig.transSubfigure.inverted())
    fig.text(
        0.5,
        box.y0 + 0.3 * box.height,
        text,
        ha="center",
        va="center",
        fontsize=9.5,
        color="#404040",
    )


def _outline_close_up(overview: Panel, close: Window, t0: float) -> None:
    """A dotted box in the overview around the range the close-up magnifies."""
    for ax in overview.body:
        lo, hi = ax.get_ylim()
        ax.add_patch(
            Rectangle(
                (close.start_s - t0, min(lo, hi)),
                close.end_s - close.start_s,
                abs(hi - lo),
                fill=False,
                edgecolor="#525252",
                linestyle=":",
                linewidth=1.0,
                zorder=6,
                clip_on=False,
            )
        )
