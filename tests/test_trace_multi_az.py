"""Traces of a Multi-AZ DB instance (and its Single-AZ sibling) under single faults.

Each test builds a tiny scenario, runs it, and reads the Record like a trace: which states the
instances went through, which RDS events were emitted when, and what the Summary makes of it.
Timings that a test wants exact are fixed in its scenario; the rest keep their calibrated
(random) defaults, and the assertions then hold for any draw.
"""

from __future__ import annotations

import math

import pytest
from conftest import (
    MULTI_AZ,
    SINGLE_AZ,
    build_yaml,
    committed_rate,
    of_kind,
    only,
    rds,
    rds_ids,
    run_yaml,
    state_at,
    states,
    writer_intervals,
)

from rdssim.distributions import Uniform
from rdssim.metrics import summarize
from rdssim.record import COMMITTED, Event, Record, applied_series
from rdssim.scenario.schema import TimingsSpec

DEFAULTS = TimingsSpec()
INTERVAL_S = DEFAULTS.health_check_interval_s
TIMEOUT_S = DEFAULTS.health_check_timeout_s
CHECKS = DEFAULTS.unhealthy_checks
# Health checks notice a failure at t after between these two delays (closed form of the grid).
DETECT_MIN_S = (CHECKS - 1) * INTERVAL_S + TIMEOUT_S
DETECT_MAX_S = CHECKS * INTERVAL_S + TIMEOUT_S
BYTES_PER_TXN = 4096


def multi_az(
    faults: str, *, writes_per_s: float = 500, duration: str = "30m", extra: str = ""
) -> str:
    return (
        f"name: trace\nduration: {duration}\n{MULTI_AZ}"
        f"workload:\n  phases:\n    - {{start: 0s, writes_per_s: {writes_per_s}}}\n"
        f"faults:\n{faults}{extra}"
    )


# -- host crash of the primary ---------------------------------------------------------------------
CRASH = multi_az(
    "  - {at: 5m, kind: host-crash, target: primary}\n",
    extra="timings:\n  failover_initiation: 8s\n",
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_host_crash_fails_over_to_the_standby(seed: int) -> None:
    sim = build_yaml(CRASH, seed=seed)
    detected_s = sim.controller.detection_due_s(300.0)
    record = sim.run()

    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "failed"),
        ("none", "failed"),
        ("standby", "creating"),
        ("standby", "syncing"),
        ("standby", "available"),
    ]
    assert states(record, "db-2") == [
        ("standby", "available"),
        ("primary", "promoting"),
        ("primary", "available"),
    ]
    # As real MySQL and PostgreSQL logs show: 0013 and 0049, no 0015.
    assert rds_ids(record) == ["0013", "0049", "0052", "0053"]
    started, completed = only(record, "0013"), only(record, "0049")
    (promoted,) = of_kind(record, "failover-promoted")
    rebuilding, rebuilt = only(record, "0052"), only(record, "0053")

    # Detection: the closed form of the health-check grid, then the (fixed, 8 s) initiation.
    assert DETECT_MIN_S <= detected_s - 300.0 < DETECT_MAX_S
    assert started.time_s == pytest.approx(detected_s + 8.0, abs=1e-9)
    assert started.data["trigger_s"] == 300.0
    assert (started.data["source_instance"], started.data["target_instance"]) == ("db-1", "db-2")
    assert state_at(record, "db-2", started.time_s) == ("primary", "promoting")
    # DNS flips to the new primary when the failover completes; the old host is replaced then.
    answers = [(e.time_s, e.data["target"]) for e in record.events if e.kind == "dns-answer"]
    assert answers == [(0.0, "db-1"), (completed.time_s, "db-2")]
    propagation = DEFAULTS.dns_propagation
    assert isinstance(propagation, Uniform)
    assert propagation.low_s <= completed.time_s - promoted.time_s <= propagation.high_s
    assert rebuilding.time_s == completed.time_s
    assert rebuilt.time_s > rebuilding.time_s

    summary = summarize(record)
    assert summary.failovers == 1
    assert summary.detection_s == pytest.approx(started.time_s - 300.0)
    assert summary.promotion_s == pytest.approx(promoted.time_s - started.time_s)
    assert summary.dns_s == pytest.approx(completed.time_s - promoted.time_s)
    assert summary.failover_s == pytest.approx(completed.time_s - 300.0)
    assert summary.rpo_txns == 0
    # No writer from the crash until the standby is promoted; no in-sync standby from the
    # promotion until the old primary is rebuilt.
    assert summary.writer_unavailable_s == pytest.approx(promoted.time_s - 300.0)
    assert writer_intervals(record) == [
        (0.0, 300.0, "db-1"),
        (promoted.time_s, record.duration_s, "db-2"),
    ]
    assert summary.degraded_s == pytest.approx(rebuilt.time_s - started.time_s)
    # The log stands still without a writer and grows at the offered rate otherwise.
    assert record.series_at(COMMITTED, promoted.time_s) == pytest.approx(
        record.series_at(COMMITTED, 300.0)
    )
    assert committed_rate(record, 0.0, 300.0) == pytest.approx(500.0)
    assert committed_rate(record, promoted.time_s, record.duration_s) == pytest.approx(500.0)
    # In-flight transactions on the crashed primary were cut off.
    cut = [e for e in record.events if e.kind == "txns-interrupted"]
    assert [(e.time_s, e.source) for e in cut] == [(300.0, "db-1")]
    assert summary.inflight_lost_txns == cut[0].data["txns"]
    # The probe times out against the dead host, then succeeds on the new primary.
    assert summary.client_recovered is True
    assert set(summary.probe_errors) == {"connect-timeout"}
    after = [o for o in record.operations if o.start_s >= 300.0 and o.outcome == "ok"]
    assert after[0].address == "db-2"
    assert after[0].start_s >= completed.time_s


