"""What the application sees, drawn from a Record alone: the client groups' requests, their
latency and the DB connections they (or RDS Proxy) hold and open.

Three figures, each on one time axis (seconds from the first fault or action, as in the
timeline), with faults, actions and the failover's start (RDS-EVENT-0013) and completion
(RDS-EVENT-0049) marked across every panel:

* :func:`plot_clients`: the share of requests that succeeded or failed, by error kind, and
  the p50 and p99 latency, per bin of arrival time;
* :func:`plot_connections`: DB connections open on each instance (with ``max_connections``)
  and DB connections opened per second;
* :func:`plot_client_comparison`: the four panels side by side, one column per variant
  (direct | proxy), each row on one y scale so that heights compare across columns.

The binning is :mod:`rdssim.plot.client_series`; the panels, :mod:`rdssim.plot.client_panels`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rdssim.client_metrics import connection_opens, failed_share, summarize_clients
from rdssim.plot.client_panels import (
    Legend,
    corner_note,
    draw_connections,
    draw_latency,
    draw_markers,
    draw_opens,
    draw_outcomes,
    latency_text,
    outcome_labels,
    scale_connections,
    scale_latency,
    scale_opens,
    share_text,
    style_axes,
)
from rdssim.plot.client_series import (
    ClientView,
    FloatArray,
    bin_edges,
    bin_width_s,
    client_view,
    outcome_bins,
)
from rdssim.plot.figure import save_png, target_figure
from rdssim.plot.reading import origin
from rdssim.plot.style import legend_right
from rdssim.plot.time_ticks import is_long, label_times, spans_long, whole_unit_text
from rdssim.plot.windows import Window, client_close_up, first_incident_close_up
from rdssim.record import Record

WIDTH_IN = 12.0
COLUMN_IN = 4.6  # width of one column of the comparison
ROW_LABELS = ("requests", "latency", "DB connections", "opened / s")
CLOSE_UP_BINS = 240  # at most, in a close-up (finer than the whole run's)


def client_windows(records: Sequence[Record]) -> list[Window]:
    """The columns of the client plots of one or more runs drawn alike: the whole run and,
    when the incident is short beside it, a close-up of it (:func:`client_close_up`; of a
    long run, its first incident: :func:`first_incident_close_up`)."""
    duration = max(r.duration_s for r in records)
    if is_long(records):  # bins of hours: the close-up is read off the flows
        close = first_incident_close_up(records)
    else:
        failed = []
        for record in records:
            bins = outcome_bins(record.flows, bin_edges(record.duration_s))
            failed.append((bins.edges, bins.failed()))
        close = client_close_up(records, failed)
    whole = Window(0.0, duration, "whole run")
    return [whole] if close is None else [whole, close]


def window_edges(win: Window) -> FloatArray:
    """Bins over ``win`` only, on round multiples of a width for at most
    :data:`CLOSE_UP_BINS` of them (a close-up gets finer bins than the whole run)."""
    width = bin_width_s(win.end_s - win.start_s, CLOSE_UP_BINS)
    first = math.floor(win.start_s / width) * width
    count = max(1, math.ceil((win.end_s - first) / width - 1e-9))
    return np.minimum(first + np.arange(count + 1, dtype=np.float64) * width, win.end_s)


@dataclass(frozen=True)
class _Column:
    """One column of a client figure: its time range, the data binned for it, its axes."""

    window: Window
    view: ClientView
    axes: list[Axes]


def _columns(
    fig: Figure, record: Record, wins: Sequence[Window], heights: Sequence[float]
) -> list[_Column]:
    """A column per window (the whole run first, then the close-up, wider); x shared
    within a column, y across columns."""
    whole = client_view(record)
    widths = [1.0] + [1.8] * (len(wins) - 1)
    grid = fig.add_gridspec(len(heights), len(wins), height_ratios=heights, width_ratios=widths)
    columns: list[_Column] = []
    for col, win in enumerate(wins):
        view = whole if col == 0 else client_view(record, window_edges(win))
        axes: list[Axes] = []
        for row in range(len(heights)):
            ax = fig.add_subplot(
                grid[row, col],
                sharex=axes[0] if axes else None,
                sharey=columns[0].axes[row] if columns else None,
            )
            style_axes(ax)
            ax.tick_params(axis="x", labelbottom=row == len(heights) - 1)
            ax.tick_params(axis="y", labelleft=col == 0)
            axes.append(ax)
        columns.append(_Column(win, view, axes))
    label_times([c.axes[0] for c in columns], _spans_long(wins))
    return columns


def _frame(columns: Sequence[_Column], record: Record, t0: float, marks: Legend) -> None:
    """Each column's time range and the marker lines; the close-up's range outlined in the
    whole run's panels."""
    for column in columns:
        column.axes[0].set_xlim(column.window.start_s - t0, column.window.end_s - t0)
        draw_markers(column.axes, record, t0, marks)
    if len(columns) == 2:
        close = columns[1].window
        for ax in columns[0].axes:
            ax.axvspan(
                close.start_s - t0,
                close.end_s - t0,
                facecolor="none",
                edgecolor="#525252",
                linestyle=":",
                linewidth=1.0,
                zorder=6,
            )


