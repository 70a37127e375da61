"""AWS Regions and Availability Zone names (data, DESIGN.md principle 4).

An AZ name is its Region's code followed by a letter (``us-east-1a``), or, for a Local Zone,
by a location and a number and a letter (``us-west-2-lax-1a``). Where two instances are
decides their link's defaults (same AZ, another AZ, another Region), so a typo in an AZ name
must not silently become a Region of its own.
"""

from __future__ import annotations

import functools
import re

# Source: AWS General Reference, "AWS Regions" (commercial, GovCloud and China Regions).
REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
)

_AZ = re.compile(r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-[0-9])(?P<zone>[a-z]|-[a-z]+-[0-9][a-z])")


@functools.lru_cache(maxsize=1024)  # asked per instance of every run
def region_of(az: str) -> str | None:
    """The Region of an AZ name (us-east-1a, us-west-2-lax-1a -> us-west-2); None if the
    name is not an AZ of a known Region."""
    match = _AZ.fullmatch(az)
    if match is None or match.group("region") not in REGIONS:
        return None
    return match.group("region")


def az_problem(az: str) -> str | None:
    """Why ``az`` is not an AZ name, or None if it is one."""
    match = _AZ.fullmatch(az)
    if match is None:
        return (
            f"{az!r} is not an Availability Zone name: a Region and a letter, such as "
            "us-east-1a (or a Local Zone such as us-west-2-lax-1a)"
        )
    if match.group("region") not in REGIONS:
        close = [r for r in REGIONS if r.split("-")[0] == match.group("region").split("-")[0]]
        known = ", ".join(close) if close else ", ".join(REGIONS)
        return f"no AWS Region {match.group('region')!r} (in {az!r}); known: {known}"
    return None
