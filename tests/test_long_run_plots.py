"""Plots of long runs: time axes in days with close-ups in seconds, and the client plots'
close-up on the first incident."""

from __future__ import annotations

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import rdssim
from rdssim.metrics import failovers, summarize
from rdssim.plot import plot_clients, plot_lag, plot_timeline
from rdssim.plot.clients import client_windows
from rdssim.plot.labels import lasting_text
from rdssim.plot.reading import duration_text
from rdssim.plot.time_ticks import (
    LONG_RUN_S,
    clock_text,
    label_times,
    unit_for,
    whole_unit_text,
)
from rdssim.plot.windows import INCIDENT_GAP_S, first_incident_close_up, shared_windows
from rdssim.record import Record

DAY_S = 86400.0


@pytest.mark.parametrize(
    ("span_s", "symbol"),
    [
        (80.0, "s"),
        (1200.0, "s"),
        (3600.0, "min"),
        (3 * 3600.0, "h"),
        (DAY_S, "h"),
        (30 * DAY_S, "d"),
        (365 * DAY_S, "d"),
        (30 * 365 * DAY_S, "y"),
    ],
)
def test_the_unit_follows_the_span(span_s: float, symbol: str) -> None:
    size, got = unit_for(span_s)
    assert got == symbol
    assert 2 <= span_s / size <= 1200  # a handful to a thousand of the unit


@pytest.mark.parametrize("span_s", [3 * 3600.0, 2 * DAY_S, 365 * DAY_S, 30 * 365 * DAY_S])
def test_tick_labels_carry_the_unit_and_matplotlibs_minus_and_no_exponent(span_s: float) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xlim(-0.1 * span_s, span_s)
    label_times([ax], long=True)
    texts = tick_texts(ax)
    symbol = unit_for(span_s)[1]
    assert len(texts) >= 3
    assert all(t == "0" or t.endswith(f" {symbol}") for t in texts), texts
    assert not any("e+" in t or "-" in t for t in texts), texts
    assert any(t.startswith("\N{MINUS SIGN}") for t in texts), texts


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(46800.0, "13 h"), (90.0, "90 s"), (5.0, "5 s"), (0.5, "0.5 s"), (7200.0, "2 h")],
)
def test_a_bin_width_reads_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert whole_unit_text(seconds) == text


def tick_texts(ax: Axes) -> list[str]:
    fig = ax.figure
    assert isinstance(fig, Figure)
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text()]


def bottom_axes(fig: Figure) -> list[Axes]:
    """The axes whose x tick labels are drawn."""
    return [ax for ax in fig.axes if any(t.get_visible() for t in ax.get_xticklabels())]


@pytest.fixture(scope="module")
def year() -> Record:
    return rdssim.run("year_of_failures", seed=7).record


def test_a_year_long_run_reads_in_days_and_its_close_up_in_seconds(year: Record) -> None:
    assert year.duration_s > LONG_RUN_S
    fig = plot_timeline(year)
    texts = [tick_texts(ax) for ax in bottom_axes(fig)]
    overview, close_up = texts[0], texts[-1]
    assert any(t.endswith(" d") for t in overview), overview
    assert any(t.endswith(" s") for t in close_up), close_up
    assert fig.get_supxlabel().startswith("time from ")
    for ax in fig.axes:
        assert not ax.xaxis.get_offset_text().get_text()  # no "1e7" under the axis


def test_a_year_long_timeline_overviews_the_whole_year_as_its_client_plots_do(
    year: Record,
) -> None:
    # The quiet weeks after the last failure are part of the year's availability.
    overview, close_up = shared_windows([year])
    whole = client_windows([year])[0]
    assert (overview.start_s, overview.end_s) == (whole.start_s, whole.end_s)
    assert (overview.start_s, overview.end_s) == (0.0, year.duration_s)
    assert overview.title == "overview" and close_up.close_up
    last = max(e.time_s for e in year.rds_events())
    assert last < 0.95 * year.duration_s  # this seed's last event is weeks before the end
    # A short run's overview is still its incident, not the whole run.
    short = rdssim.run("storage_failure").record
    assert shared_windows([short])[0].end_s < short.duration_s


