"""Cost against model size: read replicas (1 against 15) and client cohorts (50 against
1,000), side by side in one run: issue #15's targets are 15 replicas at most 15x one, and
1,000 cohorts at most 20x 50.

Each case is a Multi-AZ instance whose primary host crashes under 500 writes/s, run and
summarized (no plots); the best of --repeat timings is kept.

Usage: python benchmarks/bench_scaling.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time

from rdssim.metrics import summarize
from rdssim.scenario import parse_scenario_text
from rdssim.sim import build

BASE = """\
name: scaling
duration: 1h
deployment:
  type: multi-az-instance
  instances:
    - {{name: db-1, az: us-east-1a, role: primary}}
    - {{name: db-2, az: us-east-1b, role: standby}}
{replicas}
workload:
  phases: [{{start: 0s, writes_per_s: 500}}, {{start: 20m, writes_per_s: 2000}}]
{clients}
faults:
  - {{at: 10m, kind: host-crash, target: primary}}
  - {{at: 30m, kind: network-loss, target: primary, duration: 2m}}
"""


def replicas(count: int) -> str:
    lines = "".join(f"    - {{name: r{i}, az: us-east-1c}}\n" for i in range(count))
    return "  replicas:\n" + lines.rstrip("\n")


def clients(cohorts: int) -> str:
    return (
        "clients:\n  - {name: app, instances: 100000, requests_per_s: 5,"
        f" read_timeout: 10s, cohorts: {cohorts}}}"
    )


def best_wall(text: str, repeat: int) -> tuple[float, int]:
    scenario = parse_scenario_text(text).variants["base"]
    best = float("inf")
    events = 0
    for seed in range(repeat):
        start = time.perf_counter()
        sim = build(scenario, seed)
        summarize(sim.run())
        best = min(best, time.perf_counter() - start)
        events = sim.events_processed
    return best, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (best kept)")
    args = parser.parse_args()
    print("read replicas (ratio: wall time / wall time with one replica; target <= 15 at 15)")
    base = None
    for count in (1, 5, 15):
        wall, events = best_wall(BASE.format(replicas=replicas(count), clients=""), args.repeat)
        base = base or wall
        print(
            f"  {count:5d} replicas {1000 * wall:9.1f} ms/run {events:7d} events"
            f"  ratio {wall / base:6.2f}"
        )
    print("client cohorts (ratio: wall time / wall time at 50 cohorts; target <= 20 at 1,000)")
    base = None
    for cohorts in (50, 200, 1000):
        wall, events = best_wall(BASE.format(replicas="", clients=clients(cohorts)), args.repeat)
        base = base or wall
        print(
            f"  {cohorts:5d} cohorts  {1000 * wall:9.1f} ms/run {events:7d} events"
            f"  ratio {wall / base:6.2f}"
        )


if __name__ == "__main__":
    main()
