"""The corpus of bad inputs: every one gets exit 2 and one located message, quickly, and
changes nothing.

The contract (the robustness issue): "exit 2, one message naming the file, line where
possible, key path and what was expected, no traceback, under 5 s and under 500 MB, nothing
written to --out, nothing of the user's deleted or changed."

What is covered (the cases are built in tests/bad_inputs.py):

* Scenario mutations, generated from every bundled scenario (``scenarios/*.yaml``) and every
  top-level section it has, on a deterministic sample of up to ``LEAVES_PER_SECTION`` (6) key
  paths per section: an unknown key next to it, wrong types (a string for a number, a list
  for a mapping, a mapping for a scalar, ``true`` for a number), non-finite and absurd numbers
  (.inf, -.inf, .nan, 1e308, 10**30 and ``true`` must be refused), an alias bomb (9
  references per anchor level, 6 levels) at a key, a 3000-deep list at a key and a 3000-deep
  mapping as the section; plus bombs inside ``variants:`` and ``timings:`` of every
  scenario. Deleting the key and edge numbers (-1, 0, 1e-300), which mostly leave a valid
  file and so run a whole simulation, are tried on fewer of those paths (the key deleted at
  the first and the last, edge numbers at the first number). A mutation may leave a valid
  file: then exit 0 is fine, as long as the run finishes in time, writes its --out folder
  and nothing else.
* File-level inputs, to ``validate`` and ``run``: empty, only a comment, non-UTF-8, binary,
  5 MB (a valid scenario padded with comments; one with 100,000 workload phases), a list of
  100,000 numbers for a duration, 3000-deep lists and mappings, a top-level bomb, a top-level
  list or scalar, a FIFO with no writer, /dev/zero, /dev/urandom, a directory, a missing file.
* Options: huge ``--seeds``, ``--workers``, ``--first-seed`` and ``--seed``; ``--out`` that
  is an existing file, the scenario itself, a folder under a file, a read-only place, ``.``,
  ``''``, a folder of the user's (or its parent); ``list --dir`` that is missing, a file, or
  holds bad files. A second run into a folder rdssim wrote replaces it; one the user has added
  a file to is refused.
* A Hypothesis property: any nasty value at any key path of any bundled scenario gives exit
  0 (and the artefacts) or exit 2 (and the contract), for ``validate`` and ``run``.

On exit 2 the checks are: the message names the scenario file (or the option), reads
``file:line: key.path: ...`` for the mutations that have a key, and is one message (at most
2,000 characters on 10 lines: not the input echoed back); no traceback; the workspace (the
user's folder and the --out target's) is byte-for-byte and mtime-for-mtime what it was, with
no scratch folder left. Any exit other than 0 or 2 is a failure, and so is a case that hangs
(30 s) or balloons (1.5 GB): guards, not the contract's 5 s and 500 MB, which
benchmarks/bench_bad_input.py measures (this machine is shared and noisy; tests do not time).

Most cases run in process (typer's CliRunner; fast), interrupted after 30 s and with a cap on
the memory they may map, so that a hanging or ballooning case fails instead of taking the test
session with it. The FIFO, the devices and a few representative cases run as ``python -m
rdssim`` subprocesses (the real entry point, where a traceback would be printed), killed after
30 s (10 s for the others); the huge sweeps run confined (an address-space cap and a count of
the processes they may start: obeyed, they would fork a million interpreters or allocate tens
of GB). ``benchmarks/bench_bad_input.py`` measures the same cases' time and memory as
subprocesses.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from bad_inputs import (
    SCENARIOS,
    Case,
    Invocation,
    KeyPath,
    Outcome,
    Workspace,
    bundled_scenarios,
    containers,
    corpus,
    describe,
    dump,
    format_path,
    leaves,
    load_plain,
    read_only_place,
    replaced,
    run_case,
    run_in_process,
    scenario_case,
    snapshot,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

CASES = corpus()


def _details(invocation: Invocation, outcome: Outcome, problems: list[str]) -> str:
    lines = [
        f"rdssim {' '.join(invocation.argv)}",
        f"  outcome: {describe(outcome)}",
        *(f"  - {p}" for p in problems),
    ]
    if outcome.stderr.strip():
        lines.append("  stderr: " + outcome.stderr.strip()[:600])
    return "\n".join(lines)


# A read-only --out needs a folder that refuses this user's writes (root ignores chmod):
# /sys does here; on a machine with none, those cases are not collected.
RUNNABLE = [
    case
    for case in CASES
    if not case.id.endswith("-out-read-only") or read_only_place() is not None
]


@pytest.mark.parametrize("case", RUNNABLE, ids=[case.id for case in RUNNABLE])
def test_bad_input_meets_the_contract(case: Case, tmp_path: Path) -> None:
    invocation, outcome, problems = run_case(case, tmp_path)
    assert not problems, _details(invocation, outcome, problems)


def test_every_section_of_every_bundled_scenario_is_covered() -> None:
    # Guards the generator: a new section or scenario must show up without editing it.
    ids = {case.id for case in CASES}
    for path in bundled_scenarios():
        for section in load_plain(path):
            prefix = f"{path.stem}-{section}-"
            kinds = {case.kind for case in CASES if case.id.startswith(prefix)}
            assert {"delete", "bomb", "deep"} <= kinds, (path.name, section, kinds)
        assert f"{path.stem}-variants-laughs-bomb-in-override" in ids
        assert f"{path.stem}-timings-standby_activation-bomb-in-empirical" in ids


def _run(workspace: Workspace, argv: list[str]) -> tuple[int | None, str]:
    """One in-process rdssim call from the workspace's work folder."""
    previous = Path.cwd()
    os.chdir(workspace.work)
    try:
        outcome = run_in_process(argv)
    finally:
        os.chdir(previous)
    assert "Traceback" not in outcome.text, describe(outcome)
    return outcome.exit_code, outcome.stderr


