"""The ``rdssim`` command: run, validate, list, sweep and compare scenarios."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from rdssim import __version__
from rdssim.bundled import BUNDLED_DIR, resolve
from rdssim.forked import WorkerDied
from rdssim.metrics import Summary, summarize
from rdssim.outdir import OutputError, note_termination, terminated_by, writing
from rdssim.output import combined_summary, write_runs
from rdssim.report import compare_table, print_summaries
from rdssim.scenario import ScenarioError, ScenarioSet, load_scenario
from rdssim.scenario.overrides import parse_assignments
from rdssim.scenario.schema import DEPLOYMENT_TYPES, Scenario
from rdssim.sim import run as run_scenario

if TYPE_CHECKING:
    import pandas as pd

    from rdssim.record import Record
    from rdssim.sweep_runs import Plan

app = typer.Typer(
    help="Simulate Amazon RDS high availability: failovers, downtime, data loss.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Piped output (files, CI logs, the README) gets a fixed width instead of Rich's 80 columns.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True, soft_wrap=True)  # one unbroken line per error

MAX_SEED = 2**63 - 1
"""Seeds are stored as 64-bit integers (summaries, sweep tables)."""
MAX_SWEEP_RUNS = 100_000
"""Runs in one sweep (seeds x variants): more would not fit its table in memory; split a
larger study with --first-seed."""
MAX_WORKERS_PER_CPU = 2
REPORT = "report.html"
"""The HTML report's name in a run's folder (rdssim run --html, rdssim report)."""


class Format(StrEnum):
    table = "table"
    json = "json"


class Executor(StrEnum):
    local = "local"
    dask = "dask"


ScenarioArgument = Annotated[
    Path, typer.Argument(help="Scenario YAML file, or a bundled scenario's name.")
]
SeedOption = Annotated[
    int | None, typer.Option(min=0, max=MAX_SEED, help="Seed (default: the scenario's).")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Change one value: key.path=value (as in error messages, e.g. "
        "workload.phases[0].writes_per_s=2000); repeatable.",
    ),
]


def _load(path: Path, sets: Sequence[str] | None = None) -> ScenarioSet:
    """Load a scenario with its ``--set`` values (printing its warnings) or exit 2 with the
    located message."""
    try:
        scenarios = load_scenario(resolve(path), parse_assignments(sets or []))
    except ScenarioError as error:
        stderr.print(f"[bold red]error:[/] {escape(error.render())}", highlight=False)
        raise typer.Exit(2) from None
    for warning in scenarios.warnings:
        stderr.print(f"[bold yellow]warning:[/] {escape(warning.render())}", highlight=False)
    return scenarios


def _variant(scenarios: ScenarioSet, name: str | None) -> Scenario:
    """The variant ``--variant`` names (the first without it), or exit 2 naming those there
    are."""
    if name is None:
        return next(iter(scenarios.variants.values()))
    if name not in scenarios.variants:
        raise _fail(
            f"--variant {name}: {scenarios.path} has no such variant "
            f"(it has: {', '.join(scenarios.variants)})"
        )
    return scenarios.variants[name]


def _check_workers(workers: int) -> None:
    """Exit 2 unless ``workers`` processes fit this machine."""
    cpus = os.cpu_count() or 1
    if workers > MAX_WORKERS_PER_CPU * cpus:
        raise _fail(
            f"--workers {workers}: at most {MAX_WORKERS_PER_CPU * cpus} on this machine "
            f"({MAX_WORKERS_PER_CPU} per CPU; each worker holds a whole model in memory)"
        )


def _fail(message: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(2)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM: unwind like Ctrl-C does, so scratch folders and workers are cleaned up."""
    note_termination(signum)
    raise SystemExit(128 + signum)