def test_each_of_several_probe_outages_is_labelled_with_its_own_summary_number(
    year: Record,
) -> None:
    summary = summarize(year)
    found = summary.probe_outages
    assert len(found) > 1 and all(o["recovered"] for o in found)
    assert sum(o["downtime_s"] for o in found) == pytest.approx(summary.probe_downtime_s)
    texts = [t.get_text().strip() for ax in plot_timeline(year).axes for t in ax.texts]
    assert f"probe outage 1 {duration_text(found[0]['downtime_s'])}" in texts
    # "probe downtime" is the summary's total: no single outage of several is named so.
    assert not any(t.startswith("probe downtime") for t in texts)
    single = rdssim.run("multi_az_failover")
    (only,) = single.summary.probe_outages
    assert only["downtime_s"] == single.summary.probe_downtime_s
    texts = [t.get_text().strip() for ax in plot_timeline(single.record).axes for t in ax.texts]
    assert f"probe downtime {duration_text(only['downtime_s'])}" in texts


def test_a_long_run_without_a_failover_keeps_its_incident_as_a_close_up() -> None:
    # Just past 6 h the overview becomes the whole run; the patch (13 minutes) must not
    # shrink to a sliver of it: it is the close-up, as the short run's overview was.
    scenario = rdssim.load("maintenance")
    short, long = (
        rdssim.run(scenario.with_overrides({"duration": d}).variants["single_az"]).record
        for d in ("5h59m", "6h1m")
    )
    assert not failovers(long) and long.duration_s > LONG_RUN_S
    (incident,) = shared_windows([short])
    overview, close_up = shared_windows([long])
    assert (overview.start_s, overview.end_s) == (0.0, long.duration_s)
    assert (close_up.start_s, close_up.end_s) == (incident.start_s, incident.end_s)
    titles = [ax.get_title(loc="left") for ax in plot_timeline(long).axes]
    assert "close-up of the incident" in titles


def overlapping_labels(fig: Figure, index: int) -> list[tuple[str, str]]:
    """The pairs of texts of ``fig.axes[index]`` (a header) whose boxes overlap."""
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [t for t in fig.axes[index].texts if t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    return [
        (texts[i].get_text(), texts[j].get_text())
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], i + 1)
        if not (a.x1 <= b.x0 + 1 or b.x1 <= a.x0 + 1 or a.y1 <= b.y0 + 1 or b.y1 <= a.y0 + 1)
    ]


@pytest.mark.parametrize("seed", [7, 1, 2, 6])
def test_a_year_long_overviews_header_labels_do_not_overlap(seed: int) -> None:
    # A fault and its end a minute apart fall on one pixel of a year: one label tells both
    # ("network-loss replica-2 for 51 s"); labels past the header's levels are left out
    # and counted, not drawn over each other.
    result = rdssim.run("year_of_failures", seed=seed)
    fig = plot_timeline(result.record)
    header = fig.axes[1]  # the overview's header (lanes first, then the header sharing x)
    assert overlapping_labels(fig, 1) == []
    told = [t.get_text().strip() for t in header.texts]
    assert not any(t.endswith(" over") for t in told), told
    untold = header.get_title(loc="right")
    assert untold == "" or untold.endswith(" more in rdssim explain")
    # "for 51 s" is the summary's number: a fault's duration_s under faults.
    lasted = {
        (f["target"], lasting_text(f["duration_s"]))
        for f in result.summary["faults"]
        if f["duration_s"] is not None
    }
    merged = [t for t in told if " for " in t]
    for label in merged:
        what, duration = label.rsplit(" for ", 1)
        assert any((word, duration) in lasted for word in what.split()), (label, lasted)
    if seed == 7:
        assert any(t.startswith("network-loss") for t in merged), told


def test_a_year_long_lag_plots_header_labels_do_not_overlap(year: Record) -> None:
    fig = plot_lag(year)
    header = fig.axes[1]  # after the lag axes (rdssim.plot.lag._make_axes)
    assert header.texts and overlapping_labels(fig, 1) == []
    untold = header.get_title(loc="right")
    assert untold == "" or untold.endswith(" more in rdssim explain")


def test_a_narrow_overview_gets_the_header_levels_its_labels_need() -> None:
    # The levels are planned on estimated widths; aurora_failover's overview came out
    # narrower, and 'AZ us-east-1a dark' and '... back' were drawn over each other.
    fig = plot_timeline(rdssim.run("aurora_failover").record)
    assert overlapping_labels(fig, 1) == []
    told = [t.get_text().strip() for t in fig.axes[1].texts]
    assert "AZ us-east-1a dark" in told and "AZ us-east-1a back" in told
    assert fig.axes[1].get_title(loc="right") == ""
    # Far apart on a short run, a fault and its end keep a label each.
    labels = [
        t.get_text().strip()
        for ax in plot_timeline(rdssim.run("az_outage").record).axes
        for t in ax.texts
    ]
    assert any(t.endswith(" dark") for t in labels) and any(t.endswith(" back") for t in labels)