def plot_clients(
    record: Record,
    path: Path | None = None,
    *,
    fig: Figure | None = None,
    wins: Sequence[Window] | None = None,
) -> Figure:
    """Requests by outcome and latency percentiles over time, over the whole run and, when
    the incident is short beside it, in a close-up of it with finer bins; if ``path`` is
    given, also save the figure there as a PNG. ``fig``: an empty Figure to draw on (resized
    to fit) instead of a new one; ``wins``: the columns (:func:`client_windows` of the
    record if None; of several runs, to draw them alike). Raises ValueError if the record
    has no client groups.

    Reads only the Record. No pyplot: the Figure has its own Agg canvas. The legend counts
    and the failed share are the whole run's.
    """
    _check_clients(record)
    chosen = list(wins) if wins is not None else client_windows([record])
    t0, xlabel = origin(record, long=_spans_long(chosen))
    fig = target_figure(fig, figsize=(WIDTH_IN, 6.6))
    columns = _columns(fig, record, chosen, [1.0, 1.3])
    outcomes, quantiles, marks = Legend(), Legend(), Legend()
    for col, column in enumerate(columns):
        strip, latency = column.axes
        draw_outcomes(strip, column.view, t0, outcomes if col == 0 else Legend())
        draw_latency(latency, column.view, t0, quantiles)
    failed = share_text(failed_share(record.flows) or 0.0)  # the summary's client_failed_share
    scale_latency([c.axes[1] for c in columns], [c.view for c in columns])
    _frame(columns, record, t0, marks)
    whole, last = columns[0], columns[-1]
    width = _bin_text(last.view)
    latency_text = "successes (solid), time to error (dashed)"
    if len(columns) == 1:
        _panel_title(
            last.axes[0],
            f"requests by outcome, by arrival time ({width} bins): {failed} failed",
            _groups_text(record),
        )
        _panel_title(
            last.axes[1], f"latency of the requests arriving in each {width} bin: {latency_text}"
        )
    else:
        _panel_title(whole.axes[0], f"whole run: {failed} failed")
        _panel_title(whole.axes[1], f"latency ({_bin_text(whole.view)} bins)")
        _panel_title(last.axes[0], f"{last.window.title} ({width} bins)", _groups_text(record))
        _panel_title(last.axes[1], f"latency by arrival time: {latency_text}")
    whole.axes[0].set_ylabel("share of requests", fontsize=9.5)
    whole.axes[1].set_ylabel("latency", fontsize=9.5)
    for column in columns:
        column.axes[-1].set_xlabel(xlabel, fontsize=9.5)
    totals = whole.view.outcomes.totals()
    _legend(last.axes[0], outcomes, "request outcome", outcome_labels(outcomes, totals))
    _legend(last.axes[1], quantiles, "latency")
    _marker_legend(fig, marks)
    fig.suptitle(_title(record, "what the application sees"), fontsize=13, fontweight="bold")
    return _save(fig, path)


