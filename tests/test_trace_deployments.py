"""Traces of the deployment types beyond a DB instance: a Multi-AZ DB cluster, Aurora, and
self-managed HA on EC2 (a person on call, or Patroni), each under one fault.

As in test_trace_multi_az.py: a tiny scenario, one run, the Record read like a trace. The
expectations come from the scenario's own numbers (rates, latencies, Patroni's knobs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import of_kind, rds_ids, run_yaml, state_at, states, writer_intervals
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.metrics import summarize
from rdssim.record import COMMITTED, Record, received_series

BYTES_PER_TXN = 4096


def doc(kind: str, hosts: str, faults: str, *, engine: str = "mysql", extra: str = "") -> str:
    return (
        f"name: trace\nengine: {engine}\nduration: 30m\ndeployment:\n  type: {kind}\n"
        f"  instances:\n{hosts}{extra}"
        "workload:\n  phases:\n    - {start: 0s, writes_per_s: 500}\n"
        f"faults:\n{faults}"
    )


CLUSTER = (
    "    - {name: db-1, az: us-east-1a, role: primary}\n"
    "    - {name: db-2, az: us-east-1b, role: reader}\n"
    "    - {name: db-3, az: us-east-1c, role: reader, link: {latency: 2s}}\n"
)
CRASH = "  - {at: 5m, kind: host-crash, target: primary}\n"


def committed_rate(record: Record, start_s: float, end_s: float) -> float:
    grown = record.series_at(COMMITTED, end_s) - record.series_at(COMMITTED, start_s)
    return grown / BYTES_PER_TXN / (end_s - start_s)


# -- Multi-AZ DB cluster ----------------------------------------------------------------------
def test_cluster_failover_promotes_the_reader_that_received_most_and_loses_nothing() -> None:
    record = run_yaml(doc("multi-az-cluster", CLUSTER, CRASH))
    started = of_kind(record, "failover-started")[0]
    # db-3 trails by its 2 s link: db-2 has the most recent change record.
    assert started.data["target_instance"] == "db-2"
    assert record.series_at(received_series("db-3"), 299.0) < record.series_at(
        received_series("db-2"), 299.0
    )
    assert rds_ids(record)[:2] == ["0073", "0071"]  # cross-AZ start, completion
    assert state_at(record, "db-2", record.duration_s) == ("primary", "available")
    assert summarize(record).rpo_txns == 0  # a commit waited for db-2's acknowledgement
    # db-3 follows the new writer: it receives again after the failover.
    assert record.series_at(received_series("db-3"), 1500.0) > record.series_at(
        received_series("db-3"), 400.0
    )


@pytest.mark.parametrize(("engine", "waits_for_both"), [("mysql", True), ("postgres", False)])
def test_cluster_promotion_waits_for_both_readers_on_mysql_the_lower_on_postgres(
    engine: str, waits_for_both: bool
) -> None:
    """db-3 applies at 600/s under 1,000 writes/s: a backlog builds; MySQL's failover waits
    until it is applied too, PostgreSQL's only for the less lagged reader (db-2)."""
    hosts = CLUSTER.replace(", link: {latency: 2s}", ", apply_writes_per_s: 600")
    text = doc("multi-az-cluster", hosts, CRASH, engine=engine).replace(
        "writes_per_s: 500", "writes_per_s: 1000"
    )
    fixed = "timings: {cluster_promotion: {fixed: 5s}}\n"
    record = run_yaml(text + fixed)
    failover = summarize(record).failover_details[0]
    # db-3's backlog when the writer died: 400 txn/s behind for 300 s = 120,000 txns,
    # applied at 600/s = 200 s; the writer is gone, so nothing is added meanwhile.
    backlog_s = (1000 - 600) * 300 / 600
    assert failover.promotion_s is not None
    if waits_for_both:
        assert failover.promotion_s == pytest.approx(5.0 + backlog_s, rel=0.05)
    else:
        assert failover.promotion_s == pytest.approx(5.0, abs=0.1)


