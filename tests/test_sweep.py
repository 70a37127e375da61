"""Sweeps: same seeds, same table, bit for bit, whatever the number of workers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import rdssim.sweep_worker as sweep_module
from rdssim.cli import app
from rdssim.metrics import summarize
from rdssim.scenario import parse_scenario_text
from rdssim.sim import run
from rdssim.sweep_plan import Journal
from rdssim.sweep_runs import share_within, sweep, variant_stats
from rdssim.sweep_stats import paired_change, quantile

TEXT = """\
name: sweep-check
duration: 15m
deployment:
  type: multi-az-instance
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: standby}
workload:
  phases: [{start: 0s, writes_per_s: 300}]
faults:
  - {at: 3m, kind: host-crash, target: primary}
variants:
  ttl: {}
  forever: {probe: {dns_cache: forever}}
"""


def test_worker_count_does_not_change_results() -> None:
    scenarios = parse_scenario_text(TEXT)
    seeds = list(range(12))
    one = sweep(scenarios, seeds, workers=1)
    two = sweep(scenarios, seeds, workers=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert list(one["variant"]) == ["ttl"] * 12 + ["forever"] * 12
    assert list(one["seed"]) == seeds * 2


def test_variants_share_failures_but_not_client_outcomes() -> None:
    table = sweep(parse_scenario_text(TEXT), list(range(8)))
    ttl = table[table.variant == "ttl"].reset_index(drop=True)
    forever = table[table.variant == "forever"].reset_index(drop=True)
    pd.testing.assert_series_equal(ttl.failover_s, forever.failover_s)
    assert (forever.client_downtime_s > ttl.client_downtime_s).all()


def test_stats_helpers() -> None:
    table = sweep(parse_scenario_text(TEXT), list(range(6)))
    stats = variant_stats(table, "ttl", ["failover_s"])["failover_s"]
    values = table[table.variant == "ttl"].failover_s
    assert stats["count"] == 6
    assert stats["p50"] == float(values.median())
    shares = share_within(table, "failover_s", 0.0, float(values.median()))
    assert shares["ttl"] == 0.5


# -- rows, failures, resume, grid ------------------------------------------------------------
def _file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_a_row_holds_every_scalar_key_of_the_summary() -> None:
    table = sweep(parse_scenario_text(TEXT), [3])
    summary = summarize(run(parse_scenario_text(TEXT).variants["ttl"], 3)).to_dict()
    row = table.iloc[0]
    for key, value in summary.items():
        if isinstance(value, bool | int | float) and not isinstance(value, bool):
            assert row[key] == pytest.approx(value), key
    assert row["error"] is None
    assert {"rpo_txns", "latency_ok_p99_ms", "availability", "nines"} <= set(table.columns)
    assert any(c.startswith("probe_errors.") for c in table.columns)


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sweep_module.run

    def flaky(scenario: object, seed: int) -> object:
        if seed == 2:
            raise ValueError("model bug on seed 2")
        return real(scenario, seed)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep_module, "run", flaky)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["sweep", str(_file(tmp_path)), "--runs", "4", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "2 run(s) raised" in result.output and "model bug on seed 2" in result.output
    table = pd.read_parquet(out / "runs.parquet")
    failed = table[table["error"].notna()]
    assert list(failed["seed"]) == [2, 2]
    assert failed["failover_s"].isna().all()
    assert table[table["error"].isna()]["failover_s"].notna().all()


def test_an_interrupted_sweep_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path)
    args = ["sweep", str(path), "--runs", "6", "--workers", "1"]
    CliRunner().invoke(app, [*args, "--out", str(tmp_path / "whole")])
    whole = pd.read_parquet(tmp_path / "whole" / "runs.parquet")
    real = sweep_module.run
    calls: list[int] = []

    def interrupted(scenario: object, seed: int) -> object:
        if len(calls) == 7:
            raise KeyboardInterrupt
        calls.append(seed)
        return real(scenario, seed)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep_module, "run", interrupted)
    out = tmp_path / "resumed"
    first = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert first.exit_code != 0 and not out.exists()
    journal = Journal.beside(out, path, [], [], range(0, 6))
    assert len(journal.load()) == 7
    calls.clear()
    monkeypatch.setattr(sweep_module, "run", lambda s, seed: calls.append(seed) or real(s, seed))
    second = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert "resuming: 7 of 12" in second.output
    assert len(calls) == 12 - 7
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), whole, check_exact=True)
    assert not journal.path.exists()


def test_a_grid_runs_every_value_and_draws_against_it(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(_file(tmp_path)),
            "--runs",
            "3",
            "--workers",
            "1",
            "--grid",
            "timings.dns_ttl=1s,60s",
            "--set",
            "probe.interval=2s",
            "--out",
            str(out),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "runs.parquet")
    assert list(table["timings.dns_ttl"]) == ["1s"] * 6 + ["60s"] * 6
    assert list(table["point"]) == [0] * 6 + [1] * 6
    assert (out / "grid.png").exists() and (out / "ecdf.png").exists()
    document = json.loads(result.stdout)
    labels = [g["label"] for g in document["groups"]]
    assert labels == [
        "timings.dns_ttl=1s, ttl",
        "timings.dns_ttl=1s, forever",
        "timings.dns_ttl=60s, ttl",
        "timings.dns_ttl=60s, forever",
    ]
    # A longer TTL keeps clients on the dead primary longer: the median downtime grows.
    ttl = {
        g["label"]: g["metrics"]["client_downtime_s"]["p50"]["value"] for g in document["groups"]
    }
    assert ttl["timings.dns_ttl=60s, ttl"] > ttl["timings.dns_ttl=1s, ttl"]


def test_percentile_intervals_cover_the_true_quantile_95_times_in_100() -> None:
    rng = np.random.default_rng(5)
    true_median = np.log(2.0)  # of an exponential with mean 1
    trials = 300
    covered = 0
    for _ in range(trials):
        estimate = quantile(rng.exponential(1.0, 150), 0.5)
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= true_median <= estimate.high
    # Binomial(300, 0.95): sd 1.3%; percentile intervals of a median run a little wide.
    assert 0.91 <= covered / trials <= 0.99


def test_a_paired_change_removes_what_the_pairs_share() -> None:
    rng = np.random.default_rng(1)
    shared = rng.lognormal(4.0, 0.5, 200)  # what each seed's failures cost both variants
    baseline, variant = shared + rng.normal(0, 1, 200), 0.75 * shared + rng.normal(0, 1, 200)
    change = paired_change(baseline, variant)
    assert change is not None and change.relative is not None
    r = change.relative
    assert r.low is not None and r.high is not None
    assert r.low < -0.25 < r.high and r.high - r.low < 0.01
    same = paired_change(baseline, baseline)
    assert same is not None and (same.difference.low, same.difference.high) == (0.0, 0.0)


def test_the_monthly_breach_probability_pools_every_month_with_an_exact_interval() -> None:
    from scipy.stats import beta

    from rdssim.sweep_stats import breach_rate

    table = pd.DataFrame(
        {"sla_breach_months": [0, 1, 2, None], "months": [12, 12, 12, 0], "sla_percent": 99.95}
    )
    rate = breach_rate(table)
    assert rate is not None and (rate.breaches, rate.months) == (3, 36)
    assert rate.probability.value == pytest.approx(3 / 36)
    # Clopper-Pearson from the beta distribution's quantiles.
    assert rate.probability.low == pytest.approx(beta.ppf(0.025, 3, 34))
    assert rate.probability.high == pytest.approx(beta.ppf(0.975, 4, 33))


def test_a_dask_cluster_gives_the_local_rows_bit_for_bit(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    scenarios = parse_scenario_text(TEXT)
    local = sweep(scenarios, list(range(6)), workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = sweep(scenarios, list(range(6)), scheduler=cluster.scheduler_address)
        out = tmp_path / "dask"
        result = CliRunner().invoke(
            app,
            [
                "sweep",
                str(_file(tmp_path)),
                "--runs",
                "6",
                "--executor",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(out),
            ],
        )
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), local, check_exact=True)