def test_detection_delay_is_the_health_check_closed_form() -> None:
    """For any phase of the check grid, the n-th failed check ends within one interval."""
    delays = []
    for seed in range(200):
        sim = build_yaml(CRASH, seed=seed)
        for fault_s in (300.0, 301.7, 1234.5):
            due = sim.controller.detection_due_s(fault_s)
            phase = sim.controller.check_phase_s
            first_check = due - (CHECKS - 1) * INTERVAL_S - TIMEOUT_S
            # The first check at or after the fault lies on the grid phase + k * interval.
            k = (first_check - phase) / INTERVAL_S
            assert k == pytest.approx(round(k), abs=1e-9)
            assert fault_s <= first_check < fault_s + INTERVAL_S
            delays.append(due - fault_s)
    assert min(delays) >= DETECT_MIN_S and max(delays) < DETECT_MAX_S
    # With a uniformly random grid phase, the delay is uniform over the interval.
    mean = DETECT_MIN_S + INTERVAL_S / 2
    assert abs(sum(delays) / len(delays) - mean) < 4 * INTERVAL_S / math.sqrt(12 * len(delays))


def crash_at(writes_per_s: float) -> str:
    return multi_az(
        "  - {at: 5m, kind: host-crash, target: primary}\n",
        writes_per_s=writes_per_s,
        extra="timings:\n  standby_activation: 20s\n",
    )


def test_redo_grows_with_the_write_rate_until_the_checkpoint_distance_bounds_it() -> None:
    """MySQL 8.0 on RDS: a checkpoint every 5 minutes or every 100 MiB of redo. Same seed,
    same checkpoint phase: below the distance 10x the writes is 10x the redo; above it the
    redo never passes 100 MiB, however fast the writes."""
    redo: dict[float, float] = {}
    for rate in (5.0, 50.0, 5_000.0, 50_000.0):
        sim = build_yaml(crash_at(rate), seed=3)
        settings = sim.controller.recovery
        assert settings.redo_capacity_bytes == 100 * 2**20
        record = sim.run()
        (promoted,) = of_kind(record, "failover-promoted")
        redo[rate], undo = promoted.data["redo_bytes"], promoted.data["undo_bytes"]
        assert isinstance(redo[rate], float) and isinstance(undo, float)
        written = record.series_at(COMMITTED, 300.0)  # at a constant rate since t = 0
        assert 0 < redo[rate] <= min(written, settings.redo_capacity_bytes)
        # Undo: the transactions in flight, each half way through its bytes.
        assert undo == pytest.approx(rate * 0.02 * BYTES_PER_TXN / 2)
        # Promotion is the (fixed) activation, then redo and undo at the storage's pace.
        summary = summarize(record)
        assert summary.promotion_s == pytest.approx(
            20.0 + (redo[rate] + undo) / settings.bytes_per_s
        )
        assert promoted.data["recovery_s"] == pytest.approx(
            (redo[rate] + undo) / settings.bytes_per_s
        )
    # Below the distance the checkpoints come every 5 minutes at the same phase.
    assert redo[50.0] == pytest.approx(10 * redo[5.0])
    assert redo[50_000.0] < 10 * redo[5_000.0]


def test_failover_stops_growing_once_the_checkpoint_distance_is_reached() -> None:
    """Over many seeds: the worst redo is the distance, whatever the write rate (the
    unbounded model grew 81 s -> 599 s from 500 to 20,000 writes/s)."""
    worst = {}
    for rate in (2_000.0, 20_000.0):
        promotions = []
        for seed in range(40):
            record = run_yaml(crash_at(rate), seed=seed)
            (promoted,) = of_kind(record, "failover-promoted")
            assert promoted.data["redo_bytes"] <= 100 * 2**20
            promotions.append(summarize(record).promotion_s)
        worst[rate] = max(p for p in promotions if p is not None)
    # 100 MiB at gp3's ~23 MiB/s is under 5 s; undo at 20,000 writes/s adds under 0.1 s.
    assert worst[20_000.0] < 20.0 + 6.0
    assert worst[20_000.0] - worst[2_000.0] < 2.0


