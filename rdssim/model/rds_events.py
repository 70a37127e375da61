"""RDS event ids, their messages, and the failover reasons RDS writes beside them.

Sources: RDS User Guide, USER_Events.Messages (the texts as of its 2023 page), and the table
of failover reasons in Concepts.MultiAZSingleStandby; rds-facts.md, "What the Multi-AZ
instance event log really shows". What each engine emits during a failover is
:func:`failover_events`.
"""

from __future__ import annotations

from dataclasses import dataclass

RDS_EVENTS: dict[str, str] = {
    "0004": "DB instance shutdown.",
    "0005": "DB instance created.",
    "0006": "DB instance restarted.",
    "0013": "Multi-AZ instance failover started.",
    "0015": "Multi-AZ failover to standby complete - DNS propagation may take a few minutes.",
    "0019": "Restored from DB instance to point in time.",
    "0020": (
        "Recovery of the DB instance has started. "
        "Recovery time will vary with the amount of data to be recovered."
    ),
    "0021": "Recovery of the DB instance is complete.",
    "0026": "Applying off-line patches to DB instance.",
    "0027": "Finished applying off-line patches to DB instance.",
    "0031": (
        "DB instance put into failed state. "
        "RDS recommends that you initiate a point-in-time-restore."
    ),
    "0034": (
        "Abandoning user requested failover since a failover recently occurred on the "
        "database instance."
    ),
    "0045": "Replication has stopped.",
    "0046": "Replication for the Read Replica resumed.",
    "0049": "Multi-AZ instance failover completed.",
    "0052": "Multi-AZ instance recovery started.",
    "0053": (
        "Multi-AZ instance recovery completed. "
        "Pending failover or activation actions will be executed."
    ),
    "0057": "Replication streaming has been terminated.",
    # DB cluster events (Aurora and Multi-AZ DB clusters); the instance named goes to the
    # event's detail.
    "0069": "Cluster failover failed, check the health of your cluster instances and try again.",
    "0070": "Promoting previous primary again.",
    "0071": "Completed failover to DB instance.",
    "0072": "Started same AZ failover to DB instance.",
    "0073": "Started cross AZ failover to DB instance.",
    "0221": (
        "The DB instance has reached the storage-full threshold, "
        "and the database has been shut down."
    ),
}

# Why a Multi-AZ instance failed over, as the event log says it (Concepts.MultiAZSingleStandby).
FAILOVER_REASONS: dict[str, str] = {
    "user": "The user requested a failover of the DB instance.",
    "failed": "The primary host of the RDS Multi-AZ instance is unhealthy.",
    "unreachable": (
        "The primary host of the RDS Multi-AZ instance is unreachable due to loss of network "
        "connectivity."
    ),
    "storage-failed": (
        "The storage volume underlying the primary host of the RDS Multi-AZ instance "
        "experienced a failure."
    ),
    "unresponsive": "The RDS Multi-AZ primary instance is busy and unresponsive.",
    "os-patch": (
        "The operating system for the RDS Multi-AZ instance is being patched in an offline "
        "operation."
    ),
    "class-change": "The RDS instance was modified by customer.",
}


# The same reasons for a DB cluster's writer (Aurora, Multi-AZ DB cluster) and for a
# self-managed primary (what the HA manager or the person on call saw).
CLUSTER_FAILOVER_REASONS: dict[str, str] = {
    "user": "The user requested a failover of the DB cluster.",
    "failed": "The writer DB instance's host is unhealthy.",
    "unreachable": "The writer DB instance is unreachable.",
    "storage-failed": "The writer DB instance's storage failed.",
    "unresponsive": "The writer DB instance is busy and unresponsive.",
    "os-patch": "The operating system of the writer DB instance is being patched.",
    "class-change": "The DB cluster was modified by customer.",
}
SELF_MANAGED_FAILOVER_REASONS: dict[str, str] = {
    "user": "A switchover was requested.",
    "failed": "The primary's host is down.",
    "unreachable": "The primary cannot be reached from its peers.",
    "storage-failed": "The primary's storage failed.",
    "unresponsive": "The primary does not answer.",
    "os-patch": "A switchover before patching the primary's host.",
    "class-change": "A switchover before moving the primary to a new instance class.",
}


@dataclass(frozen=True)
class FailoverEvents:
    """What an engine's Multi-AZ instance writes in its event log during a failover.

    Real MySQL and PostgreSQL logs show 0013 and 0049 and no 0015; on SQL Server 0015 came
    seven seconds after 0049 (the knowledge-center article rds-connections-reboot-failover).
    """

    promoted_event: bool
    """Whether 0015 is written (after 0049, by ``sqlserver_promotion_event``)."""


def failover_events(engine: str) -> FailoverEvents:
    # assumption: MariaDB and Oracle log as MySQL and PostgreSQL do (no log published).
    return FailoverEvents(promoted_event=engine == "sqlserver")


def event_id(number: str) -> str:
    """The full id, e.g. ``RDS-EVENT-0013``."""
    if number not in RDS_EVENTS:
        raise KeyError(f"unknown RDS event {number}")
    return f"RDS-EVENT-{number}"
