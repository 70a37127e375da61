"""The replica lag of one run, drawn from its Record alone.

Rows, top to bottom, share one time axis (seconds from the first fault or action):

* a header: the labels of the markers (faults, actions, failover completion, replica
  promotions and re-points), stacked on a few levels so that none overlap;
* the lag: one line per replica of its *data lag* (:func:`rdssim.lag.data_lag_s`), solid
  while the replication threads run and dashed over a light shade while they do not (when
  CloudWatch's ReplicaLag is -1 on MySQL), over the offered write rate as a grey area on a
  second y axis; a promotion is annotated with the data it did not apply;
* on PostgreSQL, a dotted line per replica of CloudWatch's ReplicaLag where it differs from
  the data lag (:func:`rdssim.lag.replica_lag_s`: up to 5 minutes on an idle source);
* a thin strip per replica coloured by its state.

The lag itself is computed by :mod:`rdssim.lag`; this module only samples and draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from rdssim.lag import (
    MINUS_ONE_ENGINES,
    REPLICATING_STATES,
    WAL_SWITCH_S,
    FloatArray,
    data_lag_s,
    replica_lag_s,
    replicas,
    sample_times,
    states_at,
)
from rdssim.plot.figure import lay_out, save_png, target_figure
from rdssim.plot.lag_notes import (
    LEVEL_IN,
    MAX_LEVELS,
    annotate_losses,
    header_in,
    label_markers,
    stack_labels,
)
from rdssim.plot.reading import Marker, marker_label, origin
from rdssim.plot.style import LAG_MARKER_STYLES, STATE_COLOURS, UNKNOWN_STATE_COLOURS
from rdssim.plot.time_ticks import is_long, label_times
from rdssim.record import WRITE_RATE, InstanceInfo, Record

WIDTH_IN = 12.0
LAG_IN = 3.8  # height of the lag axes
STRIP_ROW_IN = 0.28  # height of one replica's state strip
MAX_POINTS = 4000  # samples per line: finer than the pixels of a 12 in figure

# Okabe & Ito's colour-blind-safe palette (yellow and black left out: too pale, and black
# is the fault markers' colour).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

# A replica's states: green is healthy, blues are a replica being built or taking up a new
# role, amber to dark red the longer and worse the break in replication.
# The timeline's colours (one state, one colour in every picture), in the strip legend's order.
REPLICA_STATE_COLOURS: dict[str, str] = {
    state: STATE_COLOURS[state]
    for state in (
        "replicating",
        "catching-up",
        "creating",
        "reconnecting",
        "restarting",
        "stranded",
        "promoting",
        "available",
        "recovering",
        "failed",
        "unreachable",
    )
}

BoolArray = npt.NDArray[np.bool_]
FAULT_KINDS = ("fault", "fault-end", "action")
REPLICA_LABELS = {
    "replica-promotion-started": "promote {}",
    "replica-promoted": "{} promoted",
    # Not "re-point x": that is the action's label, and this is its completion.
    "replica-repointed": "{} re-pointed",
}
REPLICA_ACTIONS = ("promote-replica", "repoint-replica", "create-replica")
FAILOVER_COMPLETE = "failover-completed"  # RDS-EVENT-0049, or a DB cluster's 0071

# Artist ids, so that tests (and anyone else) can find what was drawn.
LAG_GID = "lag:{}"
NOT_RUNNING_GID = "lag-not-running:{}"
SHADE_GID = "not-running:{}"
CLOUDWATCH_GID = "cloudwatch-replica-lag:{}"
CLOUDWATCH_LEGEND_GID = "cloudwatch-replica-lag"
# Below this, the metric and the data lag are drawn as one line.
CLOUDWATCH_DIFF_S = 0.5
WRITE_RATE_GID = "write-rate"


def plot_lag(record: Record, path: Path | None = None, *, fig: Figure | None = None) -> Figure:
    """Draw the replica lag of ``record``; if ``path`` is given, also save it as a PNG;
    ``fig``: an empty Figure to draw on (resized to fit) instead of a new one.

    Reads only the Record, so a run loaded back from JSON lines plots exactly like the live
    one. No pyplot: the Figure has its own Agg canvas. Raises ValueError if the record has
    no read replicas.
    """
    infos = replicas(record)
    if not infos:
        raise ValueError("no read replicas in this record")
    t0, xlabel = origin(record)
    marks = lag_markers(record)
    fig = target_figure(fig)
    rows = [header_in(1), LAG_IN, STRIP_ROW_IN * len(infos) + 0.1]
    fig.set_size_inches(WIDTH_IN, 1.0 + sum(rows))
    header, lag_ax, strip = _make_axes(fig, rows)
    lag_ax.set_xlim(-t0, record.duration_s - t0)
    label_times([lag_ax], is_long([record]))
    lines, any_broken = _draw_lags(lag_ax, record, infos, t0)
    cloudwatch = any(line.get_gid() == CLOUDWATCH_LEGEND_GID for line in lag_ax.lines)
    rate_ax = _draw_write_rate(lag_ax, record, t0)
    states = _draw_states(strip, record, infos, t0)
    for marker in marks:
        colour, style = LAG_MARKER_STYLES[marker.kind]
        for ax in (lag_ax, strip):
            ax.axvline(marker.time_s - t0, color=colour, linestyle=style, linewidth=1.0, zorder=4)
    broken_text = not_running_text(record) if any_broken else None
    _add_legends(fig, lines, broken_text, states, rate_ax is not None, cloudwatch)
    # At the left, over the subtitle (moved there once the layout is known): centred, a long
    # title would run into the legend.
    title = fig.suptitle(_title(record), x=0.01, ha="left", fontsize=13, fontweight="bold")
    header.set_title(
        f"engine: {record.meta.get('engine')}   ·   data lag: how far each replica's applied "
        "data is behind the primary's commits",
        loc="left",
        fontsize=9,
        color="#404040",
    )
    strip.set_xlabel(xlabel, fontsize=10)
    # Lay out once to learn the axes' width (the legends take what they need), stack the
    # labels on it, give the header the levels they take (only heights change, so the width
    # holds), lay out again and freeze.
    lay_out(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    stacked = stack_labels(header, marks, t0, renderer)
    levels = min(MAX_LEVELS, 1 + max((level for *_, level in stacked), default=0))
    if levels > 1:
        rows[0] = header_in(levels)
        grid = header.get_gridspec()
        assert grid is not None  # made by _make_axes
        grid.set_height_ratios(rows)
        header.set_ylim(0.0, rows[0] / LEVEL_IN)
        fig.set_size_inches(WIDTH_IN, 1.0 + sum(rows))
        lay_out(fig)
    fig.set_layout_engine("none")
    title.set_x(header.get_position().x0)
    label_markers(fig, header, stacked, levels, t0)
    annotate_losses(lag_ax, record, t0, renderer)
    return save_png(fig, path)


# -- what to draw ---------------------------------------------------------------------------
def lag_markers(record: Record) -> list[Marker]:
    """Faults, actions, failover completions and replica events, in time order."""
    found: list[Marker] = []
    acted: set[tuple[float, str]] = set()  # (time, target) of replica actions
    for event in record.events:
        if event.kind in FAULT_KINDS:
            found.append(Marker(event.time_s, event.kind, marker_label(event)))
            if event.kind == "action" and event.data.get("fault_kind") in REPLICA_ACTIONS:
                acted.add((event.time_s, str(event.data.get("target"))))
        elif event.kind == FAILOVER_COMPLETE:
            found.append(Marker(event.time_s, "failover-complete", "failover complete"))
    for event in record.events:
        # A promotion started by the action at the same instant would repeat its label.
        if event.kind in REPLICA_LABELS and (event.time_s, event.source) not in acted:
            label = REPLICA_LABELS[event.kind].format(event.source)
            found.append(Marker(event.time_s, event.kind, label))
    return sorted(found, key=lambda m: m.time_s)


def not_running(record: Record, name: str, times_s: FloatArray) -> BoolArray:
    """Where the replica exists but its replication threads do not run.

    On MySQL, MariaDB, Oracle and SQL Server this is exactly where ReplicaLag is -1.
    """
    running = np.isin(states_at(record, name, times_s), REPLICATING_STATES)
    return ~running & np.isfinite(data_lag_s(record, name, times_s))


def lag_times(record: Record, infos: Sequence[InstanceInfo]) -> FloatArray:
    """Sample times (record seconds): a grid with every breakpoint and state change in it, so
    each line bends where the lag does and each shade starts and ends on its state change."""
    times = sample_times(record, max(0.05, record.duration_s / MAX_POINTS))
    names = {i.name for i in infos}
    changes = [s.time_s for s in record.states if s.instance in names]
    return np.union1d(times, np.array(changes, dtype=np.float64))


def _title(record: Record) -> str:
    meta = record.meta
    variant = meta.get("variant")
    scenario = str(meta.get("scenario")) + ("" if variant in (None, "base") else f" [{variant}]")
    return f"{scenario} — replica lag — seed {meta.get('seed')}"


def replica_label(record: Record, info: InstanceInfo) -> str:
    """Legend text such as "rep-2 · us-west-2a (us-west-2)": the region only if it is not
    the primary's, and the source if it is another replica."""
    primaries = [i for i in record.instances if i.replica_of is None]
    home = primaries[0].region_name if primaries else info.region_name
    label = f"{info.name} · {info.az}"
    if info.region_name != home:
        label += f" ({info.region_name})"
    if info.replica_of not in (None, "primary"):
        label += f" · from {info.replica_of}"
    return label


