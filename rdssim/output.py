"""Write a run's artefacts: summary, event log, Record, plots (rdssim.outdir: where)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdssim.metrics import Summary
from rdssim.record import Record
from rdssim.timebase import origin_s

if TYPE_CHECKING:
    from rdssim.plot.windows import Window


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


def variant_folder(folder: Path, name: str) -> Path:
    """Where a variant's artefacts go: the run's folder for a single run ("base"), a
    sub-folder named after the variant otherwise."""
    return folder if name == "base" else folder / name


def write_run(folder: Path, record: Record, summary: Summary, *, plot: bool = True) -> None:
    """The artefacts of one variant: record.jsonl, events.csv, summary.json, timeline.png,
    lag.png when it has read replicas, and clients.png and connections.png when it has
    client groups."""
    write_runs(folder, {"base": record}, {"base": summary}, plot=plot)


def write_runs(
    folder: Path,
    records: Mapping[str, Record],
    summaries: Mapping[str, Summary],
    *,
    plot: bool = True,
) -> None:
    """Every variant's artefacts (:func:`variant_folder`) and, with more than one, the
    figures that set them side by side (:func:`write_comparison`)."""
    for name, record in records.items():
        target = variant_folder(folder, name)
        target.mkdir(parents=True, exist_ok=True)
        record.to_jsonl(target / "record.jsonl")
        write_event_log(record, target / "events.csv")
        (target / "summary.json").write_text(
            json.dumps(summaries[name].to_dict(), indent=2) + "\n", encoding="utf-8"
        )
    if plot:
        draw_runs(folder, records)


def draw_runs(folder: Path, records: Mapping[str, Record]) -> list[Path]:
    """Each variant's plots (:func:`write_plots`), all on the same time ranges, and the
    side-by-side figures; returns the files written."""
    # matplotlib only when plotting
    from rdssim.plot.clients import client_windows
    from rdssim.plot.windows import shared_windows

    wins = shared_windows(list(records.values()))
    with_clients = [record for record in records.values() if record.flows]
    client_wins = client_windows(with_clients) if with_clients else None
    written = []
    for name, record in records.items():
        written += write_plots(variant_folder(folder, name), record, wins, client_wins)
    return written + write_comparison(folder, records)


def write_plots(
    folder: Path,
    record: Record,
    wins: Sequence[Window] | None = None,
    client_wins: Sequence[Window] | None = None,
) -> list[Path]:
    """timeline.png (on ``wins``, the record's own windows if None), and lag.png, clients.png
    and connections.png (on ``client_wins``) where the run has read replicas or client
    groups, into ``folder``; returns the files written."""
    # matplotlib only when plotting
    from rdssim.plot import plot_clients, plot_connections, plot_lag, plot_timeline

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "timeline.png"]
    plot_timeline(record, written[-1], wins=wins)
    if any(info.is_replica for info in record.instances):
        written.append(folder / "lag.png")
        plot_lag(record, written[-1])
    if record.flows:
        written += [folder / "clients.png", folder / "connections.png"]
        plot_clients(record, written[-2], wins=client_wins)
        plot_connections(record, written[-1], wins=client_wins)
    return written


def write_comparison(folder: Path, records: Mapping[str, Record]) -> list[Path]:
    """With two variants or more, in ``folder``: timeline_compare.png, their timelines one
    above the other on the same time ranges, and clients_compare.png, their client plots
    side by side, when at least two have client groups. Returns the files written."""
    if len(records) < 2:
        return []
    from rdssim.plot import plot_client_comparison, plot_timelines

    written = [folder / "timeline_compare.png"]
    plot_timelines(records, written[-1])
    with_clients = {name: record for name, record in records.items() if record.flows}
    if len(with_clients) >= 2:
        written.append(folder / "clients_compare.png")
        plot_client_comparison(with_clients, written[-1])
    return written


def combined_summary(scenario: str, seed: int, summaries: Mapping[str, Summary]) -> dict[str, Any]:
    """The JSON summary: flat for a single variant, keyed by variant name otherwise."""
    if list(summaries) == ["base"]:
        return summaries["base"].to_dict()
    return {
        "scenario": scenario,
        "seed": seed,
        "variants": {name: s.to_dict() for name, s in summaries.items()},
    }
