"""The default Multi-AZ failover reproduces what AWS publishes, and its phases match their
closed forms over many seeds.

AWS (RDS:Concepts.MultiAZSingleStandby): a Multi-AZ DB instance failover typically takes
60-120 s. Tolerances on means are four standard errors, computed from the closed-form
variances of the same distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SCENARIOS

from rdssim.distributions import Distribution, Empirical, Fixed, LogNormal, Uniform
from rdssim.metrics import Summary, summarize
from rdssim.recovery import settings_for, undo_bytes
from rdssim.scenario import Scenario, load_scenario
from rdssim.sim import run

SEEDS = range(200)


def mean_var(dist: Distribution) -> tuple[float, float]:
    """Closed-form mean and variance of a timing distribution."""
    if isinstance(dist, Fixed):
        return dist.value_s, 0.0
    if isinstance(dist, Uniform):
        return (dist.low_s + dist.high_s) / 2, (dist.high_s - dist.low_s) ** 2 / 12
    if isinstance(dist, LogNormal):
        s2 = dist.sigma**2
        return dist.median * math.exp(s2 / 2), dist.median**2 * math.exp(s2) * (math.exp(s2) - 1)
    if isinstance(dist, Empirical):
        values = np.array(dist.values_s)
        return float(values.mean()), float(values.var())
    raise TypeError(dist)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIOS / "multi_az_failover.yaml").variants["base"]


@pytest.fixture(scope="module")
def summaries(scenario: Scenario) -> list[Summary]:
    return [summarize(run(scenario, seed)) for seed in SEEDS]


def test_the_scenario_is_the_headline_case(scenario: Scenario) -> None:
    assert scenario.deployment.type == "multi-az-instance"
    assert [(f.kind, f.target) for f in scenario.faults] == [("host-crash", "primary")]
    assert len(scenario.workload.phases) == 1


def test_failover_time_is_typically_60_to_120_s(summaries: list[Summary]) -> None:
    times = np.array([s.failover_s for s in summaries], dtype=float)
    assert not np.isnan(times).any(), "every run completes its failover"
    assert 60.0 <= float(np.median(times)) <= 120.0
    inside = float(np.mean((times >= 60.0) & (times <= 120.0)))
    assert inside >= 0.80, f"only {inside:.0%} of failovers took 60-120 s"
    assert all(s.rpo_txns == 0 for s in summaries)
    assert all(s.failovers == 1 for s in summaries)


def test_mean_detection_matches_the_closed_form(
    scenario: Scenario, summaries: list[Summary]
) -> None:
    """Detection (fault -> 0013) = the n-th failed health check on a grid of random phase,
    plus the failover initiation: E = (n-1)*interval + interval/2 + timeout + E[initiation]."""
    t = scenario.timings
    initiation_mean, initiation_var = mean_var(t.failover_initiation)
    interval = t.health_check_interval_s
    expected = (t.unhealthy_checks - 1) * interval + interval / 2 + t.health_check_timeout_s
    expected += initiation_mean
    se = math.sqrt((interval**2 / 12 + initiation_var) / len(summaries))
    mean = float(np.mean([s.detection_s for s in summaries]))
    assert abs(mean - expected) < 4 * se, f"mean {mean:.2f} s vs closed form {expected:.2f} s"


def test_mean_promotion_matches_the_closed_form(
    scenario: Scenario, summaries: list[Summary]
) -> None:
    """Promotion (0013 -> the standby opens) = activation + crash recovery at the storage's
    rate: the redo since the last checkpoint, uniform over one checkpoint distance with a
    random checkpoint phase (rdssim.recovery), and the undo of the transactions in flight."""
    t = scenario.timings
    (fault,) = scenario.faults
    settings = settings_for(scenario)
    assert fault.at_s >= settings.checkpoint_timeout_s  # a full distance of steady writes
    activation_mean, activation_var = mean_var(t.standby_activation)
    rate = scenario.workload.phases[0].writes_per_s
    size = scenario.workload.bytes_per_txn
    redo_max_s = settings.worst_redo_bytes(rate, size) / settings.bytes_per_s
    undo_s = undo_bytes(rate, scenario.workload.txn_duration_s, size) / settings.bytes_per_s
    expected = activation_mean + redo_max_s / 2 + undo_s
    se = math.sqrt((activation_var + redo_max_s**2 / 12) / len(summaries))
    mean = float(np.mean([s.promotion_s for s in summaries]))
    assert abs(mean - expected) < 4 * se, f"mean {mean:.2f} s vs closed form {expected:.2f} s"


def test_mean_dns_phase_matches_the_propagation(
    scenario: Scenario, summaries: list[Summary]
) -> None:
    mean_s, var = mean_var(scenario.timings.dns_propagation)
    mean = float(np.mean([s.dns_s for s in summaries]))
    assert abs(mean - mean_s) < 4 * math.sqrt(var / len(summaries)) + 1e-9


# -- the other deployment types (docs/calibration.md, "Deployments") --------------------------
DEPLOYMENT_BASE = """\
name: deployment-calibration
engine: mysql
duration: 2h
deployment:
  type: {kind}
  instances:
{instances}
workload:
  phases:
    - {{start: 0s, writes_per_s: 500}}
faults:
  - {{at: 10m, kind: host-crash, target: primary}}
"""
HOSTS = {
    "multi-az-cluster": ["primary:us-east-1a", "reader:us-east-1b", "reader:us-east-1c"],
    "aurora": ["primary:us-east-1a", "reader:us-east-1b"],
    "aurora-alone": ["primary:us-east-1a"],
}


def _deployment_summaries(key: str) -> list[Summary]:
    from rdssim.scenario import parse_scenario_text

    lines = [
        f"    - {{name: db-{i + 1}, az: {host.split(':')[1]}, role: {host.split(':')[0]}}}"
        for i, host in enumerate(HOSTS[key])
    ]
    text = DEPLOYMENT_BASE.format(kind=key.split("-alone")[0], instances="\n".join(lines))
    scenario = parse_scenario_text(text, file="<calibration>").variants["base"]
    return [summarize(run(scenario, seed)) for seed in SEEDS]


def test_multi_az_cluster_fails_over_typically_under_35_s() -> None:
    found = _deployment_summaries("multi-az-cluster")
    times = np.array([s.failover_s for s in found], dtype=float)
    assert not np.isnan(times).any()
    assert float(np.median(times)) < 35.0
    assert all(s.rpo_txns == 0 for s in found)  # semi-synchronous: one reader acknowledged


def test_aurora_with_a_replica_usually_under_60_often_under_30_s() -> None:
    found = _deployment_summaries("aurora")
    times = np.array([s.failover_s for s in found], dtype=float)
    assert not np.isnan(times).any()
    assert float(np.median(times)) < 30.0  # "often under 30 seconds"
    assert float(np.mean(times < 60.0)) >= 0.95  # "usually under 60 seconds"
    assert all(s.rpo_txns == 0 for s in found)


def test_aurora_without_a_replica_is_re_created_typically_under_10_minutes() -> None:
    found = _deployment_summaries("aurora-alone")
    assert all(s.failovers == 0 for s in found)
    down = np.array([s.writer_unavailable_s for s in found])
    assert float(np.median(down)) < 600.0
    assert float(np.median(down)) > 60.0  # a re-creation, not a failover
