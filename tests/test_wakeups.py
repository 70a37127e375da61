"""When direct cohorts wake, and what they do then. Cohorts serving on an instance sleep
through changes that move nothing they look at (context.first_change_of): the Record is the
one waking at every change gives. A pool given another endpoint moves at its next
replacement. Groups are summarized in the scenario's order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import simpy

import rdssim.model.direct as direct
from rdssim.model.context import Signal, first_change_of, first_of
from rdssim.record import Record
from rdssim.scenario import load_scenario, parse_scenario_text
from rdssim.sim import build

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_a_fire_that_changes_nothing_seen_is_slept_through() -> None:
    env = simpy.Environment()
    signal = Signal(env)
    state = {"role": "primary"}
    woken_at: list[float] = []

    def waiter() -> simpy.events.ProcessGenerator:
        yield first_change_of(env, signal, lambda: state["role"])
        woken_at.append(env.now)

    def changes() -> simpy.events.ProcessGenerator:
        for at, role in ((1.0, "primary"), (2.0, "primary"), (3.0, "none")):
            yield env.timeout(at - env.now)
            state["role"] = role
            signal.fire()

    env.process(waiter())
    env.process(changes())
    env.run()
    assert woken_at == [3.0]


def test_the_other_events_still_wake() -> None:
    env = simpy.Environment()
    signal = Signal(env)
    woken_at: list[float] = []

    def waiter() -> simpy.events.ProcessGenerator:
        yield first_change_of(env, signal, lambda: "same", [env.timeout(5.0)])
        woken_at.append(env.now)

    def fires() -> simpy.events.ProcessGenerator:
        for _ in range(3):
            yield env.timeout(1.0)
            signal.fire()

    env.process(waiter())
    env.process(fires())
    env.run()
    assert woken_at == [5.0]


def _woken_at_every_change(
    env: simpy.Environment,
    signal: Signal,
    seen: object,
    events: Sequence[simpy.Event] = (),
) -> simpy.Event:
    """What the cohorts did before: any fire of the signal resumes them."""
    return first_of(env, [signal.wait(), *events])


def _as_observed(record: Record, path: Path) -> tuple[list[str], list[tuple[str, float, float]]]:
    """The Record up to the order of what happens at one instant: its rows as a multiset,
    and each series' value after each instant (steps taken within an instant, by cohorts
    resumed in another order, are not a value the series ever holds for any time)."""
    record.to_jsonl(path)
    rows = []
    after: dict[tuple[str, float], float] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row.get("type") == "breakpoint":
            after[(row["series"], row["time_s"])] = row["value"]
        elif row.get("type") == "header":
            row.get("meta", {}).pop("sim_events", None)
            rows.append(json.dumps(row, sort_keys=True))
        else:
            rows.append(json.dumps(row, sort_keys=True))
    return sorted(rows), sorted((s, t, v) for (s, t), v in after.items())


@pytest.mark.parametrize(
    "name",
    [
        "proxy_vs_direct_failover",
        "dns_cache_pitfall",
        "client_timeouts",
        "connection_storm",
        "az_outage_compare",
        "year_of_failures",
    ],
)
def test_sleeping_through_changes_sees_what_waking_saw(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variants = load_scenario(SCENARIOS / f"{name}.yaml").variants
    asleep = {
        (v, seed): _as_observed(build(sc, seed).run(), tmp_path / "a.jsonl")
        for v, sc in variants.items()
        for seed in range(3)
    }
    monkeypatch.setattr(direct, "first_change_of", _woken_at_every_change)
    for (v, seed), seen in asleep.items():
        awake = _as_observed(build(variants[v], seed).run(), tmp_path / "b.jsonl")
        assert seen == awake, (v, seed)


CLUSTER_REPOINT = """
name: repoint
duration: 600s
deployment:
  type: multi-az-cluster
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: reader}
    - {name: db-3, az: us-east-1c, role: reader}
workload:
  phases: [{start: 0s, writes_per_s: 200}]
probe: {enabled: false}
actions:
  - {at: 300s, kind: repoint-clients, target: all, source: db-2}
clients:
  - {name: app, kind: pool, instances: 8, requests_per_s: 10, cohorts: 8,
     pool: {size: 2, max_lifetime: 60s}}
"""


def test_repointed_pools_move_at_their_next_replacement() -> None:
    """Given another endpoint, a pool's connections stay where they are until max_lifetime
    replaces them: each cohort moves at its own next replacement, within a lifetime of the
    re-point, not all at once (which they did when a replacement had passed unseen since a
    cohort last woke). db-2 is a reader: writes there are refused, which marks the move."""
    scenario = parse_scenario_text(CLUSTER_REPOINT).variants["base"]
    for seed in range(5):
        record = build(scenario, seed).run()
        moved = {}
        for flow in sorted(record.flows, key=lambda f: f.start_s):
            if flow.error == "refused":
                moved.setdefault(flow.cohort, flow.start_s)
        assert sorted(moved) == list(range(8)), seed
        assert all(300.0 < at <= 360.0 for at in moved.values()), (seed, moved)
        assert len(set(moved.values())) == 8, (seed, moved)


def test_groups_are_summarized_in_the_scenario_order() -> None:
    """client_downtime_by_group lists the groups as the scenario declares them, not in the
    order their first Flows happened to be written (here the later group's first)."""
    from rdssim.metrics import summarize

    text = CLUSTER_REPOINT.replace(
        "clients:\n",
        "clients:\n  - {name: web, kind: pool, instances: 2, requests_per_s: 5, start: 20s}\n",
    )
    record = build(parse_scenario_text(text).variants["base"], 0).run()
    assert record.flows[0].group == "app"
    clients = summarize(record).clients
    assert clients is not None
    assert list(clients.client_downtime_by_group) == ["web", "app"]
