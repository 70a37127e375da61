"""Property tests: random fault schedules thrown at the model must never break its invariants.

* at no instant do two instances accept writes (role primary, state available), and a client
  insert succeeds only on the instance accepting writes;
* no applied log position is ever ahead of the committed position;
* committed transactions are lost only by a point-in-time restore, i.e. only when the
  primary's storage was gone and no in-sync standby existed when the repair started; a
  failover never loses any (the standby is synchronous);
* the run never raises, the Record is in time order and every failover phase is non-negative;
* long after the last fault the deployment is whole again: a writer, an in-sync standby
  (Multi-AZ), the endpoint naming the writer, and the probe succeeding."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from conftest import (
    MULTI_AZ,
    SINGLE_AZ,
    committed_drops,
    run_yaml,
    series_limits,
    state_at,
    state_before,
    writer_intervals,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rdssim.metrics import summarize
from rdssim.record import COMMITTED, Record, applied_series

DURATION_S = 4 * 3600
FAULTS_BEFORE_S = 5400  # every fault starts in the first 90 minutes...
LONGEST_FAULT_S = 2400  # ...and is over 40 minutes later at most: the rest of the run is quiet
WRITES_PER_S = 200
BYTES_PER_TXN = 4096
LOG_UPLOAD_INTERVAL_S = 300
AZS = ("us-east-1a", "us-east-1b")


# Repairs with bounded durations (the calibrated defaults are log-normal, with long tails), so
# that a quiet hour and a half after the last fault is surely enough for everything to heal.
TIMINGS = """\
timings:
  failover_initiation: {uniform: [2s, 20s]}
  standby_activation: {uniform: [10s, 60s]}
  standby_rebuild: {uniform: [5m, 15m]}
  host_replacement: {uniform: [3m, 12m]}
  reboot: {uniform: [30s, 2m]}
  pitr_restore: {uniform: [10m, 40m]}
