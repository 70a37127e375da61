"""Write a run's artefacts: summary, event log, Record, plots (rdssim.outdir: where)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdssim.metrics import Summary
from rdssim.record import Record
from rdssim.timebase import origin_s


def write_event_log(record: Record, path: Path) -> None:
    """Every event of the run as CSV: time (in the run, and from the first fault or action:
    the plots' axis), source, kind, RDS event id, message (RDS's own text for an RDS event)
    and rdssim's detail."""
    zero = origin_s(record)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["time_s", "from_origin_s", "source", "kind", "rds_event", "message", "detail"]
        )
        for event in record.events:
            writer.writerow(
                [
                    f"{event.time_s:.3f}",
                    f"{event.time_s - zero:+.3f}",
                    event.source,
                    event.kind,
                    event.rds_event or "",
                    event.message,
                    str(event.data.get("detail", "")),
                ]
            )


def write_run(folder: Path, record: Record, summary: Summary, *, plot: bool = True) -> None:
    """The artefacts of one variant: record.jsonl, events.csv, summary.json, timeline.png,
    lag.png when it has read replicas, and clients.png and connections.png when it has
    client groups."""
    folder.mkdir(parents=True, exist_ok=True)
    record.to_jsonl(folder / "record.jsonl")
    write_event_log(record, folder / "events.csv")
    (folder / "summary.json").write_text(
        json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    if plot:
        write_plots(folder, record)


def write_plots(folder: Path, record: Record) -> list[Path]:
    """timeline.png, and lag.png, clients.png and connections.png where the run has read
    replicas or client groups, into ``folder``; returns the files written."""
    # matplotlib only when plotting
    from rdssim.plot import plot_clients, plot_connections, plot_lag, plot_timeline

    written = [folder / "timeline.png"]
    plot_timeline(record, written[-1])
    if any(info.is_replica for info in record.instances):
        written.append(folder / "lag.png")
        plot_lag(record, written[-1])
    if record.flows:
        written += [folder / "clients.png", folder / "connections.png"]
        plot_clients(record, written[-2])
        plot_connections(record, written[-1])
    return written


def write_comparison(folder: Path, records: Mapping[str, Record]) -> bool:
    """clients_compare.png in ``folder``: the variants' client plots side by side, when more
    than one variant has client groups. Returns whether it was drawn."""
    with_clients = {name: record for name, record in records.items() if record.flows}
    if len(with_clients) < 2:
        return False
    from rdssim.plot import plot_client_comparison

    plot_client_comparison(with_clients, folder / "clients_compare.png")
    return True


def combined_summary(scenario: str, seed: int, summaries: Mapping[str, Summary]) -> dict[str, Any]:
    """The JSON summary: flat for a single variant, keyed by variant name otherwise."""
    if list(summaries) == ["base"]:
        return summaries["base"].to_dict()
    return {
        "scenario": scenario,
        "seed": seed,
        "variants": {name: s.to_dict() for name, s in summaries.items()},
    }
