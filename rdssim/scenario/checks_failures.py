"""Cross-reference checks of the ``failures:`` section (random failures over the run)."""

from __future__ import annotations

from rdssim.scenario.failure_rates import expected_count
from rdssim.scenario.schema import FailureSpec, Scenario

Problem = tuple[tuple[str | int, ...], str, str | None]

MAX_DRAWN = 1_000
"""Failures and patches expected over a run. A year at the default rates draws a handful,
a decade of unlucky rates a few hundred; each costs milliseconds, but thousands of
overlapping ones (hosts failing while being rebuilt) make a run take minutes."""
KINDS = ("host", "storage", "engine", "network", "az")


def check_failures(scenario: Scenario) -> list[Problem]:
    """A rate given twice, maintenance where there is no RDS, more failures than a run can
    hold."""
    failures = scenario.failures
    problems: list[Problem] = []
    for kind in KINDS:
        spec: FailureSpec | None = getattr(failures, kind)
        if spec is not None and spec.per_year is not None and spec.mtbf_s is not None:
            problems.append(
                (
                    ("failures", kind),
                    "give per_year or mtbf, not both",
                    "per_year: 0.5 and mtbf: 730.5d are the same rate",
                )
            )
    if failures.maintenance is not None and scenario.deployment.type == "self-managed-ec2":
        problems.append(
            (
                ("failures", "maintenance"),
                "RDS applies maintenance in a weekly window; on self-managed-ec2 you patch the "
                "hosts yourself",
                "model your patching as faults, or drop maintenance",
            )
        )
    if problems:
        return problems
    expected = expected_count(scenario)
    if expected > MAX_DRAWN:
        problems.append(
            (
                ("failures",),
                f"these rates draw about {expected:,.0f} failures over the run; at most "
                f"{MAX_DRAWN:,}",
                "lower the rates or shorten duration",
            )
        )
    return problems
