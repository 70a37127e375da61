"""Speed of one run, measured side by side with raw SimPy in the same process.

Prints: runs per second of scenarios/multi_az_failover.yaml on one core, SimPy events per run,
the project's events per second against a bare SimPy timeout loop (the ceiling of any SimPy
model), and the cost of the same scenario at 100, 10,000 and 100,000 writes/s (DESIGN.md
principle 1: cost follows state changes, not traffic, so the ratios should be about 1).

Then one run as a user makes it (build, run, summarize), per phase in microseconds, and its
runs per second scaled to a machine where raw SimPy does 1.27 million timeouts/s (the one the
README's figures come from), which factors the machine out of the speed target.

Usage: python benchmarks/bench_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import simpy

from rdssim.metrics import summarize
from rdssim.scenario import Scenario, load_scenario
from rdssim.sim import build

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "multi_az_failover.yaml"
REFERENCE_RAW = 1_267_074
"""Raw SimPy timeouts/s on the machine of the README's figures."""


def best_of(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    """Best wall time of ``repeat`` calls (least disturbed by a noisy machine) and work done."""
    best = float("inf")
    done = 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = work()
        best = min(best, time.perf_counter() - start)
    return best, done


def runs(scenario: Scenario, count: int) -> Callable[[], int]:
    def work() -> int:
        events = 0
        for seed in range(count):
            sim = build(scenario, seed)
            sim.run()
            events += sim.events_processed
        return events

    return work


def phases(scenario: Scenario, count: int, repeat: int) -> tuple[float, float, float]:
    """Seconds per run of build, run and summarize: for each, the best of ``repeat``
    passes over ``count`` seeds."""
    best = [float("inf")] * 3
    clock = time.perf_counter
    for _ in range(repeat):
        spent = [0.0, 0.0, 0.0]
        for seed in range(count):
            start = clock()
            sim = build(scenario, seed)
            built = clock()
            record = sim.run()
            ran = clock()
            summarize(record)
            done = clock()
            spent[0] += built - start
            spent[1] += ran - built
            spent[2] += done - ran
        best = [min(b, s / count) for b, s in zip(best, spent, strict=True)]
    return best[0], best[1], best[2]


def raw_simpy(count: int) -> Callable[[], int]:
    def work() -> int:
        env = simpy.Environment()

        def ticker() -> simpy.events.ProcessGenerator:
            for _ in range(count):
                yield env.timeout(1.0)

        env.process(ticker())
        env.run()
        return count

    return work


def with_rate(scenario: Scenario, writes_per_s: float, probe: bool) -> Scenario:
    phases = [p.model_copy(update={"writes_per_s": writes_per_s}) for p in scenario.workload.phases]
    workload = scenario.workload.model_copy(update={"phases": phases})
    probe_spec = scenario.probe.model_copy(update={"enabled": probe})
    return scenario.model_copy(update={"workload": workload, "probe": probe_spec})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is kept)")
    parser.add_argument("--runs", type=int, default=50, help="runs per repetition")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO).variants["base"]

    run_s, events = best_of(args.repeat, runs(scenario, args.runs))
    raw_s, raw_events = best_of(args.repeat, raw_simpy(events))
    per_run = events / args.runs
    ours = events / run_s
    raw = raw_events / raw_s
    print(f"scenario                 {SCENARIO.name} ({scenario.duration_s:g} s simulated)")
    print(f"runs per second (1 core) {args.runs / run_s:10.1f}")
    print(f"SimPy events per run     {per_run:10.0f}")
    print(f"rdssim events/s          {ours:10.0f}")
    print(f"raw SimPy timeouts/s     {raw:10.0f}")
    print(f"ratio rdssim / raw       {ours / raw:10.3f}")
    print()
    build_s, run_s, summary_s = phases(scenario, args.runs, args.repeat)
    whole_s = build_s + run_s + summary_s
    print("one run as a user makes it: build + run + summarize (best of the repetitions)")
    print(
        f"  build {build_s * 1e6:6.0f} us   run {run_s * 1e6:6.0f} us"
        f"   summarize {summary_s * 1e6:6.0f} us   total {whole_s * 1e6:6.0f} us"
    )
    print(f"  runs per second (1 core)               {1 / whole_s:10.1f}")
    print(
        f"  at raw SimPy {REFERENCE_RAW / 1e6:.2f} M timeouts/s (scaled)   "
        f"{REFERENCE_RAW / raw / whole_s:10.1f}"
    )
    print()
    # Heavier writes mean longer crash recovery, so the probe (1 attempt/s, slower during an
    # outage) makes a different number of events; the model without it shows the pure cost.
    for probe in (True, False):
        title = "with the probe client" if probe else "model only (probe off)"
        print(f"cost against write rate, {title} (ratio: wall time / wall time at 100 writes/s)")
        base_s = None
        for rate in (100.0, 10_000.0, 100_000.0):
            wall, evs = best_of(args.repeat, runs(with_rate(scenario, rate, probe), args.runs))
            base_s = base_s or wall
            print(
                f"  {rate:>9,.0f} writes/s  {args.runs / wall:8.1f} runs/s"
                f"  {evs / args.runs:7.0f} events/run  ratio {wall / base_s:5.2f}"
            )


if __name__ == "__main__":
    main()
