"""What each deployment type's keys and endpoints mean: keys of another type refused where
they would be ignored, compare keeping each type's own keys, instance endpoints that stay
with their instance. (The failover traces are tests/test_trace_cluster.py,
test_trace_aurora.py and test_trace_self_managed.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_refused, run_yaml

from rdssim.metrics import summarize


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
    "    - {name: db-3, az: us-east-1c, role: reader}\n"
)
AURORA = (
    "    - {name: db-1, az: us-east-1a, role: primary}\n"
    "    - {name: db-2, az: us-east-1b, role: reader, promotion_tier: 2}\n"
    "    - {name: db-3, az: us-east-1c, role: reader, promotion_tier: 1,"
    " instance_class: db.r6g.large}\n"
    "    - {name: db-4, az: us-east-1b, role: reader, promotion_tier: 1,"
    " instance_class: db.r6g.2xlarge}\n"
)
CRASH = "  - {at: 5m, kind: host-crash, target: primary}\n"


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
    output = run_refused(tmp_path, text)
    assert where in output and fragment in output


EC2 = (
    "    - {name: db-1, az: us-east-1a, role: primary}\n"
    "    - {name: db-2, az: us-east-1b, role: standby}\n"
)
EC2_ALONE = "    - {name: db-1, az: us-east-1a, role: primary}\n"
PATRONI = "  ha: {manager: patroni}\n"


@pytest.mark.parametrize(
    ("kind", "engine", "hosts", "extra", "faults", "where", "fragment"),
    [
        # A role selector the type has no host for.
        (
            "self-managed-ec2",
            "mysql",
            EC2,
            "",
            "  - {at: 5m, kind: partition, target: reader, duration: 1m}\n",
            "faults[0].target",
            "a self-managed-ec2 deployment has no reader",
        ),
        (
            "multi-az-cluster",
            "mysql",
            CLUSTER,
            "",
            "  - {at: 5m, kind: host-crash, target: standby}\n",
            "faults[0].target",
            "target primary / reader",
        ),
        # A reader on a DB instance: the role is the problem, not the count of standbys.
        (
            "multi-az-instance",
            "mysql",
            INSTANCE.replace("role: standby", "role: reader"),
            "",
            CRASH,
            "deployment.instances[1].role",
            "read replicas go under replicas:",
        ),
        # Patroni manages PostgreSQL, with its own timer rule and bounds.
        ("self-managed-ec2", "mysql", EC2, PATRONI, CRASH, "deployment.ha.manager", "PostgreSQL"),
        (
            "self-managed-ec2",
            "postgres",
            EC2,
            "  ha: {manager: patroni, ttl: 25s, loop_wait: 10s, retry_timeout: 10s}\n",
            CRASH,
            "deployment.ha.ttl",
            "10 + 2 x 10 > 25 s",
        ),
        (
            "self-managed-ec2",
            "postgres",
            EC2,
            "  ha: {manager: patroni, retry_timeout: 1s}\n",
            CRASH,
            "deployment.ha.retry_timeout",
            "at least 3 s",
        ),
        # The manager's knobs mean nothing to a person on call.
        (
            "self-managed-ec2",
            "postgres",
            EC2,
            "  ha: {manager: manual, maximum_lag_on_failover: 1000}\n",
            CRASH,
            "deployment.ha.maximum_lag_on_failover",
            "manager: manual",
        ),
        # Semi-sync and Patroni need someone to replicate to.
        (
            "self-managed-ec2",
            "postgres",
            EC2_ALONE,
            "  ha: {replication: semi-sync}\n",
            CRASH,
            "deployment.instances",
            "need a standby",
        ),
        ("self-managed-ec2", "postgres", EC2_ALONE, PATRONI, CRASH, "deployment", "need a standby"),
        # RDS API calls do not exist on EC2.
        (
            "self-managed-ec2",
            "postgres",
            EC2,
            "actions:\n  - {at: 5m, kind: apply-os-patch}\n",
            "",
            "actions[0].kind",
            "RDS API call",
        ),
        # A cluster spans AZs of one Region.
        (
            "multi-az-cluster",
            "mysql",
            CLUSTER.replace("db-3, az: us-east-1c", "db-3, az: us-west-2c"),
            "",
            CRASH,
            "deployment.instances[2].az",
            "all in one Region",
        ),
        (
            "aurora",
            "mysql",
            AURORA,
            "  volume_azs: [us-east-1a, us-east-1b, us-west-2c]\n",
            CRASH,
            "deployment.volume_azs[2]",
            "not in the cluster's Region",
        ),
        (
            "aurora",
            "mysql",
            AURORA.replace("instance_class: db.r6g.large", "instance_class: db.r6g.huge"),
            "",
            CRASH,
            "deployment.instances[2].instance_class",
            "unknown instance class",
        ),
        # One article, the right hint.
        (
            "aurora",
            "oracle",
            AURORA,
            "",
            CRASH,
            "engine",
            "an aurora deployment runs mysql or postgres",
        ),
        (
            "multi-az-cluster",
            "oracle",
            CLUSTER,
            "",
            CRASH,
            "engine",
            "Multi-AZ DB clusters run RDS for MySQL and RDS for PostgreSQL",
        ),
    ],
)
def test_what_a_type_cannot_do_is_refused(
    tmp_path: Path,
    kind: str,
    engine: str,
    hosts: str,
    extra: str,
    faults: str,
    where: str,
    fragment: str,
) -> None:
    text = doc(kind, hosts, faults or "  []\n", engine=engine, extra=extra)
    if extra.startswith("actions:"):
        text = doc(kind, hosts, "  []\n", engine=engine) + extra
    output = run_refused(tmp_path, text)
    assert where in output and fragment in output, output


def test_a_forced_failover_is_named_as_each_type_calls_it(tmp_path: Path) -> None:
    """RebootDBInstance on a DB instance, FailoverDBCluster on a cluster, a switchover by
    Patroni or by hand on EC2; no RDS event on EC2."""
    force = "  - {at: 5m, kind: reboot-with-failover}\n"
    cases = [
        (doc("multi-az-instance", INSTANCE, force), "RebootDBInstance ForceFailover=true"),
        (doc("multi-az-cluster", CLUSTER, force), "FailoverDBCluster"),
        (doc("aurora", AURORA, force), "FailoverDBCluster"),
        (doc("self-managed-ec2", EC2, force, engine="postgres", extra=PATRONI), "patronictl"),
        (doc("self-managed-ec2", EC2, force), "switchover by hand"),
    ]
    for text, call in cases:
        record = run_yaml(text)
        (action,) = [e for e in record.events if e.kind == "action"]
        assert action.message.startswith(call), action.message
        assert [e for e in record.events if e.kind == "failover-started"]
        if "self-managed-ec2" in text:
            assert all(e.rds_event is None for e in record.events)


def test_compare_keeps_what_each_type_means_and_drops_the_rest() -> None:
    """An Aurora scenario through compare: its tiers stay on Aurora, vanish elsewhere."""
    from rdssim.comparison import as_deployment
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
