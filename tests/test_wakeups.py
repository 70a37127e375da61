"""When direct cohorts wake, and what they do then. Cohorts serving on an instance, or
waiting on connections that stopped answering, sleep through changes that move nothing they
look at (DirectCohort._sleep_through): the Record is the one looking at every change gives.
A pool given another endpoint moves at its next replacement; commits that get faster with no
state change of their own are seen; groups are summarized in the scenario's order."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import CLUSTER_LINKS

import rdssim.model.direct as direct
from rdssim.record import Record
from rdssim.scenario import load_scenario, parse_scenario_text
from rdssim.sim import build

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


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
    monkeypatch.setattr(direct, "_SLEEP_THROUGH", False)
    for (v, seed), seen in asleep.items():
        awake = _as_observed(build(variants[v], seed).run(), tmp_path / "b.jsonl")
        assert seen == awake, (v, seed)


DEPLOYMENTS = {
    "multi-az-instance": ["db-1: primary", "db-2: standby"],
    "single-az": ["db-1: primary"],
    "multi-az-cluster": ["db-1: primary", "db-2: reader", "db-3: reader"],
    "self-managed-ec2": ["db-1: primary", "db-2: standby"],
}
FAULTS = ["host-crash", "network-loss", "az-outage", "engine-crash", "unresponsive"]
LASTING = ("network-loss", "az-outage", "unresponsive")


def random_scenario(seed: int) -> str:
    """A deployment of any type, one to three direct client groups of every kind, and faults
    that stall, cut off or crash the writer: what wakes cohorts serving and stuck."""
    rng = random.Random(seed)
    kind = rng.choice(list(DEPLOYMENTS))
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
    instances = "".join(
        f"    - {{name: {name}, az: {azs[i]}, role: {role.strip()}}}\n"
        for i, (name, role) in enumerate(entry.split(":") for entry in DEPLOYMENTS[kind])
    )
    ha = "  ha: {manager: patroni}\n" if kind == "self-managed-ec2" else ""
    limit = rng.choice(["", "  max_connections: 60\n"])
    faults = []
    for _ in range(rng.randint(1, 3)):
        fault = rng.choice(FAULTS + (["reboot-with-failover"] if kind != "single-az" else []))
        where = "az: us-east-1a" if fault == "az-outage" else "target: db-1"
        if fault == "reboot-with-failover":
            where = ""
        lasts = f", duration: {rng.randint(5, 300)}s" if fault in LASTING else ""
        faults.append(f"  - {{at: {rng.randint(10, 600)}s, kind: {fault}, {where}{lasts}}}\n")
    groups = []
    for g in range(rng.randint(1, 3)):
        pool = rng.choice(["", ", kind: per-request"])
        groups.append(
            f"  - {{name: g{g}{pool}, instances: {rng.choice([1, 5, 40, 200])},"
            f" requests_per_s: {rng.choice([0.5, 2, 10])}, cohorts: {rng.randint(1, 12)},"
            f" dns_cache: {rng.choice(['ttl', 'fixed', 'forever'])},"
            f" dns_cache_for: {rng.choice([0, 1, 5, 30, 300])}s,"
            f" read_timeout: {rng.choice(['none', '5s', '30s'])}"
            + (
                f", pool: {{size: {rng.choice([2, 10])}, max_lifetime: {rng.choice([60, 1800])}s,"
                f" validate_on_borrow: {rng.choice(['true', 'false'])}}}"
                if not pool
                else ""
            )
            + "}\n"
        )
    return (
        f"name: random{seed}\nengine: postgres\nduration: 900s\n"
        f"deployment:\n  type: {kind}\n{limit}  instances:\n{instances}{ha}"
        "workload:\n  phases: [{start: 0s, writes_per_s: 200}]\n"
        f"probe: {{enabled: {rng.choice(['true', 'false'])}}}\n"
        "faults:\n" + "".join(faults) + "clients:\n" + "".join(groups)
    )


def test_random_scenarios_see_the_same_asleep_and_awake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 random deployments, groups and faults (one cohort in twenty sleeps through a
    change that matters if the views leave out a host's state: caught here)."""
    scenarios = [parse_scenario_text(random_scenario(seed)).variants["base"] for seed in range(200)]
    asleep = [
        _as_observed(build(sc, seed).run(), tmp_path / "a.jsonl")
        for seed, sc in enumerate(scenarios)
    ]
    monkeypatch.setattr(direct, "_SLEEP_THROUGH", False)
    for seed, sc in enumerate(scenarios):
        assert asleep[seed] == _as_observed(build(sc, seed).run(), tmp_path / "b.jsonl"), seed


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


