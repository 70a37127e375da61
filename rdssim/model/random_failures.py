"""Random failures over long horizons: the ``failures:`` section drawn into faults and
maintenance actions before the run starts.

Each component fails as a Poisson process of its own rate: the number of failures over the
run is Poisson(rate x duration) and their instants are uniform over it (the same process as
exponential gaps, drawn in two calls). Every component draws from its own named stream
(``failures:host:db-1``, ``failures:az:us-east-1a``, ``failures:storage:us-east-1b#2``), so a
variant, or another deployment type in ``compare``, that has the same component meets the
same failures at the same instants (common random numbers), and adding a component never
moves another's draws.

Failures strike whatever the component is doing (a host that is already down can be struck
again; the model ignores what cannot happen). With failure rates far below repair rates, as
here, that differs from an alternating up/down process only in the second order of
rate x repair time.

Defaults (docs/calibration.md, "Random failures"): every rate is an assumption, except the
storage one: EBS gp2/gp3 volumes have an annual failure rate of 0.1-0.2% (EBS volume types
page); 0.2% is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rdssim.distributions import Distribution
from rdssim.rng import Streams
from rdssim.scenario.failure_rates import (
    DEFAULT_DURATION,
    DEFAULT_PER_YEAR,
    FAULT_OF,
    WEEK_S,
    components,
)
from rdssim.scenario.schema import ActionSpec, FailureSpec, FaultSpec, LastingFailureSpec, Scenario


@dataclass(frozen=True)
class Drawn:
    """The faults and maintenance actions the failures section drew for one seed, each
    with the source its events name (``failures.host``)."""

    faults: list[tuple[str, FaultSpec]]
    actions: list[tuple[str, ActionSpec]]


def draw(scenario: Scenario, streams: Streams) -> Drawn:
    """Draw the section's failures for the seed behind ``streams``, in time order."""
    failures = scenario.failures
    end_s = scenario.duration_s
    faults: list[tuple[float, str, FaultSpec]] = []
    for kind, fault_kind in FAULT_OF.items():
        spec: FailureSpec | None = getattr(failures, kind)
        if spec is None:
            continue
        rate = spec.rate_per_s(DEFAULT_PER_YEAR[kind])
        duration: Distribution | None = None
        if isinstance(spec, LastingFailureSpec):
            duration = spec.duration or DEFAULT_DURATION[kind]
        for key, where in components(scenario, kind):
            rng = streams.get(f"failures:{kind}:{key}")
            times = np.sort(rng.uniform(0.0, end_s, rng.poisson(rate * end_s)))
            for at_s in times:
                lasts_s = max(duration.sample(rng), 1e-3) if duration is not None else None
                # Valid by construction (targets, AZs and instants are the scenario's own).
                fault = FaultSpec.model_construct(
                    at_s=float(at_s),
                    kind=fault_kind,
                    target=where.get("target"),
                    az=where.get("az"),
                    duration_s=lasts_s,
                )
                faults.append((float(at_s), f"failures.{kind}", fault))
    faults.sort(key=lambda item: item[0])
    actions: list[tuple[str, ActionSpec]] = []
    if failures.maintenance is not None:
        for at_s in _patch_windows(scenario, streams):
            action = ActionSpec.model_construct(
                at_s=at_s,
                kind="apply-os-patch",
                target=None,
                source=None,
                instance_class=None,
                new_instance=None,
            )
            actions.append(("failures.maintenance", action))
    return Drawn([(source, fault) for _, source, fault in faults], actions)


def _patch_windows(scenario: Scenario, streams: Streams) -> list[float]:
    """The weekly windows at which a patch that fell due since the last one is applied."""
    spec = scenario.failures.maintenance
    assert spec is not None
    end_s = scenario.duration_s
    rng = streams.get("failures:maintenance")
    due = np.sort(rng.uniform(0.0, end_s, rng.poisson(end_s / spec.every_s)))
    offset = spec.window_offset_s()
    windows = offset + np.ceil((due - offset) / WEEK_S) * WEEK_S
    return [float(w) for w in np.unique(windows) if w < end_s]
