"""Traces of a database run by hand on EC2: streaming standbys, and either a person on call
or Patroni (a leader lease of ``ttl``, renewed every ``loop_wait``) to fail over.

Each test builds a tiny deployment, runs it and reads the Record like a trace. Nobody
writes RDS events here, nobody repairs a host, and what the asynchronous standby had not
received when the primary died is gone: each loss is computed from the scenario's rate and
link latency, each instant from its fixed timings or Patroni's knobs.
"""

from __future__ import annotations

import math

import pytest
from conftest import (
    committed_drops,
    of_kind,
    run_yaml,
    state_at,
    states,
    two_writers_time,
    writer_intervals,
)

from rdssim.metrics import summarize
from rdssim.record import COMMITTED, Record, applied_series, diverged_series, received_series

BYTES_PER_TXN = 4096
CROSS_AZ_S = 0.0015  # the default one-way latency between AZs of a Region (rdssim.model.links)
CRASH = "  - {at: 5m, kind: host-crash, target: primary}\n"


def ec2(
    faults: str,
    *,
    ha: str = "manager: patroni",
    db2: str = "",
    db3: str | None = None,
    writes_per_s: float = 500,
    timings: str = "",
    duration: str = "30m",
    extra: str = "",
) -> str:
    """PostgreSQL on EC2: db-1 the primary in 1a, db-2 a standby in 1b (and db-3 in 1c)."""
    hosts = (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        f"    - {{name: db-2, az: us-east-1b, role: standby{', ' + db2 if db2 else ''}}}\n"
    )
    if db3 is not None:
        hosts += f"    - {{name: db-3, az: us-east-1c, role: standby{', ' + db3 if db3 else ''}}}\n"
    text = (
        f"name: trace\nengine: postgres\nduration: {duration}\n"
        f"deployment:\n  type: self-managed-ec2\n  instances:\n{hosts}  ha: {{{ha}}}\n{extra}"
        f"workload:\n  phases:\n    - {{start: 0s, writes_per_s: {writes_per_s:g}}}\n"
        "probe: {interval: 1s}\n"
    )
    if timings:
        text += f"timings:\n{timings}"
    return text + f"faults:\n{faults}"


def assert_no_rds_events(record: Record) -> None:
    assert record.rds_events() == []
    assert [e for e in record.events if e.rds_event is not None] == []


# -- Patroni ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_patroni_fails_over_on_its_own_and_moves_the_dns_name(seed: int) -> None:
    text = ec2(CRASH, db3="", timings="  patroni_promotion: 1s\n")
    record = run_yaml(text, seed=seed)
    (fault,) = of_kind(record, "fault")
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert fault.time_s < started.time_s < promoted.time_s <= completed.time_s
    assert_no_rds_events(record)
    new = started.data["target_instance"]
    assert started.data["source_instance"] == "db-1" and new in ("db-2", "db-3")
    # Both standbys are in other AZs behind the same default link: each received the same,
    # and the promotion is pg_ctl promote (fixed at 1 s) with nothing left to apply.
    assert promoted.time_s - started.time_s == pytest.approx(1.0, abs=1e-6)
    assert states(record, new) == [
        ("standby", "replicating"),
        ("standby", "promoting"),
        ("primary", "available"),
    ]
    # Nobody repairs the dead host.
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "failed"),
        ("none", "failed"),
    ]
    answers = [(e.time_s, e.data["target"]) for e in record.events if e.kind == "dns-answer"]
    assert answers == [(0.0, "db-1"), (completed.time_s, new)]
    assert writer_intervals(record) == [
        (0.0, 300.0, "db-1"),
        (promoted.time_s, record.duration_s, new),
    ]
    summary = summarize(record)
    assert summary.two_writers_s == 0.0 and summary.split_brain_txns == 0
    # The other standby follows the new leader.
    other = ({"db-2", "db-3"} - {new}).pop()
    assert record.series_at(received_series(other), record.duration_s) > record.series_at(
        received_series(other), completed.time_s + 1.0
    )


def test_without_a_dns_name_patroni_moves_nobody() -> None:
    record = run_yaml(ec2(CRASH, ha="manager: patroni, endpoint: none"), seed=1)
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert completed.time_s == promoted.time_s
    assert [e.data["target"] for e in record.events if e.kind == "dns-answer"] == ["db-1"]
    # The application still points at the dead host: no insert succeeds after the crash.
    assert not [o for o in record.operations if o.outcome == "ok" and o.start_s > 300.0]
    assert summarize(record).client_recovered is False


