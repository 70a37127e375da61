"""Traces of read replicas: how they follow, fall behind, break, resume, get promoted and read.

Each test builds a tiny scenario, runs it and reads the Record like a trace: the replica's
lane of states, its RDS events, its received / applied positions and the lag measured from
them. Where an answer has a closed form (catch-up after a write spike or a failover, the loss
of a promotion, the steady lag of a link) the test computes it by hand and compares. Timings a
test wants exact are fixed in its scenario; the others keep their calibrated (random)
defaults, and the assertions hold for any draw (several seeds where it matters).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pytest
from conftest import (
    MULTI_AZ,
    SCENARIOS,
    SINGLE_AZ,
    of_kind,
    only,
    rds,
    run_yaml,
    state_at,
    states,
    writer_intervals,
)

from rdssim.lag import curve, data_lag_s, replica_lag_s
from rdssim.metrics import summarize
from rdssim.model.links import DEFAULT_LINKS
from rdssim.record import (
    COMMITTED,
    Record,
    applied_series,
    reads_series,
    received_series,
)
from rdssim.replica_metrics import ReplicaSummary
from rdssim.scenario import ScenarioError, load_scenario
from rdssim.scenario.schema import TimingsSpec
from rdssim.sim import run

BYTES_PER_TXN = 4096  # the workload default
DEFAULTS = TimingsSpec()


def scenario_yaml(
    replicas: Sequence[str],
    phases: Sequence[tuple[str, float]],
    *,
    duration: str = "30m",
    engine: str = "mysql",
    version: str | None = None,
    single_az: bool = False,
    replication: str | None = None,
    faults: Sequence[str] = (),
    actions: Sequence[str] = (),
    reads: str | None = None,
    timings: str | None = None,
) -> str:
    """A scenario with ``replicas`` (flow mappings) under a Single-AZ or Multi-AZ instance."""
    text = f"name: replicas\nengine: {engine}\nduration: {duration}\n"
    if version is not None:
        text += f'engine_version: "{version}"\n'
    text += SINGLE_AZ if single_az else MULTI_AZ
    text += "  replicas:\n" + "".join(f"    - {r}\n" for r in replicas)
    if replication is not None:
        text += f"  replication: {replication}\n"
    text += "workload:\n  phases:\n"
    text += "".join(f"    - {{start: {start}, writes_per_s: {rate}}}\n" for start, rate in phases)
    if faults:
        text += "faults:\n" + "".join(f"  - {f}\n" for f in faults)
    if actions:
        text += "actions:\n" + "".join(f"  - {a}\n" for a in actions)
    if reads is not None:
        text += f"reads: {reads}\n"
    if timings is not None:
        text += f"timings: {timings}\n"
    return text


def replica_summary(record: Record) -> ReplicaSummary:
    summary = summarize(record).replicas
    assert summary is not None
    return summary


def lanes(record: Record, replica: str) -> list[str]:
    """The replica's lane as a timeline draws it: the states it holds for some time, in order
    (an instant pass through a state, e.g. reconnecting for 0 s, is left out); its role must
    stay "replica" throughout."""
    out: list[str] = []
    for _, _, role, state in record.state_intervals(replica):
        assert role == "replica", (role, state)
        if not out or out[-1] != state:
            out.append(state)
    return out


def intervals(record: Record, replica: str, state: str) -> list[tuple[float, float]]:
    return [(a, b) for a, b, _, s in record.state_intervals(replica) if s == state]


def backlog_bytes_at(record: Record, replica: str, time_s: float) -> float:
    """Committed minus applied at ``time_s``, read off the Record's series."""
    return record.series_at(COMMITTED, time_s) - record.series_at(applied_series(replica), time_s)


def backlog_through_link_bytes(record: Record, replica: str, time_s: float, link_s: float) -> float:
    """What the replica has still to apply of the log as it sees it, ``link_s`` late."""
    committed = record.series_at(COMMITTED, time_s - link_s)
    return committed - record.series_at(applied_series(replica), time_s)


# Default one-way link latencies (assumptions of rdssim.model.links).
SAME_AZ_S = DEFAULT_LINKS["same-az"][0]
CROSS_AZ_S = DEFAULT_LINKS["cross-az"][0]
CROSS_REGION_S = DEFAULT_LINKS["cross-region"][0]


def replica_rds_ids(record: Record, replica: str) -> list[str]:
    return [e.rds_event[-4:] for e in record.events if e.source == replica and e.rds_event]


def lag_at(record: Record, replica: str, *times_s: float) -> list[float]:
    return [float(x) for x in data_lag_s(record, replica, np.array(times_s))]


def crash_at_5m() -> list[str]:
    return ["{at: 5m, kind: host-crash, target: primary}"]


# -- 1. closed-form catch-up ------------------------------------------------------------------
# A 3-minute spike at S writes/s over a base of W; the replica applies at most C (W < C < S).
W, S, C = 600.0, 3000.0, 1200.0
SPIKE_START_S, SPIKE_END_S = 300.0, 480.0
SPIKE_BACKLOG_TXNS = (S - C) * (SPIKE_END_S - SPIKE_START_S)
CATCH_UP_S = SPIKE_BACKLOG_TXNS / (C - W)  # 540 s after the spike ends


def spike_lag_without_link_s(t: float) -> float:
    """Hand-computed data lag with an instantaneous link.

    From the spike's start the replica applies C writes/s of a log written at S (during the
    spike) then W: at t it has applied C (t - t0) writes past the log's position at t0,
    which the primary had committed at tau; the lag is t - tau, until it meets the log.
    """
    if t <= SPIKE_START_S:
        return 0.0
    applied = C * (t - SPIKE_START_S)
    spike = S * (SPIKE_END_S - SPIKE_START_S)
    during = applied <= spike  # still applying the log written during the spike
    tau = SPIKE_START_S + applied / S if during else SPIKE_END_S + (applied - spike) / W
    return max(t - tau, 0.0)


def test_the_hand_computed_spike_lag() -> None:
    """The closed form used below, at instants worked out on paper."""
    lags = [spike_lag_without_link_s(t) for t in (300.0, 360.0, 480.0, 600.0, 750.0, 900.0)]
    assert lags == pytest.approx([0.0, 36.0, 108.0, 180.0, 270.0, 120.0])
    assert spike_lag_without_link_s(SPIKE_END_S + CATCH_UP_S) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("latency_s", [0.0, 0.25])
