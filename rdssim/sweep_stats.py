"""Statistics users can act on from a sweep: percentiles with bootstrap confidence intervals,
and the paired difference between variants run on the same seeds (common random numbers).

Intervals are percentile bootstraps (scipy.stats.bootstrap) with a fixed generator, so the
same table always gives the same intervals. A variant's change against the first variant is
paired by seed: the two runs of a seed met the same failures, so their difference carries
none of the failures' own spread, and its interval is narrower than that of two independent
samples.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

FloatArray = npt.NDArray[np.float64]

QUANTILES = (0.50, 0.90, 0.99)
CONFIDENCE = 0.95
RESAMPLES = 2000
BOOTSTRAP_SEED = 20_260_101


@dataclass(frozen=True)
class Estimate:
    """A statistic and its confidence interval (None where there are too few values)."""

    value: float
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


def _bootstrap(
    data: tuple[FloatArray, ...], statistic: object, *, paired: bool = False
) -> tuple[float | None, float | None]:
    if data[0].size < 2:
        return None, None
    with warnings.catch_warnings():
        # All values equal: the interval is that value (scipy warns that it is degenerate).
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            data,
            statistic,
            paired=paired,
            vectorized=True,
            n_resamples=RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            random_state=np.random.default_rng(BOOTSTRAP_SEED),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, None
    return low, high


def quantile(values: Sequence[float] | FloatArray, q: float) -> Estimate | None:
    """The q-quantile of ``values`` (NaN dropped) with its bootstrap interval."""
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return None

    def statistic(sample: FloatArray, axis: int = -1) -> FloatArray:
        return np.quantile(sample, q, axis=axis)

    low, high = _bootstrap((data,), statistic)
    return Estimate(float(np.quantile(data, q)), low, high)


@dataclass(frozen=True)
class PairedChange:
    """Variant against baseline on the same seeds: the mean difference, and the relative
    change of the mean (None when the baseline's mean is 0)."""

    pairs: int
    baseline_mean: float
    variant_mean: float
    difference: Estimate
    relative: Estimate | None


def paired_change(baseline: FloatArray, variant: FloatArray) -> PairedChange | None:
    """Pairs where both runs have a value; None without any."""
    a, b = np.asarray(baseline, dtype=np.float64), np.asarray(variant, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return None

    def difference(x: FloatArray, y: FloatArray, axis: int = -1) -> FloatArray:
        change: FloatArray = np.mean(y, axis=axis) - np.mean(x, axis=axis)
        return change

    def relative(x: FloatArray, y: FloatArray, axis: int = -1) -> FloatArray:
        base = np.mean(x, axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            change: FloatArray = np.where(base != 0, (np.mean(y, axis=axis) - base) / base, np.nan)
        return change

    low, high = _bootstrap((a, b), difference, paired=True)
    diff = Estimate(float(b.mean() - a.mean()), low, high)
    rel = None
    if a.mean() != 0:
        r_low, r_high = _bootstrap((a, b), relative, paired=True)
        rel = Estimate(float((b.mean() - a.mean()) / a.mean()), r_low, r_high)
    return PairedChange(int(a.size), float(a.mean()), float(b.mean()), diff, rel)


def metric_columns(table: pd.DataFrame, candidates: Sequence[str]) -> list[str]:
    """The candidate columns that hold a number in some row."""
    out = []
    for column in candidates:
        if column in table:
            values = pd.to_numeric(table[column], errors="coerce")
            if values.notna().any():
                out.append(column)
    return out


def group_quantiles(
    table: pd.DataFrame, columns: Sequence[str]
) -> dict[str, dict[str, Estimate | None]]:
    """For each column: p50, p90 and p99 with intervals (keys "p50", "p90", "p99")."""
    out: dict[str, dict[str, Estimate | None]] = {}
    for column in columns:
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        out[column] = {f"p{round(q * 100)}": quantile(values, q) for q in QUANTILES}
    return out


def paired_by_seed(
    table: pd.DataFrame, baseline: str, variant: str, column: str
) -> PairedChange | None:
    """``variant`` against ``baseline`` on ``column``, paired by seed."""
    left = table[table["variant"] == baseline].set_index("seed")[column]
    right = table[table["variant"] == variant].set_index("seed")[column]
    joined = pd.concat([left.rename("a"), right.rename("b")], axis=1, join="inner")
    a = pd.to_numeric(joined["a"], errors="coerce").to_numpy(dtype=np.float64)
    b = pd.to_numeric(joined["b"], errors="coerce").to_numpy(dtype=np.float64)
    return paired_change(a, b)


@dataclass(frozen=True)
class BreachRate:
    """Months below the SLA over every run of a group, and the probability that a month
    breaches it with its exact (Clopper-Pearson) 95% interval."""

    sla_percent: float
    breaches: int
    months: int
    probability: Estimate


def breach_rate(table: pd.DataFrame) -> BreachRate | None:
    """Pooled over the runs' whole months (None without an SLA or a whole month)."""
    if "sla_breach_months" not in table or "months" not in table:
        return None
    breaches = pd.to_numeric(table["sla_breach_months"], errors="coerce")
    months = pd.to_numeric(table["months"], errors="coerce")
    keep = breaches.notna() & months.notna()
    k, n = int(breaches[keep].sum()), int(months[keep].sum())
    if n == 0:
        return None
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    sla = float(pd.to_numeric(table["sla_percent"], errors="coerce").dropna().iloc[0])
    return BreachRate(sla, k, n, Estimate(k / n, float(interval.low), float(interval.high)))