@pytest.mark.parametrize(("ttl_s", "loop_s"), [(30.0, 10.0), (20.0, 5.0), (60.0, 3.0)])
def test_patroni_notices_within_ttl_plus_or_minus_loop_wait(ttl_s: float, loop_s: float) -> None:
    """The lease lapses ttl after its last renewal (at most loop_wait before the fault); a
    standby notices at its next loop (at most loop_wait later). Over many seeds the delays
    fill that window, centred on ttl."""
    text = ec2(
        CRASH,
        # retry_timeout 7 s keeps Patroni's rule loop_wait + 2 x retry_timeout <= ttl.
        ha=f"manager: patroni, ttl: {ttl_s:g}s, loop_wait: {loop_s:g}s, retry_timeout: 7s",
        duration="8m",
    )
    delays = []
    for seed in range(60):
        record = run_yaml(text, seed=seed)
        (started,) = of_kind(record, "failover-started")
        assert started.data["trigger_s"] == 300.0
        delays.append(started.time_s - 300.0)
        assert summarize(record).detection_s == pytest.approx(delays[-1])
    assert ttl_s - loop_s <= min(delays) and max(delays) <= ttl_s + loop_s
    assert max(delays) - min(delays) > loop_s  # the two phases are drawn, not fixed
    # The sum of two uniforms over a loop each: mean ttl, sd loop / sqrt(6).
    mean = sum(delays) / len(delays)
    assert abs(mean - ttl_s) < 4 * loop_s / math.sqrt(6 * len(delays))


def test_maximum_lag_on_failover_refuses_a_standby_too_far_behind() -> None:
    # 1 MiB/s carries 256 of the 500 transactions written per second: db-2 falls behind by
    # far more than the default 1 MiB.
    text = ec2(CRASH, db2="link: {bandwidth_mib_per_s: 1}")
    record = run_yaml(text, seed=1)
    (refused,) = of_kind(record, "failover-refused")
    assert refused.data["trigger_s"] == 300.0 and refused.source == "ha"
    assert "db-2" in refused.message and "1048576" in refused.message
    assert 300.0 + 30.0 - 10.0 <= refused.time_s <= 300.0 + 30.0 + 10.0  # the lease's lapse
    assert of_kind(record, "failover-started") == []
    assert state_at(record, "db-1", record.duration_s) == ("primary", "failed")
    assert state_at(record, "db-2", record.duration_s) == ("standby", "replicating")
    summary = summarize(record)
    assert summary.failovers == 0
    assert summary.writer_unavailable_s == pytest.approx(record.duration_s - 300.0)
    assert_no_rds_events(record)


def test_a_high_enough_maximum_lag_promotes_it_and_loses_what_it_lacked() -> None:
    text = ec2(
        CRASH,
        ha=f"manager: patroni, maximum_lag_on_failover: {2**40}",
        db2="link: {bandwidth_mib_per_s: 1}",
    )
    record = run_yaml(text, seed=1)
    (started,) = of_kind(record, "failover-started")
    assert started.data["target_instance"] == "db-2"
    # It received 1 MiB/s from t = latency on: 256 txns/s against 500 committed.
    received_txns = 2**20 / BYTES_PER_TXN * (300.0 - CROSS_AZ_S)
    lost = 500 * 300.0 - received_txns
    assert abs(summarize(record).rpo_txns - round(lost)) <= 1
    ((_, dropped),) = committed_drops(record)
    assert dropped / BYTES_PER_TXN == pytest.approx(lost, rel=1e-9)


# -- asynchronous vs semi-synchronous -------------------------------------------------------------
@pytest.mark.parametrize(
    ("writes_per_s", "latency_ms"), [(500.0, 200.0), (1000.0, 350.0), (300.0, 500.0)]
)
def test_async_failover_loses_exactly_the_unreplicated_tail(
    writes_per_s: float, latency_ms: float
) -> None:
    text = ec2(
        CRASH,
        ha="manager: patroni, replication: async, maximum_lag_on_failover: 1073741824",
        db2=f"link: {{latency: {latency_ms:g}ms}}",
        writes_per_s=writes_per_s,
    )
    record = run_yaml(text, seed=3)
    tail = writes_per_s * latency_ms / 1000.0
    # What the standby had received when the primary died: everything but the last L s.
    behind = record.series_at(COMMITTED, 300.0) - record.series_at(received_series("db-2"), 300.0)
    assert behind / BYTES_PER_TXN == pytest.approx(tail, rel=1e-6)
    (promoted,) = of_kind(record, "failover-promoted")
    assert promoted.data["lost_txns"] == pytest.approx(tail, rel=1e-6)
    ((when, dropped),) = committed_drops(record)
    assert when == promoted.time_s and dropped / BYTES_PER_TXN == pytest.approx(tail, rel=1e-6)
    summary = summarize(record)
    assert abs(summary.rpo_txns - round(tail)) <= 1
    assert summary.split_brain_txns == 0


