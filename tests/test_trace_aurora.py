"""Traces of an Aurora DB cluster: a writer and replicas on one shared cluster volume.

Each test builds a tiny cluster, runs it and reads the Record like a trace: the failover's
events (0072 same AZ / 0073 cross AZ, then 0071), which replica is promoted (lowest tier,
then the largest class), the volume's quorums (six copies in three AZs), the recovery in
place without a replica, and the replicas' lag. Expectations come from the scenario's
numbers and the fixed timings it sets.
"""

from __future__ import annotations

import pytest
from conftest import (
    committed_drops,
    committed_rate,
    of_kind,
    rds_ids,
    run_yaml,
    state_at,
    states,
    writer_intervals,
)

from rdssim.connections import CLASS_MEMORY_GIB
from rdssim.distributions import Uniform
from rdssim.lag import data_lag_s
from rdssim.metrics import summarize
from rdssim.quorum import COPIES_PER_AZ, READ_QUORUM, WRITE_QUORUM
from rdssim.record import COMMITTED
from rdssim.scenario.schema import TimingsSpec

DEFAULTS = TimingsSpec()
BYTES_PER_TXN = 4096
WRITES = 1000.0
DEFAULT_CLASS = "db.r6g.large"


def aurora(
    hosts: str, faults: str = "", *, timings: str = "", duration: str = "30m", phases: str = ""
) -> str:
    phases = phases or f"    - {{start: 0s, writes_per_s: {WRITES:g}}}\n"
    text = (
        f"name: trace\nengine: mysql\nduration: {duration}\n"
        f"deployment:\n  type: aurora\n  instance_class: {DEFAULT_CLASS}\n  instances:\n{hosts}"
        f"workload:\n  phases:\n{phases}"
        "probe: {interval: 1s}\n"
    )
    if timings:
        text += f"timings:\n{timings}"
    return text + (f"faults:\n{faults}" if faults else "faults: []\n")


def host(name: str, az: str, role: str = "reader", **keys: object) -> str:
    extra = "".join(f", {k}: {v}" for k, v in keys.items())
    return f"    - {{name: {name}, az: us-east-1{az}, role: {role}{extra}}}\n"


WRITER = host("db-1", "a", "primary")
CRASH = "  - {at: 5m, kind: host-crash, target: primary}\n"


