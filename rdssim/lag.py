"""Replica lag, backlog and reader staleness, read from a Record alone.

The model records each replica's received and applied log positions as piecewise-linear
series (no per-transaction events); this module rebuilds them as :class:`rdssim.fluid.Curve`
and inverts the primary's committed position to turn bytes behind into seconds behind, at
any instant or on a whole grid of instants.

Two lags, because users meet both:

* **data lag** (``data_lag_s``): how far behind the primary the replica's data is, in
  seconds: t minus the last instant the primary's committed log was at the replica's applied
  position. Defined whenever the replica exists and is still attached to the primary's
  lineage, including while replication is broken (then it grows one second per second as
  long as the primary writes). It is also the *staleness* a read on the replica sees. A DB
  cluster's member has a lag only while it holds a role (reader, writer at 0 lag): while it
  is failed, rebuilt or rebooted between roles it follows and serves nothing.
* **ReplicaLag** (``replica_lag_s``): the CloudWatch metric. On MySQL and MariaDB it is the
  data lag while the replication threads run, and -1 while they do not
  (Seconds_Behind_Master is NULL); Oracle and SQL Server are given MySQL's rule
  (assumption: AWS publishes nothing). PostgreSQL reports now() minus the commit time of
  the last replayed transaction, running or not: on a busy source that is the data lag, on
  an idle one it keeps growing although nothing is missing, until RDS's next WAL switch
  (every 5 minutes) is replayed: "up to five minutes" on an idle source
  (RDS:USER_PostgreSQL.Replication.ReadReplicas). Assumption: the switches fall at multiples
  of 5 minutes from the run's start. After a promotion the replica is no replica: NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rdssim.fluid import Curve
from rdssim.record import COMMITTED, DETACHED, InstanceInfo, Record, applied_series

FloatArray = npt.NDArray[np.float64]

# States in which the replication threads run, so ReplicaLag is measured.
REPLICATING_STATES = ("replicating", "catching-up")
# The role of a deployment's host between roles (failed over from, rebuilt, rebooting).
NO_ROLE = "none"
# States in which a replica answers reads (a stranded or reconnecting replica still serves
# its stale data; a restarting, creating or promoting one does not; "available" is a
# promoted, standalone instance).
SERVING_STATES = ("replicating", "catching-up", "reconnecting", "stranded", "available")
# Engines whose ReplicaLag is -1 while replication is broken.
MINUS_ONE_ENGINES = ("mysql", "mariadb", "oracle", "sqlserver")
# RDS for PostgreSQL switches the WAL segment every 5 minutes (archive_timeout 300 s).
WAL_SWITCH_S = 300.0


def curve(record: Record, series: str) -> Curve:
    """The series as a Curve. A downward jump (a rewind) is flattened to the running maximum:
    lag is measured against the furthest the log ever got."""
    times, values = record.series(series)
    if times.size == 0:
        raise KeyError(f"no series named {series!r} in this record")
    return Curve(times, np.maximum.accumulate(values), 0.0)


def replicas(record: Record) -> list[InstanceInfo]:
    """The read replicas of the run, in scenario order."""
    return [info for info in record.instances if info.is_replica]


def created_s(record: Record, replica: str) -> float | None:
    """When the replica first exists (its first recorded state), or None if it never does."""
    return next((s.time_s for s in record.states if s.instance == replica), None)


def detached_s(record: Record, replica: str) -> float:
    """When the replica left the primary's lineage (promotion), else +inf."""
    return next(
        (e.time_s for e in record.events if e.kind == DETACHED and e.source == replica),
        float("inf"),
    )


def states_at(record: Record, instance: str, times_s: FloatArray) -> npt.NDArray[np.str_]:
    """The instance's state at each time ("" before its first state)."""
    return _held_at(record, instance, times_s, "state")


def roles_at(record: Record, instance: str, times_s: FloatArray) -> npt.NDArray[np.str_]:
    """The instance's role at each time ("" before its first state)."""
    return _held_at(record, instance, times_s, "role")


def _held_at(
    record: Record, instance: str, times_s: FloatArray, field: str
) -> npt.NDArray[np.str_]:
    changes = [s for s in record.states if s.instance == instance]
    starts = np.array([s.time_s for s in changes], dtype=np.float64)
    labels = np.array([""] + [getattr(s, field) for s in changes])
    # side="right": a change at t holds at t (right-continuous, like the curves).
    return labels[np.searchsorted(starts, times_s, side="right")]


def data_lag_s(record: Record, replica: str, times_s: FloatArray) -> FloatArray:
    """Seconds the replica's applied data is behind the primary; NaN where undefined."""
    t = np.asarray(times_s, dtype=np.float64)
    source = curve(record, COMMITTED)
    applied = curve(record, applied_series(replica))
    lag = t - source.latest_time_at_or_below(applied.value_at(t), t)
    start = created_s(record, replica)
    alive = (t >= (np.inf if start is None else start)) & (t < detached_s(record, replica))
    # A DB cluster's member between roles (failed, being rebuilt or rebooted) follows
    # nobody and serves nothing: it has no lag then, rather than the age of its old data.
    alive &= roles_at(record, replica, t) != NO_ROLE
    return np.where(alive & np.isfinite(lag), np.maximum(lag, 0.0), np.nan)


def replica_lag_s(record: Record, replica: str, times_s: FloatArray) -> FloatArray:
    """CloudWatch ReplicaLag at each time: see the module docstring."""
    t = np.asarray(times_s, dtype=np.float64)
    lag = data_lag_s(record, replica, t)
    if str(record.meta.get("engine")) in MINUS_ONE_ENGINES:
        running = np.isin(states_at(record, replica, t), REPLICATING_STATES)
        return np.where(running | np.isnan(lag), lag, -1.0)
    # PostgreSQL: the last replayed commit, or the last replayed WAL switch if later.
    source = curve(record, COMMITTED)
    applied = curve(record, applied_series(replica)).value_at(t)
    committed_s = source.earliest_time_at_or_above(applied)
    replayed_up_to_s = t - lag  # the primary's time the replica's data corresponds to
    switch_s = np.floor(replayed_up_to_s / WAL_SWITCH_S) * WAL_SWITCH_S
    reported = t - np.maximum(committed_s, switch_s)
    return np.where(np.isnan(lag), np.nan, np.maximum(reported, lag))


def backlog_bytes(record: Record, replica: str, times_s: FloatArray) -> FloatArray:
    """Bytes of the primary's log the replica has not applied (NaN where lag is undefined)."""
    t = np.asarray(times_s, dtype=np.float64)
    source = curve(record, COMMITTED)
    applied = curve(record, applied_series(replica))
    behind = np.maximum(source.value_at(t) - applied.value_at(t), 0.0)
    return np.where(np.isnan(data_lag_s(record, replica, t)), np.nan, behind)


def corner_times(record: Record) -> FloatArray:
    """Every instant at which a series of the run has a breakpoint, with its start and end:
    between two of them every position is linear in time (cost per state change)."""
    corners = np.array([b.time_s for b in record.breakpoints], dtype=np.float64)
    return np.union1d(np.array([0.0, record.duration_s]), corners)


def sample_times(record: Record, step_s: float = 0.05) -> FloatArray:
    """A grid over the run (every ``step_s``) merged with every breakpoint time.

    Lag is piecewise linear between the curves' breakpoints and their images, so its maximum
    on this grid is within ``step_s`` seconds of the true one.
    """
    grid = np.arange(0.0, record.duration_s, step_s)
    corners = np.array([b.time_s for b in record.breakpoints], dtype=np.float64)
    return np.union1d(np.append(grid, record.duration_s), corners)
