# ruff: noqa: E501  (the cells' prose keeps the line breaks of the notebooks it was written for)
"""Write the teaching notebooks (01-05) from the cells below, without outputs.

Run it after changing a cell: ``python notebooks/make_notebooks.py && ruff format
notebooks``. The tests run every
notebook top to bottom (nbmake); each asserts the numbers its prose states.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

ANATOMY = [
    (
        "md",
        """# 1. Anatomy of a Multi-AZ failover

A Multi-AZ DB instance keeps a synchronous standby in another Availability Zone. When the
primary's host dies, RDS notices, promotes the standby and points the instance endpoint's
DNS name at it. This notebook follows one such failover, phase by phase, and compares what
RDS reports with what a client sees.""",
    ),
    (
        "code",
        """import rdssim

result = rdssim.run("multi_az_failover", seed=1)
s = result.summary
print(f"failover {s['failover_s']:.1f} s = detection {s['detection_s']:.1f} s "
      f"+ promotion {s['promotion_s']:.1f} s + DNS {s['dns_s']:.1f} s")
assert abs(s["detection_s"] + s["promotion_s"] + s["dns_s"] - s["failover_s"]) < 1e-6
assert 60 <= s["failover_s"] <= 120  # AWS: "typically 60-120 seconds\"""",
    ),
    (
        "md",
        """**Detection** is the health checks missing their answers until the control plane
declares the primary failed; **promotion** is the standby's crash recovery and opening as
the primary; **DNS** is the endpoint's record changing. The timeline shows the same run:
one lane per instance, the failover's phases shaded, and the probe (a 1-second "connect and
insert" loop) underneath.""",
    ),
    ("code", "result.plot_timeline()"),
    (
        "md",
        """RDS writes events as it goes; the run's event log holds them with their ids
(RDS-EVENT-0013: failover started, 0049: completed, 0052/0053: the standby being rebuilt).""",
    ),
    (
        "code",
        """events = result.events
rds = events[events["rds_event"].notna()][["time_s", "rds_event", "message"]]
assert list(rds["rds_event"])[:2] == ["RDS-EVENT-0013", "RDS-EVENT-0049"]
rds""",
    ),
    (
        "md",
        """## What the client sees

The writer is unavailable from the crash until the standby opens. The probe is down longer:
it keeps connecting to the old address until the DNS change reaches it, and its attempts to
a dead host wait for their connect timeout.""",
    ),
    (
        "code",
        """writer, probe = s["writer_unavailable_s"], s["probe_downtime_s"]
print(f"writer unavailable {writer:.1f} s, probe down {probe:.1f} s")
assert s["probe_downtime_s"] > s["writer_unavailable_s"]
assert s["rpo_txns"] == 0  # the standby is synchronous: nothing committed is lost""",
    ),
    (
        "md",
        """## DNS caching matters

The bundled `dns_cache_pitfall` runs the same failover with three clients that differ
only in how long they cache DNS: honouring the 5 s TTL, a JVM's 30 s default, and forever.""",
    ),
    (
        "code",
        """runs = rdssim.run_all("dns_cache_pitfall", seed=1)
down = {name: r.summary["probe_downtime_s"] for name, r in runs.items()}
for name, seconds in down.items():
    print(f"{name:8s} probe down {seconds:8.1f} s")
assert down["ttl_5s"] < down["jdk_30s"] < down["forever"]""",
    ),
    (
        "md",
        """`rdssim explain` (or `rdssim.explain` below) tells the run in sentences and tries
the changes a user could make on the same seed:""",
    ),
    (
        "code",
        """from rdssim.explain import explain

told = explain(rdssim.load("multi_az_failover").variants["base"], seed=1)
print("\\n".join(told))
assert any("RDS-EVENT-0013" in line for line in told)""",
    ),
    (
        "md",
        """## Try it

Predict first, then run: how long is the probe down if it caches DNS for 60 s
(`probe.dns_cache=fixed`, `probe.dns_cache_for=60s`)? Use
`rdssim.run("multi_az_failover", seed=1, overrides={...})`. And what changes if the host
crash becomes an AZ outage (`faults[0].kind=az-outage` with a `duration`)?""",
    ),
]