def test_cluster_commits_wait_with_both_readers_down_and_go_on_with_one() -> None:
    faults = (
        "  - {at: 5m, kind: network-loss, target: db-2, duration: 2m}\n"
        "  - {at: 6m, kind: network-loss, target: db-3, duration: 2m}\n"
    )
    record = run_yaml(doc("multi-az-cluster", CLUSTER.replace(", link: {latency: 2s}", ""), faults))
    assert committed_rate(record, 310.0, 355.0) == pytest.approx(500.0)  # db-3 acknowledges
    assert state_at(record, "db-1", 365.0) == ("primary", "commits-waiting")
    assert committed_rate(record, 365.0, 415.0) == 0.0  # nobody acknowledges
    assert state_at(record, "db-1", 425.0) == ("primary", "available")  # db-2 is back
    assert of_kind(record, "failover-started") == []


def test_flow_control_caps_commits_at_the_lagging_readers_apply_rate() -> None:
    """db-3 applies 400/s of 500/s: its lag grows at 1 - 400/500 = 0.2 s per second, so it
    reaches a 10 s target 50 s in; from then commits run at 400/s."""
    hosts = CLUSTER.replace(", link: {latency: 2s}", ", apply_writes_per_s: 400")
    record = run_yaml(
        doc("multi-az-cluster", hosts, "  []\n").replace("faults:\n  []", "faults: []")
        + "timings: {cluster_flow_control_lag: 10s}\n"
    )
    (throttle,) = of_kind(record, "flow-control")
    assert throttle.data["reader"] == "db-3"
    assert throttle.time_s == pytest.approx(10.0 / (1 - 400 / 500), abs=0.1)
    assert committed_rate(record, 100.0, 1000.0) == pytest.approx(400.0)


# -- Aurora ------------------------------------------------------------------------------------
AURORA = (
    "    - {name: db-1, az: us-east-1a, role: primary}\n"
    "    - {name: db-2, az: us-east-1b, role: reader, promotion_tier: 2}\n"
    "    - {name: db-3, az: us-east-1c, role: reader, promotion_tier: 1,"
    " instance_class: db.r6g.large}\n"
    "    - {name: db-4, az: us-east-1b, role: reader, promotion_tier: 1,"
    " instance_class: db.r6g.2xlarge}\n"
)


def test_aurora_fails_over_to_the_lowest_tier_then_the_largest_with_no_loss() -> None:
    record = run_yaml(doc("aurora", AURORA, CRASH))
    (started,) = of_kind(record, "failover-started")
    assert started.data["target_instance"] == "db-4"  # tier 1, and larger than db-3
    assert rds_ids(record)[:2] == ["0073", "0071"]
    assert summarize(record).rpo_txns == 0  # one volume: no redo to replay, nothing lost


def test_aurora_without_a_replica_re_creates_the_writer_in_place() -> None:
    hosts = "    - {name: db-1, az: us-east-1a, role: primary}\n"
    record = run_yaml(doc("aurora", hosts, CRASH))
    assert of_kind(record, "failover-started") == []
    assert rds_ids(record) == ["0020", "0021"]
    assert ("primary", "recovering") in states(record, "db-1")
    assert state_at(record, "db-1", record.duration_s) == ("primary", "available")


def test_aurora_quorums_an_az_keeps_writes_an_az_and_a_copy_only_reads() -> None:
    hosts = (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: reader}\n"
    )
    faults = (
        "  - {at: 5m, kind: az-outage, az: us-east-1c, duration: 10m}\n"
        "  - {at: 8m, kind: volume-copy-loss, az: us-east-1b}\n"
    )
    text = doc("aurora", hosts, faults) + "timings: {segment_repair: {fixed: 30s}}\n"
    record = run_yaml(text)
    assert state_at(record, "cluster-volume", 400.0) == ("volume", "writable")  # 4 of 6
    assert committed_rate(record, 310.0, 470.0) == pytest.approx(500.0)
    assert state_at(record, "cluster-volume", 490.0) == ("volume", "readable")  # 3 of 6
    assert state_at(record, "db-1", 490.0) == ("primary", "commits-waiting")
    assert committed_rate(record, 481.0, 509.0) == 0.0
    assert state_at(record, "db-1", 515.0) == ("primary", "available")  # repaired at 510 s


