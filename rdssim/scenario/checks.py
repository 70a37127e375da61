"""Cross-reference checks that a per-field schema cannot express.

Each check returns (key path, message, hint); the loader turns the first into a located
ScenarioError.
"""

from __future__ import annotations

import numpy as np

from rdssim import regions
from rdssim.recovery import settings_for, workload_undo_bytes
from rdssim.regions import az_problem
from rdssim.scenario.checks_actions import check_instance_actions
from rdssim.scenario.checks_clients import check_clients
from rdssim.scenario.checks_deployments import (
    TYPE_ROLES,
    article,
    check_deployment_faults,
    check_deployment_type,
    volume_azs,
)
from rdssim.scenario.checks_failures import check_failures
from rdssim.scenario.checks_replicas import (
    check_actions,
    check_reads,
    check_replicas,
    reboot_problems,
)
from rdssim.scenario.schema import MAX_INSTANCES, ROLE_SELECTORS, Scenario
from rdssim.scenario.wording import not_found
from rdssim.storage import gp3_striped_gib
from rdssim.txn_spread import blocks_for, busy_share

Problem = tuple[tuple[str | int, ...], str, str | None]

_NEEDS_TARGET = (
    "host-crash",
    "storage-failure",
    "network-loss",
    "engine-crash",
    "unresponsive",
    "storage-full",
    "partition",
)
_LASTING = ("network-loss", "az-outage", "unresponsive", "partition")


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every cross-reference problem in ``scenario``, in file order."""
    return [
        *_check_azs(scenario),
        *_check_deployment(scenario),
        *check_deployment_type(scenario),
        *_check_size(scenario),
        *_check_storage(scenario),
        *check_replicas(scenario),
        *_check_workload(scenario),
        *check_reads(scenario),
        *_check_faults(scenario),
        *check_deployment_faults(scenario),
        *check_failures(scenario),
        *check_actions(scenario),
        *check_instance_actions(scenario),
        *check_clients(scenario),
    ]


def _check_deployment(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    instances = scenario.deployment.instances
    seen: set[str] = set()
    for i, spec in enumerate(instances):
        if spec.name in seen:
            problems.append(
                (
                    ("deployment", "instances", i, "name"),
                    f"duplicate instance name {spec.name!r}",
                    None,
                )
            )
        if spec.name in (*ROLE_SELECTORS, "cluster-volume"):
            problems.append(
                (
                    ("deployment", "instances", i, "name"),
                    f"{spec.name!r} is reserved (faults use it to mean 'whoever has that role')",
                    "name instances like db-1, db-2",
                )
            )
        seen.add(spec.name)
    primaries = [s for s in instances if s.role == "primary"]
    standbys = [s for s in instances if s.role == "standby"]
    kind = scenario.deployment.type
    if len(primaries) != 1:
        problems.append(
            (
                ("deployment", "instances"),
                f"{article(kind)} deployment needs exactly one primary, found {len(primaries)}",
                None,
            )
        )
    roles_ok = all(s.role in TYPE_ROLES[kind] for s in instances)
    if kind == "multi-az-instance" and roles_ok:
        if len(standbys) != 1:
            problems.append(
                (
                    ("deployment", "instances"),
                    "a multi-az-instance deployment needs exactly one standby, "
                    f"found {len(standbys)}",
                    "add {name: db-2, az: <another AZ>, role: standby}",
                )
            )
        elif primaries and standbys[0].az == primaries[0].az:
            index = instances.index(standbys[0])
            problems.append(
                (
                    ("deployment", "instances", index, "az"),
                    f"the standby must be in another AZ than the primary ({primaries[0].az})",
                    None,
                )
            )
    return problems


def _check_azs(scenario: Scenario) -> list[Problem]:
    """Every AZ is an AWS Region's (us-east-1a) or declared under ``regions``."""
    problems: list[Problem] = []
    declared: dict[str, str] = {}
    for region, azs in scenario.regions.items():
        for j, az in enumerate(azs):
            if az in declared or regions.region_of(az) is not None:
                why = f"in {declared[az]!r} too" if az in declared else "an AWS Region's AZ"
                problems.append((("regions", region, j), f"{az!r} is {why}", None))
            declared[az] = region
    used: list[tuple[tuple[str | int, ...], str]] = [
        (("deployment", "instances", i, "az"), s.az)
        for i, s in enumerate(scenario.deployment.instances)
    ]
    used += [
        (("deployment", "replicas", i, "az"), r.az)
        for i, r in enumerate(scenario.deployment.replicas)
    ]
    for where, az in used:
        problem = None if az in declared else az_problem(az)
        if problem is not None:
            hint = "a lab's own AZ names go under regions: {my-region: [lab-a, lab-b]}"
            problems.append((where, problem, hint))
    return problems


def _check_size(scenario: Scenario) -> list[Problem]:
    deployment = scenario.deployment
    hosts = len(deployment.instances) + len(deployment.replicas)
    if hosts > MAX_INSTANCES:
        return [
            (
                ("deployment", "replicas"),
                f"{hosts} DB instances in all; at most {MAX_INSTANCES}",
                "RDS's default quota of DB instances per Region (RDS User Guide, CHAP_Limits)",
            )
        ]
    return []