REPLICAS = [
    (
        "md",
        """# 2. Read replicas: lag, failovers and promotions

RDS read replicas replicate **asynchronously**: the primary commits without waiting for
them. When the primary writes faster than a replica applies, it falls behind; when writes
slow down, it catches up. This notebook checks what rdssim shows against a closed form,
then follows replicas through a failover and a promotion.""",
    ),
    (
        "md",
        """## A write spike

`write_spike_lag`: 600 writes/s, then 3,000/s for three minutes. `small-replica` applies
at most 1,200/s, `large-replica` 6,000/s.""",
    ),
    (
        "code",
        """import numpy as np
import pandas as pd

import rdssim

spike = rdssim.run("write_spike_lag", seed=1)
s = spike.summary
print("max lag (s):", {k: round(v, 1) for k, v in s["max_lag_s"].items()})
print("catch-up (s):", {k: round(v, 1) for k, v in s["catch_up_s"].items()})
spike.plot_lag()""",
    ),
    (
        "md",
        """During the spike the small replica gains a backlog of (3,000 - 1,200) x 180
transactions. Afterwards it applies 1,200/s against 600/s written, so the backlog goes at
600/s: catch-up = backlog / (apply rate - write rate).""",
    ),
    (
        "code",
        """closed_form_s = (3000 - 1200) * 180 / (1200 - 600)
simulated_s = s["catch_up_s"]["small-replica"]
print(f"closed form {closed_form_s:.1f} s, simulated {simulated_s:.1f} s")
assert abs(simulated_s - closed_form_s) < 1.0""",
    ),
    (
        "md",
        """The closed form holds for any apply capacity above the write rate. Keep only the
spike (the scenario's evening ramp would slow the catch-up) and vary the capacity:""",
    ),
    (
        "code",
        """spike_only = rdssim.load("write_spike_lag").with_overrides(
    {
        "workload.phases": [
            {"start": "0s", "writes_per_s": 600},
            {"start": "5m", "writes_per_s": 3000},
            {"start": "8m", "writes_per_s": 600},
        ]
    }
)
rows = []
for capacity in [900, 1000, 1200, 2000]:
    run = rdssim.run(
        spike_only, seed=1, overrides={"deployment.replicas[0].apply_writes_per_s": capacity}
    )
    rows.append(
        {
            "apply (writes/s)": capacity,
            "catch-up simulated (s)": run.summary["catch_up_s"]["small-replica"],
            "catch-up closed form (s)": (3000 - capacity) * 180 / (capacity - 600),
        }
    )
table = pd.DataFrame(rows)
assert np.allclose(table["catch-up simulated (s)"], table["catch-up closed form (s)"], atol=1.0)
table""",
    ),
    (
        "md",
        """Lag is read off the Record's piecewise-linear log positions at any instant, not
sampled:""",
    ),
    (
        "code",
        """spike.lag("small-replica", [250.0, 400.0, 480.0, 700.0, 1000.0])""",
    ),
    (
        "md",
        """## When the primary fails over: two worlds on the same seed

`self_managed_stranded_replicas` crashes the primary of a Multi-AZ instance with two
replicas. On RDS (MySQL) the replicas switch to the new primary by themselves. With
replication set up by hand and no orchestrator, they keep retrying the dead source,
stranded, until an operator re-points them 20 minutes later. Same seed, same crash, same
failover.""",
    ),
    (
        "code",
        """worlds = rdssim.run_all("self_managed_stranded_replicas", seed=1)
pd.DataFrame(
    {
        name: {
            "failover (s)": r.summary["failover_s"],
            "replica-1 max lag (s)": r.summary["max_lag_s"]["replica-1"],
            "stale reads p99 (s)": r.summary["stale_read_p99_s"],
        }
        for name, r in worlds.items()
    }
).round(1)""",
    ),
    (
        "code",
        """rds, ec2 = worlds["rds_mysql"].summary, worlds["self_managed_ec2"].summary
assert rds["failover_s"] == ec2["failover_s"]  # the same failure and failover
assert ec2["max_lag_s"]["replica-1"] > 5 * rds["max_lag_s"]["replica-1"]
stranded = worlds["self_managed_ec2"].events
assert (stranded["kind"] == "replica-stranded").sum() == 2
worlds["self_managed_ec2"].plot_lag()""",
    ),
    (
        "md",
        """## Promoting a replica under load

Promoting a replica makes it a standalone instance at the position it had applied: what
it had not applied is lost to it. `promote_replica_under_load` promotes one while the
primary writes 2,500/s, and once the application was stopped first.""",
    ),
    (
        "code",
        """promoted = rdssim.run_all("promote_replica_under_load", seed=1)
lost = {name: r.summary["promotion_lost_txns"] for name, r in promoted.items()}
print(lost)
assert lost["under_load"] > 0 and lost["writes_stopped"] == 0""",
    ),
    (
        "md",
        """## Try it

Give `small-replica` an apply capacity of 650/s: how long is the catch-up by the closed
form, and does the run agree? Then stop the writes a minute before the promotion in your
own copy of `promote_replica_under_load` and check that nothing is lost.""",
    ),
]

