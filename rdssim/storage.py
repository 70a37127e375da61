"""Storage: how many I/Os a DB instance's volume does, and how fast crash recovery goes.

Crash recovery reads the pages the redo log touches and rolls back what was in flight:
"Database recovery requires I/O" (RDS:CHAP_BestPractices, whose lever is "sufficient
Provisioned IOPS"). So recovery runs at the volume's rate, from its type and size:

* gp3: a baseline of 3,000 IOPS and 125 MiB/s, 12,000 IOPS and 500 MiB/s from 400 GiB (RDS
  stripes larger volumes; MySQL, MariaDB and PostgreSQL; CHAP_Storage), more if provisioned;
* gp2: 3 IOPS per GiB, at least 100 and at most 16,000 (bursts above the baseline are not
  modelled: a long recovery exhausts them);
* io1 / io2: the provisioned IOPS (100 to 64,000 and 256,000).

assumption: applying redo costs one random I/O per ``REDO_BYTES_PER_IO`` of log (8 KiB: a
page read for a few transactions' records), so gp3's baseline replays about 23 MiB/s, the
20 MiB/s rdssim assumed before it modelled storage.
"""

from __future__ import annotations

from typing import Literal

StorageType = Literal["gp2", "gp3", "io1", "io2"]

MIB = 2**20
REDO_BYTES_PER_IO = 8192.0
GP3_STRIPED_GIB = 400.0


def baseline_iops(kind: StorageType, allocated_gib: float) -> float:
    """The IOPS a volume of ``kind`` and size gives when none are provisioned."""
    if kind == "gp2":
        return min(max(3.0 * allocated_gib, 100.0), 16_000.0)
    if kind == "gp3":
        return 12_000.0 if allocated_gib >= GP3_STRIPED_GIB else 3_000.0
    return 1_000.0  # io1 / io2 always name their IOPS (the schema requires it)


def baseline_throughput_mib_s(kind: StorageType, allocated_gib: float) -> float:
    """MiB/s of a volume without provisioned throughput."""
    if kind == "gp3":
        return 500.0 if allocated_gib >= GP3_STRIPED_GIB else 125.0
    if kind == "gp2":
        return 250.0 if allocated_gib > 170.0 else 128.0  # EBS gp2 throughput limits
    return 1_000.0  # io1 / io2: far above what recovery's random I/O reaches


def recovery_bytes_per_s(
    kind: StorageType,
    allocated_gib: float,
    iops: float | None = None,
    throughput_mib_s: float | None = None,
) -> float:
    """Bytes of redo (or undo) per second that crash recovery gets through."""
    ios = baseline_iops(kind, allocated_gib) if iops is None else iops
    ceiling = (
        baseline_throughput_mib_s(kind, allocated_gib)
        if throughput_mib_s is None
        else throughput_mib_s
    )
    return min(ios * REDO_BYTES_PER_IO, ceiling * MIB)