def plot_connections(
    record: Record,
    path: Path | None = None,
    *,
    fig: Figure | None = None,
    wins: Sequence[Window] | None = None,
) -> Figure:
    """DB connections open per instance (and held to RDS Proxy) and DB connections opened
    per second, over the whole run and, when the incident is short beside it, in a close-up
    of it; if ``path`` is given, also save the figure there as a PNG. ``fig`` and ``wins``:
    as :func:`plot_clients`. Raises ValueError if the record has no client groups."""
    _check_clients(record)
    chosen = list(wins) if wins is not None else client_windows([record])
    t0, xlabel = origin(record, long=_spans_long(chosen))
    fig = target_figure(fig, figsize=(WIDTH_IN, 6.2))
    columns = _columns(fig, record, chosen, [1.3, 1.0])
    lines, rates, marks = Legend(), Legend(), Legend()
    for col, column in enumerate(columns):
        held, opened = column.axes
        peak = column.view.connections_peak
        draw_connections(held, record, column.view, t0, lines if col == 0 else Legend(), peak=peak)
        draw_opens(opened, column.view, t0, rates)
    total = round(connection_opens(record))  # the summary's connection_opens
    scale_connections([c.axes[0] for c in columns], [c.view for c in columns])
    scale_opens([c.axes[1] for c in columns], [c.view for c in columns])
    _frame(columns, record, t0, marks)
    whole, last = columns[0], columns[-1]
    opened_text = f"DB connections opened per second ({_bin_text(last.view)} bins)"
    if len(columns) == 1:
        _panel_title(last.axes[0], "connections open", _groups_text(record))
        _panel_title(last.axes[1], f"{opened_text}: {total:,.0f} in all")
    else:
        _panel_title(whole.axes[0], "whole run: connections open")
        _panel_title(whole.axes[1], f"{total:,.0f} opened in all")
        _panel_title(last.axes[0], last.window.title, _groups_text(record))
        _panel_title(last.axes[1], opened_text)
    whole.axes[0].set_ylabel("connections", fontsize=9.5)
    whole.axes[1].set_ylabel("opened / s", fontsize=9.5)
    for column in columns:
        column.axes[-1].set_xlabel(xlabel, fontsize=9.5)
    _legend(last.axes[0], lines, "connections")
    _legend(last.axes[1], rates, "DB connections opened")
    _marker_legend(fig, marks)
    fig.suptitle(_title(record, "connections"), fontsize=13, fontweight="bold")
    return _save(fig, path)


def plot_client_comparison(
    records: Mapping[str, Record], path: Path | None = None, *, fig: Figure | None = None
) -> Figure:
    """Variants side by side, one column each (titled with the variant's name), four rows:
    requests by outcome, latency p50/p99 (successes; time to error), DB connections,
    connections opened per second.
    Each row has one y scale across the columns. Variants without client groups are left
    out; raises ValueError if none has any. If ``path`` is given, also save it as a PNG;
    ``fig``: an empty Figure to draw on instead of a new one."""
    chosen = {name: r for name, r in records.items() if r.flows}
    if not chosen:
        raise ValueError("no variant has client groups")
    wins = client_windows(list(chosen.values()))
    win = wins[-1]  # the close-up when there is one: the whole run is in each clients.png
    if win.close_up:
        views = {n: client_view(r, window_edges(win)) for n, r in chosen.items()}
    else:
        whole_width = bin_width_s(max(r.duration_s for r in chosen.values()))
        views = {n: client_view(r, bin_edges(r.duration_s, whole_width)) for n, r in chosen.items()}
    width = float(next(iter(views.values())).widths_s[0])
    fig = target_figure(fig, figsize=(3.2 + COLUMN_IN * len(chosen), 10.5))
    columns = _grid(fig, len(chosen))
    label_times([axes[0] for axes in columns], _spans_long([win]))
    legends = [Legend() for _ in ROW_LABELS]
    marks = Legend()
    peak = max(v.connections_peak for v in views.values())
    for (name, record), axes in zip(chosen.items(), columns, strict=True):
        view = views[name]
        t0, xlabel = origin(record, long=_spans_long([win]))
        strip, latency, held, opened = axes
        draw_outcomes(strip, view, t0, legends[0])
        draw_latency(latency, view, t0, legends[1])
        draw_connections(held, record, view, t0, legends[2], peak=peak)
        draw_opens(opened, view, t0, legends[3])
        draw_markers(axes, record, t0, marks)
        # The run's summary numbers (client_failed_share, latency_ok_p99_ms,
        # db_connections_max, connection_opens), not the bins' in view.
        summary = summarize_clients(record)
        assert summary is not None  # the runs chosen have client groups
        corner_note(strip, f"{share_text(summary.client_failed_share or 0.0)} failed")
        p99_ms = summary.latency_ok_p99_ms
        served = "none succeeded" if p99_ms is None else latency_text(p99_ms / 1000.0)
        corner_note(latency, f"p99 of successes {served}")
        most = summary.db_connections_max or 0.0
        corner_note(held, f"at most {most:,.0f} on a DB instance")
        corner_note(opened, f"{summary.connection_opens:,} opened")
        strip.set_title(name, fontsize=12, fontweight="bold")
        strip.set_xlim(win.start_s - t0, win.end_s - t0)
        opened.set_xlabel(xlabel, fontsize=9)
    scale_latency([c[1] for c in columns], list(views.values()))
    scale_connections([c[2] for c in columns], list(views.values()))
    scale_opens([c[3] for c in columns], list(views.values()))
    for label, ax in zip(ROW_LABELS, columns[0], strict=True):
        ax.set_ylabel(label, fontsize=10)
    titles = ("request outcome", "latency", "connections", "DB connections opened")
    for ax, legend, title in zip(columns[-1], legends, titles, strict=True):
        _legend(ax, legend, title)
    _marker_legend(fig, marks)
    first = next(iter(chosen.values()))
    heading = " vs ".join(chosen)
    fig.suptitle(
        f"{first.meta.get('scenario')} — {heading} — seed {first.meta.get('seed')}\n"
        f"what the application sees{' in a close-up of the incident' if win.close_up else ''} "
        f"({whole_unit_text(width)} bins; each row on one scale; the notes count the whole run)",
        fontsize=12.5,
        fontweight="bold",
    )
    return _save(fig, path)


