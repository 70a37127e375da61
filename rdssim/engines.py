"""What varies by engine, as data (DESIGN.md principle 4). Source: rds-facts.md, "Read replicas".

Pure data and lookups: both the scenario checks (limits) and the model (what a replica does
when its Multi-AZ source fails over) read it.
"""

from __future__ import annotations

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