# -- reboot with failover -------------------------------------------------------------------------
REBOOT = multi_az(
    "  - {at: 5m, kind: reboot-with-failover}\n"
    "  - {at: 5m1s, kind: reboot-with-failover}\n"
    "  - {at: 8m, kind: reboot-with-failover}\n"
    "  - {at: 15m, kind: reboot-with-failover}\n",
    extra="timings:\n  failover_initiation: 8s\n  standby_activation: 20s\n  reboot: 1m\n",
)


def test_reboot_with_failover_and_the_cooldown() -> None:
    record = run_yaml(REBOOT, seed=5)
    summary = summarize(record)
    first, second = summary.failover_details
    # A forced failover needs no detection: only the initiation (8 s) precedes 0013.
    assert first.trigger_s == 300.0 and first.cause == "user"
    reason = of_kind(record, "failover-reason")[0]
    assert reason.message == "The user requested a failover of the DB instance."
    assert first.detection_s == 8.0
    # The old primary is rebooted abruptly: no shutdown (0004), and the standby replays the
    # redo since the last checkpoint (RDS documents no clean shutdown for a forced failover).
    promoted = of_kind(record, "failover-promoted")[0]
    assert promoted.data["redo_bytes"] > 0
    assert first.promotion_s == pytest.approx(20.0 + promoted.data["recovery_s"])
    assert rds(record, "0004") == []
    # The old primary is rebooted into the standby: 0006, and no 0052/0053.
    assert rds_ids(record)[:5] == ["0034", "0013", "0049", "0006", "0034"]
    assert rds(record, "0052") == [] and rds(record, "0053") == []
    restarted = rds(record, "0006")[0]
    assert restarted.source == "db-1"
    completed = rds(record, "0049")[0].time_s
    assert restarted.time_s == pytest.approx(completed + 60.0)
    assert states(record, "db-1")[:3] == [
        ("primary", "available"),
        ("none", "rebooting"),
        ("standby", "available"),
    ]
    # Requests while busy (5m1s) and within the cooldown after completion (8m) are abandoned.
    abandoned = rds(record, "0034")
    assert [e.time_s for e in abandoned] == [301.0, 480.0]
    assert [e.source for e in abandoned] == ["fault[1]", "fault[2]"]
    assert 480.0 - completed < DEFAULTS.failover_cooldown_s
    # After the cooldown, the next request fails back to db-1.
    assert second.trigger_s == 900.0 and 900.0 - completed >= DEFAULTS.failover_cooldown_s
    assert only_number(record, "0013", 2).data["target_instance"] == "db-1"
    assert state_at(record, "db-1", record.duration_s) == ("primary", "available")
    assert summary.rpo_txns == 0
    assert summary.failovers == 2


def only_first(record: Record, number: str) -> Event:
    return rds(record, number)[0]


def only_number(record: Record, number: str, failover: int) -> Event:
    found = [e for e in rds(record, number) if e.data.get("failover") == failover]
    assert len(found) == 1
    return found[0]


# -- network loss ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_network_loss_shorter_than_detection_causes_no_failover(seed: int) -> None:
    assert DETECT_MIN_S > 10
    record = run_yaml(
        multi_az("  - {at: 5m, kind: network-loss, target: primary, duration: 10s}\n"), seed=seed
    )
    assert rds_ids(record) == []
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "unreachable"),
        ("primary", "available"),
    ]
    assert states(record, "db-2") == [("standby", "available")]
    summary = summarize(record)
    assert summary.failovers == 0
    assert summary.writer_unavailable_s == pytest.approx(10.0)
    assert summary.degraded_s == 0.0
    assert summary.rpo_txns == 0
    assert summary.client_recovered is True


@pytest.mark.parametrize("seed", range(8))
def test_network_loss_outlasting_detection_and_initiation_always_fails_over(seed: int) -> None:
    record = run_yaml(
        multi_az(
            "  - {at: 5m, kind: network-loss, target: primary, "
            f"duration: {DETECT_MAX_S + 10}s}}\n",
            extra="timings:\n  failover_initiation: 8s\n",
        ),
        seed=seed,
    )
    summary = summarize(record)
    assert summary.failovers == 1
    assert summary.failover_details[0].cause == "unreachable"
    assert summary.rpo_txns == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_primary_back_before_initiation_ends_is_not_failed_over(seed: int) -> None:
    # Detection fires (the loss outlasts it) but the primary is back while the control plane
    # reacts (fixed 30 s initiation): the failover is cancelled, no 0013.
    record = run_yaml(
        multi_az(
            f"  - {{at: 5m, kind: network-loss, target: primary, duration: {DETECT_MAX_S + 2}s}}\n",
            extra="timings:\n  failover_initiation: 30s\n",
        ),
        seed=seed,
    )
    cancelled = [e for e in record.events if e.kind == "failover-cancelled"]
    assert len(cancelled) == 1
    assert 300 + DETECT_MAX_S + 2 <= cancelled[0].time_s <= 300 + DETECT_MAX_S + 30
    assert rds_ids(record) == []
    assert summarize(record).failovers == 0
    assert state_at(record, "db-1", record.duration_s) == ("primary", "available")