def test_write_spike_catch_up_is_backlog_over_spare_capacity(latency_s: float) -> None:
    """Catching up ends at spike_end + (S - C) * spike / (C - W), shifted by the link delay."""
    record = run_yaml(
        scenario_yaml(
            [
                f"{{name: small, az: us-east-1b, apply_writes_per_s: {C:g}, "
                f"link: {{latency: {latency_s}}}}}",
                "{name: large, az: us-east-1c, apply_writes_per_s: 6000}",
            ],
            [("0s", W), ("5m", S), ("8m", W)],
            duration="30m",
        )
    )
    end_s = SPIKE_END_S + CATCH_UP_S + latency_s
    spans = [(a, b, s) for a, b, _, s in record.state_intervals("small")]
    assert [s for _, _, s in spans] == ["replicating", "catching-up", "replicating"]
    assert spans[1][0] == pytest.approx(SPIKE_START_S + latency_s, rel=1e-6)
    assert spans[1][1] == pytest.approx(end_s, rel=1e-6)
    assert [e.time_s for e in record.events if e.kind == "replica-caught-up"] == [
        pytest.approx(end_s, rel=1e-6)
    ]
    # The large replica (C > S) never falls behind.
    assert lanes(record, "large") == ["replicating"]

    summary = replica_summary(record)
    assert summary.catch_up_s["small"] == pytest.approx(CATCH_UP_S + latency_s, rel=1e-6)
    assert "large" not in summary.catch_up_s
    # The lag peaks when the replica reaches the log written at the spike's end (t = 750 s).
    assert summary.max_lag_s["small"] == pytest.approx(270.0 + latency_s, rel=1e-6)

    times = [100.0, 330.0, 420.0, 480.0, 600.0, 750.0, 900.0, 1000.0, 1100.0, 1500.0]
    expected = [latency_s + spike_lag_without_link_s(t - latency_s) for t in times]
    assert lag_at(record, "small", *times) == pytest.approx(expected, rel=1e-6, abs=1e-9)


FAILOVER_CATCH_UP = scenario_yaml(
    ["{name: r1, az: us-east-1c, apply_writes_per_s: 1500, link: {latency: 0s}}"],
    [("0s", 1000)],
    duration="20m",
    faults=crash_at_5m(),
)


def test_catch_up_after_a_failover_is_backlog_at_resume_over_spare_capacity() -> None:
    """MySQL Multi-AZ, primary host crash: for every seed (the resume time is random), the
    replica catches up backlog(t_resume) / (C - W) after it resumes."""
    spare_bps = (1500 - 1000) * BYTES_PER_TXN
    resumes = set()
    for seed in range(50):
        record = run_yaml(FAILOVER_CATCH_UP, seed=seed)
        resumed = only(record, "0046")
        assert resumed.source == "r1"
        assert resumed.time_s >= only(record, "0049").time_s
        backlog = backlog_bytes_at(record, "r1", resumed.time_s)
        assert backlog > 0
        expected_s = backlog / spare_bps
        ((start, end),) = intervals(record, "r1", "catching-up")
        assert start == resumed.time_s
        assert end - start == pytest.approx(expected_s, rel=1e-6), f"seed {seed}"
        assert replica_summary(record).catch_up_s["r1"] == pytest.approx(expected_s, rel=1e-6)
        resumes.add(round(resumed.time_s, 6))
    assert len(resumes) == 50  # the closed form was checked at 50 different resume times


# -- 2. every engine's reaction to its source's failover --------------------------------------
SWITCH = ["replicating", "reconnecting", "catching-up", "replicating"]
RESTART = ["replicating", "reconnecting", "restarting", "catching-up", "replicating"]


def failover_yaml(
    engine: str,
    version: str,
    *,
    replication: str | None = None,
    actions: Sequence[str] = (),
    reads: str | None = None,
) -> str:
    """One replica (5000 writes/s of apply) of a Multi-AZ primary whose host crashes at 5 min."""
    return scenario_yaml(
        ["{name: r1, az: us-east-1c, apply_writes_per_s: 5000}"],
        [("0s", 1000)],
        duration="40m",
        engine=engine,
        version=version,
        replication=replication,
        faults=crash_at_5m(),
        actions=actions,
        reads=reads,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("engine", "version", "expected", "retry_max_s"),
    [
        ("mysql", "8.0", SWITCH, 60.0),
        ("mariadb", "10.11", SWITCH, 60.0),
        ("postgres", "12.19", RESTART, None),
        ("postgres", "16.4", SWITCH, 5.0),
    ],
)
def test_rds_replica_follows_its_source_failover_by_the_engine_rule(
    engine: str, version: str, expected: list[str], retry_max_s: float | None, seed: int
) -> None:
    record = run_yaml(failover_yaml(engine, version), seed=seed)
    assert lanes(record, "r1") == expected
    assert replica_rds_ids(record, "r1") == ["0045", "0046"]
    stopped, resumed, completed = rds(record, "0045")[0], only(record, "0046"), only(record, "0049")
    assert stopped.time_s == 300.0
    assert state_at(record, "r1", 300.0) == ("replica", "reconnecting")
    # The replica resumes only once the failover completed (the endpoint names the new primary).
    assert resumed.time_s >= completed.time_s
    if retry_max_s is not None:  # the engine's retry delay (MASTER_CONNECT_RETRY / walreceiver)
        assert resumed.time_s - completed.time_s <= retry_max_s
        assert intervals(record, "r1", "reconnecting") == [(300.0, resumed.time_s)]
    else:  # PostgreSQL <= 12: restarts when the source fails over, then follows it
        ((start, end),) = intervals(record, "r1", "restarting")
        assert start == completed.time_s and end == resumed.time_s
        restarting = [e for e in record.events if e.kind == "replica-restarting"]
        assert [e.time_s for e in restarting] == [completed.time_s]
    ((catch_start, _),) = intervals(record, "r1", "catching-up")
    assert catch_start == resumed.time_s
    assert state_at(record, "r1", record.duration_s) == ("replica", "replicating")

    # ReplicaLag while reconnecting: MySQL/MariaDB report -1, PostgreSQL the growing data lag.
    probe = np.array([301.0, 320.0, 340.0])
    data = data_lag_s(record, "r1", probe)
    assert np.diff(data) == pytest.approx([19.0, 20.0])  # nothing applied: +1 s per second
    cloudwatch = replica_lag_s(record, "r1", probe)
    if engine == "postgres":
        assert cloudwatch == pytest.approx(data)
    else:
        assert list(cloudwatch) == [-1.0, -1.0, -1.0]
    # Once caught up, both lags are the link's delay again.
    last = np.array([record.duration_s - 1.0])
    assert replica_lag_s(record, "r1", last) == pytest.approx([CROSS_AZ_S])


