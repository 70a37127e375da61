"""Traces of a Multi-AZ DB cluster (a writer and two readable readers in three AZs).

Each test builds a tiny cluster, runs it and reads the Record like a trace: the failover's
events and RDS event ids, which reader is promoted and why, what the semi-synchronous commit
loses (nothing), what commits do with one or both readers gone, and flow control. Every
expected number is derived from the scenario's own rates, latencies and fixed timings.
"""

from __future__ import annotations

import pytest
from conftest import (
    committed_drops,
    committed_rate,
    of_kind,
    only,
    rds_ids,
    run_yaml,
    series_limits,
    state_at,
    states,
    writer_intervals,
)

from rdssim.distributions import Uniform
from rdssim.lag import data_lag_s
from rdssim.metrics import summarize
from rdssim.record import COMMITTED, applied_series, received_series
from rdssim.scenario.schema import TimingsSpec

DEFAULTS = TimingsSpec()
BYTES_PER_TXN = 4096
CROSS_AZ_S = 0.0015  # the default one-way latency between AZs of a Region (rdssim.model.links)


def cluster(
    faults: str = "",
    *,
    engine: str = "mysql",
    writes_per_s: float = 1000,
    db2: str = "",
    db3: str = "",
    timings: str = "",
    duration: str = "20m",
    phases: str | None = None,
) -> str:
    """A cluster: db-1 writes in us-east-1a, db-2 and db-3 read in 1b and 1c; ``db2`` and
    ``db3`` add keys to a reader ("apply_writes_per_s: 800, link: {...}")."""
    extra2 = f", {db2}" if db2 else ""
    extra3 = f", {db3}" if db3 else ""
    phases = phases or f"    - {{start: 0s, writes_per_s: {writes_per_s}}}\n"
    text = (
        f"name: trace\nengine: {engine}\nduration: {duration}\n"
        "deployment:\n  type: multi-az-cluster\n  instances:\n"
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        f"    - {{name: db-2, az: us-east-1b, role: reader{extra2}}}\n"
        f"    - {{name: db-3, az: us-east-1c, role: reader{extra3}}}\n"
        f"workload:\n  phases:\n{phases}"
        "probe: {interval: 1s}\n"
    )
    if timings:
        text += f"timings:\n{timings}"
    text += f"faults:\n{faults}" if faults else "faults: []\n"
    return text


# -- the failover --------------------------------------------------------------------------
CRASH = "  - {at: 5m, kind: host-crash, target: primary}\n"
# A reader behind a 2 MiB/s link receives 512 of the 1,000 transactions written per second.
SLOW_LINK = "link: {bandwidth_mib_per_s: 2}"


