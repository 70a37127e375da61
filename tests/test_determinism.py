"""One seed, one run, bit for bit; and named random streams that do not shift each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import MULTI_AZ, SCENARIOS, run_yaml

from rdssim.metrics import summarize
from rdssim.record import Record
from rdssim.rng import Streams
from rdssim.scenario import load_scenario
from rdssim.sim import run

CRASH = (
    "name: det\nduration: 40m\n" + MULTI_AZ + "workload:\n  phases:\n"
    "    - {start: 0s, writes_per_s: 400}\n    - {start: 20m, writes_per_s: 50}\n"
    "timings: {standby_rebuild: 10m}\n"
    "faults:\n  - {at: 5m, kind: host-crash, target: primary}\n"
)
# The same, plus a second crash long after the first failover and its standby rebuild.
CRASH_THEN_MORE = CRASH + "  - {at: 35m, kind: host-crash, target: primary}\n"


def jsonl(record: Record, path: Path) -> str:
    record.to_jsonl(path)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_same_seed_same_record(path: Path, tmp_path: Path) -> None:
    for scenario in load_scenario(path).variants.values():
        first, second = run(scenario, 7), run(scenario, 7)
        assert first == second
        assert jsonl(first, tmp_path / "a.jsonl") == jsonl(second, tmp_path / "b.jsonl")
        assert summarize(first) == summarize(second)


def test_different_seeds_differ() -> None:
    records = [run_yaml(CRASH, seed=seed) for seed in range(5)]
    failover_times = {summarize(r).failover_s for r in records}
    assert len(failover_times) == 5
    assert records[0] != records[1]


def test_the_scenario_seed_is_the_default() -> None:
    scenario = load_scenario(SCENARIOS / "multi_az_failover.yaml").variants["base"]
    assert run(scenario) == run(scenario, scenario.seed)
    assert run(scenario).meta["seed"] == scenario.seed


def test_record_round_trips_through_json_lines(tmp_path: Path) -> None:
    record = run_yaml(CRASH_THEN_MORE, seed=3)
    path = tmp_path / "run.jsonl"
    record.to_jsonl(path)
    loaded = Record.from_jsonl(path)
    assert loaded == record
    assert loaded.events == record.events and loaded.operations == record.operations
    assert summarize(loaded) == summarize(record)
    # Writing the loaded record again gives the very same text.
    assert jsonl(loaded, tmp_path / "again.jsonl") == path.read_text(encoding="utf-8")


def test_a_later_fault_does_not_shift_the_earlier_draws() -> None:
    one, more = run_yaml(CRASH, seed=11), run_yaml(CRASH_THEN_MORE, seed=11)
    first_one, first_more = summarize(one).failover_details[0], summarize(more).failover_details[0]
    assert first_one == first_more
    # Up to the second fault the two runs are the very same trace.
    cut = 35 * 60.0
    assert [e for e in one.events if e.time_s < cut] == [e for e in more.events if e.time_s < cut]
    assert [s for s in one.states if s.time_s < cut] == [s for s in more.states if s.time_s < cut]
    # ...and the extra fault did change what came after.
    assert summarize(more).failovers == 2


def test_the_workload_does_not_shift_the_controllers_draws() -> None:
    """Common random numbers: variants differing in load see the same failure timings."""
    light = run_yaml(CRASH.replace("writes_per_s: 400", "writes_per_s: 10"), seed=4)
    heavy = run_yaml(CRASH, seed=4)
    s_light, s_heavy = summarize(light), summarize(heavy)
    assert s_light.detection_s == s_heavy.detection_s
    assert s_light.dns_s == pytest.approx(s_heavy.dns_s)
    assert s_light.promotion_s != s_heavy.promotion_s  # the redo differs, nothing else


def test_the_probe_does_not_shift_the_model() -> None:
    with_probe = run_yaml(CRASH, seed=9)
    without = run_yaml(CRASH + "probe: {enabled: false}\n", seed=9)
    assert without.operations == []
    assert with_probe.states == without.states
    assert summarize(with_probe).failover_details == summarize(without).failover_details


def test_streams_depend_only_on_seed_and_name() -> None:
    streams = Streams(42)
    assert streams.get("faults") is streams.get("faults")
    first = streams.get("controller").random(4)
    # A fresh factory that hands out other streams first gives the same "controller" draws.
    other = Streams(42)
    other.get("workload").random(100)
    other.get("replica:db-2")
    assert np.array_equal(other.get("controller").random(4), first)
    # Other names and other seeds give other draws.
    assert not np.array_equal(Streams(42).get("workload").random(4), first)
    assert not np.array_equal(Streams(43).get("controller").random(4), first)


def test_a_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Streams(-1)
