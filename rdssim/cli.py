"""The ``rdssim`` command: run, validate, list and sweep scenarios."""

from __future__ import annotations

import json
import math
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from rdssim.metrics import Summary, summarize
from rdssim.output import combined_summary, write_atomically, write_comparison, write_run
from rdssim.report import print_summaries, sweep_table
from rdssim.scenario import ScenarioError, ScenarioSet, load_scenario
from rdssim.sim import run as run_scenario

app = typer.Typer(
    help="Simulate Amazon RDS high availability: failovers, downtime, data loss.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Piped output (files, CI logs, the README) gets a fixed width instead of Rich's 80 columns.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True, soft_wrap=True)  # one unbroken line per error

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class Format(StrEnum):
    table = "table"
    json = "json"


def _load(path: Path) -> ScenarioSet:
    """Load a scenario or exit 2 with the located message."""
    try:
        return load_scenario(path)
    except ScenarioError as error:
        stderr.print(f"[bold red]error:[/] {escape(error.render())}", highlight=False)
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(2)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for artefacts (default runs/NAME-seedN).")
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", help="How to print the summary.")
    ] = Format.table,
    plot: Annotated[bool, typer.Option(help="Draw timeline.png for each variant.")] = True,
) -> None:
    """Run SCENARIO once (every variant on the same seed) and write its artefacts."""
    scenarios = _load(scenario)
    chosen = seed if seed is not None else next(iter(scenarios.variants.values())).seed
    folder = out if out is not None else Path("runs") / f"{scenarios.name}-seed{chosen}"
    summaries: dict[str, Summary] = {}
    records = {}
    for name, variant in scenarios.variants.items():
        records[name] = run_scenario(variant, chosen)
        summaries[name] = summarize(records[name])
    combined = combined_summary(scenarios.name, chosen, summaries)

    def fill(scratch: Path) -> None:
        for name, record in records.items():
            target = scratch if name == "base" else scratch / name
            write_run(target, record, summaries[name], plot=plot)
        if plot:
            write_comparison(scratch, records)
        (scratch / "summary.json").write_text(
            json.dumps(combined, indent=2) + "\n", encoding="utf-8"
        )

    try:
        write_atomically(folder, fill)
    except OSError as error:
        raise _fail(f"cannot write to {folder}: {error.strerror or error}") from None
    if format is Format.json:
        sys.stdout.write(json.dumps(combined, indent=2) + "\n")
        return
    title = f"{scenarios.name} — seed {chosen}" + (
        f"\n{scenarios.description}" if scenarios.description else ""
    )
    print_summaries(stdout, title, summaries, footer=f"artefacts written to {folder}/")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Check SCENARIO without running it."""
    scenarios = _load(scenario)
    names = ", ".join(scenarios.variants)
    stdout.print(f"{scenario}: ok ({len(scenarios.variants)} variant(s): {names})", highlight=False)


@app.command("list")
def list_scenarios(
    directory: Annotated[Path, typer.Option("--dir", help="Where to look.")] = BUNDLED_DIR,
) -> None:
    """Show the bundled scenarios, one line each."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise _fail(f"no scenario files in {directory}")
    width = max(len(file.stem) for file in files)
    for file in files:
        try:
            scenarios = load_scenario(file)
            line = scenarios.description or "(no description)"
            if scenarios.has_variants:
                line += f"  [variants: {', '.join(scenarios.variants)}]"
        except ScenarioError as error:
            line = f"INVALID: {error.message}"
        # One line per scenario, however long: people grep this.
        stdout.print(f"{file.stem:<{width}}  {line}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seeds: Annotated[int, typer.Option(min=1, help="How many seeds.")] = 200,
    first_seed: Annotated[int, typer.Option(min=0, help="The first seed.")] = 0,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes (results do not depend on it).")
    ] = (os.cpu_count() or 1),
    out: Annotated[Path | None, typer.Option(help="Write sweep.csv here.")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Run SCENARIO over many seeds and show the distribution of each metric."""
    from rdssim.sweep import SWEEP_COLUMNS, replica_columns, variant_stats
    from rdssim.sweep import sweep as run_sweep

    scenarios = _load(scenario)
    seed_list = list(range(first_seed, first_seed + seeds))
    total = seeds * len(scenarios.variants)
    with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task(f"{scenarios.name}", total=total)
        table = run_sweep(scenarios, seed_list, workers, lambda n: progress.advance(task, n))
    if out is not None:

        def fill(scratch: Path) -> None:
            table.to_csv(scratch / "sweep.csv", index=False)

        write_atomically(out, fill)
    metrics = [c for c in (*SWEEP_COLUMNS, *replica_columns(scenarios)) if c.endswith("_s")]
    metrics = [c for c in metrics if table[c].notna().any()]  # e.g. no replicas: no lag rows
    stats = {variant: variant_stats(table, variant, metrics) for variant in scenarios.variants}
    if format is Format.json:
        payload = {
            variant: {m: _json_stats(row) for m, row in stats[variant].items()}
            for variant in scenarios.variants
        }
        document = {
            "scenario": scenarios.name,
            "first_seed": first_seed,
            "seeds": seeds,
            "variants": payload,
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    for variant in scenarios.variants:
        rows = stats[variant]
        label = "" if variant == "base" else escape(f" [{variant}]")
        stdout.print(
            sweep_table(
                f"{scenarios.name}{label} — seeds {first_seed}..{first_seed + seeds - 1}", rows
            )
        )


def _json_stats(row: dict[str, float]) -> dict[str, float | int | None]:
    """Distribution statistics as JSON-safe values (NaN, for a metric never measured, is null)."""
    out: dict[str, float | int | None] = {}
    for key, value in row.items():
        out[key] = int(value) if key == "count" else (None if math.isnan(value) else float(value))
    return out


def main() -> None:
    """Entry point of the console script and ``python -m rdssim``."""
    app(prog_name="rdssim")