"""


@dataclass(frozen=True)
class Fault:
    at_s: int
    kind: str
    target: str | None = None
    az: str | None = None
    duration_s: int | None = None

    def yaml(self) -> str:
        parts = [f"at: {self.at_s}s", f"kind: {self.kind}"]
        if self.target is not None:
            parts.append(f"target: {self.target}")
        if self.az is not None:
            parts.append(f"az: {self.az}")
        if self.duration_s is not None:
            parts.append(f"duration: {self.duration_s}s")
        return "  - {" + ", ".join(parts) + "}\n"


def faults(multi_az: bool) -> st.SearchStrategy[Fault]:
    """A fault whose ``at_s`` is, for now, the gap since the previous fault.

    Short gaps put faults inside each other's detection, promotion and repair windows, where
    the interesting interactions are; long gaps let the deployment settle in between.
    """
    at = st.one_of(st.integers(min_value=0, max_value=90), st.integers(min_value=0, max_value=1800))
    # A role nobody holds at that moment (the standby, during a failover) is skipped by the
    # model; a single-az deployment never has one, which the loader refuses.
    target = st.sampled_from(
        ("db-1", "db-2", "primary", "standby") if multi_az else ("db-1", "primary")
    )
    lasting = st.integers(min_value=1, max_value=LONGEST_FAULT_S)
    kinds = [
        st.builds(Fault, at, st.just("host-crash"), target),
        st.builds(Fault, at, st.just("storage-failure"), target),
        st.builds(Fault, at, st.just("network-loss"), target, st.none(), lasting),
        st.builds(Fault, at, st.just("engine-crash"), target),
        st.builds(Fault, at, st.just("unresponsive"), target, st.none(), lasting),
        st.builds(
            Fault,
            at,
            st.just("az-outage"),
            st.none(),
            st.sampled_from(AZS if multi_az else AZS[:1]),
            lasting,
        ),
    ]
    if multi_az:
        kinds.append(st.builds(Fault, at, st.just("reboot-with-failover")))
    return st.one_of(kinds)


def scenario_text(multi_az: bool, schedule: list[Fault], timings: str = TIMINGS) -> str:
    text = (
        f"name: random\nduration: {DURATION_S}s\n"
        + (MULTI_AZ if multi_az else SINGLE_AZ)
        + f"workload:\n  phases:\n    - {{start: 0s, writes_per_s: {WRITES_PER_S}}}\n"
        + f"  bytes_per_txn: {BYTES_PER_TXN}\n"
        + "probe: {interval: 10s}\n"
        + timings
    )
    if schedule:
        text += "faults:\n" + "".join(f.yaml() for f in schedule)
    return text


@st.composite
def runs(draw: st.DrawFn) -> tuple[bool, list[Fault], int]:
    multi_az = draw(st.booleans())
    gaps = draw(st.lists(faults(multi_az), min_size=1, max_size=6))
    schedule, at_s = [], 0
    for fault in gaps:
        at_s = min(FAULTS_BEFORE_S, at_s + fault.at_s)
        schedule.append(replace(fault, at_s=at_s))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return multi_az, schedule, seed


def assert_one_writer_at_a_time(record: Record) -> None:
    stretches = writer_intervals(record)
    for (_, end, first), (start, _, second) in pairwise(stretches):
        assert start >= end, f"{first} and {second} both accept writes at {start:g} s"


def assert_applied_never_ahead(record: Record) -> None:
    times = sorted({b.time_s for b in record.breakpoints})
    for info in record.instances:
        name = applied_series(info.name)
        for t in times:
            committed = series_limits(record, COMMITTED, t)
            applied = series_limits(record, name, t)
            for side in (0, 1):
                # Tolerance: float rounding of positions around 1e10 bytes.
                assert applied[side] <= committed[side] * (1 + 1e-12) + 1e-6, (
                    f"{name} is at {applied[side]:.0f} bytes, past the committed "
                    f"{committed[side]:.0f} at {t:g} s"
                )


def assert_data_lost_only_by_restore(record: Record, multi_az: bool) -> None:
    summary = summarize(record)
    restores = [e for e in record.events if e.kind == "restored"]
    for event in record.events:
        if event.kind == "failover-promoted":
            assert event.data["lost_txns"] == 0, "a failover to a synchronous standby lost commits"
    for time_s, lost_bytes in committed_drops(record):
        assert any(s.time_s == time_s for s in restores), (
            f"commits lost at {time_s:g} s without a restore"
        )
        # Lost: what was committed since the last log upload to S3 before the failure.
        assert lost_bytes <= WRITES_PER_S * BYTES_PER_TXN * LOG_UPLOAD_INTERVAL_S * (1 + 1e-9)
    if summary.rpo_txns > 0:
        assert restores, "RPO > 0 without a point-in-time restore"
    if multi_az:
        # A restore (the only way to lose commits) happens only when, as the in-place
        # recovery began, no standby was in sync; otherwise RDS fails over without loss.
        for started in (e for e in record.events if e.rds_event == "RDS-EVENT-0020"):
            in_sync = [
                i.name
                for i in record.instances
                if state_before(record, i.name, started.time_s) == ("standby", "available")
            ]
            assert not in_sync, (
                f"in-place recovery at {started.time_s:g} s despite in-sync {in_sync}"
            )


def assert_healed(record: Record, multi_az: bool) -> None:
    """Long after the last fault, the deployment is whole again and the endpoint is right;
    except an instance that lost its volume with no standby in sync: it is in the failed
    state (RDS-EVENT-0031) for good, since only an operator's restore brings it back."""
    end = record.duration_s
    final = {i.name: state_before(record, i.name, end + 1) for i in record.instances}
    failed = [e for e in record.events if e.kind == "instance-failed"]
    if failed:
        for event in failed:
            assert final[event.source] is not None
            assert final[event.source][1] in ("failed", "storage-failed"), f"{final}"
            lost = [
                e
                for e in record.events
                if e.data.get("fault_kind") == "storage-failure"
                and e.data.get("target") == event.source
                and e.time_s <= event.time_s
            ]
            assert lost, f"{event.source} put into the failed state with its volume"
        assert ("primary", "available") not in final.values(), f"a writer after 0031: {final}"
        return
    assert sorted(final.values()) == sorted(
        [("primary", "available"), ("standby", "available")]
        if multi_az
        else [("primary", "available")]
    ), f"not healed at the end: {final}"
    primary = next(name for name, pair in final.items() if pair == ("primary", "available"))
    answers = [e for e in record.events if e.kind == "dns-answer"]
    assert answers[-1].data["target"] == primary
    assert summarize(record).client_recovered is True


