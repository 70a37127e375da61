"""Sweeps: same seeds, same table, bit for bit, whatever the number of workers."""

from __future__ import annotations

import pandas as pd

from rdssim.scenario import parse_scenario_text
from rdssim.sweep import share_within, sweep, variant_stats

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