def not_running_text(record: Record) -> str:
    """The legend text of the dashed, shaded stretches; -1 only where CloudWatch says it."""
    if str(record.meta.get("engine")) in MINUS_ONE_ENGINES:
        return "replication not running\n(CloudWatch ReplicaLag = -1)"
    return "replication not running"


# -- drawing (before the layout) ------------------------------------------------------------
def _make_axes(fig: Figure, rows: Sequence[float]) -> tuple[Axes, Axes, Axes]:
    grid = fig.add_gridspec(3, 1, height_ratios=rows)
    lag_ax = fig.add_subplot(grid[1])
    header = fig.add_subplot(grid[0], sharex=lag_ax)
    strip = fig.add_subplot(grid[2], sharex=lag_ax)
    header.set_ylim(0.0, rows[0] / LEVEL_IN)
    header.axis("off")
    lag_ax.tick_params(axis="x", labelbottom=False)
    for ax in (lag_ax, strip):
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines["top"].set_visible(False)
    lag_ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    return header, lag_ax, strip


def _draw_lags(
    ax: Axes, record: Record, infos: Sequence[InstanceInfo], t0: float
) -> tuple[list[Line2D], bool]:
    """One line per replica; dashed over a light shade where replication does not run.

    Returns the replicas' lines (for the legend) and whether any dashed stretch was drawn.
    """
    times = lag_times(record, infos)
    x = times - t0
    handles: list[Line2D] = []
    steady: list[float] = []
    peak, any_broken, any_cloudwatch = 0.0, False, False
    for i, info in enumerate(infos):
        colour, width, dashes = PALETTE[i % len(PALETTE)], *_line_style(i, len(infos))
        lag = data_lag_s(record, info.name, times)
        broken = not_running(record, info.name, times)
        # Each run of samples is closed with the sample where the next run starts (a state
        # change: in the grid), so the solid and dashed parts meet and a shade ends exactly
        # on the change.
        solid, dashed = _closed(~broken), _closed(broken)
        handles += ax.plot(
            x,
            np.where(solid, lag, np.nan),
            color=colour,
            linewidth=width,
            label=replica_label(record, info),
            gid=LAG_GID.format(info.name),
            zorder=3,
        )
        ax.plot(
            x,
            np.where(dashed, lag, np.nan),
            color=colour,
            linewidth=1.5,
            linestyle=dashes,
            alpha=0.8,
            gid=NOT_RUNNING_GID.format(info.name),
            zorder=3,
        )
        shade = ax.fill_between(
            x, 0.0, lag, where=dashed & np.isfinite(lag), color=colour, alpha=0.11, linewidth=0
        )
        shade.set_gid(SHADE_GID.format(info.name))
        any_broken |= bool(broken.any())
        peak = float(np.max(lag, initial=peak, where=np.isfinite(lag)))
        reported = _draw_cloudwatch(ax, record, info.name, times, t0, colour)
        if reported is not None:
            any_cloudwatch = True
            peak = float(np.max(reported, initial=peak, where=np.isfinite(reported)))
        running = lag[~broken & np.isfinite(lag)]
        if running.size and np.median(running) > 0:
            steady.append(float(np.median(running)))
    _scale_lag_axis(ax, peak, steady)
    ax.set_ylabel("replica lag (s)", fontsize=10)
    if any_cloudwatch:
        ax.plot([], [], color="#525252", linestyle=":", linewidth=1.2, gid=CLOUDWATCH_LEGEND_GID)
    return handles, any_broken


