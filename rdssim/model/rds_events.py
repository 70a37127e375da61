"""RDS event ids and their messages (source: RDS User Guide, USER_Events.Messages)."""

from __future__ import annotations

RDS_EVENTS: dict[str, str] = {
    "0004": "DB instance shutdown.",
    "0006": "DB instance restarted.",
    "0013": "Multi-AZ instance failover started.",
    "0015": (
        "Multi-AZ instance failover to standby complete - DNS propagation may take a few minutes."
    ),
    "0020": (
        "Recovery of the DB instance has started. "
        "Recovery time will vary with the amount of data to be recovered."
    ),
    "0021": "Recovery of the DB instance is complete.",
    "0034": (
        "Amazon RDS is not attempting a requested failover "
        "because a failover recently occurred on the DB instance."
    ),
    "0049": "Multi-AZ instance failover completed.",
    "0052": "Multi-AZ instance recovery started.",
    "0053": (
        "Multi-AZ instance recovery completed. "
        "Pending failover or activation actions will be executed."
    ),
    "0019": "Restored from DB instance to point in time.",
    "0045": "An error has occurred in the read replication process.",
    "0046": "The read replica has resumed replication.",
    "0057": "Replication on the read replica was terminated.",
}


def event_id(number: str) -> str:
    """The full id, e.g. ``RDS-EVENT-0013``."""
    if number not in RDS_EVENTS:
        raise KeyError(f"unknown RDS event {number}")
    return f"RDS-EVENT-{number}"
