"""Human-readable rendering of summaries (Rich tables)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rdssim.client_metrics import ClientSummary
from rdssim.metrics import Summary


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    # Sub-second values (a replica's lag over its link) would all print as 0.0.
    return f"{value:.3f}" if 0 < abs(value) < 1 else f"{value:,.1f}"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _failover_rows(
    summaries: Mapping[str, Summary],
) -> list[tuple[str, Callable[[Summary], str]]]:
    """The failover time and its phases: the first failover's (``failover_s``), said so
    when a run had several (the others are in failover_details)."""
    first = "first failover" if any(s.failovers > 1 for s in summaries.values()) else "failover"
    return [
        (f"{first} time (s)", lambda s: _seconds(s.failover_s)),
        ("  detection (s)", lambda s: _seconds(s.detection_s)),
        ("  promotion (s)", lambda s: _seconds(s.promotion_s)),
        ("  dns (s)", lambda s: _seconds(s.dns_s)),
    ]


_ROWS: list[tuple[str, Callable[[Summary], str]]] = [
    ("failovers", lambda s: _count(s.failovers)),
    ("writer unavailable (s)", lambda s: _seconds(s.writer_unavailable_s)),
    (
        "client-observed downtime (s)",
        lambda s: (
            _seconds(s.client_downtime_s)
            + ("" if s.client_recovered in (True, None) else " (never recovered)")
        ),
    ),
    ("degraded, no standby (s)", lambda s: _seconds(s.degraded_s)),
    ("  new standby syncing (s)", lambda s: _seconds(s.standby_syncing_s)),
    ("committed txns lost (RPO)", lambda s: _count(s.rpo_txns)),
    ("in-flight txns cut off", lambda s: _count(s.inflight_lost_txns)),
    ("probe errors", lambda s: ", ".join(f"{k} {v}" for k, v in s.probe_errors.items()) or "none"),
]


def _split_brain_rows(
    summaries: Mapping[str, Summary],
) -> list[tuple[str, Callable[[Summary], str]]]:
    """Rows for two writers, where a deployment can have them (self-managed on EC2)."""
    if all(s.two_writers_s is None for s in summaries.values()):
        return []
    return [
        ("two writers (s)", lambda s: _seconds(s.two_writers_s)),
        ("  writes lost to the old primary", lambda s: _count(s.split_brain_txns)),
    ]


LONG_RUN_S = 7 * 86_400.0
"""From a week on, a run's availability rows are shown (shorter, a year's extrapolation of
one incident would mislead; the keys are in summary.json whatever the length)."""
MAX_EVENTS_SHOWN = 100


def _availability_rows(
    summaries: Mapping[str, Summary],
) -> list[tuple[str, Callable[[Summary], str]]]:
    """Availability as the writer had it and as the clients saw it, and the SLA's months."""
    if all(s.uptime is None or s.uptime.duration_s < LONG_RUN_S for s in summaries.values()):
        return []

    def field(key: str, render: Callable[[Any], str]) -> Callable[[Summary], str]:
        return lambda s: render(getattr(s.uptime, key, None))

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.4f}%"

    def nines(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    def minutes(value: float | None) -> str:
        return "—" if value is None else f"{value:,.1f}"

    def months(s: Summary) -> str:
        u = s.uptime
        if u is None or u.sla_breach_months is None:
            return "—"
        return f"{u.sla_breach_months:,} of {u.months:,}"

    rows: list[tuple[str, Callable[[Summary], str]]] = []
    for view, prefix in (("writer", ""), ("clients", "client_")):
        rows += [
            (f"availability, {view}", field(f"{prefix}availability", percent)),
            ("  downtime per year (min)", field(f"{prefix}downtime_min_per_year", minutes)),
            ("  nines", field(f"{prefix}nines", nines)),
            ("  incidents", field(f"{prefix}incidents", _count)),
            ("  longest outage (s)", field(f"{prefix}longest_outage_s", _seconds)),
        ]
    rows += [
        ("SLA, monthly uptime", field("sla_percent", lambda v: "—" if v is None else f"{v:g}%")),
        ("  months below the SLA", months),
    ]
    return rows


def _replica_rows(summaries: Mapping[str, Summary]) -> list[tuple[str, Callable[[Summary], str]]]:
    """Rows for read replicas, if any variant has them: lag and catch-up per replica, then
    promotion loss and what readers saw."""
    names: list[str] = []
    for summary in summaries.values():
        if summary.replicas is not None:
            names += [n for n in summary.replicas.max_lag_s if n not in names]
    if not names:
        return []

    def per_replica(
        key: str, name: str, render: Callable[[float | None], str] = _seconds
    ) -> Callable[[Summary], str]:
        def cell(s: Summary) -> str:
            values = getattr(s.replicas, key, None) or {}
            return render(values.get(name))

        return cell

    def txns(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f}"

    def field(key: str, render: Callable[[Any], str]) -> Callable[[Summary], str]:
        return lambda s: render(getattr(s.replicas, key, None))

    rows: list[tuple[str, Callable[[Summary], str]]] = [("read replicas", lambda s: "")]
    rows += [(f"  {name} max lag (s)", per_replica("max_lag_s", name)) for name in names]

    def quantiles(name: str) -> Callable[[Summary], str]:
        def cell(s: Summary) -> str:
            low = (getattr(s.replicas, "lag_p50_s", None) or {}).get(name)
            high = (getattr(s.replicas, "lag_p95_s", None) or {}).get(name)
            return "—" if low is None or high is None else f"{_seconds(low)} / {_seconds(high)}"

        return cell

    rows += [(f"  {name} lag p50 / p95 (s)", quantiles(name)) for name in names]
    rows += [
        (f"  {name} max behind (txns)", per_replica("max_behind_txns", name, txns))
        for name in names
    ]
    rows += [(f"  {name} catch-up (s)", per_replica("catch_up_s", name)) for name in names]
    rows += [
        ("promotion: txns lost", field("promotion_lost_txns", _count)),
        ("promotion: seconds of writes lost", field("promotion_lost_s", _seconds)),
        ("read staleness p50 (s)", field("stale_read_p50_s", _seconds)),
        ("read staleness p99 (s)", field("stale_read_p99_s", _seconds)),
        ("read-your-writes violations", field("ryw_violations", _count)),
        ("reads failed", field("reads_failed", _count)),
    ]
    return rows


def _client_rows(summaries: Mapping[str, Summary]) -> list[tuple[str, Callable[[Summary], str]]]:
    """Rows for client groups, if any variant has them: errors, latency, connections."""
    if all(s.clients is None for s in summaries.values()):
        return []

    def field(render: Callable[[ClientSummary], str]) -> Callable[[Summary], str]:
        return lambda s: "—" if s.clients is None else render(s.clients)

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f}"

    def connections(c: ClientSummary) -> str:
        most = "—" if c.db_connections_max is None else f"{c.db_connections_max:,.0f}"
        return most + ("" if c.max_connections is None else f" of {c.max_connections:,}")

    return [
        # With client groups, client-observed downtime is theirs: the probe's is shown apart.
        ("probe downtime (s)", lambda s: _seconds(s.probe_downtime_s)),
        ("clients", lambda s: ""),
        ("  requests", field(lambda c: _count(c.client_requests))),
        *[
            (f"  {name} downtime (s)", field(_group_downtime(name)))
            for name in _group_names(summaries)
        ],
        (
            "  errors",
            field(lambda c: ", ".join(f"{k} {v:,}" for k, v in c.errors_by_kind.items()) or "none"),
        ),
        ("  latency of successes p50 (ms)", field(lambda c: ms(c.latency_ok_p50_ms))),
        ("  latency of successes p99 (ms)", field(lambda c: ms(c.latency_ok_p99_ms))),
        ("  time to error p50 (ms)", field(lambda c: ms(c.error_latency_p50_ms))),
        ("  time to error p99 (ms)", field(lambda c: ms(c.error_latency_p99_ms))),
        ("  DB connections, most", field(connections)),
        ("  DB connections opened", field(lambda c: _count(c.connection_opens))),
    ]