def _show_version(shown: bool) -> None:
    if shown:
        stdout.print(f"rdssim {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate Amazon RDS high availability: failovers, downtime, data loss."""


@app.command()
def run(
    scenario: ScenarioArgument,
    seed: SeedOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for artefacts (default runs/NAME-seedN); a new one, or one "
            "rdssim wrote before."
        ),
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", help="How to print the summary.")
    ] = Format.table,
    plot: Annotated[bool, typer.Option(help="Draw timeline.png for each variant.")] = True,
    sets: SetOption = None,
    variant: Annotated[
        str | None, typer.Option(help="Run only this variant (default: every one).")
    ] = None,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Also write report.html: the summary, the event log and an interactive "
            "timeline of every variant, in one file that works offline.",
        ),
    ] = False,
) -> None:
    """Run SCENARIO once (every variant on the same seed) and write its artefacts."""
    scenario = resolve(scenario)
    scenarios = _load(scenario, sets)
    if variant is not None:
        scenarios = replace(scenarios, variants={variant: _variant(scenarios, variant)})
    chosen = seed if seed is not None else next(iter(scenarios.variants.values())).seed
    folder = out if out is not None else Path("runs") / f"{scenarios.name}-seed{chosen}"
    summaries: dict[str, Summary] = {}
    try:
        # The folder is checked and its scratch copy made before the run: a bad --out
        # fails at once, and nothing is left behind if the run fails or is interrupted.
        with writing(folder, inputs=[scenario], command="run") as scratch:
            records = {}
            for name, one in scenarios.variants.items():
                records[name] = run_scenario(one, chosen)
                summaries[name] = summarize(records[name])
            combined = combined_summary(scenarios.name, chosen, summaries)
            write_runs(scratch, records, summaries, plot=plot)
            if html:
                from rdssim.html import write as write_html  # plotly only when asked for

                write_html(scratch / REPORT, records)
            (scratch / "summary.json").write_text(
                json.dumps(combined, indent=2) + "\n", encoding="utf-8"
            )
    except OutputError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"--out {folder}: cannot write there ({error.strerror or error})") from None
    except WorkerDied as error:
        raise _fail(f"--out {folder}: nothing written: {error} while drawing the plots") from None
    if format is Format.json:
        sys.stdout.write(json.dumps(combined, indent=2) + "\n")
        return
    title = f"{scenarios.name} — seed {chosen}" + (
        f"\n{scenarios.description}" if scenarios.description else ""
    )
    footer = f"artefacts written to {folder}/" + (
        f"\nHTML report: {folder / REPORT}" if html else ""
    )
    print_summaries(stdout, title, summaries, footer=footer)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Check SCENARIO without running it."""
    scenario = resolve(scenario)
    scenarios = _load(scenario)
    names = ", ".join(scenarios.variants)
    stdout.print(f"{scenario}: ok ({len(scenarios.variants)} variant(s): {names})", highlight=False)


@app.command("list")
def list_scenarios(
    directory: Annotated[Path, typer.Option("--dir", help="Where to look.")] = BUNDLED_DIR,
) -> None:
    """Show the bundled scenarios, one line each."""
    if not directory.is_dir():
        raise _fail(f"--dir {directory}: no such folder")
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise _fail(f"--dir {directory}: no scenario files (*.yaml) there")
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
def explain(
    scenario: ScenarioArgument,
    seed: SeedOption = None,
    variant: Annotated[
        str | None, typer.Option(help="The variant to tell (default: the first).")
    ] = None,
    sets: SetOption = None,
) -> None:
    """Tell SCENARIO's run in plain sentences, in time order, and what would have shortened
    its outage (each change run on the same seed)."""
    from rdssim.explain import explain as tell

    scenario = resolve(scenario)
    scenarios = _load(scenario, sets)
    chosen = _variant(scenarios, variant)
    for line in tell(chosen, chosen.seed if seed is None else seed):
        stdout.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def plot(
    run_dir: Annotated[Path, typer.Argument(help="A folder rdssim run wrote.")],
) -> None:
    """Draw RUN_DIR's plots again from its saved Record (record.jsonl), for each variant."""
    from rdssim.outdir import adopt
    from rdssim.output import draw_runs

    saved = _saved_records(run_dir)
    loaded = {"base" if p.parent == run_dir else p.parent.name: r for p, r in saved.items()}
    try:
        written = draw_runs(run_dir, loaded)
    except OSError as error:
        where = error.filename or run_dir
        raise _fail(f"{where}: cannot write there ({error.strerror or error})") from None
    except WorkerDied as error:
        raise _fail(
            f"{run_dir}: {error} while drawing the plots; each picture is whole, old or new"
        ) from None
    # rdssim wrote them: a later run may still replace the folder whole
    adopt(run_dir, *(path.relative_to(run_dir).as_posix() for path in written))
    for path in written:
        stdout.print(f"wrote {path}", highlight=False)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A folder rdssim run wrote.")],
    out: Annotated[
        Path | None,
        typer.Option(help=f"The file to write (default: RUN_DIR/{REPORT})."),
    ] = None,
) -> None:
    """Write RUN_DIR's HTML report from its saved Records (record.jsonl): the summary, the
    event log and an interactive timeline of every variant, in one file that works offline."""
    from rdssim.html import write as write_html
    from rdssim.outdir import adopt

    target = out if out is not None else run_dir / REPORT
    saved = _saved_records(run_dir)
    try:
        if target.is_dir():
            raise _fail(f"--out {target}: is a folder; name the file to write (e.g. {REPORT})")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            # the page is renamed into place: that would replace the link or device itself
            raise _fail(f"--out {target}: exists and is not a regular file; name a file")
        if target.exists() and target.suffix.lower() not in (".html", ".htm"):
            # the run's own summary.json or record.jsonl, a scenario: not a page to replace
            raise _fail(
                f"--out {target}: exists and is not an HTML file; rdssim report would "
                "overwrite it (name a new file, or an .html one)"
            )
        if not target.parent.is_dir():
            raise _fail(f"--out {target}: no such folder {target.parent}")
    except OSError as error:
        raise _fail(f"--out {target}: cannot write there ({error.strerror or error})") from None
    records = {str(r.meta.get("variant", p.parent.name)): r for p, r in saved.items()}
    try:
        write_html(target, records)
    except OSError as error:
        raise _fail(f"--out {target}: cannot write there ({error.strerror or error})") from None
    if out is None:
        adopt(run_dir, REPORT)  # rdssim wrote it: a later run may replace the folder whole
    stdout.print(f"wrote {target}", highlight=False)


