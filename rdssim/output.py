"""Write a run's artefacts: summary, event log, Record, plots (rdssim.outdir: where)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdssim.forked import Job, run_all
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


def draw_runs(
    folder: Path, records: Mapping[str, Record], *, workers: int | None = None
) -> list[Path]:
    """Each variant's plots (:func:`plot_jobs`), all on the same time ranges, and the
    side-by-side figures (:func:`comparison_jobs`), drawn in up to ``workers`` processes
    (:func:`rdssim.forked.run_all`: the machine's cores if None); returns the files written."""
    # matplotlib only when plotting
    from rdssim.plot.clients import client_windows
    from rdssim.plot.windows import shared_windows

    wins = shared_windows(list(records.values()))
    with_clients = [record for record in records.values() if record.flows]
    client_wins = client_windows(with_clients) if with_clients else None
    jobs: list[tuple[Path, Job]] = []
    for name, record in records.items():
        jobs += plot_jobs(variant_folder(folder, name), record, wins, client_wins)
    # The side-by-side figures are the largest: begun first, they do not finish alone.
    jobs = comparison_jobs(folder, records) + jobs
    for path, _ in jobs:
        path.parent.mkdir(parents=True, exist_ok=True)
    run_all([job for _, job in jobs], workers)
    return [path for path, _ in jobs]


def write_plots(
    folder: Path,
    record: Record,
    wins: Sequence[Window] | None = None,
    client_wins: Sequence[Window] | None = None,
) -> list[Path]:
    """Draw :func:`plot_jobs` here, one after the other; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    return _draw_here(plot_jobs(folder, record, wins, client_wins))


def plot_jobs(
    folder: Path,
    record: Record,
    wins: Sequence[Window] | None = None,
    client_wins: Sequence[Window] | None = None,
) -> list[tuple[Path, Job]]:
    """timeline.png (on ``wins``, the record's own windows if None), and lag.png, clients.png
    and connections.png (on ``client_wins``) where the run has read replicas or client
    groups, in ``folder``: each file with the job that draws it."""
    # matplotlib only when plotting
    from rdssim.plot import plot_clients, plot_connections, plot_lag, plot_timeline

    jobs: list[tuple[Path, Job]] = [
        (folder / "timeline.png", lambda: plot_timeline(record, folder / "timeline.png", wins=wins))
    ]
    if any(info.is_replica for info in record.instances):
        jobs.append((folder / "lag.png", lambda: plot_lag(record, folder / "lag.png")))
    if record.flows:
        jobs += [
            (
                folder / "clients.png",
                lambda: plot_clients(record, folder / "clients.png", wins=client_wins),
            ),
            (
                folder / "connections.png",
                lambda: plot_connections(record, folder / "connections.png", wins=client_wins),
            ),
        ]
    return jobs


def write_comparison(folder: Path, records: Mapping[str, Record]) -> list[Path]:
    """Draw :func:`comparison_jobs` here, one after the other; returns the files written."""
    return _draw_here(comparison_jobs(folder, records))


def _draw_here(jobs: Sequence[tuple[Path, Job]]) -> list[Path]:
    """Do ``jobs`` in this process, in order; returns their files."""
    run_all([job for _, job in jobs], workers=1)
    return [path for path, _ in jobs]


def comparison_jobs(folder: Path, records: Mapping[str, Record]) -> list[tuple[Path, Job]]:
    """With two variants or more, in ``folder``: timeline_compare.png, their timelines one
    above the other on the same time ranges, and clients_compare.png, their client plots
    side by side, when at least two have client groups; each file with the job that draws
    it."""
    if len(records) < 2:
        return []
    from rdssim.plot import plot_client_comparison, plot_timelines

    path = folder / "timeline_compare.png"
    jobs: list[tuple[Path, Job]] = [(path, lambda: plot_timelines(records, path))]
    with_clients = {name: record for name, record in records.items() if record.flows}
    if len(with_clients) >= 2:
        clients = folder / "clients_compare.png"
        jobs.append((clients, lambda: plot_client_comparison(with_clients, clients)))
    return jobs


def combined_summary(scenario: str, seed: int, summaries: Mapping[str, Summary]) -> dict[str, Any]:
    """The JSON summary: flat for a single variant, keyed by variant name otherwise."""
    if list(summaries) == ["base"]:
        return summaries["base"].to_dict()
    return {
        "scenario": scenario,
        "seed": seed,
        "variants": {name: s.to_dict() for name, s in summaries.items()},
    }