@pytest.mark.parametrize(
    ("slow", "target", "other"), [("db-3", "db-2", "db-3"), ("db-2", "db-3", "db-2")]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_writer_crash_promotes_the_reader_that_received_most(
    slow: str, target: str, other: str, seed: int
) -> None:
    text = cluster(
        CRASH,
        db2=SLOW_LINK if slow == "db-2" else "",
        db3=SLOW_LINK if slow == "db-3" else "",
        timings="  cluster_promotion: 8s\n",
    )
    record = run_yaml(text, seed=seed)

    # Who had received more when the writer died decides the target.
    assert record.series_at(received_series(target), 300.0) > record.series_at(
        received_series(other), 300.0
    )
    assert states(record, "db-1")[:3] == [
        ("primary", "available"),
        ("primary", "failed"),
        ("none", "failed"),
    ]
    assert states(record, target) == [
        ("reader", "replicating"),
        ("reader", "promoting"),
        ("primary", "available"),
    ]
    assert states(record, other) == [("reader", "replicating")]

    # The trace: fault, started (0073: the readers are in other AZs), promoted, completed (0071).
    (fault,) = of_kind(record, "fault")
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert fault.time_s == 300.0
    assert fault.time_s < started.time_s < promoted.time_s <= completed.time_s
    assert rds_ids(record) == ["0073", "0071"]
    assert started is only(record, "0073") and completed is only(record, "0071")
    assert (started.data["source_instance"], started.data["target_instance"]) == ("db-1", target)
    assert (started.data["trigger_s"], started.data["cause"]) == (300.0, "failed")
    detection = DEFAULTS.cluster_detection
    assert isinstance(detection, Uniform)
    assert detection.low_s <= started.time_s - 300.0 <= detection.high_s
    # Both readers had applied everything they received (5,000/s of apply capacity): the
    # promotion is the fixed 8 s alone.
    assert promoted.time_s - started.time_s == pytest.approx(8.0, abs=1e-6)

    # The cluster (writer) endpoint flips once the new writer is open.
    answers = [(e.time_s, e.data["target"]) for e in record.events if e.kind == "dns-answer"]
    assert answers == [(0.0, "db-1"), (completed.time_s, target)]
    propagation = DEFAULTS.dns_propagation
    assert isinstance(propagation, Uniform)
    assert propagation.low_s <= completed.time_s - promoted.time_s <= propagation.high_s
    first_ok = next(o for o in record.operations if o.start_s >= 300.0 and o.outcome == "ok")
    assert first_ok.address == target and first_ok.start_s >= completed.time_s

    # Semi-synchronous: nothing acknowledged is lost; the log stands still without a writer.
    assert promoted.data["lost_txns"] == 0
    assert committed_drops(record) == []
    assert record.series_at(COMMITTED, promoted.time_s) == pytest.approx(
        record.series_at(COMMITTED, 300.0)
    )
    summary = summarize(record)
    assert summary.rpo_txns == 0
    assert summary.failovers == 1
    assert summary.detection_s == pytest.approx(started.time_s - 300.0)
    assert summary.failover_s == pytest.approx(completed.time_s - 300.0)
    assert writer_intervals(record) == [
        (0.0, 300.0, "db-1"),
        (promoted.time_s, record.duration_s, target),
    ]
    assert summary.two_writers_s is None and summary.split_brain_txns is None
    # The old writer is rebuilt on a new host and follows the new writer.
    assert state_at(record, "db-1", record.duration_s) == ("reader", "replicating")


@pytest.mark.parametrize(
    "faults",
    [
        CRASH,
        "  - {at: 5m, kind: az-outage, az: us-east-1a, duration: 10m}\n",
        "  - {at: 5m, kind: storage-failure, target: primary}\n",
        # One reader is gone before the writer dies: the other acknowledged every commit.
        "  - {at: 4m, kind: network-loss, target: db-2, duration: 10m}\n" + CRASH,
        "  - {at: 4m, kind: host-crash, target: db-3}\n" + CRASH,
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_nothing_acknowledged_is_lost_while_a_reader_acknowledges(faults: str, seed: int) -> None:
    record = run_yaml(cluster(faults), seed=seed)
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    down = {"db-2"} if "target: db-2" in faults else {"db-3"} if "target: db-3" in faults else set()
    assert started.data["target_instance"] not in down | {"db-1"}
    assert promoted.data["lost_txns"] == 0
    assert committed_drops(record) == []
    assert summarize(record).rpo_txns == 0
    # What the new writer holds is what the old one had committed when it died.
    new = started.data["target_instance"]
    _, right = series_limits(record, applied_series(new), promoted.time_s)
    assert right == pytest.approx(record.series_at(COMMITTED, 300.0), abs=1.0)


# -- the promotion waits for the readers' apply ------------------------------------------------
# db-2 applies 900/s and db-3 800/s of 1,000 writes/s; db-3 sits behind a 5 ms link, so db-2
# has received more and is promoted. The writer dies at 300 s, the failover starts at 310 s.
FAULT_S, START_S, PROMOTION_S, WRITES = 300.0, 310.0, 8.0, 1000.0
LAGGING = {"db-2": (900.0, CROSS_AZ_S), "db-3": (800.0, 0.005)}


def backlog_s(apply_per_s: float, latency_s: float) -> float:
    """A reader that applies behind its link since t = latency has, at the failover's start,
    received what was written up to the fault and applied ``apply`` per second of it: the
    rest takes (received - applied) / apply seconds."""
    received = WRITES * (FAULT_S - latency_s)
    applied = apply_per_s * (START_S - latency_s)
    return (received - applied) / apply_per_s


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_mysql_waits_for_both_readers_apply_postgres_for_the_less_lagged(engine: str) -> None:
    text = cluster(
        CRASH,
        engine=engine,
        db2="apply_writes_per_s: 900",
        db3="apply_writes_per_s: 800, link: {latency: 5ms}",
        timings="  cluster_detection: 10s\n  cluster_promotion: 8s\n",
    )
    record = run_yaml(text, seed=2)
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    assert started.time_s == pytest.approx(START_S)
    assert started.data["target_instance"] == "db-2"
    # The backlogs as the Record shows them at the failover's start match the closed form.
    for name, (apply_per_s, latency_s) in LAGGING.items():
        behind = record.series_at(received_series(name), START_S) - record.series_at(
            applied_series(name), START_S
        )
        assert behind / BYTES_PER_TXN / apply_per_s == pytest.approx(
            backlog_s(apply_per_s, latency_s), rel=1e-9
        )
    waits = {name: backlog_s(*params) for name, params in LAGGING.items()}
    expected = max(waits.values()) if engine == "mysql" else waits["db-2"]
    promotion_s = promoted.time_s - started.time_s
    assert promotion_s == pytest.approx(PROMOTION_S + expected, abs=1e-6)
    assert summarize(record).promotion_s == pytest.approx(promotion_s)
    # While it waits, the promoted reader applies at its own rate, not at once.
    assert record.series_at(applied_series("db-2"), START_S + 10.0) - record.series_at(
        applied_series("db-2"), START_S
    ) == pytest.approx(10.0 * 900.0 * BYTES_PER_TXN, rel=1e-9)


def test_the_mysql_failover_takes_longer_by_the_lagging_readers_backlog() -> None:
    """The same cluster and seed on both engines: the failovers differ only by how much
    longer db-3 needs than db-2 to apply what it received."""
    promotions = {}
    for engine in ("mysql", "postgres"):
        text = cluster(
            CRASH,
            engine=engine,
            db2="apply_writes_per_s: 900",
            db3="apply_writes_per_s: 800, link: {latency: 5ms}",
            timings="  cluster_promotion: 8s\n",
        )
        promotions[engine] = summarize(run_yaml(text, seed=9)).failover_details[0]
    mysql, postgres = promotions["mysql"], promotions["postgres"]
    assert mysql.detection_s == postgres.detection_s  # same seed, same draws
    start_s = 300.0 + mysql.detection_s

    def wait(apply_per_s: float, latency_s: float) -> float:
        return (WRITES * (FAULT_S - latency_s) - apply_per_s * (start_s - latency_s)) / apply_per_s

    assert mysql.promotion_s is not None and postgres.promotion_s is not None
    assert mysql.promotion_s - postgres.promotion_s == pytest.approx(
        wait(*LAGGING["db-3"]) - wait(*LAGGING["db-2"]), abs=1e-6
    )


# -- commits and the readers' acknowledgements ----------------------------------------------
def test_commits_wait_with_both_readers_down_and_go_on_with_one() -> None:
    faults = (
        "  - {at: 2m, kind: network-loss, target: db-2, duration: 3m}\n"
        "  - {at: 3m, kind: network-loss, target: db-3, duration: 1m}\n"
    )
    record = run_yaml(cluster(faults, duration="10m"), seed=1)
    # db-2 gone (120-300 s): db-3 acknowledges, commits go on at the offered rate.
    assert committed_rate(record, 0.0, 120.0) == pytest.approx(WRITES)
    assert committed_rate(record, 120.0, 180.0) == pytest.approx(WRITES)
    # Both gone (180-240 s): the writer is up, its commits wait, the log stands still.
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "commits-waiting"),
        ("primary", "available"),
    ]
    assert state_at(record, "db-1", 180.0) == ("primary", "commits-waiting")
    assert state_at(record, "db-1", 240.0) == ("primary", "available")
    waiting, resumed = of_kind(record, "commits-waiting"), of_kind(record, "commits-resumed")
    assert [e.time_s for e in waiting] == [180.0] and [e.time_s for e in resumed] == [240.0]
    assert "db-3" in resumed[0].message  # db-3 is back first
    assert record.series_at(COMMITTED, 240.0) == record.series_at(COMMITTED, 180.0)
    assert committed_rate(record, 240.0, 600.0) == pytest.approx(WRITES)
    # The probe's inserts hang meanwhile (the connection stays): none succeeds.
    assert not [o for o in record.operations if o.outcome == "ok" and 180.0 < o.end_s < 240.0]
    summary = summarize(record)
    assert summary.failovers == 0 and of_kind(record, "failover-started") == []
    assert summary.writer_unavailable_s == pytest.approx(60.0)
    assert summary.rpo_txns == 0


# -- flow control ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("apply_per_s", "target_lag_s"), [(800.0, 10.0), (500.0, 10.0), (900.0, 5.0), (600.0, 30.0)]
)
def test_flow_control_throttles_commits_to_the_lagging_readers_apply_rate(
    apply_per_s: float, target_lag_s: float
) -> None:
    """A reader applying ``apply`` of ``write`` per second falls behind by 1 - apply/write
    seconds each second: it reaches the target lag at lag / (1 - apply/write). What is
    committed by then must be applied at ``apply``, so the writer holds commits until the
    reader is ``target`` short of that position and then commits at ``apply``: every later
    commit is applied ``target`` after it."""
    text = cluster(
        db3=f"apply_writes_per_s: {apply_per_s:g}",
        timings=f"  cluster_flow_control_lag: {target_lag_s:g}s\n",
        duration="10m",
    )
    record = run_yaml(text, seed=1)
    reached_s = target_lag_s / (1.0 - apply_per_s / WRITES)
    (throttle,) = of_kind(record, "flow-control")
    assert throttle.data["reader"] == "db-3" and throttle.source == "db-1"
    assert throttle.time_s == pytest.approx(reached_s, abs=1e-6)
    assert of_kind(record, "flow-control-released") == []
    # The backlog then (it applies from the link's latency on: A x L less than the writes'
    # head start) takes backlog / apply to apply: commits are held for that less the target.
    backlog_txns = (WRITES - apply_per_s) * reached_s + apply_per_s * CROSS_AZ_S
    hold_s = backlog_txns / apply_per_s - target_lag_s
    assert throttle.data["hold_s"] == pytest.approx(hold_s, rel=1e-6)
    assert committed_rate(record, 0.0, reached_s) == pytest.approx(WRITES)
    assert committed_rate(record, reached_s, reached_s + hold_s) == pytest.approx(0.0, abs=1e-6)
    resumed_s = reached_s + hold_s
    assert committed_rate(record, resumed_s, record.duration_s) == pytest.approx(apply_per_s)
    # From then the backlog in bytes is what the reader applies in the target lag...
    for t in (resumed_s + target_lag_s + 1.0, 400.0, 590.0):
        behind = record.series_at(COMMITTED, t) - record.series_at(applied_series("db-3"), t)
        assert behind / BYTES_PER_TXN == pytest.approx(apply_per_s * target_lag_s, rel=1e-6)
    # ...so the lag in seconds is the target when the throttle starts, peaks when what was
    # committed then is applied (nothing can make that sooner), and is the target after.
    peak_s = reached_s + backlog_txns / apply_per_s
    lags = data_lag_s(record, "db-3", [reached_s / 2, reached_s, peak_s - 1e-3, 400.0, 590.0])
    assert list(lags) == pytest.approx(
        [target_lag_s / 2, target_lag_s, backlog_txns / apply_per_s, target_lag_s, target_lag_s],
        abs=0.01,
    )