def assert_ok_only_from_the_writer(record: Record) -> None:
    """A client's insert succeeds only on the instance that accepts writes as it commits."""
    for op in record.operations:
        if op.outcome == "ok":
            assert op.address is not None
            assert state_at(record, op.address, op.end_s) == ("primary", "available"), (
                f"insert on {op.address} succeeded at {op.end_s:g} s"
            )


def assert_time_ordered(record: Record) -> None:
    """Entries are appended as simulated time advances, never back in time."""
    for times in (
        [e.time_s for e in record.events],
        [s.time_s for s in record.states],
        [o.end_s for o in record.operations],
    ):
        assert times == sorted(times)
    for series in {b.series for b in record.breakpoints}:
        times = list(record.series(series)[0])
        assert times == sorted(times), series


def assert_phases_non_negative(record: Record) -> None:
    for failover in summarize(record).failover_details:
        assert failover.detection_s >= 0
        for phase in (failover.promotion_s, failover.dns_s, failover.failover_s):
            assert phase is None or phase >= 0


def assert_safe(record: Record, multi_az: bool) -> None:
    assert_one_writer_at_a_time(record)
    assert_applied_never_ahead(record)
    assert_data_lost_only_by_restore(record, multi_az)
    assert_phases_non_negative(record)
    assert_ok_only_from_the_writer(record)
    assert_time_ordered(record)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_random_fault_schedules_keep_the_invariants(case: tuple[bool, list[Fault], int]) -> None:
    multi_az, schedule, seed = case
    record = run_yaml(scenario_text(multi_az, schedule), seed=seed)
    assert_safe(record, multi_az)
    assert_healed(record, multi_az)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_with_the_calibrated_timings_too(case: tuple[bool, list[Fault], int]) -> None:
    """The default (long-tailed) repair times: the same safety, without a healing deadline."""
    multi_az, schedule, seed = case
    assert_safe(run_yaml(scenario_text(multi_az, schedule, timings=""), seed=seed), multi_az)


def test_the_invariant_checks_can_fail() -> None:
    """The checks above are not vacuous: a hand-made Record that breaks each one is caught."""
    from rdssim.record import Breakpoint, InstanceInfo, StateChange

    record = Record({"duration_s": 100.0}, [InstanceInfo("db-1", "a"), InstanceInfo("db-2", "b")])
    record.add(StateChange(0.0, "db-1", "primary", "available"))
    record.add(StateChange(0.0, "db-2", "standby", "available"))
    record.add(StateChange(50.0, "db-2", "primary", "available"))
    try:
        assert_one_writer_at_a_time(record)
    except AssertionError:
        pass
    else:
        raise AssertionError("two writers went unnoticed")
    for t, v in ((0.0, 0.0), (100.0, 10.0)):
        record.add(Breakpoint(t, COMMITTED, v))
    for t, v in ((0.0, 0.0), (100.0, 20.0)):
        record.add(Breakpoint(t, applied_series("db-1"), v))
        record.add(Breakpoint(t, applied_series("db-2"), 0.0))
    try:
        assert_applied_never_ahead(record)
    except AssertionError:
        pass
    else:
        raise AssertionError("an applied position past the committed one went unnoticed")
