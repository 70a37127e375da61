"""The client plots: requests by outcome, latency percentiles and connections, over time.

The binning maths is checked on hand-made Flows whose answers are known; the figures on two
bundled scenarios (proxy_vs_direct_failover, connection_storm), through their artists
(found by gid, legend text or title), not pixels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rdssim.client_metrics import connection_opens, summarize_clients
from rdssim.metrics import summarize
from rdssim.output import write_comparison, write_run
from rdssim.plot import plot_client_comparison, plot_clients, plot_connections
from rdssim.plot.client_panels import (
    CONNECTIONS_GID,
    LATENCY_GID,
    LIMIT_GID,
    OUTCOME_GID,
    PROXY_CLIENTS_GID,
    latency_text,
    share_text,
)
from rdssim.plot.client_series import (
    bin_edges,
    bin_width_s,
    client_view,
    latency_percentiles,
    open_counts,
    outcome_bins,
    step_amounts,
)
from rdssim.record import (
    CONNECTION_OPENS,
    CONNECTIONS_OPENED,
    Event,
    Flow,
    InstanceInfo,
    Outcome,
    Record,
    Scalar,
    db_connections_series,
)
from rdssim.scenario import load_scenario
from rdssim.sim import run

INSTANCES = [InstanceInfo("db-1", "us-east-1a"), InstanceInfo("db-2", "us-east-1b")]


# -- records ------------------------------------------------------------------------------------
def synthetic(flows: list[Flow], duration_s: float = 12.0) -> Record:
    """A hand-made run of ``duration_s`` with the given Flows and nothing else."""
    meta: dict[str, Scalar] = {
        "scenario": "synthetic",
        "variant": "direct",
        "seed": 0,
        "duration_s": duration_s,
        "max_connections": 100,
        "proxy": False,
    }
    record = Record(meta, INSTANCES)
    for flow in flows:
        record.add(flow)
    return record


def flow(
    start: float,
    end: float,
    rate: float,
    error: str | None = None,
    latency: tuple[float, float] = (0.02, 0.02),
    cohort: int = 0,
) -> Flow:
    outcome: Outcome = "ok" if error is None else "fail"
    return Flow("app", cohort, start, end, rate, outcome, error, *latency)


@pytest.fixture(scope="module")
def scenarios() -> dict[str, dict[str, Record]]:
    """Both variants of both bundled client scenarios, run once (a fraction of a second)."""
    out: dict[str, dict[str, Record]] = {}
    for name in ("proxy_vs_direct_failover", "connection_storm"):
        variants = load_scenario(SCENARIOS / f"{name}.yaml").variants
        out[name] = {v: run(scenario) for v, scenario in variants.items()}
    return out


@pytest.fixture(scope="module")
def pvd(scenarios: dict[str, dict[str, Record]]) -> dict[str, Record]:
    return scenarios["proxy_vs_direct_failover"]


@pytest.fixture(scope="module")
def storm(scenarios: dict[str, dict[str, Record]]) -> dict[str, Record]:
    return scenarios["connection_storm"]


# -- reading a figure ---------------------------------------------------------------------------
def by_gid(fig: Figure, gid: str) -> list[object]:
    return list(fig.findobj(lambda artist: artist.get_gid() == gid))


def legend_entries(fig: Figure) -> list[str]:
    out: list[str] = []
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    for legend in legends:
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


# -- bins ---------------------------------------------------------------------------------------
def test_bins_are_round_and_never_too_many() -> None:
    assert bin_width_s(600.0) == 1.0  # a 10-minute run: 1 s bins
    assert bin_width_s(3600.0) == 5.0  # an hour: 720 bins of 5 s
    assert bin_width_s(12.0) == 0.1
    edges = bin_edges(10.5, 1.0)
    assert edges.size == 12 and edges[-1] == 10.5  # the last bin is the half left over
    assert np.allclose(np.diff(edges)[:-1], 1.0)


def test_step_pieces_integrate_exactly_over_each_bin() -> None:
    # 4/s on [0.5, 2.5) and 2/s on [1, 3)
    amounts = step_amounts(
        np.array([0.5, 1.0]), np.array([2.5, 3.0]), np.array([4.0, 2.0]), np.arange(5.0)
    )
    assert amounts == pytest.approx([2.0, 6.0, 4.0, 0.0])


# -- requests by outcome ------------------------------------------------------------------------
def test_shares_by_outcome_follow_the_rates_of_the_flows_arriving() -> None:
    # 30/s succeed all along; on top, 10/s are refused over [2, 4.5) and 20/s time out over
    # [4.5, 6). Nothing arrives after 10 s.
    flows = [
        flow(0.0, 10.0, 30.0),
        flow(2.0, 4.5, 10.0, "refused", (0.001, 0.001)),
        flow(4.5, 6.0, 20.0, "read-timeout", (10.0, 10.0)),
    ]
    bins = outcome_bins(flows, bin_edges(12.0, 1.0))
    shares = bins.shares()
    assert bins.requests[:3] == pytest.approx([30.0, 30.0, 40.0])
    assert shares["ok"][0] == 1.0 and shares["refused"][0] == 0.0
    assert shares["ok"][2] == pytest.approx(0.75) and shares["refused"][2] == pytest.approx(0.25)
    # [4, 5): 30 ok, 5 refused (half a second), 10 timed out (half a second)
    assert bins.requests[4] == pytest.approx(45.0)
    assert shares["ok"][4] == pytest.approx(30 / 45)
    assert shares["refused"][4] == pytest.approx(5 / 45)
    assert shares["read-timeout"][4] == pytest.approx(10 / 45)
    # where nothing arrived there is no share at all, not a share of zero
    assert np.isnan(shares["ok"][10:]).all()
    assert bins.totals() == pytest.approx({"ok": 300.0, "refused": 25.0, "read-timeout": 30.0})


def test_outcome_totals_are_the_summary_s_error_counts(storm: dict[str, Record]) -> None:
    record = storm["direct"]
    totals = outcome_bins(record.flows, bin_edges(record.duration_s)).totals()
    summary = summarize_clients(record)
    assert summary is not None
    for kind, count in summary.errors_by_kind.items():
        assert totals[kind] == pytest.approx(count, abs=0.5)
    assert sum(totals.values()) == pytest.approx(summary.client_requests, abs=0.5)


# -- latency ------------------------------------------------------------------------------------
def test_a_constant_latency_is_every_bin_s_percentile() -> None:
    p50, p99 = latency_percentiles([flow(0.0, 10.0, 25.0)], bin_edges(10.0, 1.0))
    assert p50 == pytest.approx(np.full(10, 0.02))
    assert p99 == pytest.approx(np.full(10, 0.02))


def test_a_queue_released_at_once_gives_a_uniform_latency_in_each_bin() -> None:
    # Requests arriving over [0, 10) all answered at 10 s: latency 10 - t.
    p50, p99 = latency_percentiles([flow(0.0, 10.0, 5.0, latency=(10.0, 0.0))], np.arange(11.0))
    b = np.arange(10.0)
    assert p50 == pytest.approx(10.0 - b - 0.5)
    assert p99 == pytest.approx(10.0 - b - 0.01)


def test_a_slow_two_percent_shows_in_the_p99_only() -> None:
    flows = [flow(0.0, 1.0, 98.0), flow(0.0, 1.0, 2.0, "read-timeout", (5.0, 5.0), cohort=1)]
    (p50,), (p99,) = latency_percentiles(flows, np.array([0.0, 1.0]))
    assert p50 == pytest.approx(0.02)
    assert p99 == pytest.approx(5.0)


def test_empty_bins_have_no_latency() -> None:
    p50, _ = latency_percentiles([flow(2.0, 3.0, 1.0)], np.arange(6.0))
    assert np.isnan(p50[[0, 1, 3, 4]]).all() and p50[2] == pytest.approx(0.02)


def test_one_bin_over_the_run_is_the_summary_s_latency(pvd: dict[str, Record]) -> None:
    # The plot's latencies over one bin are the summary's, under the summary's names.
    for record in pvd.values():  # the proxy's queue: successes waited 30 s down to 21 ms
        summary = summarize_clients(record)
        assert summary is not None
        edges = np.array([0.0, record.duration_s])
        view = client_view(record, edges)
        expected = {
            "ok": (summary.latency_ok_p50_ms, summary.latency_ok_p99_ms),
            "error": (summary.error_latency_p50_ms, summary.error_latency_p99_ms),
        }
        drawn = {"ok": view.ok_latency_s[:, 0], "error": view.error_latency_s[:, 0]}
        for kind, (p50_ms, p99_ms) in expected.items():
            assert drawn[kind] * 1000 == pytest.approx([p50_ms, p99_ms])


# -- connections opened -------------------------------------------------------------------------
def test_bursts_count_into_their_bin_and_the_steady_rate_is_integrated() -> None:
    record = synthetic([flow(0.0, 10.0, 1.0)], duration_s=10.0)
    record.add_step(0.0, CONNECTION_OPENS, None, 0.0)
    record.add_step(2.0, CONNECTION_OPENS, 0.0, 10.0)  # 10 opens/s over [2, 5.5)
    record.add_step(5.5, CONNECTION_OPENS, 10.0, 0.0)
    for time_s, count in ((3.0, 25), (3.7, 5), (9.99, 7)):
        data: dict[str, Scalar] = {"count": count, "instance": "db-1", "group": "app"}
        record.add(Event(time_s, "app", CONNECTIONS_OPENED, f"{count} opened", data=data))
    steady, bursts = open_counts(record, np.arange(11.0))
    assert steady == pytest.approx([0, 0, 10, 10, 10, 5, 0, 0, 0, 0])
    assert bursts == pytest.approx([0, 0, 0, 30, 0, 0, 0, 0, 0, 7])
    assert steady.sum() + bursts.sum() == pytest.approx(connection_opens(record))  # 72


def test_opens_per_bin_add_up_to_the_summary(storm: dict[str, Record]) -> None:
    for record in storm.values():
        steady, bursts = open_counts(record, bin_edges(record.duration_s))
        assert steady.sum() + bursts.sum() == pytest.approx(connection_opens(record))


# -- the figures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("client-plots")


@pytest.fixture(scope="module")
def clients_fig(pvd: dict[str, Record], out: Path) -> Figure:
    return plot_clients(pvd["direct"], out / "clients.png")


@pytest.fixture(scope="module")
def connections_fig(storm: dict[str, Record], out: Path) -> Figure:
    return plot_connections(storm["proxy"], out / "connections.png")


@pytest.fixture(scope="module")
def compare_fig(storm: dict[str, Record], out: Path) -> Figure:
    return plot_client_comparison(storm, out / "clients_compare.png")


def test_clients_figure_has_an_outcome_strip_and_a_latency_panel(
    clients_fig: Figure, pvd: dict[str, Record], out: Path
) -> None:
    assert is_png(out / "clients.png")
    # The whole run, then a close-up of the incident: a strip and a latency panel each.
    assert len(clients_fig.axes) == 4
    for strip, latency in (clients_fig.axes[:2], clients_fig.axes[2:]):
        assert strip.get_ylim() == (0.0, 1.0) and latency.get_yscale() == "log"
    # Only the outcomes that happened are drawn and explained, each with its count.
    kinds = {"ok", "refused", "connection-lost"}
    assert {f.error or "ok" for f in pvd["direct"].flows} == kinds
    for kind in kinds:
        assert by_gid(clients_fig, OUTCOME_GID.format(kind))
    assert not by_gid(clients_fig, OUTCOME_GID.format("too-many-connections"))
    entries = legend_entries(clients_fig)
    latencies = {"p50 of successes", "p99 of successes", "p50 time to error", "p99 time to error"}
    assert {e.split(" (")[0] for e in entries} >= kinds | latencies
    assert not any(e.startswith("too-many-connections") for e in entries)
    for kind in ("successes", "errors"):
        assert by_gid(clients_fig, LATENCY_GID.format(f"{kind} p50"))
        assert by_gid(clients_fig, LATENCY_GID.format(f"{kind} p99"))
    # The failover's start and completion are marked on both panels.
    assert {"failover started (0013)", "failover complete (0049)"} <= set(entries)


def test_clients_figure_marks_failover_events_at_their_time(
    clients_fig: Figure, pvd: dict[str, Record]
) -> None:
    record = pvd["direct"]
    action = next(e for e in record.events if e.kind == "action")
    started = next(e for e in record.events if e.rds_event == "RDS-EVENT-0013")
    for ax in clients_fig.axes:
        xs = {round(float(np.asarray(line.get_xdata())[0]), 6) for line in ax.get_lines()}
        assert round(started.time_s - action.time_s, 6) in xs
        assert 0.0 in xs  # the action itself: t = 0


def test_connections_figure_shows_instances_the_proxy_and_the_limit(
    connections_fig: Figure, storm: dict[str, Record], out: Path
) -> None:
    assert is_png(out / "connections.png")
    assert len(connections_fig.axes) in (2, 4)  # a close-up column if the incident is short
    for name in ("db-1", "db-2"):
        assert by_gid(connections_fig, CONNECTIONS_GID.format(name))
    assert by_gid(connections_fig, PROXY_CLIENTS_GID)
    limits = by_gid(connections_fig, LIMIT_GID)  # one per column
    assert limits
    for limit in limits:
        assert limit.get_ydata()[0] == storm["proxy"].meta["max_connections"]  # type: ignore[attr-defined]
    held = connections_fig.axes[0]
    assert held.get_ylim()[1] >= 813  # the proxy's client connections are on the scale


def test_a_limit_far_above_the_lines_is_named_not_drawn(pvd: dict[str, Record]) -> None:
    fig = plot_connections(pvd["direct"])  # 200 connections at most, max_connections 1297
    assert not by_gid(fig, LIMIT_GID)
    assert "max_connections 1,297 (above the scale)" in legend_entries(fig)
    assert fig.axes[0].get_ylim()[1] < 400


def test_comparison_puts_variants_in_columns_and_each_row_on_one_scale(
    compare_fig: Figure, out: Path
) -> None:
    assert is_png(out / "clients_compare.png")
    axes: list[Axes] = compare_fig.axes
    assert len(axes) == 8  # 4 rows x 2 columns
    columns = [axes[:4], axes[4:]]
    assert [c[0].get_title() for c in columns] == ["direct", "proxy"]
    for row in range(4):
        left, right = columns[0][row], columns[1][row]
        assert left.get_ylim() == pytest.approx(right.get_ylim())
    # The connections row is scaled for the highest line of either column: the proxy's
    # ~813 client connections, not the direct column's 324.
    assert columns[0][2].get_ylim()[1] >= 813


def test_comparison_leaves_out_variants_without_clients(storm: dict[str, Record]) -> None:
    empty = synthetic([], duration_s=storm["direct"].duration_s)
    fig = plot_client_comparison({"direct": storm["direct"], "none": empty})
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="client groups"):
        plot_client_comparison({"none": empty})


def test_no_client_groups_is_an_error() -> None:
    with pytest.raises(ValueError, match="client groups"):
        plot_clients(synthetic([]))
    with pytest.raises(ValueError, match="client groups"):
        plot_connections(synthetic([]))


def test_no_path_writes_nothing_and_leaves_pyplot_alone(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    record = synthetic([flow(0.0, 12.0, 10.0)])
    record.add_step(0.0, db_connections_series("db-1"), None, 10.0)
    plot_clients(record)
    plot_connections(record)
    assert plt.get_fignums() == before
    assert list(tmp_path.iterdir()) == []


def test_view_of_a_synthetic_run_scales_the_limit_with_the_lines() -> None:
    record = synthetic([flow(0.0, 12.0, 10.0)])
    record.add_step(0.0, db_connections_series("db-1"), None, 80.0)
    view = client_view(record)
    assert view.connections_peak == 80.0 and view.max_connections == 100
    fig = plot_connections(record)
    assert by_gid(fig, LIMIT_GID)  # 100 is within reach of 80: drawn


# -- the run's artefacts ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(pvd: dict[str, Record], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("run")
    record = pvd["proxy"]
    write_run(folder / "proxy", record, summarize(record))
    yield folder


def test_write_run_draws_the_client_plots_when_there_are_clients(written: Path) -> None:
    for name in ("clients.png", "connections.png", "timeline.png"):
        assert is_png(written / "proxy" / name)
    assert json.loads((written / "proxy" / "summary.json").read_text())


def test_write_comparison_needs_two_variants_with_clients(
    pvd: dict[str, Record], tmp_path: Path
) -> None:
    assert not write_comparison(tmp_path, {"direct": pvd["direct"]})
    assert not (tmp_path / "clients_compare.png").exists()
    assert write_comparison(tmp_path, pvd)
    assert is_png(tmp_path / "clients_compare.png")


# -- the numbers printed ----------------------------------------------------------------------
def test_the_failed_share_is_request_weighted_unlike_the_client_availability() -> None:
    # 4 s of 100 requests/s all refused, then 8 s of 10 requests/s all answered.
    record = synthetic([flow(0.0, 4.0, 100.0, "refused"), flow(4.0, 12.0, 10.0)])
    clients = summarize_clients(record)
    assert clients is not None
    assert clients.client_failed_share == pytest.approx(400 / 480)
    # client_availability is 1 - client-observed downtime / duration: 8 s of 12 answered
    # (and the 20 ms before the first answer after the refusals).
    assert clients.client_downtime_by_group["app"] == pytest.approx(4.02)
    assert clients.errors_by_kind == {"refused": 400}
    assert synthetic([]).flows == [] and summarize_clients(synthetic([])) is None


def test_the_numbers_the_client_plots_print_are_the_summarys(
    storm: dict[str, Record], compare_fig: Figure
) -> None:
    columns = {"direct": compare_fig.axes[:4], "proxy": compare_fig.axes[4:]}
    for name, axes in columns.items():
        clients = summarize_clients(storm[name])
        assert clients is not None and clients.latency_ok_p99_ms is not None
        notes = [" ".join(text.get_text() for text in ax.texts) for ax in axes]
        assert f"{share_text(clients.client_failed_share or 0.0)} failed" in notes[0]
        p99 = latency_text(clients.latency_ok_p99_ms / 1000.0)
        assert f"p99 of successes {p99}" in notes[1]
        assert f"at most {clients.db_connections_max:,.0f} on a DB instance" in notes[2]
        assert f"{clients.connection_opens:,} opened" in notes[3]
    record = storm["direct"]
    clients = summarize_clients(record)
    assert clients is not None
    titles = " ".join(ax.get_title(loc="left") for ax in plot_clients(record).axes)
    assert f"{share_text(clients.client_failed_share or 0.0)} failed" in titles
    titles = " ".join(ax.get_title(loc="left") for ax in plot_connections(record).axes)
    assert f"{clients.connection_opens:,} in all" in titles
