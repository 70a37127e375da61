"""rdssim from Python: load a scenario, change it, run it, sweep it over seeds, compare
deployments (docs/api.md). The same model, checks and numbers as the ``rdssim`` command.

    >>> import rdssim
    >>> scenario = rdssim.load("multi_az_failover")
    >>> result = rdssim.run(scenario, seed=1)
    >>> round(result.summary["failover_s"], 1)
    75.1
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdssim.bundled import resolve
from rdssim.metrics import Summary, summarize
from rdssim.record import Record
from rdssim.scenario import ScenarioError, ScenarioSet, load_scenario, parse_scenario_text
from rdssim.scenario.schema import Scenario
from rdssim.sim import run as run_scenario

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

ScenarioLike = ScenarioSet | Scenario | str | os.PathLike[str]
"""What the functions take: a loaded scenario set, one variant of one, a file, a bundled
scenario's name or YAML text."""


def load(source: str | os.PathLike[str]) -> ScenarioSet:
    """A scenario set from a file, a bundled scenario's name (``"multi_az_failover"``) or
    YAML text (anything with a line break). Raises ScenarioError, located, on bad input."""
    if isinstance(source, str) and "\n" in source:
        return parse_scenario_text(source)
    if isinstance(source, str) and not source.strip():
        raise ScenarioError(
            "nothing to load: name a scenario file, a bundled scenario or give YAML text",
            file=repr(source),
        )
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            f"load takes a file, a bundled scenario's name or YAML text, not "
            f"{type(source).__name__}"
        )
    return load_scenario(resolve(source))


def _scenario_set(scenario: ScenarioLike) -> ScenarioSet:
    if isinstance(scenario, ScenarioSet):
        return scenario
    if isinstance(scenario, Scenario):
        return ScenarioSet(
            path="<scenario>",
            name=scenario.name,
            description=scenario.description,
            variants={scenario.variant: scenario},
        )
    return load(scenario)


def _variant(scenarios: ScenarioSet, variant: str | None) -> Scenario:
    if variant is None:
        return next(iter(scenarios.variants.values()))
    if variant not in scenarios.variants:
        raise ScenarioError(
            f"no variant {variant!r}; it has {', '.join(scenarios.variants)}",
            file=scenarios.path,
            key_path="variants",
        )
    return scenarios.variants[variant]


@dataclass(frozen=True)
class Result:
    """One run of one variant: its Record (everything that happened) and its Summary."""

    scenario: Scenario
    seed: int
    record: Record

    @cached_property
    def summary(self) -> Summary:
        """The summary keys (docs/summary-keys.md): ``result.summary["failover_s"]``."""
        return summarize(self.record)

    @property
    def events(self) -> pd.DataFrame:
        """The event log, one row per event: time_s, source, kind, rds_event, message,
        detail (as events.csv), and each event's data as a dict."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "time_s": e.time_s,
                    "source": e.source,
                    "kind": e.kind,
                    "rds_event": e.rds_event,
                    "message": e.message,
                    "detail": e.data.get("detail"),
                    "data": dict(e.data),
                }
                for e in self.record.events
            ],
            columns=["time_s", "source", "kind", "rds_event", "message", "detail", "data"],
        )

    @property
    def states(self) -> pd.DataFrame:
        """Every instance's role and state, one row per change: time_s, instance, role,
        state (from time_s on)."""
        import pandas as pd

        return pd.DataFrame(
            [(s.time_s, s.instance, s.role, s.state) for s in self.record.states],
            columns=["time_s", "instance", "role", "state"],
        )

    @property
    def series_names(self) -> list[str]:
        """The names :meth:`series` knows (``applied:db-3``, ``db_connections:db-1``...)."""
        return sorted({b.series for b in self.record.breakpoints})

    def series(self, name: str) -> pd.DataFrame:
        """The piecewise-linear series ``name``: its breakpoints (time_s, value), straight
        lines between them. KeyError, with the names there are, for an unknown one."""
        import pandas as pd

        if name not in self.series_names:
            raise KeyError(f"no series {name!r}; there are: {', '.join(self.series_names)}")
        times, values = self.record.series(name)
        return pd.DataFrame({"time_s": times, "value": values})

    def lag(self, replica: str, times_s: Sequence[float]) -> pd.DataFrame:
        """Seconds ``replica``'s applied data is behind the primary at each of ``times_s``
        (read off the Record's piecewise-linear positions: exact, not sampled; NaN where it
        is undefined)."""
        import numpy as np
        import pandas as pd

        from rdssim.lag import data_lag_s

        names = [info.name for info in self.record.instances if info.is_replica]
        if replica not in names:
            raise KeyError(f"no read replica {replica!r}; there are: {', '.join(names)}")
        times = np.asarray(times_s, dtype=np.float64)
        return pd.DataFrame({"time_s": times, "lag_s": data_lag_s(self.record, replica, times)})

    def plot_timeline(
        self, path: str | os.PathLike[str] | None = None, *, fig: Figure | None = None
    ) -> Figure:
        """Instance lanes, failover phases and the probe (timeline.png);
        on ``fig`` (an empty Figure) if given."""
        from rdssim.plot import plot_timeline

        return plot_timeline(self.record, None if path is None else Path(path), fig=fig)

    def plot_lag(
        self, path: str | os.PathLike[str] | None = None, *, fig: Figure | None = None
    ) -> Figure:
        """Read replicas' lag over time (lag.png);
        on ``fig`` (an empty Figure) if given."""
        from rdssim.plot import plot_lag

        return plot_lag(self.record, None if path is None else Path(path), fig=fig)

    def plot_clients(
        self, path: str | os.PathLike[str] | None = None, *, fig: Figure | None = None
    ) -> Figure:
        """What the client groups saw: requests, errors, latency (clients.png);
        on ``fig`` (an empty Figure) if given."""
        from rdssim.plot import plot_clients

        return plot_clients(self.record, None if path is None else Path(path), fig=fig)

    def plot_connections(
        self, path: str | os.PathLike[str] | None = None, *, fig: Figure | None = None
    ) -> Figure:
        """Connections held and opened per DB instance (connections.png);
        on ``fig`` (an empty Figure) if given."""
        from rdssim.plot import plot_connections

        return plot_connections(self.record, None if path is None else Path(path), fig=fig)

    def _repr_html_(self) -> str:
        """A notebook shows a result as its headline keys."""
        keys = ("failover_s", "writer_unavailable_s", "client_downtime_s", "rpo_txns")
        rows = "".join(
            f"<tr><td>{key}</td><td>{_shown(self.summary[key])}</td></tr>" for key in keys
        )
        title = f"{self.scenario.name} [{self.scenario.variant}], seed {self.seed}"
        return f"<b>{title}</b><table>{rows}</table>"

    def to_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the HTML report of this run (as ``rdssim run --html``); returns its path."""
        from rdssim.html import write

        return write(path, {self.scenario.variant: self.record})