APPLICATION = [
    (
        "md",
        """# 3. The application's view: DNS caching, timeouts, pools, retries, RDS Proxy

In a Multi-AZ failover, RDS promotes the standby and then flips the instance endpoint's DNS
record to it. The database is back when the new primary accepts writes; the *application* is
back only when its requests reach it. That depends on the path: the connection pool, the DNS
cache, and whether RDS Proxy sits between the application and the database.

This notebook runs rdssim's bundled client scenarios and checks what they show. Run it top to
bottom (`jupyter lab notebooks/`); it uses `import rdssim` only (docs/api.md); every number here is computed, nothing is typed in, and the
`assert`s fail if the model stops behaving as the text says.""",
    ),
    (
        "code",
        """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import rdssim

# What the application saw (summary keys, defined in docs/summary-keys.md).
CLIENT_KEYS = [
    "client_downtime_s",
    "probe_downtime_s",
    "errors_by_kind",
    "latency_ok_p50_ms",
    "latency_ok_p99_ms",
    "error_latency_p99_ms",
    "db_connections_max",
    "connection_opens",
]


def table(results, keys=CLIENT_KEYS):
    # One column per variant, one row per summary key.
    return pd.DataFrame({name: {k: r.summary[k] for k in keys} for name, r in results.items()})""",
    ),
    (
        "md",
        """## 1. One failover, direct and through RDS Proxy

`proxy_vs_direct_failover.yaml`: a MySQL Multi-AZ instance is rebooted with failover 2 minutes
in. The application is 20 instances, each with a 10-connection pool, each sending 25
requests/s. Variant `direct` connects to the instance endpoint; variant `proxy` goes through
RDS Proxy. Both run on the same seed, so they face the same failover at the same instants
(common random numbers): only the path to the database differs.

What the keys mean: `client_downtime_s` is the time the application's requests were not being
answered successfully (a request that waits in a queue counts as down while it waits, even if
it succeeds in the end); `probe_downtime_s` is the same for rdssim's probe (connect and insert,
once a second); latencies are over all requests, successes and errors; `db_connections_max` is
the most connections open at once on a DB instance, and `connection_opens` how many were
opened.""",
    ),
    (
        "code",
        """failover = rdssim.load("proxy_vs_direct_failover")
runs = rdssim.run_all(failover, seed=1)
direct, proxy = runs["direct"].summary, runs["proxy"].summary
table(runs)""",
    ),
    (
        "md",
        """**Direct.** The shutdown of the old primary closes every pooled connection: the requests in
flight fail (`connection-lost`). The pools reconnect at once, but to the address in their DNS
cache, which is still the old primary's, and it refuses them (`refused`) until the endpoint
flips to the new primary, their 5 s cache expires and they retry. Refusals are fast, so the
latency stays low: the application sees errors, not waits.

**Through the proxy.** The application's connections end at the proxy and stay open. Only the
transactions in flight are cancelled (`cancelled-in-transaction`); new requests queue in the
proxy, which watches the writer itself (no DNS involved) and lets them through as soon as it
has found the new one. The errors vanish, but the requests that waited show in the p99
latency. The proxy also lends a DB connection per transaction, so it needs far fewer of them.""",
    ),
    (
        "code",
        """# The same failover in both variants; only the path to the database differs.
assert direct["failover_details"] == proxy["failover_details"]
# Through the proxy: less downtime, and the only errors are the cancelled in-flight transactions.
assert proxy["client_downtime_s"] < direct["client_downtime_s"]
assert set(proxy["errors_by_kind"]) == {"cancelled-in-transaction"}
# Direct: connections lost at the shutdown, then reconnections refused.
assert set(direct["errors_by_kind"]) == {"connection-lost", "refused"}
# The queue shows in the proxy's p99 latency of successes (seconds), not in its median.
assert proxy["latency_ok_p99_ms"] > 1000 > 100 > direct["latency_ok_p99_ms"]
assert abs(proxy["latency_ok_p50_ms"] - direct["latency_ok_p50_ms"]) < 5
# Fewer DB connections, opened fewer times.
assert proxy["db_connections_max"] < direct["db_connections_max"]
assert proxy["connection_opens"] < direct["connection_opens"]""",
    ),
    (
        "md",
        """Where the difference comes from: the RDS events give the failover's milestones (the failover
starts and the primary is rebooted, RDS-EVENT-0013; the endpoint flipped, 0049; between them
the standby opens as the primary, which no RDS event of MySQL marks and the Record does as
`failover-promoted`), and the Record's request flows tell when each *cohort* of application
instances got its first success after the shutdown. The mean over cohorts is, to within a second, the client downtime of the table.""",
    ),
    (
        "code",
        """events = runs["direct"].events
rds = dict(zip(events["rds_event"], events["time_s"], strict=True))
shutdown, flipped = rds["RDS-EVENT-0013"], rds["RDS-EVENT-0049"]
promoted = events[events["kind"] == "failover-promoted"]["time_s"].iloc[0]


def back_s(result):
    # Per cohort, when its first request arriving after the shutdown was answered with
    # success, in seconds after the shutdown.
    first = {}
    for flow in result.record.flows:
        if flow.outcome == "ok" and flow.start_s >= shutdown - 1e-9:
            answered = flow.start_s + flow.latency_start_s
            first[flow.cohort] = min(answered, first.get(flow.cohort, answered))
    return pd.Series(first) - shutdown


back = {name: back_s(result) for name, result in runs.items()}
print(f"after the shutdown: promoted +{promoted - shutdown:.1f} s,", end=" ")
print(f"endpoint flipped +{flipped - shutdown:.1f} s")
pd.DataFrame(
    {
        name: {
            "first cohort back (s)": b.min(),
            "mean (s)": b.mean(),
            "last cohort back (s)": b.max(),
            "client_downtime_s": runs[name].summary["client_downtime_s"],
        }
        for name, b in back.items()
    }
)""",
    ),
    (
        "code",
        """# Through the proxy everyone is back after the promotion, before the endpoint even flips.
assert (back["proxy"] > promoted - shutdown).all() and (back["proxy"] < flipped - shutdown).all()
# Direct, nobody is back before the flip.
assert (back["direct"] > flipped - shutdown).all()
for name, b in back.items():
    assert abs(b.mean() - runs[name].summary["client_downtime_s"]) < 1.0""",
    ),
    (
        "md",
        """## 2. The picture

`rdssim.plot_client_comparison` draws the variants side by side, each row on one scale: the share of
requests by outcome, the p50 and p99 latency by arrival time, the DB connections open on each
instance, and the DB connections opened per second. Look for the band of `refused` requests
direct (their latency drops to that of a refusal), and for the latency ramp through the proxy:
the first request to queue waits longest. Direct, the pools' connections move from `db-1` to
`db-2`; through the proxy, the application's connections to the proxy never move.""",
    ),
    (
        "code",
        """rdssim.plot_client_comparison(runs)""",
    ),
    (
        "md",
        """## 3. Over many seeds: how much downtime does the proxy save?

One seed is one failover. Each seed draws new durations for the failover's phases, new DNS
cache phases and back-off jitters; running both variants on each seed gives the share of the direct
downtime that the proxy cuts, `1 - proxy / direct`, per failover.""",
    ),
    (
        "code",
        """table_30 = rdssim.sweep(failover, runs=30)
cuts = table_30.pivot(index="seed", columns="variant", values="client_downtime_s")
cuts["cut"] = 1 - cuts["proxy"] / cuts["direct"]
median_cut = cuts["cut"].median()
cuts.describe().round(2)""",
    ),
    (
        "code",
        """AWS_MYSQL_TEST = 0.32  # AWS blog test on RDS for MySQL: client recovery 32% shorter
AWS_UP_TO = 0.66  # AWS: RDS Proxy "reduces failover time by up to 66%"

fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
ax.hist(100 * cuts["cut"], bins=np.arange(0, 70, 2.5), color="#6aa84f", edgecolor="white")
ax.axvline(100 * median_cut, color="#38761d", label=f"median: {median_cut:.0%}")
ax.axvline(100 * AWS_MYSQL_TEST, color="black", ls="--", label="AWS test, RDS for MySQL: 32%")
ax.axvline(100 * AWS_UP_TO, color="black", ls=":", label='AWS: "up to 66%"')
ax.set_xlabel("cut in client downtime by the proxy (%)")
ax.set_ylabel(f"runs (of {len(cuts)})")
ax.set_title("proxy_vs_direct_failover, seeds 0-29", loc="left")
ax.legend(frameon=False)
print(f"median cut {median_cut:.0%}; range {cuts['cut'].min():.0%}-{cuts['cut'].max():.0%}")
print(f"runs at or below AWS's 32%: {(cuts['cut'] <= AWS_MYSQL_TEST).mean():.0%}")""",
    ),
    (
        "code",
        """assert 0.1 < median_cut < 0.5
# The proxy helps on every seed, and never by more than AWS's "up to".
assert (cuts["cut"] > 0).all() and (cuts["cut"] <= AWS_UP_TO).all()""",
    ),
    (
        "md",
        """AWS says that RDS Proxy "reduces failover time by up to 66%", and one AWS blog test measured
client recovery 32% shorter on RDS for MySQL. rdssim's cuts mostly sit below AWS's 32% and well
below its "up to": docs/calibration.md ("Clients and RDS Proxy") runs the same comparison over
200 seeds and finds a median of 21%, 11% to 34% between the 5th and 95th percentiles, AWS's 32%
at the 92nd percentile and no run beyond 66%. The 30 seeds here are a smaller sample of the
same.

Why not more? The proxy removes only what comes *after* the promotion: the DNS flip, the
client's DNS cache and its retries. The wait for the promotion, most of the downtime,
remains, and the proxy still has to notice the new writer (1-3 s in the model). The more time
a client loses to DNS, the more the proxy saves: that is the next section's subject.

## 4. The DNS cache pitfall

`dns_cache_pitfall.yaml`: a host crash of the primary, seen directly by three applications that
differ only in how long they cache DNS answers (the probe caches the same way). `ttl_5s`
honours the record's 5 s TTL (AWS advises keeping the cache under 30 s); `jdk_30s` keeps
answers 30 s, a JVM's default `networkaddress.cache.ttl` without a security manager; `forever`
never looks the name up again (an address resolved once at start-up).""",
    ),
    (
        "code",
        """dns = rdssim.run_all("dns_cache_pitfall", seed=1)
table(dns, ["client_downtime_s", "client_recovered", "probe_downtime_s", "errors_by_kind"])""",
    ),
    (
        "md",
        """All three wait for the same failover. A crashed host does not even refuse: requests on open
connections wait for their 10 s read timeout (`read-timeout`), new connections for their 5 s
connect timeout (`connect-timeout`). After the endpoint flips, the TTL-honouring client follows
within seconds, the JDK-style cache later. The `forever` client keeps connecting to the old
primary's address to the end of the run, refused by it once it is being recovered: it does not
come back until it is restarted.""",
    ),
    (
        "code",
        """ttl, jdk, forever = (dns[name].summary for name in ("ttl_5s", "jdk_30s", "forever"))
assert ttl["client_downtime_s"] < jdk["client_downtime_s"] < forever["client_downtime_s"]
assert ttl["client_recovered"] and jdk["client_recovered"] and not forever["client_recovered"]
assert "refused" in forever["errors_by_kind"]""",
    ),
    (
        "md",
        """## 5. The connection storm

`connection_storm.yaml`: 1,000 serverless functions start at once on a db.t3.medium, each
opening a connection for every invocation and holding it for the whole 800 ms: about 800
connections at once, against MySQL's default `max_connections` for the class (the summary's
`max_connections`, from the engine's formula). Halfway, a reboot with failover.""",
    ),
    (
        "code",
        """storms = rdssim.run_all("connection_storm", seed=1)
table(storms, ["errors_by_kind", "db_connections_max", "max_connections", "connection_opens"])""",
    ),
    (
        "md",
        """Direct, the instance fills up to `max_connections` and refuses the rest with "too many
connections", and every invocation that gets a connection opens a new one. Through the proxy,
the functions' connections end at the proxy, which borrows a DB connection only for each 20 ms
transaction: a few dozen DB connections serve them all, opened a few dozen times.""",
    ),
    (
        "code",
        """direct_storm, proxy_storm = storms["direct"].summary, storms["proxy"].summary
assert "too-many-connections" in direct_storm["errors_by_kind"]
assert "too-many-connections" not in proxy_storm["errors_by_kind"]
assert direct_storm["db_connections_max"] == direct_storm["max_connections"]
assert proxy_storm["db_connections_max"] < 0.2 * proxy_storm["max_connections"]
assert 100 * proxy_storm["connection_opens"] < direct_storm["connection_opens"]
storms["direct"].plot_connections()""",
    ),
    (
        "md",
        """## 6. Try it

Change a scenario with `with_overrides` (the paths of `--set`): the pool size
(`clients[0].pool.size`), the DNS cache (`clients[0].dns_cache`: `ttl`, `fixed` with
`dns_cache_for`, or `forever`), the timeouts. Below, the
failover of section 1 with a JVM's 30 s DNS cache instead of the 5 s TTL. The
proxy does not care (its clients use no DNS during the failover); the direct client does, and
the proxy's cut grows. Then try `clients[0].pool.size` at 2 or 40: the DB connections change,
the downtime does not; or `clients[0].dns_cache` set to `forever`.""",
    ),
    (
        "code",
        """jvm = failover.with_overrides(
    {"clients[0].dns_cache": "fixed", "clients[0].dns_cache_for": "30s"}
)
jvm_runs = rdssim.run_all(jvm, seed=1)
table(jvm_runs)""",
    ),
    (
        "code",
        """jvm_direct, jvm_proxy = jvm_runs["direct"].summary, jvm_runs["proxy"].summary
assert jvm_proxy["client_downtime_s"] == proxy["client_downtime_s"]
assert jvm_direct["client_downtime_s"] > direct["client_downtime_s"]
cut_5s = 1 - proxy["client_downtime_s"] / direct["client_downtime_s"]
cut_30s = 1 - jvm_proxy["client_downtime_s"] / jvm_direct["client_downtime_s"]
print(f"cut with a 5 s TTL: {cut_5s:.0%}, with a 30 s cache: {cut_30s:.0%}")""",
    ),
]