def test_throttled_commits_follow_a_write_rate_that_drops_below_the_apply_rate() -> None:
    phases = "    - {start: 0s, writes_per_s: 1000}\n    - {start: 5m, writes_per_s: 600}\n"
    text = cluster(
        db3="apply_writes_per_s: 800",
        timings="  cluster_flow_control_lag: 10s\n",
        phases=phases,
        duration="10m",
    )
    record = run_yaml(text, seed=1)
    (throttle,) = of_kind(record, "flow-control")
    assert throttle.time_s == pytest.approx(10.0 / (1 - 800 / 1000))
    assert committed_rate(record, 100.0, 300.0) == pytest.approx(800.0)
    assert committed_rate(record, 300.0, 600.0) == pytest.approx(600.0)
    # db-3 then applies faster than the writes come: it works off its backlog (what it
    # applies in the 10 s target, 800 x 10 txns) at 800 - 600 per second and is back to
    # the link's delay.
    caught_up_s = 300.0 + 800 * 10.0 / (800 - 600)
    early, late = data_lag_s(record, "db-3", [caught_up_s - 5.0, caught_up_s + 1.0])
    assert early > 1.0
    assert late == pytest.approx(CROSS_AZ_S, abs=1e-3)


PHASES_DOWN_UP = (
    "    - {start: 0s, writes_per_s: 1000}\n"
    "    - {start: 5m, writes_per_s: 600}\n"
    "    - {start: 10m, writes_per_s: 1000}\n"
)


