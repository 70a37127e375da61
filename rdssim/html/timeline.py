"""The HTML report's interactive timeline: a plotly figure drawn from Records alone.

One column per variant (side by side, their time axes linked: zooming one zooms all). Rows,
top to bottom, in each column:

* faults & actions: a marker per fault or action event (and RDS's refusals), as the PNG
  timeline's marker lines, which are drawn down through the lanes too;
* events: a marker per other event of the summary's event log (RDS events and the logged
  kinds); events at the same instant share one marker and one tooltip;
* failover phases: detection, promotion and dns of each failover, and in-place recoveries,
  as bars (tinted behind the lanes as well);
* one lane per instance, coloured by state (its role and state in the tooltip);
* the probe client: its runs of attempts with the same outcome.

Times are seconds from the run's first fault or action (rdssim.timebase; the PNG's axis);
tooltips also give the run's own seconds. What is drawn comes from rdssim.plot.reading and
rdssim.plot.windows, as the PNG timeline's does, with its colours (rdssim.plot.style).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from rdssim.metrics import LOGGED_KINDS, failovers
from rdssim.plot.reading import (
    duration_text,
    headline_spans,
    origin,
    outcome_runs,
    phase_bounds,
    probe_attempts,
)
from rdssim.plot.style import (
    MARKER_STYLES,
    OUTCOME_COLOURS,
    OUTCOME_TINTS,
    PHASES,
    state_colours,
)
from rdssim.plot.windows import shared_windows
from rdssim.record import Event, Record

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

LANE_HEIGHT = 0.62  # of one row, as the PNG's lanes
ROW_PX = 36
MARGIN_TOP = 80  # the zoom buttons and the variants' titles
MARGIN_BOTTOM = 95  # the axis title and the legend
LEGEND_PX = 48
LABEL_PX_PER_CHAR = 7.0  # of the lanes' labels, at the figure's font size
TYPICAL_WIDTH_PX = 1400  # the figure's width on a laptop's browser window
DASHES = {"-": "solid", "--": "dash", "-.": "dashdot", ":": "dot"}
EVENT_COLOUR = "#6a3d9a"
PROBE_ROW = "probe client"
PHASE_ROW = "failover phases"
FAULT_ROW = "faults & actions"
EVENT_ROW = "events"


def timeline_events(record: Record) -> list[Event]:
    """The events the timeline marks: the summary's event log and the marker kinds."""
    return [
        e
        for e in record.events
        if e.rds_event is not None or e.kind in LOGGED_KINDS or e.kind in MARKER_STYLES
    ]


def lane_label(record: Record, instance: str) -> str:
    """An instance lane's label: "db-1 (us-east-1a)"."""
    info = next(i for i in record.instances if i.name == instance)
    return f"{info.name} ({info.az})"


def has_phases(record: Record) -> bool:
    """Whether the run has a failover or an in-place recovery (the phases' row)."""
    return bool(failovers(record) or _recoveries(record))


def rows(record: Record, phases: bool | None = None) -> list[str]:
    """The labels of a column's rows, top to bottom; the phases' row where ``phases`` (by
    default, where the run has any: a variant beside one that has keeps the row too, so
    that the lanes line up)."""
    out = [FAULT_ROW, EVENT_ROW]
    if has_phases(record) if phases is None else phases:
        out.append(PHASE_ROW)
    out += [lane_label(record, info.name) for info in record.instances]
    if probe_attempts(record):
        out.append(PROBE_ROW)
    return out


@dataclass(frozen=True)
class Views:
    """The x ranges (seconds from the origin) of the zoom buttons; ``incident`` is shown
    first."""

    incident: tuple[float, float]
    overview: tuple[float, float]
    whole: tuple[float, float]


def views(records: Mapping[str, Record]) -> Views:
    """The ranges covering every variant's, as the PNG timelines' shared columns: the
    close-up of the first failovers (or the overview, where no variant has one), the
    overview of the incident, and the whole run."""

    def union(spans: Sequence[tuple[float, float]]) -> tuple[float, float]:
        return min(a for a, _ in spans), max(b for _, b in spans)

    incident, overview, whole = [], [], []
    # The PNGs' columns (rdssim.plot.windows.shared_windows): one overview over every
    # variant's incident, one close-up over every first failover.
    found = shared_windows(list(records.values()))
    for record in records.values():
        t0, _ = origin(record)
        overview.append((found[0].start_s - t0, found[0].end_s - t0))
        incident.append((found[-1].start_s - t0, found[-1].end_s - t0))
        whole.append((-t0, record.duration_s - t0))
    return Views(union(incident), union(overview), union(whole))


def _recoveries(record: Record) -> list[tuple[float, float, str]]:
    """In-place recoveries (0020 -> 0021): (start_s, end_s, label)."""
    spans = headline_spans(record)[len(failovers(record)) :]
    return [(s.start_s, s.end_s, s.label) for s in spans]


def _when(time_s: float, t0: float) -> str:
    return f"t = {time_s - t0:+.3f} s from fault/action ({time_s:.3f} s into the run)"


