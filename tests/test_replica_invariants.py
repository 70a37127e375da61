"""Property tests: random workloads, replica topologies, faults and actions must never break the
read replicas' invariants.

Hypothesis draws an engine (and so its rule for a source failover and its chain limit), RDS or
self-managed replication, a Single-AZ or Multi-AZ source, one to four replicas (chained within
the engine's limit, in the source's AZs, another AZ or another Region, with random apply
capacities), a workload of phases with random rates (0 and spikes included), faults on the
primary, the standby, the replicas and whole AZs, and promote / repoint / create actions.
On the Record, at every breakpoint and on a fine grid in between (left limits included):

* each replica has received no more than the primary ever committed, and applied no more than
  it received; a chained replica, while it follows its first source, has received no more
  than that source applied;
* every recorded position is non-decreasing, but for one exception: a replica rebuilt from a
  snapshot after losing its volume loses its relay log with it, so its received position may
  drop at the end of the rebuild (never below what it applied);
* a replica's role is only ever "replica" or, once promoted, "standalone"; its states are
  the documented ones; never do two instances accept writes;
* the data lag is >= 0 where defined, and finite from the replica's creation until a
  promotion detaches it;
* self-managed replicas never carry an RDS event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest
from conftest import MULTI_AZ, SINGLE_AZ, run_yaml, scenario, writer_intervals
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rdssim.engines import replica_rules
from rdssim.lag import created_s, data_lag_s, detached_s, replicas
from rdssim.record import COMMITTED, Breakpoint, Record, applied_series, received_series
from rdssim.scenario import ScenarioError

FloatArray = npt.NDArray[np.float64]

DURATION_S = 5400
EVENTS_BEFORE_S = 3600  # faults and actions land in the first hour
ENGINES = [("mysql", "8.0"), ("mariadb", "10.11"), ("postgres", "16.4"), ("postgres", "12.19")]
REPLICA_AZS = ("us-east-1a", "us-east-1b", "us-east-1c", "us-west-2a")
REPLICA_STATES = {
    "replicating",
    "catching-up",
    "reconnecting",
    "restarting",
    "stranded",
    "creating",
    "promoting",
    "available",
    "recovering",
    "failed",
    "unreachable",
    "storage-failed",
}
# Bounded repairs keep the interesting interactions inside the run.
TIMINGS = """\
timings:
  replica_create: {uniform: [2m, 20m]}
  replica_promotion: {uniform: [30s, 5m]}
  host_replacement: {uniform: [2m, 10m]}
  standby_rebuild: {uniform: [5m, 15m]}
  pitr_restore: {uniform: [10m, 30m]}
