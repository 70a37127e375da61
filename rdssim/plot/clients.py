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

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

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
from rdssim.plot.client_series import ClientView, bin_edges, bin_width_s, client_view
from rdssim.plot.figure import target_figure
from rdssim.plot.reading import origin
from rdssim.plot.style import legend_right
from rdssim.record import Record

DPI = 140
WIDTH_IN = 12.0
COLUMN_IN = 4.6  # width of one column of the comparison
ROW_LABELS = ("requests", "latency", "DB connections", "opened / s")


def plot_clients(record: Record, path: Path | None = None, *, fig: Figure | None = None) -> Figure:
    """Requests by outcome and latency percentiles over time; if ``path`` is given, also
    save the figure there as a PNG; ``fig``: an empty Figure to draw on (resized to fit)
    instead of a new one. Raises ValueError if the record has no client groups.

    Reads only the Record. No pyplot: the Figure has its own Agg canvas.
    """
    view = _view(record)
    t0, xlabel = origin(record)
    fig = target_figure(fig, figsize=(WIDTH_IN, 6.6))
    grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.3])
    strip = fig.add_subplot(grid[0])
    latency = fig.add_subplot(grid[1], sharex=strip)
    outcomes, quantiles, marks = Legend(), Legend(), Legend()
    failed = draw_outcomes(strip, view, t0, outcomes)
    draw_latency(latency, view, t0, quantiles)
    scale_latency([latency], [view])
    draw_markers([strip, latency], record, t0, marks)
    for ax in (strip, latency):
        style_axes(ax)
    strip.set_xlim(-t0, record.duration_s - t0)
    strip.tick_params(axis="x", labelbottom=False)
    width = _bin_text(view)
    _panel_title(
        strip,
        f"requests by outcome, by arrival time ({width} bins): {share_text(failed)} failed",
        _groups_text(record),
    )
    _panel_title(
        latency,
        f"latency of the requests arriving in each {width} bin: successes (solid), "
        "time to error (dashed)",
    )
    strip.set_ylabel("share of requests", fontsize=9.5)
    latency.set_ylabel("latency", fontsize=9.5)
    latency.set_xlabel(xlabel, fontsize=10)
    _legend(strip, outcomes, "request outcome", outcome_labels(outcomes, view.outcomes.totals()))
    _legend(latency, quantiles, "latency")
    _marker_legend(fig, marks)
    fig.suptitle(_title(record, "what the application sees"), fontsize=13, fontweight="bold")
    return _save(fig, path)


def plot_connections(
    record: Record, path: Path | None = None, *, fig: Figure | None = None
) -> Figure:
    """DB connections open per instance (and held to RDS Proxy) and DB connections opened
    per second; if ``path`` is given, also save the figure there as a PNG; ``fig``: an
    empty Figure to draw on instead of a new one. Raises ValueError if the record has no
    client groups."""
    view = _view(record)
    t0, xlabel = origin(record)
    fig = target_figure(fig, figsize=(WIDTH_IN, 6.2))
    grid = fig.add_gridspec(2, 1, height_ratios=[1.3, 1.0])
    held = fig.add_subplot(grid[0])
    opened = fig.add_subplot(grid[1], sharex=held)
    lines, rates, marks = Legend(), Legend(), Legend()
    draw_connections(held, record, view, t0, lines, peak=view.connections_peak)
    total = draw_opens(opened, view, t0, rates)
    scale_connections([held], [view])
    scale_opens([opened], [view])
    draw_markers([held, opened], record, t0, marks)
    for ax in (held, opened):
        style_axes(ax)
    held.set_xlim(-t0, record.duration_s - t0)
    held.tick_params(axis="x", labelbottom=False)
    _panel_title(held, "connections open", _groups_text(record))
    _panel_title(
        opened, f"DB connections opened per second ({_bin_text(view)} bins): {total:,.0f} in all"
    )
    held.set_ylabel("connections", fontsize=9.5)
    opened.set_ylabel("opened / s", fontsize=9.5)
    opened.set_xlabel(xlabel, fontsize=10)
    _legend(held, lines, "connections")
    _legend(opened, rates, "DB connections opened")
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
    width = bin_width_s(max(r.duration_s for r in chosen.values()))
    views = {n: client_view(r, bin_edges(r.duration_s, width)) for n, r in chosen.items()}
    fig = target_figure(fig, figsize=(3.2 + COLUMN_IN * len(chosen), 10.5))
    columns = _grid(fig, len(chosen))
    legends = [Legend() for _ in ROW_LABELS]
    marks = Legend()
    peak = max(v.connections_peak for v in views.values())
    for (name, record), axes in zip(chosen.items(), columns, strict=True):
        view = views[name]
        t0, xlabel = origin(record)
        strip, latency, held, opened = axes
        failed = draw_outcomes(strip, view, t0, legends[0])
        p99 = draw_latency(latency, view, t0, legends[1])
        draw_connections(held, record, view, t0, legends[2], peak=peak)
        total = draw_opens(opened, view, t0, legends[3])
        draw_markers(axes, record, t0, marks)
        corner_note(strip, f"{share_text(failed)} failed")
        corner_note(latency, f"highest p99 of successes {latency_text(p99)}")
        most = max((float(v.max()) for _, v in view.connections.values()), default=0.0)
        corner_note(held, f"at most {most:,.0f} on a DB instance")
        corner_note(opened, f"{total:,.0f} opened")
        strip.set_title(name, fontsize=12, fontweight="bold")
        strip.set_xlim(-t0, record.duration_s - t0)
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
        f"what the application sees ({width:g} s bins; each row on one scale)",
        fontsize=12.5,
        fontweight="bold",
    )
    return _save(fig, path)


# -- parts ------------------------------------------------------------------------------------
def _view(record: Record) -> ClientView:
    if not record.flows:
        raise ValueError("no client groups in this record")
    return client_view(record)


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


def _bin_text(view: ClientView) -> str:
    return f"{float(view.widths_s[0]):g} s"


def _save(fig: Figure, path: Path | None) -> Figure:
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig
