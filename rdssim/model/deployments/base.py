"""The one small interface every deployment type's controller offers the rest of the model.

A controller is what the AWS control plane (or, self-managed, the HA manager or the person
on call) does for one deployment: it watches its hosts, and on a trigger it detects,
chooses a target, promotes, moves the endpoint and repairs. The faults, the actions, the
read replicas, the clients and the proxy reach the deployment only through this Protocol,
so a new type (Multi-AZ DB cluster, Aurora, self-managed on EC2) is a new module under
``rdssim.model.deployments`` that implements it, with what varies by engine as data.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from rdssim.model.dns import Endpoint
from rdssim.model.instance import Instance

Proc = Generator[simpy.Event, Any, Any]

# The planned work ``maintain`` does, as the Record shows it (operational states of a host).
PATCHING = "patching"
MODIFYING = "modifying"


class Deployment(Protocol):
    """What a deployment type's controller does, as the model calls it."""

    endpoint: Endpoint
    """The endpoint the application connects to (the writer's: instance or cluster)."""
    class_listeners: list[Callable[[str], None]]
    """Called with the new instance class once the writer runs on it."""

    # -- who is what --------------------------------------------------------------------
    def with_role(self, role: str) -> Instance | None:
        """The host that holds ``role`` ("primary", "standby") now, if any."""
        ...

    def instance(self, name: str) -> Instance:
        """The host named ``name``."""
        ...

    def detection_due_s(self, unhealthy_since_s: float) -> float:
        """When the control plane's health checks declare a host unhealthy since then."""
        ...

    # -- the process that detects and repairs -------------------------------------------
    def monitor(self) -> Proc:
        """Process: react to unhealthy hosts once they are detected (fail over, recover in
        place, rebuild, or put the deployment in the failed state)."""
        ...

    # -- triggers that are calls, not host impairments ----------------------------------
    def request_failover(self, source: str) -> None:
        """A user-requested failover (RebootDBInstance ForceFailover, FailoverDBCluster)."""
        ...

    def engine_crash(self, inst: Instance, source: str) -> None:
        """The engine process on ``inst`` died; its host is fine."""
        ...

    def storage_full(self, source: str) -> None:
        """The deployment's volume filled up."""
        ...

    def increase_storage(self, source: str) -> None:
        """ModifyDBInstance AllocatedStorage."""
        ...

    def maintain(self, work: str, source: str, instance_class: str | None = None) -> None:
        """Planned work: OS patching, or a move to ``instance_class``."""
        ...

    def restore(self, target: Instance, new: Instance, endpoint: Endpoint, source: str) -> None:
        """A point-in-time restore of ``target`` into the new instance ``new``."""
        ...

    def lose_copy(self, az: str, source: str) -> None:
        """A copy of a cluster volume's segments in ``az`` is lost (Aurora)."""
        ...
