"""A DB host: where it lives, what role it plays, what state it is in."""

from __future__ import annotations

from rdssim.model.context import SimContext
from rdssim.model.network import Network
from rdssim.record import StateChange

ABSENT = "absent"
"""The operational state of an instance not created yet."""
COMMITS_WAITING = "commits-waiting"
"""A writer whose commits wait for an acknowledgement (no semi-synchronous reader left) or
for a write quorum (Aurora's volume): connections stay open, inserts hang."""
STALLED = ("io-suspended", COMMITS_WAITING)
"""Operational states of a writer that keeps its connections but answers no write."""
REPLICATING = "replicating"
"""A reader or a self-managed standby following the writer's log."""


class Instance:
    """One DB host of a deployment.

    Health flags (``host_up``, ``storage_ok``, ``net_ok``, ``responsive`` and the AZ's
    state) are set by faults; the operational state (available, promoting, rebooting,
    creating, recovering, restarting, storage-full, patching, ...) is set by the deployment's
    controller. The state shown in the Record is the impairment if there is one, else the
    operational state.
    """

    def __init__(self, ctx: SimContext, network: Network, name: str, az: str, role: str) -> None:
        self.ctx = ctx
        self.network = network
        self.name = name
        self.az = az
        self.role = role
        self.op_state = "available"
        self.host_up = True
        self.storage_ok = True
        self.net_ok = True
        self.responsive = True
        """False while the engine is busy and does not answer (its host is fine)."""
        self.partitioned = False
        """Cut off from its peers (the other hosts, the HA manager) but not from clients:
        only self-managed deployments have nobody who fences it."""
        self.hosts_replaced = 0
        """How many times a new host took this instance's place (its connections died)."""
        self._shown: tuple[str, str] | None = None

    @property
    def reachable(self) -> bool:
        """Whether packets reach the host (its own network and its AZ)."""
        return self.net_ok and self.az not in self.network.dark

    @property
    def impairment(self) -> str | None:
        # Asked at every state change by every listener: ``reachable`` is spelled out here.
        if not self.host_up:
            return "failed"
        if not (self.net_ok and self.az not in self.network.dark):
            return "unreachable"
        if not self.storage_ok:
            return "storage-failed"
        if not self.responsive:
            return "unresponsive"
        return None

    @property
    def state(self) -> str:
        return self.impairment or self.op_state

    @property
    def healthy(self) -> bool:
        """Up, reachable, with working storage (whatever its operational state)."""
        return self.impairment is None

    @property
    def accepting_writes(self) -> bool:
        return self.role == "primary" and self.state == "available"

    @property
    def in_sync_standby(self) -> bool:
        return self.role == "standby" and self.state == "available"

    def set(self, *, role: str | None = None, op_state: str | None = None) -> None:
        """Change role and/or operational state, and record it."""
        if role is not None:
            self.role = role
        if op_state is not None:
            self.op_state = op_state
        self.sync()

    def replace_host(self) -> None:
        """A new host in the same AZ takes this one's place: healthy again."""
        self.host_up = self.storage_ok = self.net_ok = self.responsive = True
        self.hosts_replaced += 1

    @property
    def answers(self) -> bool:
        """Whether the engine answers on its open connections (its I/O may be suspended)."""
        return self.host_up and self.reachable and self.storage_ok and self.responsive

    def sync(self) -> None:
        """Record the (role, state) pair if it changed, and tell the listeners (nothing is
        recorded of an instance that does not exist yet: a restore's, a replica's)."""
        if self.record_shown():
            self.ctx.topology_changed()

    def record_shown(self) -> bool:
        """Record the (role, state) pair if it changed; whether it did (``sync`` without
        telling the listeners: for several instances set up at once)."""
        if self.op_state == ABSENT:
            return False
        state = self.state
        shown = (self.role, state)
        if shown == self._shown:
            return False
        self._shown = shown
        self.ctx.record.add(StateChange(self.ctx.now, self.name, self.role, state))
        return True