def test_a_second_run_into_a_folder_rdssim_wrote_replaces_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.work.mkdir()
    variants = ws.work / "proxy_vs_direct_failover.yaml"
    shutil.copy(SCENARIOS / "proxy_vs_direct_failover.yaml", variants)
    single = ws.work / "multi_az_failover.yaml"
    shutil.copy(SCENARIOS / "multi_az_failover.yaml", single)
    code, stderr = _run(ws, ["run", str(variants), "--no-plot", "--out", str(ws.out)])
    assert code == 0, stderr
    assert (ws.out / "direct" / "summary.json").exists()
    code, stderr = _run(ws, ["run", str(single), "--no-plot", "--seed", "7", "--out", str(ws.out)])
    assert code == 0, stderr
    # Replaced, not merged: the first run's variant folders are gone.
    assert not (ws.out / "direct").exists() and not (ws.out / "proxy").exists()
    assert json.loads((ws.out / "summary.json").read_text())["seed"] == 7
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_user_file_added_to_a_folder_rdssim_wrote_is_kept(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.work.mkdir()
    scenario = ws.work / "multi_az_failover.yaml"
    shutil.copy(SCENARIOS / "multi_az_failover.yaml", scenario)
    code, stderr = _run(ws, ["run", str(scenario), "--no-plot", "--out", str(ws.out)])
    assert code == 0, stderr
    (ws.out / "my-analysis.txt").write_text("conclusions\n", encoding="utf-8")
    before = snapshot(tmp_path)
    code, stderr = _run(ws, ["run", str(scenario), "--no-plot", "--out", str(ws.out)])
    assert code == 2, f"exit {code}: a folder holding a user's file was replaced"
    assert "--out" in stderr, stderr
    assert snapshot(tmp_path) == before, "the folder, the user's file included, is unchanged"


# -- the property ----------------------------------------------------------------------------
class _HugeList(list[int]):
    """A list of 20,000 integers that Hypothesis reports in one line, not 20,000. (Big enough
    to be absurd anywhere; the file-level cases try 100,000, which take a second to parse.)"""

    def __repr__(self) -> str:
        return f"<a list of {len(self):,} integers>"


_NASTY_SCALARS: list[object] = [
    -1,
    0,
    1e-300,
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    10**30,
    -(10**30),
    True,
    False,
    None,
    "",
    " ",
    "lots",
    "5 parsecs",
    "-5m",
    "1e400s",
    "PT",
    "nan",
    "∞",
    "\x00",
    "db-1\n- x",
]
NASTY: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(_NASTY_SCALARS),
    st.text(max_size=40),
    st.integers(),
    st.floats(),
    st.just(_HugeList(range(20_000))),
    st.lists(st.integers() | st.text(max_size=5), max_size=30),
    st.recursive(
        st.integers() | st.text(max_size=5) | st.booleans() | st.none(),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=25,
    ),
)
_SCENARIO_DATA = {path: load_plain(path) for path in bundled_scenarios()}


def _key_paths(data: dict[str, Any]) -> list[KeyPath]:
    """Every key path of ``data``, leaves and containers, in a fixed order."""
    paths = {where for where, _ in leaves(data, ())} | set(containers(data, ()))
    return sorted((p for p in paths if p), key=format_path)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: each attempt may run into the hang guard, and the drawn scenario, key path
    # and value are printed as they are.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_any_nasty_value_anywhere_is_accepted_or_refused_cleanly(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(sorted(_SCENARIO_DATA)), label="scenario")
    scenario = _SCENARIO_DATA[path]
    where = data.draw(st.sampled_from(_key_paths(scenario)), label="key path")
    value = data.draw(NASTY, label="value")
    if isinstance(value, _HugeList):
        value = list(value)  # YAML dumps plain lists only
    text = dump(replaced(scenario, where, value))
    for command in ("validate", "run"):
        case = scenario_case(
            f"property-{command}", "property", path.name, lambda: text, command=command
        )
        with tempfile.TemporaryDirectory() as tmp:
            invocation, outcome, problems = run_case(case, Path(tmp))
            assert not problems, _details(invocation, outcome, problems)
            if command == "run" and outcome.exit_code == 0:
                assert (Workspace(Path(tmp)).out / "summary.json").exists()