def test_aurora_replica_lag_follows_the_write_rate() -> None:
    hosts = (
        "    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: reader}\n"
    )
    record = run_yaml(
        doc("aurora", hosts, CRASH).replace(CRASH, "  []\n").replace("faults:\n  []", "faults: []")
    )
    lag = summarize(record).replicas
    assert lag is not None
    # 20 ms on an idle cluster, plus 5 ms per 1,000 writes/s (docs/calibration.md).
    assert lag.max_lag_s["db-2"] == pytest.approx(0.020 + 0.005 * 500 / 1000, rel=1e-6)


# -- self-managed on EC2 -----------------------------------------------------------------------
def ec2(ha: str, *, latency: str = "200ms", standbys: int = 1) -> str:
    hosts = "    - {name: db-1, az: us-east-1a, role: primary}\n"
    for i in range(standbys):
        az = "bc"[i]
        hosts += (
            f"    - {{name: db-{i + 2}, az: us-east-1{az}, role: standby, "
            f"link: {{latency: {latency}}}}}\n"
        )
    return hosts + f"  ha: {ha}\n"


def test_async_failover_loses_exactly_the_unreplicated_tail() -> None:
    """500 txn/s behind a 200 ms link: the standby had not received the last 100."""
    record = run_yaml(doc("self-managed-ec2", ec2("{manager: patroni}"), CRASH, engine="postgres"))
    summary = summarize(record)
    assert summary.failovers == 1
    assert summary.rpo_txns == pytest.approx(500 * 0.2, abs=1)
    assert rds_ids(record) == []  # nobody writes RDS events on EC2
    assert summary.split_brain_txns == 0 and summary.two_writers_s == 0.0


def test_semi_sync_loses_nothing() -> None:
    text = doc(
        "self-managed-ec2",
        ec2("{manager: patroni, replication: semi-sync}"),
        CRASH,
        engine="postgres",
    )
    assert summarize(run_yaml(text)).rpo_txns == 0


def test_patroni_notices_within_its_lease_and_promotes_in_about_a_second() -> None:
    found = []
    for seed in range(40):
        text = doc("self-managed-ec2", ec2("{manager: patroni}"), CRASH, engine="postgres")
        failover = summarize(run_yaml(text, seed)).failover_details[0]
        found.append(failover.detection_s)
    # The lease lapses ttl after the last renewal (every loop_wait), the standby notices at
    # its next loop: detection lies in [ttl - loop_wait, ttl + loop_wait] = [20, 40] s.
    assert min(found) >= 20.0 - 1e-9 and max(found) <= 40.0 + 1e-9
    assert max(found) - min(found) > 5.0  # the loops' phases differ between seeds


def test_maximum_lag_on_failover_refuses_a_standby_too_far_behind() -> None:
    """A 1 MiB/s link under 500 x 4 KiB = 2 MiB/s of writes: the standby falls behind by
    far more than Patroni's 1 MiB, so nobody is promoted."""
    hosts = ec2("{manager: patroni}").replace("{latency: 200ms}", "{bandwidth_mib_per_s: 1}")
    record = run_yaml(doc("self-managed-ec2", hosts, CRASH, engine="postgres"))
    assert of_kind(record, "failover-started") == []
    (refused,) = of_kind(record, "failover-refused")
    assert "maximum_lag_on_failover" in refused.message
    assert summarize(record).writer_unavailable_s == pytest.approx(record.duration_s - 300.0)


def test_an_unfenced_partitioned_primary_makes_two_writers_and_loses_their_writes() -> None:
    faults = "  - {at: 5m, kind: partition, target: primary, duration: 5m}\n"
    unfenced = doc(
        "self-managed-ec2",
        ec2("{manager: patroni, fencing: false, endpoint: none}", latency="1ms", standbys=2),
        faults,
        engine="postgres",
    )
    record = run_yaml(unfenced)
    summary = summarize(record)
    writers = writer_intervals(record)
    overlap = [
        (a, b) for a in writers for b in writers if a[2] < b[2] and a[0] < b[1] and b[0] < a[1]
    ]
    assert overlap, "two hosts accept writes at once"
    assert summary.two_writers_s is not None and summary.two_writers_s > 200.0
    # endpoint: none: the application keeps writing to db-1 until the partition ends and
    # db-1 rejoins; all of that is lost.
    (rejoined,) = [e for e in of_kind(record, "rejoined") if e.source == "db-1"]
    assert summary.split_brain_txns == pytest.approx(float(rejoined.data["lost_txns"]), abs=1)
    assert summary.split_brain_txns is not None and summary.split_brain_txns > 500 * 200
    fenced = run_yaml(unfenced.replace("fencing: false", "fencing: true"))
    assert summarize(fenced).two_writers_s == 0.0
    assert ("primary", "read-only") in states(fenced, "db-1")


