"""Client groups and RDS Proxy: connections, DNS, timeouts, queues and what the app saw."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from conftest import MULTI_AZ, SCENARIOS, SINGLE_AZ, only, promoted_at, scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from rdssim.client_metrics import latency_quantile, summarize_clients
from rdssim.connections import class_memory_bytes, default_max_connections
from rdssim.metrics import summarize
from rdssim.mixture import mixture_quantiles
from rdssim.model import direct
from rdssim.model.tcp import REFUSED_AFTER_S, RETRANSMIT_GIVE_UP_S
from rdssim.record import DNS_LOOKUP, PROXY_CLIENTS, Flow, Record
from rdssim.scenario import load_scenario
from rdssim.sim import build, run

STORM = load_scenario(SCENARIOS / "connection_storm.yaml")
PROXY_VS_DIRECT = load_scenario(SCENARIOS / "proxy_vs_direct_failover.yaml")


def clients_yaml(group: str, *, fault: str, proxy: bool = False, extra: str = "") -> str:
    return (
        "name: c\nduration: 15m\n" + MULTI_AZ + f"clients:\n  - {group}\n"
        f"faults:\n  - {fault}\n" + ("proxy: {enabled: true}\n" if proxy else "") + extra
    )


def probe_off_yaml(
    name: str, duration: str, deployment: str, group: str, faults: str, extra: str = ""
) -> str:
    """One client group and ``faults`` (a flow list), the probe off: the group's own
    attempts and lookups alone."""
    return (
        f"name: {name}\nduration: {duration}\n{deployment}clients:\n  - {group}\n"
        f"probe: {{enabled: false}}\nfaults: {faults}\n{extra}"
    )


def with_max_connections(text: str, limit: int) -> str:
    setting = f"type: multi-az-instance\n  max_connections: {limit}"
    return text.replace("type: multi-az-instance", setting)


def offered(record: Record, group: str) -> float:
    return sum(f.requests for f in record.flows if f.group == group)


def last_failure_answer_s(record: Record, group: str) -> float:
    """When the last failed request of ``group`` got its error."""
    fails = [f for f in record.flows if f.group == group and f.outcome == "fail"]
    return max(f.end_s + f.latency_end_s for f in fails)


# -- conservation and limits -------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("bundle", [STORM, PROXY_VS_DIRECT], ids=["storm", "proxy_vs_direct"])
def test_every_offered_request_is_answered_once(bundle: object, seed: int) -> None:
    for variant in bundle.variants.values():  # type: ignore[attr-defined]
        record = run(variant, seed)
        for group in variant.clients:
            expected = group.offered_per_s * (variant.duration_s - group.start_s)
            assert offered(record, group.name) == pytest.approx(expected, rel=1e-9)
        # Per cohort, the segments tile time: no request is counted twice or lost.
        by_cohort: dict[tuple[str, int], list[Flow]] = defaultdict(list)
        for flow in record.flows:
            by_cohort[(flow.group, flow.cohort)].append(flow)
        for (name, _), flows in by_cohort.items():
            group = next(g for g in variant.clients if g.name == name)
            per_cohort = group.offered_per_s / group.cohort_count
            expected = per_cohort * (variant.duration_s - group.start_s)
            assert sum(f.requests for f in flows) == pytest.approx(expected, rel=1e-9)
            assert all(f.end_s > f.start_s and f.rate_per_s > 0 for f in flows)


def _connections(record: Record) -> list[float]:
    return [b.value for b in record.breakpoints if b.series.startswith("db_connections:")]


@settings(max_examples=25, deadline=None)
@given(
    instances=st.integers(1, 400),
    pool=st.integers(1, 20),
    limit=st.integers(5, 600),
    kind=st.sampled_from(["pool", "per-request"]),
    proxy=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_connections_never_exceed_the_pools_or_max_connections(
    instances: int, pool: int, limit: int, kind: str, proxy: bool, seed: int
) -> None:
    group = (
        f"{{name: app, kind: {kind}, instances: {instances}, requests_per_s: 2, "
        f"session: 300ms, pool: {{size: {pool}}}, read_timeout: 10s}}"
    )
    fault = "{at: 5m, kind: host-crash, target: primary}"
    text = with_max_connections(clients_yaml(group, fault=fault, proxy=proxy), limit)
    record = run(scenario(text), seed)
    values = _connections(record)
    assert values and max(values) <= limit + 1e-9
    if not proxy and kind == "pool":
        assert max(values) <= instances * pool + 1e-9
    if proxy:
        assert max(values) <= limit  # MaxConnectionsPercent 100 by default


def test_max_connections_follows_the_engine_formula() -> None:
    # db.t3.medium (4 GiB): MySQL {DBInstanceClassMemory/12582880}.
    assert default_max_connections("mysql", "db.t3.medium") == int(
        class_memory_bytes("db.t3.medium") // 12582880
    )
    # Observed on PostgreSQL, 4 GiB (db.t2.medium): 413. Within the reserve assumption.
    assert default_max_connections("postgres", "db.t3.medium") == pytest.approx(413, rel=0.05)
    assert default_max_connections("postgres", "db.r6g.2xlarge") == 5000  # LEAST(..., 5000)
    # MariaDB 10.5+: LEAST({DBInstanceClassMemory/25165760}, 12000), about half of MySQL's.
    assert default_max_connections("mariadb", "db.t3.medium") == int(
        class_memory_bytes("db.t3.medium") // 25165760
    )
    assert default_max_connections("mariadb", "db.r6g.16xlarge") == 12000
    big = default_max_connections("mysql", "db.r6g.xlarge")
    assert big == pytest.approx(2 * default_max_connections("mysql", "db.r6g.large"), abs=1)


# -- the storm --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_storm_is_refused_direct_and_absorbed_by_the_proxy(seed: int) -> None:
    direct = summarize(run(STORM.variants["direct"], seed)).clients
    proxy = summarize(run(STORM.variants["proxy"], seed)).clients
    assert direct is not None and proxy is not None
    limit = direct.max_connections
    assert limit is not None and limit < 1000 * 0.8  # the functions want more than there is
    assert direct.errors_by_kind.get("too-many-connections", 0) > 0
    assert direct.db_connections_max == pytest.approx(limit)
    assert "too-many-connections" not in proxy.errors_by_kind
    assert proxy.db_connections_max is not None and proxy.db_connections_max < limit / 4
    # Every direct invocation opens a connection; the proxy reuses a few.
    assert direct.connection_opens > 100 * proxy.connection_opens


# -- DNS --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_through_the_proxy_the_client_never_resolves_dns_after_start(seed: int) -> None:
    for name, variant in PROXY_VS_DIRECT.variants.items():
        record = run(variant, seed)
        lookups = [e for e in record.events if e.kind == DNS_LOOKUP and e.source == "app"]
        late = [e for e in lookups if e.time_s > variant.clients[0].start_s]
        if name == "proxy":
            assert lookups and not late
            assert {e.data["answer"] for e in lookups} == {"proxy"}
        else:
            assert late  # the direct client follows the failover through DNS
            # Lookups are logged when they change a cohort's answer: each moves to db-2.
            assert {e.data["answer"] for e in late} == {"db-2"}
            cohorts = variant.clients[0].cohort_count
            assert sorted(e.data["cohort"] for e in late) == list(range(cohorts))


DNS_GROUP = (
    "{{name: app, instances: 40, requests_per_s: 5, read_timeout: 10s, connect_timeout: 5s, "
    "dns_cache: {cache}}}"
)


@pytest.mark.parametrize("seed", range(30))
def test_a_ttl_client_recovers_no_later_than_a_caching_one(seed: int) -> None:
    fault = "{at: 5m, kind: host-crash, target: primary}"
    recovered = {}
    for cache in ("ttl", "fixed", "forever"):
        record = run(scenario(clients_yaml(DNS_GROUP.format(cache=cache), fault=fault)), seed)
        recovered[cache] = last_failure_answer_s(record, "app")
    assert recovered["ttl"] <= recovered["fixed"] <= recovered["forever"]
    assert recovered["forever"] >= 14 * 60  # never comes back: fails to the end


# -- timeouts ---------------------------------------------------------------------------


def test_without_a_read_timeout_a_pool_hangs_on_a_dead_host() -> None:
    fault = "{at: 5m, kind: host-crash, target: primary}"
    group = "{name: app, instances: 10, requests_per_s: 5, pool: {size: 5}}"
    hung = run(scenario(clients_yaml(group, fault=fault)), 1)
    errors = {f.error for f in hung.flows if f.outcome == "fail"}
    assert "read-timeout" in errors
    timeouts = [f for f in hung.flows if f.error == "read-timeout"]
    assert {f.latency_start_s for f in timeouts} == {924.6}
    # Only the requests in flight hang; the next find every pooled connection stuck and give
    # up after the pool's connection timeout (HikariCP: 30 s), until the hang ends.
    assert sum(f.requests for f in timeouts) == pytest.approx(10 * 5 * 0.020)
    waits = [f for f in hung.flows if f.error == "pool-timeout"]
    assert waits and {f.latency_start_s for f in waits} == {30.0}
    assert min(f.start_s for f in waits) == pytest.approx(300.0)
    assert max(f.end_s for f in waits) == pytest.approx(900.0)  # the hang outlasts the run
    validated = group.replace("pool: {size: 5}", "pool: {size: 5, validate_on_borrow: true}")
    quick = run(scenario(clients_yaml(validated, fault=fault)), 1)
    # Validation fails a dead connection after 5 s, so the requests that borrow one fail
    # then and the pool reconnects; those already in flight were lent before and still hang.
    quick_timeouts = [f for f in quick.flows if f.error == "read-timeout"]
    assert {f.latency_start_s for f in quick_timeouts if f.start_s >= 300.0} == {5.0}
    assert {f.latency_start_s for f in quick_timeouts if f.start_s < 300.0} == {924.6}
    assert any(f.outcome == "ok" and f.start_s > 300.0 for f in quick.flows)
    assert not any(f.outcome == "ok" and f.start_s > 300.0 for f in hung.flows)


# -- the proxy's queue ------------------------------------------------------------------

LONG_OUTAGE = (
    "name: q\nduration: 30m\n" + SINGLE_AZ + "clients:\n  - GROUP\n"
    "proxy: {enabled: true}\n"
    "faults:\n  - {at: 5m, kind: host-crash, target: primary}\n"
)


@pytest.mark.parametrize("seed", range(5))
def test_borrow_timeouts_start_exactly_when_the_wait_passes_the_bound(seed: int) -> None:
    group = "{name: app, instances: 10, requests_per_s: 5}"
    record = run(scenario(LONG_OUTAGE.replace("GROUP", group)), seed)
    lost = min(s.time_s for s in record.states if s.instance == "db-1" and s.state == "failed")
    timeouts = [f for f in record.flows if f.error == "borrow-timeout"]
    assert timeouts, "a Single-AZ host replacement outlasts the 120 s borrow timeout"
    assert min(f.start_s for f in timeouts) == pytest.approx(lost)
    assert all(f.latency_start_s == f.latency_end_s == 120.0 for f in timeouts)
    # The first borrow-timeout error is answered exactly 120 s after the writer was lost.
    assert min(f.start_s + f.latency_start_s for f in timeouts) == pytest.approx(lost + 120.0)
    # Requests queued less than the bound are served, none waited longer.
    served = [f for f in record.flows if f.outcome == "ok"]
    assert max(max(f.latency_start_s, f.latency_end_s) for f in served) <= 120.0 + 0.05
    for cohort in {f.cohort for f in timeouts}:
        mine = sorted((f for f in record.flows if f.cohort == cohort), key=lambda f: f.start_s)
        last_timeout = max(f.end_s for f in mine if f.error == "borrow-timeout")
        after = next(f for f in mine if f.start_s == last_timeout)
        assert after.outcome == "ok"
        assert after.latency_start_s == pytest.approx(120.0 + after.latency_end_s)


def test_a_short_failover_queues_without_borrow_timeouts() -> None:
    for seed in range(5):
        summary = summarize(run(PROXY_VS_DIRECT.variants["proxy"], seed)).clients
        assert summary is not None
        assert set(summary.errors_by_kind) <= {"cancelled-in-transaction"}


def test_a_client_read_timeout_shorter_than_the_bound_fails_first() -> None:
    group = "{name: app, instances: 10, requests_per_s: 5, read_timeout: 30s}"
    record = run(scenario(LONG_OUTAGE.replace("GROUP", group)), 0)
    errors = {f.error for f in record.flows if f.outcome == "fail"}
    assert "read-timeout" in errors and "borrow-timeout" not in errors
    # Its connection is dropped and reopened: a lookup of the proxy's name, same answer.
    lookups = [e for e in record.events if e.kind == DNS_LOOKUP]
    assert {e.data["answer"] for e in lookups} == {"proxy"}


def test_an_exhausted_proxy_pool_serves_its_share_and_times_out_the_rest() -> None:
    # 100 transactions/s of 1 s need ~100 connections; the proxy may use 20% of 100.
    group = "{name: app, instances: 10, requests_per_s: 10, txn_duration: 1s, pool: {size: 20}}"
    text = (
        "name: x\nduration: 10m\n"
        + MULTI_AZ.replace(
            "type: multi-az-instance", "type: multi-az-instance\n  max_connections: 100"
        )
        + f"clients:\n  - {group}\nproxy: {{enabled: true, max_connections_percent: 20}}\n"
    )
    clients = summarize(run(scenario(text), 0)).clients
    assert clients is not None
    assert clients.db_connections_max == 20
    failed = clients.errors_by_kind["borrow-timeout"]
    assert failed / clients.client_requests == pytest.approx(1 - 20 / 100, rel=1e-6)


# -- what the app saw -------------------------------------------------------------------


def test_through_the_proxy_in_flight_transactions_are_cancelled_not_timed_out() -> None:
    record = run(PROXY_VS_DIRECT.variants["proxy"], 1)
    cancelled = [e for e in record.events if e.kind == "transactions-cancelled"]
    assert len(cancelled) == 1
    # 500 requests/s of 20 ms in flight: about 10.
    assert cancelled[0].data["count"] == pytest.approx(500 * 0.02)
    clients = summarize(record).clients
    assert clients is not None
    assert clients.errors_by_kind == {"cancelled-in-transaction": 10}


@pytest.mark.parametrize("seed", range(10))
def test_proxy_downtime_is_the_promotion_plus_its_detection(seed: int) -> None:
    record = run(PROXY_VS_DIRECT.variants["proxy"], seed)
    # A reboot with failover interrupts the primary as the failover starts (0013).
    shutdown, promoted = only(record, "0013").time_s, promoted_at(record)
    downtime = summarize(record).client_downtime_s
    assert downtime is not None
    # detection ~ Uniform(1 s, 3 s); the answers then take one transaction (+1 ms hop).
    assert promoted - shutdown + 1.0 <= downtime <= promoted - shutdown + 3.0 + 0.05


def test_latency_quantiles_of_a_uniform_mixture() -> None:
    flows = [
        Flow("a", 0, 0.0, 10.0, 1.0, "ok", None, 0.01, 0.01),  # 10 requests at 10 ms
        Flow("a", 0, 10.0, 20.0, 1.0, "ok", None, 10.0, 0.0),  # 10 spread over 0-10 s
    ]
    assert latency_quantile(flows, 0.25) == pytest.approx(0.01)
    assert latency_quantile(flows, 0.75) == pytest.approx(5.0)
    assert latency_quantile(flows, 1.0) == pytest.approx(10.0)


def test_no_client_groups_no_client_keys() -> None:
    record = run(scenario("name: n\nduration: 5m\n" + MULTI_AZ), 0)
    assert summarize_clients(record) is None
    summary = summarize(record).to_dict()
    assert summary["errors_by_kind"] is None and summary["latency_ok_p99_ms"] is None
    assert summary["client_downtime_s"] == summary["probe_downtime_s"]


@pytest.mark.parametrize("seed", range(5))
def test_the_probe_goes_through_the_proxy_when_there_is_one(seed: int) -> None:
    direct = run(PROXY_VS_DIRECT.variants["direct"], seed)
    proxied = run(PROXY_VS_DIRECT.variants["proxy"], seed)
    assert direct.meta["dns_lookups"] and not proxied.meta["dns_lookups"]
    probe_errors = {o.error for o in proxied.operations if o.error is not None}
    assert probe_errors <= {"read-timeout", "cancelled-in-transaction"}  # never refused
    direct_summary, proxied_summary = summarize(direct), summarize(proxied)
    assert direct_summary.probe_downtime_s is not None
    assert proxied_summary.probe_downtime_s is not None
    assert proxied_summary.probe_downtime_s < direct_summary.probe_downtime_s


# -- quiet runs, partial grants, sick storage ---------------------------------------------


def quiet_yaml(group: str) -> str:
    return "name: quiet\nduration: 10m\n" + MULTI_AZ + f"clients:\n  - {group}\nfaults: []\n"


@pytest.mark.parametrize(
    "group",
    [
        "{name: app, instances: 20, requests_per_s: 25}",
        "{name: fn, kind: per-request, instances: 200, requests_per_s: 1, session: 100ms}",
    ],
    ids=["pool", "per-request"],
)
def test_without_a_failure_the_app_sees_no_downtime_and_no_error(group: str) -> None:
    summary = summarize(run(scenario(quiet_yaml(group)), 3))
    clients = summary.clients
    assert clients is not None
    assert summary.client_downtime_s == 0.0
    assert clients.errors_by_kind == {}


def test_a_function_opens_one_connection_per_request_and_no_more() -> None:
    group = "{name: fn, kind: per-request, instances: 200, requests_per_s: 1, session: 100ms}"
    record = run(scenario(quiet_yaml(group)), 4)
    clients = summarize_clients(record)
    assert clients is not None
    assert clients.connection_opens == pytest.approx(offered(record, "fn"), abs=1)


def test_a_pool_short_of_its_size_but_not_of_its_busy_connections_serves_everything() -> None:
    # 10 instances x pool 10 want 100 connections; 25 rps x 20 ms keep 0.5 busy each.
    group = "{name: app, instances: 10, requests_per_s: 25, pool: {size: 10}}"
    record = run(scenario(with_max_connections(quiet_yaml(group), 50)), 5)
    clients = summarize_clients(record)
    assert clients is not None
    assert clients.db_connections_max == pytest.approx(50)
    assert clients.errors_by_kind == {}


@pytest.mark.parametrize("seed", range(3))
def test_nothing_succeeds_on_a_primary_whose_storage_failed(seed: int) -> None:
    group = "{name: app, instances: 10, requests_per_s: 10, read_timeout: 5s, connect_timeout: 2s}"
    fault = "{at: 2m, kind: storage-failure, target: primary}"
    record = run(scenario(clients_yaml(group, fault=fault)), seed)
    promoted = next(e.time_s for e in record.events if e.kind == "failover-promoted")
    assert promoted > 120.0
    # Requests that arrived after the failure and before the promotion all failed.
    for flow in record.flows:
        if flow.outcome == "ok" and flow.rate_per_s > 0:
            assert flow.end_s <= 120.0 + 1e-9 or flow.start_s >= promoted - 1e-9, flow
    errors = {f.error for f in record.flows if 120.0 <= f.start_s < promoted}
    assert errors and errors <= {"read-timeout", "connect-timeout"}


@pytest.mark.parametrize("seed", range(3))
def test_recovered_means_back_to_the_groups_best(seed: int) -> None:
    pitfall = load_scenario(SCENARIOS / "dns_cache_pitfall.yaml").variants
    assert summarize(run(pitfall["ttl_5s"], seed)).client_recovered is True
    assert summarize(run(pitfall["forever"], seed)).client_recovered is False
    # The storm's direct functions are short of connections before and after the failover:
    # back to as short as before is recovered.
    storm = summarize(run(STORM.variants["direct"], seed))
    assert storm.clients is not None and storm.clients.errors_by_kind["too-many-connections"]
    assert storm.client_recovered is True


def proxy_client_connections(record: Record) -> list[float]:
    """The client connections to the proxy once every cohort has joined (after t = 0)."""
    points = [(b.time_s, b.value) for b in record.breakpoints if b.series == PROXY_CLIENTS]
    at_start = [v for t, v in points if t == 0.0][-1]
    return [at_start] + [v for t, v in points if t > 0.0]


@pytest.mark.parametrize("seed", range(3))
def test_the_proxy_closes_idle_pool_connections_unless_the_pool_retires_them_first(
    seed: int,
) -> None:
    # 20 instances x pool 10, 25 rps x 20 ms: 0.5 busy, peaks ceil(0.5 + 3 sqrt 0.5) = 3.
    group = "{name: app, instances: 20, requests_per_s: 25, pool: {size: 10, max_lifetime: 1h}}"
    text = "name: idle\nduration: 3h\n" + MULTI_AZ + f"clients:\n  - {group}\nfaults: []\n"
    text += "proxy: {enabled: true}\n"
    record = run(scenario(text), seed)
    # Each instance's 7 idle connections are open for 30 of every 60 minutes: out of phase,
    # 60 + 140 / 2 are open at any time.
    assert proxy_client_connections(record)[-1] == pytest.approx(130.0, rel=1e-12)
    times, opened = record.series(PROXY_CLIENTS)
    spans = np.diff(np.append(times, record.duration_s))
    assert float(np.sum(opened * spans)) / record.duration_s == pytest.approx(130.0, rel=1e-9)
    # Instances that start later open theirs together: all 200 until the timeout, 60 until
    # the lifetime ends, then 130 (the share) again.
    late = run(scenario(text.replace("max_lifetime: 1h}", "max_lifetime: 1h}, start: 10m")), seed)
    times, opened = late.series(PROXY_CLIENTS)
    levels = {float(t): round(float(v), 9) for t, v in zip(times, opened, strict=True)}
    assert [v for t, v in levels.items() if t >= 600.0] == [200.0, 60.0, 130.0]
    assert list(levels)[-3:] == [600.0, 600.0 + 1800.0, 600.0 + 3600.0]
    summary = summarize(record)
    assert summary.clients is not None and summary.clients.errors_by_kind == {}
    # The default max_lifetime (30 min) retires them before IdleClientTimeout (30 min).
    default = run(scenario(text.replace(", max_lifetime: 1h", "")), seed)
    assert proxy_client_connections(default) == [200.0]


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.floats(0, 100), st.floats(0, 50), st.floats(0.01, 10), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    q=st.floats(0.01, 0.99),
)
def test_mixture_quantiles_invert_the_cdf(
    parts: list[tuple[float, float, float, bool]], q: float
) -> None:
    lo = np.array([a for a, _, _, _ in parts])
    hi = np.array([a + (0.0 if point else width) for a, width, _, point in parts])
    weight = np.array([w for _, _, w, _ in parts])

    def cdf(x: float) -> float:
        spread = hi > lo
        with np.errstate(over="ignore"):  # very narrow uniforms: +-inf, clipped
            share = np.clip((x - lo[spread]) / (hi[spread] - lo[spread]), 0.0, 1.0)
        return float(np.sum(share * weight[spread]) + np.sum(weight[~spread] * (lo[~spread] <= x)))

    x = float(mixture_quantiles(lo, hi, weight, [q])[0])
    target = q * float(weight.sum())
    nudge = 1e-9 * (1 + abs(x))  # the resolution of x itself, in seconds
    assert cdf(x + nudge) >= target * (1 - 1e-12)  # enough mass at or below x
    assert cdf(x - nudge) <= target * (1 + 1e-12)  # and not before


def test_mixture_quantiles_of_one_value_are_that_value() -> None:
    """Steady traffic: every flow of a bin at one latency (zero weights left out): each
    quantile is it, without the search (the fast path of most bins)."""
    lo = np.array([0.02, 0.02, 0.02, 5.0])
    weight = np.array([3.0, 1.0, 2.0, 0.0])
    got = mixture_quantiles(lo, lo.copy(), weight, [0.01, 0.5, 0.99, 1.0])
    assert got.tolist() == [0.02] * 4
    # The same as the search finds once another value has a share.
    assert mixture_quantiles(lo, lo.copy(), np.array([3.0, 1.0, 2.0, 1e-9]), [0.5])[0] == 0.02


# -- connections that stop answering, and answer again ------------------------------------


def conserved(record: Record, text: str) -> None:
    """Every cohort's requests tile time once: rate constant, total as offered."""
    variant = scenario(text)
    for group in variant.clients:
        per_cohort = group.offered_per_s / group.cohort_count
        for cohort in range(group.cohort_count):
            flows = [f for f in record.flows if f.group == group.name and f.cohort == cohort]
            edges = sorted({f.start_s for f in flows} | {f.end_s for f in flows})
            for left, right in itertools.pairwise(edges):
                mid = (left + right) / 2
                rate = sum(f.rate_per_s for f in flows if f.start_s <= mid < f.end_s)
                assert rate == pytest.approx(per_cohort, rel=1e-9), (cohort, left, right)
            assert edges[0] == pytest.approx(group.start_s) and edges[-1] == record.duration_s