def test_overlapping_network_losses_end_with_the_last() -> None:
    # [300, 305) and [302, 310): the primary is unreachable until 310, not 305.
    record = run_yaml(
        multi_az(
            "  - {at: 300s, kind: network-loss, target: primary, duration: 5s}\n"
            "  - {at: 302s, kind: network-loss, target: primary, duration: 8s}\n"
        ),
        seed=1,
    )
    assert state_at(record, "db-1", 307.0) == ("primary", "unreachable")
    assert state_at(record, "db-1", 311.0) == ("primary", "available")
    assert summarize(record).writer_unavailable_s == pytest.approx(10.0)


# -- AZ outage -------------------------------------------------------------------------------------
def test_az_outage_keeps_the_instance_degraded_until_the_az_returns() -> None:
    text = (
        "name: az\nduration: 50m\n"
        + MULTI_AZ
        + "workload:\n  phases:\n    - {start: 0s, writes_per_s: 300}\n"
        + "faults:\n  - {at: 5m, kind: az-outage, az: us-east-1a, duration: 30m}\n"
    )
    record = run_yaml(text, seed=11)
    back = [e for e in record.events if e.kind == "fault-end"]
    assert [e.time_s for e in back] == [2100.0]
    assert rds_ids(record) == ["0013", "0049", "0052", "0053"]
    started, rebuilding, rebuilt = only(record, "0013"), only(record, "0052"), only(record, "0053")
    assert started.data["cause"] == "unreachable"
    # The replacement standby goes into the dark AZ, so it waits for the AZ: not a moment earlier.
    assert rebuilding.time_s == 2100.0
    assert state_at(record, "db-1", 2099.0) == ("none", "unreachable")
    summary = summarize(record)
    assert summary.degraded_s == pytest.approx(rebuilt.time_s - started.time_s)
    assert summary.degraded_s > 1800.0 - 60.0
    assert summary.rpo_txns == 0


# -- storage failure -------------------------------------------------------------------------------
def single_az(
    faults: str, *, duration: str = "2h", writes_per_s: float = 100, extra: str = ""
) -> str:
    return (
        f"name: single\nduration: {duration}\n{SINGLE_AZ}"
        f"workload:\n  phases:\n    - {{start: 0s, writes_per_s: {writes_per_s}}}\n"
        f"faults:\n{faults}{extra}"
    )


def restore_point_s(record: Record, rate: float) -> float:
    """Where the committed position was rewound to, as a time (constant rate from t = 0)."""
    times, values = record.series(COMMITTED)
    drops = [
        i for i in range(len(times) - 1) if times[i] == times[i + 1] and values[i + 1] < values[i]
    ]
    assert len(drops) == 1
    return float(values[drops[0] + 1]) / (rate * BYTES_PER_TXN)


STORAGE_FAILURE = "  - {at: 10m, kind: storage-failure, target: primary}\n"
RESTORE = (
    "actions:\n"
    "  - {at: 15m, kind: restore-to-point-in-time, target: db-1}\n"
    "  - {at: 50m, kind: repoint-clients, target: probe, source: db-1-restored}\n"
)


def test_storage_failure_on_single_az_fails_the_instance_and_nothing_is_automatic() -> None:
    """RDS-EVENT-0031: "DB instance put into failed state. RDS recommends that you initiate a
    point-in-time-restore." Without one, nothing comes back."""
    record = run_yaml(single_az(STORAGE_FAILURE), seed=0)
    assert rds_ids(record) == ["0031"]
    assert DETECT_MIN_S <= only(record, "0031").time_s - 600.0 < DETECT_MAX_S
    assert state_at(record, "db-1", record.duration_s) == ("primary", "storage-failed")
    summary = summarize(record)
    assert summary.failovers == 0
    assert summary.writer_unavailable_s == pytest.approx(record.duration_s - 600.0)
    assert summary.client_recovered is False
    assert summary.rpo_txns == 0  # nothing was restored, so nothing is known lost yet


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_restore_creates_a_new_instance_at_the_last_log_upload(seed: int) -> None:
    text = single_az(
        STORAGE_FAILURE,
        extra=RESTORE + "timings:\n  pitr_restore: 30m\n  pitr_restore_per_gib: 0\n",
    )
    record = run_yaml(text, seed=seed)
    assert rds_ids(record) == ["0031", "0005", "0019"]
    created, restored = only(record, "0005"), only(record, "0019")
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "storage-failed"),
        ("none", "storage-failed"),
    ]
    assert states(record, "db-1-restored") == [("none", "creating"), ("primary", "available")]
    # The operator acts at 15 min; the restore takes its (fixed, 30 min) time.
    assert created.time_s == 900.0 and created.source == "db-1-restored"
    assert restored.time_s == pytest.approx(900.0 + 1800.0)
    summary = summarize(record)
    assert summary.failovers == 0 and summary.degraded_s is None
    # Lost: everything committed between the last log upload (every 5 min) and the failure.
    restore_s = restore_point_s(record, 100)
    assert 600.0 - DEFAULTS.log_upload_interval_s < restore_s <= 600.0
    assert summary.rpo_txns == round(100 * (600.0 - restore_s))
    assert 0 < summary.rpo_txns <= 100 * DEFAULTS.log_upload_interval_s
    assert restored.data["lost_txns"] == pytest.approx(100 * (600.0 - restore_s))
    # The new instance continues from the restore point, as the only writer.
    assert record.series_at(COMMITTED, restored.time_s) == pytest.approx(
        restore_s * 100 * BYTES_PER_TXN
    )
    assert writer_intervals(record) == [
        (0.0, 600.0, "db-1"),
        (restored.time_s, record.duration_s, "db-1-restored"),
    ]
    # A new endpoint: the probe keeps failing on the old one until it is re-pointed (50 min).
    after = [o for o in record.operations if o.start_s >= 600.0]
    first_ok = next(o for o in after if o.outcome == "ok")
    assert first_ok.start_s == pytest.approx(3000.0) and first_ok.address == "db-1-restored"
    assert all(o.address == "db-1" for o in after if o.start_s < 3000.0)
    assert summary.client_recovered is True
    assert 3000.0 - 600.0 - 5.0 <= summary.client_downtime_s <= 3000.0 - 600.0 + 1.0


