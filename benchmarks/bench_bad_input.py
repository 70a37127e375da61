"""Time and memory of each class of bad input, every case run as its own ``python -m rdssim``.

The robustness contract says a bad input is refused (exit 2, one located message) in under
5 s and under 500 MB. This runs the cases of the bad-input corpus (tests/bad_inputs.py: the
mutations of every bundled scenario, the file-level inputs, the bad options and --out
targets) as subprocesses, as a user would meet them: interpreter start-up included, peak RSS
read from wait4, a FIFO or a hang killed after --timeout seconds. The huge sweeps run confined
(an address-space cap and a process-count limit), as in the tests.

Printed per class: the cases run, the exit codes seen, the worst wall time and the worst peak
RSS against the targets, how many cases broke the contract in any way (tests/
test_bad_input_corpus.py says which and why), and the worst case. A table, not asserts.

By default a deterministic sample of --per-class cases per class (evenly spread over the
class); --all runs the whole corpus (about 2,200 cases: most of an hour on 2 cores).

Usage: python benchmarks/bench_bad_input.py [--per-class N | --all] [--kind PREFIX] [--timeout S]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

# The corpus lives with the tests (tests/bad_inputs.py).
from bad_inputs import (
    MEMORY_LIMIT_MB,
    SUBPROCESS_TIMEOUT_S,
    TIME_LIMIT_S,
    Case,
    cases_by_kind,
    corpus,
    read_only_place,
    run_case,
    spread,
)


@dataclass
class ClassResult:
    cases: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    worst_s: float = 0.0
    worst_s_case: str = ""
    worst_mb: float = 0.0
    worst_mb_case: str = ""
    broken: int = 0


def measure(case: Case, timeout_s: float | None) -> tuple[str, float, float, bool]:
    """(exit, wall s, peak RSS MB, contract broken) of ``case`` as a subprocess."""
    as_subprocess = replace(case, mode="confined" if case.mode == "confined" else "subprocess")
    root = Path(tempfile.mkdtemp(prefix="rdssim-bench-"))
    try:
        _, outcome, problems = run_case(as_subprocess, root, timeout_s=timeout_s)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    exit_text = "timeout" if outcome.timed_out else str(outcome.exit_code)
    return exit_text, outcome.elapsed_s, outcome.peak_mb or 0.0, bool(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=5, help="cases per class (default 5)")
    parser.add_argument("--all", action="store_true", help="every case of the corpus")
    parser.add_argument("--kind", default="", help="only classes starting with this")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"kill a case after S s (default: the case's, {SUBPROCESS_TIMEOUT_S:g} s for a FIFO)",
    )
    args = parser.parse_args()

    groups = cases_by_kind(corpus())
    results: dict[str, ClassResult] = {}
    for kind, cases in sorted(groups.items()):
        if not kind.startswith(args.kind):
            continue
        chosen = cases if args.all else spread(cases, args.per_class)
        result = results.setdefault(kind, ClassResult())
        for case in chosen:
            if case.id.endswith("-out-read-only") and read_only_place() is None:
                continue  # nothing on this machine refuses writes (tests skip it too)
            exit_text, wall_s, peak_mb, broken = measure(case, args.timeout)
            result.cases += 1
            result.exits[exit_text] += 1
            result.broken += broken
            if wall_s > result.worst_s:
                result.worst_s, result.worst_s_case = wall_s, case.id
            if peak_mb > result.worst_mb:
                result.worst_mb, result.worst_mb_case = peak_mb, case.id
            print(
                f"  {case.id:<72} exit {exit_text:>7}  {wall_s:6.2f} s  {peak_mb:6.0f} MB",
                file=sys.stderr,
                flush=True,
            )

    print(
        f"bad inputs as subprocesses: worst wall time against {TIME_LIMIT_S:g} s, worst peak "
        f"RSS against {MEMORY_LIMIT_MB:g} MB (over: !)"
    )
    header = (
        f"{'class':<28} {'cases':>5}  {'exits':<22} {'worst s':>8}   {'worst MB':>8}   "
        f"{'broken':>6}  worst case (time)"
    )
    print(header)
    print("-" * len(header))
    for kind, result in results.items():
        if not result.cases:
            continue
        exits = " ".join(f"{code}:{n}" for code, n in sorted(result.exits.items()))
        time_flag = "!" if result.worst_s >= TIME_LIMIT_S else " "
        mb_flag = "!" if result.worst_mb >= MEMORY_LIMIT_MB else " "
        print(
            f"{kind:<28} {result.cases:>5}  {exits:<22} {result.worst_s:8.2f} {time_flag} "
            f"{result.worst_mb:8.0f} {mb_flag} {result.broken:>6}  {result.worst_s_case}"
        )


if __name__ == "__main__":
    main()