"""
REL_TOL = 1e-9  # positions reach ~1e11 bytes: float rounding, far below a byte
ABS_TOL = 1e-3


@dataclass(frozen=True)
class Case:
    """One random scenario and its seed."""

    engine: str
    version: str
    multi_az: bool
    self_managed: bool
    replicas: tuple[str, ...]
    phases: tuple[tuple[int, float], ...]
    faults: tuple[str, ...]
    actions: tuple[str, ...]
    seed: int

    def yaml(self) -> str:
        text = (
            f"name: random-replicas\nengine: {self.engine}\n"
            f'engine_version: "{self.version}"\nduration: {DURATION_S}s\n'
        )
        text += MULTI_AZ if self.multi_az else SINGLE_AZ
        text += "  replicas:\n" + "".join(f"    - {r}\n" for r in self.replicas)
        if self.self_managed:
            text += "  replication: self-managed\n"
        text += "workload:\n  phases:\n" + "".join(
            f"    - {{start: {start}s, writes_per_s: {rate}}}\n" for start, rate in self.phases
        )
        text += "probe: {interval: 10s}\n" + TIMINGS
        if self.faults:
            text += "faults:\n" + "".join(f"  - {f}\n" for f in self.faults)
        if self.actions:
            text += "actions:\n" + "".join(f"  - {a}\n" for a in self.actions)
        return text


RATES = st.one_of(
    st.sampled_from([0.0, 0.0, 50.0, 500.0, 1000.0, 3000.0, 8000.0]),
    st.floats(min_value=0.0, max_value=6000.0, allow_nan=False).map(lambda x: round(x, 3)),
)
CAPACITIES = st.one_of(
    st.sampled_from([100.0, 600.0, 1200.0, 2500.0, 5000.0, 20000.0]),
    st.floats(min_value=10.0, max_value=20000.0, allow_nan=False).map(lambda x: round(x, 3)),
)
# Anywhere in the first hour, or crowded into a few minutes where faults and actions land
# inside each other's detection, failover, repair and retry windows.
AT = st.one_of(
    st.integers(min_value=0, max_value=EVENTS_BEFORE_S), st.integers(min_value=300, max_value=480)
)
LASTING = st.integers(min_value=1, max_value=1800)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    engine, version = draw(st.sampled_from(ENGINES))
    max_depth = replica_rules(engine, version).max_chain_depth
    multi_az = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=4))
    names = [f"r{i + 1}" for i in range(count)]
    depth: dict[str, int] = {}
    specs = []
    for name in names:
        allowed = ["primary"] + [n for n in depth if depth[n] < max_depth]
        source = draw(st.sampled_from(allowed))
        depth[name] = 1 if source == "primary" else depth[source] + 1
        az = draw(st.sampled_from(REPLICA_AZS))
        capacity = draw(CAPACITIES)
        specs.append(
            f"{{name: {name}, az: {az}, source: {source}, apply_writes_per_s: {capacity}}}"
        )
    starts = draw(st.lists(st.integers(1, 1500), min_size=0, max_size=4))
    times = np.cumsum([0, *starts]).tolist()
    phases = tuple((int(t), draw(RATES)) for t in times)

    hosts = ["db-1", "db-2", "primary", "standby"] if multi_az else ["db-1", "primary"]
    targets = st.sampled_from(hosts + names)
    azs = sorted({"us-east-1a", "us-east-1b"} if multi_az else {"us-east-1a"})
    azs = sorted(set(azs) | {spec.split("az: ")[1].split(",")[0] for spec in specs})
    fault = st.one_of(
        st.builds("{{at: {}s, kind: host-crash, target: {}}}".format, AT, targets),
        st.builds("{{at: {}s, kind: storage-failure, target: {}}}".format, AT, targets),
        st.builds(
            "{{at: {}s, kind: network-loss, target: {}, duration: {}s}}".format,
            AT,
            targets,
            LASTING,
        ),
        st.builds(
            "{{at: {}s, kind: az-outage, az: {}, duration: {}s}}".format,
            AT,
            st.sampled_from(azs),
            LASTING,
        ),
        *([st.builds("{{at: {}s, kind: reboot-with-failover}}".format, AT)] if multi_az else []),
    )
    faults = tuple(draw(st.lists(fault, max_size=4)))

    replica = st.sampled_from(names)
    action = st.one_of(
        st.builds("{{at: {}s, kind: promote-replica, target: {}}}".format, AT, replica),
        st.builds(
            "{{at: {}s, kind: repoint-replica, target: {}, source: {}}}".format,
            AT,
            replica,
            st.sampled_from(["primary", *names]),
        ),
    )
    actions = draw(st.lists(action, max_size=3))
    created = draw(st.lists(replica, max_size=2, unique=True))
    actions += [f"{{at: {draw(AT)}s, kind: create-replica, target: {name}}}" for name in created]
    return Case(
        engine=engine,
        version=version,
        multi_az=multi_az,
        self_managed=draw(st.booleans()),
        replicas=tuple(specs),
        phases=phases,
        faults=faults,
        actions=tuple(actions),
        seed=draw(st.integers(min_value=0, max_value=2**32 - 1)),
    )


# -- the checks -----------------------------------------------------------------------------
def instants(record: Record) -> FloatArray:
    """Every breakpoint time merged with a 2-second grid: every recorded series is linear
    between two consecutive instants."""
    grid = np.arange(0.0, record.duration_s, 2.0)
    return np.union1d(np.append(grid, record.duration_s), [b.time_s for b in record.breakpoints])


class Series:
    """A recorded series as the Record holds it: linear between breakpoints, right-continuous
    at a jump (two breakpoints at one time), flat outside; optionally its running maximum."""

    def __init__(self, record: Record, name: str, *, running_max: bool = False) -> None:
        self.times, self.values = record.series(name)
        assert self.times.size > 0, f"no series {name}"
        self.top = np.maximum.accumulate(self.values)
        self.running_max = running_max

    def at(self, t: FloatArray, *, left: bool = False) -> FloatArray:
        """The value at each of ``t``, or its left limit there."""
        times, values = self.times, self.values
        n = times.size
        # The last breakpoint at (right) or strictly before (left) each instant.
        i = np.searchsorted(times, t, side="left" if left else "right") - 1
        j = np.clip(i, 0, max(n - 2, 0))
        k = np.minimum(j + 1, n - 1)
        span = times[k] - times[j]
        share = np.divide(t - times[j], span, out=np.ones_like(t), where=span > 0)
        inner = values[j] + np.clip(share, 0.0, 1.0) * (values[k] - values[j])
        out = np.where(i < 0, values[0], np.where(i >= n - 1, values[-1], inner))
        if self.running_max:
            out = np.where(i < 0, out, np.maximum(out, self.top[np.maximum(i, 0)]))
        return out


def assert_below(upper: Series, lower: Series, times: FloatArray, what: str) -> None:
    """``lower <= upper`` at ``times`` (sorted, with every breakpoint of both), at their left
    limits there and at the midpoints between them: everywhere, the series being linear
    between two instants (the running maximum: the larger of two linear functions)."""
    if times.size == 0:
        return
    mids = (times[:-1] + times[1:]) / 2.0
    for points, left in ((times, False), (times, True), (mids, False)):
        high = upper.at(points, left=left)
        gap = high - lower.at(points, left=left)
        bad = np.flatnonzero(gap < -(REL_TOL * np.maximum(1.0, np.abs(high)) + ABS_TOL))
        side = "just before " if left else ""
        assert bad.size == 0, f"{what} {side}{points[bad[0]]:g} s by {-gap[bad[0]]:.3f} bytes"


def first_sources(record: Record) -> dict[str, str]:
    return {info.name: str(info.replica_of) for info in replicas(record)}


def repointed_from_s(case: Case, name: str) -> float:
    """When the replica's first source stops being its source (a repoint action), else inf."""
    out = float("inf")
    for action in case.actions:
        if "repoint-replica" in action and f"target: {name}," in action:
            out = min(out, float(action.split("at: ")[1].split("s,")[0]))
    return out