# -- parts ------------------------------------------------------------------------------------
def _check_clients(record: Record) -> None:
    if not record.flows:
        raise ValueError("no client groups in this record")


def _grid(fig: Figure, count: int) -> list[list[Axes]]:
    """Four rows per column; x shared within a column, y within a row."""
    grid = fig.add_gridspec(len(ROW_LABELS), count, height_ratios=[0.8, 1.0, 1.0, 0.8])
    columns: list[list[Axes]] = []
    for col in range(count):
        axes: list[Axes] = []
        for row in range(len(ROW_LABELS)):
            ax = fig.add_subplot(
                grid[row, col],
                sharex=axes[0] if axes else None,
                sharey=columns[0][row] if columns else None,
            )
            style_axes(ax)
            ax.tick_params(axis="x", labelbottom=row == len(ROW_LABELS) - 1)
            ax.tick_params(axis="y", labelleft=col == 0)
            axes.append(ax)
        columns.append(axes)
    return columns


def _panel_title(ax: Axes, left: str, right: str | None = None) -> None:
    """What a panel shows (left) and, if given, which groups it covers (right)."""
    ax.set_title(left, loc="left", fontsize=9.5, color="#404040")
    if right is not None:
        ax.set_title(right, loc="right", fontsize=9, color="#737373")


def _legend(ax: Axes, legend: Legend, title: str, labels: Sequence[str] | None = None) -> None:
    """At the right of ``ax``, top-aligned."""
    if not legend.handles:
        return
    legend_right(ax, legend.handles, title, labels if labels is not None else legend.labels)


def _marker_legend(fig: Figure, marks: Legend) -> None:
    """The marker lines, in one row under the figure."""
    if marks.handles:
        fig.legend(
            marks.handles,
            marks.labels,
            loc="outside lower center",
            ncols=min(len(marks.handles), 4),
            fontsize=8.5,
            frameon=False,
        )


def _title(record: Record, what: str) -> str:
    meta = record.meta
    variant = meta.get("variant")
    scenario = str(meta.get("scenario")) + ("" if variant in (None, "base") else f" [{variant}]")
    return f"{scenario} — {what} — seed {meta.get('seed')}"


def _groups_text(record: Record) -> str:
    """The groups and their way to the DB: client groups: app · through RDS Proxy."""
    groups = ", ".join(dict.fromkeys(f.group for f in record.flows))
    path = "through RDS Proxy" if record.meta.get("proxy") else "direct to the DB"
    return f"client groups: {groups} · {path}"


def _spans_long(wins: Sequence[Window]) -> bool:
    return spans_long(w.end_s - w.start_s for w in wins)


def _bin_text(view: ClientView) -> str:
    return whole_unit_text(float(view.widths_s[0]))


def _save(fig: Figure, path: Path | None) -> Figure:
    return save_png(fig, path)
