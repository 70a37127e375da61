"""Fault injection: each scenario fault is one process acting on the model at its time."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from rdssim.model.actions import call_text
from rdssim.model.context import SimContext
from rdssim.model.deployments.base import Deployment
from rdssim.model.instance import ABSENT, Instance
from rdssim.model.network import Network
from rdssim.scenario.schema import ROLE_SELECTORS, FaultSpec


class FaultInjector:
    """Applies the scenario's faults (and API actions) to instances and AZs."""

    def __init__(
        self,
        ctx: SimContext,
        instances: list[Instance],
        network: Network,
        controller: Deployment,
    ) -> None:
        self.ctx = ctx
        self.instances = instances
        self.network = network
        self.controller = controller
        # Network losses under way per instance: overlapping ones end with the last.
        self._losses: dict[str, int] = {}

    def _target(self, name: str) -> Instance | None:
        if name in ROLE_SELECTORS:
            return self.controller.with_role(name)
        return next(i for i in self.instances if i.name == name)

    def run(
        self, index: int, fault: FaultSpec, source: str | None = None
    ) -> Generator[simpy.Event, Any, None]:
        """Process: inject ``fault`` (the ``index``-th of the scenario; ``source``: what
        drew it, for random failures) at its time."""
        env = self.ctx.env
        if fault.at_s > 0:
            yield env.timeout(fault.at_s)
        source = source or f"fault[{index}]"
        if fault.kind == "reboot-with-failover":
            self.ctx.emit(
                source,
                "action",
                call_text(fault.kind, self.ctx.scenario),
                fault=index,
                fault_kind=fault.kind,
            )
            self.controller.request_failover(source)
            return
        if fault.kind == "az-outage":
            assert fault.az is not None
            self.ctx.emit(
                source,
                "fault",
                f"AZ {fault.az} goes dark",
                fault=index,
                fault_kind=fault.kind,
                az=fault.az,
            )
            self._set_az(fault.az, dark=True)
            if fault.duration_s is not None:
                yield env.timeout(fault.duration_s)
                self.ctx.emit(
                    source,
                    "fault-end",
                    f"AZ {fault.az} is back",
                    fault=index,
                    fault_kind=fault.kind,
                    az=fault.az,
                )
                self._set_az(fault.az, dark=False)
            return
        if fault.kind == "volume-copy-loss":
            assert fault.az is not None
            self.ctx.emit(
                source,
                "fault",
                f"a copy of the volume in {fault.az} is lost",
                fault=index,
                fault_kind=fault.kind,
                az=fault.az,
            )
            self.controller.lose_copy(fault.az, source)
            return
        assert fault.target is not None
        inst = self._target(fault.target)
        if inst is None or inst.op_state == ABSENT:
            self.ctx.emit(
                source,
                "fault-skipped",
                f"no instance has role {fault.target} now"
                if inst is None
                else f"{inst.name} does not exist yet",
                fault=index,
                fault_kind=fault.kind,
            )
            return
        self.ctx.emit(
            source,
            "fault",
            f"{fault.kind} on {inst.name}",
            fault=index,
            fault_kind=fault.kind,
            target=inst.name,
        )
        if fault.kind == "engine-crash":
            self.controller.engine_crash(inst, source)
            return
        if fault.kind == "storage-full":
            self.controller.storage_full(source)
            return
        if fault.kind == "partition":
            yield from self._partition(index, source, inst, fault.duration_s)
            return
        if fault.kind == "host-crash":
            inst.host_up = False
        elif fault.kind == "storage-failure":
            inst.storage_ok = False
        elif fault.kind == "unresponsive":
            inst.responsive = False
        else:
            inst.net_ok = False
            self._losses[inst.name] = self._losses.get(inst.name, 0) + 1
        inst.sync()
        if fault.kind in ("network-loss", "unresponsive") and fault.duration_s is not None:
            yield env.timeout(fault.duration_s)
            if fault.kind == "unresponsive" and inst.responsive:
                return  # rebooted or replaced meanwhile: it answers already
            what = "network" if fault.kind == "network-loss" else "engine"
            self.ctx.emit(
                source,
                "fault-end",
                f"{what} of {inst.name} restored",
                fault=index,
                fault_kind=fault.kind,
                target=inst.name,
            )
            if fault.kind == "unresponsive":
                inst.responsive = True
            else:
                self._losses[inst.name] -= 1
                if self._losses[inst.name] == 0:
                    inst.net_ok = True
            inst.sync()

    def _partition(
        self, index: int, source: str, inst: Instance, duration_s: float | None
    ) -> Generator[simpy.Event, Any, None]:
        """Cut ``inst`` off from its peers (replication, the HA manager), not from clients."""
        inst.partitioned = True
        self.ctx.topology_changed()
        if duration_s is None:
            return
        yield self.ctx.env.timeout(duration_s)
        self.ctx.emit(
            source,
            "fault-end",
            f"{inst.name} reaches its peers again",
            fault=index,
            fault_kind="partition",
            target=inst.name,
        )
        inst.partitioned = False
        self.ctx.topology_changed()

    def _set_az(self, az: str, *, dark: bool) -> None:
        self.network.set_dark(az, dark)
        for inst in self.instances:
            if inst.az == az:
                inst.sync()
        # Wake the watchers even if no shown state changed (a crashed host stays "failed"):
        # repairs waiting for the AZ to come back must see it.
        self.ctx.changed.fire()
