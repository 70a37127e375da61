"""Property tests: random fault schedules thrown at each follower-based deployment type (a
Multi-AZ DB cluster, Aurora, self-managed HA on EC2) must keep the invariants its module
promises, read off the Record:

* never two hosts accepting writes at once, except a self-managed primary nobody fences
  (``ha.fencing: false``), and then ``two_writers_s`` is exactly the time in which two
  or more of them do (each moment once, however many writers: three after two
  partitions);
* at every breakpoint, for every host while it follows: applied <= received <= committed
  (both one-sided limits, up to a byte of rounding);
* nothing committed is lost on Aurora's shared volume, nor by the semi-synchronous cluster;
* no RDS event id anywhere on EC2;
* the run finishes and the same seed gives the same summary.

Schedules are drawn as in tests/test_invariants.py (gaps between faults, short ones to
overlap windows, long ones to settle), with each type's own faults: ``partition`` on EC2,
``volume-copy-loss`` on Aurora, and ``reboot-with-failover`` where the loader takes it.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from conftest import run_yaml, scenario, two_writers_time, writer_intervals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_invariants import Fault

from rdssim.metrics import summarize, two_writers_s
from rdssim.record import COMMITTED, Record, applied_series, received_series
from rdssim.scenario import ScenarioError

DURATION_S = 3 * 3600
FAULTS_BEFORE_S = 5400
LONGEST_FAULT_S = 2400
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
FOLLOWER = {"multi-az-cluster": "reader", "aurora": "reader", "self-managed-ec2": "standby"}
HOST_KEYS = {
    # What slows a follower down on each type (Aurora's replicas read the shared volume).
    "multi-az-cluster": (
        "",
        ", apply_writes_per_s: 300",
        ", link: {bandwidth_mib_per_s: 1}",
        ", link: {latency: 300ms}",
    ),
    "aurora": ("", ", promotion_tier: 0", ", promotion_tier: 2, instance_class: db.r6g.xlarge"),
    "self-managed-ec2": (
        "",
        ", apply_writes_per_s: 300",
        ", link: {bandwidth_mib_per_s: 1}",
        ", link: {latency: 300ms}",
    ),
}
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hosts(kind: str, keys: tuple[str, str]) -> str:
    role = FOLLOWER[kind]
    return (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        f"    - {{name: db-2, az: us-east-1b, role: {role}{keys[0]}}}\n"
        f"    - {{name: db-3, az: us-east-1c, role: {role}{keys[1]}}}\n"
    )


def text(kind: str, engine: str, keys: tuple[str, str], ha: str, schedule: list[Fault]) -> str:
    body = (
        f"name: random\nengine: {engine}\nduration: {DURATION_S}s\n"
        f"deployment:\n  type: {kind}\n  instances:\n{hosts(kind, keys)}{ha}"
        "workload:\n  phases:\n    - {start: 0s, writes_per_s: 200}\n"
        "    - {start: 40m, writes_per_s: 450}\n    - {start: 80m, writes_per_s: 150}\n"
        "probe: {interval: 10s}\n"
    )
    if schedule:
        body += "faults:\n" + "".join(f.yaml() for f in schedule)
    return body


def _takes_reboot(kind: str) -> bool:
    """Whether the loader accepts reboot-with-failover (FailoverDBCluster, a switchover)."""
    reboot = [Fault(300, "reboot-with-failover")]
    try:
        scenario(text(kind, "postgres", ("", ""), "", reboot))
    except ScenarioError:
        return False
    return True


REBOOT = {kind: _takes_reboot(kind) for kind in FOLLOWER}


def faults(kind: str) -> st.SearchStrategy[Fault]:
    at = st.one_of(st.integers(0, 90), st.integers(0, 1800))
    target = st.sampled_from(("db-1", "db-2", "db-3", "primary", FOLLOWER[kind]))
    lasting = st.integers(1, LONGEST_FAULT_S)
    kinds = [
        st.builds(Fault, at, st.just("host-crash"), target),
        st.builds(Fault, at, st.just("storage-failure"), target),
        st.builds(Fault, at, st.just("network-loss"), target, st.none(), lasting),
        st.builds(Fault, at, st.just("unresponsive"), target, st.none(), lasting),
        st.builds(Fault, at, st.just("engine-crash"), target),
        st.builds(Fault, at, st.just("az-outage"), st.none(), st.sampled_from(AZS), lasting),
    ]
    if REBOOT[kind]:
        kinds.append(st.builds(Fault, at, st.just("reboot-with-failover")))
    if kind == "self-managed-ec2":
        partition = st.builds(Fault, at, st.just("partition"), target, st.none(), lasting)
        kinds += [partition, partition]  # the fault only EC2 has: drawn twice as often
    if kind == "aurora":
        copy = st.builds(Fault, at, st.just("volume-copy-loss"), st.none(), st.sampled_from(AZS))
        kinds += [copy, copy]
    return st.one_of(kinds)


@st.composite
def runs(draw: st.DrawFn, kind: str) -> tuple[str, bool, int]:
    engine = draw(st.sampled_from(("mysql", "postgres")))
    if kind == "self-managed-ec2":
        engine = "postgres"
    keys = (draw(st.sampled_from(HOST_KEYS[kind])), draw(st.sampled_from(HOST_KEYS[kind])))
    ha, unfenced = "", False
    if kind == "self-managed-ec2":
        manager = draw(st.sampled_from(("manual", "patroni")))
        fencing = draw(st.booleans())
        replication = draw(st.sampled_from(("async", "semi-sync")))
        ha = (
            f"  ha: {{manager: {manager}, fencing: {str(fencing).lower()}, "
            f"replication: {replication}}}\n"
        )
        unfenced = not fencing
    gaps = draw(st.lists(faults(kind), min_size=1, max_size=6))
    schedule, at_s = [], 0
    for fault in gaps:
        at_s = min(FAULTS_BEFORE_S, at_s + fault.at_s)
        schedule.append(replace(fault, at_s=at_s))
    return text(kind, engine, keys, ha, schedule), unfenced, draw(st.integers(0, 2**32 - 1))


# -- reading the Record ------------------------------------------------------------------------
class Series:
    """A piecewise-linear series with its one-sided limits (a jump: two points at one time)."""

    def __init__(self, record: Record, name: str) -> None:
        self.times, self.values = record.series(name)

    def limits(self, t: float) -> tuple[float, float]:
        lo = int(np.searchsorted(self.times, t, side="left"))
        hi = int(np.searchsorted(self.times, t, side="right"))
        if hi > lo:
            return float(self.values[lo]), float(self.values[hi - 1])
        if lo == 0:
            value = float(self.values[0])
        elif lo == len(self.times):
            value = float(self.values[-1])
        else:
            t0, t1 = self.times[lo - 1], self.times[lo]
            v0, v1 = self.values[lo - 1], self.values[lo]
            value = float(v0 + (t - t0) / (t1 - t0) * (v1 - v0))
        return value, value


def roles(record: Record, instance: str) -> tuple[list[float], list[str]]:
    changes = [s for s in record.states if s.instance == instance]
    return [c.time_s for c in changes], [c.role for c in changes]


def role_sides(times: list[float], names: list[str], t: float) -> tuple[str | None, str | None]:
    """The role just before ``t`` and just after the changes made at ``t``."""
    before = bisect.bisect_left(times, t)
    after = bisect.bisect_right(times, t)
    return (names[before - 1] if before else None, names[after - 1] if after else None)


def assert_writers(record: Record, kind: str, unfenced: bool) -> None:
    stretches = writer_intervals(record)
    for i, (start, end, first) in enumerate(stretches):
        for other_start, other_end, second in stretches[i + 1 :]:
            if min(end, other_end) > max(start, other_start):
                assert unfenced, f"{first} and {second} both accept writes at {other_start:g} s"
    overlap = two_writers_time(stretches)
    summary = summarize(record)
    if kind == "self-managed-ec2":
        assert summary.two_writers_s == overlap or abs(summary.two_writers_s - overlap) < 1e-6
        assert summary.split_brain_txns is not None and summary.split_brain_txns >= 0
        if not unfenced:
            assert summary.split_brain_txns == 0
    else:
        assert summary.two_writers_s is None and summary.split_brain_txns is None


def assert_follower_positions(record: Record, kind: str) -> None:
    """applied <= received <= committed, on each side of every breakpoint, while a host
    follows (its role is the type's follower role on that side)."""
    follower = FOLLOWER[kind]
    committed = Series(record, COMMITTED)
    times = sorted({b.time_s for b in record.breakpoints})
    names = {b.series for b in record.breakpoints}
    for info in record.instances:
        if received_series(info.name) not in names:
            continue
        applied = Series(record, applied_series(info.name))
        received = Series(record, received_series(info.name))
        changes = roles(record, info.name)
        for t in times:
            sides = role_sides(*changes, t)
            a, r, c = applied.limits(t), received.limits(t), committed.limits(t)
            for side in (0, 1):
                if sides[side] != follower:
                    continue
                assert a[side] <= r[side] + 1.0, (
                    f"{info.name} applied {a[side]:.0f} past received {r[side]:.0f} at {t:g} s"
                )
                assert r[side] <= c[side] + 1.0, (
                    f"{info.name} received {r[side]:.0f} past committed {c[side]:.0f} at {t:g} s"
                )


def assert_invariants(kind: str, body: str, unfenced: bool, seed: int) -> None:
    record = run_yaml(body, seed)
    assert_writers(record, kind, unfenced)
    assert_follower_positions(record, kind)
    summary = summarize(record)
    if kind in ("aurora", "multi-az-cluster"):
        assert summary.rpo_txns == 0, f"{kind} lost {summary.rpo_txns} committed transactions"
        for event in record.events:
            if event.kind == "failover-promoted":
                assert event.data["lost_txns"] == 0
    if kind == "self-managed-ec2":
        assert [e for e in record.events if e.rds_event is not None] == []
    for before, after in pairwise([e.time_s for e in record.events]):
        assert before <= after
    for started in (e for e in record.events if e.kind == "failover-started"):
        assert started.data["target_instance"] != started.data["source_instance"]
    assert summarize(run_yaml(body, seed)).to_dict() == summary.to_dict()


@SETTINGS
@given(runs("multi-az-cluster"))
def test_random_schedules_on_a_multi_az_cluster(case: tuple[str, bool, int]) -> None:
    body, unfenced, seed = case
    assert_invariants("multi-az-cluster", body, unfenced, seed)


@SETTINGS
@given(runs("aurora"))
def test_random_schedules_on_aurora(case: tuple[str, bool, int]) -> None:
    body, unfenced, seed = case
    assert_invariants("aurora", body, unfenced, seed)


@SETTINGS
@given(runs("self-managed-ec2"))
def test_random_schedules_on_self_managed_ec2(case: tuple[str, bool, int]) -> None:
    body, unfenced, seed = case
    assert_invariants("self-managed-ec2", body, unfenced, seed)


# Found by the property test above: db-1 partitioned, db-2 promoted and partitioned in turn,
# db-3 promoted 0.09 s before both partitions end, so three hosts accept writes at once.
TWO_PARTITIONS = [Fault(0, "partition", "db-1", None, 61), Fault(31, "partition", "db-2", None, 30)]
UNFENCED_PATRONI = "  ha: {manager: patroni, fencing: false, replication: async}\n"


def test_three_writers_after_two_partitions_count_once() -> None:
    """``two_writers_s`` is the time with two or more writers: from db-2's promotion to the
    partitions' end, the stretch in which db-3 joins them counted once, not once per pair."""
    body = text("self-managed-ec2", "postgres", ("", ""), UNFENCED_PATRONI, TWO_PARTITIONS)
    record = run_yaml(body, 10)
    first, second = (e for e in record.events if e.kind == "failover-promoted")
    assert [e.data["target_instance"] for e in record.events if e.kind == "failover-started"] == [
        "db-2",
        "db-3",
    ]
    assert first.time_s < 61.0 and 60.0 < second.time_s < 61.0
    assert writer_intervals(record) == [
        (0.0, 61.0, "db-1"),
        (first.time_s, 61.0, "db-2"),
        (second.time_s, DURATION_S, "db-3"),
    ]
    summary = summarize(record)
    assert summary.two_writers_s == pytest.approx(61.0 - first.time_s, abs=1e-9)
    # The writes each old primary took outside the lineage: db-1 until the DNS name moved to
    # db-2, db-2 from db-3's promotion until it rejoined (200 writes/s).
    completed = next(e for e in record.events if e.kind == "failover-completed")
    lost = {e.source: e.data["lost_txns"] for e in record.events if e.kind == "rejoined"}
    assert lost["db-1"] == pytest.approx(200 * (completed.time_s - first.time_s))
    assert lost["db-2"] == pytest.approx(200 * (61.0 - second.time_s))
    assert summary.split_brain_txns == round(lost["db-1"] + lost["db-2"])
    assert_invariants("self-managed-ec2", body, True, 10)


def test_the_overlap_measure_counts_each_moment_once() -> None:
    """Three writers stacked: 8 s with two or more, where the pairs' overlaps sum to 10."""
    from rdssim.record import InstanceInfo, StateChange

    record = Record(
        {"duration_s": 10.0, "deployment": "self-managed-ec2", "bytes_per_txn": 4096},
        [InstanceInfo(f"db-{i}", AZS[i - 1]) for i in (1, 2, 3)],
    )
    record.add(StateChange(0.0, "db-1", "primary", "available"))
    for name in ("db-2", "db-3"):
        record.add(StateChange(0.0, name, "standby", "replicating"))
    record.add(StateChange(2.0, "db-2", "primary", "available"))
    record.add(StateChange(9.0, "db-3", "primary", "available"))
    assert two_writers_time(writer_intervals(record)) == 8.0
    assert two_writers_s(record) == 8.0


def test_the_position_check_can_fail() -> None:
    """Not vacuous: a hand-made Record with a follower ahead of what it received is caught,
    and so is one with two writers on a type that fences."""
    from rdssim.record import Breakpoint, InstanceInfo, StateChange

    record = Record(
        {"duration_s": 100.0, "deployment": "aurora", "bytes_per_txn": 4096},
        [InstanceInfo("db-1", "us-east-1a"), InstanceInfo("db-2", "us-east-1b")],
    )
    record.add(StateChange(0.0, "db-1", "primary", "available"))
    record.add(StateChange(0.0, "db-2", "reader", "replicating"))
    for t, committed, received, applied in ((0.0, 0.0, 0.0, 0.0), (100.0, 100.0, 50.0, 60.0)):
        record.add(Breakpoint(t, COMMITTED, committed))
        record.add(Breakpoint(t, received_series("db-2"), received))
        record.add(Breakpoint(t, applied_series("db-2"), applied))
    try:
        assert_follower_positions(record, "aurora")
    except AssertionError:
        pass
    else:
        raise AssertionError("applied past received went unnoticed")
    record.add(StateChange(50.0, "db-2", "primary", "available"))
    try:
        assert_writers(record, "aurora", unfenced=False)
    except AssertionError:
        pass
    else:
        raise AssertionError("two writers went unnoticed")