def test_semi_sync_loses_nothing_behind_the_same_link() -> None:
    text = ec2(
        CRASH,
        ha="manager: patroni, replication: semi-sync, maximum_lag_on_failover: 1073741824",
        db2="link: {latency: 200ms}",
    )
    record = run_yaml(text, seed=3)
    (promoted,) = of_kind(record, "failover-promoted")
    assert promoted.data["lost_txns"] == 0
    assert committed_drops(record) == []
    assert summarize(record).rpo_txns == 0


def test_the_promoted_standby_applies_its_backlog_before_it_opens() -> None:
    text = ec2(
        CRASH,
        ha="manager: patroni, maximum_lag_on_failover: 1073741824",
        db2="apply_writes_per_s: 400",
        timings="  patroni_promotion: 1s\n",
    )
    record = run_yaml(text, seed=4)
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    # Received up to the crash (less the link's delay), applied 400/s since t = latency.
    received = 500 * (300.0 - CROSS_AZ_S)
    applied = 400 * (started.time_s - CROSS_AZ_S)
    assert promoted.time_s - started.time_s == pytest.approx(
        1.0 + (received - applied) / 400, abs=1e-6
    )


# -- fencing ----------------------------------------------------------------------------------
PARTITION = "  - {at: 5m, kind: partition, target: primary, duration: 5m}\n"


def partitioned(fencing: bool) -> Record:
    text = ec2(
        PARTITION,
        ha=f"manager: patroni, fencing: {str(fencing).lower()}, endpoint: dns",
        db3="",
        timings="  patroni_promotion: 1s\n",
    )
    return run_yaml(text, seed=1)


def overlap(record: Record) -> float:
    """Seconds in which two or more hosts are (primary, available), from record.states."""
    return two_writers_time(writer_intervals(record))


def test_an_unfenced_partitioned_primary_keeps_writing_beside_the_new_one() -> None:
    record = partitioned(fencing=False)
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert started.data["cause"] == "unreachable"
    new = started.data["target_instance"]
    # db-1 never stops accepting writes until it sees the new leader at the partition's end.
    assert states(record, "db-1") == [("primary", "available"), ("standby", "replicating")]
    assert state_at(record, "db-1", 450.0) == ("primary", "available")
    assert state_at(record, new, 450.0) == ("primary", "available")
    two = overlap(record)
    assert two == pytest.approx(600.0 - promoted.time_s)
    summary = summarize(record)
    assert summary.two_writers_s == pytest.approx(two) and two > 0
    # Until the DNS name moves the application writes to db-1: those writes diverge and
    # are thrown away when db-1 rejoins.
    split = 500 * (completed.time_s - promoted.time_s)
    assert summary.split_brain_txns is not None and summary.split_brain_txns > 0
    assert abs(summary.split_brain_txns - round(split)) <= 1
    (rejoined,) = of_kind(record, "rejoined")
    assert rejoined.time_s == 600.0 and rejoined.data["lost_txns"] == pytest.approx(split)
    assert record.series_at(diverged_series("db-1"), record.duration_s) / BYTES_PER_TXN == (
        pytest.approx(split)
    )
    # And what db-1 committed while cut off from its standbys never reached them.
    cut_off = 500 * (promoted.time_s - 300.0 + CROSS_AZ_S)
    assert promoted.data["lost_txns"] == pytest.approx(cut_off, rel=1e-6)
    assert abs(summary.rpo_txns - round(cut_off + split)) <= 2
    assert_no_rds_events(record)