def test_a_restore_takes_longer_with_more_data() -> None:
    """Restore time grows with the database's size (pitr_restore_per_gib, an assumption)."""
    took = {}
    for data_gib in (10, 110):
        text = single_az(STORAGE_FAILURE, duration="6h", extra=RESTORE).replace(
            "    - {name: db-1, az: us-east-1a, role: primary}\n",
            "    - {name: db-1, az: us-east-1a, role: primary}\n"
            f"  storage: {{allocated_gib: 200, data_gib: {data_gib}}}\n",
        )
        record = run_yaml(text, seed=4)
        took[data_gib] = only(record, "0019").time_s - only(record, "0005").time_s
    assert took[110] - took[10] == pytest.approx(100 * DEFAULTS.pitr_restore_s_per_gib)


def test_lost_commits_average_half_an_upload_interval() -> None:
    """Over many seeds, the restore point is uniform within the upload interval before the fault:
    the mean loss is rate x interval / 2."""
    text = single_az(
        STORAGE_FAILURE,
        duration="15m",
        extra="actions:\n  - {at: 11m, kind: restore-to-point-in-time, target: db-1}\n"
        "timings:\n  pitr_restore: 1m\n  pitr_restore_per_gib: 0\nprobe: {enabled: false}\n",
    )
    losses = []
    for seed in range(300):
        record = run_yaml(text, seed=seed)
        assert len(rds(record, "0019")) == 1
        losses.append(summarize(record).rpo_txns)
    interval = DEFAULTS.log_upload_interval_s
    mean = 100 * interval / 2
    se = 100 * interval / math.sqrt(12 * len(losses))
    assert abs(sum(losses) / len(losses) - mean) < 4 * se
    assert min(losses) > 0 and max(losses) <= 100 * interval


def test_storage_failure_on_multi_az_fails_over_without_loss() -> None:
    record = run_yaml(
        multi_az("  - {at: 10m, kind: storage-failure, target: primary}\n", writes_per_s=100),
        seed=4,
    )
    assert rds_ids(record) == ["0013", "0049", "0052", "0053"]
    assert only(record, "0013").data["cause"] == "storage-failed"
    summary = summarize(record)
    assert summary.rpo_txns == 0
    # The old primary's host still answers, but its inserts hang: read timeouts, not refusals.
    assert "read-timeout" in summary.probe_errors
    assert "connect-timeout" not in summary.probe_errors


# -- the standby, and the new primary while degraded -----------------------------------------------
def test_crash_of_the_standby_only_rebuilds_it() -> None:
    sim = build_yaml(multi_az("  - {at: 5m, kind: host-crash, target: standby}\n"), seed=6)
    detected_s = sim.controller.detection_due_s(300.0)
    record = sim.run()
    assert rds_ids(record) == ["0052", "0053"]
    assert only(record, "0052").time_s == pytest.approx(detected_s)
    assert states(record, "db-1") == [("primary", "available")]
    assert states(record, "db-2") == [
        ("standby", "available"),
        ("standby", "failed"),
        ("standby", "creating"),
        ("standby", "syncing"),
        ("standby", "available"),
    ]
    summary = summarize(record)
    assert summary.failovers == 0
    assert summary.writer_unavailable_s == 0.0
    assert summary.degraded_s == pytest.approx(only(record, "0053").time_s - 300.0)
    assert summary.client_downtime_s == 0.0


