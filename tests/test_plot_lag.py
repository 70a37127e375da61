"""The replica lag plot: drawn from a Record alone, one lag line per replica.

The Records are built by hand, so each test knows what it draws: a primary writing 500 txn/s
of 4 KiB, crashing at 300 s and failing over by 335 s; a replica in the primary's region and
one across regions, both broken by the crash, then catching up. One test plots a run of the
model. The figures are inspected through their artists (found by gid, label or text), not
pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from rdssim.fluid import Curve, follow
from rdssim.lag import REPLICATING_STATES, data_lag_s, replica_lag_s, replicas
from rdssim.plot import plot_lag
from rdssim.plot.lag import (
    CLOUDWATCH_GID,
    LAG_GID,
    NOT_RUNNING_GID,
    SHADE_GID,
    WRITE_RATE_GID,
    lag_times,
)
from rdssim.plot.reading import origin
from rdssim.record import (
    COMMITTED,
    DETACHED,
    WRITE_RATE,
    Breakpoint,
    Event,
    InstanceInfo,
    Record,
    StateChange,
    applied_series,
    received_series,
)
from rdssim.scenario import load_scenario, parse_scenario_text
from rdssim.sim import run

BYTES_PER_TXN = 4096
RATE = 500.0  # writes/s until RAISE_S, then RAISED
RAISE_S, RAISED = 420.0, 800.0
CRASH_S, FAILOVER_S = 300.0, 335.0
DURATION_S = 600.0
PRIMARY = [InstanceInfo("db-1", "us-east-1a"), InstanceInfo("db-2", "us-east-1b")]
# name, az, link latency (s), end of the break (s): reconnected, it catches up
REPLICAS = [("rep-1", "us-east-1c", 0.002, 380.0), ("rep-2", "us-west-2a", 0.08, 360.0)]


# -- building records -----------------------------------------------------------------------
def committed_curve() -> Curve:
    """The primary's committed log: flat from the crash to the failover's end."""
    bps = RATE * BYTES_PER_TXN
    at_crash = CRASH_S * bps
    at_raise = at_crash + (RAISE_S - FAILOVER_S) * bps
    end = at_raise + (DURATION_S - RAISE_S) * RAISED * BYTES_PER_TXN
    times = [0.0, CRASH_S, FAILOVER_S, RAISE_S, DURATION_S]
    return Curve(times, [0.0, at_crash, at_crash, at_raise, end])


def applied_curve(source: Curve, latency_s: float, broken_until_s: float) -> Curve:
    """Follows the source until the crash, flat while broken, then catches up at 3x the rate."""
    capacity = 3 * RAISED * BYTES_PER_TXN
    before = follow(source.shifted(latency_s), 0.0, 0.0, capacity)
    stalled = before.value_at(CRASH_S)
    after = follow(source.shifted(latency_s), broken_until_s, stalled, capacity)
    keep, tail = before.times_s < CRASH_S, after.times_s < DURATION_S
    times = [*before.times_s[keep], CRASH_S, *after.times_s[tail], DURATION_S]
    values = [
        *before.values_bytes[keep],
        stalled,
        *after.values_bytes[tail],
        after.value_at(DURATION_S),
    ]
    return Curve(times, values)


def add_curve(record: Record, series: str, curve: Curve) -> None:
    for t, v in zip(curve.times_s, curve.values_bytes, strict=True):
        if t <= DURATION_S:
            record.add(Breakpoint(float(t), series, float(v)))


def caught_up_s(applied: Curve, source: Curve, after_s: float) -> float:
    """First time after ``after_s`` at which the replica is within a second of the source."""
    grid = np.arange(after_s, DURATION_S, 0.5)
    lag = grid - source.latest_time_at_or_below(applied.value_at(grid), grid)
    return float(grid[np.argmax(lag < 1.0)])


def make_record(
    engine: str = "mysql",
    replicas: Sequence[tuple[str, str, float, float]] = tuple(REPLICAS),
    promote: str | None = None,
    promote_s: float = 500.0,
) -> Record:
    """The crash story above; ``promote`` names a replica promoted at ``promote_s``."""
    infos = [InstanceInfo(n, az, "primary") for n, az, _, _ in replicas]
    meta = {"scenario": "replica_lag", "variant": "base", "seed": 7, "duration_s": DURATION_S}
    record = Record({**meta, "engine": engine, "bytes_per_txn": BYTES_PER_TXN}, PRIMARY + infos)
    source = committed_curve()
    add_curve(record, COMMITTED, source)
    for t, rate in ((0.0, RATE), (RAISE_S, RATE), (RAISE_S, RAISED), (DURATION_S, RAISED)):
        record.add(Breakpoint(t, WRITE_RATE, rate))
    record.add(StateChange(0.0, "db-1", "primary", "available"))
    record.add(StateChange(0.0, "db-2", "standby", "available"))
    data = {"fault_kind": "host-crash", "target": "db-1"}
    record.add(Event(CRASH_S, "db-1", "fault", "host crash", data=data))
    record.add(StateChange(CRASH_S, "db-1", "primary", "failed"))
    record.add(StateChange(FAILOVER_S, "db-2", "primary", "available"))
    record.add(
        Event(FAILOVER_S, "db-2", "failover-completed", "failover complete", "RDS-EVENT-0049")
    )
    for name, _, latency, until in replicas:
        applied = applied_curve(source, latency, until)
        add_curve(record, applied_series(name), applied)
        add_curve(record, received_series(name), applied)
        record.add(StateChange(0.0, name, "replica", "replicating"))
        record.add(StateChange(CRASH_S, name, "replica", "reconnecting"))
        record.add(StateChange(until, name, "replica", "catching-up"))
        record.add(StateChange(caught_up_s(applied, source, until), name, "replica", "replicating"))
    if promote is not None:
        add_promotion(record, promote, promote_s)
    record.states.sort(key=lambda s: s.time_s)
    return record


def add_promotion(record: Record, name: str, at_s: float) -> None:
    """Promote ``name`` at ``at_s``: promoting for 30 s, then a standalone instance."""
    # What the story had it do afterwards (catch up, replicate) does not happen.
    record.states = [s for s in record.states if s.instance != name or s.time_s < at_s]
    lag = float(data_lag_s(record, name, np.array([at_s]))[0])
    lost = {"lost_s": lag, "lost_txns": lag * RAISED}
    target = {"fault_kind": "promote-replica", "target": name}
    record.add(Event(at_s, "operator", "action", "promote read replica", data=target))
    record.add(Event(at_s, name, "replica-promotion-started", "promotion started", data=lost))
    record.add(Event(at_s, name, DETACHED, "detached"))
    record.add(StateChange(at_s, name, "replica", "promoting"))
    record.add(StateChange(at_s + 30.0, name, "standalone", "available"))
    record.add(Event(at_s + 30.0, name, "replica-promoted", "promoted"))


# -- reading a figure -----------------------------------------------------------------------
def by_gid(fig: Figure, gid: str) -> list[object]:
    return fig.findobj(lambda a: a.get_gid() == gid)


def line(fig: Figure, gid: str) -> Line2D:
    (found,) = by_gid(fig, gid)
    assert isinstance(found, Line2D)
    return found


def xy(found: Line2D) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(found.get_xdata(), dtype=float), np.asarray(found.get_ydata(), dtype=float)


def texts(fig: Figure) -> list[str]:
    return [t.get_text().strip() for t in fig.findobj(Text) if t.get_text().strip()]


def legend_entries(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def shaded_spans(fig: Figure, name: str) -> list[tuple[float, float]]:
    """(left, right) x of each shaded region under a replica's line."""
    (shade,) = by_gid(fig, SHADE_GID.format(name))
    assert isinstance(shade, PolyCollection)
    spans = []
    for path in shade.get_paths():
        xs = path.vertices[:, 0]
        spans.append((float(xs.min()), float(xs.max())))
    return sorted(spans)


