"""Drawing a run's plots, measured beside a plain matplotlib figure in the same process.

Prints, for three bundled runs (a failover alone; with client groups; with read replicas),
the CPU seconds each plot ``rdssim run`` writes takes (built and saved as PNG, as
output.write_plots does), their total, and that total in units of a reference figure (one
line of 3,600 points, saved as the plots are) drawn in the same run, so a slower machine
shows the same ratio. CPU time, not wall time: on a shared machine it is the least
disturbed measure. The first figure of a process also pays matplotlib's import and font
cache: printed apart. Then all the plots ``rdssim run`` draws for each scenario (every
variant's and the side-by-side ones, output.draw_runs), wall time, drawn in one process and
in one per core (rdssim.forked), with their ratio. Issue 16's target: a run's plots in at
most 1 s.

Usage: python benchmarks/bench_plots.py [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

import rdssim
from rdssim.forked import usable_cores
from rdssim.output import draw_runs

RUNS = (
    ("multi_az_failover", None),
    ("proxy_vs_direct_failover", "direct"),
    ("replica_lag_after_failover", "mysql"),
)


def best_of(
    repeat: int, work: Callable[[], object], clock: Callable[[], float] = time.process_time
) -> float:
    """Best time of ``repeat`` calls on ``clock``: CPU time by default, on a shared machine
    the least disturbed measure (wall time also counts the other processes' turns); wall
    time (time.perf_counter) for work spread over processes."""
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        work()
        best = min(best, clock() - start)
    return best


def reference(path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from rdssim.plot.figure import save_png

    fig = Figure(figsize=(12.0, 6.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.linspace(0.0, 600.0, 3600)
    ax.plot(x, np.sin(x / 30.0))
    ax.set_title("reference")
    save_png(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    start = time.perf_counter()
    reference(folder / "first.png")
    print(f"first figure (matplotlib import, fonts): {time.perf_counter() - start:.2f} s")
    unit = best_of(args.repeat, lambda: reference(folder / "reference.png"))
    print(f"reference figure: {unit * 1000:.0f} ms")
    for scenario, variant in RUNS:
        result = rdssim.run(scenario, variant=variant)
        plots: list[tuple[str, Callable[[Path], object]]] = [("timeline", result.plot_timeline)]
        if any(info.is_replica for info in result.record.instances):
            plots.append(("lag", result.plot_lag))
        if result.record.flows:
            plots += [("clients", result.plot_clients), ("connections", result.plot_connections)]
        times = {
            name: best_of(args.repeat, lambda d=draw, n=name: d(folder / f"{n}.png"))
            for name, draw in plots
        }
        total = sum(times.values())
        parts = ", ".join(f"{name} {seconds:.2f}" for name, seconds in times.items())
        label = scenario + (f" [{variant}]" if variant else "")
        print(f"{label}: {parts}; all {total:.2f} s = {total / unit:.1f} reference figures")
    cores = usable_cores()
    for scenario, _ in RUNS:
        records = {name: r.record for name, r in rdssim.run_all(scenario).items()}
        walls = {}
        for workers in (1, cores):
            draw = partial(draw_runs, folder / scenario, records, workers=workers)
            walls[workers] = best_of(args.repeat, draw, time.perf_counter)
        count = len(draw_runs(folder / scenario, records, workers=1))
        print(
            f"{scenario}, all {count} plot{'s' if count != 1 else ''}: 1 process {walls[1]:.2f} s,"
            f" {cores} processes {walls[cores]:.2f} s ({walls[1] / walls[cores]:.2f}x)"
        )


if __name__ == "__main__":
    main()
