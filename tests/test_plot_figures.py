"""Plots drawn on the caller's Figure, and several runs drawn on the same time ranges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import rdssim
from rdssim.cli import app
from rdssim.plot import plot_timeline, plot_timelines
from rdssim.plot.windows import shared_windows, windows
from rdssim.record import Record


@pytest.fixture(scope="module")
def storage() -> dict[str, Record]:
    """A scenario whose variants have no client groups: with and without a standby."""
    return {name: r.record for name, r in rdssim.run_all("storage_failure", seed=1).items()}


@pytest.fixture(scope="module")
def pvd() -> dict[str, rdssim.Result]:
    return rdssim.run_all("proxy_vs_direct_failover", seed=1)


def test_every_plot_draws_on_the_figure_it_is_given(pvd: dict[str, rdssim.Result]) -> None:
    result = pvd["proxy"]
    for draw in (result.plot_timeline, result.plot_clients, result.plot_connections):
        mine = Figure()
        assert draw(fig=mine) is mine
        assert mine.axes
    mine = Figure()
    assert rdssim.plot_client_comparison(pvd, fig=mine) is mine
    lag = rdssim.run("replica_lag_after_failover", variant="mysql")
    mine = Figure()
    assert lag.plot_lag(fig=mine) is mine and mine.axes


def test_a_figure_that_already_holds_axes_is_refused() -> None:
    used = Figure()
    used.add_subplot()
    with pytest.raises(ValueError, match="must be empty"):
        rdssim.run("multi_az_failover").plot_timeline(fig=used)


@pytest.mark.parametrize("mark", ["suptitle", "text", "legend"])
def test_a_figure_that_already_holds_a_title_or_text_is_refused(mark: str) -> None:
    used = Figure()
    if mark == "suptitle":
        used.suptitle("mine")
    elif mark == "text":
        used.text(0.5, 0.5, "mine")
    else:
        used.legend(handles=[], title="mine")
    with pytest.raises(ValueError, match="must be empty"):
        rdssim.run("multi_az_failover").plot_timeline(fig=used)


@pytest.mark.parametrize("given", ["subfigure", "axes", "text"])
def test_fig_that_is_not_a_figure_is_a_type_error_naming_it(given: str) -> None:
    mine = Figure()
    wrong = {"subfigure": mine.subfigures(1, 2)[0], "axes": mine.add_subplot(), "text": "x"}
    with pytest.raises(TypeError, match="fig= takes a matplotlib Figure"):
        rdssim.run("multi_az_failover").plot_timeline(fig=wrong[given])


def test_shared_windows_span_every_run_and_reduce_to_one_runs_own(
    storage: dict[str, Record],
) -> None:
    runs = list(storage.values())
    shared = shared_windows(runs)
    for record in runs:
        own = windows(record)
        assert shared_windows([record]) == own
        assert shared[0].start_s <= own[0].start_s and own[0].end_s <= shared[0].end_s
    # Only the Multi-AZ run fails over: its close-up is the shared one.
    multi_az_close = windows(storage["multi_az"])[1]
    assert shared[1] == multi_az_close


def test_variants_are_drawn_on_the_same_time_ranges(storage: dict[str, Record]) -> None:
    wins = shared_windows(list(storage.values()))
    ranges = []
    for record in storage.values():
        fig = plot_timeline(record, wins=wins)
        ranges.append(sorted({ax.get_xlim() for ax in fig.axes}))
    assert ranges[0] == ranges[1]
    # Each on its own windows, they differ (the Single-AZ restore lasts far longer).
    own = [sorted({ax.get_xlim() for ax in plot_timeline(r).axes}) for r in storage.values()]
    assert own[0] != own[1]


def test_the_stacked_timelines_line_up_column_by_column(storage: dict[str, Record]) -> None:
    fig = plot_timelines(storage)
    assert len(fig.subfigs) == 2
    for column in range(2):  # overview, close-up
        edges = set()
        for sub in fig.subfigs:
            shown = sorted(
                (ax for ax in sub.axes if ax.get_visible()), key=lambda a: a.get_position().x0
            )
            lefts = sorted({round(a.get_position().x0, 6) for a in shown})
            rights = sorted({round(a.get_position().x1, 6) for a in shown})
            edges.add((lefts[column], rights[column]))
        assert len(edges) == 1, edges


def test_run_writes_the_comparison_of_variants_without_client_groups(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "storage_failure", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "timeline_compare.png").stat().st_size > 10_000
    assert not (out / "clients_compare.png").exists()
    replot = CliRunner().invoke(app, ["plot", str(out)])
    assert replot.exit_code == 0, replot.output
    assert "timeline_compare.png" in replot.output


def test_latency_steps_are_lines_and_outcome_shares_are_filled(
    pvd: dict[str, rdssim.Result],
) -> None:
    from rdssim.plot.client_panels import LATENCY_GID, OUTCOME_GID

    fig = pvd["direct"].plot_clients()
    patches = [p for ax in fig.axes for p in ax.patches if p.get_gid()]
    latency = [p for p in patches if p.get_gid().startswith(LATENCY_GID.split("{")[0])]
    shares = [p for p in patches if p.get_gid().startswith(OUTCOME_GID.split("{")[0])]
    assert latency and shares
    assert not any(p.get_fill() for p in latency)
    assert all(p.get_fill() for p in shares)


def test_the_client_close_up_holds_the_failover_and_the_bulk_of_the_errors(
    pvd: dict[str, rdssim.Result],
) -> None:
    from rdssim.metrics import failovers
    from rdssim.plot.client_series import OK, client_view
    from rdssim.plot.clients import client_windows, window_edges

    record = pvd["direct"].record
    whole, close = client_windows([record])
    assert whole.start_s == 0.0 and whole.end_s == record.duration_s and close.close_up
    (fo,) = failovers(record)
    assert fo.failover_s is not None
    assert close.start_s < fo.trigger_s and fo.trigger_s + fo.failover_s < close.end_s
    # At least 99% of the failed requests arrive inside the close-up, finer binned.
    inside = client_view(record, window_edges(close)).outcomes.totals()
    everywhere = client_view(record).outcomes.totals()
    failed = sum(n for kind, n in everywhere.items() if kind != OK)
    assert sum(n for kind, n in inside.items() if kind != OK) >= 0.99 * failed
    assert np.diff(window_edges(close)).max() < np.diff(client_view(record).edges).max()
    # Asked for the whole run only, one column.
    assert len(pvd["direct"].plot_clients(fig=Figure()).axes) == 4
    from rdssim.plot import plot_clients

    assert len(plot_clients(record, wins=[whole]).axes) == 2


def test_a_run_without_trouble_gets_no_close_up() -> None:
    from rdssim.plot.clients import client_windows

    calm = rdssim.run("proxy_vs_direct_failover", variant="proxy", overrides={"faults": []})
    assert len(client_windows([calm.record])) == 1


def test_variants_client_plots_share_their_close_up(
    pvd: dict[str, rdssim.Result], tmp_path: Path
) -> None:
    from rdssim.output import draw_runs
    from rdssim.plot.clients import client_windows

    records = {name: r.record for name, r in pvd.items()}
    draw_runs(tmp_path, records)
    shared = client_windows(list(records.values()))[-1]
    for record in records.values():
        own = client_windows([record])[-1]
        assert shared.start_s <= own.start_s and own.end_s <= shared.end_s
    assert (tmp_path / "direct" / "clients.png").is_file()
    assert (tmp_path / "clients_compare.png").is_file()


def test_a_picture_is_replaced_whole_or_left_as_it_was(tmp_path: Path) -> None:
    from rdssim.plot.figure import new_figure, save_png

    target = tmp_path / "timeline.png"
    fig = new_figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    save_png(fig, target)
    before = target.read_bytes()
    assert before.startswith(b"\x89PNG")

    class Broken(Exception):
        pass

    def fail(*_: object, **__: object) -> None:
        raise Broken

    fig.savefig = fail  # type: ignore[method-assign]  # interrupted mid-way
    with pytest.raises(Broken):
        save_png(fig, target)
    assert target.read_bytes() == before  # the old picture, whole
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.png"]  # no scratch left


def test_a_picture_saved_in_one_draw_is_the_one_matplotlib_saves_in_two(
    pvd: dict[str, rdssim.Result], tmp_path: Path
) -> None:
    """save_png lays out and draws once (not savefig's unseen draw, then the real one): the
    bytes must be savefig's own, and the figure must keep its layout engine."""
    import io

    from rdssim.plot.figure import PNG_OPTIONS, SAVED_DPI, save_png

    ours, theirs = (pvd["direct"].plot_clients() for _ in range(2))
    engine = ours.get_layout_engine()
    assert engine is not None
    save_png(ours, tmp_path / "clients.png")
    assert ours.get_layout_engine() is engine
    assert ours.dpi == theirs.dpi
    buffer = io.BytesIO()
    theirs.savefig(buffer, format="png", dpi=SAVED_DPI, pil_kwargs=PNG_OPTIONS)
    assert (tmp_path / "clients.png").read_bytes() == buffer.getvalue()


def test_a_notebooks_picture_follows_savefig_dpi_as_savefig_does() -> None:
    import io

    import matplotlib as mpl
    from PIL import Image

    from rdssim.plot.figure import new_figure

    fig = new_figure(figsize=(4.0, 2.0))
    fig.add_subplot().plot([0, 1])
    assert Image.open(io.BytesIO(fig._repr_png_())).size == (400, 200)  # the figure's 100 dpi
    with mpl.rc_context({"savefig.dpi": 50}):
        assert Image.open(io.BytesIO(fig._repr_png_())).size == (200, 100)


@pytest.mark.parametrize("plot", ["plot_clients", "plot_connections"])
def test_leaving_the_axes_that_write_nothing_out_of_the_layout_moves_no_axes(
    pvd: dict[str, rdssim.Result], plot: str
) -> None:
    from rdssim.plot.figure import _writes_nothing, lay_out

    ours, theirs = (getattr(pvd["direct"], plot)() for _ in range(2))
    assert any(_writes_nothing(ax.xaxis) for ax in ours.axes)  # the upper rows' time axes
    assert not all(_writes_nothing(ax.xaxis) for ax in ours.axes)  # the bottom row's
    lay_out(ours)
    engine = theirs.get_layout_engine()
    assert engine is not None
    engine.execute(theirs)  # matplotlib's own, every axis measured
    assert [a.get_position().bounds for a in ours.axes] == [
        a.get_position().bounds for a in theirs.axes
    ]
    assert all(axis.get_in_layout() for ax in ours.axes for axis in (ax.xaxis, ax.yaxis))


def test_an_axis_whose_offset_or_label_would_show_takes_its_room() -> None:
    from rdssim.plot.figure import _writes_nothing, new_figure

    ax = new_figure().add_subplot()
    ax.plot([1e6, 1e6 + 10.0], [0.0, 1.0])  # ticks read "+1e6" in an offset
    ax.tick_params(axis="x", labelbottom=False)  # matplotlib hides the offset with them
    assert _writes_nothing(ax.xaxis)
    ax.xaxis.get_offset_text().set_visible(True)  # shown anyway: it takes room
    assert not _writes_nothing(ax.xaxis)
    ax.xaxis.get_offset_text().set_visible(False)
    ax.set_xlabel("seconds")
    assert not _writes_nothing(ax.xaxis)
    ax.set_xlabel("")
    ax.minorticks_on()  # minor labels follow their own settings
    ax.tick_params(axis="x", which="minor", labelbottom=True)
    assert not _writes_nothing(ax.xaxis)
