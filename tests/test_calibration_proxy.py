"""With the defaults, RDS Proxy cuts client-observed downtime in a Multi-AZ failover by a
share consistent with AWS's figures (rds-facts.md, "RDS Proxy": "up to 66%"; one test on
RDS for MySQL, 32%), and the proxied downtime matches its closed form over many seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SCENARIOS, only, promoted_at

from rdssim.distributions import Uniform
from rdssim.metrics import summarize
from rdssim.record import Record
from rdssim.scenario import load_scenario
from rdssim.sim import run

BUNDLE = load_scenario(SCENARIOS / "proxy_vs_direct_failover.yaml")
SEEDS = range(120)


def downtime(record: Record) -> float:
    value = summarize(record).client_downtime_s
    assert value is not None
    return value


@pytest.fixture(scope="module")
def runs() -> list[tuple[Record, Record]]:
    return [(run(BUNDLE.variants["direct"], s), run(BUNDLE.variants["proxy"], s)) for s in SEEDS]


def test_the_proxy_cut_matches_the_published_figures(runs: list[tuple[Record, Record]]) -> None:
    cut = np.array([1 - downtime(p) / downtime(d) for d, p in runs])
    assert (cut > 0).all(), "the proxy never makes this failover worse"
    assert (cut <= 0.66).all(), 'AWS: "up to 66%"'
    low, high = np.percentile(cut, [5, 95])
    assert low <= 0.32 <= high, "AWS's RDS for MySQL test (32%) is a typical run"
    assert 0.15 <= float(np.median(cut)) <= 0.40


def test_proxied_downtime_is_promotion_plus_detection(runs: list[tuple[Record, Record]]) -> None:
    """Through the proxy, the app waits from the interruption (0013) to the promotion,
    then the proxy's detection delay, then one transaction: mean E[detection] + 20 ms."""
    extra = []
    for _, proxied in runs:
        extra.append(downtime(proxied) - (promoted_at(proxied) - only(proxied, "0013").time_s))
    detection = BUNDLE.variants["proxy"].proxy.failover_detection
    assert isinstance(detection, Uniform)
    mean = (detection.low_s + detection.high_s) / 2
    sd = (detection.high_s - detection.low_s) / math.sqrt(12)
    tolerance = 4 * sd / math.sqrt(len(extra))
    # + one transaction (20 ms) and the proxy's hop (1 ms) before the first answer.
    assert float(np.mean(extra)) == pytest.approx(mean + 0.021, abs=tolerance + 0.01)
