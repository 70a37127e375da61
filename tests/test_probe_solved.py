"""The probe is solved in stretches, not polled: it must see exactly what the polled loop saw.

The polled probe (tests/polled_probe.py, the model's probe before it was solved) runs beside
the solved one on the same environment, so both face the same failures; their attempts are
compared one by one: start, end, outcome, error, address, and their DNS lookups.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CLUSTER_LINKS, MULTI_AZ, SCENARIOS, SINGLE_AZ, scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from polled_probe import PolledProbe

from rdssim.metrics import client_downtime
from rdssim.record import Operation, Record
from rdssim.scenario import Scenario, load_scenario
from rdssim.scenario.overrides import parse_assignments
from rdssim.sim import build


def both(spec: Scenario, seed: int) -> tuple[Record, list[Operation], int, int]:
    """Run ``spec`` with the solved probe and the polled one; (record, polled attempts,
    solved lookups, polled lookups)."""
    sim = build(spec, seed)
    assert sim.probe is not None
    polled = PolledProbe(sim.ctx, spec.probe, sim.endpoint, sim.instances, sim.probe.proxy)
    sim.ctx.env.process(polled.run())
    assert sim.actions is not None
    sim.actions.clients.append(polled)  # repoint-clients reconfigures it too
    record = sim.run()
    return record, polled.operations, sim.probe.cache.lookups, polled.cache.lookups


def assert_same(solved: list[Operation], polled: list[Operation]) -> None:
    # Times within a microsecond: the polled loop adds its interval to itself, drifting by
    # about one ulp per attempt (1e-6 s after 25,000 attempts of 137 ms); the solved one
    # multiplies.
    assert len(solved) == len(polled), (len(solved), len(polled))
    for mine, theirs in zip(solved, polled, strict=True):
        assert mine.start_s == pytest.approx(theirs.start_s, abs=1e-6), (mine, theirs)
        assert mine.end_s == pytest.approx(theirs.end_s, abs=1e-6), (mine, theirs)
        assert (mine.outcome, mine.error, mine.address) == (
            theirs.outcome,
            theirs.error,
            theirs.address,
        ), (mine, theirs)


# A polled probe costs per attempt: over a year of every second it cannot run here. The
# long bundled scenarios are compared with a probe every 10 minutes (its attempts then land
# on the maintenance windows, at whole hours) and more frequent failures.
LONG_S = 7 * 86_400.0
LONG_OVERRIDES = parse_assignments(
    [
        "probe.interval=10m",
        "failures.host.per_year=20",
        "failures.network.per_year=20",
        "failures.maintenance.every=14d",
    ]
)
BUNDLED = [
    pytest.param(path, name, id=f"{path.stem}-{name}")
    for path in sorted(SCENARIOS.glob("*.yaml"))
    for name, spec in load_scenario(path).variants.items()
    if spec.probe.enabled
]


def bundled(path: Path, variant: str) -> Scenario:
    spec = load_scenario(path).variants[variant]
    if spec.duration_s > LONG_S:
        spec = load_scenario(path, LONG_OVERRIDES).variants[variant]
    return spec


@pytest.mark.parametrize(("path", "variant"), BUNDLED)
@pytest.mark.parametrize("seed", [1, 7])
def test_bundled_scenarios_see_what_the_polled_probe_saw(
    path: Path, variant: str, seed: int
) -> None:
    spec = bundled(path, variant)
    record, polled, lookups, polled_lookups = both(spec, seed)
    solved = [op for op in record.operations if op.client == "probe"]
    assert_same(solved, polled)
    assert lookups == polled_lookups
    # The summary's downtime is read off the stretches; it is the polled attempts' downtime.
    reference = Record(record.meta, record.instances)
    for op in polled:
        reference.add(op)
    assert client_downtime(record) == pytest.approx(client_downtime(reference), abs=1e-9)


CASES = {
    "ttl-host-crash": MULTI_AZ + "faults: [{at: 5m, kind: host-crash, target: primary}]\n",
    "fixed-cache": MULTI_AZ
    + "probe: {dns_cache: fixed, dns_cache_for: 30s}\n"
    + "faults: [{at: 5m, kind: host-crash, target: primary}]\n",
    "forever-cache": MULTI_AZ
    + "probe: {dns_cache: forever}\n"
    + "faults: [{at: 5m, kind: host-crash, target: primary}]\n",
    "odd-interval": MULTI_AZ
    + "probe: {interval: 0.37s, connect_timeout: 1.3s, read_timeout: 2.9s}\n"
    + "faults: [{at: 5m, kind: storage-failure, target: primary},"
    + " {at: 301.3s, kind: network-loss, target: standby, duration: 13s}]\n",
    "slow-attempts": MULTI_AZ
    + "probe: {interval: 250ms, write_latency: 400ms}\n"
    + "faults: [{at: 5m, kind: reboot-with-failover}]\n",
    "single-az-storage": SINGLE_AZ + "faults: [{at: 2m, kind: storage-failure, target: db-1}]\n",
    "proxy": MULTI_AZ
    + "proxy: {enabled: true}\n"
    + "faults: [{at: 5m, kind: host-crash, target: primary},"
    + " {at: 40m, kind: az-outage, az: us-east-1b, duration: 5m}]\n",
    # Commits get faster with no state change to wake anyone: a new standby's sync cut
    # short by its AZ going dark, a DB cluster's nearer reader acknowledging again.
    "sync-cut-short": MULTI_AZ
    + "probe: {interval: 0.37s}\n"
    + "faults: [{at: 100s, kind: host-crash, target: db-2},"
    + " {at: 700s, kind: az-outage, az: us-east-1b, duration: 15m}]\n"
    + "timings: {host_replacement: 60s, standby_rebuild: 60s, standby_sync: 10m}\n",
    "cluster-reader-back": CLUSTER_LINKS
    + "probe: {interval: 0.37s}\n"
    + "faults: [{at: 300s, kind: host-crash, target: db-2}]\n"
    + "timings: {host_replacement: 120s}\n",
    "proxy-short-timeout": MULTI_AZ
    + "proxy: {enabled: true, connection_borrow_timeout: 2s}\n"
    + "probe: {read_timeout: 1.5s, interval: 700ms}\n"
    + "faults: [{at: 5m, kind: network-loss, target: primary, duration: 2m}]\n",
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", range(4))
def test_corner_cases_see_what_the_polled_probe_saw(name: str, seed: int) -> None:
    spec = scenario("name: p\nduration: 1h\n" + CASES[name])
    record, polled, lookups, polled_lookups = both(spec, seed)
    assert_same([op for op in record.operations if op.client == "probe"], polled)
    assert lookups == polled_lookups


def test_a_quiet_day_is_one_stretch() -> None:
    record, polled, _, _ = both(scenario("name: p\nduration: 1d\n" + MULTI_AZ), 0)
    assert len(record.attempts) == 1 and record.attempts[0].count == len(polled) == 86400


# Fault times off the probe's grid (a third of a millisecond past the second). At an exact
# tie, a fault at the very instant an attempt starts, the two differ by design: the polled
# loop saw only the changes scheduled before its own wake-up (the fault, not what the
# controller does about it at that instant); the solved probe sees the instant settled.
FAULTS = st.sampled_from(
    [
        "{at: %d.0003s, kind: host-crash, target: primary}",
        "{at: %d.0003s, kind: host-crash, target: standby}",
        "{at: %d.0003s, kind: storage-failure, target: primary}",
        "{at: %d.0003s, kind: network-loss, target: primary, duration: 37s}",
        "{at: %d.0003s, kind: network-loss, target: db-2, duration: 3m}",
        "{at: %d.0003s, kind: az-outage, az: us-east-1a, duration: 4m}",
        "{at: %d.0003s, kind: reboot-with-failover}",
    ]
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    faults=st.lists(st.tuples(FAULTS, st.integers(0, 1500)), max_size=4),
    interval_ms=st.sampled_from([137, 500, 1000, 2500]),
    timeouts=st.sampled_from(["", "connect_timeout: 700ms, read_timeout: 3s, "]),
    cache=st.sampled_from(["ttl", "fixed", "forever"]),
    proxy=st.booleans(),
    seed=st.integers(0, 50),
)
def test_random_fault_schedules_see_what_the_polled_probe_saw(
    faults: list[tuple[str, int]],
    interval_ms: int,
    timeouts: str,
    cache: str,
    proxy: bool,
    seed: int,
) -> None:
    text = "name: p\nduration: 30m\n" + MULTI_AZ
    text += f"probe: {{{timeouts}interval: {interval_ms}ms, dns_cache: {cache}}}\n"
    if proxy:
        text += "proxy: {enabled: true}\n"
    if faults:
        text += "faults:\n" + "".join(f"  - {f % at}\n" for f, at in faults)
    record, polled, lookups, polled_lookups = both(scenario(text), seed)
    assert_same([op for op in record.operations if op.client == "probe"], polled)
    assert lookups == polled_lookups


@pytest.mark.parametrize("at_s", [25_000_000.02, 300_000_000.02])
def test_late_in_a_long_run_an_insert_that_ended_before_a_crash_succeeded(at_s: float) -> None:
    """The probe's ties are a few ulps late in a run, not a relative 1e-9 (30 ms a year in,
    longer than its 5 ms insert): the insert that started 20 ms before the crash had ended."""
    text = (
        "name: late\nduration: 3650d\n" + MULTI_AZ + f"faults: [{{at: {at_s!r}, kind: "
        "host-crash, target: primary}]\nworkload: {phases: [{start: 0s, writes_per_s: 100}]}\n"
    )
    record = build(scenario(text), 0).run()
    # (Read off the stretches: ten years of attempts, one by one, would not fit here.)
    stretches = sorted(
        (a for a in record.attempts if a.client == "probe"), key=lambda a: a.first_start_s
    )
    holding = [a for a in stretches if a.first_start_s <= at_s - 0.02 < a.start_s(a.count)]
    (before,) = holding
    assert (before.outcome, before.duration_s) == ("ok", pytest.approx(0.005))
    k = round((at_s - 0.02 - before.first_start_s) / before.period_s)
    assert before.start_s(k) == pytest.approx(at_s - 0.02, abs=1e-6)
    after = next(a for a in stretches if a.first_start_s > at_s)
    assert after.outcome != "ok"