# -- the failover ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hosts", "target", "started_id"),
    [
        # db-4 shares the writer's AZ and has the lowest tier: a same-AZ failover.
        (
            WRITER
            + host("db-2", "b", promotion_tier=1)
            + host("db-3", "c", promotion_tier=2)
            + host("db-4", "a", promotion_tier=0),
            "db-4",
            "0072",
        ),
        (
            WRITER
            + host("db-2", "b", promotion_tier=0)
            + host("db-3", "c", promotion_tier=2)
            + host("db-4", "a", promotion_tier=1),
            "db-2",
            "0073",
        ),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_writer_crash_fails_over_to_a_replica(
    hosts: str, target: str, started_id: str, seed: int
) -> None:
    record = run_yaml(aurora(hosts, CRASH, timings="  aurora_promotion: 6s\n"), seed=seed)
    (fault,) = of_kind(record, "fault")
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert fault.time_s < started.time_s < promoted.time_s <= completed.time_s
    assert rds_ids(record) == [started_id, "0071"]
    assert started.rds_event == f"RDS-EVENT-{started_id}"
    assert completed.rds_event == "RDS-EVENT-0071"
    assert (started.data["source_instance"], started.data["target_instance"]) == ("db-1", target)
    detection = DEFAULTS.aurora_detection
    assert isinstance(detection, Uniform)
    assert detection.low_s <= started.time_s - 300.0 <= detection.high_s
    # No redo to replay on a shared volume: the promotion is the (fixed) 6 s alone.
    assert promoted.time_s - started.time_s == pytest.approx(6.0, abs=1e-6)
    assert states(record, target) == [
        ("reader", "replicating"),
        ("reader", "promoting"),
        ("primary", "available"),
    ]
    assert states(record, "db-1")[:3] == [
        ("primary", "available"),
        ("primary", "failed"),
        ("none", "failed"),
    ]
    assert state_at(record, "db-1", record.duration_s) == ("reader", "replicating")
    # It reads the cluster volume once it is back: as current as the other replicas at
    # once, never the age of the data it had when it failed.
    replicas = summarize(record).replicas
    assert replicas is not None
    cache_s = DEFAULTS.aurora_replica_lag_s + DEFAULTS.aurora_lag_s_per_kwrites * WRITES / 1000
    assert replicas.max_lag_s["db-1"] == pytest.approx(cache_s, rel=1e-6)
    # The cluster endpoint moves to the new writer when the failover completes.
    answers = [(e.time_s, e.data["target"]) for e in record.events if e.kind == "dns-answer"]
    assert answers == [(0.0, "db-1"), (completed.time_s, target)]
    assert writer_intervals(record) == [
        (0.0, 300.0, "db-1"),
        (promoted.time_s, record.duration_s, target),
    ]
    # One volume: nothing is lost, the log resumes where it stopped.
    assert promoted.data["lost_txns"] == 0
    assert committed_drops(record) == []
    assert record.series_at(COMMITTED, promoted.time_s) == pytest.approx(
        record.series_at(COMMITTED, 300.0)
    )
    assert committed_rate(record, promoted.time_s + 1.0, record.duration_s) == pytest.approx(WRITES)
    summary = summarize(record)
    assert summary.rpo_txns == 0 and summary.failovers == 1
    assert summary.failover_s == pytest.approx(completed.time_s - 300.0)


TARGET_CASES = [
    # (tier, class) of db-2, db-3, db-4
    [(1, None), (1, "db.r6g.4xlarge"), (2, "db.r6g.16xlarge")],  # the tier first, then size
    [(0, None), (1, "db.r6g.16xlarge"), (1, "db.r6g.4xlarge")],  # a lower tier beats size
    [(3, "db.r6g.xlarge"), (3, "db.r6g.2xlarge"), (4, None)],
    [(15, "db.r6g.2xlarge"), (15, "db.r6g.xlarge"), (15, "db.r6g.large")],
]


@pytest.mark.parametrize("specs", TARGET_CASES)
def test_the_target_is_the_lowest_tier_then_the_largest_class(
    specs: list[tuple[int, str | None]],
) -> None:
    names = ("db-2", "db-3", "db-4")
    hosts = WRITER
    for name, az, (tier, klass) in zip(names, "bcb", specs, strict=True):
        keys: dict[str, object] = {"promotion_tier": tier}
        if klass is not None:
            keys["instance_class"] = klass
        hosts += host(name, az, **keys)

    def rank(spec: tuple[int, str | None]) -> tuple[int, float]:
        tier, klass = spec
        return tier, -CLASS_MEMORY_GIB[klass or DEFAULT_CLASS]

    expected = names[min(range(3), key=lambda i: rank(specs[i]))]
    for seed in range(4):
        record = run_yaml(aurora(hosts, CRASH), seed=seed)
        (started,) = of_kind(record, "failover-started")
        assert started.data["target_instance"] == expected
        assert state_at(record, expected, record.duration_s) == ("primary", "available")


def test_a_tie_of_tier_and_class_is_drawn_among_the_tied() -> None:
    hosts = (
        WRITER
        + host("db-2", "b", promotion_tier=1)
        + host("db-3", "c", promotion_tier=1)
        + host("db-4", "b", promotion_tier=1, instance_class="db.t3.medium")  # smaller
    )
    targets = {
        of_kind(run_yaml(aurora(hosts, CRASH, duration="10m"), seed=seed), "failover-started")[
            0
        ].data["target_instance"]
        for seed in range(20)
    }
    assert targets == {"db-2", "db-3"}


@pytest.mark.parametrize(
    "faults",
    [
        CRASH,
        "  - {at: 5m, kind: storage-failure, target: primary}\n",
        "  - {at: 5m, kind: network-loss, target: primary, duration: 10m}\n",
        "  - {at: 5m, kind: unresponsive, target: primary, duration: 10m}\n",
        "  - {at: 5m, kind: az-outage, az: us-east-1a, duration: 10m}\n",
    ],
)
def test_no_commit_is_lost_whatever_takes_the_writer(faults: str) -> None:
    hosts = WRITER + host("db-2", "b") + host("db-3", "c")
    for seed in (5, 6):
        record = run_yaml(aurora(hosts, faults), seed=seed)
        (promoted,) = of_kind(record, "failover-promoted")
        assert promoted.data["lost_txns"] == 0
        assert committed_drops(record) == []
        assert summarize(record).rpo_txns == 0


# -- without a replica -------------------------------------------------------------------------
def test_without_a_replica_the_writer_is_re_created_in_place() -> None:
    record = run_yaml(aurora(WRITER, CRASH, timings="  aurora_recreate: 5m\n"), seed=2)
    assert of_kind(record, "failover-started") == []
    assert rds_ids(record) == ["0020", "0021"]
    (started,) = of_kind(record, "recovery-started")
    (completed,) = of_kind(record, "recovery-completed")
    assert started.rds_event == "RDS-EVENT-0020" and completed.rds_event == "RDS-EVENT-0021"
    assert started.data["trigger_s"] == 300.0
    detection = DEFAULTS.aurora_detection
    assert isinstance(detection, Uniform)
    assert detection.low_s <= started.time_s - 300.0 <= detection.high_s
    assert completed.time_s == pytest.approx(started.time_s + 300.0)  # the fixed re-creation
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "failed"),
        ("primary", "recovering"),
        ("primary", "available"),
    ]
    assert writer_intervals(record) == [
        (0.0, 300.0, "db-1"),
        (completed.time_s, record.duration_s, "db-1"),
    ]
    # Same volume, same endpoint: nothing lost, no DNS move.
    assert [e.data["target"] for e in record.events if e.kind == "dns-answer"] == ["db-1"]
    assert record.series_at(COMMITTED, completed.time_s) == pytest.approx(
        record.series_at(COMMITTED, 300.0)
    )
    summary = summarize(record)
    assert summary.rpo_txns == 0 and summary.failovers == 0
    assert summary.writer_unavailable_s == pytest.approx(completed.time_s - 300.0)