@pytest.mark.parametrize(("engine", "version"), [("mysql", "8.0"), ("postgres", "16.4")])
def test_self_managed_replica_is_stranded_by_a_failover(engine: str, version: str) -> None:
    record = run_yaml(failover_yaml(engine, version, replication="self-managed"), seed=4)
    assert lanes(record, "r1") == ["replicating", "reconnecting", "stranded"]
    completed = only(record, "0049")
    ((start, end),) = intervals(record, "r1", "stranded")
    assert (start, end) == (completed.time_s, record.duration_s)
    stranded = [e for e in record.events if e.kind == "replica-stranded"]
    assert [(e.time_s, e.source) for e in stranded] == [(completed.time_s, "r1")]
    # Hand-built replication has nobody to emit RDS events; the DB instance still does.
    assert replica_rds_ids(record, "r1") == []
    assert [e.kind for e in record.events if e.source == "r1"][:1] == ["replication-stopped"]
    assert [e.rds_event for e in record.events if e.kind.startswith("replication-")] == [None]
    assert rds(record, "0013") and rds(record, "0049")

    times = np.array([600.0, 1200.0, 2000.0])
    data = data_lag_s(record, "r1", times)
    assert np.diff(data) == pytest.approx([600.0, 800.0])  # grows one second per second
    assert data[0] == pytest.approx(300.0 + CROSS_AZ_S)  # the log up to the crash (minus the link)
    cloudwatch = replica_lag_s(record, "r1", times)
    if engine == "mysql":
        assert list(cloudwatch) == [-1.0, -1.0, -1.0]
    else:
        assert cloudwatch == pytest.approx(data)


def test_self_managed_replica_resumes_after_a_repoint() -> None:
    record = run_yaml(
        failover_yaml(
            "mysql",
            "8.0",
            replication="self-managed",
            actions=["{at: 20m, kind: repoint-replica, target: r1, source: primary}"],
        ),
        seed=4,
    )
    assert lanes(record, "r1") == [
        "replicating",
        "reconnecting",
        "stranded",
        "reconnecting",
        "catching-up",
        "replicating",
    ]
    repointed = [e for e in record.events if e.kind == "replica-repointed"]
    assert len(repointed) == 1 and repointed[0].data["new_source"] == "primary"
    low, high = 1200.0 + 2.0, 1200.0 + 10.0  # the calibrated repoint delay, uniform 2-10 s
    assert low <= repointed[0].time_s <= high
    assert intervals(record, "r1", "stranded")[0][1] == 1200.0
    ((catch_start, catch_end),) = intervals(record, "r1", "catching-up")
    assert catch_start == repointed[0].time_s
    # It applies 5000 - 1000 spare writes/s of a backlog it sees through the link's delay.
    backlog = backlog_through_link_bytes(record, "r1", catch_start, CROSS_AZ_S)
    assert catch_end - catch_start == pytest.approx(backlog / (4000 * BYTES_PER_TXN), rel=1e-6)
    assert replica_rds_ids(record, "r1") == []
    lag = replica_lag_s(record, "r1", np.array([1100.0, record.duration_s - 1]))
    assert lag == pytest.approx([-1.0, CROSS_AZ_S])


def test_self_managed_replica_does_not_follow_a_failover_during_its_retry() -> None:
    """The replica's AZ comes back (it schedules a reconnect to db-1 after 58 s); db-1 crashes
    a second later and the failover completes before the retry fires. Hand-built replication
    retries db-1, the host it was configured with: it must end stranded, not replicating
    from db-2 without anybody re-pointing it."""
    record = run_yaml(
        scenario_yaml(
            ["{name: r1, az: us-east-1c}"],
            [("0s", 100)],
            duration="30m",
            replication="self-managed",
            faults=[
                "{at: 4m, kind: az-outage, az: us-east-1c, duration: 59s}",
                "{at: 5m, kind: host-crash, target: primary}",
            ],
            timings=(
                "{replica_reconnect: 58s, failover_initiation: 1s, standby_activation: 5s, "
                "dns_propagation: 1s}"
            ),
        ),
        seed=0,
    )
    assert only(record, "0049").time_s < 299.0 + 58.0  # the race this test sets up
    assert lanes(record, "r1")[-1] == "stranded"


def test_self_managed_repoint_during_a_failover_reaches_the_new_primary() -> None:
    """The operator re-points the replica to the primary while the failover runs: once the
    new primary accepts writes the replica replicates from it (not 'keeps retrying None')."""
    record = run_yaml(
        failover_yaml(
            "mysql",
            "8.0",
            replication="self-managed",
            actions=["{at: 310s, kind: repoint-replica, target: r1, source: primary}"],
        ),
        seed=0,
    )
    repointed = [e for e in record.events if e.kind == "replica-repointed"]
    assert repointed[0].time_s < only(record, "0049").time_s  # repointed mid-failover
    assert "stranded" not in lanes(record, "r1")
    assert lanes(record, "r1")[-1] == "replicating"


# -- 3. promotion ------------------------------------------------------------------------------
PROMOTE = scenario_yaml(
    [
        # Applies 800 writes/s of a 1000 writes/s load: ever further behind.
        "{name: r1, az: us-east-1c, apply_writes_per_s: 800}",
        "{name: r2, az: us-east-1c, source: r1}",
        "{name: r3, az: us-east-1b}",
    ],
    [("0s", 1000)],
    duration="30m",
    actions=[
        "{at: 10m, kind: promote-replica, target: r1}",
        "{at: 20m, kind: promote-replica, target: r1}",
    ],
)


