"""One controller per deployment type, behind :class:`rdssim.model.deployments.base.Deployment`.

* ``db_instance``: an RDS DB instance, Multi-AZ (primary + one synchronous standby) or
  Single-AZ (the same controller: a DB instance that never has a standby, which is how RDS
  itself treats it: no failover target, so recovery in place).

:func:`controller_for` picks the controller of a scenario's ``deployment.type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdssim.model.deployments.base import Deployment
from rdssim.model.deployments.db_instance import DBInstanceController

if TYPE_CHECKING:
    from rdssim.model.context import SimContext
    from rdssim.model.dns import Endpoint
    from rdssim.model.instance import Instance
    from rdssim.model.network import Network
    from rdssim.model.writelog import WriteLog
    from rdssim.scenario.schema import Scenario

CONTROLLERS = {"multi-az-instance": DBInstanceController, "single-az": DBInstanceController}


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
