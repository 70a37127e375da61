"""Plots of long runs: time axes in days with close-ups in seconds, and the client plots'
close-up on the first incident."""

from __future__ import annotations

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import rdssim
from rdssim.metrics import failovers
from rdssim.plot import plot_clients, plot_timeline
from rdssim.plot.clients import client_windows
from rdssim.plot.time_ticks import LONG_RUN_S, duration_text, unit_for
from rdssim.plot.windows import INCIDENT_GAP_S
from rdssim.record import Record


@pytest.mark.parametrize(
    ("span_s", "symbol"),
    [(80.0, "s"), (1200.0, "s"), (3600.0, "min"), (86400.0, "h"), (30 * 86400.0, "d")],
)
def test_the_unit_follows_the_span(span_s: float, symbol: str) -> None:
    size, got = unit_for(span_s)
    assert got == symbol
    assert span_s / size >= 4 or symbol == "s"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(46800.0, "13 h"), (90.0, "90 s"), (5.0, "5 s"), (0.5, "0.5 s"), (7200.0, "2 h")],
)
def test_a_bin_width_reads_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


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
