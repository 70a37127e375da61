"""Run one scenario over many seeds, in parallel, with results independent of worker count.

Each (variant, seed) run is a pure function of its inputs, so the pool may finish them in any
order: the table is sorted back into (variant, seed) order before anyone sees it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import pandas as pd

from rdssim.metrics import summarize
from rdssim.scenario.load import ScenarioSet
from rdssim.scenario.schema import Scenario
from rdssim.sim import run

# Scalar summary keys that a sweep tabulates (one column each).
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
    "promotion_lost_txns",
    "promotion_lost_s",
    "stale_read_p50_s",
    "stale_read_p99_s",
    "ryw_violations",
)
# Per-replica keys, tabulated as one column per replica: "<replica> max_lag_s".
PER_REPLICA_COLUMNS = ("max_lag_s", "lag_p50_s", "lag_p95_s", "catch_up_s")


def run_one(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Run one variant for one seed; the summary's scalar columns as a row."""
    summary = summarize(run(scenario, seed)).to_dict()
    row: dict[str, Any] = {"variant": scenario.variant, "seed": seed}
    row.update({key: summary[key] for key in SWEEP_COLUMNS})
    for key in PER_REPLICA_COLUMNS:
        for replica in scenario.deployment.replicas:
            row[f"{replica.name} {key}"] = (summary[key] or {}).get(replica.name)
    return row


def _run_chunk(jobs: Sequence[tuple[Scenario, int]]) -> list[dict[str, Any]]:
    return [run_one(scenario, seed) for scenario, seed in jobs]


def _exit_with(parent_pid: int) -> None:
    """Worker initializer: end this worker as soon as the sweep's process is gone.

    A pool's workers outlive a parent that is killed outright (SIGKILL), holding its caller's
    pipes open; a parent that is gone makes this worker an orphan, whose parent id changes.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="rdssim-parent-watch", daemon=True).start()


def sweep(
    scenarios: ScenarioSet,
    seeds: Sequence[int],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per (variant, seed), sorted, whatever ``workers`` is."""
    jobs = [(scenario, seed) for scenario in scenarios.variants.values() for seed in seeds]
    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for job in jobs:
            rows.append(run_one(*job))
            if progress:
                progress(1)
    else:
        size = max(1, min(25, len(jobs) // (workers * 4) or 1))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        # spawn: a fresh interpreter per worker (forking a process with threads, such as the
        # progress bar's, may deadlock).
        context = multiprocessing.get_context("spawn")
        pool = None
        try:
            pool = context.Pool(min(workers, len(chunks)), _exit_with, (os.getpid(),))
            for result in pool.imap(_run_chunk, chunks):
                rows.extend(result)
                if progress:
                    progress(len(result))
            pool.close()
        except BaseException:
            if pool is not None:
                pool.terminate()  # interrupted or failed: no worker may live on
            raise
        finally:
            if pool is not None:
                pool.join()
    order = {name: i for i, name in enumerate(scenarios.variants)}
    rows.sort(key=lambda r: (order[r["variant"]], r["seed"]))
    return pd.DataFrame(
        rows, columns=["variant", "seed", *SWEEP_COLUMNS, *replica_columns(scenarios)]
    )


def replica_columns(scenarios: ScenarioSet) -> list[str]:
    """The per-replica columns of a sweep of ``scenarios``, in scenario order."""
    names: list[str] = []
    for scenario in scenarios.variants.values():
        names += [r.name for r in scenario.deployment.replicas if r.name not in names]
    return [f"{name} {key}" for key in PER_REPLICA_COLUMNS for name in names]


def describe(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-variant count, mean and percentiles of ``column`` (missing values dropped)."""
    grouped = table.groupby("variant", sort=False)[column]
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
