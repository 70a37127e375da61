"""Random failures over long horizons and the availability keys, against closed forms.

A single component failing at rate lambda with mean repair MTTR has availability
MTTF / (MTTF + MTTR) (an alternating renewal process: a failure that strikes a host already
down changes nothing). The Single-AZ instance is that component: each host failure takes it
down for detection, a host replacement and crash recovery, whose mean is measured on
isolated incidents of the same scenario (other seeds), not assumed. A Multi-AZ instance is a
pair of such hosts and a failover between them: a continuous-time Markov chain.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import of_kind, run_refused, run_yaml
from hypothesis import given
from hypothesis import strategies as st

from rdssim.availability import MONTH_S, Profile, availability_of, float_sum, sla_result
from rdssim.metrics import summarize
from rdssim.scenario.fields import DAY, YEAR_S

SINGLE_AZ = """\
name: avail
duration: {duration}
deployment:
  type: single-az
  instances:
    - {{name: db-1, az: us-east-1a, role: primary}}
workload:
  phases: [{{start: 0s, writes_per_s: 100}}]
probe: {{enabled: false}}
timings:
  host_replacement: {{uniform: [6m, 10m]}}
{tail}
"""


def test_a_single_component_is_available_mttf_over_mttf_plus_mttr() -> None:
    # The repair time of one host failure, from isolated incidents.
    isolated = SINGLE_AZ.format(
        duration="2h", tail="faults:\n  - {at: 10m, kind: host-crash, target: primary}"
    )
    repairs = [summarize(run_yaml(isolated, seed=1000 + s)).writer_unavailable_s for s in range(60)]
    mttr_s, repair_sd_s = float(np.mean(repairs)), float(np.std(repairs))
    # Random host failures, 4 a year, over ten years, on 40 seeds.
    per_year, years, seeds = 4.0, 3650 / 365.25, 40
    text = SINGLE_AZ.format(duration="3650d", tail=f"failures:\n  host: {{per_year: {per_year:g}}}")
    summaries = [summarize(run_yaml(text, seed=s)) for s in range(seeds)]
    mttf_s = YEAR_S / per_year
    expected = mttf_s / (mttf_s + mttr_s)
    unavailable = np.array([1.0 - s.uptime.availability for s in summaries])  # type: ignore[union-attr]
    # Compound Poisson: a run's downtime has variance (lambda T) E[D^2]; and the repair
    # mean itself is estimated from 60 incidents.
    horizon_s = years * YEAR_S
    count = per_year * years
    sd_run = math.sqrt(count * (mttr_s**2 + repair_sd_s**2)) / horizon_s
    tolerance = 4 * math.hypot(
        sd_run / math.sqrt(seeds), count * repair_sd_s / math.sqrt(60) / horizon_s
    )
    assert float(unavailable.mean()) == pytest.approx(1.0 - expected, abs=tolerance)
    # The incidents are the failures: Poisson(lambda T) per run, mean and variance.
    incidents = np.array([s.uptime.incidents for s in summaries])  # type: ignore[union-attr]
    assert float(incidents.mean()) == pytest.approx(count, abs=4 * math.sqrt(count / seeds))
    assert float(incidents.var(ddof=1)) == pytest.approx(count, rel=0.6)
    # Each incident is one repair: the longest is one of them.
    longest = max(s.uptime.longest_outage_s for s in summaries)  # type: ignore[union-attr]
    assert min(repairs) * 0.5 < longest < max(repairs) * 1.5
    for s in summaries:
        assert s.uptime is not None
        assert s.uptime.downtime_min_per_year == pytest.approx(
            (1.0 - s.uptime.availability) * YEAR_S / 60.0
        )
        assert s.writer_unavailable_s == pytest.approx(
            (1.0 - s.uptime.availability) * s.uptime.duration_s
        )


PAIR = """\
name: pair
duration: {duration}
deployment:
  type: {kind}
  instances:
    - {{name: db-1, az: us-east-1a, role: primary}}
{standby}
  storage: {{data_gib: 0}}
workload:
  phases: [{{start: 0s, writes_per_s: 10}}]