def _draw_cloudwatch(
    ax: Axes, record: Record, name: str, times: FloatArray, t0: float, colour: str
) -> FloatArray | None:
    """PostgreSQL's ReplicaLag as a dotted line where it differs from the data lag (an idle
    source: up to 5 minutes); None if it never does (or on engines whose metric is the data
    lag or -1)."""
    if str(record.meta.get("engine")) in MINUS_ONE_ENGINES:
        return None
    # Sampled on each side of every WAL switch, so its sawtooth drops where it does; over
    # a horizon with more switches than the plot has points (months), on the grid alone:
    # the teeth are narrower than a pixel there, and the cost stays bounded.
    t = times
    if record.duration_s / WAL_SWITCH_S <= MAX_POINTS // 4:
        switches = np.arange(0.0, record.duration_s, WAL_SWITCH_S)
        before = switches[switches > 0] - 1e-6 * max(1.0, record.duration_s)
        t = np.union1d(times, np.concatenate([switches, before]))
    reported = replica_lag_s(record, name, t)
    lag = data_lag_s(record, name, t)
    differs = np.isfinite(reported) & (np.abs(reported - np.nan_to_num(lag)) > CLOUDWATCH_DIFF_S)
    if not differs.any():
        return None
    # Each stretch closed by its neighbours, so the line starts and ends on the data lag.
    shown = differs | np.roll(differs, 1) | np.roll(differs, -1)
    ax.plot(
        t - t0,
        np.where(shown, reported, np.nan),
        color=colour,
        linestyle=":",
        linewidth=1.2,
        gid=CLOUDWATCH_GID.format(name),
        zorder=3,
    )
    return np.where(shown, reported, np.nan)