def test_crash_of_the_new_primary_while_degraded_recovers_in_place() -> None:
    text = multi_az(
        "  - {at: 5m, kind: host-crash, target: primary}\n"
        "  - {at: 8m, kind: host-crash, target: primary}\n",
        writes_per_s=100,
        extra="timings:\n  failover_initiation: 8s\n  standby_activation: 20s\n"
        "  standby_rebuild: 10m\n",
    )
    record = run_yaml(text, seed=7)
    completed = only(record, "0049").time_s
    assert completed < 480.0 < only(record, "0053").time_s  # the second crash hits while degraded
    faults = [e for e in record.events if e.kind == "fault"]
    assert [e.data["target"] for e in faults] == ["db-1", "db-2"]
    # No second failover: there is no in-sync standby to fail over to.
    assert len(rds(record, "0013")) == 1
    assert summarize(record).failovers == 1
    began, done = only(record, "0020"), only(record, "0021")
    assert began.source == done.source == "db-2"
    assert DETECT_MIN_S <= began.time_s - 480.0 < DETECT_MAX_S
    assert began.data["cause"] == "failed"
    assert states(record, "db-2")[-3:] == [
        ("primary", "failed"),
        ("primary", "recovering"),
        ("primary", "available"),
    ]
    assert rds(record, "0019") == []  # the volume survived a host crash: nothing restored
    summary = summarize(record)
    assert summary.rpo_txns == 0
    answers = [e.data["target"] for e in record.events if e.kind == "dns-answer"]
    assert answers == ["db-1", "db-2"]


def test_standby_failing_during_promotion_is_recovered_in_place() -> None:
    """The standby crashes while being promoted: it is recovered where it is, the old primary
    comes back as the standby, and DNS follows the primary."""
    probe = build_yaml(CRASH, seed=2)
    promoting_from = probe.controller.detection_due_s(300.0) + 8.0
    text = multi_az(
        "  - {at: 5m, kind: host-crash, target: primary}\n"
        f"  - {{at: {promoting_from + 5.0:.3f}, kind: host-crash, target: db-2}}\n",
        duration="1h",
        extra="timings:\n  failover_initiation: 8s\n  standby_activation: 20s\n",
    )
    record = run_yaml(text, seed=2)
    assert rds_ids(record)[:2] == ["0013", "0020"]
    assert rds(record, "0015") == [] and rds(record, "0049") == []
    failed = [e for e in record.events if e.kind == "failover-failed"]
    assert len(failed) == 1 and failed[0].time_s == pytest.approx(promoting_from + 5.0, abs=1e-3)
    end = record.duration_s
    assert state_at(record, "db-2", end) == ("primary", "available")
    assert state_at(record, "db-1", end) == ("standby", "available")
    answers = [e.data["target"] for e in record.events if e.kind == "dns-answer"]
    assert answers == ["db-1", "db-2"]
    assert summarize(record).client_recovered is True


# -- repairs that wait for an AZ ------------------------------------------------------------------
def test_recovery_waits_for_the_az_and_resumes_when_it_returns() -> None:
    text = single_az(
        "  - {at: 0s, kind: host-crash, target: db-1}\n"
        f"  - {{at: 0s, kind: az-outage, az: us-east-1a, duration: {DETECT_MAX_S + 15}s}}\n",
        extra="timings:\n  host_replacement: 5m\n",
    )
    record = run_yaml(text, seed=1)
    assert rds_ids(record) == ["0020", "0021"]
    assert only(record, "0020").time_s <= DETECT_MAX_S  # detected while the AZ is still dark
    recovering = [s for s in record.states if s.state == "recovering"]
    assert recovering[0].time_s == DETECT_MAX_S + 15  # not before the AZ is back
    assert state_at(record, "db-1", record.duration_s) == ("primary", "available")


def test_recovery_cut_short_by_an_outage_starts_over() -> None:
    text = single_az(
        "  - {at: 0s, kind: host-crash, target: db-1}\n"
        "  - {at: 1m, kind: az-outage, az: us-east-1a, duration: 1s}\n",
        extra="timings:\n  host_replacement: 5m\n  reboot: 2m\n",
    )
    record = run_yaml(text, seed=1)
    # Detected within 25 s, recovering until the outage at 60 s, then again from 61 s: the
    # replacement host is up, so this time it is a reboot. No redo (the crash was at t = 0);
    # undo of the transactions in flight then is a few KiB.
    recovering = [s.time_s for s in record.states if s.state == "recovering"]
    assert recovering[-1] == 61.0 and len(recovering) == 2
    assert only(record, "0021").time_s == pytest.approx(61.0 + 120.0, abs=0.01)
    assert state_at(record, "db-1", record.duration_s) == ("primary", "available")


# -- the probe and DNS caching ---------------------------------------------------------------------
def probe_scenario(cache: str) -> str:
    return multi_az(
        "  - {at: 5m, kind: host-crash, target: primary}\n",
        duration="20m",
        extra=f"probe: {{interval: 1s, dns_cache: {cache}, dns_cache_for: 30s}}\n",
    )


