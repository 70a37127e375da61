"""Cross-reference checks for client groups and RDS Proxy."""

from __future__ import annotations

from rdssim.connections import CLASS_MEMORY_GIB, default_max_connections
from rdssim.scenario.schema import Scenario
from rdssim.scenario.wording import did_you_mean

Problem = tuple[tuple[str | int, ...], str, str | None]

# Sources that write Events and Flows under their own names.
RESERVED_NAMES = {"probe": "the probe client", "proxy": "RDS Proxy"}
# "RDS Proxy isn't available for the following engines: RDS for Db2, RDS for Oracle"
# (RDS:Concepts.RDS_Fea_Regions_DB-eng.Feature.RDSProxy).
PROXY_ENGINES = ("mysql", "mariadb", "postgres", "sqlserver")


def _check_proxy(scenario: Scenario) -> list[Problem]:
    proxy = scenario.proxy
    if not proxy.enabled:
        return []
    problems: list[Problem] = []
    if scenario.engine not in PROXY_ENGINES:
        problems.append(
            (
                ("proxy", "enabled"),
                f"RDS Proxy is not available for {scenario.engine}",
                "RDS Proxy supports " + ", ".join(PROXY_ENGINES),
            )
        )
    deployment = scenario.deployment
    limit = deployment.max_connections
    if limit is None and deployment.instance_class in CLASS_MEMORY_GIB:
        limit = default_max_connections(scenario.engine, deployment.instance_class)
    if limit is not None and limit * proxy.max_percent(scenario.engine) / 100 < 1:
        problems.append(
            (
                ("proxy", "max_connections_percent"),
                f"{proxy.max_percent(scenario.engine):g}% of max_connections {limit} leaves "
                "the proxy no DB connection",
                "raise max_connections_percent",
            )
        )
    idle = proxy.max_idle_connections_percent
    if idle is not None and idle > proxy.max_percent(scenario.engine):
        problems.append(
            (
                ("proxy", "max_idle_connections_percent"),
                f"{idle}% is more than max_connections_percent "
                f"({proxy.max_percent(scenario.engine):g}%)",
                None,
            )
        )
    return problems


def check_clients(scenario: Scenario) -> list[Problem]:
    """Unknown instance classes, duplicate group names, pools too small for their load."""
    problems: list[Problem] = []
    deployment = scenario.deployment
    if deployment.max_connections is None and deployment.instance_class not in CLASS_MEMORY_GIB:
        problems.append(
            (
                ("deployment", "instance_class"),
                f"unknown instance class {deployment.instance_class!r}"
                + did_you_mean(deployment.instance_class, CLASS_MEMORY_GIB, only_one=True),
                "one of " + ", ".join(sorted(CLASS_MEMORY_GIB)) + ", or set max_connections",
            )
        )
    problems += _check_proxy(scenario)
    seen: set[str] = set()
    for i, group in enumerate(scenario.clients):
        if group.name in RESERVED_NAMES:
            problems.append(
                (
                    ("clients", i, "name"),
                    f"the name {group.name!r} is taken by {RESERVED_NAMES[group.name]}",
                    "choose another name",
                )
            )
        elif group.name in seen:
            problems.append(
                (("clients", i, "name"), f"duplicate client group name {group.name!r}", None)
            )
        seen.add(group.name)
        if group.start_s >= scenario.duration_s:
            problems.append((("clients", i, "start"), "starts after the end of the run", None))
        busy = group.requests_per_s * group.txn_duration_s
        if group.kind == "pool" and busy > group.pool.size:
            problems.append(
                (
                    ("clients", i, "requests_per_s"),
                    f"{group.requests_per_s:g} requests/s of {group.txn_duration_s:g} s keep "
                    f"{busy:g} connections busy, more than the pool's {group.pool.size}",
                    "raise pool.size or lower requests_per_s",
                )
            )
        session = group.requests_per_s * (group.connect_s + group.session_hold_s)
        if group.kind == "per-request" and session > 1:
            problems.append(
                (
                    ("clients", i, "requests_per_s"),
                    f"one function cannot run {group.requests_per_s:g} requests/s of "
                    f"{group.connect_s + group.session_hold_s:g} s one after another",
                    "raise instances (concurrent functions) instead",
                )
            )
        if group.pool.min_idle is not None and group.pool.min_idle > group.pool.size:
            problems.append(
                (("clients", i, "pool", "min_idle"), "min_idle is larger than size", None)
            )
        pool = group.pool
        if group.kind == "pool" and pool.validation_timeout_s >= pool.connection_timeout_s:
            problems.append(
                (
                    ("clients", i, "pool", "validation_timeout"),
                    f"validation_timeout ({pool.validation_timeout_s:g} s) must be shorter than "
                    f"connection_timeout ({pool.connection_timeout_s:g} s)",
                    "HikariCP requires validationTimeout < connectionTimeout",
                )
            )
        if group.retry.cap_s < group.retry.base_s:
            problems.append(
                (
                    ("clients", i, "retry", "cap"),
                    f"cap ({group.retry.cap_s:g} s) is less than base ({group.retry.base_s:g} s)",
                    None,
                )
            )
    return problems
