"""Put one scenario through several deployment types: the same workload, clients and
failures, on the same seeds (common random numbers), one row per (deployment, seed).

The scenario's faults are mapped onto each topology by what they name: ``primary`` and an
AZ mean the same thing everywhere (the primary's host, the primary's AZ); a fault on the
standby, or on a host that a type does not have, or an outage of an AZ where it has no
host, is dropped for that type, and so is a reboot with failover on a type that has no
failover to force. Each mapped scenario passes
the same cross-checks as a file would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rdssim.scenario.checks import check_scenario
from rdssim.scenario.checks_actions import RDS_API_ONLY
from rdssim.scenario.checks_deployments import AURORA_KEYS, FOLLOWER_KEYS
from rdssim.scenario.load import ScenarioSet
from rdssim.scenario.schema import (
    DEPLOYMENT_TYPES,
    DeploymentSpec,
    FaultSpec,
    InstanceSpec,
    Scenario,
)

SUPPORTED = DEPLOYMENT_TYPES
METRIC_LABELS = {
    "failover_s": "failover time (s)",
    "writer_unavailable_s": "writer unavailable (s)",
    "client_downtime_s": "client-observed downtime (s)",
    "rpo_txns": "committed txns lost (RPO)",
    "degraded_s": "degraded, no standby (s)",
}
COMPARE_METRICS = tuple(METRIC_LABELS)


class CompareError(ValueError):
    """A deployment list or a mapping that cannot be compared (the message says why)."""


@dataclass(frozen=True)
class Mapped:
    """One deployment's scenario, and what of the original it had to leave out."""

    scenario: Scenario
    dropped: tuple[str, ...]