def test_a_year_long_clients_plot_names_its_bins_in_hours(year: Record) -> None:
    fig = plot_clients(year)
    titles = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert "13 h bins" in titles
    assert any(t.endswith(" d") for ax in bottom_axes(fig) for t in tick_texts(ax))


def test_a_short_run_keeps_plain_seconds() -> None:
    record = rdssim.run("multi_az_failover").record
    assert record.duration_s <= LONG_RUN_S
    fig = plot_timeline(record)
    assert fig.get_supxlabel().startswith("seconds from ")
    for ax in bottom_axes(fig):
        assert all(t.lstrip("−-").replace(".", "").isdigit() for t in tick_texts(ax))


def test_a_year_long_runs_client_close_up_holds_its_first_incident_whole(year: Record) -> None:
    whole, close = client_windows([year])
    first = failovers(year)[0]
    assert first.failover_s is not None
    assert close.close_up and close.title == "close-up of the first incident"
    assert close.start_s < first.trigger_s < first.trigger_s + first.failover_s < close.end_s
    assert close.end_s - close.start_s < 600.0  # minutes, of a year
    # Every request that failed around the first fault arrived inside the close-up ...
    failed = [f for f in year.flows if f.outcome != "ok" and f.rate_per_s > 0]
    early = [f for f in failed if f.start_s < first.trigger_s + first.failover_s + INCIDENT_GAP_S]
    assert early and all(close.start_s <= f.start_s and f.end_s <= close.end_s for f in early)
    # ... and the later incidents' did not.
    assert any(f.start_s > close.end_s for f in failed)
    assert whole.start_s == 0.0 and whole.end_s == year.duration_s


@pytest.mark.parametrize("seed", range(20))
def test_the_first_incident_is_minutes_long_whatever_harmless_fault_comes_first(
    seed: int,
) -> None:
    """Seed after seed, the first fault may harm nothing (a standby's network loss) and the
    first failover come months later: the close-up is the first stretch of harm."""
    record = rdssim.run("year_of_failures", seed=seed).record
    close = first_incident_close_up([record])
    failed = sorted(f.start_s for f in record.flows if f.outcome != "ok" and f.rate_per_s > 0)
    fos = failovers(record)
    if not failed and not fos:
        assert close is None
        return
    assert close is not None
    assert close.end_s - close.start_s < 3600.0, (close, seed)
    first = min(failed[:1] + [fo.trigger_s for fo in fos[:1]])
    assert close.start_s < first < close.end_s


def test_a_short_run_drawn_on_a_long_runs_windows_reads_in_units(year: Record) -> None:
    short = rdssim.run("proxy_vs_direct_failover", variant="direct").record
    wins = client_windows([short, year])
    fig = plot_clients(short, wins=wins)
    labels = [ax.get_xlabel() for ax in bottom_axes(fig)]
    assert labels and all(label.startswith("time from ") for label in labels)
    assert any(t.endswith(" d") for t in tick_texts(bottom_axes(fig)[0]))


@pytest.mark.parametrize(
    ("x_s", "seconds", "text"),
    [
        (8741720.0, True, "101 d 04:15:20"),
        (12000.0, False, "3:20"),
        (-3700.0, True, "-1:01:40"),
        (3 * DAY_S + 59.0, False, "3 d 00:01"),
    ],
)
def test_a_close_up_far_from_the_origin_reads_as_a_clock(
    x_s: float, seconds: bool, text: str
) -> None:
    assert clock_text(x_s, seconds=seconds) == text


def test_a_close_up_months_into_a_run_is_labelled_by_clock_not_by_millions_of_seconds() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xlim(101 * DAY_S, 101 * DAY_S + 80.0)
    label_times([ax], long=True)
    texts = tick_texts(ax)
    assert texts and all(t.startswith("101 d 00:0") for t in texts), texts


def test_runs_drawn_alike_with_different_first_incidents_get_the_earliest(year: Record) -> None:
    """Two runs whose first harm is months apart: the close-up is the earlier's, not the
    months between them."""
    later = rdssim.run("year_of_failures", seed=17).record
    alone = [first_incident_close_up([r]) for r in (year, later)]
    assert alone[0] is not None and alone[1] is not None
    assert alone[1].start_s - alone[0].end_s > 30 * DAY_S  # far apart
    both = first_incident_close_up([year, later])
    assert both == alone[0]