@pytest.mark.parametrize("seed", [0, 5])
def test_promotion_loses_the_unapplied_backlog(seed: int) -> None:
    record = run_yaml(PROMOTE, seed=seed)
    t_p = 600.0
    (started,) = [e for e in record.events if e.kind == "replica-promotion-started"]
    assert (started.time_s, started.source) == (t_p, "r1")
    lost_txns = backlog_bytes_at(record, "r1", t_p) / BYTES_PER_TXN
    # Falling behind at 200 writes/s for 10 minutes (less the link's 0.0015 s of log).
    assert lost_txns == pytest.approx(200 * 600, rel=1e-4)
    assert started.data["lost_txns"] == pytest.approx(lost_txns, rel=1e-9)
    summary = replica_summary(record)
    assert summary.promotion_lost_txns == round(lost_txns)
    assert [p["lost_txns"] for p in summary.promotions] == [pytest.approx(lost_txns, rel=1e-9)]
    assert summary.promotion_lost_s == pytest.approx(started.data["lost_s"], rel=1e-9)
    assert rds(record, "0057")[0].time_s == t_p

    # The promoted replica becomes a standalone instance; its lag is undefined from t_p.
    assert states(record, "r1")[-2:] == [("replica", "promoting"), ("standalone", "available")]
    assert state_at(record, "r1", record.duration_s) == ("standalone", "available")
    promoted = [e for e in record.events if e.kind == "replica-promoted"]
    assert len(promoted) == 1 and promoted[0].time_s > t_p
    assert np.isnan(data_lag_s(record, "r1", np.array([t_p, 1000.0]))).all()
    # Its replica follows it: replication breaks while it is promoted, then resumes from it
    # (and is caught up at once: nobody writes to the promoted instance).
    assert [s for _, s in states(record, "r2")] == [
        "replicating",
        "reconnecting",
        "catching-up",
        "replicating",
    ]
    assert replica_rds_ids(record, "r2") == ["0045", "0046"]
    assert rds(record, "0046")[0].time_s >= promoted[0].time_s
    end = record.duration_s
    assert record.series_at(applied_series("r2"), end) == pytest.approx(
        record.series_at(applied_series("r1"), end)
    )
    assert sorted(e.source for e in record.events if e.kind == "replica-detached") == ["r1", "r2"]
    # The other replica of the primary does not notice.
    assert lanes(record, "r3") == ["replicating"]
    assert lag_at(record, "r3", 599.0, 700.0, 1700.0) == pytest.approx([CROSS_AZ_S] * 3)
    # No second writer: the promoted replica is a separate, standalone instance.
    assert [name for _, _, name in writer_intervals(record)] == ["db-1"]
    # Promoting it again is refused.
    rejected = [e for e in record.events if e.kind == "action-rejected"]
    assert [(e.time_s, e.source) for e in rejected] == [(1200.0, "action[1]")]


def test_promotion_after_writes_stopped_loses_nothing() -> None:
    """AWS's advice: stop writes, wait for the replica to catch up, then promote."""
    record = run_yaml(
        scenario_yaml(
            ["{name: r1, az: eu-west-1a, apply_writes_per_s: 900}"],
            [("0s", 1000), ("5m", 0)],
            duration="20m",
            actions=["{at: 10m, kind: promote-replica, target: r1}"],
        ),
        seed=1,
    )
    assert state_at(record, "r1", 599.0) == ("replica", "replicating")
    (started,) = [e for e in record.events if e.kind == "replica-promotion-started"]
    assert started.data["lost_txns"] == pytest.approx(0.0, abs=1e-9)
    assert started.data["lost_s"] == pytest.approx(0.0, abs=1e-9)
    assert replica_summary(record).promotion_lost_txns == 0


# -- 4. creating a replica ----------------------------------------------------------------------
def create_yaml(single_az: bool) -> str:
    return scenario_yaml(
        ["{name: r1, az: us-east-1c, apply_writes_per_s: 5000}"],
        [("0s", 1000)],
        duration="60m",
        single_az=single_az,
        actions=["{at: 10m, kind: create-replica, target: r1}"],
    )


@pytest.mark.parametrize("seed", [0, 3])
def test_create_replica_on_a_single_az_source_suspends_its_io(seed: int) -> None:
    record = run_yaml(create_yaml(single_az=True), seed=seed)
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "io-suspended"),
        ("primary", "available"),
    ]
    ((start, end),) = intervals(record, "db-1", "io-suspended")
    assert start == 600.0 and end > start
    assert [e.time_s for e in record.events if e.kind == "io-suspended"] == [600.0]
    assert [e.time_s for e in record.events if e.kind == "io-resumed"] == [end]
    summary = summarize(record)
    assert summary.writer_unavailable_s == pytest.approx(end - start)
    assert summary.probe_errors.get("read-timeout", 0) > 0
    # No writes commit while I/O is suspended.
    assert record.series_at(COMMITTED, end) == record.series_at(COMMITTED, start)
    assert_created_from_the_snapshot(record)


def test_create_replica_on_a_multi_az_source_snapshots_the_standby() -> None:
    record = run_yaml(create_yaml(single_az=False), seed=0)
    assert "io-suspended" not in [s for _, s in states(record, "db-1")]
    assert not [e for e in record.events if e.kind == "io-suspended"]
    summary = summarize(record)
    assert summary.writer_unavailable_s == 0.0
    assert summary.probe_errors == {}
    assert_created_from_the_snapshot(record)


def assert_created_from_the_snapshot(record: Record) -> None:
    """Nothing before the action; creating, catching up from the snapshot, replicating."""
    assert next(s.time_s for s in record.states if s.instance == "r1") == 600.0
    assert lanes(record, "r1") == ["creating", "catching-up", "replicating"]
    assert [e.time_s for e in record.events if e.kind == "replica-creation-started"] == [600.0]
    assert np.isnan(data_lag_s(record, "r1", np.array([0.0, 599.0]))).all()
    resumed = only(record, "0046")
    assert intervals(record, "r1", "creating") == [(600.0, resumed.time_s)]
    snapshot = record.series_at(COMMITTED, 600.0)
    for series in (applied_series("r1"), received_series("r1")):
        times, _ = record.series(series)
        assert times[0] == 600.0
        assert record.series_at(series, 600.0) == snapshot
        assert record.series_at(series, resumed.time_s - 1e-3) == snapshot  # flat meanwhile
    ((start, end),) = intervals(record, "r1", "catching-up")
    assert start == resumed.time_s
    backlog = backlog_through_link_bytes(record, "r1", start, CROSS_AZ_S)
    assert end - start == pytest.approx(backlog / ((5000 - 1000) * BYTES_PER_TXN), rel=1e-6)


