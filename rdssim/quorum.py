"""Aurora's cluster volume and its quorums (pure math, for the Aurora deployment type that
issue #14 adds; nothing in the model uses it yet).

Aurora keeps six copies of every segment of the cluster volume, two in each of three AZs.
A write needs 4 of the 6 copies, a read 3 of the 6 (AWS blog "Amazon Aurora under the hood:
quorum sets", rds-facts.md "Aurora"). So losing an AZ (2 copies) keeps the volume
writable; an AZ and one more copy (3) keeps it readable but not writable; more is
unavailable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

COPIES_PER_AZ = 2
AZS = 3
COPIES = COPIES_PER_AZ * AZS
WRITE_QUORUM = 4
READ_QUORUM = 3

VolumeState = Literal["writable", "readable", "unavailable"]


def copies_left(azs: Iterable[str], dark: Iterable[str], lost: Mapping[str, int]) -> int:
    """Copies that answer: two in each of ``azs`` that is not ``dark``, less the copies
    ``lost`` in it (a failed storage node; at most its two)."""
    gone = set(dark)
    total = 0
    for az in azs:
        if az in gone:
            continue
        total += COPIES_PER_AZ - min(max(lost.get(az, 0), 0), COPIES_PER_AZ)
    return total


def volume_state(copies: int) -> VolumeState:
    """What the cluster can do with ``copies`` of 6 answering."""
    if copies >= WRITE_QUORUM:
        return "writable"
    if copies >= READ_QUORUM:
        return "readable"
    return "unavailable"
