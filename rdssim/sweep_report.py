"""What a sweep shows and writes: per grid point and variant, the headline metrics' p50, p90
and p99 with 95% bootstrap intervals; each variant's paired change against the first; the
runs as Parquet and CSV; the statistics as JSON; the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rdssim.sweep_runs import Plan, replica_columns
from rdssim.sweep_stats import (
    BreachRate,
    Estimate,
    PairedChange,
    breach_rate,
    group_quantiles,
    metric_columns,
    paired_by_seed,
)

# The metrics a sweep prints (all of them are in runs.parquet); availability ones only for
# runs of a week or more, where a year's extrapolation means something.
SHOWN = (
    "failover_s",
    "writer_unavailable_s",
    "client_downtime_s",
    "rpo_txns",
    "degraded_s",
    "two_writers_s",
    "split_brain_txns",
)
SHOWN_LONG = (
    "downtime_min_per_year",
    "nines",
    "incidents",
    "client_downtime_min_per_year",
    "client_nines",
    "sla_breach_probability",
)
LONG_RUN_S = 7 * 86_400.0
FIGURE_METRICS = 6


def shown_metrics(table: pd.DataFrame, plan: Plan) -> list[str]:
    candidates = list(SHOWN)
    long = "duration_s" in table and (pd.to_numeric(table["duration_s"]) >= LONG_RUN_S).any()
    if long:
        candidates += SHOWN_LONG
    candidates += [c for c in replica_columns(plan.points) if c.endswith("max_lag_s")]
    return metric_columns(table, candidates)


def _groups(table: pd.DataFrame, plan: Plan) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows) per grid point and variant, in the plan's order."""
    out = []
    points = [(0, {})] if not plan.grid else list(enumerate(plan.grid))
    for index, label in points:
        rows = table if not plan.grid else table[table["point"] == index]
        for variant in plan.points[index].variants:
            chosen = rows[rows["variant"] == variant]
            words = [f"{k}={v}" for k, v in label.items()] + (
                [variant] if plan.points[index].has_variants else []
            )
            out.append((", ".join(words), chosen))
    return out


def _cell(estimate: Estimate | None) -> str:
    if estimate is None:
        return "—"
    if estimate.low is None or estimate.high is None:
        return _number(estimate.value)
    return f"{_number(estimate.value)} [{_number(estimate.low)}, {_number(estimate.high)}]"


def _number(value: float) -> str:
    if value != 0 and abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"


def print_sweep(console: Console, table: pd.DataFrame, plan: Plan, name: str) -> None:
    metrics = shown_metrics(table, plan)
    seeds = f"seeds {plan.seeds[0]}..{plan.seeds[-1]}"
    for label, rows in _groups(table, plan):
        title = f"{name}" + (f" [{label}]" if label else "") + f" — {seeds}"
        out = Table(title=escape(title), title_justify="left")
        out.add_column("metric", no_wrap=True)
        out.add_column("n", justify="right")
        for q in ("p50", "p90", "p99"):
            out.add_column(f"{q} [95% CI]", justify="right")
        for metric, estimates in group_quantiles(rows, metrics).items():
            n = int(pd.to_numeric(rows[metric], errors="coerce").notna().sum())
            out.add_row(
                metric, f"{n:,}", *(escape(_cell(estimates[q])) for q in ("p50", "p90", "p99"))
            )
        console.print(out)
        rate = breach_rate(rows)
        if rate is not None:
            p = rate.probability
            console.print(
                f"months below the {rate.sla_percent:g}% SLA: {rate.breaches:,} of "
                f"{rate.months:,}; monthly breach probability {p.value:.2%} "
                f"[95% CI {p.low or 0:.2%}, {p.high or 0:.2%}]",
                highlight=False,
                markup=False,
            )
    for title, changes in _paired(table, plan, metrics):
        out = Table(title=escape(title), title_justify="left")
        out.add_column("metric", no_wrap=True)
        out.add_column("pairs", justify="right")
        out.add_column("baseline mean", justify="right")
        out.add_column("variant mean", justify="right")
        out.add_column("change [95% CI]", justify="right")
        out.add_column("relative [95% CI]", justify="right")
        for metric, change in changes.items():
            relative = "—"
            if change.relative is not None:
                r = change.relative
                relative = f"{r.value:+.1%}" + (
                    "" if r.low is None or r.high is None else f" [{r.low:+.1%}, {r.high:+.1%}]"
                )
            out.add_row(
                metric,
                f"{change.pairs:,}",
                _number(change.baseline_mean),
                _number(change.variant_mean),
                escape(_cell(change.difference)),
                escape(relative),
            )
        console.print(out)


