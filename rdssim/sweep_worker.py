"""What a sweep's worker runs: one (grid point, variant, seed) run to one row of scalars.

Kept apart from :mod:`rdssim.sweep_runs` so that a spawned worker imports the model and its
metrics only, not pandas: starting the workers is part of every sweep's time.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdssim.metrics import summarize
from rdssim.scenario.schema import Scenario
from rdssim.sim import run

# Per-replica keys, tabulated as one column per replica: "<replica> max_lag_s".
PER_REPLICA_COLUMNS = ("max_lag_s", "lag_p50_s", "lag_p95_s", "catch_up_s")
# Keys whose value is a count per kind: one column per kind, "errors_by_kind.refused".
PER_KIND_COLUMNS = ("probe_errors", "errors_by_kind", "client_downtime_by_group")


@dataclass(frozen=True)
class Job:
    """One run of a sweep: which grid point, which variant, which seed."""

    point: int
    scenario: Scenario
    seed: int

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.point, self.scenario.variant, self.seed)


def run_one(scenario: Scenario, seed: int, point: int = 0) -> dict[str, Any]:
    """Run one variant for one seed; its scalar summary keys as a row (a run that raises:
    the row holds its error instead)."""
    row: dict[str, Any] = {"point": point, "variant": scenario.variant, "seed": seed}
    try:
        summary = summarize(run(scenario, seed)).to_dict()
    except Exception as error:  # recorded, not fatal: the sweep goes on
        row["error"] = f"{type(error).__name__}: {error}"
        return row
    row["error"] = None
    for key, value in summary.items():
        if key in PER_REPLICA_COLUMNS:
            for replica in scenario.deployment.replicas:
                row[f"{replica.name} {key}"] = (value or {}).get(replica.name)
        elif key in PER_KIND_COLUMNS:
            for kind, count in sorted((value or {}).items()):
                row[f"{key}.{kind}"] = count
        elif isinstance(value, bool | int | float | str) or value is None:
            row[key] = value
    return row


def run_chunk(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    return [run_one(job.scenario, job.seed, job.point) for job in jobs]


def exit_with(parent_pid: int) -> None:
    """Worker initializer: end this worker as soon as the sweep's process is gone.

    A pool's workers outlive a parent that is killed outright (SIGKILL), holding its caller's
    pipes open; a parent that is gone makes this worker an orphan, whose parent id changes.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="rdssim-parent-watch", daemon=True).start()