def _check_storage(scenario: Scenario) -> list[Problem]:
    """What RDS lets each storage type provision (CHAP_Storage)."""
    storage = scenario.deployment.storage
    where: tuple[str | int, ...] = ("deployment", "storage")
    problems: list[Problem] = []
    if storage.data_gib is not None and storage.data_gib > storage.allocated_gib:
        problems.append(
            (
                (*where, "data_gib"),
                f"{storage.data_gib:g} GiB of data on a {storage.allocated_gib:g} GiB volume",
                "raise allocated_gib",
            )
        )
    if storage.type in ("io1", "io2"):
        top = 64_000.0 if storage.type == "io1" else 256_000.0
        if storage.iops is None:
            problems.append(
                ((*where, "iops"), f"{storage.type} needs its provisioned iops", "e.g. 12000")
            )
        elif storage.iops > top:
            problems.append(
                ((*where, "iops"), f"{storage.type} provisions at most {top:,.0f} IOPS", None)
            )
        if storage.throughput_mib_per_s is not None:
            problems.append(
                (
                    (*where, "throughput_mib_per_s"),
                    f"{storage.type} provisions IOPS, not throughput",
                    "use gp3 to set a throughput",
                )
            )
    elif storage.type == "gp2":
        for key in ("iops", "throughput_mib_per_s"):
            if getattr(storage, key) is not None:
                problems.append(
                    ((*where, key), f"gp2 provisions no {key}: it scales with size", "use gp3")
                )
    else:
        problems += _gp3_problems(scenario, where)
    return problems


def _gp3_problems(scenario: Scenario, where: tuple[str | int, ...]) -> list[Problem]:
    """gp3 on RDS (CHAP_Storage): provisioning only on a striped volume (from 400 GiB, 200 on
    Oracle; at any size on SQL Server), within the engine's limits."""
    storage, engine = scenario.deployment.storage, scenario.engine
    # SQL Server has one baseline at every size, and provisioning at every size too.
    striped = 20.0 if engine == "sqlserver" else gp3_striped_gib(engine)
    top_iops, top_mib = (16_000.0, 1_000.0) if engine == "sqlserver" else (64_000.0, 4_000.0)
    low_iops = 3_000.0 if engine == "sqlserver" else 12_000.0
    problems: list[Problem] = []
    if storage.allocated_gib < striped:
        for key in ("iops", "throughput_mib_per_s"):
            if getattr(storage, key) is not None:
                problems.append(
                    (
                        (*where, key),
                        f"gp3 below {striped:g} GiB on {engine} has a fixed baseline "
                        "(3,000 IOPS, 125 MiB/s)",
                        f"raise allocated_gib to {striped:g} or use io1/io2",
                    )
                )
        return problems
    if storage.iops is not None and not low_iops <= storage.iops <= top_iops:
        problems.append(
            (
                (*where, "iops"),
                f"gp3 on {engine} provisions {low_iops:,.0f} to {top_iops:,.0f} IOPS",
                None,
            )
        )
    mib = storage.throughput_mib_per_s
    if mib is not None and not 125.0 <= mib <= top_mib:
        problems.append(
            (
                (*where, "throughput_mib_per_s"),
                f"gp3 on {engine} provisions 125 to {top_mib:,.0f} MiB/s",
                None,
            )
        )
    return problems


