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
    write("04_choosing_a_deployment.ipynb", DEPLOYMENTS)
    write("05_how_many_nines.ipynb", NINES)


if __name__ == "__main__":
    main()
