"""A sweep's figures, drawn from its table alone: the ECDF of each metric per variant, and
with a grid, each metric's median (with its 95% bootstrap interval) against the grid value."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

from rdssim.plot.figure import save_png, target_figure
from rdssim.sweep_stats import quantile

ECDF_GID = "sweep-ecdf:{}:{}"


def _values(table: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    finite: npt.NDArray[np.float64] = values[np.isfinite(values)]
    return finite


def _panels(count: int, fig: Figure | None) -> tuple[Figure, npt.NDArray[Any]]:
    columns = min(3, count)
    rows = -(-count // columns)
    fig = target_figure(fig, figsize=(4.2 * columns, 3.2 * rows))
    return fig, np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()


def _finish(
    fig: Figure, axes: npt.NDArray[Any], used: int, title: str, path: Path | None
) -> Figure:
    for ax in axes[used:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if len(labels) > 1:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
    fig.suptitle(title)
    return save_png(fig, path)


def plot_ecdf(
    table: pd.DataFrame,
    metrics: Sequence[str],
    title: str,
    path: Path | None = None,
    *,
    fig: Figure | None = None,
) -> Figure:
    """One panel per metric: the share of runs at or below each value, one line per variant
    (and grid point). ``fig``: an empty Figure to draw on (resized) instead of a new one."""
    fig, axes = _panels(len(metrics), fig)
    groups = ["point", "variant"] if "point" in table else ["variant"]
    for ax, metric in zip(axes, metrics, strict=False):
        for key, group in table.groupby(groups, sort=False):
            values = np.sort(_values(group, metric))
            if not values.size:
                continue
            label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            shares = np.arange(1, values.size + 1) / values.size
            (line,) = ax.step(values, shares, where="post", label=label)
            line.set_gid(ECDF_GID.format(metric, label))
        ax.set_title(metric, fontsize=10)
        ax.set_ylabel("share of runs")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    return _finish(fig, axes, len(metrics), title, path)


def plot_grid(
    table: pd.DataFrame,
    key: str,
    metrics: Sequence[str],
    title: str,
    path: Path | None = None,
    *,
    fig: Figure | None = None,
) -> Figure:
    """Each metric's median against the grid value, one line per variant, with its 95%
    bootstrap interval. ``fig``: an empty Figure to draw on (resized) instead of a new one."""
    fig, axes = _panels(len(metrics), fig)
    points = list(dict.fromkeys(table[key]))
    x = np.arange(len(points))
    for ax, metric in zip(axes, metrics, strict=False):
        for variant, group in table.groupby("variant", sort=False):
            medians, lows, highs = [], [], []
            for point in points:
                estimate = quantile(_values(group[group[key] == point], metric), 0.5)
                medians.append(np.nan if estimate is None else estimate.value)
                lows.append(np.nan if estimate is None or estimate.low is None else estimate.low)
                highs.append(np.nan if estimate is None or estimate.high is None else estimate.high)
            ax.plot(x, medians, marker="o", label=str(variant))
            ax.fill_between(x, lows, highs, alpha=0.2)
        ax.set_xticks(x, [str(p) for p in points])
        ax.set_xlabel(key)
        ax.set_title(f"{metric} (median, 95% CI)", fontsize=10)
        ax.grid(alpha=0.3)
    return _finish(fig, axes, len(metrics), title, path)