def _paired(
    table: pd.DataFrame, plan: Plan, metrics: list[str]
) -> list[tuple[str, dict[str, PairedChange]]]:
    """Each variant against the first, per grid point, paired by seed."""
    out = []
    points = [(0, {})] if not plan.grid else list(enumerate(plan.grid))
    for index, label in points:
        variants = list(plan.points[index].variants)
        if len(variants) < 2:
            continue
        rows = table if not plan.grid else table[table["point"] == index]
        for variant in variants[1:]:
            changes = {}
            for metric in metrics:
                change = paired_by_seed(rows, variants[0], variant, metric)
                if change is not None:
                    changes[metric] = change
            where = ", ".join(f"{k}={v}" for k, v in label.items())
            title = f"{variant} against {variants[0]}, paired by seed" + (
                f" [{where}]" if where else ""
            )
            out.append((title, changes))
    return out


def sweep_document(table: pd.DataFrame, plan: Plan, name: str) -> dict[str, Any]:
    """The printed statistics under stable keys (--format json, and sweep.json)."""
    metrics = shown_metrics(table, plan)
    groups = []
    for label, rows in _groups(table, plan):
        stats = group_quantiles(rows, metrics)
        groups.append(
            {
                "label": label,
                "grid": _grid_of(plan, rows),
                "variant": str(rows["variant"].iloc[0]) if len(rows) else None,
                "runs": len(rows),
                "failed": int(rows["error"].notna().sum()),
                "metrics": {
                    m: {q: (e.to_dict() if e is not None else None) for q, e in s.items()}
                    for m, s in stats.items()
                },
                "sla_breach": _breach_dict(breach_rate(rows)),
            }
        )
    paired = [
        {
            "title": title,
            "metrics": {
                m: {
                    "pairs": c.pairs,
                    "baseline_mean": c.baseline_mean,
                    "variant_mean": c.variant_mean,
                    "difference": c.difference.to_dict(),
                    "relative": c.relative.to_dict() if c.relative else None,
                }
                for m, c in changes.items()
            },
        }
        for title, changes in _paired(table, plan, metrics)
    ]
    return {
        "scenario": name,
        "first_seed": plan.seeds[0],
        "runs": len(plan.seeds),
        "groups": groups,
        "paired": paired,
    }


def _grid_of(plan: Plan, rows: pd.DataFrame) -> dict[str, Any]:
    """The grid values of a group's rows ({} without a grid)."""
    if not plan.grid or not len(rows):
        return {}
    return dict(plan.grid[int(rows["point"].iloc[0])])


def _breach_dict(rate: BreachRate | None) -> dict[str, Any] | None:
    if rate is None:
        return None
    return {
        "sla_percent": rate.sla_percent,
        "breaches": rate.breaches,
        "months": rate.months,
        "probability": rate.probability.to_dict(),
    }


def write_sweep(folder: Path, table: pd.DataFrame, plan: Plan, name: str) -> None:
    """runs.parquet, runs.csv, sweep.json, ecdf.png and, with a grid, grid.png."""
    import json

    from rdssim.plot.sweep import plot_ecdf, plot_grid

    table.to_parquet(folder / "runs.parquet", index=False)
    table.to_csv(folder / "runs.csv", index=False)
    (folder / "sweep.json").write_text(
        json.dumps(sweep_document(table, plan, name), indent=2) + "\n", encoding="utf-8"
    )
    metrics = shown_metrics(table, plan)[:FIGURE_METRICS]
    if metrics:
        plot_ecdf(table, metrics, f"{name}: share of runs at or below", folder / "ecdf.png")
        if plan.grid:
            key = next(iter(plan.grid[0]))
            plot_grid(table, key, metrics, f"{name}: against {key}", folder / "grid.png")
