"""What the probe client sees of one failover through different DNS caches.

The bundled ``dns_cache_pitfall.yaml`` runs the same failover (same seed: common random
numbers) for a client honouring the record's 5 s TTL, a JDK-style 30 s cache and a cache that
never expires. Checked over many seeds: the TTL client recovers no later than the caching one,
and within one TTL plus one attempt of the DNS flip; the 30 s cache costs at most 30 s more;
the client caching forever never recovers.
"""

from __future__ import annotations

import pytest
from conftest import SCENARIOS, rds

from rdssim.metrics import summarize
from rdssim.plot.reading import outages
from rdssim.record import Record
from rdssim.scenario import load_scenario
from rdssim.sim import run

SEEDS = range(30)
VARIANTS = load_scenario(SCENARIOS / "dns_cache_pitfall.yaml").variants


def recovered_at(record: Record) -> float:
    """When the probe's (only) outage ended."""
    (outage,) = outages(record)
    assert outage.recovered
    return outage.end_s


@pytest.mark.parametrize("seed", SEEDS)
def test_a_ttl_honouring_client_recovers_no_later_than_a_caching_one(seed: int) -> None:
    ttl, jdk = run(VARIANTS["ttl_5s"], seed), run(VARIANTS["jdk_30s"], seed)
    assert rds(ttl, "0049")[0].time_s == rds(jdk, "0049")[0].time_s  # the same failover
    flip = rds(ttl, "0049")[0].time_s
    interval = VARIANTS["ttl_5s"].probe.interval_s
    ttl_s = VARIANTS["ttl_5s"].timings.dns_ttl_s
    connect_timeout = VARIANTS["ttl_5s"].probe.connect_timeout_s
    # An attempt started just before the cache expired may still hit the dead host and wait
    # out its connect timeout; the next one reaches the new primary.
    assert flip <= recovered_at(ttl) <= flip + ttl_s + connect_timeout + interval + 0.1
    assert recovered_at(ttl) <= recovered_at(jdk) <= recovered_at(ttl) + 30.0 + interval + 0.1
    assert summarize(ttl).client_downtime_s <= summarize(jdk).client_downtime_s


def test_a_client_caching_forever_never_recovers() -> None:
    record = run(VARIANTS["forever"], 1)
    summary = summarize(record)
    assert summary.client_recovered is False
    assert summary.failover_s is not None  # RDS did fail over; the client never followed
    # Resolved once, at start-up: the probe and each of the app's cohorts.
    cohorts = VARIANTS["forever"].clients[0].cohort_count
    assert record.meta["dns_lookups"] == 1 + cohorts
    assert {e.time_s for e in record.events if e.kind == "dns-lookup"} == {0.0}