def _line_style(i: int, n: int) -> tuple[float, tuple[float, tuple[float, float]]]:
    """(solid width, dash pattern) of replica ``i`` of ``n``.

    Replicas often lag alike (a replica of a replica, several stranded by one failover) and
    their lines then coincide. Solid lines get thinner down the list, so each one drawn over
    an earlier one leaves it showing as a border; dashes interleave (replica i fills gap i),
    so coinciding dashed lines show every colour in turn. Three at most: beyond that the
    lines would be too fat or the dashes too sparse.
    """
    k = min(n, 3)
    rank = i % k
    width = 1.7 + 0.9 * (k - 1 - rank)
    dashes = (3.0 * rank, (3.0, 3.0 * (k - 1))) if k > 1 else (0.0, (4.0, 2.0))
    return width, dashes


def _closed(mask: BoolArray) -> BoolArray:
    """``mask`` with each run of True extended by the sample that follows it."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    return out


def _scale_lag_axis(ax: Axes, peak: float, steady: Sequence[float]) -> None:
    """Linear, unless the steady lag is a hundred times below the peak.

    A replica keeping up lags by milliseconds, a broken one by minutes: on a linear axis the
    steady lag is a flat line on zero and the reader cannot tell 2 ms from 200 ms. Then use
    symlog, linear below the smallest steady lag's decade (so zero stays on the axis) and
    logarithmic above, where each decade gets the same height. When the steady lag is zero,
    there is nothing to magnify and linear reads best.
    """
    top = peak if peak > 0 else 1.0
    if steady and top >= 100 * min(steady):
        linthresh = 10.0 ** np.floor(np.log10(min(steady)))
        ax.set_yscale("symlog", linthresh=linthresh, linscale=0.6)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylim(0.0, top * 5.0)  # headroom for a loss note: most of a decade
    else:
        ax.set_ylim(0.0, top * 1.2)


def _draw_write_rate(ax: Axes, record: Record, t0: float) -> Axes | None:
    """The offered write rate as a grey area on a right-hand axis, behind the lag lines."""
    times, rate = record.series(WRITE_RATE)
    if times.size == 0:
        return None
    if times[-1] < record.duration_s:  # the rate holds until the end of the run
        times, rate = np.append(times, record.duration_s), np.append(rate, rate[-1])
    twin = ax.twinx()
    area = twin.fill_between(
        times - t0, 0.0, rate, color="#e3e3e3", alpha=0.6, edgecolor="#b0b0b0", linewidth=0.8
    )
    area.set_gid(WRITE_RATE_GID)
    peak = float(rate.max())
    # The area fills the lower part only, so the lines and marker labels stay clear.
    twin.set_ylim(0.0, peak * 2.2 if peak > 0 else 1.0)
    twin.set_ylabel("write rate (writes/s)", fontsize=10, color="#737373")
    twin.tick_params(axis="y", colors="#737373", labelsize=8.5)
    twin.spines["top"].set_visible(False)
    twin.spines["right"].set_color("#bdbdbd")
    # Lines over the area: the lag axes in front, with a transparent background.
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    return twin


def _draw_states(
    ax: Axes, record: Record, infos: Sequence[InstanceInfo], t0: float
) -> dict[str, str]:
    """A bar per state interval, a row per replica; returns {state: legend text} drawn."""
    drawn: dict[str, str] = {}
    for row, info in enumerate(infos):
        for start, end, role, state in record.state_intervals(info.name):
            ax.broken_barh(
                [(start - t0, end - start)],
                (row - 0.36, 0.72),
                facecolors=state_colour(state),
                edgecolor="white",
                linewidth=0.4,
                zorder=2,
            )
            # A promoted replica is "available" as a standalone instance: say so.
            drawn[state] = state if role == "replica" else f"{state} ({role})"
    ax.set_yticks(range(len(infos)), [i.name for i in infos], fontsize=8.5)
    ax.set_ylim(len(infos) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    order = [s for s in REPLICA_STATE_COLOURS if s in drawn] + sorted(
        set(drawn) - set(REPLICA_STATE_COLOURS)
    )
    return {s: drawn[s] for s in order}


def state_colour(state: str) -> str:
    """The local fixed colour of a replica state; an unknown state gets a stable spare."""
    if state in REPLICA_STATE_COLOURS:
        return REPLICA_STATE_COLOURS[state]
    return UNKNOWN_STATE_COLOURS[sum(map(ord, state)) % len(UNKNOWN_STATE_COLOURS)]


def _add_legends(
    fig: Figure,
    lines: list[Line2D],
    broken_text: str | None,
    states: dict[str, str],
    rate: bool,
    cloudwatch: bool = False,
) -> None:
    """Replicas and line styles at the upper right of the figure, states at the lower."""
    handles: list[Any] = list(lines)
    labels = [str(line.get_label()) for line in lines]
    if broken_text is not None:
        # One entry for every replica's dashed stretches: the style, in a neutral grey.
        dash = Line2D([], [], color="#525252", linestyle=(0, (4, 2)), linewidth=1.5)
        handles.append((dash, Patch(facecolor="#525252", alpha=0.15)))
        labels.append(broken_text)
    if cloudwatch:
        handles.append(Line2D([], [], color="#525252", linestyle=":", linewidth=1.2))
        labels.append("CloudWatch ReplicaLag, where it differs")
    if rate:
        handles.append(Patch(facecolor="#e3e3e3", edgecolor="#b0b0b0"))
        labels.append("write rate (right axis)")
    _legend(fig, handles, labels, "outside right upper", "replica (data lag)")
    patches = [Patch(facecolor=state_colour(s)) for s in states]
    _legend(fig, patches, list(states.values()), "outside right lower", "replica state")


def _legend(
    fig: Figure,
    handles: Sequence[Any],
    labels: Sequence[str],
    loc: Literal["outside right upper", "outside right lower"],
    title: str,
) -> None:
    # Any: a tuple of artists is a valid handle (drawn on top of each other), the stubs
    # only know single artists.
    fig.legend(
        handles,
        labels,
        loc=loc,
        title=title,
        fontsize=8.5,
        title_fontsize=9,
        frameon=False,
        alignment="left",
    )