# -- 5. chains and links -------------------------------------------------------------------------
CHAIN = scenario_yaml(
    [
        "{name: r1, az: us-east-1c, apply_writes_per_s: 1500}",
        "{name: r2, az: us-east-1b, source: r1, apply_writes_per_s: 1200}",
        "{name: r3, az: us-east-1a, source: r2, apply_writes_per_s: 1100}",
        "{name: dr, az: us-west-2a}",
        "{name: slow-dr, az: us-west-2a, link: {latency: 250ms}}",
    ],
    [("0s", 1000), ("2m", 2500), ("4m", 1000), ("15m", 0), ("17m", 800)],
    duration="60m",
    faults=["{at: 20m, kind: host-crash, target: r2}"],
)


def test_a_chain_never_gets_ahead_of_its_source() -> None:
    record = run_yaml(CHAIN, seed=2)
    grid = np.union1d(
        np.arange(0.0, record.duration_s, 0.5), [b.time_s for b in record.breakpoints]
    )
    levels = [
        curve(record, COMMITTED),
        curve(record, received_series("r1")),
        curve(record, applied_series("r1")),
        curve(record, received_series("r2")),
        curve(record, applied_series("r2")),
        curve(record, received_series("r3")),
        curve(record, applied_series("r3")),
    ]
    for upper, lower in pairwise(levels):
        gap = upper.value_at(grid) - lower.value_at(grid)
        assert (gap >= -1e-6 * np.maximum(1.0, upper.value_at(grid))).all()
    # Not vacuous: each replica falls behind its source during the spike.
    for replica in ("r1", "r2", "r3"):
        assert "catching-up" in lanes(record, replica)
    assert lanes(record, "r2")[-1] == "replicating" and "failed" in lanes(record, "r2")
    # Chained delays add up: r2 is two cross-AZ links behind the primary when all keep up.
    assert lag_at(record, "r2", 60.0)[0] == pytest.approx(2 * CROSS_AZ_S)


def test_cross_region_steady_lag_is_the_link_latency() -> None:
    record = run_yaml(CHAIN, seed=2)
    times = (30.0, 100.0, 1400.0, 3000.0)  # steady writes, before and after the spike
    assert lag_at(record, "dr", *times) == pytest.approx([CROSS_REGION_S] * 4, rel=1e-6)
    assert CROSS_REGION_S == 0.070
    assert lag_at(record, "slow-dr", *times) == pytest.approx([0.250] * 4, rel=1e-6)
    assert lanes(record, "dr") == ["replicating"]


# -- 6. faults on the replicas ------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_replica_host_crash_is_repaired(seed: int) -> None:
    record = run_yaml(
        scenario_yaml(
            ["{name: r1, az: us-east-1c}"],
            [("0s", 1000)],
            duration="40m",
            faults=["{at: 5m, kind: host-crash, target: r1}"],
        ),
        seed=seed,
    )
    assert lanes(record, "r1") == [
        "replicating",
        "failed",
        "recovering",
        "reconnecting",
        "catching-up",
        "replicating",
    ]
    assert replica_rds_ids(record, "r1") == ["0045", "0046"]
    assert rds(record, "0045")[0].time_s == 300.0
    assert not rds(record, "0013"), "a replica's crash is no failover of the DB instance"
    assert writer_intervals(record) == [(0.0, record.duration_s, "db-1")]
    ((start, end),) = intervals(record, "r1", "recovering")
    low = DEFAULTS.health_check_timeout_s  # the health checks notice, then a new host
    assert 300.0 + low <= start and end > start
    assert only(record, "0046").time_s >= end


def test_replica_az_outage_makes_it_unreachable_then_it_comes_back() -> None:
    record = run_yaml(
        scenario_yaml(
            ["{name: r1, az: us-east-1c}", "{name: r2, az: us-east-1b}"],
            [("0s", 1000)],
            duration="30m",
            faults=["{at: 5m, kind: az-outage, az: us-east-1c, duration: 3m}"],
        ),
        seed=0,
    )
    assert lanes(record, "r1") == [
        "replicating",
        "unreachable",
        "reconnecting",
        "catching-up",
        "replicating",
    ]
    assert intervals(record, "r1", "unreachable") == [(300.0, 480.0)]
    assert replica_rds_ids(record, "r1") == ["0045", "0046"]
    assert lanes(record, "r2") == ["replicating"]
    assert lag_at(record, "r1", 479.0)[0] == pytest.approx(179.0 + CROSS_AZ_S)


@pytest.mark.parametrize("seed", range(5))
def test_after_an_az_outage_a_replica_elsewhere_follows_the_new_primary_as_after_a_crash(
    seed: int,
) -> None:
    """Bundled az_outage.yaml: the primary's AZ goes dark for 30 minutes, or (its host_crash
    variant) only the primary's host crashes, at the same instant. The replica in a healthy
    AZ follows the new primary once the failover completes in both worlds, alike; the one in
    the dark AZ waits for the AZ to come back."""
    variants = load_scenario(SCENARIOS / "az_outage.yaml").variants
    outage, crash = run(variants["az_outage"], seed), run(variants["host_crash"], seed)
    for record in (outage, crash):
        completed = only(record, "0049").time_s
        resumed = [e for e in record.rds_events() if e.source == "replica-c"]
        assert [e.rds_event for e in resumed] == ["RDS-EVENT-0045", "RDS-EVENT-0046"]
        # Resumed within the engine's reconnect delay after the failover, not after the AZ.
        assert completed <= resumed[1].time_s <= completed + 60.0 + 5.0
        assert resumed[1].time_s < 300.0 + 1800.0

    def replica_c(record: Record) -> tuple[float, float]:
        summary = summarize(record).replicas
        return summary.max_lag_s["replica-c"], summary.catch_up_s["replica-c"]

    assert replica_c(outage) == pytest.approx(replica_c(crash))
    # The replica in the dark AZ is cut off until the AZ returns (at 35 min).
    back = [e for e in outage.rds_events() if e.source == "replica-a"]
    assert [e.rds_event for e in back] == ["RDS-EVENT-0045", "RDS-EVENT-0046"]
    assert back[1].time_s >= 300.0 + 1800.0
    assert summarize(outage).replicas.max_lag_s["replica-a"] > 1800.0 - 60.0
    assert summarize(crash).replicas.max_lag_s["replica-a"] < 200.0