def _check_workload(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    previous = -1.0
    for i, phase in enumerate(scenario.workload.phases):
        where = ("workload", "phases", i, "start")
        if phase.start_s <= previous:
            problems.append((where, "phase starts must be strictly increasing", None))
        elif phase.start_s >= scenario.duration_s:
            problems.append(
                (
                    where,
                    f"starts at {phase.start_s:g} s, after the end of the run "
                    f"({scenario.duration_s:g} s)",
                    "raise duration or remove the phase",
                )
            )
        previous = phase.start_s
    return problems


def _check_faults(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    replicas = [r.name for r in scenario.deployment.replicas]
    names = [s.name for s in scenario.deployment.instances] + replicas
    azs = sorted(
        {s.az for s in scenario.deployment.instances}
        | {r.az for r in scenario.deployment.replicas}
        | set((volume_azs(scenario) or []) if scenario.deployment.type == "aurora" else [])
    )
    known = ", ".join(names)
    kind = scenario.deployment.type
    roles = TYPE_ROLES[kind]
    for i, fault in enumerate(scenario.faults):
        where: tuple[str | int, ...] = ("faults", i)
        if fault.at_s > scenario.duration_s:
            problems.append(
                (
                    (*where, "at"),
                    f"at {fault.at_s:g} s is after the end of the run ({scenario.duration_s:g} s)",
                    "raise duration or move the fault earlier",
                )
            )
        if fault.kind in _NEEDS_TARGET:
            if fault.target is None:
                problems.append(
                    (
                        (*where, "target"),
                        f"{fault.kind} needs a target",
                        f"known: {known}, {', '.join(roles)}",
                    )
                )
            elif fault.target in ROLE_SELECTORS and fault.target not in roles:
                problems.append(
                    (
                        (*where, "target"),
                        f"{article(kind)} deployment has no {fault.target}",
                        f"target {' / '.join(roles)} or an instance: {known}",
                    )
                )
            elif fault.target not in names and fault.target not in ROLE_SELECTORS:
                problems.append(
                    (
                        (*where, "target"),
                        not_found(
                            f"no instance named {fault.target!r}",
                            fault.target,
                            [*names, *roles],
                            known,
                        ),
                        f"or use {' / '.join(roles)}",
                    )
                )
            if fault.kind == "engine-crash" and fault.target in replicas:
                problems.append(
                    (
                        (*where, "target"),
                        "engine-crash is modelled on the DB instance's hosts, not on a read "
                        "replica",
                        "for a replica, host-crash or network-loss",
                    )
                )
            if fault.kind == "storage-full" and fault.target in replicas:
                problems.append(
                    (
                        (*where, "target"),
                        "storage-full fills the DB instance's volume, not a read replica's",
                        "target primary",
                    )
                )
            if fault.az is not None:
                problems.append(((*where, "az"), f"{fault.kind} takes a target, not an az", None))
        if fault.kind == "az-outage":
            if fault.az is None:
                problems.append(
                    ((*where, "az"), "az-outage needs an az", f"known AZs: {', '.join(azs)}")
                )
            elif fault.az not in azs:
                problems.append(
                    (
                        (*where, "az"),
                        f"no instance in AZ {fault.az!r}; known AZs: {', '.join(azs)}",
                        None,
                    )
                )
            if fault.target is not None:
                problems.append(((*where, "target"), "az-outage takes an az, not a target", None))
        if fault.kind == "reboot-with-failover":
            problems += reboot_problems(scenario, where, fault.target, fault.az, "az")
        if fault.duration_s is not None and fault.kind not in _LASTING:
            problems.append(
                (
                    (*where, "duration"),
                    f"{fault.kind} has no duration; only {', '.join(_LASTING)} do",
                    None,
                )
            )
        if fault.duration_s == 0:
            problems.append(((*where, "duration"), "a duration must be positive", None))
    return problems


def scenario_warnings(scenario: Scenario) -> list[Problem]:
    """What is valid but will not do what its author probably wants: a fault too late for the
    health checks to notice before the run ends, a crash recovery longer than the run."""
    warnings: list[Problem] = []
    t = scenario.timings
    detection_s = t.unhealthy_checks * t.health_check_interval_s + t.health_check_timeout_s
    for i, fault in enumerate(scenario.faults):
        if fault.kind == "reboot-with-failover":
            continue
        left_s = scenario.duration_s - fault.at_s
        if left_s < detection_s:
            warnings.append(
                (
                    ("faults", i, "at"),
                    f"the run ends {left_s:g} s after this fault, before the health checks can "
                    f"notice it (up to {detection_s:g} s): nothing will be repaired",
                    "raise duration or move the fault earlier",
                )
            )
    top_rate = max(phase.writes_per_s for phase in scenario.workload.phases)
    recovery = settings_for(scenario)
    redo = recovery.worst_redo_bytes(top_rate, scenario.workload.bytes_per_txn)
    undo = workload_undo_bytes(scenario.workload, top_rate) if recovery.undo else 0.0
    replay_s = (redo + undo) / recovery.bytes_per_s
    if scenario.faults and replay_s > scenario.duration_s:
        warnings.append(
            (
                ("deployment", "storage"),
                f"crash recovery may replay {(redo + undo) / 2**20:,.0f} MiB of log at "
                f"{recovery.bytes_per_s / 2**20:,.1f} MiB/s: {replay_s:,.0f} s, longer than "
                f"the run ({scenario.duration_s:g} s)",
                "a failover or recovery will not finish in this run",
            )
        )
    warnings += _large_txn_warnings(scenario, top_rate)
    return warnings


def _large_txn_warnings(scenario: Scenario, top_rate: float) -> list[Problem]:
    """A replica that, at the highest write rate, is always behind a large transaction."""
    large = scenario.workload.large_txns
    if large is None:
        return []
    blocks = blocks_for(scenario)
    out: list[Problem] = []
    for i, spec in enumerate(scenario.deployment.replicas):
        block = blocks[spec.name]
        rates = np.array([top_rate])
        busy = float(busy_share(block, large.share * rates, rates, spec.apply_writes_per_s)[0])
        if busy >= 1.0:
            out.append(
                (
                    ("workload", "large_txns"),
                    f"at {top_rate:g} writes/s {spec.name} is always behind a large "
                    f"transaction (each holds its apply back {block:,.1f} s): its lag is "
                    "then the whole block, the model's spread no longer applies",
                    f"fewer or smaller large transactions, or a faster replica "
                    f"(deployment.replicas[{i}].apply_writes_per_s)",
                )
            )
    return out
