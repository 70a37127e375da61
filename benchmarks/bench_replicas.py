"""Cost of read replicas against write traffic, measured side by side in one run.

DESIGN.md principle 1: replication is a fluid, so a run at 100,000 writes/s must cost what
the same run at 100 writes/s does. Each bundled replica scenario is run with every write rate
and every replica's apply capacity scaled so that its base write rate is 100, 10,000 or
100,000 writes/s (the same pattern of lag, at 1,000 times the traffic), with links wide
enough for the heaviest, and without the probe client (its per-second attempts are the one
per-request cost, measured by bench_run.py). A failover under heavier writes has a longer crash
recovery, hence a few different state changes: the event counts show it. Printed per
scenario: runs per second, SimPy events and Record entries per run, and the wall-time ratio
against the 100 writes/s run (about 1 is the goal).

Usage: python benchmarks/bench_replicas.py [--repeat N] [--runs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rdssim.scenario import Scenario, load_scenario
from rdssim.sim import build

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
CASES = (
    ("replica_lag_after_failover.yaml", "mysql"),
    ("write_spike_lag.yaml", "base"),
    ("promote_replica_under_load.yaml", "under_load"),
)
RATES = (100.0, 10_000.0, 100_000.0)
WIDE_LINK_MIB_PER_S = 1_000_000.0  # no link limits the heaviest case: same state changes


def scaled(scenario: Scenario, base_writes_per_s: float) -> Scenario:
    """Every write rate and apply capacity times base / (the scenario's first rate)."""
    first = next(p.writes_per_s for p in scenario.workload.phases if p.writes_per_s > 0)
    factor = base_writes_per_s / first
    phases = [
        p.model_copy(update={"writes_per_s": p.writes_per_s * factor})
        for p in scenario.workload.phases
    ]
    replicas = [
        r.model_copy(
            update={
                "apply_writes_per_s": r.apply_writes_per_s * factor,
                "link": r.link.model_copy(update={"bandwidth_mib_per_s": WIDE_LINK_MIB_PER_S}),
            }
        )
        for r in scenario.deployment.replicas
    ]
    deployment = scenario.deployment.model_copy(update={"replicas": replicas})
    workload = scenario.workload.model_copy(update={"phases": phases})
    probe = scenario.probe.model_copy(update={"enabled": False})
    return scenario.model_copy(
        update={"workload": workload, "deployment": deployment, "probe": probe}
    )


def timed(scenario: Scenario, runs: int, repeat: int) -> tuple[float, float, float]:
    """(best wall time of ``runs`` runs, SimPy events per run, Record entries per run)."""
    best = float("inf")
    events = entries = 0
    for _ in range(repeat):
        events = entries = 0
        start = time.perf_counter()
        for seed in range(runs):
            sim = build(scenario, seed)
            record = sim.run()
            events += sim.events_processed
            entries += len(record.entries())
        best = min(best, time.perf_counter() - start)
    return best, events / runs, entries / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is kept)")
    parser.add_argument("--runs", type=int, default=20, help="runs per repetition")
    args = parser.parse_args()
    for file, variant in CASES:
        base = load_scenario(SCENARIOS / file).variants[variant]
        print(f"{file} [{variant}], {len(base.deployment.replicas)} replicas")
        base_wall = None
        for rate in RATES:
            wall, events, entries = timed(scaled(base, rate), args.runs, args.repeat)
            base_wall = base_wall or wall
            print(
                f"  {rate:>9,.0f} writes/s  {args.runs / wall:7.1f} runs/s"
                f"  {events:6.0f} events/run  {entries:6.0f} record entries/run"
                f"  ratio {wall / base_wall:5.2f}"
            )


if __name__ == "__main__":
    main()