def parse_deployments(text: str) -> list[str]:
    """``single-az,multi-az-instance`` -> the list, checked."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise CompareError("--deployments: name at least one deployment type")
    for name in names:
        if name not in SUPPORTED:
            raise CompareError(
                f"--deployments: unknown deployment type {name!r}; known: {', '.join(SUPPORTED)}"
            )
    if len(set(names)) != len(names):
        raise CompareError("--deployments: a deployment type is named twice")
    return names


def _other_az(primary_az: str, taken: set[str]) -> str:
    """An AZ of the primary's Region, another than the primary's (a standby's place)."""
    stem = primary_az[:-1]
    for letter in "abcdef":
        if stem + letter not in taken:
            return stem + letter
    raise CompareError(f"no free AZ next to {primary_az} for a standby")


# The hosts each type gets besides the primary: (role, how many). A Multi-AZ DB cluster has
# two readers; Aurora and self-managed get as many followers as the scenario has, at least
# one (the standby's place), the smallest that can fail over.
FOLLOWERS = {
    "single-az": ("standby", 0),
    "multi-az-instance": ("standby", 1),
    "multi-az-cluster": ("reader", 2),
    "aurora": ("reader", 1),
    "self-managed-ec2": ("standby", 1),
}


def _as_host(spec: InstanceSpec, role: str, kind: str) -> InstanceSpec:
    """``spec`` with ``role``, keeping only the keys that mean something on ``kind`` (a
    promotion tier on Aurora, a link and apply rate on another type's follower)."""
    keep = {"name", "az"}
    if kind == "aurora":
        keep |= set(AURORA_KEYS)
    elif role != "primary" and kind in ("multi-az-cluster", "self-managed-ec2"):
        keep |= set(FOLLOWER_KEYS)
    data = spec.model_dump(by_alias=True, exclude_unset=True, include=keep)
    return InstanceSpec.model_validate({**data, "role": role})


def _retyped(deployment: DeploymentSpec, kind: str, hosts: list[InstanceSpec]) -> DeploymentSpec:
    """The deployment as ``kind`` on ``hosts``; ``ha`` and ``volume_azs`` only where they
    mean something."""
    data = deployment.model_dump(by_alias=True, exclude_unset=True, exclude={"instances"})
    if kind != "self-managed-ec2":
        data.pop("ha", None)
    if kind != "aurora":
        data.pop("volume_azs", None)
    instances = [h.model_dump(by_alias=True, exclude_unset=True) for h in hosts]
    return DeploymentSpec.model_validate({**data, "type": kind, "instances": instances})


def _hosts(scenario: Scenario, kind: str) -> list[InstanceSpec]:
    """The primary, then the type's followers: the scenario's standby or readers first (in
    their AZs), then new hosts in the Region's next free AZs."""
    deployment = scenario.deployment
    primary = next(s for s in deployment.instances if s.role == "primary")
    role, count = FOLLOWERS[kind]
    others = [s for s in deployment.instances if s.role != "primary"]
    if kind in ("aurora", "self-managed-ec2") and others:
        count = min(len(others), 15)  # as many followers as the scenario has
    existing = others[:count]
    hosts = [_as_host(primary, "primary", kind)] + [_as_host(s, role, kind) for s in existing]
    used = (
        {primary.name}
        | {s.name for s in deployment.instances}
        | {r.name for r in deployment.replicas}
    )
    while len(hosts) < count + 1:
        taken = {h.az for h in hosts}
        name = next(f"db-{i}" for i in range(2, 100) if f"db-{i}" not in used)
        used.add(name)
        hosts.append(
            InstanceSpec.model_validate(
                {"name": name, "az": _other_az(primary.az, taken), "role": role}
            )
        )
    return hosts


def as_deployment(scenario: Scenario, kind: str) -> Mapped:
    """``scenario`` on deployment type ``kind``."""
    deployment = scenario.deployment
    instances = _hosts(scenario, kind)
    follower = instances[1].name if len(instances) > 1 else None
    hosts = {s.name for s in instances} | {r.name for r in deployment.replicas}
    azs = {s.az for s in instances} | {r.az for r in deployment.replicas}
    faults: list[FaultSpec] = []
    dropped: list[str] = []
    for i, fault in enumerate(scenario.faults):
        if fault.target in ("standby", "reader") and follower is not None:
            fault = fault.model_copy(update={"target": follower})
        gone = (fault.target in ("standby", "reader")) or (
            fault.target not in (None, "primary") and fault.target not in hosts
        )
        forced = fault.kind == "reboot-with-failover" and kind == "single-az"
        elsewhere = fault.kind == "az-outage" and fault.az not in azs
        volume = fault.kind == "volume-copy-loss" and kind != "aurora"
        if gone or forced or elsewhere or volume:
            what = (
                fault.target
                if gone
                else (
                    "failover to force"
                    if forced
                    else ("cluster volume" if volume else f"host in {fault.az}")
                )
            )
            dropped.append(f"faults[{i}] ({fault.kind}): {kind} has no {what}")
            continue
        if fault.kind == "partition" and kind != "self-managed-ec2":
            # RDS's control plane fences a writer it cannot reach: for clients and peers
            # alike the host is gone.
            fault = fault.model_copy(update={"kind": "network-loss"})
            dropped.append(
                f"faults[{i}] (partition): on {kind} RDS fences the host: a network-loss"
            )
        faults.append(fault)
    actions = []
    for i, action in enumerate(scenario.actions):
        if action.kind == "reboot-with-failover" and kind == "single-az":
            dropped.append(f"actions[{i}] ({action.kind}): {kind} has no failover to force")
            continue
        if action.kind in RDS_API_ONLY and kind == "self-managed-ec2":
            dropped.append(f"actions[{i}] ({action.kind}): {kind} has no RDS API")
            continue
        actions.append(action)
    failures = scenario.failures
    if kind == "self-managed-ec2" and failures.maintenance is not None:
        failures = failures.model_copy(update={"maintenance": None})
        dropped.append("failures.maintenance: nobody patches EC2 hosts in an RDS window")
    proxy = scenario.proxy
    if kind == "self-managed-ec2" and proxy.enabled:
        proxy = proxy.model_copy(update={"enabled": False})
        dropped.append("proxy: RDS Proxy does not front a database on EC2")
    mapped = scenario.model_copy(
        update={
            "deployment": _retyped(deployment, kind, instances),
            "faults": faults,
            "actions": actions,
            "failures": failures,
            "proxy": proxy,
            "variant": kind,
        }
    )
    problems = check_scenario(mapped)
    if problems:
        where, message, _ = problems[0]
        key = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where).lstrip(".")
        raise CompareError(f"on {kind}: {key}: {message}")
    return Mapped(mapped, tuple(dropped))


def comparison_set(
    scenarios: ScenarioSet, kinds: Sequence[str]
) -> tuple[ScenarioSet, dict[str, tuple[str, ...]]]:
    """A ScenarioSet with one variant per deployment type, and what each dropped."""
    if scenarios.has_variants:
        raise CompareError(
            f"it has variants ({', '.join(scenarios.variants)}); compare puts "
            "one scenario through the deployments: remove its variants or copy one out"
        )
    base = scenarios.variants["base"]
    mapped = {kind: as_deployment(base, kind) for kind in kinds}
    return (
        ScenarioSet(
            path=scenarios.path,
            name=scenarios.name,
            description=scenarios.description,
            variants={kind: m.scenario for kind, m in mapped.items()},
        ),
        {kind: m.dropped for kind, m in mapped.items()},
    )


def instance_count(scenario: Scenario) -> int:
    """The DB instances the deployment runs (what you pay for): hosts and read replicas."""
    return len(scenario.deployment.instances) + len(scenario.deployment.replicas)


def compare_stats(
    table: pd.DataFrame, kinds: Sequence[str]
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per deployment, per metric: median and p95 over the seeds (None: never measured)."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for kind in kinds:
        rows = table[table["variant"] == kind]
        out[kind] = {}
        for metric in COMPARE_METRICS:
            values = rows[metric].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            out[kind][metric] = {
                "median": float(np.median(values)) if values.size else None,
                "p95": float(np.percentile(values, 95)) if values.size else None,
            }
    return out
