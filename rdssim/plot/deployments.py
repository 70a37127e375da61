"""Deployments side by side: one panel per metric, one box per deployment type, over the
same seeds (rdssim.comparison). Drawn from the comparison's table alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rdssim.comparison import COMPARE_METRICS, METRIC_LABELS
from rdssim.plot.figure import save_png, target_figure

BOX_GID = "compare-box:{}:{}"


def plot_deployments(
    table: pd.DataFrame,
    kinds: Sequence[str],
    path: Path | None = None,
    *,
    fig: Figure | None = None,
) -> Figure:
    """Boxes (quartiles, whiskers 5-95%, the median marked) of each metric per deployment;
    a deployment that never measures a metric (no failover on Single-AZ) says so. ``fig``:
    an empty Figure to draw on (resized to fit) instead of a new one."""
    fig = target_figure(fig, figsize=(2.9 * len(COMPARE_METRICS), 3.6))
    axes = fig.subplots(1, len(COMPARE_METRICS))
    seeds = table["seed"].nunique()
    for ax, metric in zip(axes, COMPARE_METRICS, strict=True):
        data, names = [], []
        for kind in kinds:
            values = table.loc[table["variant"] == kind, metric].to_numpy(dtype=float)
            data.append(values[~np.isnan(values)])
            names.append(kind)
        shown = [d if d.size else np.array([np.nan]) for d in data]
        boxes = ax.boxplot(shown, whis=(5, 95), showfliers=False, patch_artist=True)
        for kind, box, values in zip(kinds, boxes["boxes"], data, strict=True):
            box.set_gid(BOX_GID.format(metric, kind))
            box.set_facecolor("#c9daf8" if values.size else "#f3f3f3")
        for i, values in enumerate(data, start=1):
            if not values.size:
                ax.text(
                    i,
                    0.5,
                    "never\nmeasured",
                    ha="center",
                    va="center",
                    transform=ax.get_xaxis_transform(),
                    fontsize=8,
                    color="#777777",
                )
        # From zero: the boxes compare by size, not by where an axis happens to start. When
        # the medians span more than a decade (seconds beside tens of minutes), a symlog
        # axis keeps the small ones readable; linear below 1.
        top = max((float(d.max()) for d in data if d.size), default=0.0)
        medians = [float(np.median(d)) for d in data if d.size and np.median(d) > 0]
        if medians and max(medians) > 10 * min(medians):
            ax.set_yscale("symlog", linthresh=1.0)
            ax.set_ylim(0.0, top * 1.5)
        else:
            ax.set_ylim(0.0, top * 1.08 if top > 0 else 1.0)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=20, ha="right", fontsize=8)
        ax.set_title(METRIC_LABELS[metric], fontsize=10)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    fig.suptitle(f"the same failures on each deployment ({seeds} seeds)", fontsize=11)
    return save_png(fig, path)
