"""The timeline plot: drawn from a Record alone, one lane per instance, every fault marked.

Figures are inspected through their artists (tick labels, legend entries, texts, lines), so
the tests check what a reader would see without comparing pixels.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import MULTI_AZ, REPO, SCENARIOS, SINGLE_AZ, run_yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from rdssim.metrics import client_downtime, failovers, probe_outages, summarize
from rdssim.plot import plot_timeline
from rdssim.plot.labels import stagger
from rdssim.plot.reading import marker_label, outages, outcome_runs
from rdssim.plot.style import MARKER_STYLES
from rdssim.plot.windows import windows
from rdssim.record import Attempts, Event, InstanceInfo, Record
from rdssim.scenario import load_scenario
from rdssim.sim import run

PHASE_ENTRIES = ("detection", "promotion", "dns")


# -- records, run once per module ----------------------------------------------------------
def bundled(name: str, variant: str = "base") -> Record:
    return run(load_scenario(SCENARIOS / f"{name}.yaml").variants[variant])


@pytest.fixture(scope="module")
def host_crash() -> Record:
    return bundled("multi_az_failover")


@pytest.fixture(scope="module")
def reboot() -> Record:
    return bundled("reboot_with_failover")


@pytest.fixture(scope="module")
def single_az() -> Record:
    return bundled("storage_failure", "single_az")


@pytest.fixture(scope="module")
def quiet() -> Record:
    """No faults at all: nothing to mark, no failover."""
    return run_yaml("name: quiet\nduration: 10m\n" + MULTI_AZ)


# Each record is drawn once per module; the tests only read the figures.
@pytest.fixture(scope="module")
def host_crash_png(
    host_crash: Record, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Figure, Path]:
    path = tmp_path_factory.mktemp("plot") / "timeline.png"
    return plot_timeline(host_crash, path), path


@pytest.fixture(scope="module")
def figure(
    request: pytest.FixtureRequest, host_crash_png: tuple[Figure, Path]
) -> Callable[[str], Figure]:
    """The figure of a record fixture, by the fixture's name, drawn on first use."""
    drawn = {"host_crash": host_crash_png[0]}

    def get(name: str) -> Figure:
        if name not in drawn:
            drawn[name] = plot_timeline(request.getfixturevalue(name))
        return drawn[name]

    return get


# -- reading a figure ----------------------------------------------------------------------
def texts(fig: Figure) -> list[str]:
    """Every piece of text in the figure, stripped (labels are padded with spaces)."""
    return [t.get_text().strip() for t in fig.findobj(Text) if t.get_text().strip()]


def legend_entries(fig: Figure) -> list[str]:
    out: list[str] = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def lane_axes(fig: Figure) -> list[Axes]:
    """The lanes of each panel: the axes naming the instances, and those sharing their y."""
    named = [
        ax for ax in fig.axes if any("(us-east-1" in t.get_text() for t in ax.get_yticklabels())
    ]
    assert len(named) == 1, "the instances should be named once, at the left"
    first = named[0]
    return [ax for ax in fig.axes if ax is first or ax.get_shared_y_axes().joined(ax, first)]


def vertical_lines_at(ax: Axes) -> set[float]:
    """x of every vertical line drawn on ``ax`` (axvline)."""
    out = set()
    for line in ax.get_lines():
        xs = np.asarray(line.get_xdata(), dtype=float)
        if xs.size == 2 and xs[0] == xs[1]:
            out.add(round(float(xs[0]), 6))
    return out


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- the file ------------------------------------------------------------------------------
def test_png_is_written_and_the_figure_returned(host_crash_png: tuple[Figure, Path]) -> None:
    fig, path = host_crash_png
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 30_000  # a real picture, not an empty canvas
    width, height = png_size(path)
    assert 1300 <= width <= 1600 and 420 <= height <= 860  # about 12 x 5 in at 120 dpi


