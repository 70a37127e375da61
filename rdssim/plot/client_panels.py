"""The panels of the client plots, each drawn on an Axes from a :class:`ClientView`.

Every panel takes ``t0`` (the record time drawn as 0) and returns what its legend lists, so
the figures (:mod:`rdssim.plot.clients`) can put the legends where they fit and one legend
can cover several columns. Nothing here makes a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator, PercentFormatter

from rdssim.plot.artists import stairs
from rdssim.plot.client_series import QUANTILES, ClientView, FloatArray, ordered_outcomes
from rdssim.plot.reading import markers
from rdssim.plot.style import (
    FAILOVER_EVENT_STYLES,
    MARKER_STYLES,
    REQUEST_COLOURS,
    UNKNOWN_REQUEST_COLOURS,
)
from rdssim.record import Record

QUANTILE_STYLES = {0.50: ("p50", "#0072b2", 1.3), 0.99: ("p99", "#e69f00", 2.8)}
ERROR_COLOURS = {0.50: "#7f7f7f", 0.99: "#b2182b"}  # time to error: grey p50, red p99
INSTANCE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
PROXY_CLIENTS_COLOUR = "#737373"
STEADY_OPENS_COLOUR = "#9ecae1"
BURST_OPENS_COLOUR = "#08519c"
LIMIT_COLOUR = "#a50f15"
MIN_LATENCY_S = 1e-4  # the latency axis' floor: an instant error (0 s) is drawn here
LIMIT_SHOWN_BELOW = 3.0  # max_connections drawn if at most this many times the peak

# Artist ids, so that tests (and anyone else) can find what was drawn.
OUTCOME_GID = "outcome:{}"
LATENCY_GID = "latency:{}"
CONNECTIONS_GID = "db-connections:{}"
PROXY_CLIENTS_GID = "proxy-clients"
LIMIT_GID = "max-connections"
OPENS_GID = "opens:{}"


@dataclass
class Legend:
    """Legend entries gathered over one row of panels, in order, each label once."""

    handles: list[Artist] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, handle: Artist, label: str) -> None:
        if label not in self.labels:
            self.handles.append(handle)
            self.labels.append(label)


def request_colour(kind: str) -> str:
    """The fixed colour of an outcome; an unknown one gets a stable spare."""
    if kind in REQUEST_COLOURS:
        return REQUEST_COLOURS[kind]
    return UNKNOWN_REQUEST_COLOURS[sum(map(ord, kind)) % len(UNKNOWN_REQUEST_COLOURS)]


def style_axes(ax: Axes) -> None:
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    ax.grid(axis="y", color="#f0f0f0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8.5)


def corner_note(ax: Axes, text: str) -> None:
    """A short figure in the panel's upper right corner (readable over any data)."""
    ax.text(
        0.995,
        0.96,
        text,
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        color="#252525",
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85, "lw": 0},
        zorder=6,
    )


# -- markers ------------------------------------------------------------------------------------
def draw_markers(axes: Iterable[Axes], record: Record, t0: float, legend: Legend) -> None:
    """Faults and actions (the timeline's styles) and failover start and completion."""
    found: list[tuple[float, str, str, str]] = [
        (m.time_s, m.label, *MARKER_STYLES[m.kind]) for m in markers(record)
    ]
    for event in record.events:
        if event.kind in FAILOVER_EVENT_STYLES:
            label, colour, style = FAILOVER_EVENT_STYLES[event.kind]
            if event.rds_event is not None:
                label += f" ({event.rds_event[-4:]})"
            found.append((event.time_s, label, colour, style))
    axes = list(axes)
    if not axes:
        return
    for time_s, label, colour, style in found:
        for ax in axes:
            line = ax.axvline(time_s - t0, color=colour, linestyle=style, linewidth=1.0, zorder=4)
        legend.add(line, label)