def _moves(text: str, seeds: range) -> list[dict[int, float]]:
    """Per seed, when each cohort's writes were first refused (it moved to a reader)."""
    scenario = parse_scenario_text(text).variants["base"]
    out = []
    for seed in seeds:
        moved: dict[int, float] = {}
        for flow in sorted(build(scenario, seed).run().flows, key=lambda f: f.start_s):
            if flow.error == "refused":
                moved.setdefault(flow.cohort, flow.start_s)
        out.append(moved)
    return out


def test_a_pool_with_a_forever_cache_given_another_endpoint_moves_too() -> None:
    """A cache that never looks again still starts empty for the endpoint the application
    is given: the next replacement follows it (it had moved only if something else woke the
    cohort, and, asleep, never)."""
    text = CLUSTER_REPOINT.replace("cohorts: 8,", "cohorts: 8, dns_cache: forever,")
    for moved in _moves(text, range(3)):
        assert sorted(moved) == list(range(8))
        assert all(300.0 < at <= 360.0 for at in moved.values()), moved


def test_a_pool_given_another_endpoint_while_stuck_moves_when_it_is_through() -> None:
    """Re-pointed while its connections hang on a writer whose commits wait (both readers
    cut off, 200-300 s): once they are through, the replacements that came due meanwhile
    are made and follow the new endpoint (the loop had kept the old endpoint and never
    moved)."""
    faults = (
        "faults:\n  - {at: 200s, kind: network-loss, target: db-2, duration: 100s}\n"
        "  - {at: 200s, kind: network-loss, target: db-3, duration: 100s}\n"
    )
    text = CLUSTER_REPOINT.replace("at: 300s, kind: repoint", "at: 201s, kind: repoint")
    text = text.replace("actions:", faults + "actions:")
    for moved in _moves(text, range(3)):
        assert moved == dict.fromkeys(range(8), 300.0)


def _ok_latencies(text: str) -> list[tuple[float, float]]:
    """(start, latency) of cohort 0's successful Flows."""
    record = build(parse_scenario_text(text).variants["base"], 0).run()
    flows = sorted(
        (f for f in record.flows if f.cohort == 0 and f.outcome == "ok"), key=lambda f: f.start_s
    )
    return [(f.start_s, f.latency_start_s) for f in flows]


def test_commits_that_get_faster_without_a_state_change_are_seen() -> None:
    """A DB cluster's commit waits for the nearer reader: db-2 (2 ms away) crashes, db-3
    (40 ms) acknowledges meanwhile, and when db-2 is back commits are fast again, though the
    writer's own state never changed."""
    text = (
        "name: acks\nduration: 1h\n"
        + CLUSTER_LINKS
        + """
workload:
  phases: [{start: 0s, writes_per_s: 200}]
probe: {enabled: false}
faults: [{at: 300s, kind: host-crash, target: db-2}]
timings: {host_replacement: 120s}
clients:
  - {name: app, instances: 4, requests_per_s: 10, cohorts: 2}
"""
    )
    latencies = [round(latency, 6) for _, latency in _ok_latencies(text)]
    assert latencies == [0.024, 0.1, 0.024]  # 20 ms + the round trip to the nearer reader


def test_a_short_stall_with_no_replacement_due_does_not_move_a_pool() -> None:
    """Re-pointed during a 5 s stall in which no cohort's replacement falls due: each moves
    at its own next replacement after it, not all at once as the stall ends (the passed
    replacements, which went back to db-1, had been taken for due ones)."""
    faults = "faults:\n  - {at: 290s, kind: network-loss, target: db-1, duration: 5s}\n"
    text = CLUSTER_REPOINT.replace("at: 300s, kind: repoint", "at: 292s, kind: repoint")
    text = text.replace("actions:", faults + "actions:")
    for moved in _moves(text, range(3)):
        assert sorted(moved) == list(range(8))
        assert all(296.0 < at <= 352.0 for at in moved.values()), moved
        assert len(set(moved.values())) == 8, moved


def test_functions_given_another_endpoint_open_their_next_connections_there() -> None:
    """Per-request clients open a connection for every request: given db-2's endpoint they
    go there with their next requests, at the re-point (a fresh cache has no answer yet),
    whatever the cache (they had stayed on db-1 for as long as it served)."""
    for cache in ("ttl", "fixed", "forever"):
        text = CLUSTER_REPOINT.replace(
            "{name: app, kind: pool, instances: 8, requests_per_s: 10, cohorts: 8,",
            f"{{name: app, kind: per-request, instances: 8, requests_per_s: 10, cohorts: 8,"
            f" dns_cache: {cache},",
        ).replace("\n     pool: {size: 2, max_lifetime: 60s}}", "}")
        assert "per-request" in text and "pool:" not in text
        for moved in _moves(text, range(2)):
            assert moved == dict.fromkeys(range(8), 300.0), (cache, moved)