def test_a_fenced_partitioned_primary_demotes_itself_at_the_lease_end() -> None:
    record = partitioned(fencing=True)
    (demoted,) = of_kind(record, "demoted")
    (started,) = of_kind(record, "failover-started")
    assert demoted.source == "db-1"
    # The lease lapses before a standby notices, at most one loop earlier.
    assert demoted.time_s <= started.time_s < demoted.time_s + 10.0
    assert 300.0 + 30.0 - 10.0 <= demoted.time_s <= 300.0 + 30.0
    assert states(record, "db-1") == [
        ("primary", "available"),
        ("primary", "read-only"),
        ("none", "read-only"),
        ("standby", "replicating"),
    ]
    assert overlap(record) == 0.0
    summary = summarize(record)
    assert summary.two_writers_s == 0.0 and summary.split_brain_txns == 0
    # It stopped taking writes at the demotion: what it took while cut off is the loss.
    (promoted,) = of_kind(record, "failover-promoted")
    assert promoted.data["lost_txns"] == pytest.approx(
        500 * (demoted.time_s - 300.0 + CROSS_AZ_S), rel=1e-6
    )
    (rejoined,) = of_kind(record, "rejoined")
    assert rejoined.time_s == 600.0
    assert_no_rds_events(record)


def test_the_other_standby_follows_the_new_leader_while_the_old_one_is_cut_off() -> None:
    record = partitioned(fencing=False)
    (started,) = of_kind(record, "failover-started")
    (completed,) = of_kind(record, "failover-completed")
    other = ({"db-2", "db-3"} - {started.data["target_instance"]}).pop()
    grown = record.series_at(received_series(other), 590.0) - record.series_at(
        received_series(other), completed.time_s + 1.0
    )
    assert grown / BYTES_PER_TXN == pytest.approx(500 * (589.0 - completed.time_s), rel=0.01)


# -- a person on call -----------------------------------------------------------------------------
MANUAL_TIMINGS = (
    "  oncall_alert: 2m\n  oncall_response: 10m\n  manual_promotion: 2m\n  app_reconfigure: 5m\n"
)


def test_a_person_promotes_then_repoints_the_application_after_reconfiguring_it() -> None:
    record = run_yaml(ec2(CRASH, ha="manager: manual", timings=MANUAL_TIMINGS, duration="1h"))
    (started,) = of_kind(record, "failover-started")
    (promoted,) = of_kind(record, "failover-promoted")
    (completed,) = of_kind(record, "failover-completed")
    assert started.time_s == pytest.approx(300.0 + 120.0 + 600.0)  # paged, then at a keyboard
    assert promoted.time_s == pytest.approx(started.time_s + 120.0)
    # The DNS name does not move when the standby opens, only once the person has
    # reconfigured the application.
    answers = [(e.time_s, e.data["target"]) for e in record.events if e.kind == "dns-answer"]
    assert answers == [(0.0, "db-1"), (pytest.approx(promoted.time_s + 300.0), "db-2")]
    assert completed.time_s == pytest.approx(promoted.time_s + 300.0)
    first_ok = next(o for o in record.operations if o.start_s > 300.0 and o.outcome == "ok")
    assert first_ok.address == "db-2" and first_ok.start_s >= completed.time_s
    # The writer is back at the promotion; the application only after the reconfiguration.
    summary = summarize(record)
    assert summary.writer_unavailable_s == pytest.approx(promoted.time_s - 300.0)
    assert summary.dns_s == pytest.approx(300.0)
    # The default cross-AZ link: 500 x 1.5 ms in flight is lost.
    assert promoted.data["lost_txns"] == pytest.approx(500 * CROSS_AZ_S, rel=1e-6)
    assert_no_rds_events(record)


def test_read_replicas_of_a_self_managed_deployment_are_stranded() -> None:
    extra = "  replicas:\n    - {name: r1, az: us-east-1c}\n"
    record = run_yaml(
        ec2(CRASH, ha="manager: manual", timings=MANUAL_TIMINGS, duration="1h", extra=extra)
    )
    (completed,) = of_kind(record, "failover-completed")
    assert states(record, "r1") == [
        ("replica", "replicating"),
        ("replica", "reconnecting"),
        ("replica", "stranded"),
    ]
    assert state_at(record, "r1", 300.0) == ("replica", "reconnecting")
    (stranded,) = of_kind(record, "replica-stranded")
    assert stranded.time_s == completed.time_s and stranded.source == "r1"
    assert state_at(record, "r1", record.duration_s) == ("replica", "stranded")
    # It applies nothing after the crash: its data stands at what it had then.
    assert record.series_at(applied_series("r1"), record.duration_s) == pytest.approx(
        record.series_at(applied_series("r1"), 300.0)
    )
    assert_no_rds_events(record)