# -- requests by outcome ------------------------------------------------------------------------
def draw_outcomes(ax: Axes, view: ClientView, t0: float, legend: Legend) -> None:
    """The share of each bin's requests by outcome, stacked: success at the bottom, then
    each error kind."""
    shares = view.outcomes.shares()
    totals = view.outcomes.totals()
    x = view.edges - t0
    bottom = np.zeros(x.size - 1)
    for kind in ordered_outcomes(shares, list(REQUEST_COLOURS)):
        if totals[kind] <= 0:
            continue
        share = np.nan_to_num(shares[kind])
        colour = request_colour(kind)
        stairs(
            ax,
            bottom + share,
            x,
            baseline=bottom.copy(),
            fill=True,
            color=colour,
            linewidth=0,
            gid=OUTCOME_GID.format(kind),
        )
        bottom += share
        legend.add(Patch(facecolor=colour), kind)
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_yticks([0.0, 0.5, 1.0])


def share_text(share: float) -> str:
    """0%, <0.01%, 6.80%: a share that is not zero never reads as zero."""
    if share <= 0:
        return "0%"
    return "<0.01%" if share < 1e-4 else f"{share:.2%}"


def outcome_labels(legend: Legend, totals: dict[str, float]) -> list[str]:
    """Legend texts with the requests of each outcome: "refused (20,735)"."""
    return [f"{kind} ({totals.get(kind, 0.0):,.0f})" for kind in legend.labels]


# -- latency ------------------------------------------------------------------------------------
def draw_latency(ax: Axes, view: ClientView, t0: float, legend: Legend) -> None:
    """p50 and p99 of the latency of each bin's successful requests (solid), and of the time
    to error of its failed ones (dashed), on a log axis in ms. The p99 is drawn first and
    wider, so that where the two are equal (a constant latency) it borders the p50 instead
    of hiding it."""
    x = view.edges - t0
    lines: tuple[tuple[str, FloatArray, Literal["--", "-"]], ...] = (
        ("errors", view.error_latency_s, "--"),
        ("successes", view.ok_latency_s, "-"),
    )
    for kind, values_s, style in lines:
        for row, q in reversed(list(enumerate(QUANTILES))):
            label, colour, width = QUANTILE_STYLES[q]
            if kind == "errors":
                colour = ERROR_COLOURS[q]
            values = np.maximum(values_s[row], MIN_LATENCY_S) * 1000.0
            stairs(
                ax,
                values,
                x,
                baseline=None,
                color=colour,
                linewidth=width,
                linestyle=style,
                gid=LATENCY_GID.format(f"{kind} {label}"),
            )
        for q in QUANTILES:
            label, colour, width = QUANTILE_STYLES[q]
            if kind == "errors":
                colour = ERROR_COLOURS[q]
            if np.isfinite(values_s[QUANTILES.index(q)]).any():
                handle = Line2D([], [], color=colour, linewidth=width, linestyle=style)
                legend.add(
                    handle, f"{label} {'time to error' if kind == 'errors' else 'of successes'}"
                )
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10.0))
    # No minor ticks: a log axis' eight per decade, across shared panels, were a third of the
    # figure's layout time; the decades alone read well.
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: latency_text(v / 1000.0)))


def latency_text(seconds: float) -> str:
    """0.1 ms, 20 ms, 1 s, 30.6 s."""
    if seconds >= 1.0:
        return f"{seconds:.3g} s"
    return f"{seconds * 1000:.3g} ms"


def scale_latency(axes: Sequence[Axes], views: Sequence[ClientView]) -> None:
    """One y range for every latency panel: a decade around what was drawn."""
    values = np.concatenate(
        [np.concatenate((v.ok_latency_s.ravel(), v.error_latency_s.ravel())) for v in views]
    )
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    lo = max(float(values.min()), MIN_LATENCY_S) * 1000.0
    hi = max(float(values.max()) * 1000.0, lo * 10)
    # Room below the lowest step (an axis' edge would hide it) and above the highest.
    bottom = 10 ** np.floor(np.log10(lo) - 0.2)
    top = 10 ** (np.ceil(np.log10(hi) + 0.05) + 0.1)
    for ax in axes:
        ax.set_ylim(bottom, top)


