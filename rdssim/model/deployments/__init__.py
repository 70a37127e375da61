"""One controller per deployment type, behind :class:`rdssim.model.deployments.base.Deployment`.

* ``db_instance``: an RDS DB instance, Multi-AZ (primary + one synchronous standby) or
  Single-AZ (the same controller: a DB instance that never has a standby, which is how RDS
  itself treats it: no failover target, so recovery in place).
* ``readers``: what the types whose failover promotes a follower share; ``cluster`` (a
  Multi-AZ DB cluster), ``aurora`` (an Aurora cluster on its shared volume) and
  ``self_managed`` (the database on EC2, failed over by a person or an HA manager).

:func:`controller_for` picks the controller of a scenario's ``deployment.type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdssim.model.deployments.aurora import AuroraController
from rdssim.model.deployments.base import Deployment
from rdssim.model.deployments.cluster import ClusterController
from rdssim.model.deployments.db_instance import DBInstanceController
from rdssim.model.deployments.self_managed import SelfManagedController

if TYPE_CHECKING:
    from rdssim.model.context import SimContext
    from rdssim.model.dns import Endpoint
    from rdssim.model.instance import Instance
    from rdssim.model.network import Network
    from rdssim.model.writelog import WriteLog
    from rdssim.scenario.schema import Scenario

CONTROLLERS: dict[str, type[DBInstanceController]] = {
    "single-az": DBInstanceController,
    "multi-az-instance": DBInstanceController,
    "multi-az-cluster": ClusterController,
    "aurora": AuroraController,
    "self-managed-ec2": SelfManagedController,
}


def controller_for(
    ctx: SimContext,
    instances: list[Instance],
    network: Network,
    endpoint: Endpoint,
    log: WriteLog,
    scenario: Scenario,
) -> DBInstanceController:
    """The controller of ``scenario.deployment.type``, wired to the run's hosts."""
    return CONTROLLERS[scenario.deployment.type](ctx, instances, network, endpoint, log, scenario)


__all__ = ["CONTROLLERS", "DBInstanceController", "Deployment", "controller_for"]
