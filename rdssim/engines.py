"""What varies by engine, as data (DESIGN.md principle 4). Source: rds-facts.md, "Read replicas".

Pure data and lookups: both the scenario checks (limits) and the model (what a replica does
when its Multi-AZ source fails over) read it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

Engine = Literal["mysql", "mariadb", "postgres", "oracle", "sqlserver"]
OnSourceFailover = Literal["switch", "restart", "resync"]

# The version assumed when a scenario names none (a current major version of each engine).
DEFAULT_VERSIONS: dict[str, str] = {
    "mysql": "8.0",
    "mariadb": "10.11",
    "postgres": "16",
    "oracle": "19",
    "sqlserver": "2019",
}


@dataclass(frozen=True)
class ReplicaRules:
    """How an engine's RDS read replicas behave, and how many it allows."""

    on_source_failover: OnSourceFailover
    """What an RDS replica does when its Multi-AZ source fails over: ``switch`` to the new
    primary by itself (MySQL, MariaDB), ``restart`` and then follow it (PostgreSQL <= 12), or
    ``resync`` without a restart (PostgreSQL 13+)."""
    max_replicas_per_source: int
    max_chain_depth: int
    """1: replicas of the primary only; 3: a replica of a replica of a replica."""
    source: str
    """Where the row comes from (for docs and error hints)."""


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or (0,)


# Pure lookups with frozen results: cached, as every run of a scenario asks again.
@functools.lru_cache(maxsize=256)
def replica_rules(engine: str, version: str | None = None) -> ReplicaRules:
    """The replica rules of ``engine`` at ``version`` (default: DEFAULT_VERSIONS)."""
    v = _version_tuple(version or DEFAULT_VERSIONS[engine])
    if engine in ("mysql", "mariadb"):
        return ReplicaRules(
            "switch", 15, 3, "RDS:USER_MySQL.Replication.ReadReplicas / USER_MariaDB"
        )
    if engine == "postgres":
        return ReplicaRules(
            "restart" if v[0] <= 12 else "resync",
            15,
            3 if v >= (14, 1) else 1,  # cascading replicas: PostgreSQL 14.1 and later
            "RDS:USER_PostgreSQL.Replication.ReadReplicas",
        )
    if engine == "oracle":
        # assumption: AWS publishes nothing on Oracle replicas and source failover; physical
        # (Data Guard) replication restarting like PostgreSQL <= 12 is the cautious guess.
        return ReplicaRules("restart", 5, 1, "RDS:oracle-read-replicas (failover: assumption)")
    # SQL Server: the docs say 5 in one place and 15 in another; the larger is taken.
    return ReplicaRules("restart", 15, 1, "RDS:SQLServer.ReadReplicas (failover: assumption)")


def topology_problems(
    rules: ReplicaRules, sources: dict[str, str], label: str
) -> list[tuple[str, str | None]]:
    """(message, hint) of what is wrong with a replica -> source map under ``rules``: a
    cycle, a chain deeper than the engine allows, a source with too many replicas.
    ``label`` names the engine ("mysql 8.0"). The scenario checks ask it of the replicas
    and of each re-point in time order; the model asks it again of a re-point at run time,
    when an earlier one refused there left another topology than the checks saw."""
    problems: list[tuple[str, str | None]] = []
    for name in sources:
        chain, current = [name], sources[name]
        while current != "primary" and current not in chain:
            chain.append(current)
            current = sources[current]
        if current != "primary":
            return [*problems, (f"replication cycle: {' -> '.join([*chain, current])}", None)]
        if len(chain) > rules.max_chain_depth:
            depth = (
                "no replicas of replicas"
                if rules.max_chain_depth == 1
                else (f"chains at most {rules.max_chain_depth} deep")
            )
            problems.append(
                (
                    f"{name} is {len(chain)} deep ({' <- '.join(['primary', *reversed(chain)])}); "
                    f"{label} allows {depth}",
                    f"source: {rules.source}",
                )
            )
    for source in ["primary", *sources]:
        count = sum(1 for s in sources.values() if s == source)
        if count > rules.max_replicas_per_source:
            problems.append(
                (
                    f"{count} replicas of {source}; {label} allows "
                    f"{rules.max_replicas_per_source} per source",
                    f"source: {rules.source}",
                )
            )
    return problems


@dataclass(frozen=True)
class RecoveryRules:
    """What bounds an engine's crash recovery (rdssim.recovery), with RDS's defaults."""

    checkpoint_timeout_s: float
    """Most time between two checkpoints."""
    redo_capacity_bytes: float
    """Most log between two checkpoints (the checkpoint distance)."""
    undo: bool
    """Whether the transactions in flight are rolled back before the instance opens."""
    source: str


def _vcpus(instance_class: str) -> int:
    """vCPUs of a class from its size: large and smaller 2, xlarge 4, Nxlarge 4N."""
    size = instance_class.rsplit(".", 1)[-1]
    if size.endswith("xlarge"):
        count = size.removesuffix("xlarge") or "1"
        return 4 * int(count) if count.isdigit() else 4
    return 2


@functools.lru_cache(maxsize=256)
def recovery_rules(
    engine: str, version: str | None = None, instance_class: str = "db.r6g.large"
) -> RecoveryRules:
    """The crash-recovery bounds of ``engine`` at ``version`` on ``instance_class``."""
    v = _version_tuple(version or DEFAULT_VERSIONS[engine])
    if engine == "mysql":
        if v >= (8, 4):
            # RDS enables innodb_dedicated_server on 8.4: redo capacity (vCPUs / 2) GB, at
            # most 16 GB (RDS:Appendix.MySQL.CommonDBATasks.Config.Size.8.4).
            capacity = min(_vcpus(instance_class) / 2, 16) * 10**9
            source = "RDS MySQL 8.4: innodb_redo_log_capacity = vCPUs / 2 GB"
        else:
            # 8.0.30 and later: innodb_redo_log_capacity 100 MiB on RDS (repost.aws
            # question "RDS MySQL 8.0.30 is missing configurable innodb_redo_log_capacity").
            capacity = 100 * 2**20
            source = "RDS MySQL 8.0: innodb_redo_log_capacity 100 MiB"
        # assumption: InnoDB flushes dirty pages within 5 minutes at low load (no timed
        # checkpoint of its own; its page cleaner and adaptive flushing bound the age).
        return RecoveryRules(300.0, capacity, True, source)
    if engine == "mariadb":
        # MariaDB 10.5+ default innodb_log_file_size 96 MiB (one file); RDS's value is an
        # assumption, as is the 5-minute page flushing.
        return RecoveryRules(300.0, 96 * 2**20, True, "MariaDB innodb_log_file_size 96 MiB")
    if engine == "postgres":
        # checkpoint_timeout 5 min (PostgreSQL's default, RDS's too); max_wal_size 2 GB on
        # RDS (assumption: PostgreSQL's own default is 1 GB). No undo: MVCC leaves aborted
        # rows behind instead.
        return RecoveryRules(300.0, 2 * 2**30, False, "PostgreSQL checkpoint_timeout, max_wal_size")
    if engine == "oracle":
        # assumption: four 128 MiB online redo log groups (RDS's default), checkpoints at
        # log switches or every 30 minutes (LOG_CHECKPOINT_TIMEOUT 1800).
        return RecoveryRules(1800.0, 512 * 2**20, True, "Oracle redo log groups (assumption)")
    # SQL Server 2016+ databases use indirect checkpoints with a 60 s target recovery time
    # (Microsoft docs, "Database checkpoints"): bounded by time, not size.
    return RecoveryRules(60.0, math.inf, True, "SQL Server target recovery time 60 s")