@pytest.mark.parametrize(("engine", "version"), [("postgres", "16.4"), ("mysql", "8.0")])
def test_postgres_replica_lag_on_an_idle_source_reads_up_to_five_minutes(
    engine: str, version: str
) -> None:
    """RDS:USER_PostgreSQL.Replication.ReadReplicas: "If no user transactions are running on
    the source DB instance, the associated PostgreSQL read replica reports a replication lag
    of up to five minutes" (now() minus the last replayed commit; the WAL switched every 5
    minutes). The data lag stays the link's delay: nothing is missing. MySQL reports it so."""
    record = run_yaml(
        scenario_yaml(
            ["{name: r1, az: us-east-1c}"],
            [("0s", 1000), ("10m", 0)],
            duration="30m",
            engine=engine,
            version=version,
        )
    )
    t = np.array([599.0, 700.0, 899.0, 900.0, 1000.0, 1199.0, 1200.0, 1750.0])
    data = data_lag_s(record, "r1", t)
    assert data[0] == pytest.approx(CROSS_AZ_S)
    assert data[1:] == pytest.approx(np.zeros(7), abs=1e-9)
    reported = replica_lag_s(record, "r1", t)
    if engine == "mysql":
        assert reported == pytest.approx(data, abs=1e-9)
        return
    # The last commit at 600 s; WAL switches at 900, 1200, 1500 s reset it.
    assert reported == pytest.approx(
        [CROSS_AZ_S, 100.0, 299.0, 0.0, 100.0, 299.0, 0.0, 250.0], abs=1e-6
    )
    assert max(replica_lag_s(record, "r1", np.linspace(600.0, 1800.0, 4001))) <= 300.0


def bulk_load(engine: str, version: str) -> str:
    """200 writes/s, one in 2,000 a 64 MiB transaction that ran 2 s (one every 10 s), reads
    on the replica, half of them read-your-writes 50 ms after their write."""
    text = scenario_yaml(
        ["{name: r1, az: us-east-1c}"],
        [("0s", 200)],
        duration="1h",
        engine=engine,
        version=version,
        reads="{reads_per_s: 100, target: r1, read_your_writes: 0.5}",
    )
    return text.replace(
        "workload:\n  phases:\n",
        "workload:\n  large_txns: {share: 0.0005, bytes_per_txn: 67108864, txn_duration: 2s}\n"
        "  phases:\n",
    )


def test_large_transactions_spread_mysql_replica_lag_as_the_closed_form_says() -> None:
    """MySQL's binlog reaches the replica at commit; a large transaction then holds its
    apply back for H = B / bandwidth + max(B / apply rate, D), and the replica is in such a
    bump a share p = lambda H C / (C - r) of the time, its extra lag uniform on [0, H]
    (rdssim.txn_spread). The lag has a spread: p50 the link's delay, p95 seconds."""
    record = run_yaml(bulk_load("mysql", "8.0"))
    size, apply_bps = 64 * 2**20, 5000.0 * 4096
    block = size / (600 * 2**20) + max(size / apply_bps, 2.0)
    busy = 0.0005 * 200 * block * 5000 / (5000 - 200)
    summary = summarize(record).replicas
    assert summary is not None
    assert summary.lag_p50_s["r1"] == pytest.approx(CROSS_AZ_S, abs=1e-6)
    # P(extra > x) = p (1 - x / H) = 5%, on top of the link's delay (within 1/64 of H).
    p95 = CROSS_AZ_S + block * (1 - 0.05 / busy)
    assert summary.lag_p95_s["r1"] == pytest.approx(p95, abs=block / 64)
    assert summary.max_lag_s["r1"] == pytest.approx(CROSS_AZ_S + block)
    # The reads' staleness has the same spread: their p99 at P(extra > x) = 1%.
    p99 = CROSS_AZ_S + block * (1 - 0.01 / busy)
    assert summary.stale_read_p99_s == pytest.approx(p99, abs=block / 64)
    # A read 50 ms after its own write misses it while the extra lag is over 50 ms.
    ryw_reads = 100 * 0.5 * 3600
    missed = busy * (1 - (0.050 - CROSS_AZ_S) / block)
    assert summary.ryw_violations == pytest.approx(ryw_reads * missed, rel=1e-3)


def test_postgres_replays_large_transactions_as_they_are_written() -> None:
    """PostgreSQL streams WAL as it is written: a large transaction adds nothing at commit;
    the same bulk load leaves the lag at the link's delay."""
    summary = summarize(run_yaml(bulk_load("postgres", "16.4"))).replicas
    assert summary is not None
    assert summary.lag_p50_s["r1"] == pytest.approx(CROSS_AZ_S, abs=1e-6)
    assert summary.lag_p95_s["r1"] == pytest.approx(CROSS_AZ_S, abs=1e-6)
    assert summary.ryw_violations == 0


STORAGE_LOSS = scenario_yaml(
    ["{name: r1, az: us-east-1c}"],
    [("0s", 1000)],
    duration="60m",
    faults=["{at: 10m, kind: storage-failure, target: r1}"],
    timings="{replica_create: 10m}",
)


def test_replica_storage_failure_is_rebuilt_from_a_snapshot() -> None:
    record = run_yaml(STORAGE_LOSS, seed=2)
    assert lanes(record, "r1") == [
        "replicating",
        "storage-failed",
        "creating",
        "reconnecting",
        "catching-up",
        "replicating",
    ]
    assert replica_rds_ids(record, "r1") == ["0045", "0046"]


def test_the_record_holds_a_rebuilt_replica_flat_until_its_new_snapshot() -> None:
    """While a replica's lost volume is re-created it applies nothing: its recorded positions
    stay flat through 'creating' and jump to the snapshot (no ramp between the two)."""
    record = run_yaml(STORAGE_LOSS, seed=2)
    ((start, end),) = intervals(record, "r1", "creating")
    inside = np.linspace(start, end, 7)[1:-1]
    for series in (applied_series("r1"), received_series("r1")):
        values = [record.series_at(series, t) for t in inside]
        assert values == pytest.approx([record.series_at(series, start)] * len(values))


