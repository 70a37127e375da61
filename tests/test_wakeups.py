"""When direct cohorts act on what changed: a pool's move to a new endpoint, the order of
groups in a summary."""

from __future__ import annotations

from pathlib import Path

from rdssim.scenario import parse_scenario_text
from rdssim.sim import build

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


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
