"""What the ``failures:`` section strikes, at which default rates (docs/calibration.md,
"Random failures"), and how many failures it draws on average: what the checks and the
drawing (rdssim.model.random_failures) share."""

from __future__ import annotations

from rdssim.distributions import Distribution, LogNormal
from rdssim.scenario.checks_deployments import volume_azs
from rdssim.scenario.fields import DAY
from rdssim.scenario.schema import FailureSpec, Scenario

DEFAULT_PER_YEAR = {
    "host": 0.05,  # assumption: one host failure in 20 instance-years
    "storage": 0.002,  # EBS gp2/gp3 annual failure rate, upper end of 0.1-0.2%
    "engine": 0.1,  # assumption: an engine crash in 10 instance-years
    "network": 0.2,  # assumption: a host cut off from the network every 5 years
    "az": 0.05,  # assumption: an AZ-wide outage in 20 AZ-years
}
DEFAULT_DURATION: dict[str, Distribution] = {
    "network": LogNormal(120.0, 1.0),  # assumption: minutes, sometimes longer
    "az": LogNormal(3600.0, 0.8),  # assumption: an hour, from tens of minutes to hours
}
WEEK_S = 7 * DAY
COPIES_PER_AZ = 2  # Aurora's cluster volume: two copies in each of three AZs

FAULT_OF = {
    "host": "host-crash",
    "storage": "storage-failure",
    "engine": "engine-crash",
    "network": "network-loss",
    "az": "az-outage",
}


def components(scenario: Scenario, kind: str) -> list[tuple[str, dict[str, str]]]:
    """(stream key, what the fault targets) of every component a failure kind strikes."""
    deployment = scenario.deployment
    hosts = [s.name for s in deployment.instances]
    replicas = [r.name for r in deployment.replicas]
    if kind == "engine":
        return [(name, {"target": name}) for name in hosts]
    if kind == "storage" and deployment.type == "aurora":
        return [
            (f"{az}#{k + 1}", {"az": az})
            for az in volume_azs(scenario) or []
            for k in range(COPIES_PER_AZ)
        ]
    if kind in ("host", "storage", "network"):
        return [(name, {"target": name}) for name in (*hosts, *replicas)]
    if kind == "az":
        azs = [s.az for s in deployment.instances] + [r.az for r in deployment.replicas]
        return [(az, {"az": az}) for az in dict.fromkeys(azs)]
    raise ValueError(kind)


def expected_count(scenario: Scenario) -> float:
    """The mean number of failures and patches the section draws over the run."""
    failures = scenario.failures
    total = 0.0
    for kind in FAULT_OF:
        spec: FailureSpec | None = getattr(failures, kind)
        if spec is not None:
            rate = spec.rate_per_s(DEFAULT_PER_YEAR[kind])
            total += rate * scenario.duration_s * len(components(scenario, kind))
    if failures.maintenance is not None:
        total += scenario.duration_s / max(failures.maintenance.every_s, WEEK_S)
    return total