def rebuilt_s(record: Record, replica: str) -> set[float]:
    """When the replica's lost volume was rebuilt from a snapshot (the end of a "creating"
    that is not its first): its relay log, received ahead of what it applied, is gone with
    the old volume, so its received position may drop there (never below what it applied)."""
    first = created_s(record, replica)
    return {
        b
        for a, b, _, state in record.state_intervals(replica)
        if state == "creating" and a != first
    }


def assert_positions(record: Record, case: Case) -> None:
    times = instants(record)
    committed = Series(record, COMMITTED, running_max=True)  # the furthest the log got
    sources = first_sources(record)
    for name, source in sources.items():
        start = created_s(record, name)
        assert start is not None, f"{name} never existed"
        rebuilt = rebuilt_s(record, name)
        for series in (received_series(name), applied_series(name)):
            when, values = record.series(series)
            assert when[0] >= start and (np.diff(when) >= 0).all(), f"{series} goes back in time"
            drops = np.diff(values) < -(REL_TOL * np.maximum(1.0, values[1:]) + ABS_TOL)
            for at in when[1:][drops]:
                assert series == received_series(name) and at in rebuilt, (
                    f"{series} decreases at {at:g} s"
                )
        t = times[times >= start]
        received = Series(record, received_series(name))
        applied = Series(record, applied_series(name))
        assert_below(committed, received, t, f"{name} received more than was committed")
        assert_below(received, applied, t, f"{name} applied more than it received")
        if source != "primary":  # until it is re-pointed elsewhere
            assert_below(
                Series(record, applied_series(source)),
                received,
                t[t <= repointed_from_s(case, name)],
                f"{name} received more than its source {source} applied",
            )