def _saved_records(run_dir: Path) -> dict[Path, Record]:
    """The Records saved in RUN_DIR (its own record.jsonl or its variants' folders'), by
    file, in the order of its summary.json, or exit 2 saying what RUN_DIR lacks."""
    from rdssim.record import Record

    expected = "expected a folder rdssim run wrote"
    try:
        if not run_dir.is_dir():
            raise _fail(f"{run_dir}: no such folder ({expected})")
        summary_file = run_dir / "summary.json"
        if not summary_file.is_file():
            raise _fail(f"{run_dir}: no summary.json: not a folder rdssim run wrote")
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise _fail(f"{run_dir}: cannot read it ({error.strerror or error})") from None
    except ValueError as error:
        raise _fail(f"{summary_file}: not JSON ({error}); {expected}") from None
    if not isinstance(summary, dict):
        raise _fail(f"{summary_file}: not the summary rdssim run writes (a JSON object)")
    variants = summary.get("variants")
    if isinstance(variants, dict):
        for name in variants:
            if not name or name in (".", "..") or "/" in name or "\\" in name:
                raise _fail(f"{summary_file}: {name!r} is not a variant's folder; {expected}")
        # every variant the summary lists: a missing one is a damaged folder, not a smaller run
        paths = [run_dir / str(name) / "record.jsonl" for name in variants]
        for path in paths:
            if not path.is_file():
                raise _fail(
                    f"{path}: missing ({summary_file} lists variant {path.parent.name!r}); "
                    f"{expected}"
                )
    else:
        paths = sorted(
            path
            for path in [run_dir / "record.jsonl", *run_dir.glob("*/record.jsonl")]
            if path.is_file()
        )
        if not paths:
            raise _fail(f"{run_dir}: no record.jsonl here or in a variant's folder ({expected})")
    records: dict[Path, Record] = {}
    for path in paths:
        try:
            records[path] = Record.from_jsonl(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _fail(f"{path}: not a Record rdssim wrote ({error})") from None
    return records


@app.command()
def sweep(
    scenario: ScenarioArgument,
    runs: Annotated[
        int,
        typer.Option("--runs", "--seeds", min=1, max=MAX_SWEEP_RUNS, help="Seeds per grid point."),
    ] = 200,
    seed: Annotated[
        int, typer.Option("--seed", "--first-seed", min=0, max=MAX_SEED, help="The first seed.")
    ] = 0,
    sets: SetOption = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            help="key.path=v1,v2,...: run each value (several --grid: every combination).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes (results do not depend on it).")
    ] = (os.cpu_count() or 1),
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write runs.parquet, runs.csv, sweep.json and figures into this folder; "
            "an interrupted sweep run again with the same arguments resumes."
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    executor: Annotated[
        Executor, typer.Option(help="Where the runs go: local processes or a Dask cluster.")
    ] = Executor.local,
    scheduler: Annotated[
        str | None,
        typer.Option(help="The Dask scheduler's address (tcp://host:8786), with --executor dask."),
    ] = None,
) -> None:
    """Run SCENARIO over many seeds (and grid points): percentiles with 95% bootstrap
    intervals, and each variant's paired change against the first."""
    scenario = resolve(scenario)
    from rdssim.sweep_plan import Journal, build_plan
    from rdssim.sweep_report import print_sweep, sweep_document, write_sweep

    _check_workers(workers)
    if seed + runs - 1 > MAX_SEED:
        raise _fail(f"--seed {seed}: the last seed would pass {MAX_SEED}")
    if (executor is Executor.dask) != (scheduler is not None):
        raise _fail("--executor dask and --scheduler ADDRESS go together")
    if executor is Executor.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise _fail(
                "--executor dask needs Dask distributed: pip install 'rdssim[dask]'"
            ) from None
    seeds = range(seed, seed + runs)
    try:
        plan = build_plan(scenario, sets or [], grid or [], seeds)
    except ScenarioError as error:
        stderr.print(f"[bold red]error:[/] {escape(error.render())}", highlight=False)
        raise typer.Exit(2) from None
    total = len(plan.jobs())
    if total > MAX_SWEEP_RUNS:
        raise _fail(
            f"--runs {runs}: {total:,} runs in all (grid points x variants x seeds); at most "
            f"{MAX_SWEEP_RUNS:,} in one sweep (split it with --seed)"
        )
    journal = Journal.beside(out, scenario, sets or [], grid or [], seeds) if out else None
    done = journal.load() if journal else []
    if done:
        stderr.print(f"resuming: {len(done):,} of {total:,} runs already done", highlight=False)
    name = plan.points[0].name
    from rdssim.sweep_runs import SchedulerError

    try:
        table = _sweep_into(
            out,
            scenario,
            "sweep",
            plan,
            workers,
            lambda folder, rows: write_sweep(folder, rows, plan, name),
            done=done,
            on_row=journal.append if journal else None,
            scheduler=scheduler,
        )
    except SchedulerError as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        if journal is not None:
            kept = len(journal.load())
            stderr.print(
                f"interrupted: {kept:,} of {total:,} runs kept; the same command resumes",
                highlight=False,
            )
        raise
    if journal is not None:
        journal.remove()
    if format is Format.json:
        sys.stdout.write(json.dumps(sweep_document(table, plan, name), indent=2) + "\n")
    else:
        print_sweep(stdout, table, plan, name)
    _fail_on_errors(table)