def test_flow_control_is_released_and_engages_again_only_at_the_target() -> None:
    text = cluster(
        db3="apply_writes_per_s: 800",
        timings="  cluster_flow_control_lag: 10s\n",
        phases=PHASES_DOWN_UP,
    )
    record = run_yaml(text, seed=1)
    # Caught up by 350 s; from 600 s the lag grows again at 0.2 s per second.
    assert [e.time_s for e in of_kind(record, "flow-control-released")] == [300.0]
    assert committed_rate(record, 600.0, 640.0) == pytest.approx(1000.0)
    throttles = [e.time_s for e in of_kind(record, "flow-control")]
    assert throttles == pytest.approx([50.0, 600.0 + 10.0 / (1 - 800 / 1000)], abs=0.05)


def test_flow_control_also_holds_a_reader_behind_a_slow_link() -> None:
    # 2 MiB/s carries 512 of the 1,000 transactions written per second.
    record = run_yaml(
        cluster(db3=SLOW_LINK, timings="  cluster_flow_control_lag: 10s\n", duration="10m"),
        seed=1,
    )
    carried = 2 * 2**20 / BYTES_PER_TXN
    reached_s = 10.0 / (1.0 - carried / WRITES)
    (lag_at_end,) = data_lag_s(record, "db-3", [590.0])
    assert lag_at_end <= 10.0 + 1.0, f"db-3 is {lag_at_end:.0f} s behind"
    throttles = of_kind(record, "flow-control")
    assert throttles and throttles[0].data["reader"] == "db-3"
    assert throttles[0].time_s == pytest.approx(reached_s, abs=0.1)