def _event_line(event: Event) -> str:
    head = " · ".join(x for x in (event.rds_event, event.source, event.kind) if x)
    return f"<b>{escape(head)}</b>: {escape(event.message)}"


def _event_points(events: Sequence[Event], t0: float) -> tuple[list[float], list[str]]:
    """One point per distinct instant; its tooltip lists every event there, in log order."""
    times: list[float] = []
    texts: list[list[str]] = []
    for event in events:
        if times and event.time_s == times[-1] + t0:
            texts[-1].append(_event_line(event))
            continue
        times.append(event.time_s - t0)
        texts.append([escape(_when(event.time_s, t0)), _event_line(event)])
    return times, ["<br>".join(lines) for lines in texts]


def build_figure(records: Mapping[str, Record]) -> Figure:
    """The timeline of the variants of one run, side by side."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(records)
    fig = make_subplots(
        rows=1,
        cols=len(names),
        subplot_titles=names if len(names) > 1 else None,
        horizontal_spacing=_spacing(records),
    )
    seen: set[str] = set()  # legend entries already shown

    def legend(name: str) -> bool:
        first = name not in seen
        seen.add(name)
        return first

    phases = any(has_phases(record) for record in records.values())
    for col, name in enumerate(names, start=1):
        record = records[name]
        labels = rows(record, phases)
        row_of = {label: y for y, label in enumerate(labels)}
        t0, axis_title = origin(record)
        where = {"row": 1, "col": col}

        for trace in _lane_traces(go, record, t0, row_of, legend):
            fig.add_trace(trace, **where)
        if PHASE_ROW in row_of:
            for trace in _phase_traces(go, record, t0, row_of[PHASE_ROW]):
                fig.add_trace(trace, **where)
        if PROBE_ROW in row_of:
            for trace in _probe_traces(go, record, t0, row_of[PROBE_ROW], legend):
                fig.add_trace(trace, **where)
        for trace in _event_traces(go, record, t0, row_of, legend):
            fig.add_trace(trace, **where)
        for fo in failovers(record):
            tint = {phase: colour for phase, colour, _ in PHASES}
            for phase, start, end in phase_bounds(record, fo):
                fig.add_vrect(
                    x0=start - t0,
                    x1=end - t0,
                    fillcolor=tint[phase],
                    line_width=0,
                    layer="below",
                    **where,
                )
        for event in record.events:
            if event.kind in MARKER_STYLES:
                colour, dash = MARKER_STYLES[event.kind]
                fig.add_vline(
                    x=event.time_s - t0,
                    line={"color": colour, "dash": DASHES[dash], "width": 1},
                    opacity=0.7,
                    **where,
                )
        fig.update_yaxes(
            tickvals=list(range(len(labels))),
            ticktext=labels,
            range=[len(labels) - 0.5, -0.5],
            fixedrange=True,
            showgrid=False,
            zeroline=False,
            **where,
        )
        fig.update_xaxes(
            title_text=axis_title,
            zeroline=True,
            zerolinecolor="#888",
            showgrid=True,
            gridcolor="#eee",
            **where,
        )
    _layout(fig, records)
    return fig


def _spacing(records: Mapping[str, Record]) -> float:
    """The gap between columns, as a share of the width: room for the lanes' labels
    (plotly makes room at the left edge only)."""
    if len(records) < 2:
        return 0.0
    widest = max(len(label) for record in records.values() for label in rows(record, True))
    return min(0.2, LABEL_PX_PER_CHAR * widest / TYPICAL_WIDTH_PX + 0.02, 0.6 / len(records))


def _layout(fig: Figure, records: Mapping[str, Record]) -> None:
    """Linked x axes, the first view, the zoom buttons, the legend and the size."""
    span = views(records)
    axes = ["xaxis"] + [f"xaxis{i}" for i in range(2, len(records) + 1)]
    for axis in axes[1:]:
        fig.layout[axis].matches = "x"
    fig.layout.xaxis.range = list(span.incident)

    def button(label: str, x: tuple[float, float]) -> dict[str, Any]:
        return {"label": label, "method": "relayout", "args": [{"xaxis.range": list(x)}]}

    phases = any(has_phases(record) for record in records.values())
    most = max(len(rows(record, phases)) for record in records.values())
    height = most * ROW_PX + MARGIN_TOP + MARGIN_BOTTOM
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": MARGIN_TOP, "b": MARGIN_BOTTOM},
        barmode="overlay",
        hovermode="closest",
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"size": 12}},
        plot_bgcolor="white",
        uniformtext={"minsize": 9, "mode": "hide"},
        # Below the axis titles: LEGEND_PX under the plotting area, whatever its height.
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -LEGEND_PX / (height - MARGIN_TOP - MARGIN_BOTTOM),
            "x": 0,
            "font": {"size": 11},
        },
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "y": 1.0,
                "xanchor": "left",
                "yanchor": "bottom",
                "pad": {"b": 28 if len(records) > 1 else 8},
                "showactive": True,
                "buttons": [
                    button("zoom to the incident", span.incident),
                    button("overview", span.overview),
                    button("whole run", span.whole),
                ],
            }
        ],
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
    )


def _lane_traces(
    go: Any, record: Record, t0: float, row_of: Mapping[str, int], legend: Any
) -> list[Any]:
    """One bar trace per state: every (role, state) interval of every instance in it."""
    colours = state_colours(record)
    by_state: dict[str, list[tuple[int, float, float, str, str]]] = {}
    for info in record.instances:
        y = row_of[lane_label(record, info.name)]
        for start, end, role, state in record.state_intervals(info.name):
            by_state.setdefault(state, []).append((y, start, end, role, info.name))
    traces = []
    for state, colour in colours.items():
        bars = by_state.get(state, [])
        traces.append(
            go.Bar(
                orientation="h",
                y=[y for y, *_ in bars],
                base=[start - t0 for _, start, *_ in bars],
                x=[end - start for _, start, end, *_ in bars],
                width=LANE_HEIGHT,
                marker={"color": colour, "line": {"color": "white", "width": 0.6}},
                name=state,
                legendgroup=state,
                showlegend=legend(state),
                customdata=[
                    [
                        who,
                        role,
                        state,
                        f"{start - t0:+.3f}",
                        f"{end - t0:+.3f}",
                        duration_text(end - start),
                    ]
                    for _, start, end, role, who in bars
                ],
                hovertemplate="<b>%{customdata[0]}</b>: %{customdata[2]} (role %{customdata[1]})"
                "<br>from %{customdata[3]} s to %{customdata[4]} s (%{customdata[5]})"
                "<extra></extra>",
                meta={"lane": "state"},
            )
        )
    return traces


def _phase_traces(go: Any, record: Record, t0: float, y: int) -> list[Any]:
    """The failover phases and in-place recoveries as bars in their row."""
    tint = {phase: colour for phase, colour, _ in PHASES}
    bars: list[tuple[str, float, float, str]] = []
    for fo in failovers(record):
        for phase, start, end in phase_bounds(record, fo):
            bars.append((phase, start, end, tint[phase]))
    bars += [(label, start, end, "#dadaeb") for start, end, label in _recoveries(record)]
    return [
        go.Bar(
            orientation="h",
            y=[y],
            base=[start - t0],
            x=[end - start],
            width=LANE_HEIGHT,
            marker={"color": colour, "line": {"color": "#999", "width": 0.6}},
            text=[label],
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": "#111"},
            name=label,
            showlegend=False,
            hovertemplate=f"<b>{escape(label)}</b>: {escape(duration_text(end - start))}"
            f"<br>from {start - t0:+.3f} s to {end - t0:+.3f} s<extra></extra>",
        )
        for label, start, end, colour in bars
    ]


def _probe_traces(go: Any, record: Record, t0: float, y: int, legend: Any) -> list[Any]:
    """The probe's runs of one outcome as bars, one trace per outcome."""
    runs = outcome_runs(probe_attempts(record), record.duration_s)
    traces = []
    for outcome in OUTCOME_COLOURS:
        bars = [(start, end) for o, start, end in runs if o == outcome]
        if not bars:
            continue
        colour = OUTCOME_TINTS["ok"] if outcome == "ok" else OUTCOME_COLOURS[outcome]
        name = f"probe {outcome}"
        traces.append(
            go.Bar(
                orientation="h",
                y=[y] * len(bars),
                base=[start - t0 for start, _ in bars],
                x=[end - start for start, end in bars],
                width=LANE_HEIGHT,
                marker={"color": colour, "line": {"width": 0}},
                name=name,
                legendgroup=name,
                showlegend=legend(name),
                customdata=[
                    [f"{a - t0:+.3f}", f"{b - t0:+.3f}", duration_text(b - a)] for a, b in bars
                ],
                hovertemplate=f"<b>probe client</b>: attempts {outcome}"
                "<br>from %{customdata[0]} s to %{customdata[1]} s (%{customdata[2]})"
                "<extra></extra>",
            )
        )
    return traces


def _event_traces(
    go: Any, record: Record, t0: float, row_of: Mapping[str, int], legend: Any
) -> list[Any]:
    """The markers of the two event rows, with every event of an instant in one tooltip."""
    events = timeline_events(record)
    faults = [e for e in events if e.kind in MARKER_STYLES]
    others = [e for e in events if e.kind not in MARKER_STYLES]
    traces = []
    for group, row, symbol, colour, name in (
        (faults, FAULT_ROW, "triangle-down", "#111111", "fault / action"),
        (others, EVENT_ROW, "diamond", EVENT_COLOUR, "event"),
    ):
        times, texts = _event_points(group, t0)
        if not times:
            continue
        traces.append(
            go.Scatter(
                x=times,
                y=[row_of[row]] * len(times),
                mode="markers",
                marker={"symbol": symbol, "size": 12, "color": colour, "line": {"width": 0}},
                name=name,
                legendgroup=name,
                showlegend=legend(name),
                hovertext=texts,
                hovertemplate="%{hovertext}<extra></extra>",
                meta={"lane": "events"},
            )
        )
    return traces