# -- the volume's quorums --------------------------------------------------------------------
TWO_READERS = WRITER + host("db-2", "b") + host("db-3", "c")


def test_an_outage_of_the_writers_az_leaves_the_volume_writable() -> None:
    record = run_yaml(
        aurora(TWO_READERS, "  - {at: 5m, kind: az-outage, az: us-east-1a, duration: 10m}\n"),
        seed=1,
    )
    # 4 of 6 copies are the write quorum: no quorum event, the new writer commits at once.
    assert 3 * COPIES_PER_AZ - COPIES_PER_AZ >= WRITE_QUORUM
    assert [e.kind for e in record.events if e.kind.startswith("volume-")] == []
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    assert started.rds_event == "RDS-EVENT-0073" and started.data["cause"] == "unreachable"
    new = started.data["target_instance"]
    assert new in ("db-2", "db-3")
    assert state_at(record, new, 600.0) == ("primary", "available")
    assert committed_rate(record, promoted.time_s, 900.0) == pytest.approx(WRITES)
    assert summarize(record).rpo_txns == 0


def test_an_az_and_one_more_copy_make_commits_wait_until_the_copy_is_repaired() -> None:
    faults = (
        "  - {at: 5m, kind: az-outage, az: us-east-1c, duration: 10m}\n"
        "  - {at: 6m, kind: volume-copy-loss, az: us-east-1b}\n"
    )
    record = run_yaml(aurora(TWO_READERS, faults, timings="  segment_repair: 12s\n"), seed=1)
    repaired_s = 360.0 + 12.0
    # 3 copies: the read quorum, not the write quorum.
    assert READ_QUORUM <= 2 * COPIES_PER_AZ - 1 < WRITE_QUORUM
    assert [(e.time_s, e.kind) for e in record.events if e.kind.startswith("volume-")] == [
        (360.0, "volume-copy-lost"),
        (360.0, "volume-readable"),
        (pytest.approx(repaired_s), "volume-copy-repaired"),
        (pytest.approx(repaired_s), "volume-writable"),
    ]
    # The writer keeps its connections but its commits wait; it never fails over.
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "commits-waiting"),
        ("primary", "available"),
    ]
    assert state_at(record, "db-1", 361.0) == ("primary", "commits-waiting")
    assert state_at(record, "db-1", repaired_s + 0.001) == ("primary", "available")
    assert of_kind(record, "failover-started") == []
    # Readable, not writable: db-2 keeps replicating, the log stands still.
    assert state_at(record, "db-2", 365.0) == ("reader", "replicating")
    assert record.series_at(COMMITTED, repaired_s) == pytest.approx(
        record.series_at(COMMITTED, 360.0)
    )
    assert committed_rate(record, repaired_s, 900.0) == pytest.approx(WRITES)
    assert not [o for o in record.operations if o.outcome == "ok" and 361.0 < o.end_s < repaired_s]
    summary = summarize(record)
    assert summary.writer_unavailable_s == pytest.approx(12.0)
    assert summary.rpo_txns == 0


