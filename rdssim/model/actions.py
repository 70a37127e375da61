"""Operator and API actions scheduled in a scenario: one process per action, at its time."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from rdssim.model.context import SimContext
from rdssim.model.controller import MultiAZController
from rdssim.model.replicas import ReplicaSet
from rdssim.scenario.schema import ActionSpec

_VERBS = {
    "promote-replica": "PromoteReadReplica {target}",
    "repoint-replica": "re-point {target} to {source}",
    "create-replica": "CreateDBInstanceReadReplica {target}",
    "reboot-with-failover": "RebootDBInstance ForceFailover=true",
}


class ActionRunner:
    """Carries out the scenario's actions on the controller and the replicas."""

    def __init__(
        self,
        ctx: SimContext,
        controller: MultiAZController,
        replicas: ReplicaSet,
        single_az: bool,
    ) -> None:
        self.ctx = ctx
        self.controller = controller
        self.replicas = replicas
        self.single_az = single_az

    def run(self, index: int, action: ActionSpec) -> Generator[simpy.Event, Any, None]:
        """Process: carry out the ``index``-th action at its time."""
        if action.at_s > 0:
            yield self.ctx.env.timeout(action.at_s)
        source = f"action[{index}]"
        self.ctx.emit(
            source,
            "action",
            _VERBS[action.kind].format(target=action.target, source=action.source),
            action=index,
            fault_kind=action.kind,
            target=action.target,
            new_source=action.source,
        )
        if action.kind == "reboot-with-failover":
            self.controller.request_failover(source)
            return
        assert action.target is not None
        if action.kind == "promote-replica":
            self.replicas.promote(action.target, source)
        elif action.kind == "repoint-replica":
            assert action.source is not None
            self.replicas.repoint(action.target, action.source, source)
        else:
            self.replicas.create(action.target, source, self.single_az)