def test_a_rebuilt_replica_starts_from_the_snapshot_taken_when_rebuilding_began() -> None:
    """Like create-replica, a replica rebuilt after losing its volume restores a snapshot of
    its source taken when the rebuild starts, then catches up the writes made meanwhile."""
    record = run_yaml(STORAGE_LOSS, seed=2)
    ((start, end),) = intervals(record, "r1", "creating")
    assert end - start == pytest.approx(600.0)
    applied_after = curve(record, applied_series("r1")).value_at(end)
    assert applied_after == pytest.approx(record.series_at(COMMITTED, start), rel=1e-9)


def test_a_restore_leaves_the_failed_instance_s_replicas_behind() -> None:
    """Single-AZ primary and its replica r1 both lose their volumes; r2 keeps its own. The
    primary is restored to a point in time: a NEW DB instance, with no read replicas (a
    replica belongs to its source, and PointInTimeRestore creates none). r1 has no source to
    be rebuilt from, r2 nothing to follow: both stay as they are."""
    text = scenario_yaml(
        ["{name: r1, az: us-east-1c}", "{name: r2, az: us-east-1b}"],
        [("0s", 500)],
        duration="90m",
        single_az=True,
        faults=[
            "{at: 5m, kind: storage-failure, target: primary}",
            "{at: 5m, kind: storage-failure, target: r1}",
        ],
        timings="{replica_create: 10m, pitr_restore: 40m, pitr_restore_per_gib: 0}",
    )
    text += "actions:\n  - {at: 10m, kind: restore-to-point-in-time, target: db-1}\n"
    record = run_yaml(text, seed=0)
    restored = only(record, "0019").time_s
    assert restored == pytest.approx(600.0 + 2400.0)
    assert intervals(record, "db-1-restored", "creating") == [(600.0, restored)]
    end = record.duration_s
    assert state_at(record, "r1", end) == ("replica", "storage-failed")
    assert intervals(record, "r1", "creating") == []
    assert state_at(record, "r2", end) == ("replica", "reconnecting")
    assert record.series_at(applied_series("r2"), end) <= record.series_at(COMMITTED, 300.0)


# -- 7. reads -------------------------------------------------------------------------------------
def test_reader_endpoint_spreads_reads_over_the_serving_replicas() -> None:
    record = run_yaml(
        scenario_yaml(
            [f"{{name: r{i}, az: us-east-1{'abc'[i - 1]}}}" for i in (1, 2, 3)],
            [("0s", 500)],
            duration="40m",
            faults=["{at: 5m, kind: host-crash, target: r3}"],
            reads="{reads_per_s: 3000, target: reader-endpoint}",
        ),
        seed=0,
    )
    gone, back = intervals(record, "r3", "failed")[0][0], only(record, "0046").time_s

    def rates(t: float) -> list[float]:
        return [record.series_at(reads_series(f"r{i}"), t) for i in (1, 2, 3)]

    assert rates(100.0) == [1000.0, 1000.0, 1000.0]
    assert gone == 300.0
    assert rates(400.0) == [1500.0, 1500.0, 0.0]
    # A reconnecting replica serves its (stale) data again.
    (reconnecting, _) = intervals(record, "r3", "reconnecting")[0]
    assert reconnecting < back
    assert rates(reconnecting + 1e-3) == pytest.approx([1000.0] * 3)
    summary = replica_summary(record)
    assert summary.reads_failed == 0
    assert summary.reads_served == round(3000 * record.duration_s)


@pytest.mark.parametrize("target", ["r1", "reader-endpoint"])
def test_reads_on_a_restarting_replica_fail(target: str) -> None:
    """PostgreSQL 12: the replica restarts when its source fails over; reads sent to it then
    fail, and only then (a reconnecting replica still answers). A reader endpoint with no
    replica answering still names its members: the reads fail there too."""
    record = run_yaml(
        failover_yaml("postgres", "12.19", reads=f"{{reads_per_s: 200, target: {target}}}"),
        seed=3,
    )
    ((start, end),) = intervals(record, "r1", "restarting")
    summary = replica_summary(record)
    assert summary.reads_failed == round(200 * (end - start))
    assert summary.reads_failed > 0
    assert summary.reads_served == round(200 * (record.duration_s - (end - start)))


def ryw_yaml(faults: Sequence[str]) -> str:
    return scenario_yaml(
        ["{name: r1, az: us-east-1a, apply_writes_per_s: 5000}"],
        [("0s", 1000)],
        duration="20m",
        faults=faults,
        reads="{reads_per_s: 1000, target: r1, read_your_writes: 0.1, read_after_write: 50ms}",
    )


def test_read_your_writes_violations_during_an_outage() -> None:
    record = run_yaml(ryw_yaml(crash_at_5m()), seed=0)
    summary = replica_summary(record)
    # Expected misses: 100 ryw reads/s for every second the lag exceeds 50 ms (fine grid).
    grid = np.arange(0.0, record.duration_s, 0.01)
    above = float(np.sum(data_lag_s(record, "r1", grid) > 0.05)) * 0.01
    assert above > 60.0
    assert summary.ryw_violations is not None
    assert summary.ryw_violations == pytest.approx(100 * above, rel=1e-3, abs=2)


def test_no_read_your_writes_violations_on_a_fast_steady_replica() -> None:
    record = run_yaml(ryw_yaml([]), seed=0)
    summary = replica_summary(record)
    assert summary.ryw_violations == 0
    assert summary.reads_failed == 0
    assert summary.stale_read_p99_s == pytest.approx(SAME_AZ_S, abs=1e-9)
    assert summary.max_lag_s["r1"] == pytest.approx(SAME_AZ_S)


# -- 8. determinism --------------------------------------------------------------------------------
def test_same_seed_same_record_with_replicas() -> None:
    text = scenario_yaml(
        [
            "{name: r1, az: us-east-1c, apply_writes_per_s: 1500}",
            "{name: r2, az: us-east-1b, source: r1}",
            "{name: r3, az: us-west-2a}",
        ],
        [("0s", 800), ("3m", 2000), ("6m", 800)],
        duration="40m",
        faults=[*crash_at_5m(), "{at: 12m, kind: host-crash, target: r3}"],
        actions=[
            "{at: 20m, kind: promote-replica, target: r1}",
            "{at: 25m, kind: repoint-replica, target: r3, source: primary}",
        ],
        reads="{reads_per_s: 1000, read_your_writes: 0.2}",
    )
    first, second = run_yaml(text, seed=11), run_yaml(text, seed=11)
    assert first == second
    assert summarize(first) == summarize(second)
    assert first != run_yaml(text, seed=12)