def test_a_copy_lost_in_a_dark_az_is_repaired_once_the_az_is_back() -> None:
    faults = (
        "  - {at: 5m, kind: az-outage, az: us-east-1c, duration: 10m}\n"
        "  - {at: 6m, kind: volume-copy-loss, az: us-east-1c}\n"
    )
    record = run_yaml(aurora(TWO_READERS, faults, timings="  segment_repair: 12s\n"), seed=1)
    kinds = [(e.time_s, e.kind) for e in record.events if e.kind.startswith("volume-")]
    # 1a and 1b still hold 4 copies: writable all along; the copy comes back after the AZ.
    assert kinds == [(360.0, "volume-copy-lost"), (pytest.approx(912.0), "volume-copy-repaired")]
    assert states(record, "db-1") == [("primary", "available")]
    assert committed_rate(record, 0.0, record.duration_s) == pytest.approx(WRITES)


def test_an_az_and_two_more_copies_leave_nothing_readable() -> None:
    faults = (
        "  - {at: 5m, kind: az-outage, az: us-east-1c, duration: 10m}\n"
        "  - {at: 6m, kind: volume-copy-loss, az: us-east-1b}\n"
        "  - {at: 6m, kind: volume-copy-loss, az: us-east-1a}\n"
    )
    record = run_yaml(aurora(TWO_READERS, faults, timings="  segment_repair: 30s\n"), seed=1)
    assert 2 * COPIES_PER_AZ - 2 < READ_QUORUM
    assert "volume-unavailable" in [e.kind for e in record.events]
    assert state_at(record, "db-1", 365.0) == ("primary", "commits-waiting")
    assert state_at(record, "db-2", 365.0)[1] == "volume-unavailable"
    assert of_kind(record, "failover-started") == []
    assert state_at(record, "db-1", 400.0) == ("primary", "available")
    assert state_at(record, "db-2", 400.0) == ("reader", "replicating")
    assert summarize(record).rpo_txns == 0


# -- replica lag --------------------------------------------------------------------------------
def test_replica_lag_is_the_cache_delay_growing_with_the_write_rate() -> None:
    phases = "    - {start: 0s, writes_per_s: 1000}\n    - {start: 5m, writes_per_s: 4000}\n"
    record = run_yaml(
        aurora(
            TWO_READERS,
            timings="  aurora_replica_lag: 50ms\n  aurora_lag_per_kwrites: 10ms\n",
            phases=phases,
            duration="10m",
        ),
        seed=1,
    )
    for rate, times in ((1000.0, [60.0, 250.0]), (4000.0, [360.0, 590.0])):
        expected_s = 0.050 + 0.010 * rate / 1000.0
        for name in ("db-2", "db-3"):
            assert list(data_lag_s(record, name, times)) == pytest.approx(
                [expected_s, expected_s], abs=1e-6
            ), (name, rate)