def _group_downtime(name: str) -> Callable[[ClientSummary], str]:
    return lambda c: _seconds(c.client_downtime_by_group.get(name))


def _group_names(summaries: Mapping[str, Summary]) -> list[str]:
    names: list[str] = []
    for summary in summaries.values():
        if summary.clients is not None:
            names += [n for n in summary.clients.client_downtime_by_group if n not in names]
    return names if len(names) > 1 else []


def summary_rows(summaries: Mapping[str, Summary]) -> list[tuple[str, list[str]]]:
    """(metric label, its value for each variant, as printed) of every row of the summary
    table, in order: the terminal's table and the HTML report's are both made of these."""
    rows = [
        *_failover_rows(summaries),
        *_ROWS,
        *_split_brain_rows(summaries),
        *_availability_rows(summaries),
        *_client_rows(summaries),
        *_replica_rows(summaries),
    ]
    return [(label, [cell(s) for s in summaries.values()]) for label, cell in rows]


def print_summaries(
    console: Console, title: str, summaries: Mapping[str, Summary], footer: str | None = None
) -> None:
    """One column per variant, one row per metric, then each variant's RDS event log."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in summaries:
        table.add_column(name, justify="right")
    for label, cells in summary_rows(summaries):
        table.add_row(label, *(escape(cell) for cell in cells))
    console.print(table)
    for name, summary in summaries.items():
        print_events(console, summary, name if len(summaries) > 1 else None)
    if footer:
        console.print(footer, markup=False, highlight=False)


def print_events(console: Console, summary: Summary, variant: str | None) -> None:
    """The RDS-style event log of one run."""
    title = "RDS events" + (f" — {variant}" if variant else "")
    table = Table(title=escape(title), title_justify="left")
    table.add_column("t (s)", justify="right")
    # The plots' axis: seconds from the first fault or action.
    table.add_column("from fault/action (s)", justify="right")
    table.add_column("event")
    table.add_column("source")
    table.add_column("message")
    for event in summary.events[:MAX_EVENTS_SHOWN]:
        table.add_row(
            f"{event['time_s']:.1f}",
            f"{event['time_s'] - summary.origin_s:+.1f}",
            event["id"] or "—",
            escape(str(event["source"])),
            escape(str(event["message"])),
        )
    console.print(table)
    more = len(summary.events) - MAX_EVENTS_SHOWN
    if more > 0:
        console.print(
            f"... and {more:,} more events (all of them in events.csv and summary.json)",
            markup=False,
            highlight=False,
        )


def sweep_table(title: str, stats: Mapping[str, Mapping[str, Any]]) -> Table:
    """A table of per-metric distribution statistics for one variant."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric", no_wrap=True)
    for column in ("n", "mean", "p5", "p50", "p95", "min", "max"):
        table.add_column(column, justify="right")
    for metric, row in stats.items():
        table.add_row(
            metric,
            f"{int(row['count'])}",
            *(
                _seconds(row[key]) if row["count"] else "—"
                for key in ("mean", "p5", "p50", "p95", "min", "max")
            ),
        )
    return table


def compare_table(
    title: str,
    stats: Mapping[str, Mapping[str, Mapping[str, float | None]]],
    instances: Mapping[str, int],
) -> Table:
    """Deployments as columns; per metric its median and p95 over the seeds (the keys of
    ``rdssim compare --format json``), then the DB instances each runs."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for kind in stats:
        table.add_column(kind, justify="right")
    from rdssim.comparison import METRIC_LABELS

    for metric, label in METRIC_LABELS.items():
        for stat in ("median", "p95"):
            cells = []
            for kind in stats:
                value = stats[kind][metric][stat]
                if metric == "rpo_txns":
                    cells.append("—" if value is None else f"{value:,.0f}")
                else:
                    cells.append(_seconds(value))
            table.add_row(f"{label} {stat}", *cells)
    table.add_row("DB instances", *(str(instances[kind]) for kind in stats))
    return table