DEPLOYMENTS = [
    (
        "md",
        """# 4. Choosing a deployment

Five ways to run a relational database on AWS: a Single-AZ instance, a Multi-AZ DB
instance (one synchronous standby), a Multi-AZ DB cluster (two readable semi-synchronous
standbys), Aurora (six copies of the volume across three AZs, replicas that take over) and a
self-managed pair on EC2. `rdssim.compare` puts one scenario's failures through each, on
the same seeds.""",
    ),
    (
        "code",
        """import rdssim

rows = rdssim.compare("az_outage_compare", runs=20)
table = rows.groupby("variant")[["writer_unavailable_s", "client_downtime_s", "rpo_txns"]].median()
table.round(1)""",
    ),
    (
        "md",
        """The primary's AZ goes dark. A Single-AZ instance has nowhere to go: it waits for
the AZ. The others fail over; Aurora and the Multi-AZ cluster fastest.""",
    ),
    (
        "code",
        """w = table["writer_unavailable_s"]
assert w["single-az"] > w["multi-az-instance"]
assert w["aurora"] < w["multi-az-instance"] and w["multi-az-cluster"] < w["multi-az-instance"]
print(w.sort_values().round(1).to_string())""",
    ),
    (
        "md",
        """Data loss: every RDS Multi-AZ option commits on a second AZ before it answers, so
a failover loses nothing committed. (On EC2 it depends on how you configured
replication: the bundled `self_managed_ec2` scenario shows two writers without fencing.)""",
    ),
    (
        "code",
        """rpo = rows.groupby("variant")["rpo_txns"].max()
for kind in ("multi-az-instance", "multi-az-cluster", "aurora"):
    assert rpo[kind] == 0, kind
rpo""",
    ),
    (
        "md",
        """## Try it

Which deployment would you pay for if your clients cache DNS forever? Change the
scenario's probe (`overrides={"probe.dns_cache": "forever"}` on `rdssim.load(...)
.with_overrides`) and compare again. Then try a host crash instead of the AZ outage.""",
    ),
]