probe: {{enabled: false}}
timings:
  host_replacement: {repair}
  standby_rebuild: {repair}
  standby_sync: 1s
{tail}
"""
STANDBY = "    - {name: db-2, az: us-east-1b, role: standby}"
CRASH = "faults:\n  - {{at: 10m, kind: host-crash, target: {target}}}"
REPAIR_MEAN_S = 4 * 3600.0


def pair_text(duration: str, tail: str, repair: str = "{exponential: {mean: 4h}}") -> str:
    return PAIR.format(
        duration=duration, kind="multi-az-instance", standby=STANDBY, tail=tail, repair=repair
    )


def pair_chain(
    failure_per_s: float, failover_s: float, standby_repair_s: float, primary_repair_s: float
) -> tuple[float, float]:
    """The Multi-AZ instance as a Markov chain of its two hosts, each up or being repaired,
    and of the failover between them: (the writer's unavailability, incidents per second).

    States: 0 both up; 1 failing over (the primary's host failed); 2 the primary up, the
    other host being rebuilt as the standby; 3 both being repaired (the primary recovers
    in place: no standby to fail over to); 4 the primary recovering in place while the
    rebuilt standby waits (RDS does not fail over to it: the instance's recovery is under
    way). The writer is down in 1, 3 and 4.
    """
    lam, f = failure_per_s, 1.0 / failover_s
    mu, nu = 1.0 / standby_repair_s, 1.0 / primary_repair_s
    q = np.zeros((5, 5))
    q[0, 1] = lam  # the primary's host fails: a failover
    q[0, 2] = lam  # the standby's
    q[1, 2] = f  # the standby opens as the primary; the old host is rebuilt
    q[1, 3] = lam  # the standby fails while being promoted
    q[2, 0] = mu
    q[2, 3] = lam
    q[3, 2] = nu
    q[3, 4] = mu
    q[4, 0] = nu
    q[4, 3] = lam
    np.fill_diagonal(q, -q.sum(axis=1))
    # pi Q = 0 with sum(pi) = 1.
    system = np.vstack([q.T, np.ones(5)])
    pi = np.linalg.lstsq(system, np.concatenate([np.zeros(5), [1.0]]), rcond=None)[0]
    return float(pi[1] + pi[3] + pi[4]), lam * float(pi[0] + pi[2])


def test_a_primary_standby_pair_matches_its_markov_chain() -> None:
    """Host failures of both hosts of a Multi-AZ instance (one a day each, exponential
    repairs of four hours: the memoryless repairs a Markov chain assumes) over a year, on
    30 seeds: the writer's unavailability and its incidents against the chain's stationary
    solution. The constant parts of each repair (detection, crash recovery, a standby's
    sync) and the failover's whole duration are measured on isolated incidents (other
    seeds), not assumed."""
    seeds = range(1000, 1200)
    failover_s = float(
        np.mean(
            [
                summarize(
                    run_yaml(pair_text("1d", CRASH.format(target="primary")), seed=s)
                ).writer_unavailable_s
                for s in seeds
            ]
        )
    )
    # The same repairs with the exponential part cut to 1 s: what is left is their constant.
    alone = PAIR.format(
        duration="1d",
        kind="single-az",
        standby="",
        repair="1s",
        tail=CRASH.format(target="primary"),
    )
    primary_fixed_s = float(
        np.mean([summarize(run_yaml(alone, seed=s)).writer_unavailable_s - 1.0 for s in seeds])
    )
    standby_text = pair_text("1d", CRASH.format(target="standby"), repair="1s")
    standby_fixed_s = float(
        np.mean(
            [
                of_kind(run_yaml(standby_text, seed=s), "standby-recovery-completed")[0].time_s
                - 600.0
                - 1.0
                for s in seeds
            ]
        )
    )
    assert 0 < primary_fixed_s < 120 and 0 < standby_fixed_s < 120  # detection and the like
    per_year = 365.0
    unavailable, incidents_per_s = pair_chain(
        per_year / YEAR_S,
        failover_s,
        REPAIR_MEAN_S + standby_fixed_s,
        REPAIR_MEAN_S + primary_fixed_s,
    )
    runs = 30
    text = pair_text("365d", f"failures:\n  host: {{per_year: {per_year:g}}}")
    summaries = [summarize(run_yaml(text, seed=s)) for s in range(runs)]
    missing = np.array([1.0 - s.uptime.availability for s in summaries])  # type: ignore[union-attr]
    # Far from a single host's MTTR / (MTTF + MTTR) (0.14) and from both down at once
    # (0.02): the chain's own answer, about 0.039.
    assert 0.03 < unavailable < 0.05
    assert float(missing.mean()) == pytest.approx(
        unavailable, abs=4 * float(missing.std(ddof=1)) / math.sqrt(runs)
    )
    incidents = np.array([s.uptime.incidents for s in summaries])  # type: ignore[union-attr]
    expected = incidents_per_s * 365 * DAY
    assert float(incidents.mean()) == pytest.approx(
        expected, abs=4 * float(incidents.std(ddof=1)) / math.sqrt(runs)
    )


def test_failures_are_drawn_from_their_own_streams() -> None:
    """The same seed draws the same failures; variants meet the same ones; another kind of
    failure added does not move the host failures."""
    base = SINGLE_AZ.format(duration="365d", tail="failures:\n  host: {per_year: 6}")
    more = SINGLE_AZ.format(
        duration="365d", tail="failures:\n  host: {per_year: 6}\n  engine: {per_year: 6}"
    )

    def host_crashes(text: str, seed: int) -> list[float]:
        record = run_yaml(text, seed=seed)
        return [e.time_s for e in of_kind(record, "fault") if e.source == "failures.host"]

    first = host_crashes(base, 3)
    assert first and first == host_crashes(base, 3)
    assert first != host_crashes(base, 4)
    assert host_crashes(more, 3) == first
    engine = [e for e in of_kind(run_yaml(more, seed=3), "fault") if e.source == "failures.engine"]
    assert engine and all("engine-crash" in e.message for e in engine)


def test_patches_wait_for_the_weekly_window() -> None:
    text = SINGLE_AZ.format(
        duration="730d", tail="failures:\n  maintenance: {every: 30d, window: 'wed:03:30'}"
    )
    record = run_yaml(text, seed=2)
    patches = [e.time_s for e in of_kind(record, "action") if e.source == "failures.maintenance"]
    # Due about every 30 days over two years: about 24, at most one per week.
    assert 10 < len(patches) < 40
    offset = 2 * DAY + 3.5 * 3600  # Wednesday 03:30 from the run's Monday 00:00
    for at_s in patches:
        weeks = (at_s - offset) / (7 * DAY)
        assert weeks == pytest.approx(round(weeks), abs=1e-9)
    assert len(set(patches)) == len(patches)
    started = of_kind(record, "maintenance-started")
    assert [e.time_s for e in started] == patches


def test_months_below_the_sla_are_counted_against_the_months_budget() -> None:
    """99.95% of a month is 1,314.9 s: a month with 1,400 s missing breaches, one with 1,000 s
    in two incidents does not; a partial month at the end is not a month."""
    duration_s = 3 * MONTH_S + 10 * DAY
    knots = np.array(
        [
            0.0,
            100.0,
            1_500.0,
            MONTH_S + 10.0,
            MONTH_S + 510.0,
            MONTH_S + 600.0,
            MONTH_S + 1_100.0,
            duration_s,
        ]
    )
    shares = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    profile = Profile(knots, shares)
    result = sla_result(profile, duration_s, 99.95)
    assert (result.months, result.sla_breach_months) == (3, 1)
    assert result.sla_breach_probability == pytest.approx(1 / 3)
    view = availability_of(profile, duration_s)
    assert view.incidents == 3 and view.longest_outage_s == pytest.approx(1_400.0)
    assert view.availability == pytest.approx(1 - 2_400.0 / duration_s)
    assert view.nines == pytest.approx(-math.log10(2_400.0 / duration_s))
    # A half share for 10 s is 5 s missing: one incident.
    half = Profile(np.array([0.0, 5.0, 15.0, 100.0]), np.array([0.0, 0.5, 0.0]))
    assert availability_of(half, 100.0).availability == pytest.approx(0.95)
    assert availability_of(half, 100.0).incidents == 1


@pytest.mark.parametrize(
    ("failures", "where", "fragment"),
    [
        ("  host: {per_year: 1, mtbf: 365d}\n", "failures.host", "not both"),
        ("  host: {per_year: 60}\n  network: {per_year: 60}\n", "failures", "at most 1,000"),
        (
            "  az: {per_year: 1, duration: {uniform: [2h, 1h]}}\n",
            "failures.az.duration",
            "low <= high",
        ),
        ("  host: {duration: 1h}\n", "failures.host.duration", ""),
        ("  maintenance: {window: 'sunday 05:00'}\n", "failures.maintenance.window", ""),
    ],
)
def test_bad_failures_are_refused(tmp_path: Path, failures: str, where: str, fragment: str) -> None:
    output = run_refused(
        tmp_path, SINGLE_AZ.format(duration="3650d", tail=f"failures:\n{failures}")
    )
    assert where in output and fragment in output, output


def test_maintenance_on_ec2_is_refused(tmp_path: Path) -> None:
    text = (
        "name: t\nengine: postgres\nduration: 30d\ndeployment:\n  type: self-managed-ec2\n"
        "  instances:\n    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: standby}\n"
        "failures:\n  maintenance: {}\n"
    )
    output = run_refused(tmp_path, text)
    assert "failures.maintenance" in output and "patch the hosts yourself" in output


HOSTS = {
    "single-az": ["primary"],
    "multi-az-instance": ["primary", "standby"],
    "multi-az-cluster": ["primary", "reader", "reader"],
    "aurora": ["primary", "reader", "reader"],
    "self-managed-ec2": ["primary", "standby"],
}


@pytest.mark.parametrize(
    ("kind", "engine"),
    # Patroni (the EC2 HA manager here) manages PostgreSQL only.
    [
        (k, e)
        for k in HOSTS
        for e in ("mysql", "postgres")
        if (k, e) != ("self-managed-ec2", "mysql")
    ],
)
def test_every_deployment_type_runs_a_year_of_random_failures(kind: str, engine: str) -> None:
    """Found by a reviewer: a cluster reader rebuilt at the writer's position a few ulps
    past its link-delayed target made the run raise (positions of ~4e12 bytes)."""
    azs = "abc"
    hosts = "".join(
        f"    - {{name: db-{i + 1}, az: us-east-1{azs[i]}, role: {role}}}\n"
        for i, role in enumerate(HOSTS[kind])
    )
    ha = "  ha: {manager: patroni}\n" if kind == "self-managed-ec2" else ""
    maintenance = "" if kind == "self-managed-ec2" else "  maintenance: {every: 30d}\n"
    text = (
        f"name: year\nengine: {engine}\nduration: 365d\ndeployment:\n  type: {kind}\n"
        f"  instances:\n{hosts}{ha}"
        "workload:\n  phases: [{start: 0s, writes_per_s: 500}]\n"
        "failures:\n  host: {per_year: 2}\n  engine: {per_year: 1}\n"
        "  network: {per_year: 2}\n  az: {per_year: 0.5}\n  storage: {}\n" + maintenance
    )
    for seed in range(3):
        summary = summarize(run_yaml(text, seed=seed))
        uptime = summary.uptime
        assert uptime is not None and 0.0 <= uptime.availability <= 1.0
        assert summary.writer_unavailable_s == pytest.approx(
            (1.0 - uptime.availability) * uptime.duration_s
        )
        assert uptime.months == 12


@given(st.lists(st.floats(-1e12, 1e12), max_size=20))
def test_float_sum_is_numpys_sum_bit_for_bit(values: list[float]) -> None:
    expected = float(np.sum(np.array(values, dtype=np.float64)))
    assert math.copysign(1.0, float_sum(values)) == math.copysign(1.0, expected)
    assert float_sum(values) == expected