def assert_roles_and_states(record: Record) -> None:
    names = set(first_sources(record))
    promoted = {e.source: e.time_s for e in record.events if e.kind == "replica-promoted"}
    for change in record.states:
        if change.instance not in names:
            continue
        assert change.state in REPLICA_STATES, change
        assert change.role in ("replica", "standalone"), f"a replica became {change.role}"
        if change.role == "standalone":
            assert change.time_s >= promoted[change.instance]
        if change.state == "available":
            assert change.role == "standalone"
    for (_, end, first), (start, _, second) in pairwise(writer_intervals(record)):
        assert start >= end, f"{first} and {second} both accept writes at {start:g} s"


def assert_lag(record: Record) -> None:
    times = instants(record)
    for name in first_sources(record):
        lag = data_lag_s(record, name, times)
        assert (lag[~np.isnan(lag)] >= 0.0).all()
        start = created_s(record, name)
        assert start is not None
        attached = (times >= start) & (times < detached_s(record, name))
        assert np.isfinite(lag[attached]).all(), f"{name}'s lag is undefined while it exists"
        assert np.isnan(lag[~attached]).all()


def assert_no_rds_ids_when_self_managed(record: Record, case: Case) -> None:
    if case.self_managed:
        names = set(first_sources(record))
        with_ids = [e for e in record.events if e.source in names and e.rds_event]
        assert not with_ids, with_ids[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_random_replica_runs_keep_the_invariants(case: Case) -> None:
    text = case.yaml()
    try:
        scenario(text)
    except ScenarioError:
        # A random repoint may make a cycle or a chain too deep: the checks refuse those
        # (tests/test_replica_scenario_errors.py); nothing to run.
        assume(False)
    record = run_yaml(text, seed=case.seed)
    assert_positions(record, case)
    assert_roles_and_states(record)
    assert_lag(record)
    assert_no_rds_ids_when_self_managed(record, case)


def test_the_position_checks_can_fail() -> None:
    """Not vacuous: curves crossing only between two instants are caught at the left limit."""
    times = np.array([0.0, 10.0, 20.0])
    # ``upper`` jumps at 20; ``lower`` is below it at 0, 10, 15 and 20 but above just before 20.
    record = Record({"duration_s": 20.0}, [])
    for series, points in (
        ("upper", [(0.0, 0.0), (20.0, 2000.0), (20.0, 5000.0)]),
        ("lower", [(0.0, 0.0), (10.0, 900.0), (20.0, 2100.0)]),
        ("lower_ok", [(0.0, 0.0), (20.0, 1999.0)]),
        # Rewound to 0 at 5, then back above its old maximum (1000) from 12.5: the running
        # maximum is 1000 on [5, 12.5], then the series.
        ("rewound", [(0.0, 0.0), (5.0, 1000.0), (5.0, 0.0), (20.0, 2000.0)]),
    ):
        for t, v in points:
            record.add(Breakpoint(t, series, v))
    upper, lower, lower_ok = (Series(record, n) for n in ("upper", "lower", "lower_ok"))
    rewound = Series(record, "rewound", running_max=True)
    expected = [1000.0, 1000.0, 1000.0 + 1000.0 / 3, 1000.0 + 2000.0 / 3]
    assert rewound.at(np.array([5.0, 10.0, 15.0, 17.5])) == pytest.approx(expected)
    assert list(rewound.at(np.array([5.0]), left=True)) == [1000.0]
    assert list(Series(record, "rewound").at(np.array([5.0]), left=True)) == [1000.0]
    assert list(Series(record, "rewound").at(np.array([5.0, 12.5]))) == [0.0, 1000.0]
    assert list(upper.at(np.array([20.0]), left=True)) == [2000.0]
    assert_below(upper, lower_ok, times, "fine")
    try:
        assert_below(upper, lower, times[:2], "ok so far")
        assert_below(upper, lower, times, "crossed")
    except AssertionError as error:
        assert "crossed" in str(error)
    else:
        raise AssertionError("a crossing went unnoticed")
