"""`rdssim compare`: one scenario's failures on several deployment types, same seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS, scenario_set
from hypothesis import HealthCheck, given, settings
from test_invariants import Fault, assert_safe, runs, scenario_text
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.comparison import (
    COMPARE_METRICS,
    CompareError,
    as_deployment,
    compare_stats,
    comparison_set,
    parse_deployments,
)
from rdssim.metrics import summarize
from rdssim.scenario import load_scenario, parse_scenario_text
from rdssim.sim import build
from rdssim.sweep_runs import sweep

runner = CliRunner()
AZ_OUTAGE = SCENARIOS / "az_outage_compare.yaml"
SINGLE = """\
name: single
duration: 1h
deployment:
  type: single-az
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
workload:
  phases:
    - {start: 0s, writes_per_s: 200}
faults:
  - {at: 5m, kind: host-crash, target: primary}
"""


def test_deployment_lists_are_checked() -> None:
    assert parse_deployments("single-az, multi-az-instance") == ["single-az", "multi-az-instance"]
    every = "single-az,multi-az-instance,multi-az-cluster,aurora,self-managed-ec2"
    assert parse_deployments(every) == every.split(",")
    with pytest.raises(CompareError, match="unknown deployment type 'multi-az'"):
        parse_deployments("multi-az")
    with pytest.raises(CompareError, match="named twice"):
        parse_deployments("single-az,single-az")


def test_faults_are_mapped_onto_each_topology() -> None:
    base = load_scenario(AZ_OUTAGE).variants["base"]
    text = AZ_OUTAGE.read_text(encoding="utf-8") + "  - {at: 50m, kind: host-crash, target: db-2}\n"
    with_standby_fault = scenario_set(text).variants["base"]
    single = as_deployment(with_standby_fault, "single-az")
    assert [s.name for s in single.scenario.deployment.instances] == ["db-1"]
    assert [f.kind for f in single.scenario.faults] == ["az-outage"]  # the AZ is the same
    assert single.dropped == ("faults[1] (host-crash): single-az has no db-2",)
    multi = as_deployment(base, "multi-az-instance")
    assert multi.scenario == base.model_copy(update={"variant": "multi-az-instance"})
    # A Single-AZ file gains a standby in another AZ of its Region.
    grown = as_deployment(scenario_set(SINGLE).variants["base"], "multi-az-instance")
    instances = grown.scenario.deployment.instances
    assert [(s.name, s.az, s.role) for s in instances] == [
        ("db-1", "us-east-1a", "primary"),
        ("db-2", "us-east-1b", "standby"),
    ]


def test_a_file_with_variants_is_refused() -> None:
    with pytest.raises(CompareError, match="has variants"):
        comparison_set(load_scenario(SCENARIOS / "storage_failure.yaml"), ["single-az"])


@pytest.mark.parametrize("seed", range(5))
def test_every_deployment_faces_the_same_failures(seed: int) -> None:
    """Common random numbers: the same fault instants and the same health-check grid, so the
    Single-AZ recovery starts exactly when the Multi-AZ failover is triggered."""
    mapped, _ = comparison_set(load_scenario(AZ_OUTAGE), ["single-az", "multi-az-instance"])
    sims = {kind: build(s, seed) for kind, s in mapped.variants.items()}
    assert (
        sims["single-az"].controller.check_phase_s
        == sims["multi-az-instance"].controller.check_phase_s
    )
    records = {kind: sim.run() for kind, sim in sims.items()}
    faults = {
        kind: [(e.time_s, e.kind) for e in r.events if e.kind in ("fault", "fault-end")]
        for kind, r in records.items()
    }
    assert faults["single-az"] == faults["multi-az-instance"]
    (recovery,) = [e for e in records["single-az"].events if e.rds_event == "RDS-EVENT-0020"]
    multi = summarize(records["multi-az-instance"]).failover_details[0]
    assert recovery.data["trigger_s"] == multi.trigger_s == 600.0


def test_the_table_and_the_json_are_the_runs_statistics(tmp_path: Path) -> None:
    kinds = ["single-az", "multi-az-instance"]
    mapped, _ = comparison_set(load_scenario(AZ_OUTAGE), kinds)
    table = sweep(mapped, range(12))
    assert sorted(table["variant"].unique()) == sorted(kinds)
    assert (table.groupby("variant")["seed"].apply(list) == [list(range(12))] * 2).all()
    stats = compare_stats(table, kinds)
    result = runner.invoke(
        app,
        ["compare", str(AZ_OUTAGE), "--runs", "12", "--workers", "1", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["runs"] == 12 and document["first_seed"] == 0
    for kind in kinds:
        entry = document["deployments"][kind]
        assert entry["instances"] == (1 if kind == "single-az" else 2)
        for metric in COMPARE_METRICS:
            assert entry[metric] == stats[kind][metric]
    # Hand-checked against the rows: the median of the Multi-AZ failover times.
    multi = table.loc[table["variant"] == "multi-az-instance", "failover_s"].to_numpy(float)
    assert stats["multi-az-instance"]["failover_s"]["median"] == pytest.approx(np.median(multi))
    assert stats["single-az"]["failover_s"] == {"median": None, "p95": None}
    # The Single-AZ instance waits for its AZ; the Multi-AZ one fails over in about a minute.
    single_down = stats["single-az"]["writer_unavailable_s"]["median"]
    multi_down = stats["multi-az-instance"]["writer_unavailable_s"]["median"]
    assert single_down is not None and multi_down is not None
    assert single_down > 1800.0 - 60.0 > 10 * multi_down


def test_out_writes_the_rows_and_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["compare", str(AZ_OUTAGE), "--runs", "4", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"compare.csv", "compare.png"} <= names
    assert (out / "compare.png").stat().st_size > 10_000
    assert "multi-az-instance" in result.stdout and "DB instances" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--deployments", "aurora,aurora"], "named twice"),
        (["--deployments", "nope"], "unknown deployment type 'nope'"),
        (["--runs", "0"], "--runs"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["compare", str(AZ_OUTAGE), *args])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_a_scenario_with_variants_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(SCENARIOS / "storage_failure.yaml")])
    assert result.exit_code == 2 and "has variants" in result.output


def test_the_added_standby_takes_a_free_name() -> None:
    text = SINGLE.replace(
        "    - {name: db-1, az: us-east-1a, role: primary}\n",
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "  replicas:\n    - {name: db-2, az: us-east-1c}\n",
    )
    grown = as_deployment(scenario_set(text).variants["base"], "multi-az-instance")
    standby = grown.scenario.deployment.instances[1]
    assert (standby.name, standby.role) == ("db-3", "standby")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_random_schedules_mapped_onto_every_type_stay_safe(
    case: tuple[bool, list[Fault], int],
) -> None:
    """Any fault schedule of a Multi-AZ scenario, mapped onto each type: every run keeps the
    invariants of tests/test_invariants.py, and outages of the primary's AZ (which both
    keep) come at the same instants on both (common random numbers)."""
    _, schedule, seed = case
    source = scenario_set(scenario_text(True, schedule))
    mapped, _ = comparison_set(source, ["single-az", "multi-az-instance"])
    instants = {}
    for kind, scenario in mapped.variants.items():
        record = build(scenario, seed).run()
        assert_safe(record, kind == "multi-az-instance")
        instants[kind] = {
            (e.time_s, e.data.get("fault_kind"), e.data.get("az"))
            for e in record.events
            if e.kind == "fault" and e.data.get("az") == "us-east-1a"  # the primary's AZ
        }
    assert instants["single-az"] == instants["multi-az-instance"]


def test_an_outage_of_an_az_without_a_host_is_dropped_with_a_note() -> None:
    text = AZ_OUTAGE.read_text(encoding="utf-8").replace(
        "az: us-east-1a, duration", "az: us-east-1b, duration"
    )
    single = as_deployment(scenario_set(text).variants["base"], "single-az")
    assert single.scenario.faults == []
    assert single.dropped == ("faults[0] (az-outage): single-az has no host in us-east-1b",)


def test_a_type_that_cannot_run_the_scenario_is_refused_with_where(tmp_path: Path) -> None:
    """Oracle has no Multi-AZ DB cluster: compare says so, located, exit 2."""
    path = tmp_path / "oracle.yaml"
    path.write_text(
        SINGLE.replace("duration: 1h", "engine: oracle\nduration: 1h"), encoding="utf-8"
    )
    result = runner.invoke(app, ["compare", str(path), "--deployments", "multi-az-cluster"])
    assert result.exit_code == 2
    assert "on multi-az-cluster: engine: a multi-az-cluster deployment runs mysql or postgres" in (
        result.output
    )


def test_every_type_gets_its_hosts_and_the_faults_mapped() -> None:
    """The primary's host and AZ mean the same on every type; the standby's fault goes to
    the type's first follower; a partition is a network loss where RDS fences."""
    text = (
        SINGLE.replace("type: single-az", "type: multi-az-instance")
        .replace(
            "role: primary}", "role: primary}\n    - {name: db-2, az: us-east-1b, role: standby}"
        )
        .replace(
            "  - {at: 5m, kind: host-crash, target: primary}",
            "  - {at: 5m, kind: host-crash, target: primary}\n"
            "  - {at: 6m, kind: network-loss, target: standby, duration: 1m}",
        )
    )
    base = parse_scenario_text(text, file="<t>").variants["base"]
    roles = {}
    for kind in ("multi-az-cluster", "aurora", "self-managed-ec2"):
        mapped = as_deployment(base, kind)
        deployment = mapped.scenario.deployment
        roles[kind] = [s.role for s in deployment.instances]
        follower = deployment.instances[1].name
        assert [(f.kind, f.target) for f in mapped.scenario.faults] == [
            ("host-crash", "primary"),
            ("network-loss", follower),
        ]
        assert len({s.az for s in deployment.instances}) == len(deployment.instances)
    assert roles == {
        "multi-az-cluster": ["primary", "reader", "reader"],
        "aurora": ["primary", "reader"],
        "self-managed-ec2": ["primary", "standby"],
    }


def test_a_run_that_raises_in_compare_is_named_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a reviewer: compare showed the failed runs' column as '—' and exited 0."""
    from typer.testing import CliRunner

    import rdssim.sweep_worker as sweep_module
    from rdssim.cli import app

    real = sweep_module.run

    def flaky(scenario: object, seed: int) -> object:
        if getattr(scenario, "variant", "") == "multi-az-cluster":
            raise ValueError("model bug")
        return real(scenario, seed)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep_module, "run", flaky)
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(SCENARIOS / "az_outage_compare.yaml"),
            "--runs",
            "2",
            "--workers",
            "1",
            "--deployments",
            "multi-az-instance,multi-az-cluster",
        ],
    )
    assert result.exit_code == 1
    assert "2 run(s) raised" in result.output and "model bug" in result.output