def test_a_client_that_caches_dns_forever_never_recovers() -> None:
    record = run_yaml(probe_scenario("forever"), seed=8)
    summary = summarize(record)
    assert summary.failovers == 1 and summary.failover_s is not None
    assert summary.client_recovered is False
    after = [o for o in record.operations if o.start_s > 300.0]
    assert after and {o.address for o in after} == {"db-1"}
    assert all(o.outcome == "fail" for o in after)
    # Its downtime runs from the first failure to the end of the run.
    assert summary.client_downtime_s == pytest.approx(record.duration_s - 300.0)


def test_dns_ttl_client_recovers_soon_after_the_flip() -> None:
    record = run_yaml(probe_scenario("ttl"), seed=8)
    summary = summarize(record)
    completed = only(record, "0049").time_s
    assert summary.client_recovered is True
    first_ok = next(o for o in record.operations if o.start_s > 300.0 and o.outcome == "ok")
    assert first_ok.address == "db-2"
    # The flip is seen at the first attempt after it (attempts are 5 s apart while timing out).
    assert completed <= first_ok.start_s <= completed + 5.0


def test_a_fixed_30s_cache_recovers_later_than_the_ttl() -> None:
    """Same seed, same failover; the 30 s cache only sees the flip at its next refresh."""
    gaps = []
    for seed in range(20):
        ttl = summarize(run_yaml(probe_scenario("ttl"), seed=seed))
        fixed = summarize(run_yaml(probe_scenario("fixed"), seed=seed))
        assert ttl.failover_s == fixed.failover_s
        assert ttl.client_downtime_s is not None and fixed.client_downtime_s is not None
        assert fixed.client_recovered is True
        assert fixed.client_downtime_s >= ttl.client_downtime_s
        assert fixed.client_downtime_s <= ttl.client_downtime_s + 30.0 + 5.0
        gaps.append(fixed.client_downtime_s - ttl.client_downtime_s)
    # Refreshes every 30 s land on average ~15 s after the flip, the TTL's within 5 s.
    assert sum(gaps) / len(gaps) > 5.0


@pytest.mark.parametrize("seed", range(10))
def test_a_second_restore_never_resurrects_lost_commits(seed: int) -> None:
    """After a restore, times before it read the surviving timeline: a second restore to an
    upload made during the first one loses what was written since, and never jumps forward."""
    text = single_az(
        "  - {at: 10m, kind: storage-failure, target: primary}\n"
        "  - {at: 13m, kind: storage-failure, target: primary}\n",
        duration="30m",
        extra="actions:\n"
        "  - {at: 10m30s, kind: restore-to-point-in-time, target: db-1}\n"
        "  - {at: 14m, kind: restore-to-point-in-time, target: db-1-restored,"
        " new_instance: db-1-again}\n"
        "timings:\n  pitr_restore: 1m\n  pitr_restore_per_gib: 0\n",
    )
    record = run_yaml(text, seed=seed)
    assert rds_ids(record) == ["0031", "0005", "0019", "0031", "0005", "0019"]
    assert [e.source for e in rds(record, "0019")] == ["db-1-restored", "db-1-again"]
    times, values = record.series(COMMITTED)
    jumps = [
        float(values[i + 1] - values[i]) for i in range(len(times) - 1) if times[i] == times[i + 1]
    ]
    assert all(jump <= 0 for jump in jumps), "the committed position jumped forward"
    lost = [e.data["lost_txns"] for e in rds(record, "0019")]
    assert all(isinstance(x, float) and x >= 0 for x in lost)
    assert summarize(record).rpo_txns == round(sum(lost))  # type: ignore[arg-type]
    # Applied positions follow the rewinds down: nothing is applied beyond what survives.
    for t in (only_first(record, "0019").time_s - 1.0, record.duration_s):
        for name in ("db-1", "db-1-restored", "db-1-again"):
            assert record.series_at(applied_series(name), t) <= record.series_at(COMMITTED, t)


# -- the standby rebuild ---------------------------------------------------------------------------
def rebuild_scenario(data_gib: int) -> str:
    return multi_az(
        "  - {at: 5m, kind: host-crash, target: primary}\n",
        duration="3h",
        extra="timings:\n  standby_rebuild: 5m\n  standby_sync: 2m\n  sync_commit_latency: 20ms\n",
    ).replace(
        "role: standby}\n",
        f"role: standby}}\n  storage: {{allocated_gib: 1000, data_gib: {data_gib}}}\n",
    )


