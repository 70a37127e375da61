"""Random fault schedules on the Multi-AZ DB cluster, Aurora and self-managed HA on EC2.

Whatever the schedule, the Record keeps the invariants the deployment promises: one
writer at a time (except an unfenced self-managed primary: its two-writer time is what
``two_writers_s`` measures, and only then), nothing applied past what is committed,
nothing lost on Aurora's shared volume or by a semi-synchronous cluster, the failover
phases in order, and the same seed giving the same run.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from conftest import of_kind, run_yaml, state_at, writer_intervals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_invariants import (
    BYTES_PER_TXN,
    DURATION_S,
    FAULTS_BEFORE_S,
    LONGEST_FAULT_S,
    WRITES_PER_S,
    Fault,
    assert_phases_non_negative,
    assert_time_ordered,
)

from rdssim.metrics import summarize
from rdssim.record import COMMITTED, Record, applied_series, received_series

AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
HOSTS = {
    "multi-az-cluster": (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: reader}\n"
        "    - {name: db-3, az: us-east-1c, role: reader, apply_writes_per_s: 150}\n"
    ),
    "aurora": (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: reader, promotion_tier: 0}\n"
        "    - {name: db-3, az: us-east-1c, role: reader}\n"
    ),
    "self-managed-ec2": (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: standby, link: {latency: 50ms}}\n"
        "    - {name: db-3, az: us-east-1c, role: standby}\n"
    ),
}
ROLE = {"multi-az-cluster": "reader", "aurora": "reader", "self-managed-ec2": "standby"}


def faults(kind: str) -> st.SearchStrategy[Fault]:
    at = st.one_of(st.integers(0, 90), st.integers(0, 1800))
    target = st.sampled_from(("db-1", "db-2", "db-3", "primary", ROLE[kind]))
    lasting = st.integers(1, LONGEST_FAULT_S)
    kinds = [
        st.builds(Fault, at, st.just("host-crash"), target),
        st.builds(Fault, at, st.just("storage-failure"), target),
        st.builds(Fault, at, st.just("network-loss"), target, st.none(), lasting),
        st.builds(Fault, at, st.just("unresponsive"), target, st.none(), lasting),
        st.builds(Fault, at, st.just("engine-crash"), target),
        st.builds(Fault, at, st.just("az-outage"), st.none(), st.sampled_from(AZS), lasting),
        st.builds(Fault, at, st.just("reboot-with-failover")),
    ]
    if kind == "self-managed-ec2":
        kinds.append(st.builds(Fault, at, st.just("partition"), target, st.none(), lasting))
    if kind == "aurora":
        kinds.append(
            st.builds(Fault, at, st.just("volume-copy-loss"), st.none(), st.sampled_from(AZS))
        )
    return st.one_of(kinds)


@st.composite
def runs(draw: st.DrawFn) -> tuple[str, str, list[Fault], int]:
    kind = draw(st.sampled_from(tuple(HOSTS)))
    ha = ""
    if kind == "self-managed-ec2":
        manager = draw(st.sampled_from(("manual", "patroni")))
        fencing = draw(st.booleans())
        replication = draw(st.sampled_from(("async", "semi-sync")))
        ha = (
            f"  ha: {{manager: {manager}, fencing: {str(fencing).lower()}, "
            f"replication: {replication}}}\n"
        )
    gaps = draw(st.lists(faults(kind), min_size=1, max_size=6))
    schedule, at_s = [], 0
    for fault in gaps:
        at_s = min(FAULTS_BEFORE_S, at_s + fault.at_s)
        schedule.append(replace(fault, at_s=at_s))
    return kind, ha, schedule, draw(st.integers(0, 2**32 - 1))


def text(kind: str, ha: str, schedule: list[Fault]) -> str:
    engine = "postgres" if kind == "self-managed-ec2" else "mysql"
    return (
        f"name: random\nengine: {engine}\nduration: {DURATION_S}s\n"
        f"deployment:\n  type: {kind}\n  instances:\n{HOSTS[kind]}{ha}"
        f"workload:\n  phases:\n    - {{start: 0s, writes_per_s: {WRITES_PER_S}}}\n"
        f"  bytes_per_txn: {BYTES_PER_TXN}\n"
        "probe: {interval: 10s}\n"
        "faults:\n" + "".join(f.yaml() for f in schedule)
    )


def assert_writers(record: Record, unfenced: bool) -> None:
    stretches = writer_intervals(record)
    for (_, end, first), (start, _, second) in pairwise(stretches):
        if start < end:
            assert unfenced, f"{first} and {second} both accept writes at {start:g} s"
    if not unfenced:
        assert summarize(record).two_writers_s in (None, 0.0)


def assert_positions_ordered(record: Record) -> None:
    """applied <= committed for every host; applied <= received while it follows."""
    names = {b.series for b in record.breakpoints}
    times = sorted({b.time_s for b in record.breakpoints})[::5]
    for info in record.instances:
        if applied_series(info.name) not in names:
            continue  # Aurora's volume lane
        for t in times:
            applied = record.series_at(applied_series(info.name), t)
            committed = record.series_at(COMMITTED, t)
            assert applied <= committed * (1 + 1e-12) + 1.0, (info.name, t, applied, committed)
            role, _ = state_at(record, info.name, t)
            if role in ("reader", "standby") and received_series(info.name) in names:
                received = record.series_at(received_series(info.name), t)
                assert applied <= received * (1 + 1e-12) + 1.0, (info.name, t, applied)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_random_fault_schedules_keep_each_types_invariants(
    case: tuple[str, str, list[Fault], int],
) -> None:
    kind, ha, schedule, seed = case
    scenario = text(kind, ha, schedule)
    record = run_yaml(scenario, seed)
    unfenced = "fencing: false" in ha
    assert_writers(record, unfenced)
    assert_positions_ordered(record)
    assert_time_ordered(record)
    assert_phases_non_negative(record)
    summary = summarize(record)
    if kind in ("aurora", "multi-az-cluster"):
        # One volume; or a commit that waited for a reader's acknowledgement.
        assert summary.rpo_txns == 0
    if kind != "self-managed-ec2":
        assert summary.two_writers_s is None and summary.split_brain_txns is None
    else:
        assert not [e for e in record.events if e.rds_event is not None]
    for started in of_kind(record, "failover-started"):
        assert started.data["target_instance"] != started.data["source_instance"]
    assert summarize(run_yaml(scenario, seed)).to_dict() == summary.to_dict()