def plot_client_comparison(
    runs: Mapping[str, Result | Record],
    path: str | os.PathLike[str] | None = None,
    *,
    fig: Figure | None = None,
) -> Figure:
    """The variants' client plots side by side, each row on one scale (what ``rdssim run``
    writes as clients_compare.png): ``rdssim.plot_client_comparison(rdssim.run_all(...))``."""
    from rdssim.plot import plot_client_comparison as draw

    return draw(_records(runs), None if path is None else Path(path), fig=fig)


def plot_timelines(
    runs: Mapping[str, Result | Record],
    path: str | os.PathLike[str] | None = None,
    *,
    fig: Figure | None = None,
) -> Figure:
    """The variants' timelines one above the other on the same time ranges (what ``rdssim
    run`` writes as timeline_compare.png): ``rdssim.plot_timelines(rdssim.run_all(...))``."""
    from rdssim.plot import plot_timelines as draw

    return draw(_records(runs), None if path is None else Path(path), fig=fig)


def _records(runs: Mapping[str, Result | Record]) -> dict[str, Record]:
    return {name: run.record if isinstance(run, Result) else run for name, run in runs.items()}


def _shown(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def run(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    variant: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Result:
    """Run one variant (the first, unless ``variant`` names one) on ``seed`` (default: the
    scenario's), with ``overrides`` (dotted paths, as ``--set``) applied first."""
    scenarios = _scenario_set(scenario)
    if overrides:
        scenarios = scenarios.with_overrides(overrides)
    chosen = _variant(scenarios, variant)
    used = chosen.seed if seed is None else seed
    return Result(chosen, used, run_scenario(chosen, used))


def run_all(scenario: ScenarioLike, *, seed: int | None = None) -> dict[str, Result]:
    """Every variant on the same seed (what ``rdssim run`` does), by variant name."""
    scenarios = _scenario_set(scenario)
    return {name: run(scenarios, seed=seed, variant=name) for name in scenarios.variants}


def sweep(
    scenario: ScenarioLike,
    *,
    runs: int = 100,
    seed: int = 0,
    grid: Mapping[str, Sequence[Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Every variant over seeds ``seed`` .. ``seed + runs - 1`` (and, with ``grid``, at
    every combination of its values: ``{"timings.dns_ttl": ["5s", "30s"]}``): one row per
    run with every scalar summary key, as ``rdssim sweep`` writes to runs.parquet; the
    same rows whatever ``workers`` is."""
    from rdssim.sweep_runs import Plan
    from rdssim.sweep_runs import sweep as run_sweep

    scenarios = _scenario_set(scenario)
    if overrides:
        scenarios = scenarios.with_overrides(overrides)
    axes = list((grid or {}).items())
    points, labels = [], []
    for combination in itertools.product(*(values for _, values in axes)):
        label = dict(zip((key for key, _ in axes), combination, strict=True))
        points.append(scenarios.with_overrides(label) if label else scenarios)
        labels.append({key: str(value) for key, value in label.items()})
    plan = Plan(points, range(seed, seed + runs), labels if axes else [])
    return run_sweep(plan, workers=workers)


def compare(
    scenario: ScenarioLike,
    *,
    deployments: Sequence[str] | None = None,
    runs: int = 100,
    seed: int = 0,
    workers: int = 1,
) -> pd.DataFrame:
    """Put the scenario's workload, clients and failures through each deployment type
    (default: all five) on the same seeds: one row per (deployment, seed), the variant
    column naming the deployment, as ``rdssim compare`` tabulates."""
    from rdssim.comparison import comparison_set, parse_deployments
    from rdssim.scenario.schema import DEPLOYMENT_TYPES
    from rdssim.sweep_runs import Plan
    from rdssim.sweep_runs import sweep as run_sweep

    kinds = parse_deployments(",".join(deployments or DEPLOYMENT_TYPES))
    mapped, _ = comparison_set(_scenario_set(scenario), kinds)
    return run_sweep(Plan([mapped], range(seed, seed + runs)), workers=workers)