@app.command()
def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (without variants).")],
    deployments: Annotated[str, typer.Option(help="Comma-separated deployment types.")] = ",".join(
        DEPLOYMENT_TYPES
    ),
    runs: Annotated[int, typer.Option(min=1, max=MAX_SWEEP_RUNS, help="Seeds per type.")] = 100,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="The first seed.")] = 0,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes (results do not depend on it).")
    ] = (os.cpu_count() or 1),
    out: Annotated[
        Path | None, typer.Option(help="Write compare.csv and compare.png into this new folder.")
    ] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    sets: SetOption = None,
) -> None:
    """Put SCENARIO's workload, clients and failures through each deployment type, on the
    same seeds, and compare failover, downtime, data loss and what each runs."""
    scenario = resolve(scenario)
    from rdssim.comparison import (
        CompareError,
        compare_stats,
        comparison_set,
        instance_count,
        parse_deployments,
    )
    from rdssim.sweep_runs import Plan

    _check_workers(workers)
    if seed + runs - 1 > MAX_SEED:
        raise _fail(f"--seed {seed}: the last seed would pass {MAX_SEED}")
    try:
        kinds = parse_deployments(deployments)
    except CompareError as error:
        raise _fail(str(error)) from None
    if runs * len(kinds) > MAX_SWEEP_RUNS:
        raise _fail(f"--runs {runs}: {runs * len(kinds):,} runs in all; at most {MAX_SWEEP_RUNS:,}")
    scenarios = _load(scenario, sets)
    try:
        mapped, dropped = comparison_set(scenarios, kinds)
    except CompareError as error:
        raise _fail(f"{scenario}: {error}") from None
    for notes in dropped.values():
        for note in notes:
            stderr.print(f"[bold yellow]note:[/] {escape(note)}", highlight=False)
    seeds = range(seed, seed + runs)

    def write(folder: Path, rows: pd.DataFrame) -> None:
        from rdssim.plot.deployments import plot_deployments

        rows.to_csv(folder / "compare.csv", index=False)
        plot_deployments(rows, kinds, folder / "compare.png")

    table = _sweep_into(out, scenario, "compare", Plan([mapped], seeds), workers, write)
    stats = compare_stats(table, kinds)
    counts = {kind: instance_count(mapped.variants[kind]) for kind in kinds}
    if format is Format.json:
        document = {
            "scenario": scenarios.name,
            "first_seed": seed,
            "runs": runs,
            "deployments": {kind: {**stats[kind], "instances": counts[kind]} for kind in kinds},
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        stdout.print(
            compare_table(f"{scenarios.name} — seeds {seed}..{seed + runs - 1}", stats, counts)
        )
    _fail_on_errors(table)


def _fail_on_errors(table: pd.DataFrame) -> None:
    """Exit 1 naming the runs that raised (they are rows with an error, not in the stats)."""
    failed = table[table["error"].notna()]
    if len(failed):
        first = failed.iloc[0]
        stderr.print(
            f"[bold red]error:[/] {len(failed):,} run(s) raised (recorded in the error "
            f"column); the first, seed {first['seed']} of {first['variant']}: "
            f"{escape(str(first['error']))}",
            highlight=False,
        )
        raise typer.Exit(1)


def _sweep_into(
    out: Path | None,
    scenario: Path,
    command: str,
    plan: Plan,
    workers: int,
    write: Callable[[Path, pd.DataFrame], None],
    *,
    done: Sequence[dict[str, object]] = (),
    on_row: Callable[[dict[str, object]], None] | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run the sweep with a progress bar (runs done, rate, time left); with ``out``,
    ``write`` its files into a new folder there (exit 2 if it may not or cannot be
    written)."""
    from rdssim.sweep_runs import sweep as run_sweep

    total = len(plan.jobs())
    try:
        folder = writing(out, [scenario], command) if out is not None else _nowhere()
        with folder as scratch:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=stderr,
                transient=True,
                disable=not stderr.is_terminal,
            ) as progress:
                task = progress.add_task(
                    plan.points[0].name, total=total, completed=len(done), rate=""
                )

                def advance(n: int) -> None:
                    progress.advance(task, n)
                    speed = progress.tasks[0].speed
                    progress.update(task, rate=f"{speed:,.1f} runs/s" if speed else "")

                table = run_sweep(
                    plan,
                    workers=workers,
                    progress=advance,
                    done=done,
                    on_row=on_row,
                    scheduler=scheduler,
                )
            if scratch is not None:
                write(scratch, table)
    except OutputError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"--out {out}: cannot write there ({error.strerror or error})") from None
    return table


@contextmanager
def _nowhere() -> Iterator[None]:
    """No output folder: nothing to prepare."""
    yield None


def _json_stats(row: dict[str, float]) -> dict[str, float | int | None]:
    """Distribution statistics as JSON-safe values (NaN, for a metric never measured, is null)."""
    out: dict[str, float | int | None] = {}
    for key, value in row.items():
        out[key] = int(value) if key == "count" else (None if math.isnan(value) else float(value))
    return out


def main() -> None:
    """Entry point of the console script and ``python -m rdssim``."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app(prog_name="rdssim")
    finally:
        # Terminated, even if the handler's exception was swallowed: say so in the exit code.
        signum = terminated_by()
        if signum is not None:
            sys.exit(128 + signum)