NINES = [
    (
        "md",
        """# 5. How many nines?

One failover is an anecdote. Over a year, hosts fail, volumes fail, AZs go dark now and
then, and RDS patches the OS in the weekly maintenance window. The bundled
`year_of_failures` draws such failures at random (rates in docs/calibration.md, labelled
assumptions where AWS publishes none) on a Multi-AZ DB instance; each seed is one year.""",
    ),
    (
        "code",
        """import rdssim

years = rdssim.sweep("year_of_failures", runs=40)
assert years["error"].isna().all()
keys = ["availability", "downtime_min_per_year", "nines", "incidents", "sla_breach_months"]
years[keys].describe().round(4)""",
    ),
    (
        "md",
        """Availability is the share of the year the writer was up;
`downtime_min_per_year` is the same figure in minutes; nines is -log10 of the downtime
share. AWS's SLA for a Multi-AZ DB instance is 99.95% per month.""",
    ),
    (
        "code",
        """median = years["downtime_min_per_year"].median()
print(f"median year: {median:.1f} min of writer downtime")
assert (years["availability"] > 0.9995).mean() > 0.9
months = 12 * len(years)
breaches = int(years["sla_breach_months"].sum())
print(f"months below the 99.95% SLA: {breaches} of {months}")
assert breaches <= months * 0.05""",
    ),
    (
        "md",
        """How much of that is the maintenance window? Run the same years without it (the
same seeds draw the same host, storage and AZ failures: only the patching goes).""",
    ),
    (
        "code",
        """quiet = rdssim.sweep(
    "year_of_failures", runs=40, overrides={"failures.maintenance": None}
)
with_patches = years["downtime_min_per_year"].mean()
without = quiet["downtime_min_per_year"].mean()
print(f"mean downtime per year: {with_patches:.1f} min with patching, {without:.1f} min without")
assert without < with_patches""",
    ),
    (
        "md",
        """## Try it

What does one AZ outage a year do to the nines
(`overrides={"failures.az.per_year": 1}`)? And a Single-AZ instance
(`rdssim.compare("year_of_failures", deployments=["single-az"], runs=20)`), against its
99.5% SLA?""",
    ),
]


def write(name: str, cells: list[tuple[str, str]]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        for kind, text in cells
    ]
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"  # stable: regenerating changes only what changed
    nbformat.write(notebook, HERE / name)


def main() -> None:
    write("01_anatomy_of_a_failover.ipynb", ANATOMY)
    write("02_read_replicas.ipynb", REPLICAS)
    write("03_the_applications_view.ipynb", APPLICATION)
    write("04_choosing_a_deployment.ipynb", DEPLOYMENTS)
    write("05_how_many_nines.ipynb", NINES)


if __name__ == "__main__":
    main()