@pytest.mark.parametrize("seed", range(3))
def test_a_short_network_loss_stalls_a_pool_until_the_next_retransmission(seed: int) -> None:
    group = "{name: app, instances: 4, requests_per_s: 10, cohorts: 2}"
    fault = "{at: 60s, kind: network-loss, target: primary, duration: 10s}"
    text = clients_yaml(group, fault=fault)
    record = run(scenario(text), seed)
    conserved(record, text)
    assert not [e for e in record.events if e.kind == "failover-promoted"]
    # TCP retransmits at 0.2, 0.6, ..., 6.2, 12.6 s: the first after the 10 s loss gets
    # through 12.6 s after it; the requests queued meanwhile are served then.
    summary = summarize(record)
    assert summary.clients is not None and summary.clients.errors_by_kind == {}
    assert summary.client_downtime_s == pytest.approx(12.6, abs=0.05)
    slowest = max(f.latency_start_s for f in record.flows if f.outcome == "ok")
    # The first in flight arrived one transaction (20 ms) before the loss, then ran its own.
    assert slowest == pytest.approx(0.020 + 12.6 + 0.020)


@pytest.mark.parametrize("seed", range(3))
def test_a_long_network_loss_leaves_pools_stuck_until_their_read_timeout(seed: int) -> None:
    # 3 minutes: RDS fails over and replaces the old primary's host, which never answers on
    # the old connections; the pools give up at their read timeout and follow the DNS.
    group = "{name: app, instances: 4, requests_per_s: 10, cohorts: 2, read_timeout: 20s}"
    fault = "{at: 60s, kind: network-loss, target: primary, duration: 3m}"
    text = clients_yaml(group, fault=fault)
    record = run(scenario(text), seed)
    conserved(record, text)
    flipped = next(e.time_s for e in record.events if e.kind == "failover-completed")
    errors = {f.error for f in record.flows if f.outcome == "fail"}
    assert errors <= {"read-timeout", "connect-timeout"} and "read-timeout" in errors
    timeouts = [f for f in record.flows if f.error == "read-timeout" and f.start_s < 60.0]
    assert {round(f.end_s + f.latency_end_s, 9) for f in timeouts} == {80.0}
    summary = summarize(record)
    assert summary.client_downtime_s is not None
    # Down from the loss to the DNS flip, plus at most a 5 s cache and a 10 s connect timeout.
    assert flipped - 60.0 <= summary.client_downtime_s <= flipped - 60.0 + 16.0
    assert summary.client_recovered is True


