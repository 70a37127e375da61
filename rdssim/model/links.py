"""Replication links: latency and bandwidth from where the two ends are (docs/calibration.md).

AWS publishes no figures for replication links; every default here is an assumption, chosen
from typical measurements of EC2 networking: sub-millisecond round trips within an AZ, about
a millisecond between AZs of a Region, tens of milliseconds between Regions, and a
replication stream limited by the instance's network (several Gbps in a Region, a few
hundred Mbps over a long-haul TCP stream between Regions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rdssim.scenario.schema import LinkSpec

Placement = Literal["same-az", "cross-az", "cross-region"]


@dataclass(frozen=True)
class Link:
    """One replication channel: one-way latency (s) and bandwidth (bytes/s)."""

    placement: Placement
    latency_s: float
    bandwidth_bps: float


# assumption (see the module docstring): (latency_s, bandwidth MiB/s) per placement.
DEFAULT_LINKS: dict[Placement, tuple[float, float]] = {
    "same-az": (0.0005, 600.0),
    "cross-az": (0.0015, 600.0),
    "cross-region": (0.070, 40.0),
}


def placement(az_a: str, az_b: str, region_of: Callable[[str], str]) -> Placement:
    if az_a == az_b:
        return "same-az"
    return "cross-az" if region_of(az_a) == region_of(az_b) else "cross-region"


def link_between(
    source_az: str, replica_az: str, spec: LinkSpec, region_of: Callable[[str], str]
) -> Link:
    """The link from ``source_az`` to ``replica_az``; the scenario's values override."""
    where = placement(source_az, replica_az, region_of)
    latency_s, mib_per_s = DEFAULT_LINKS[where]
    if spec.latency_s is not None:
        latency_s = spec.latency_s
    if spec.bandwidth_mib_per_s is not None:
        mib_per_s = spec.bandwidth_mib_per_s
    return Link(where, latency_s, mib_per_s * 2**20)
