"""Storage: how many I/Os a DB instance's volume does, and how fast crash recovery goes.

Crash recovery reads the pages the redo log touches and rolls back what was in flight:
"Database recovery requires I/O" (RDS:CHAP_BestPractices, whose lever is "sufficient
Provisioned IOPS"). So recovery runs at the volume's rate, from its type and size:

* gp3: a baseline of 3,000 IOPS and 125 MiB/s, 12,000 IOPS and 500 MiB/s from 400 GiB on
  MySQL, MariaDB and PostgreSQL and from 200 GiB on Oracle (RDS stripes larger volumes), and
  3,000 / 125 at every size on SQL Server (CHAP_Storage); more if provisioned;
* gp2: 3 IOPS per GiB, at least 100 and at most 16,000 (bursts above the baseline are not
  modelled: a long recovery exhausts them);
* io1 / io2: the provisioned IOPS (100 to 64,000 and 256,000).

assumption: applying redo costs one random I/O per ``REDO_BYTES_PER_IO`` of log (8 KiB: a
page read for a few transactions' records), so gp3's baseline replays about 23 MiB/s, the
20 MiB/s rdssim assumed before it modelled storage.
"""

from __future__ import annotations

import math
from typing import Literal

StorageType = Literal["gp2", "gp3", "io1", "io2"]

MIB = 2**20
REDO_BYTES_PER_IO = 8192.0


def gp3_striped_gib(engine: str) -> float:
    """From what size RDS stripes a gp3 volume (its higher baseline, and provisioning
    allowed); infinite on SQL Server, which has one baseline at every size."""
    return {"oracle": 200.0, "sqlserver": math.inf}.get(engine, 400.0)


def baseline_iops(kind: StorageType, allocated_gib: float, engine: str = "mysql") -> float:
    """The IOPS a volume of ``kind`` and size gives when none are provisioned."""
    if kind == "gp2":
        return min(max(3.0 * allocated_gib, 100.0), 16_000.0)
    if kind == "gp3":
        return 12_000.0 if allocated_gib >= gp3_striped_gib(engine) else 3_000.0
    return 1_000.0  # io1 / io2 always name their IOPS (the checks require it)


def baseline_throughput_mib_s(
    kind: StorageType, allocated_gib: float, engine: str = "mysql"
) -> float:
    """MiB/s of a volume without provisioned throughput."""
    if kind == "gp3":
        return 500.0 if allocated_gib >= gp3_striped_gib(engine) else 125.0
    if kind == "gp2":
        return 250.0 if allocated_gib > 170.0 else 128.0  # EBS gp2 throughput limits
    return 1_000.0  # io1 / io2: far above what recovery's random I/O reaches


def recovery_bytes_per_s(
    kind: StorageType,
    allocated_gib: float,
    iops: float | None = None,
    throughput_mib_s: float | None = None,
    engine: str = "mysql",
) -> float:
    """Bytes of redo (or undo) per second that crash recovery gets through."""
    ios = baseline_iops(kind, allocated_gib, engine) if iops is None else iops
    ceiling = (
        baseline_throughput_mib_s(kind, allocated_gib, engine)
        if throughput_mib_s is None
        else throughput_mib_s
    )
    return min(ios * REDO_BYTES_PER_IO, ceiling * MIB)
