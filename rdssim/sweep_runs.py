"""Run scenarios over many seeds (and grid points), in parallel, with results independent of
worker count.

Each (grid point, variant, seed) run is a pure function of its inputs, so the pool may finish
them in any order: the table is sorted back into (point, variant, seed) order before anyone
sees it. A run that raises is a row with its ``error`` (and no metrics): the sweep goes on.
Rows can be handed to ``on_row`` as they finish (the CLI journals them, so an interrupted
sweep resumes), and runs already done (``done``) are not run again.

Workers are spawned processes (a fresh interpreter each: forking a process with threads,
such as the progress bar's, may deadlock) under concurrent.futures, whose pool reports a
worker that dies (an import that fails in it, a crash) instead of waiting for it forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from rdssim.scenario.load import ScenarioSet
from rdssim.sweep_worker import (
    PER_REPLICA_COLUMNS,
    Job,
    exit_with,
    run_chunk,
    run_one,
)

# Scalar summary keys that a sweep tabulates first (one column each, in this order); every
# other scalar key follows.
SWEEP_COLUMNS = (
    "failover_s",
    "detection_s",
    "promotion_s",
    "dns_s",
    "failovers",
    "writer_unavailable_s",
    "client_downtime_s",
    "probe_downtime_s",
    "latency_ok_p50_ms",
    "latency_ok_p99_ms",
    "error_latency_p50_ms",
    "error_latency_p99_ms",
    "db_connections_max",
    "connection_opens",
    "degraded_s",
    "standby_syncing_s",
    "rpo_txns",
    "inflight_lost_txns",
    "two_writers_s",
    "split_brain_txns",
    "promotion_lost_txns",
    "promotion_lost_s",
    "stale_read_p50_s",
    "stale_read_p99_s",
    "ryw_violations",
    "availability",
    "downtime_min_per_year",
    "nines",
    "incidents",
    "longest_outage_s",
    "client_availability",
    "client_downtime_min_per_year",
    "client_nines",
    "client_incidents",
    "client_longest_outage_s",
    "sla_breach_months",
    "sla_breach_probability",
)
# Columns that say which run a row is.
KEY_COLUMNS = ("point", "variant", "seed")


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached (the CLI exits 2 naming --scheduler)."""


@dataclass
class Plan:
    """The runs of a sweep: each grid point's scenario set, and the seeds."""

    points: list[ScenarioSet]
    seeds: Sequence[int]
    grid: list[dict[str, Any]] = field(default_factory=list)
    """Per point, the grid values that made it ({"timings.dns_ttl": "30s"}); empty: no grid."""

    def jobs(self) -> list[Job]:
        return [
            Job(index, scenario, seed)
            for index, scenarios in enumerate(self.points)
            for scenario in scenarios.variants.values()
            for seed in self.seeds
        ]