def test_the_standby_rebuild_grows_with_the_data_then_commits_slow_while_it_syncs() -> None:
    """0052: "Recovery time will vary with the amount of data to be recovered"; then
    "elevated latencies ... until the standby DB instance has caught up" (CHAP_BestPractices)."""
    built = {}
    for data_gib in (10, 510):
        record = run_yaml(rebuild_scenario(data_gib), seed=2)
        started, done = only(record, "0052"), only(record, "0053")
        ((sync_start, sync_end),) = [
            (a, b) for a, b, role, s in record.state_intervals("db-1") if s == "syncing"
        ]
        assert sync_end == pytest.approx(sync_start + 120.0) and sync_end == done.time_s
        built[data_gib] = sync_start - started.time_s
        summary = summarize(record)
        assert summary.standby_syncing_s == pytest.approx(120.0)
        assert summary.degraded_s == pytest.approx(done.time_s - only(record, "0013").time_s)
        # The probe's inserts take 20 ms longer while the new standby syncs, and only then.
        ok = [o for o in record.operations if o.outcome == "ok" and o.start_s > 400.0]
        during = {round(o.end_s - o.start_s, 6) for o in ok if sync_start <= o.start_s < sync_end}
        after = {round(o.end_s - o.start_s, 6) for o in ok if o.start_s >= sync_end}
        assert len(during) == len(after) == 1
        assert during.pop() == pytest.approx(after.pop() + 0.020)
    # 5 min fixed, plus standby_rebuild_per_gib for every GiB of data.
    assert built[10] == pytest.approx(300.0 + 10 * DEFAULTS.standby_rebuild_s_per_gib)
    assert built[510] - built[10] == pytest.approx(500 * DEFAULTS.standby_rebuild_s_per_gib)


def test_large_transactions_in_flight_lengthen_the_recovery() -> None:
    """AWS: "use smaller transactions". At 500 writes/s, one in 1,000 a 256 MiB transaction
    running 60 s: on average 30 of them are in flight at the crash, each half written, all
    rolled back before the standby opens (InnoDB's undo; PostgreSQL has none)."""
    plain = crash_at(500.0)
    large = plain.replace(
        "workload:\n  phases:\n",
        "workload:\n  large_txns: {share: 0.001, bytes_per_txn: 268435456, txn_duration: 60s}\n"
        "  phases:\n",
    )
    extra = 500 * 0.001 * 60 * 268435456 / 2
    for engine, rolls_back in (("mysql", True), ("postgres", False)):
        base, heavy = (
            build_yaml(text.replace("name: trace\n", f"name: trace\nengine: {engine}\n"), 3)
            for text in (plain, large)
        )
        rate = base.controller.recovery.bytes_per_s
        records = base.run(), heavy.run()
        undo = [of_kind(r, "failover-promoted")[0].data["undo_bytes"] for r in records]
        assert undo[1] - undo[0] == pytest.approx(extra if rolls_back else 0.0)
        promotion = [summarize(r).promotion_s for r in records]
        assert promotion[1] - promotion[0] == pytest.approx(  # type: ignore[operator]
            extra / rate if rolls_back else 0.0, abs=1e-6
        )


def test_a_restore_beside_a_working_instance_is_rejected() -> None:
    """Multi-AZ: the primary's volume fails, the standby takes over. A restore of the old
    primary would be a second database beside the working one (found by the fuzzer: two
    writers); rdssim restores only an instance in the failed state."""
    text = multi_az(
        STORAGE_FAILURE,
        extra="actions:\n  - {at: 20m, kind: restore-to-point-in-time, target: db-1}\n",
    )
    record = run_yaml(text, seed=1)
    (rejected,) = of_kind(record, "action-rejected")
    assert rejected.time_s == 1200.0 and "not in the failed state" in rejected.message
    assert rds(record, "0005") == [] and rds(record, "0019") == []
    assert [name for _, _, name in writer_intervals(record)] == ["db-1", "db-2"]


def test_both_volumes_lost_leave_the_instance_failed_without_a_standby_rebuild() -> None:
    """The primary's volume fails, then the new primary's during its promotion: no
    in-place recovery starts (0020) for a volume that is gone, and no standby is rebuilt
    for an instance in the failed state (found by review)."""
    record = run_yaml(
        multi_az(
            "  - {at: 5m, kind: storage-failure, target: primary}\n"
            "  - {at: 6m, kind: storage-failure, target: primary}\n",
            duration="2h",
        ),
        seed=1,
    )
    assert rds_ids(record) == ["0013", "0031"]
    assert only(record, "0031").source == "db-2"
    assert ("primary", "available") not in {
        state_at(record, name, record.duration_s) for name in ("db-1", "db-2")
    }


def test_an_outage_of_its_az_during_a_restore_starts_it_over() -> None:
    """assumption: a restore cut by an outage of its AZ starts over once the AZ is back
    (found by review: the AZ was checked only at the start)."""
    text = single_az(
        STORAGE_FAILURE + "  - {at: 20m, kind: az-outage, az: us-east-1a, duration: 10m}\n",
        extra=RESTORE + "timings:\n  pitr_restore: 30m\n  pitr_restore_per_gib: 0\n",
    )
    record = run_yaml(text, seed=0)
    assert only(record, "0005").time_s == 900.0
    assert only(record, "0019").time_s == pytest.approx(1800.0 + 1800.0)
