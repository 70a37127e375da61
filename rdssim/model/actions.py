"""Operator and API actions scheduled in a scenario: one process per action, at its time."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import simpy

from rdssim.model.context import SimContext
from rdssim.model.deployments.base import MODIFYING, PATCHING, Deployment
from rdssim.model.dns import Endpoint
from rdssim.model.instance import ABSENT
from rdssim.model.replicas import ReplicaSet
from rdssim.scenario.schema import ActionSpec, Scenario

if TYPE_CHECKING:
    from rdssim.model.proxy import Proxy

_VERBS = {
    "promote-replica": "PromoteReadReplica {target}",
    "repoint-replica": "re-point {target} to {source}",
    "create-replica": "CreateDBInstanceReadReplica {target}",
    "reboot-with-failover": "RebootDBInstance ForceFailover=true",
    "apply-os-patch": "ApplyPendingMaintenanceAction system-update",
    "modify-instance-class": "ModifyDBInstance DBInstanceClass={instance_class}",
    "restore-to-point-in-time": "RestoreDBInstanceToPointInTime {target} -> {new_instance}",
    "repoint-clients": "re-point {target} to the endpoint of {source}",
    "increase-storage": "ModifyDBInstance AllocatedStorage",
}
# A DB cluster's forced failover is its own API call; on EC2 there is no API, only what the
# HA manager or a person does.
_CLUSTER_VERBS = {"reboot-with-failover": "FailoverDBCluster"}
_EC2_VERBS = {
    "promote-replica": "promote {target} by hand (it stops replicating)",
    "create-replica": "build replica {target} by hand from a backup",
    "reboot-with-failover": "switchover by hand to a standby",
}
_PATRONI_VERBS = {"reboot-with-failover": "patronictl switchover to a standby"}


def call_text(kind: str, scenario: Scenario) -> str:
    """What the user calls for ``kind`` on this deployment (a format string)."""
    deployment = scenario.deployment
    if deployment.type in ("multi-az-cluster", "aurora"):
        return _CLUSTER_VERBS.get(kind, _VERBS[kind])
    if deployment.type == "self-managed-ec2":
        if deployment.ha.manager == "patroni" and kind in _PATRONI_VERBS:
            return _PATRONI_VERBS[kind]
        return _EC2_VERBS.get(kind, _VERBS[kind])
    return _VERBS[kind]


class Client(Protocol):
    """A client group's cohort or the probe: what re-pointing it needs."""

    @property
    def name(self) -> str: ...

    def follow(self, endpoint: Endpoint) -> None: ...


class ActionRunner:
    """Carries out the scenario's actions on the controller, the replicas and the clients."""

    def __init__(
        self,
        ctx: SimContext,
        controller: Deployment,
        replicas: ReplicaSet,
        single_az: bool,
    ) -> None:
        self.ctx = ctx
        self.controller = controller
        self.replicas = replicas
        self.single_az = single_az
        self.clients: list[Client] = []
        self.proxy: Proxy | None = None
        self.new_endpoints: dict[str, Endpoint] = {}
        """The endpoints of the DB instances that restores create, by instance name."""

    def run(
        self, index: int, action: ActionSpec, source: str | None = None
    ) -> Generator[simpy.Event, Any, None]:
        """Process: carry out the ``index``-th action (``source``: what drew it, for
        random maintenance) at its time."""
        if action.at_s > 0:
            yield self.ctx.env.timeout(action.at_s)
        source = source or f"action[{index}]"
        new_instance = action.new_instance or f"{action.target}-restored"
        self.ctx.emit(
            source,
            "action",
            call_text(action.kind, self.ctx.scenario).format(
                target=action.target,
                source=action.source,
                instance_class=action.instance_class,
                new_instance=new_instance,
            ),
            action=index,
            fault_kind=action.kind,
            target=action.target,
            new_source=action.source,
        )
        controller = self.controller
        if action.kind == "reboot-with-failover":
            controller.request_failover(source)
        elif action.kind == "apply-os-patch":
            controller.maintain(PATCHING, source)
        elif action.kind == "modify-instance-class":
            controller.maintain(MODIFYING, source, action.instance_class)
        elif action.kind == "increase-storage":
            controller.increase_storage(source)
        elif action.kind == "restore-to-point-in-time":
            assert action.target is not None
            target = controller.instance(action.target)
            new = controller.instance(new_instance)
            controller.restore(target, new, self.new_endpoints[new_instance], source)
        elif action.kind == "repoint-clients":
            self._repoint_clients(action, source)
        else:
            assert action.target is not None
            if action.kind == "promote-replica":
                self.replicas.promote(action.target, source)
            elif action.kind == "repoint-replica":
                assert action.source is not None
                self.replicas.repoint(action.target, action.source, source)
            else:
                self.replicas.create(action.target, source, self.single_az)

    def _repoint_clients(self, action: ActionSpec, source: str) -> None:
        """The application is reconfigured: its groups (``all``, one group, ``probe``) or
        RDS Proxy's target group (``proxy``) now use the instance ``action.source``."""
        assert action.target is not None and action.source is not None
        if self.controller.instance(action.source).op_state == ABSENT:
            # Its restore was rejected (or never ran): there is no endpoint to give out.
            self.ctx.emit(source, "action-rejected", f"{action.source} does not exist")
            return
        endpoint = self.new_endpoints.get(action.source) or self.controller.endpoint
        if action.target == "proxy":
            if self.proxy is None:
                self.ctx.emit(source, "action-rejected", "there is no RDS Proxy")
                return
            self.proxy.register(self.controller.instance(action.source))
        else:
            for client in self.clients:
                if action.target in ("all", client.name):
                    client.follow(endpoint)
        self.ctx.topology_changed()  # whoever waits on the old address looks again