def test_a_person_on_call_moves_the_application_only_after_reconfiguring_it() -> None:
    text = doc("self-managed-ec2", ec2("{manager: manual}"), CRASH, engine="postgres")
    record = run_yaml(text + "timings: {app_reconfigure: {fixed: 300s}}\n")
    failover = summarize(record).failover_details[0]
    assert failover.dns_s == pytest.approx(300.0)
    assert failover.detection_s > 60.0  # an alarm, then a person


# -- keys that belong to another type are refused, located ----------------------------------
INSTANCE = (
    "    - {name: db-1, az: us-east-1a, role: primary}\n"
    "    - {name: db-2, az: us-east-1b, role: standby}\n"
)


@pytest.mark.parametrize(
    ("kind", "hosts", "extra", "where", "fragment"),
    [
        (
            "multi-az-instance",
            INSTANCE.replace("role: standby}", "role: standby, promotion_tier: 0}"),
            "",
            "deployment.instances[1].promotion_tier",
            "orders an Aurora failover",
        ),
        (
            "multi-az-instance",
            INSTANCE.replace("role: standby}", "role: standby, apply_writes_per_s: 10}"),
            "",
            "deployment.instances[1].apply_writes_per_s",
            "not this host's",
        ),
        ("multi-az-instance", INSTANCE, "  ha: {manager: patroni}\n", "deployment.ha", "EC2"),
        (
            "multi-az-cluster",
            CLUSTER,
            "  volume_azs: [us-east-1a, us-east-1b, us-east-1c]\n",
            "deployment.volume_azs",
            "Aurora",
        ),
        (
            "multi-az-cluster",
            CLUSTER.replace(
                "db-2, az: us-east-1b, role: reader", "db-2, az: us-east-1b, role: standby"
            ),
            "",
            "deployment.instances[1].role",
            "standbys are readable: role: reader",
        ),
        ("aurora", AURORA, "", "engine", "runs mysql or postgres"),
    ],
)
def test_keys_and_roles_of_other_types_are_refused(
    tmp_path: Path, kind: str, hosts: str, extra: str, where: str, fragment: str
) -> None:
    text = doc(kind, hosts, CRASH, extra=extra)
    if kind == "aurora":
        text = text.replace("engine: mysql", "engine: oracle")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--no-plot", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert where in result.output and fragment in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_compare_keeps_what_each_type_means_and_drops_the_rest() -> None:
    """An Aurora scenario through compare: its tiers stay on Aurora, vanish elsewhere."""
    from rdssim.compare import as_deployment
    from rdssim.scenario import parse_scenario_text

    base = parse_scenario_text(doc("aurora", AURORA, CRASH), file="<t>").variants["base"]
    aurora = as_deployment(base, "aurora").scenario.deployment
    assert [s.promotion_tier for s in aurora.instances] == [1, 2, 1, 1]
    cluster = as_deployment(base, "multi-az-cluster").scenario.deployment
    assert all("promotion_tier" not in s.model_fields_set for s in cluster.instances)
    ec2 = as_deployment(base, "self-managed-ec2").scenario.deployment
    assert len(ec2.instances) == 4  # as many followers as the scenario has


def test_clients_given_an_instance_endpoint_stay_with_that_instance() -> None:
    """On a DB cluster each instance has its own endpoint: clients pointed at the writer's
    instance endpoint do not follow the failover (the cluster endpoint does)."""
    clients = (
        "clients:\n  - {name: app, kind: pool, instances: 10, requests_per_s: 20,"
        " read_timeout: 10s}\n"
    )
    base = doc("multi-az-cluster", CLUSTER, CRASH) + clients
    pinned = base + "actions:\n  - {at: 2m, kind: repoint-clients, target: all, source: db-1}\n"
    follows = summarize(run_yaml(base))
    stays = summarize(run_yaml(pinned))
    assert follows.client_recovered is True
    assert stays.client_recovered is False
