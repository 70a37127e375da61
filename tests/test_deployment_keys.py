"""What each deployment type's keys and endpoints mean: keys of another type refused where
they would be ignored, compare keeping each type's own keys, instance endpoints that stay
with their instance. (The failover traces are tests/test_trace_cluster.py,
test_trace_aurora.py and test_trace_self_managed.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_yaml
from typer.testing import CliRunner

from rdssim.cli import app
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