def test_no_path_writes_nothing_and_leaves_pyplot_alone(quiet: Record, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_timeline(quiet)
    assert plt.get_fignums() == before
    assert list(tmp_path.iterdir()) == []


# -- lanes, legends, title -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["host_crash", "single_az"])
def test_one_lane_per_instance(
    name: str, request: pytest.FixtureRequest, figure: Callable[[str], Figure]
) -> None:
    record: Record = request.getfixturevalue(name)
    fig = figure(name)
    expected = [f"{i.name} ({i.az})" for i in record.instances]
    lanes = lane_axes(fig)
    assert [t.get_text() for t in lanes[0].get_yticklabels()] == expected
    for ax in lanes:
        assert list(ax.get_yticks()) == list(range(len(expected)))


def test_state_legend_lists_exactly_the_states_drawn(
    host_crash: Record, figure: Callable[[str], Figure]
) -> None:
    drawn = {s for i in host_crash.instances for *_, s in host_crash.state_intervals(i.name)}
    entries = legend_entries(figure("host_crash"))
    assert {e for e in entries if e in drawn} == drawn
    # A state held for no time is not drawn, so it is not explained either.
    assert "stopped" not in entries


def test_title_names_scenario_variant_seed_and_deployment(
    figure: Callable[[str], Figure],
) -> None:
    found = texts(figure("single_az"))
    assert any(t.startswith("storage_failure [single_az] — seed 1") for t in found)
    assert any("single-az" in t and "mysql" in t for t in found)


# -- failover phases -----------------------------------------------------------------------
def test_failover_phases_are_in_the_legend_and_the_total_is_written(
    host_crash: Record, figure: Callable[[str], Figure]
) -> None:
    fig = figure("host_crash")
    entries = legend_entries(fig)
    for phase in PHASE_ENTRIES:
        assert any(e.startswith(f"{phase}:") for e in entries), entries
    (fo,) = failovers(host_crash)
    assert fo.failover_s is not None
    assert f"failover {fo.failover_s:.1f} s" in texts(fig)


def test_no_phase_legend_without_a_failover(
    quiet: Record, single_az: Record, figure: Callable[[str], Figure]
) -> None:
    for name, record in (("quiet", quiet), ("single_az", single_az)):
        assert not failovers(record)
        entries = legend_entries(figure(name))
        assert not any(e.startswith(f"{p}:") for p in PHASE_ENTRIES for e in entries)


def test_a_short_failover_in_a_long_incident_gets_a_close_up() -> None:
    record = bundled("az_outage", "az_outage")
    overview, close = windows(record)
    (fo,) = failovers(record)
    assert fo.failover_s is not None
    assert close.close_up and close.start_s < fo.trigger_s
    assert close.end_s > fo.trigger_s + fo.failover_s
    assert close.end_s - close.start_s < 0.1 * (overview.end_s - overview.start_s)
    fig = plot_timeline(record)
    assert "close-up of the failover" in texts(fig)
    assert len(lane_axes(fig)) == 2


def test_a_run_without_faults_is_drawn_whole_in_one_panel(
    quiet: Record, figure: Callable[[str], Figure]
) -> None:
    (win,) = windows(quiet)
    assert (win.start_s, win.end_s) == (0.0, quiet.duration_s)
    fig = figure("quiet")
    assert len(lane_axes(fig)) == 1
    assert "seconds since the start of the run" in texts(fig)


# -- markers and time axis -----------------------------------------------------------------
def test_every_fault_and_action_is_marked_and_labelled(
    reboot: Record, figure: Callable[[str], Figure]
) -> None:
    events = [e for e in reboot.events if e.kind in MARKER_STYLES]
    assert {e.kind for e in events} == {"action", "action-abandoned"}
    fig = figure("reboot")
    found = texts(fig)
    t0 = events[0].time_s
    overview = lane_axes(fig)[0]
    for event in events:
        assert marker_label(event) in found
        assert round(event.time_s - t0, 6) in vertical_lines_at(overview)
    assert "reboot w/ failover" in found and "reboot w/ failover abandoned (0034)" in found


def test_time_is_counted_from_the_first_fault(figure: Callable[[str], Figure]) -> None:
    fig = figure("host_crash")
    assert "seconds from fault (host-crash db-1)" in texts(fig)
    overview = lane_axes(fig)[0]
    low, high = overview.get_xlim()
    assert low == pytest.approx(-60.0)  # the overview starts a minute before the fault
    assert high > 0
    assert 0.0 in vertical_lines_at(overview)


def test_marker_labels_say_what_happened() -> None:
    record = run_yaml(
        "name: az\nduration: 20m\n"
        + MULTI_AZ
        + "faults:\n  - {at: 2m, kind: az-outage, az: us-east-1a, duration: 5m}\n"
    )
    labels = [marker_label(e) for e in record.events if e.kind in MARKER_STYLES]
    assert labels == ["AZ us-east-1a dark", "AZ us-east-1a back"]
    found = texts(plot_timeline(record))
    assert "AZ us-east-1a dark" in found and "AZ us-east-1a back" in found


@pytest.mark.parametrize(
    ("kind", "rds_event", "data", "label"),
    [
        (
            "action-abandoned",
            "RDS-EVENT-0034",
            {"fault_kind": "reboot-with-failover"},
            "reboot w/ failover abandoned (0034)",
        ),
        ("action-abandoned", "RDS-EVENT-0034", {}, "0034 abandoned"),
        (
            "action-rejected",
            None,
            {"fault_kind": "reboot-with-failover"},
            "reboot w/ failover rejected",
        ),
        ("action-rejected", None, {"fault_kind": "reboot"}, "reboot rejected"),
        ("action-rejected", None, {}, "action rejected"),
    ],
)
def test_a_refused_action_is_named_when_the_event_says_which(
    kind: str, rds_event: str | None, data: dict[str, str], label: str
) -> None:
    event = Event(60.0, "schedule", kind, "not carried out", rds_event, data)
    assert marker_label(event) == label


# -- the probe strip -----------------------------------------------------------------------
def test_probe_downtime_matches_the_metric(host_crash: Record, single_az: Record) -> None:
    for record in (host_crash, single_az):
        total, recovered = client_downtime(record)
        spans = outages(record)
        assert total == pytest.approx(sum(o.end_s - o.start_s for o in spans))
        assert recovered == all(o.recovered for o in spans)
        # The summary lists the same outages, numbered.
        listed = summarize(record).probe_outages
        assert [(o["number"], o["start_s"], o["recovered"]) for o in listed] == [
            (n, o.start_s, o.recovered) for n, o in enumerate(spans, 1)
        ]
        assert sum(o["downtime_s"] for o in listed) == pytest.approx(total)


def test_probe_strip_names_its_outcomes_and_downtime(
    single_az: Record, figure: Callable[[str], Figure]
) -> None:
    fig = figure("single_az")
    entries = legend_entries(fig)
    # One legend entry per outcome the probe saw: the failed volume hangs its requests,
    # the restored instance refuses them while it is created.
    seen = {
        o.outcome if o.error is None else f"{o.outcome} ({o.error})" for o in single_az.operations
    }
    assert seen == {"ok", "unknown (read-timeout)", "fail (refused)"}
    assert seen <= set(entries)
    total, _ = client_downtime(single_az)
    assert total is not None
    assert any(t.startswith("probe downtime") and f"{total:.0f} s" in t for t in texts(fig))


def test_the_probe_outages_of_hand_made_attempts() -> None:
    # ok 0-9 s; refused 10-14; ok from 15 (its first answer at 15.01); timeouts from 20 to
    # the end (30 s): two outages, the second still open.
    record = Record({"duration_s": 30.0}, [InstanceInfo("db-1", "us-east-1a")])
    for stretch in (
        Attempts("probe", 0.0, 1.0, 10, 0.01, "ok"),
        Attempts("probe", 10.0, 1.0, 5, 0.5, "fail", "refused"),
        Attempts("probe", 15.0, 1.0, 5, 0.01, "ok"),
        Attempts("probe", 20.0, 2.0, 5, 2.0, "fail", "connect-timeout"),
    ):
        record.add(stretch)
    listed = probe_outages(record)
    assert [(o["number"], o["start_s"], o["recovered"]) for o in listed] == [
        (1, 10.0, True),
        (2, 20.0, False),
    ]
    assert [o["downtime_s"] for o in listed] == pytest.approx([5.01, 10.0])
    assert client_downtime(record) == (pytest.approx(15.01), False)
    assert [(o.start_s, o.end_s, o.recovered) for o in outages(record)] == [
        (10.0, 15.01, True),
        (20.0, 30.0, False),
    ]


def test_outcome_runs_tile_the_attempts() -> None:
    runs = [
        Attempts("probe", 0.0, 1.0, 2, 0.01, "ok"),
        Attempts("probe", 2.0, 5.0, 1, 5.0, "fail", "connect-timeout"),
        Attempts("probe", 7.0, 5.0, 1, 5.0, "fail", "read-timeout"),
        Attempts("probe", 12.0, 1.0, 1, 0.01, "ok"),
    ]
    assert outcome_runs(runs, 100.0) == [("ok", 0.0, 2.0), ("fail", 2.0, 12.0), ("ok", 12.0, 12.01)]


def test_probe_ticks_are_drawn_only_where_they_can_be_told_apart() -> None:
    from rdssim.plot.lanes import MAX_TICKS, attempt_starts
    from rdssim.plot.windows import Window

    day = [Attempts("probe", 0.0, 1.0, 86_400, 0.005, "ok")]
    starts = attempt_starts(day, "ok", Window(100.5, 110.0))
    assert starts is not None and starts.tolist() == [float(t) for t in range(101, 111)]
    assert attempt_starts(day, "ok", Window(0.0, 86_400.0)) is None  # > MAX_TICKS: none listed
    assert attempt_starts(day, "ok", Window(0.0, MAX_TICKS - 1.0)) is not None
    empty = attempt_starts(day, "fail", Window(0.0, 10.0))
    assert empty is not None and empty.size == 0


# -- label stacking ------------------------------------------------------------------------
def test_stagger_stacks_only_labels_that_would_overlap() -> None:
    assert stagger([(0, 50), (100, 150), (200, 250)]) == [0, 0, 0]
    assert stagger([(0, 50), (20, 80), (40, 90), (100, 150)]) == [0, 1, 2, 0]
    assert stagger([(0, 50), (53, 80)], gap=6) == [0, 1]  # too close to read as two labels


# -- the Record is the only input ----------------------------------------------------------
def test_a_record_loaded_back_from_json_lines_plots_the_same(
    reboot: Record, figure: Callable[[str], Figure], tmp_path: Path
) -> None:
    path = tmp_path / "record.jsonl"
    reboot.to_jsonl(path)
    loaded = Record.from_jsonl(path)
    assert texts(plot_timeline(loaded)) == texts(figure("reboot"))


def test_the_plot_package_never_imports_the_model() -> None:
    imported = set()
    for path in (REPO / "rdssim" / "plot").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert "rdssim.plot.timeline" in imported  # the package's modules were read
    assert not {m for m in imported if m.startswith(("rdssim.model", "rdssim.sim"))}
    assert "matplotlib.pyplot" not in imported


def test_single_az_lane_and_no_close_up() -> None:
    record = run_yaml(
        "name: one\nduration: 15m\n"
        + SINGLE_AZ
        + "faults:\n  - {at: 1m, kind: host-crash, target: primary}\n"
    )
    fig = plot_timeline(record)
    lanes = lane_axes(fig)
    assert len(lanes) == 1
    assert [t.get_text() for t in lanes[0].get_yticklabels()] == ["db-1 (us-east-1a)"]
    assert any(t.startswith("recovery ") for t in texts(fig))


def test_a_failover_cut_off_by_the_end_of_the_run_is_drawn_unfinished() -> None:
    record = run_yaml(
        "name: cut\nduration: 5m45s\n"
        + MULTI_AZ
        + "faults:\n  - {at: 5m, kind: host-crash, target: primary}\n"
    )
    (fo,) = failovers(record)
    assert fo.failover_s is None
    found = texts(plot_timeline(record))
    assert "failover unfinished" in found
    assert any(t.startswith("probe downtime") and "still down" in t for t in found)


def test_a_bare_hand_made_record_still_plots(tmp_path: Path) -> None:
    """No states, events or attempts: an empty lane, no markers, and no crash."""
    record = Record(
        {"scenario": "bare", "variant": "base", "seed": 0, "duration_s": 60.0},
        [InstanceInfo("db-1", "us-east-1a")],
    )
    fig = plot_timeline(record, tmp_path / "bare.png")
    assert (tmp_path / "bare.png").exists()
    assert [t.get_text() for t in lane_axes(fig)[0].get_yticklabels()] == ["db-1 (us-east-1a)"]


def test_with_client_groups_the_timeline_shows_their_downtime_under_its_name() -> None:
    # client_timeouts: the same failover, three client settings. The probe's downtime and
    # each group's are the summary's numbers, under their names; the three timelines differ.
    scenarios = load_scenario(SCENARIOS / "client_timeouts.yaml")
    shown = {}
    for name, spec in scenarios.variants.items():
        record = run(spec, 1)
        summary = summarize(record)
        fig = plot_timeline(record)
        found = texts(fig)
        assert summary.probe_downtime_s is not None
        assert any(t == f"probe downtime {summary.probe_downtime_s:.1f} s" for t in found)
        assert summary.clients is not None
        app_s = summary.clients.client_downtime_by_group["app"]
        labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
        assert f"app: client-observed\ndowntime {app_s:,.1f} s" in labels
        shown[name] = app_s
    assert len(set(shown.values())) == 3 and max(shown.values()) > 900
