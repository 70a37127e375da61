"""``--set key.path=value``: values changed from the command line, validated like the file's."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.scenario import load_scenario
from rdssim.scenario.overrides import parse_assignments

CANONICAL = SCENARIOS / "multi_az_failover.yaml"


def test_a_set_value_reaches_the_scenario_and_every_variant() -> None:
    sets = parse_assignments(
        ["workload.phases[0].writes_per_s=2000", "timings.dns_ttl=30s", "probe.interval=2"]
    )
    (base,) = load_scenario(CANONICAL, sets).variants.values()
    assert base.workload.phases[0].writes_per_s == 2000
    assert base.timings.dns_ttl_s == 30.0 and base.probe.interval_s == 2.0
    with_variants = SCENARIOS / "self_managed_patroni.yaml"
    chosen = load_scenario(with_variants, parse_assignments(["deployment.ha.ttl=40s"]))
    assert [v.deployment.ha.ttl_s for v in chosen.variants.values()] == [40.0, 40.0]
    assert [v.deployment.ha.fencing for v in chosen.variants.values()] == [True, False]
    # A mapping that the file leaves out is created.
    created = load_scenario(CANONICAL, parse_assignments(["failures.host.per_year=2"]))
    assert next(iter(created.variants.values())).failures.host is not None


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (
            "workload.phases[0].writes_per_sec=5",
            "--set workload.phases[0].writes_per_sec: unknown key",
        ),
        ("workload.phases[3].writes_per_s=5", "--set workload.phases[3]: there is no item 3"),
        ("timings.dns_ttl=-5s", "--set timings.dns_ttl: expected"),
        ("workload.phases[0].writes_per_s=1e308", "--set workload.phases[0].writes_per_s"),
        ("x", "--set: 'x' has no '='"),
        ("a..b=1", "is not a key path"),
        ("timings.dns_ttl=[", "cannot read the value"),
        ("variants.x.seed=1", "not its name or variants"),
    ],
)
def test_a_bad_set_is_a_located_error(tmp_path: Path, option: str, fragment: str) -> None:
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["run", str(CANONICAL), "--set", option, "--no-plot", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert fragment in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_set_works_on_compare_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(CANONICAL),
            "--deployments",
            "multi-az-instance",
            "--runs",
            "2",
            "--workers",
            "1",
            "--format",
            "json",
            "--set",
            "timings.dns_propagation=1s",
        ],
    )
    assert result.exit_code == 0, result.output
