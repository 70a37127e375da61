"""Cost of client groups and RDS Proxy against the number of clients, side by side in one run.

DESIGN.md principle 1: client traffic is a rate, so a run's cost follows its state changes
(faults, failovers, DNS flips, retries), not its traffic. One hour of a Multi-AZ deployment
with a reboot with failover at 10 min and a primary host crash at 35 min is run with one
client group of 10, 1,000 and 10,000 clients: a pool group (application instances, 10
requests/s each, 10-connection pools) and, separately, a per-request group (functions, 1
request/s each), each direct and through RDS Proxy. ``max_connections`` is set high enough
for every client count, so the only thing that changes is the traffic (at the instance
class's own limit the large groups would be refused or exhaust the proxy's pool: other state
changes). The probe is off: its per-second attempts are the one per-request cost, measured by
bench_run.py. Every run uses the same seed, so the deployment fails the same way in all
(common random numbers).

Printed per case: wall milliseconds per run (best of N; a configuration is not repeated
once it has taken 3 s, so a run of seconds is timed once), SimPy events and Flow entries per
run, and the wall-time ratio against the 1,000-client run (about 1 is the goal). Groups are
simulated as ``min(instances, 50)`` cohorts by default, so 10 clients are 10 cohorts and
1,000 or 10,000 are 50: events and Flows follow the cohorts, not the clients. Then the cost
of ``cohorts: 1000`` against the default 50, at 1,000 clients (expected: 20 times or a
little more: one process and one Flow writer per cohort, and a larger model costs a little
more per event, its heap and its objects less often in the processor's caches).

Usage: python benchmarks/bench_clients.py [--repeat N] [--seed N]
"""

from __future__ import annotations

import argparse
import time

from rdssim.scenario import Scenario, parse_scenario_text
from rdssim.scenario.schema import ClientSpec, ProxySpec
from rdssim.sim import build

SCENARIO = """
name: bench_clients
duration: 1h
deployment:
  type: multi-az-instance
  max_connections: 100000  # the most a scenario may set: 10,000 pools of 10
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: standby}
workload:
  phases: [{start: 0s, writes_per_s: 500}]
probe: {enabled: false}
faults:
  - {at: 10m, kind: reboot-with-failover}
  - {at: 35m, kind: host-crash, target: primary}
"""
GROUPS: dict[str, dict[str, object]] = {
    "pool": {"kind": "pool", "requests_per_s": 10, "pool": {"size": 10}},
    "per-request": {"kind": "per-request", "requests_per_s": 1},
}
CLIENTS = (10, 1_000, 10_000)
REFERENCE = 1_000
COHORTS = (50, 1_000)
REPEAT_BUDGET_S = 3.0  # stop repeating a configuration once it has taken this long


def scenario(
    base: Scenario, group: str, clients: int, proxy: bool, cohorts: int | None = None
) -> Scenario:
    """``base`` with one client group of ``clients``, direct or through the proxy."""
    spec: dict[str, object] = {"name": "app", "instances": clients, **GROUPS[group]}
    if cohorts is not None:
        spec["cohorts"] = cohorts
    return base.model_copy(
        update={
            "clients": [ClientSpec.model_validate(spec)],
            "proxy": ProxySpec.model_validate({"enabled": proxy}),
        }
    )


def timed(scenario: Scenario, seed: int, repeat: int) -> tuple[float, int, int, int]:
    """(best wall seconds of one run, runs timed, SimPy events, Flow entries)."""
    best = float("inf")
    spent = 0.0
    events = flows = done = 0
    while done < repeat and (done == 0 or spent < REPEAT_BUDGET_S):
        start = time.perf_counter()
        sim = build(scenario, seed)
        record = sim.run()
        wall = time.perf_counter() - start
        best = min(best, wall)
        spent += wall
        done += 1
        events, flows = sim.events_processed, len(record.flows)
    return best, done, events, flows


def row(clients: int, cohorts: int, wall: float, done: int, events: int, flows: int) -> str:
    return (
        f"  {clients:>7,} clients {cohorts:>5,} cohorts  {1000 * wall:9.1f} ms/run (best of {done})"
        f"  {events:6d} events  {flows:5d} flows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed runs (best is kept)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = parse_scenario_text(SCENARIO).variants["base"]
    wall, done, events, _ = timed(base, args.seed, args.repeat)
    print(f"1 h Multi-AZ, reboot with failover at 10 min, host crash at 35 min, seed {args.seed}")
    print(f"  model without clients: {1000 * wall:.1f} ms/run, {events} events")
    print()
    for group in GROUPS:
        for proxy in (False, True):
            title = "through RDS Proxy" if proxy else "direct"
            print(f"{group} group, {title} (ratio: wall time / wall time at {REFERENCE:,} clients)")
            results = {
                n: timed(scenario(base, group, n, proxy), args.seed, args.repeat) for n in CLIENTS
            }
            reference = results[REFERENCE][0]
            for n, (wall, done, events, flows) in results.items():
                line = row(n, min(n, 50), wall, done, events, flows)
                print(f"{line}  ratio {wall / reference:5.2f}")
    print()
    print(f"cost of cohorts at {REFERENCE:,} clients (ratio: wall time / wall time at 50 cohorts)")
    for group in GROUPS:
        for proxy in (False, True):
            print(f"{group} group, {'through RDS Proxy' if proxy else 'direct'}")
            reference = 0.0
            for cohorts in COHORTS:
                wall, done, events, flows = timed(
                    scenario(base, group, REFERENCE, proxy, cohorts), args.seed, args.repeat
                )
                reference = reference or wall
                line = row(REFERENCE, cohorts, wall, done, events, flows)
                print(f"{line}  ratio {wall / reference:7.2f}")


if __name__ == "__main__":
    main()