# -- connections --------------------------------------------------------------------------------
def limit_shown(view: ClientView, peak: float) -> bool:
    """Whether max_connections is drawn as a line: known, and within
    :data:`LIMIT_SHOWN_BELOW` times ``peak`` (a limit far above would squash the lines)."""
    limit = view.max_connections
    return limit is not None and limit <= LIMIT_SHOWN_BELOW * max(peak, 1.0)


def draw_connections(
    ax: Axes, record: Record, view: ClientView, t0: float, legend: Legend, *, peak: float
) -> None:
    """DB connections per instance (and client connections held to RDS Proxy) over time,
    with max_connections as a dashed line; when that is too far above ``peak`` (the highest
    line of every panel sharing this y axis), the legend gives its value instead."""
    names = [info.name for info in record.instances]
    for name, (times, values) in view.connections.items():
        colour = INSTANCE_COLOURS[names.index(name) % len(INSTANCE_COLOURS)]
        (line,) = ax.plot(
            times - t0, values, color=colour, linewidth=1.6, gid=CONNECTIONS_GID.format(name)
        )
        legend.add(line, f"DB connections on {name}")
    if view.proxy_clients is not None:
        times, values = view.proxy_clients
        (line,) = ax.plot(
            times - t0,
            values,
            color=PROXY_CLIENTS_COLOUR,
            linestyle=(0, (4, 2)),
            linewidth=1.2,
            gid=PROXY_CLIENTS_GID,
        )
        legend.add(line, "client connections to RDS Proxy")
    limit = view.max_connections
    if limit is None:
        return
    if limit_shown(view, peak):
        # Over the lines: a pool held at the limit shows both colours, dash by dash.
        line = ax.axhline(
            limit, color=LIMIT_COLOUR, linestyle="--", linewidth=1.1, gid=LIMIT_GID, zorder=3
        )
        legend.add(line, f"max_connections {limit:,}")
    else:
        line = Line2D([], [], color=LIMIT_COLOUR, linestyle="--", linewidth=1.0)
        legend.add(line, f"max_connections {limit:,} (above the scale)")


def scale_connections(axes: Sequence[Axes], views: Sequence[ClientView]) -> None:
    """One y range for the connection panels: the highest line and any limit drawn, with
    room above for the corner notes."""
    peak = max(v.connections_peak for v in views)
    top = max([peak, *(float(v.max_connections or 0) for v in views if limit_shown(v, peak))])
    for ax in axes:
        ax.set_ylim(0.0, max(top, 1.0) * 1.22)


def draw_opens(ax: Axes, view: ClientView, t0: float, legend: Legend) -> None:
    """DB connections opened per second of each bin: per-request opens, bursts stacked on
    them, each burst's bin also marked by a dot (a bin can be narrower than a pixel)."""
    steady, bursts = view.open_rate
    x = view.edges - t0
    if steady.any():
        stairs(
            ax,
            steady,
            x,
            fill=True,
            color=STEADY_OPENS_COLOUR,
            linewidth=0,
            gid=OPENS_GID.format("steady"),
        )
        legend.add(Patch(facecolor=STEADY_OPENS_COLOUR), "opened per request")
    if bursts.any():
        stairs(
            ax,
            steady + bursts,
            x,
            baseline=steady,
            fill=True,
            color=BURST_OPENS_COLOUR,
            linewidth=0,
            gid=OPENS_GID.format("bursts"),
        )
        some = bursts > 0
        middle = 0.5 * (x[:-1] + x[1:])
        ax.plot(
            middle[some],
            (steady + bursts)[some],
            linestyle="none",
            marker="o",
            markersize=3.0,
            color=BURST_OPENS_COLOUR,
            gid=OPENS_GID.format("burst-dots"),
        )
        dot = Line2D([], [], color=BURST_OPENS_COLOUR, marker="o", markersize=3.0, linestyle="none")
        legend.add(dot, "opened at one instant (bursts)")


def scale_opens(axes: Sequence[Axes], views: Sequence[ClientView]) -> None:
    """One y range for the open-rate panels, with room above for the corner notes."""
    top = max(float(np.max(v.open_rate[0] + v.open_rate[1], initial=0.0)) for v in views)
    for ax in axes:
        ax.set_ylim(0.0, max(top, 1.0) * 1.22)