def sweep(
    scenarios: ScenarioSet | Plan,
    seeds: Sequence[int] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    *,
    done: Iterable[Mapping[str, Any]] = (),
    on_row: Callable[[dict[str, Any]], None] | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """One row per (point, variant, seed), sorted, whatever ``workers`` is. ``done``: rows of
    runs already made (they are not run again); ``on_row`` is called with each new row as
    its run finishes; ``scheduler``: the address of a Dask distributed scheduler to run on
    instead of local processes (the same rows, bit for bit)."""
    plan = scenarios if isinstance(scenarios, Plan) else Plan([scenarios], seeds or [])
    rows = [dict(r) for r in done]
    finished = {(int(r["point"]), str(r["variant"]), int(r["seed"])) for r in rows}
    jobs = [job for job in plan.jobs() if job.key not in finished]

    def take(result: list[dict[str, Any]]) -> None:
        for row in result:
            rows.append(row)
            if on_row:
                on_row(row)
        if progress:
            progress(len(result))

    if scheduler is not None:
        _run_dask(jobs, scheduler, take)
    elif workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            take([run_one(job.scenario, job.seed, job.point)])
    else:
        _run_pool(jobs, workers, take)
    return _table(plan, rows)


def _run_pool(jobs: list[Job], workers: int, take: Callable[[list[dict[str, Any]]], None]) -> None:
    chunks = _chunks(jobs, workers)
    executor = ProcessPoolExecutor(
        min(workers, len(chunks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=exit_with,
        initargs=(os.getpid(),),
    )
    try:
        pending: set[Future[list[dict[str, Any]]]] = {
            executor.submit(run_chunk, chunk) for chunk in chunks
        }
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                take(future.result())  # a worker that died raises BrokenProcessPool here
        executor.shutdown()
    except BaseException:
        # Interrupted or failed: no worker may live on.
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)
        raise


def _chunks(jobs: list[Job], workers: int) -> list[list[Job]]:
    size = max(1, min(25, len(jobs) // (workers * 4) or 1))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _run_dask(
    jobs: list[Job], scheduler: str, take: Callable[[list[dict[str, Any]]], None]
) -> None:
    """On a Dask distributed cluster: the same chunks, gathered as they finish."""
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=10)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerError(f"--scheduler {scheduler}: cannot reach it ({error})") from None
    with client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        futures = client.map(run_chunk, _chunks(jobs, workers), pure=False)
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                take(future.result())
        except BaseException:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise


def _table(plan: Plan, rows: list[dict[str, Any]]) -> pd.DataFrame:
    order: dict[str, int] = {}
    for scenarios in plan.points:
        for name in scenarios.variants:
            order.setdefault(name, len(order))
    rows.sort(key=lambda r: (int(r["point"]), order.get(str(r["variant"]), 0), int(r["seed"])))
    grid_keys = list(plan.grid[0]) if plan.grid else []
    for row in rows:
        for key in grid_keys:
            row[key] = plan.grid[int(row["point"])][key]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    known = [*KEY_COLUMNS, *grid_keys, "error", *SWEEP_COLUMNS]
    replica = replica_columns(plan.points)
    columns = [*known, *replica, *sorted(c for c in seen if c not in known and c not in replica)]
    table = pd.DataFrame(rows, columns=columns)
    if not grid_keys:
        table = table.drop(columns=["point"])
    return table


def replica_columns(points: ScenarioSet | Sequence[ScenarioSet]) -> list[str]:
    """The per-replica columns of a sweep, in scenario order."""
    names: list[str] = []
    for scenarios in [points] if isinstance(points, ScenarioSet) else points:
        for scenario in scenarios.variants.values():
            names += [r.name for r in scenario.deployment.replicas if r.name not in names]
    return [f"{name} {key}" for key in PER_REPLICA_COLUMNS for name in names]


def describe(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-variant count, mean and percentiles of ``column`` (missing values dropped)."""
    values = pd.to_numeric(table[column], errors="coerce")
    grouped = values.groupby(table["variant"], sort=False)
    stats = grouped.describe(percentiles=[0.05, 0.5, 0.95])
    return stats.rename(columns={"5%": "p5", "50%": "p50", "95%": "p95"})[
        ["count", "mean", "p5", "p50", "p95", "min", "max"]
    ]


def variant_stats(
    table: pd.DataFrame, variant: str, columns: Sequence[str]
) -> dict[str, dict[str, float]]:
    """``describe`` of each column for one variant, as plain floats (NaN where never measured)."""
    out: dict[str, dict[str, float]] = {}
    for column in columns:
        row = describe(table, column).loc[variant]
        out[column] = {str(key): float(cast(float, value)) for key, value in row.items()}
    return out


def share_within(table: pd.DataFrame, column: str, low: float, high: float) -> dict[str, float]:
    """Per-variant share of runs with ``low <= value <= high`` (a missing value is outside)."""
    inside = table[column].between(low, high)
    shares = inside.groupby(table["variant"], sort=False).mean()
    return {str(k): float(v) for k, v in shares.items()}