def test_variants_share_the_failover_timings() -> None:
    """Common random numbers: the three engines of the bundled scenario face the same crash,
    the same failover phases, the same DNS flip; only the replicas' reactions differ."""
    scenarios = load_scenario(SCENARIOS / "replica_lag_after_failover.yaml").variants
    records = {name: run(variant, 3) for name, variant in scenarios.items()}
    assert sorted(records) == ["mysql", "postgres_12", "postgres_16"]
    details = {name: summarize(record).failover_details for name, record in records.items()}
    (mysql,), (pg12,), (pg16,) = details["mysql"], details["postgres_12"], details["postgres_16"]
    assert mysql.trigger_s == pg12.trigger_s == pg16.trigger_s
    assert mysql.detection_s == pg12.detection_s == pg16.detection_s
    assert mysql.dns_s == pytest.approx(pg12.dns_s) and pg12.dns_s == pytest.approx(pg16.dns_s)
    # The activation is the same draw; the engines' crash recoveries differ (MySQL's 100 MiB
    # redo log and undo, PostgreSQL's 2 GB of WAL), the two PostgreSQL versions' do not.
    promoted = {name: of_kind(record, "failover-promoted")[0] for name, record in records.items()}
    activation = {
        name: details[name][0].promotion_s - promoted[name].data["recovery_s"]  # type: ignore[operator]
        for name in records
    }
    assert activation["mysql"] == pytest.approx(activation["postgres_12"])
    assert activation["postgres_12"] == pytest.approx(activation["postgres_16"])
    assert pg12.promotion_s == pytest.approx(pg16.promotion_s)
    assert promoted["mysql"].data["undo_bytes"] > 0 == promoted["postgres_16"].data["undo_bytes"]
    ids = [e.rds_event for e in records["mysql"].rds_events() if e.source.startswith("db-")]
    assert ids[:2] == ["RDS-EVENT-0013", "RDS-EVENT-0049"]
    lanes_by_variant = {name: lanes(record, "replica-1") for name, record in records.items()}
    assert "restarting" in lanes_by_variant["postgres_12"]
    assert "restarting" not in lanes_by_variant["postgres_16"]
    assert lanes_by_variant["mysql"] != lanes_by_variant["postgres_12"]


def test_a_lab_s_own_az_names_are_declared_with_their_region() -> None:
    """AZ names that are no AWS Region's are refused, unless the scenario declares them: then
    they are as good as real ones, and the Region they are declared in decides the link."""
    replicas = ["{name: near, az: lab-1c}", "{name: far, az: lab-2a}"]
    text = scenario_yaml(replicas, [("0s", 100.0)]).replace("us-east-1a", "lab-1a")
    text = text.replace("us-east-1b", "lab-1b")
    with pytest.raises(ScenarioError, match="not an Availability Zone name") as info:
        run_yaml(text)
    assert info.value.key_path == "deployment.instances[0].az"
    declared = text + "regions: {lab: [lab-1a, lab-1b, lab-1c], lab-far: [lab-2a]}\n"
    record = run_yaml(declared)
    lags = lag_at(record, "near", 600.0) + lag_at(record, "far", 600.0)
    assert lags == pytest.approx([CROSS_AZ_S, CROSS_REGION_S])
    assert {i.name: i.region_name for i in record.instances}["far"] == "lab-far"
    with pytest.raises(ScenarioError, match="an AWS Region's AZ"):
        run_yaml(declared.replace("lab-far: [lab-2a]", "lab-far: [lab-2a, us-east-1a]"))


R1_FEEDS_R2 = ["{name: r1, az: us-east-1c}", "{name: r2, az: us-east-1c, source: r1}"]
R2_MOVE_REFUSED = [
    "{at: 4m59s, kind: repoint-replica, target: r2, source: r1}",  # busy for 2-10 s
    "{at: 5m, kind: repoint-replica, target: r2, source: primary}",  # so refused
]
"""Re-points the scenario checks see move r2 to the primary, refused at run time."""


def test_a_repoint_that_would_close_a_cycle_is_refused_at_run_time() -> None:
    """The checks follow the re-points in time order and saw r2 moved to the primary
    first; that one is refused at run time (r2 is busy re-pointing), so r1 -> r2 would make
    r1 and r2 feed each other (the run hung). RDS refuses it; so does the simulation."""
    actions = [*R2_MOVE_REFUSED, "{at: 5m20s, kind: repoint-replica, target: r1, source: r2}"]
    record = run_yaml(scenario_yaml(R1_FEEDS_R2, [("0s", 500)], actions=actions), seed=1)
    rejected = [e.message for e in record.events if e.kind == "action-rejected"]
    assert rejected == [
        "r2 cannot be re-pointed while reconnecting",
        "r1 cannot replicate from r2: replication cycle: r1 -> r2 -> r1",
    ]
    repointed = [e.data["new_source"] for e in record.events if e.kind == "replica-repointed"]
    assert repointed == ["r1"]  # r2's first re-point only
    assert state_at(record, "r1", record.duration_s - 1) == ("replica", "replicating")


def test_a_repoint_past_the_engines_chain_depth_is_refused_at_run_time() -> None:
    """MySQL on RDS nests replicas at most three deep. With r2's move to the primary refused
    at run time, r1 -> r4 would hang r4 <- r1 <- r2 <- r3, four deep: refused too, though
    the checks, which saw r2 move, found a chain of two."""
    from rdssim.engines import replica_rules

    assert replica_rules("mysql", "8.0").max_chain_depth == 3
    replicas = [*R1_FEEDS_R2, "{name: r3, az: us-east-1c, source: r2}"]
    replicas.append("{name: r4, az: us-east-1c}")
    actions = [*R2_MOVE_REFUSED, "{at: 5m20s, kind: repoint-replica, target: r1, source: r4}"]
    record = run_yaml(scenario_yaml(replicas, [("0s", 500)], actions=actions), seed=1)
    rejected = [e.message for e in record.events if e.kind == "action-rejected"]
    assert rejected[-1] == (
        "r1 cannot replicate from r4: r3 is 4 deep (primary <- r4 <- r1 <- r2 <- r3);"
        " mysql 8.0 allows chains at most 3 deep"
    )
    assert [e.data["new_source"] for e in record.events if e.kind == "replica-repointed"] == ["r1"]
