"""Crash recovery: how much log an engine replays, and how long it takes (pure math).

An engine checkpoints when ``timeout_s`` has passed since its last checkpoint or when
``capacity_bytes`` of log have been written since (PostgreSQL's checkpoint_timeout and
max_wal_size; InnoDB's redo log capacity), whichever comes first. After a crash it replays
the log written since the last checkpoint (redo), and on engines with undo it rolls back the
transactions that were in flight; both at the storage's recovery rate
(:mod:`rdssim.storage`). So recovery grows with the write rate only until the log between
checkpoints reaches its capacity: from then on it is bounded.

The checkpoints are solved, not simulated: on a stretch of constant write rate r they come
every min(timeout, capacity / r), so a year of them costs per change of rate.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdssim.engines import recovery_rules
from rdssim.fluid import Curve
from rdssim.storage import recovery_bytes_per_s

if TYPE_CHECKING:
    from rdssim.scenario.schema import Scenario, WorkloadSpec


def last_checkpoint_s(
    log: Curve, timeout_s: float, capacity_bytes: float, first_s: float, t_s: float
) -> float:
    """When the last checkpoint at or before ``t_s`` happened; the first one at ``first_s``
    (the run starts out of phase with them), and 0 before it."""
    if first_s > t_s:
        return 0.0
    return _last_from(log, timeout_s, capacity_bytes, first_s, t_s)


def _last_from(log: Curve, timeout_s: float, capacity_bytes: float, c: float, t_s: float) -> float:
    """The last checkpoint at or before ``t_s``, going on from the checkpoint at ``c``."""
    while True:
        level = log.value_at(c)
        by_size = (
            math.inf
            if math.isinf(capacity_bytes)
            else float(log.latest_time_at_or_below(level + capacity_bytes, math.inf))
        )
        following = min(c + timeout_s, by_size)
        if following > t_s:
            return c
        # On a stretch of one write rate they come every min(timeout, capacity / rate):
        # leap over all of those that fall before the stretch (or t_s) ends.
        rate = float(log.slope_at(c))
        end = min(log.next_breakpoint_s(c), t_s)
        period = timeout_s if rate <= 0 else min(timeout_s, capacity_bytes / rate)
        periodic = abs(following - (c + period)) <= 1e-9 * max(1.0, abs(c))
        if periodic and end - following > period:
            c = following + math.floor((end - following) / period) * period
        else:
            c = following


def redo_bytes(
    log: Curve, timeout_s: float, capacity_bytes: float, first_s: float, t_s: float
) -> float:
    """The log written between the last checkpoint before ``t_s`` and ``t_s``."""
    since = last_checkpoint_s(log, timeout_s, capacity_bytes, first_s, t_s)
    return max(0.0, log.value_at(t_s) - log.value_at(since))


class Checkpoints:
    """One engine's checkpoints, remembered as they are found: a look-up goes on from the
    latest checkpoint found at or before its time instead of from the first one, so a long
    run's crashes cost per change of write rate since the last look-up, not per change
    since the start (a checkpoint that happened stays happened: the log before it is
    history).
    """

    def __init__(self, timeout_s: float, capacity_bytes: float, first_s: float) -> None:
        self.timeout_s = timeout_s
        self.capacity_bytes = capacity_bytes
        self.first_s = first_s
        self._found_s: list[float] = []
        """Checkpoints found by earlier look-ups, in increasing order."""

    def last_at_or_before(self, log: Curve, t_s: float) -> float:
        """When the last checkpoint at or before ``t_s`` happened (0 before the first)."""
        if self.first_s > t_s:
            return 0.0
        known = bisect.bisect_right(self._found_s, t_s)
        start_s = self._found_s[known - 1] if known else self.first_s
        found_s = _last_from(log, self.timeout_s, self.capacity_bytes, start_s, t_s)
        if not self._found_s or found_s > self._found_s[-1]:
            self._found_s.append(found_s)
        return found_s

    def redo_bytes(self, log: Curve, t_s: float) -> float:
        """The log written between the last checkpoint before ``t_s`` and ``t_s``."""
        since = self.last_at_or_before(log, t_s)
        return max(0.0, log.value_at(t_s) - log.value_at(since))


def undo_bytes(writes_per_s: float, txn_duration_s: float, bytes_per_txn: float) -> float:
    """What the transactions in flight had written: ``writes_per_s x txn_duration_s`` of
    them, started evenly over the last ``txn_duration_s``, each half way through its
    ``bytes_per_txn`` on average."""
    return writes_per_s * txn_duration_s * bytes_per_txn / 2.0


def workload_undo_bytes(workload: WorkloadSpec, writes_per_s: float) -> float:
    """The undo of a crash at ``writes_per_s``: the ordinary transactions in flight, and the
    workload's large ones ("use smaller transactions", RDS:CHAP_BestPractices)."""
    undo = undo_bytes(writes_per_s, workload.txn_duration_s, workload.bytes_per_txn)
    large = workload.large_txns
    if large is not None:
        undo += undo_bytes(large.share * writes_per_s, large.txn_duration_s, large.bytes_per_txn)
    return undo


@dataclass(frozen=True)
class RecoverySettings:
    """One deployment's crash-recovery bounds and pace."""

    checkpoint_timeout_s: float
    redo_capacity_bytes: float
    undo: bool
    bytes_per_s: float
    """The storage's recovery rate (rdssim.storage)."""

    def worst_redo_bytes(self, writes_per_s: float, bytes_per_txn: float) -> float:
        """The most redo a steady ``writes_per_s`` leaves between two checkpoints."""
        return min(
            self.checkpoint_timeout_s * writes_per_s * bytes_per_txn, self.redo_capacity_bytes
        )


def settings_for(scenario: Scenario, instance_class: str | None = None) -> RecoverySettings:
    """The scenario's parameter group over the engine's RDS defaults, and its storage; on
    ``instance_class`` if given (after a class change), else the scenario's."""
    deployment = scenario.deployment
    rules = recovery_rules(
        scenario.engine, scenario.version, instance_class or deployment.instance_class
    )
    params = deployment.parameters
    storage = deployment.storage
    return RecoverySettings(
        checkpoint_timeout_s=params.checkpoint_timeout_s or rules.checkpoint_timeout_s,
        redo_capacity_bytes=(
            params.redo_capacity_mib * 2**20
            if params.redo_capacity_mib
            else rules.redo_capacity_bytes
        ),
        undo=rules.undo,
        bytes_per_s=recovery_bytes_per_s(
            storage.type,
            storage.allocated_gib,
            storage.iops,
            storage.throughput_mib_per_s,
            scenario.engine,
        ),
    )
