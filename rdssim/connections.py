"""``max_connections`` from the instance class, by the engines' RDS default formulas.

Source: Amazon RDS User Guide, "Quotas and constraints", Maximum number of database
connections (CHAP_Limits, RDS_Limits.MaxConnections):

* MySQL:          ``{DBInstanceClassMemory/12582880}``
* MariaDB 10.5+:  ``LEAST({DBInstanceClassMemory/25165760}, 12000)`` (10.4, end of life,
  used MySQL's formula)
* PostgreSQL:     ``LEAST({DBInstanceClassMemory/9531392}, 5000)``
* Oracle:         ``LEAST({DBInstanceClassMemory/9868951}, 20000)``
* SQL Server:     0, i.e. unlimited (the engine's own cap, 32,767)

``DBInstanceClassMemory`` is the class's memory less what the OS and RDS processes keep;
AWS does not publish it. Observed values (db.t2.medium, 4 GiB: 413 on PostgreSQL;
db.r4.large, 15.25 GiB: 1,660) put the reserve between 3% and 8%: we take 5% (assumption).
"""

from __future__ import annotations

GIB = 1024**3

# assumption: share of the nominal memory not counted in DBInstanceClassMemory.
RESERVED_MEMORY_SHARE = 0.05

# Nominal memory of common instance classes, GiB (Amazon RDS instance class tables).
CLASS_MEMORY_GIB: dict[str, float] = {
    "db.t3.micro": 1,
    "db.t3.small": 2,
    "db.t3.medium": 4,
    "db.t3.large": 8,
    "db.t4g.micro": 1,
    "db.t4g.small": 2,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.m5.large": 8,
    "db.m5.xlarge": 16,
    "db.m5.2xlarge": 32,
    "db.m6g.large": 8,
    "db.m6g.xlarge": 16,
    "db.m6g.2xlarge": 32,
    "db.m6i.large": 8,
    "db.m6i.xlarge": 16,
    "db.r5.large": 16,
    "db.r5.xlarge": 32,
    "db.r5.2xlarge": 64,
    "db.r5.4xlarge": 128,
    "db.r5.8xlarge": 256,
    "db.r5.12xlarge": 384,
    "db.r5.16xlarge": 512,
    "db.r5.24xlarge": 768,
    "db.r6g.large": 16,
    "db.r6g.xlarge": 32,
    "db.r6g.2xlarge": 64,
    "db.r6g.4xlarge": 128,
    "db.r6g.8xlarge": 256,
    "db.r6g.12xlarge": 384,
    "db.r6g.16xlarge": 512,
    "db.r6i.large": 16,
    "db.r6i.xlarge": 32,
}

SQLSERVER_MAX_CONNECTIONS = 32767


def class_memory_bytes(instance_class: str) -> float:
    """``DBInstanceClassMemory`` of a known class (KeyError for an unknown one)."""
    return CLASS_MEMORY_GIB[instance_class] * GIB * (1 - RESERVED_MEMORY_SHARE)


def default_max_connections(engine: str, instance_class: str) -> int:
    """The engine's default ``max_connections`` on ``instance_class``."""
    memory = class_memory_bytes(instance_class)
    if engine == "mysql":
        return int(memory // 12582880)
    if engine == "mariadb":
        return int(min(memory // 25165760, 12000))
    if engine == "postgres":
        return int(min(memory // 9531392, 5000))
    if engine == "oracle":
        return int(min(memory // 9868951, 20000))
    return SQLSERVER_MAX_CONNECTIONS
