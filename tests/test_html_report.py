"""The HTML report: its content against the Record and the summary, the commands that write
it, and the page itself in a real headless browser (the system's Chromium)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import rdssim
from rdssim.cli import app
from rdssim.html import render, write
from rdssim.html.timeline import EVENT_ROW, FAULT_ROW, build_figure, lane_label
from rdssim.metrics import summarize
from rdssim.outdir import MARKER
from rdssim.record import Record
from rdssim.report import summary_rows

runner = CliRunner()
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("RDSSIM_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def proxy() -> dict[str, Record]:
    """Two variants with client groups: direct and through RDS Proxy."""
    return {n: r.record for n, r in rdssim.run_all("proxy_vs_direct_failover").items()}


@pytest.fixture(scope="module")
def storage() -> dict[str, Record]:
    """Two variants with different instances: with a standby, and a restore without one."""
    return {n: r.record for n, r in rdssim.run_all("storage_failure").items()}


class Page(HTMLParser):
    """The tables of a report page: each table's rows as lists of cell texts, with each
    row's attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[dict[str, str], list[str]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = found.get("class", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append((found, []))
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1][1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


# -- the page's content -----------------------------------------------------------------------
def test_summary_table_is_the_terminals_rows(proxy: dict[str, Record]) -> None:
    page = Page(render(proxy))
    header, *rows = page.tables["summary"]
    assert header[1] == ["metric", *proxy]
    summaries = {name: summarize(record) for name, record in proxy.items()}
    expected = [[label.strip(), *cells] for label, cells in summary_rows(summaries)]
    assert [cells for _, cells in rows] == expected


def test_summary_numbers_are_the_summarys(storage: dict[str, Record]) -> None:
    """Each headline row shows its summary key's value, for every variant."""
    page = Page(render(storage))
    shown = {cells[0]: cells[1:] for _, cells in page.tables["summary"][1:]}
    keys = {
        "failover time (s)": "failover_s",
        "detection (s)": "detection_s",
        "writer unavailable (s)": "writer_unavailable_s",
        "client-observed downtime (s)": "client_downtime_s",
        "committed txns lost (RPO)": "rpo_txns",
        "failovers": "failovers",
    }
    for label, key in keys.items():
        for cell, record in zip(shown[label], storage.values(), strict=True):
            value = summarize(record)[key]
            if value is None:
                assert cell == "—"
            else:
                assert float(cell.replace(",", "")) == pytest.approx(value, abs=0.05), label
    assert shown["failovers"] == ["1", "0"]  # a standby fails over; a Single-AZ restores


def test_every_event_of_every_variant_is_in_the_log(proxy: dict[str, Record]) -> None:
    _, *rows = Page(render(proxy)).tables["events"]
    expected = [(name, e) for name, record in proxy.items() for e in record.events]
    assert len(rows) == len(expected)
    for (attrs, cells), (name, event) in zip(rows, expected, strict=True):
        assert cells[0] == name and attrs["data-variant"] == name
        assert cells[1] == f"{event.time_s:.3f}"
        assert cells[3] == (event.rds_event or "—")
        assert (cells[4], cells[5], cells[6]) == (event.source, event.kind, event.message)
    # The summary's event log (what rdssim run prints) is marked, and it is all there.
    logged = [cells for attrs, cells in rows if attrs["data-logged"] == "1"]
    assert len(logged) == sum(len(summarize(r).events) for r in proxy.values())


def test_times_from_the_origin_are_the_timebases(storage: dict[str, Record]) -> None:
    _, *rows = Page(render(storage)).tables["events"]
    faults = [cells for _, cells in rows if cells[5] == "fault"]
    assert [cells[2] for cells in faults] == ["+0.000", "+0.000"]


def test_every_instance_has_a_lane_with_its_states(storage: dict[str, Record]) -> None:
    figure = build_figure(storage)
    for col, (name, record) in enumerate(storage.items(), start=1):
        axis = figure.layout["yaxis" if col == 1 else f"yaxis{col}"]
        labels = list(axis.ticktext)
        assert labels[:2] == [FAULT_ROW, EVENT_ROW]
        for info in record.instances:
            row = labels.index(lane_label(record, info.name))
            bars = [
                t
                for t in figure.data
                if t.type == "bar"
                and t.xaxis == ("x" if col == 1 else f"x{col}")
                and t.meta == {"lane": "state"}
            ]
            drawn = sum(width for t in bars for y, width in zip(t.y, t.x, strict=True) if y == row)
            held = sum(end - start for start, end, *_ in record.state_intervals(info.name))
            assert drawn == pytest.approx(held), (name, info.name)


def test_the_first_view_is_the_incident(proxy: dict[str, Record]) -> None:
    figure = build_figure(proxy)
    start, end = figure.layout.xaxis.range
    assert start < 0 < end  # the first fault or action is t = 0
    failover = summarize(proxy["direct"]).failover_s
    assert failover is not None and end > failover
    assert end - start < 0.5 * next(iter(proxy.values())).duration_s
    assert figure.layout.xaxis2.matches == "x"  # the variants zoom together
    labels = [b.label for b in figure.layout.updatemenus[0].buttons]
    assert labels == ["zoom to the incident", "overview", "whole run"]


def test_the_page_is_self_contained(proxy: dict[str, Record]) -> None:
    page = render(proxy)
    assert "<script src" not in page and "<link" not in page  # nothing to fetch
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined
    assert render(proxy) == page  # the same Record, the same page, byte for byte


def test_text_from_the_record_is_escaped() -> None:
    """In the log and in the timeline's tooltips: a message is text, never markup."""
    record = rdssim.run("multi_az_failover", seed=1).record
    fault = next(i for i, e in enumerate(record.events) if e.kind == "fault")
    record.events[fault] = dataclasses.replace(record.events[fault], message="<b>x</b> & <i>")
    page = render({"base": record})
    assert "<b>x</b> & <i>" not in page
    assert "<td>&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;</td>" in page  # the log
    tooltips = [text for t in build_figure({"base": record}).data for text in t.hovertext or ()]
    assert any("&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;" in text for text in tooltips)


def test_result_to_html(tmp_path: Path) -> None:
    result = rdssim.run("multi_az_failover", seed=1)
    path = result.to_html(tmp_path / "one.html")
    assert path.read_text(encoding="utf-8") == render({"base": result.record})


# -- the commands -------------------------------------------------------------------------------
def _run(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", "proxy_vs_direct_failover", "--no-plot", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def test_run_html_writes_the_report_beside_the_artefacts(tmp_path: Path) -> None:
    out = _run(tmp_path, "--html")
    report = out / "report.html"
    assert report.is_file()
    assert "report.html" in json.loads((out / MARKER).read_text())["files"]
    page = Page(report.read_text(encoding="utf-8"))
    assert page.tables["summary"][0][1] == ["metric", "direct", "proxy"]


def test_report_rewrites_the_same_page_from_the_saved_records(tmp_path: Path) -> None:
    out = _run(tmp_path, "--html")
    written = (out / "report.html").read_text(encoding="utf-8")
    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'report.html'}" in result.output
    assert (out / "report.html").read_text(encoding="utf-8") == written
    elsewhere = tmp_path / "elsewhere.html"
    result = runner.invoke(app, ["report", str(out), "--out", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert elsewhere.read_text(encoding="utf-8") == written


def test_a_report_added_later_does_not_stop_the_next_run(tmp_path: Path) -> None:
    out = _run(tmp_path)
    assert not (out / "report.html").exists()
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert "report.html" in json.loads((out / MARKER).read_text())["files"]
    _run(tmp_path)  # rdssim wrote every file there: it may replace the folder
    assert not (out / "report.html").exists()


def _broken(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "broken"
    if case == "missing":
        return folder
    folder.mkdir()
    if case == "empty":
        return folder
    (folder / "summary.json").write_text("{}")
    if case == "corrupt":
        (folder / "record.jsonl").write_text("not json\n")
    return folder


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "no such folder (expected a folder rdssim run wrote)"),
        ("empty", "no summary.json: not a folder rdssim run wrote"),
        ("no-record", "no record.jsonl here or in a variant's folder"),
        ("corrupt", "not a Record rdssim wrote"),
    ],
)
def test_a_bad_run_dir_is_one_line_and_exit_2(tmp_path: Path, case: str, expected: str) -> None:
    folder = _broken(tmp_path, case)
    before = sorted(folder.rglob("*")) if folder.exists() else None
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and expected in result.stderr
    assert str(folder) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output + result.stderr
    assert (sorted(folder.rglob("*")) if folder.exists() else None) == before  # nothing written


def _damaged_run(tmp_path: Path, case: str) -> Path:
    """A run of two variants, saved whole, then damaged in one way."""
    out = _run(tmp_path)
    if case == "summary not JSON":
        (out / "summary.json").write_text("{not json", encoding="utf-8")
    elif case == "summary a list":
        (out / "summary.json").write_text("[1]", encoding="utf-8")
    elif case == "variant folder missing":
        for path in sorted((out / "proxy").iterdir()):
            path.unlink()
        (out / "proxy").rmdir()
    elif case == "record cut at a line break":
        record = out / "proxy" / "record.jsonl"
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        record.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    elif case == "record empty":
        (out / "direct" / "record.jsonl").write_text("", encoding="utf-8")
    elif case == "record line not an object":
        with (out / "direct" / "record.jsonl").open("a", encoding="utf-8") as handle:
            handle.write("7\n")
    return out


@pytest.mark.parametrize("command", ["report", "plot"])
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("summary not JSON", "summary.json: not JSON"),
        ("summary a list", "summary.json: not the summary rdssim run writes"),
        ("variant folder missing", "proxy/record.jsonl: missing"),
        ("record cut at a line break", "proxy/record.jsonl: not a Record rdssim wrote (cut short"),
        ("record empty", "direct/record.jsonl: not a Record rdssim wrote (the file is empty)"),
        ("record line not an object", "direct/record.jsonl: not a Record rdssim wrote (line"),
    ],
)
def test_a_damaged_run_dir_is_one_line_and_exit_2(
    tmp_path: Path, command: str, case: str, expected: str
) -> None:
    """A damaged folder is refused, naming the file, not drawn or reported as a smaller run
    (a missing variant, a record cut at a line break) nor a traceback (an empty record)."""
    folder = _damaged_run(tmp_path, case)
    before = {path: path.stat().st_mtime_ns for path in folder.rglob("*")}
    result = runner.invoke(app, [command, str(folder)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output + result.stderr
    assert {path: path.stat().st_mtime_ns for path in folder.rglob("*")} == before


def test_plots_drawn_later_do_not_stop_the_next_run(tmp_path: Path) -> None:
    """rdssim plot adds what it draws to the folder's marker, as rdssim report does: a run
    written with --no-plot, plotted later, may still be replaced by the next run."""
    out = _run(tmp_path)
    assert runner.invoke(app, ["plot", str(out)]).exit_code == 0
    files = json.loads((out / MARKER).read_text())["files"]
    assert {"timeline_compare.png", "proxy/timeline.png", "direct/clients.png"} <= set(files)
    _run(tmp_path)  # rdssim wrote every file there: it may replace the folder
    assert not (out / "timeline_compare.png").exists()


def test_plot_that_cannot_write_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = _run(tmp_path)
    (out / "proxy" / "timeline.png").mkdir()  # where a plot must go
    result = runner.invoke(app, ["plot", str(out)])
    assert result.exit_code == 2, result.output
    assert "proxy/timeline.png: cannot write there" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_report_out_that_is_a_link_or_a_device_is_refused(tmp_path: Path) -> None:
    """The page is renamed into place: over a symbolic link or a device it would replace the
    link or the device itself (as root, --out /dev/null made /dev/null an HTML file)."""
    out = _run(tmp_path)
    link = tmp_path / "link.html"
    link.symlink_to(tmp_path / "elsewhere.html")
    for target in (str(link), os.devnull):
        result = runner.invoke(app, ["report", str(out), "--out", target])
        assert result.exit_code == 2, result.output
        assert "exists and is not a regular file" in result.stderr
    assert link.is_symlink() and not (tmp_path / "elsewhere.html").exists()
    assert Path(os.devnull).is_char_device()


def test_report_does_not_overwrite_a_file_that_is_not_a_page(tmp_path: Path) -> None:
    """--out RUN_DIR/summary.json replaced the run's summary with the page (and the folder
    could not be plotted or reported again); an existing .html file is replaced."""
    out = _run(tmp_path)
    for victim in (out / "summary.json", out / "proxy" / "record.jsonl"):
        before = victim.read_bytes()
        result = runner.invoke(app, ["report", str(out), "--out", str(victim)])
        assert result.exit_code == 2, result.output
        assert "exists and is not an HTML file" in result.stderr
        assert victim.read_bytes() == before
    page = tmp_path / "old.html"
    page.write_text("old", encoding="utf-8")
    assert runner.invoke(app, ["report", str(out), "--out", str(page)]).exit_code == 0
    assert page.stat().st_size > 1_000_000


@pytest.mark.parametrize("command", ["report", "plot"])
def test_a_run_dir_name_too_long_is_one_line_and_exit_2(command: str) -> None:
    result = runner.invoke(app, [command, "x" * 300])
    assert result.exit_code == 2, result.output
    assert "cannot read it (File name too long)" in result.stderr


def test_a_bad_out_file_is_exit_2(tmp_path: Path) -> None:
    out = _run(tmp_path)
    result = runner.invoke(app, ["report", str(out), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    result = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == 2 and "no such folder" in result.stderr


def test_run_without_html_does_not_import_plotly(tmp_path: Path) -> None:
    args = ["run", "multi_az_failover", "--no-plot", "--out", str(tmp_path / "r")]
    script = (
        "import sys\nfrom rdssim.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "print('plotly' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


# -- the page in a real browser -------------------------------------------------------------------
def _skip_or_fail(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}, and RDSSIM_REQUIRE_BROWSER=1 asks for the browser test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_page(
    tmp_path_factory: pytest.TempPathFactory, proxy: dict[str, Record]
) -> Iterator[Any]:
    """The proxy-vs-direct report open in headless Chromium, with what it logged."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    path = write(tmp_path_factory.mktemp("html") / "report.html", proxy)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        fetched: list[str] = []
        page.on("request", lambda r: None if r.url.startswith("file:") else fetched.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_selector("#timeline .main-svg")
        page.problems, page.fetched = problems, fetched  # type: ignore[attr-defined]
        yield page
        browser.close()


def _tooltip(page: Any, element: Any) -> str:
    """The text of the tooltip the mouse on ``element`` shows ("" for none)."""
    tooltip = "#timeline .hoverlayer .hovertext"
    # Off the plot first, until the last tooltip is gone: never read a stale one.
    page.mouse.move(0, 0)
    page.wait_for_selector(tooltip, state="detached", timeout=5000)
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    try:
        page.wait_for_selector(tooltip, timeout=3000)  # generous: the machine may be busy
    except Exception:  # no tooltip here
        return ""
    return str(page.text_content("#timeline .hoverlayer"))


def test_the_page_loads_offline_without_errors(browser_page: Any) -> None:
    assert browser_page.problems == []
    assert browser_page.fetched == []  # nothing from a server or the network


def test_the_timeline_has_a_lane_per_instance_in_each_variant(
    browser_page: Any, proxy: dict[str, Record]
) -> None:
    ticks = browser_page.eval_on_selector_all(
        "#timeline .yaxislayer-above text", "els => els.map(e => e.textContent)"
    )
    for record in proxy.values():
        for info in record.instances:
            assert ticks.count(lane_label(record, info.name)) == len(proxy)
    bars = browser_page.query_selector_all("#timeline .barlayer .point path")
    assert len(bars) >= sum(len(r.states) for r in proxy.values())


def test_hovering_an_event_marker_shows_its_events(browser_page: Any) -> None:
    expected = {
        "the action": lambda t: "RebootDBInstance ForceFailover=true" in t,
        "0013": lambda t: "RDS-EVENT-0013" in t and "Multi-AZ instance failover started." in t,
        "0049": lambda t: "RDS-EVENT-0049" in t and "+61.416 s from fault/action" in t,
    }
    found: set[str] = set()
    for point in browser_page.query_selector_all("#timeline .scatterlayer .points path.point"):
        text = _tooltip(browser_page, point)
        found |= {name for name, holds in expected.items() if holds(text)}
        if found == set(expected):
            break
    assert found == set(expected)


def test_hovering_a_lane_shows_its_state(browser_page: Any) -> None:
    """The first variant's "promoting" bar (db-2 taking over) tells its state and role."""
    k = browser_page.evaluate(
        """() => document.getElementById("timeline").data
            .filter(t => t.type === "bar" && t.xaxis === "x")
            .findIndex(t => t.name === "promoting")"""
    )
    bar = browser_page.query_selector(
        f"#timeline .subplot.xy .barlayer .trace:nth-child({k + 1}) .point path"
    )
    text = _tooltip(browser_page, bar)
    assert re.search(r"db-2: promoting \(role primary\)from \+12\.790 s to \+52\.563 s", text)


def test_the_zoom_buttons_and_the_log_filter_work(browser_page: Any) -> None:
    def span() -> list[float]:
        return list(browser_page.evaluate("document.getElementById('timeline').layout.xaxis.range"))

    incident = span()
    browser_page.get_by_text("whole run").click()
    browser_page.wait_for_function(
        f"document.getElementById('timeline').layout.xaxis.range[0] < {incident[0] - 1}"
    )
    assert span()[1] - span()[0] > 500  # the whole 600 s run
    browser_page.get_by_text("zoom to the incident").click()
    browser_page.wait_for_function(
        f"document.getElementById('timeline').layout.xaxis.range[0] == {incident[0]}"
    )
    shown = browser_page.inner_text("#shown")
    browser_page.uncheck("#only-log")
    everything = browser_page.inner_text("#shown")
    total = int(everything.split(" of ")[1].split()[0])
    assert shown != everything and everything.startswith(f"{total} of {total}")


def test_reports_written_to_one_place_at_once_each_land_whole(
    proxy: dict[str, Record], tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from rdssim.html import write

    target = tmp_path / "report.html"
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: write(target, proxy), range(4)))
    page = target.read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and page == write(target, proxy).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no scratch left
    assert target.stat().st_mode & 0o777 == 0o644


def test_the_failover_row_says_first_when_a_run_had_several() -> None:
    # failover_s is the first failover's; with five in a year the row must not read as all.
    year = rdssim.run("year_of_failures", seed=7).summary
    assert year.failovers > 1
    (label, cells), *_ = summary_rows({"base": year})
    assert label == "first failover time (s)" and cells == [f"{year.failover_s:,.1f}"]
    one = rdssim.run("multi_az_failover").summary
    assert one.failovers == 1
    assert summary_rows({"base": one})[0][0] == "failover time (s)"