def merged(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@pytest.fixture(scope="module")
def record() -> Record:
    return make_record()


@pytest.fixture(scope="module")
def fig(record: Record) -> Figure:
    return plot_lag(record)


# -- the lines ------------------------------------------------------------------------------
def test_one_lag_line_per_replica_labelled_with_its_az(fig: Figure) -> None:
    lines = [a for a in fig.findobj(Line2D) if str(a.get_gid()).startswith("lag:")]
    assert sorted(str(a.get_gid()) for a in lines) == ["lag:rep-1", "lag:rep-2"]
    entries = legend_entries(fig)
    assert "rep-1 · us-east-1c" in entries  # same region as the primary: no region
    assert "rep-2 · us-west-2a (us-west-2)" in entries
    colours = {line(fig, LAG_GID.format(n)).get_color() for n in ("rep-1", "rep-2")}
    assert len(colours) == 2


@pytest.mark.parametrize("name", ["rep-1", "rep-2"])
def test_the_lines_are_the_data_lag(fig: Figure, record: Record, name: str) -> None:
    t0 = CRASH_S  # the fault is the origin
    solid_x, solid_y = xy(line(fig, LAG_GID.format(name)))
    dash_x, dash_y = xy(line(fig, NOT_RUNNING_GID.format(name)))
    np.testing.assert_array_equal(solid_x, dash_x)
    times = solid_x + t0
    np.testing.assert_allclose(times, lag_times(record, replicas(record)))
    together = np.where(np.isnan(solid_y), dash_y, solid_y)
    np.testing.assert_allclose(together, data_lag_s(record, name, times))
    # Spot checks against the story: before the crash and once caught up the lag is the
    # link's latency; while broken it grows one second per second from the crash.
    latency = {n: lat for n, _, lat, _ in REPLICAS}[name]
    expected = {100.0: latency, 350.0: 50.0 + latency, 550.0: latency}
    for t, lag in expected.items():
        assert float(np.interp(t - t0, solid_x, together)) == pytest.approx(lag, abs=1e-6)


def test_dashed_exactly_where_replication_does_not_run(fig: Figure, record: Record) -> None:
    for name in ("rep-1", "rep-2"):
        x, y = xy(line(fig, NOT_RUNNING_GID.format(name)))
        lag = replica_lag_s(record, name, x + CRASH_S)
        inside = (lag == -1.0) & np.isfinite(y)
        # Every -1 sample is on the dashed line; the only other dashed samples are the
        # solid line's end points, which join the two.
        assert np.isfinite(y[lag == -1.0]).all()
        assert np.isfinite(y).sum() - inside.sum() <= 4


# -- write rate -----------------------------------------------------------------------------
def test_write_rate_on_a_right_axis(fig: Figure) -> None:
    (ax,) = [a for a in fig.axes if a.get_ylabel() == "write rate (writes/s)"]
    (area,) = [c for c in ax.collections if c.get_gid() == WRITE_RATE_GID]
    assert isinstance(area, PolyCollection)
    top = max(float(p.vertices[:, 1].max()) for p in area.get_paths())
    assert top == RAISED
    assert ax.yaxis.get_label_position() == "right"


# -- markers --------------------------------------------------------------------------------
def test_fault_and_failover_complete_are_marked(fig: Figure) -> None:
    found = texts(fig)
    assert "host-crash db-1" in found
    assert "failover complete" in found


def test_replica_events_are_marked_once_and_the_loss_written() -> None:
    record = make_record(promote="rep-2")
    found = texts(plot_lag(record))
    # The action names the replica; the promotion starting with it does not repeat it.
    assert found.count("promote rep-2") == 1
    assert "rep-2 promoted" in found
    (started,) = [e for e in record.events if e.kind == "replica-promotion-started"]
    lost_s, lost_txns = float(started.data["lost_s"] or 0), float(started.data["lost_txns"] or 0)
    assert lost_s > 0
    expected = f"rep-2 promoted with\n{lost_s:.1f} s / {lost_txns:,.0f} txns not applied"
    assert expected in found


def test_promotion_without_the_action_is_marked_by_its_own_event() -> None:
    record = make_record(promote="rep-1")
    record.events = [e for e in record.events if e.kind != "action"]
    assert "promote rep-1" in texts(plot_lag(record))


def test_marker_labels_do_not_overlap() -> None:
    fig = plot_lag(make_record(promote="rep-2", promote_s=340.0))
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    labels = {"host-crash db-1", "failover complete", "promote rep-2", "rep-2 promoted"}
    boxes = [
        t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_text().strip() in labels
    ]
    assert len(boxes) == 4
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


# -- replication not running ----------------------------------------------------------------
def test_minus_one_shading_covers_the_broken_intervals_on_mysql(
    fig: Figure, record: Record
) -> None:
    for name in ("rep-1", "rep-2"):
        broken = [
            (start - CRASH_S, end - CRASH_S)
            for start, end, _, state in record.state_intervals(name)
            if state not in REPLICATING_STATES
        ]
        assert broken  # the story has a break for each replica
        spans = shaded_spans(fig, name)
        assert len(spans) == len(merged(broken))
        assert np.ravel(spans) == pytest.approx(np.ravel(merged(broken)))
        # ... which is where CloudWatch says -1
        x = np.linspace(0.0, DURATION_S, 1201)
        minus_one = replica_lag_s(record, name, x) == -1.0
        inside = np.zeros_like(minus_one)
        for start, end in broken:
            inside |= (x >= start + CRASH_S) & (x < end + CRASH_S)
        np.testing.assert_array_equal(minus_one, inside)
    assert "replication not running\n(CloudWatch ReplicaLag = -1)" in legend_entries(fig)


def test_postgres_does_not_say_minus_one() -> None:
    record = make_record(engine="postgres")
    fig = plot_lag(record)
    entries = legend_entries(fig)
    assert "replication not running" in entries
    assert not any("= -1" in e or "ReplicaLag" in e for e in entries)
    assert shaded_spans(fig, "rep-1") == shaded_spans(plot_lag(make_record()), "rep-1")


def test_state_strip_legend_lists_the_states_drawn(fig: Figure) -> None:
    entries = legend_entries(fig)
    assert {"replicating", "reconnecting", "catching-up"} <= set(entries)
    assert "promoting" not in entries


# -- title, errors, files -------------------------------------------------------------------
def test_title_names_scenario_and_seed_and_the_variant_only_if_not_base() -> None:
    assert "replica_lag — replica lag — seed 7" in texts(plot_lag(make_record()))
    record = make_record()
    record.meta["variant"] = "cross_region"
    assert "replica_lag [cross_region] — replica lag — seed 7" in texts(plot_lag(record))


def test_no_replicas_is_an_error() -> None:
    record = make_record(replicas=())
    with pytest.raises(ValueError, match="no read replicas in this record"):
        plot_lag(record)


def test_png_is_written(record: Record, tmp_path: Path) -> None:
    path = tmp_path / "lag.png"
    returned = plot_lag(record, path)
    assert isinstance(returned, Figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 30_000  # a real picture, not an empty canvas


def test_no_path_writes_nothing_and_leaves_pyplot_alone(record: Record, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_lag(record)
    assert plt.get_fignums() == before
    assert list(tmp_path.iterdir()) == []


def test_a_record_loaded_back_plots_the_same(record: Record, fig: Figure, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    record.to_jsonl(path)
    loaded = Record.from_jsonl(path)
    assert loaded == record
    again = plot_lag(loaded)

    def lines(f: Figure) -> dict[str, tuple[list[float], list[float]]]:
        return {
            str(a.get_gid()): (list(xy(a)[0]), list(xy(a)[1]))
            for a in f.findobj(Line2D)
            if a.get_gid() is not None
        }

    assert lines(again).keys() == lines(fig).keys()
    for gid, (x, y) in lines(fig).items():
        np.testing.assert_array_equal(lines(again)[gid][0], x)
        np.testing.assert_array_equal(lines(again)[gid][1], y)
    assert texts(again) == texts(fig)


# -- the lag axis ---------------------------------------------------------------------------
def lag_axes(fig: Figure) -> Axes:
    (ax,) = [a for a in fig.axes if a.get_ylabel() == "replica lag (s)"]
    return ax


def test_ms_steady_lag_and_minutes_of_outage_get_a_symlog_axis(fig: Figure) -> None:
    # 2 ms and 80 ms steady, about 80 s broken: linear would flatten the steady lag on 0.
    ax = lag_axes(fig)
    assert ax.get_yscale() == "symlog"
    assert ax.get_ylim()[0] == 0.0


def test_a_replica_with_no_steady_lag_gets_a_linear_axis() -> None:
    record = make_record(replicas=[("rep-1", "us-east-1c", 0.0, 380.0)])
    ax = lag_axes(plot_lag(record))
    assert ax.get_yscale() == "linear"
    peak = np.nanmax(data_lag_s(record, "rep-1", lag_times(record, replicas(record))))
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] > peak


def test_a_replica_of_a_replica_names_its_source() -> None:
    record = make_record()
    record.instances.append(InstanceInfo("rep-3", "us-east-1a", "rep-1"))
    until = REPLICAS[0][3]
    applied = applied_curve(committed_curve(), 0.004, until)
    add_curve(record, applied_series("rep-3"), applied)
    record.add(StateChange(0.0, "rep-3", "replica", "replicating"))
    assert "rep-3 · us-east-1a · from rep-1" in legend_entries(plot_lag(record))


# -- a run of the model ---------------------------------------------------------------------
def test_a_bundled_replica_scenario_plots_from_its_record() -> None:
    scenario = load_scenario(SCENARIOS / "replica_lag_after_failover.yaml")
    record = run(next(iter(scenario.variants.values())))
    fig = plot_lag(record)
    t0, _ = origin(record)
    assert replicas(record)
    for info in replicas(record):
        x, y = xy(line(fig, LAG_GID.format(info.name)))
        drawn = np.isfinite(y)
        assert drawn.any()
        np.testing.assert_allclose(y[drawn], data_lag_s(record, info.name, x[drawn] + t0))


def idle_source(engine: str) -> Record:
    text = (
        f"name: idle\nengine: {engine}\nduration: 30m\n"
        "deployment:\n  type: single-az\n  instances:\n"
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "  replicas:\n    - {name: rep-1, az: us-east-1b}\n"
        "workload:\n  phases:\n    - {start: 0s, writes_per_s: 500}\n"
        "    - {start: 10m, writes_per_s: 0}\n"
    )
    return run(parse_scenario_text(text, file="<idle>").variants["base"], 0)


def test_postgres_replica_lag_is_drawn_where_it_differs_from_the_data_lag() -> None:
    """Both series in one plot: the data lag (solid, ~0 on an idle source) and, dotted, the
    ReplicaLag PostgreSQL reports (a 5-minute sawtooth), with its legend entry."""
    record = idle_source("postgres")
    fig = plot_lag(record)
    drawn = line(fig, CLOUDWATCH_GID.format("rep-1"))
    x, y = (np.asarray(v, dtype=float) for v in drawn.get_data())
    t0, _ = origin(record)
    shown = np.isfinite(y)
    assert shown.any()
    # The values are the metric's, at the drawn times.
    assert y[shown] == pytest.approx(replica_lag_s(record, "rep-1", x[shown] + t0), abs=1e-9)
    assert float(np.max(y[shown])) == pytest.approx(300.0, abs=0.01)
    assert "CloudWatch ReplicaLag, where it differs" in legend_entries(fig)
    # MySQL's metric is the data lag here: no second line.
    mysql = plot_lag(idle_source("mysql"))
    assert by_gid(mysql, CLOUDWATCH_GID.format("rep-1")) == []
    assert "CloudWatch ReplicaLag, where it differs" not in legend_entries(mysql)