@pytest.mark.parametrize("proxy", [False, True], ids=["direct", "proxy"])
def test_requests_stalled_by_suspended_io_are_not_served_by_a_host_that_crashes(
    proxy: bool,
) -> None:
    text = (
        "name: c\nduration: 20m\n" + SINGLE_AZ + "  replicas:\n"
        "    - {name: r1, az: us-east-1c, source: primary}\n"
        "clients:\n  - {name: app, instances: 4, requests_per_s: 10, cohorts: 1,"
        " read_timeout: 100s}\n"
        "actions:\n  - {at: 60s, kind: create-replica, target: r1}\n"
        "faults:\n  - {at: 80s, kind: host-crash, target: primary}\n"
        + ("proxy: {enabled: true}\n" if proxy else "")
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    suspended = next(
        s.time_s for s in record.states if s.instance == "db-1" and s.state == "io-suspended"
    )
    assert suspended < 80.0
    served = [
        f
        for f in record.flows
        if f.outcome == "ok" and f.start_s < 80.0 and f.end_s > suspended + 0.05
    ]
    assert not served, served


def test_a_pool_stalled_by_suspended_io_times_out_after_its_connection_timeout() -> None:
    text = (
        "name: c\nduration: 10m\n" + SINGLE_AZ + "  replicas:\n"
        "    - {name: r1, az: us-east-1c, source: primary}\n"
        "clients:\n  - {name: app, instances: 4, requests_per_s: 25, cohorts: 1}\n"
        "actions:\n  - {at: 60s, kind: create-replica, target: r1}\nfaults: []\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    states = [s for s in record.states if s.instance == "db-1"]
    start = next(s.time_s for s in states if s.state == "io-suspended")
    end = next(s.time_s for s in states if s.time_s > start and s.state != "io-suspended")
    waits = [f for f in record.flows if f.error == "pool-timeout"]
    if end - start > 30.0:
        # Requests that would wait more than HikariCP's 30 s for a free connection fail.
        assert waits and {f.latency_start_s for f in waits} == {30.0}
        assert max(f.end_s for f in waits) == pytest.approx(end - 30.0)
    else:
        assert not waits


def test_a_group_starting_while_the_proxy_has_no_writer_is_counted_once() -> None:
    group = "{name: app, instances: 4, requests_per_s: 10, start: 62s, cohorts: 2}"
    fault = "{at: 60s, kind: host-crash, target: primary}"
    text = clients_yaml(group, fault=fault, proxy=True)
    record = run(scenario(text), 1)
    conserved(record, text)


def test_connections_die_with_their_host_and_stop_counting() -> None:
    # The pools that hang on the crashed host do not hold max_connections on its replacement.
    text = (
        "name: c\nduration: 20m\n"
        + SINGLE_AZ.replace("type: single-az", "type: single-az\n  max_connections: 30")
        + "clients:\n"
        "  - {name: hung, instances: 2, requests_per_s: 10, cohorts: 1, pool: {size: 10}}\n"
        "  - {name: fast, instances: 1, requests_per_s: 10, cohorts: 1, read_timeout: 5s,"
        " pool: {size: 10}}\n"
        "  - {name: late, instances: 1, requests_per_s: 10, cohorts: 1, read_timeout: 5s,"
        " start: 900s, pool: {size: 10}}\n"
        "faults:\n  - {at: 100s, kind: host-crash, target: primary}\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    late = [f for f in record.flows if f.group == "late"]
    assert late and all(f.outcome == "ok" for f in late)


def test_no_read_timeout_outlasts_the_read_timeout_after_a_stall_and_a_crash() -> None:
    text = (
        "name: c\nduration: 20m\n" + SINGLE_AZ + "  replicas:\n"
        "    - {name: r1, az: us-east-1c, source: primary}\n"
        "clients:\n  - {name: app, instances: 4, requests_per_s: 10, cohorts: 1,"
        " txn_duration: 200ms, read_timeout: 5s}\n"
        "actions:\n  - {at: 100s, kind: create-replica, target: r1}\n"
        "faults:\n  - {at: 150s, kind: host-crash, target: primary}\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    # A request waiting for a pooled connection fails with the pool's connect error, at
    # most after the pool's 30 s connection timeout.
    limits = {"read-timeout": 5.0, "pool-timeout": 30.0, "connect-timeout": 30.0}
    for flow in record.flows:
        if flow.error in limits:
            assert max(flow.latency_start_s, flow.latency_end_s) <= limits[flow.error] + 1e-9


def test_a_release_due_when_the_run_ends_is_kept() -> None:
    group = "{name: app, instances: 2, requests_per_s: 10, cohorts: 1}"
    fault = "{at: 888s, kind: network-loss, target: primary, duration: 10s}"
    text = (
        "name: c\nduration: 900s\n" + SINGLE_AZ + f"clients:\n  - {group}\nfaults:\n  - {fault}\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    # The retransmission 12.6 s after the loss gets through at 900.6 s, after the run's end.
    assert all(f.outcome == "ok" for f in record.flows)


def test_the_proxy_cancels_the_transactions_held_by_a_suspended_writer_that_fails() -> None:
    text = (
        "name: c\nduration: 20m\n" + SINGLE_AZ + "  replicas:\n"
        "    - {name: r1, az: us-east-1c, source: primary}\n"
        "clients:\n  - {name: app, instances: 4, requests_per_s: 10, cohorts: 1,"
        " txn_duration: 1s}\n"
        "actions:\n  - {at: 100s, kind: create-replica, target: r1}\n"
        "faults:\n  - {at: 110s, kind: host-crash, target: primary}\n"
        "proxy: {enabled: true}\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    suspended = next(
        s.time_s for s in record.states if s.instance == "db-1" and s.state == "io-suspended"
    )
    assert suspended < 110.0
    cancelled = [f for f in record.flows if f.error == "cancelled-in-transaction"]
    assert sum(f.requests for f in cancelled) == pytest.approx(40 * 1.0)  # 40/s x 1 s
    assert {round(f.end_s, 9) for f in cancelled} == {round(suspended, 9)}
    events = [e for e in record.events if e.kind == "transactions-cancelled"]
    assert events and events[0].time_s == pytest.approx(110.0)


STALL = (
    "name: c\nduration: DURATION\n" + SINGLE_AZ + "  replicas:\n"
    "    - {name: r1, az: us-east-1c, source: primary}\n"
    "clients:\n  - GROUP\n"
    "actions:\n  - {at: 100s, kind: create-replica, target: r1}\n"
    "faults:\n  - FAULT\n"
)


def stall_yaml(group: str, fault: str, duration: str, extra: str = "") -> str:
    text = STALL.replace("DURATION", duration).replace("GROUP", group)
    return text.replace("FAULT", fault) + extra


def test_a_run_ending_during_a_stall_after_a_network_blip_serves_nothing_early() -> None:
    group = "{name: g, instances: 10, requests_per_s: 2, txn_duration: 1s}"
    fault = "{at: 106s, kind: network-loss, target: primary, duration: 10s}"
    text = stall_yaml(group, fault, "150s")
    record = run(scenario(text), 1)
    conserved(record, text)
    assert all(min(f.latency_start_s, f.latency_end_s) >= 0 for f in record.flows)
    # I/O is still suspended when the run ends: nothing that arrived since is served.
    assert not [f for f in record.flows if f.outcome == "ok" and f.end_s > 100.0]


def test_transactions_held_by_the_proxy_give_up_at_the_client_read_timeout() -> None:
    group = "{name: g, instances: 10, requests_per_s: 2, txn_duration: 1s, read_timeout: 5s}"
    text = stall_yaml(
        group, "{at: 120s, kind: host-crash, target: primary}", "600s", "proxy: {enabled: true}\n"
    )
    record = run(scenario(text), 1)
    conserved(record, text)
    held = [f for f in record.flows if f.start_s < 100.0 <= f.end_s + 1e-9 and f.outcome == "fail"]
    assert held and {(f.error, f.latency_start_s) for f in held} == {("read-timeout", 5.0)}
    assert not [f for f in record.flows if f.error == "cancelled-in-transaction"]


def test_functions_whose_host_dies_during_a_stall_open_new_connections() -> None:
    group = (
        "{name: f, kind: per-request, instances: 10, requests_per_s: 1, connect_timeout: 2s,"
        " session: 300ms}"
    )
    text = stall_yaml(group, "{at: 110s, kind: host-crash, target: primary}", "900s")
    record = run(scenario(text), 1)
    conserved(record, text)
    recovered = next(e.time_s for e in record.events if e.kind == "recovery-completed")
    after_crash = {f.error for f in record.flows if f.start_s >= 110.0 and f.end_s <= recovered}
    assert "connect-timeout" in after_crash and "read-timeout" not in after_crash
    assert any(f.outcome == "ok" and f.start_s >= recovered for f in record.flows)


def test_a_crash_an_instant_after_the_start_writes_only_finite_latencies() -> None:
    # The stuck requests of the first 1e-300 s never get an answer: they give up at their
    # limit (an infinite release once became an infinite latency, by the sliver rule).
    group = "{name: app, instances: 4, requests_per_s: 5}"
    text = "name: instant\nduration: 30m\n" + MULTI_AZ + f"clients:\n  - {group}\n"
    record = run(scenario(text + "faults: [{at: 1e-300, kind: host-crash, target: primary}]\n"), 0)
    assert record.flows
    assert all(np.isfinite([f.latency_start_s, f.latency_end_s]).all() for f in record.flows)


def test_retries_into_a_long_outage_cost_per_change_not_per_attempt() -> None:
    # A 2-hour outage of a Single-AZ instance's AZ, retried every few milliseconds: some
    # 2.4 million attempts per cohort, which fail alike: no event each (their back-offs are
    # drawn in batches once the outage is over).
    group = (
        "{name: app, instances: 2, cohorts: 2, requests_per_s: 5, connect_timeout: 2ms,"
        " retry: {base: 1ms, cap: 1ms}}"
    )
    text = "name: long\nduration: 4h\n" + SINGLE_AZ + f"clients:\n  - {group}\n"
    text += "faults: [{at: 1h, kind: az-outage, az: us-east-1a, duration: 2h}]\n"
    sim = build(scenario(text), 0)
    record = sim.run()
    assert sim.events_processed < 2_000
    summary = summarize(record)
    assert summary.clients is not None
    outage_s = summary.clients.client_downtime_by_group["app"]
    assert 2 * 3600 <= outage_s <= 2 * 3600 + 3600  # the outage, then the instance's recovery
    # Every attempt looked its name up once its 5 s answer had expired: some 1,440 lookups
    # per cohort over the outage, counted without logging one event each.
    assert record.meta["dns_lookups"] >= 2 * 2 * 3600 / 5


def test_an_outage_lasting_to_the_end_counts_its_lookups() -> None:
    # The attempts of an outage the run ends in are worked out at the end too: each of the
    # two cohorts looked its 5 s answer up once at the start, then once per 5 s (and a
    # millisecond) from the TCP give-up on its dead connections to the end of the run.
    group = (
        "{name: app, instances: 2, cohorts: 2, requests_per_s: 5, connect_timeout: 2ms,"
        " retry: {base: 1ms, cap: 1ms}}"
    )
    faults = "[{at: 1h, kind: az-outage, az: us-east-1a, duration: 5h}]"
    record = run(scenario(probe_off_yaml("long", "4h", SINGLE_AZ, group, faults)), 0)
    failing_s = 4 * 3600 - (3600 + RETRANSMIT_GIVE_UP_S)
    assert record.meta["dns_lookups"] == pytest.approx(2 + 2 * failing_s / 5, rel=0.002)


def test_cohorts_failing_against_the_writer_sleep_through_a_replicas_changes() -> None:
    # While the primary's AZ is dark, a replica elsewhere loses its network again and
    # again: the cohorts' attempts cannot fail otherwise, so they fail exactly as without
    # the replica's faults, and are not woken: 200 cohorts cost no more events for the
    # replica's 16 changes than one cohort does.
    def outage(cohorts: int, replica_faults: int) -> tuple[int, dict[str, float]]:
        group = (
            f"{{name: app, instances: 200, cohorts: {cohorts}, requests_per_s: 5,"
            " read_timeout: 10s}"
        )
        text = (
            "name: blips\nduration: 2h\n"
            + SINGLE_AZ
            + "  replicas: [{name: r1, az: us-east-1b}]\n"
            + f"clients:\n  - {group}\n"
            + "faults:\n  - {at: 10m, kind: az-outage, az: us-east-1a, duration: 1h}\n"
        )
        for i in range(replica_faults):
            text += f"  - {{at: {20 + 5 * i}m, kind: network-loss, target: r1, duration: 1m}}\n"
        sim = build(scenario(text), 0)
        summary = summarize(sim.run())
        assert summary.clients is not None
        return sim.events_processed, summary.clients.client_downtime_by_group

    extra_events = {}
    for cohorts in (1, 200):
        quiet_events, quiet_downtime = outage(cohorts, 0)
        blips_events, blips_downtime = outage(cohorts, 8)
        assert blips_downtime == quiet_downtime
        extra_events[cohorts] = blips_events - quiet_events
    assert 0 < extra_events[200] < extra_events[1] + 200  # not 200 per change


@pytest.mark.parametrize("cap", ["1ms", "5s"])
def test_leaping_over_a_long_outage_matches_drawing_every_attempt(
    cap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Drawn one by one (the leap switched off) and leapt over after 100 attempts, the same
    # outage ends at the same change: the downtime agrees to within one attempt's spacing,
    # the lookups to within a percent.
    group = (
        "{name: app, instances: 2, cohorts: 2, requests_per_s: 5, connect_timeout: 2ms,"
        f" retry: {{base: 1ms, cap: {cap}}}}}"
    )
    text = "name: long\nduration: 4h\n" + SINGLE_AZ + f"clients:\n  - {group}\n"
    text += "faults: [{at: 1h, kind: az-outage, az: us-east-1a, duration: 2h}]\n"
    results = []
    for exact in (10**12, 100):
        monkeypatch.setattr(direct, "_EXACT_ATTEMPTS", exact)
        record = run(scenario(text), 0)
        summary = summarize(record)
        assert summary.clients is not None
        results.append(
            (summary.clients.client_downtime_by_group["app"], record.meta["dns_lookups"])
        )
    (drawn_s, drawn_lookups), (leapt_s, leapt_lookups) = results
    assert leapt_s == pytest.approx(
        drawn_s, abs=float(cap.removesuffix("ms").removesuffix("s")) + 0.01
    )
    assert leapt_lookups == pytest.approx(drawn_lookups, rel=0.01)


@pytest.mark.parametrize(
    ("connect", "ttl"), [("2ms", "3ms"), ("2ms", "5ms"), ("2ms", "8ms"), ("20ms", "250ms")]
)
def test_leapt_lookups_through_a_cache_about_as_long_as_the_spacing(
    connect: str, ttl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Attempts 2-3 ms apart (a 2 ms connect timeout, then up to 1 ms of back-off) through a
    # cache of a few ms: the next lookup is made by the first attempt after the expiry,
    # which the renewal residual of a long cache got wrong by up to 17% (3 ms: 4.27 ms
    # between lookups against 5.0). Leapt over, the count agrees with drawing every attempt.
    # 20-21 ms apart through a 250 ms cache: nearly even spacings, step-like for many of
    # them (the residual was 2% off there).
    group = (
        f"{{name: app, instances: 2, cohorts: 2, requests_per_s: 5, connect_timeout: {connect},"
        " read_timeout: 1s, retry: {base: 1ms, cap: 1ms}}"
    )
    faults = "[{at: 10m, kind: az-outage, az: us-east-1a, duration: 20m}]"
    text = probe_off_yaml("short", "1h", SINGLE_AZ, group, faults, f"timings: {{dns_ttl: {ttl}}}\n")
    lookups = []
    for exact in (10**12, 100):
        monkeypatch.setattr(direct, "_EXACT_ATTEMPTS", exact)
        lookups.append(run(scenario(text), 0).meta["dns_lookups"])
    drawn, leapt = lookups
    assert drawn > 2 * 19 * 60 / 0.3  # a lookup every few ms (or 250) for 20 min, two cohorts
    assert leapt == pytest.approx(drawn, rel=0.005)


def test_a_cache_holding_the_old_primary_looks_up_at_its_expiry_after_a_leap() -> None:
    # A JVM-style 5 min cache holds db-1 through a reboot with failover; retrying every few
    # ms, the client makes thousands of attempts (leapt over) before the cache expires.
    # The leap counts no lookup before that expiry, so the first attempt after it gets
    # db-2: 300 s without the database, not the rest of the hour (it had been 55 min).
    group = (
        "{name: app, instances: 1, requests_per_s: 5, dns_cache: fixed,"
        " dns_cache_for: 5m, retry: {base: 1ms, cap: 50ms}}"
    )
    text = probe_off_yaml("stale", "1h", MULTI_AZ, group, "[{at: 5m, kind: reboot-with-failover}]")
    for seed in range(3):
        summary = summarize(run(scenario(text), seed))
        assert summary.clients is not None
        assert summary.clients.client_downtime_by_group["app"] == pytest.approx(300.0, abs=1.0)


@pytest.mark.parametrize("seed", [10, 17])
def test_a_leap_keeps_the_caches_expiry_where_it_was(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 5 min cache holding the right answer, thousands of fast retries leapt over, then a
    # failover: the cache expires when it would have, so the client sees the new answer
    # when drawing every attempt would (the leap once moved the expiry to where it landed,
    # and these seeds were down 29 s and 46 s longer).
    group = (
        "{name: fn, kind: per-request, instances: 1, requests_per_s: 5, connect_timeout: 2ms,"
        " dns_cache: fixed, dns_cache_for: 5m, retry: {base: 1ms, cap: 1ms}}"
    )
    crash = "[{at: 10s, kind: host-crash, target: db-1}]"
    text = probe_off_yaml("phase", "1h", MULTI_AZ, group, crash)
    downtimes = []
    for exact in (10**12, 4096):
        monkeypatch.setattr(direct, "_EXACT_ATTEMPTS", exact)
        summary = summarize(run(scenario(text), seed))
        assert summary.clients is not None
        downtimes.append(summary.clients.client_downtime_by_group["fn"])
    assert downtimes[1] == pytest.approx(downtimes[0], abs=0.5)


def test_a_zero_ttl_looks_up_at_every_attempt() -> None:
    # dns_ttl: 0s: each attempt resolves the name again (the replay once looped forever on
    # an expiry equal to the attempt's start).
    group = (
        "{name: fn, kind: per-request, instances: 1, requests_per_s: 1,"
        " connect_timeout: 1s, retry: {base: 1s, cap: 1s}}"
    )
    loss = "[{at: 5m, kind: network-loss, target: db-1, duration: 5m}]"
    text = probe_off_yaml("ttl0", "30m", SINGLE_AZ, group, loss, "timings: {dns_ttl: 0s}\n")
    record = run(scenario(text), 0)
    # Attempts fail after the connect timeout (1 s) while the network is out, at once
    # (refused) while the instance recovers, each then backs off U(0, 1 s).
    took_s = {"connect-timeout": 1.0, "refused": REFUSED_AFTER_S}
    attempts = sum(
        (f.end_s - f.start_s) / (took_s[f.error] + 0.5) for f in record.flows if f.error in took_s
    )
    assert attempts > 300
    assert record.meta["dns_lookups"] - 1 == pytest.approx(attempts, rel=0.05)


def test_fast_errors_do_not_pull_the_latency_of_successes_down() -> None:
    # Refused for 40 s during a failover (1 ms each): the successes keep their latency, the
    # errors have theirs apart.
    record = run(PROXY_VS_DIRECT.variants["direct"], 1)
    summary = summarize_clients(record)
    assert summary is not None and summary.errors_by_kind["refused"] > 10_000
    assert summary.latency_ok_p50_ms == pytest.approx(20.0)  # txn_duration: 20 ms
    assert summary.latency_ok_p99_ms == pytest.approx(20.0)
    assert summary.error_latency_p50_ms == pytest.approx(1.0)  # refused after 1 ms
    # Over the outage alone, all requests together would read 1 ms: refused ones only.
    outage = [f for f in record.flows if f.error == "refused"]
    assert outage and latency_quantile(outage, 0.99) == pytest.approx(0.001)
