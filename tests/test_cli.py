"""The rdssim command: runs, artefacts, and every class of bad input (exit 2, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.outdir import MARKER

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()

GOOD = """\
name: tiny
duration: 10m
deployment:
  type: multi-az-instance
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: standby}
workload:
  phases:
    - {start: 0s, writes_per_s: 100}
faults:
  - {at: 2m, kind: host-crash, target: db-1}
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_prints_summary_and_writes_artefacts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(write(tmp_path, GOOD)), "--out", str(out), "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    for label in ("failover time", "detection", "promotion", "dns", "client-observed downtime"):
        assert label in result.output
    assert "RDS-EVENT-0013" in result.output and "RDS-EVENT-0049" in result.output
    assert {p.name for p in out.iterdir()} == {
        MARKER,
        "record.jsonl",
        "events.csv",
        "summary.json",
        "timeline.png",
    }
    assert (out / "timeline.png").stat().st_size > 10_000
    events = (out / "events.csv").read_text()
    assert "RDS-EVENT-0052" in events and "failover-promoted" in events


def test_json_summary_has_the_documented_keys(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = runner.invoke(
        app, ["run", str(path), "--out", str(tmp_path / "o"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    keys = [
        "failover_s",
        "detection_s",
        "promotion_s",
        "dns_s",
        "writer_unavailable_s",
        "client_downtime_s",
        "degraded_s",
        "rpo_txns",
        "seed",
        "scenario",
    ]
    assert set(keys) <= set(summary)
    assert summary["scenario"] == "tiny" and summary["seed"] == 0
    parts = summary["detection_s"] + summary["promotion_s"] + summary["dns_s"]
    assert summary["failover_s"] == pytest.approx(parts)
    assert summary["rpo_txns"] == 0
    saved = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert saved == summary


def test_variants_are_keyed_by_name_and_share_the_seed(tmp_path: Path) -> None:
    text = GOOD + (
        "variants:\n"
        "  ttl: {probe: {dns_cache: ttl}}\n"
        "  jdk: {probe: {dns_cache: fixed, dns_cache_for: 30s}}\n"
    )
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["run", str(write(tmp_path, text)), "--out", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert list(summary["variants"]) == ["ttl", "jdk"]
    ttl, jdk = summary["variants"]["ttl"], summary["variants"]["jdk"]
    # Same seed, same failure: the server side is identical, only the client differs.
    assert ttl["failover_s"] == jdk["failover_s"]
    assert jdk["client_downtime_s"] >= ttl["client_downtime_s"]
    assert (out / "ttl" / "timeline.png").exists() and (out / "jdk" / "record.jsonl").exists()


def test_python_dash_m_behaves_like_the_command(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = subprocess.run(
        [sys.executable, "-m", "rdssim", "validate", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "ok" in result.stdout


def test_validate_and_list() -> None:
    result = runner.invoke(app, ["validate", str(SCENARIOS / "storage_failure.yaml")])
    assert result.exit_code == 0
    assert "multi_az, single_az" in result.output
    listing = runner.invoke(app, ["list"])
    assert listing.exit_code == 0
    for name in ("multi_az_failover", "reboot_with_failover", "az_outage", "storage_failure"):
        assert name in listing.output
    assert "INVALID" not in listing.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "name: x\nduration: 10m\ndeployment: {type: single-az\nfaults: []\n",
            [":4:", "not valid YAML"],
            id="malformed-yaml",
        ),
        pytest.param(
            GOOD.replace("target: db-1", "targte: db-1"),
            [":12:", "faults[0].targte", "unknown key"],
            id="unknown-key",
        ),
        pytest.param(
            GOOD.replace("writes_per_s: 100", "writes_per_s: lots"),
            [":10:", "workload.phases[0].writes_per_s", "number"],
            id="wrong-type",
        ),
        pytest.param(
            GOOD.replace("duration: 10m", "duration: -10m"),
            [":2:", "duration", "non-negative"],
            id="negative-duration",
        ),
        pytest.param(
            GOOD.replace("at: 2m", "at: 2 parsecs"),
            [":12:", "faults[0].at", "expected a duration"],
            id="unparsable-duration",
        ),
        pytest.param(
            GOOD.replace("target: db-1", "target: db-9"),
            [":12:", "faults[0].target", "no instance named 'db-9'; known: db-1, db-2"],
            id="unknown-instance",
        ),
        pytest.param(
            GOOD.replace("kind: host-crash, target: db-1", "kind: az-outage, az: us-west-2z"),
            [":12:", "faults[0].az", "us-west-2z", "us-east-1a, us-east-1b"],
            id="unknown-az",
        ),
        pytest.param(
            GOOD.replace("    - {name: db-2, az: us-east-1b, role: standby}\n", ""),
            ["deployment.instances", "exactly one standby"],
            id="deployment-missing-standby",
        ),
        pytest.param(
            GOOD.replace("kind: host-crash, target: db-1", "kind: meteor, target: db-1"),
            ["faults[0].kind", "host-crash"],
            id="unknown-fault-kind",
        ),
        pytest.param("- just\n- a list\n", ["top level"], id="not-a-mapping"),
    ],
)
def test_bad_input_is_one_clear_message_and_exit_2(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text, "bad.yaml")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert "bad.yaml" in message
    for fragment in expected:
        assert fragment in message, message
    assert "Traceback" not in result.output + message
    assert not out.exists(), "nothing may be written for a bad scenario"
    assert list(tmp_path.iterdir()) == [path]


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr and "no such file" in result.stderr


def test_bad_option_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(write(tmp_path, GOOD)), "--format", "xml"])
    assert result.exit_code == 2


def test_no_traceback_from_the_installed_entry_point(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("target: db-1", "target: db-9"), "bad.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "rdssim", "run", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.yaml:12: faults[0].target" in result.stderr


@pytest.mark.parametrize("out", ["proj", ".", "", "proj/s.yaml", "proj/s.yaml/x"])
def test_run_never_touches_the_users_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    scenario = write(proj, GOOD, "s.yaml")
    (proj / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path if out not in (".", "") else proj)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["run", str(scenario), "--no-plot", "--out", out])
    assert result.exit_code == 2, result.output
    assert "--out" in result.stderr and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_run_replaces_its_own_folder_but_not_one_the_user_added_to(tmp_path: Path) -> None:
    path, out = write(tmp_path, GOOD), tmp_path / "out"
    for seed in ("1", "2"):
        result = runner.invoke(
            app, ["run", str(path), "--no-plot", "--out", str(out), "--seed", seed]
        )
        assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["seed"] == 2
    (out / "analysis.ipynb").write_text("{}")
    result = runner.invoke(app, ["run", str(path), "--no-plot", "--out", str(out)])
    assert result.exit_code == 2 and "analysis.ipynb" in result.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 2
    assert (out / "analysis.ipynb").read_text() == "{}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--seeds", "1000000000"], "--seeds"),
        (["--seeds", str(10**20)], "--seeds"),
        (["--workers", "1000000"], "--workers"),
        (["--first-seed", str(10**25)], "--first-seed"),
        (["--first-seed", str(2**63 - 1), "--seeds", "2"], "--seed"),
        (["--runs", "1000000000"], "--runs"),
        (["--seed", str(2**63 - 1), "--runs", "2"], "--seed"),
        (["--grid", "timings.dns_ttl"], "--grid"),
        (["--grid", "timings.dns_ttl=1s,-5s"], "--grid timings.dns_ttl=-5s"),
        (["--grid", "timings.dns_ttl=1s,2s", "--grid", "timings.dns_ttl=3s"], "two --grid"),
        (["--grid", "timings.dns_ttl=1s,1s"], "a value given twice"),
        (["--grid", "timings.dns_ttl=1s,"], "an empty value"),
        (["--grid", "timings.dns_ttl=1s,2s", "--set", "timings.dns_ttl=5s"], "set by --set"),
        (["--grid", "name=a,b"], "--grid name"),
        (["--set", "a.b=1"], "--set a: unknown key"),
    ],
)
def test_sweep_arguments_out_of_range_are_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["sweep", str(write(tmp_path, GOOD)), *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output + result.stderr
    assert not out.exists()


def test_warnings_are_printed_and_the_run_goes_on(tmp_path: Path) -> None:
    late = GOOD.replace("at: 2m", "at: 9m50s")
    result = runner.invoke(app, ["validate", str(write(tmp_path, late))])
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "faults[0].at" in result.stderr
