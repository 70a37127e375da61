"""The corpus of bad inputs for rdssim, shared by tests/test_bad_input_corpus.py and
benchmarks/bench_bad_input.py.

The contract every case is held to (the robustness issue): "exit 2, one message naming the
file, line where possible, key path and what was expected, no traceback, under 5 s and under
500 MB, nothing written to --out, nothing of the user's deleted or changed."

The scenario mutations are generated from the bundled scenarios (``scenarios/*.yaml``): a new
bundled scenario, or a new top-level section in one, is covered without editing this file.
Everything here is deterministic (no randomness, no dependence on dict or set order), so a
case id always names the same input.

This module only builds inputs, runs the command and checks the outcome; it imports nothing
from rdssim except ``rdssim.cli.app`` (inside ``run_in_process``), so it keeps working while
rdssim's internals change.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from alarm import alarm

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

# -- the contract's numbers ------------------------------------------------------------------
# The targets (5 s, 500 MB) are measured by benchmarks/bench_bad_input.py: machines here are
# shared and noisy, so the tests hold each case to guards several times wider, which catch a
# hang or a balloon (the failures the contract is about) without timing anything.
TIME_LIMIT_S = 5.0
MEMORY_LIMIT_MB = 500.0
HANG_GUARD_S = 30.0
MEMORY_GUARD_MB = 1500.0
# A subprocess that has not finished by then is killed and counted as a failure (a FIFO with no
# writer must not hang the command, and must not hang the test suite either).
SUBPROCESS_TIMEOUT_S = 30.0
# Address-space cap of a subprocess: far above what a healthy rdssim process maps (~200 MB of
# virtual memory for a sweep), low enough that reading /dev/zero or building a list of a
# billion seeds fails with MemoryError instead of taking the machine's 24 GB.
SUBPROCESS_ADDRESS_SPACE_BYTES = 3 * 1024**3
# In process the same guard is "this much more address space than the test process already
# has"; the case then fails with MemoryError (exit 1) rather than the OOM killer ending pytest.
IN_PROCESS_ADDRESS_SPACE_HEADROOM_BYTES = 2 * 1024**3
# In process the peak RSS is measured as growth over the test process's RSS; a fresh rdssim
# process starts at about 80-100 MB, so growth beyond this would be over 500 MB on its own.
IN_PROCESS_GROWTH_LIMIT_MB = MEMORY_GUARD_MB - 100.0
# Processes a confined subprocess (sweep --workers N) may start: a sweep that obeyed
# --workers 1000000 would fork a million interpreters.
CONFINED_MAX_PROCESSES = 64
# "One message": a located line plus an optional hint, or click's boxed usage error. An error
# that echoes a 500,000-item input back at the user is not one message.
MAX_MESSAGE_CHARS = 2000
MAX_MESSAGE_LINES = 10

# -- how much of each scenario the mutations cover -------------------------------------------
LEAVES_PER_SECTION = 6  # key paths sampled per top-level section per bundled scenario
# Deleting a key and edge numbers (-1, 0, 1e-300) mostly leave a valid file, so those cases
# run a whole simulation (0.1-0.5 s each, 150 of them at 2 and 2): they get fewer of the
# sampled key paths (spread over them), which keeps the corpus test near a minute on 2 cores.
DELETED_LEAVES_PER_SECTION = 2  # of the sampled key paths: the first and the last
EDGE_LEAVES_PER_SECTION = 1  # of the sampled key paths that hold numbers: the first
BOMB_FAN_OUT = 9  # each anchor level holds 9 references to the level below...
BOMB_LEVELS = 6  # ...6 levels deep: 9**6 = 531,441 strings from ~300 bytes of YAML
DEEP_LEVELS = 3000  # past Python's default recursion limit (1000) with room to spare
BIG_FILE_BYTES = 5 * 1024 * 1024
BIG_LIST_ITEMS = 100_000

Key = str | int
KeyPath = tuple[Key, ...]
PLACEHOLDER = "RDSSIM_CORPUS_PLACEHOLDER"  # swapped for hand-built YAML text after dumping
UNKNOWN_KEY = "unexpected_key"

# Numeric values that are never meaningful: they must give exit 2 wherever a number goes.
NEVER_MEANINGFUL: dict[str, object] = {
    "inf": math.inf,
    "minus-inf": -math.inf,
    "nan": math.nan,
    "1e308": 1e308,
    "int-1e30": 10**30,
}
# Values that are wrong for most numbers but legitimate for some (0 writes/s, a 0 s timeout):
# exit 0 or 2, and the contract when it is 2.
EDGE_NUMBERS: dict[str, object] = {"minus-1": -1, "zero": 0, "1e-300": 1e-300}

_DURATION_WITH_UNIT = re.compile(r"^(?:\d+(?:\.\d+)?\s*(?:ms|min|s|m|h|d)\s*)+$")


# -- reading and writing scenario data -------------------------------------------------------
def bundled_scenarios() -> list[Path]:
    return sorted(SCENARIOS.glob("*.yaml"))


def unshare(value: Any) -> Any:
    """A copy in which no two places are the same object.

    ``&app`` / ``<<: *app`` in a bundled scenario load as shared objects: without this, a
    mutation of one client group would silently change the variant's copy too.
    """
    if isinstance(value, dict):
        return {key: unshare(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unshare(item) for item in value]
    return value


def load_plain(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    return unshare(data)  # type: ignore[no-any-return]


# libyaml's emitter when PyYAML has it: dumping is most of the cost of building a case.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def format_path(path: Sequence[Key]) -> str:
    """``('workload', 'phases', 0, 'writes_per_s')`` as ``workload.phases[0].writes_per_s``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def leaves(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    """Scalars and empty containers under ``value``, in document order."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def containers(value: Any, path: KeyPath) -> Iterator[KeyPath]:
    """Paths of the non-empty mappings and lists under ``value`` (``value`` included)."""
    if isinstance(value, dict) and value:
        yield path
        for key, item in value.items():
            yield from containers(item, (*path, key))
    elif isinstance(value, list) and value:
        yield path
        for index, item in enumerate(value):
            yield from containers(item, (*path, index))


def spread(items: Sequence[Any], count: int) -> list[Any]:
    """``count`` items evenly spaced over ``items``, first and last included (deterministic)."""
    if len(items) <= count:
        return list(items)
    if count == 1:
        return [items[0]]
    picks = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in picks]


def get_at(data: Any, path: KeyPath) -> Any:
    for key in path:
        data = data[key]
    return data


def replaced(data: dict[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the value at ``path`` replaced by ``value``."""
    out: dict[str, Any] = unshare(data)  # plain YAML data: faster than copy.deepcopy
    get_at(out, path[:-1])[path[-1]] = value
    return out


def deleted(data: dict[str, Any], path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = unshare(data)
    del get_at(out, path[:-1])[path[-1]]
    return out


def is_number(value: Any) -> bool:
    """A number, or a duration written with a unit ("5m", "100ms"); not booleans or "8.0"."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_DURATION_WITH_UNIT.match(value.strip()))


# -- hand-built YAML: alias bombs and deep nesting -------------------------------------------
def bomb_flow(levels: int = BOMB_LEVELS, fan_out: int = BOMB_FAN_OUT, tag: str = "l") -> str:
    """A "billion laughs" as one flow sequence that can stand where any value goes.

    The anchors are defined inside the value itself (``&l2 [&l1 [lol, ...], *l1, ...]``), so it
    needs no extra keys elsewhere in the file: the loader sees nothing but the bomb.
    """
    text = f"&{tag}1 [" + ", ".join(["lol"] * fan_out) + "]"
    for level in range(2, levels + 1):
        refs = ", ".join([f"*{tag}{level - 1}"] * (fan_out - 1))
        text = f"&{tag}{level} [{text}, {refs}]"
    return text


def bomb_document(levels: int = BOMB_LEVELS, fan_out: int = BOMB_FAN_OUT) -> str:
    """The classic top-level form: one key per level, each a list of the previous one."""
    lines = ["a1: &a1 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for level in range(2, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def deep_list(levels: int = DEEP_LEVELS) -> str:
    return "[" * levels + "]" * levels


def deep_map(levels: int = DEEP_LEVELS) -> str:
    return "{a: " * levels + "1" + "}" * levels


def with_text_at(data: dict[str, Any], path: KeyPath, flow_text: str) -> str:
    """``data`` dumped as YAML with the value at ``path`` replaced by raw YAML ``flow_text``."""
    text = dump(replaced(data, path, PLACEHOLDER))
    assert text.count(PLACEHOLDER) == 1, "the placeholder must be unique in the dump"
    return text.replace(PLACEHOLDER, flow_text)


# -- the cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workspace:
    """Where one case runs: ``work`` is the current directory and holds the user's files;
    ``out`` (not created) is the default --out target, next to ``work``; ``root`` holds both
    and is what the before/after snapshots cover."""

    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def out(self) -> Path:
        return self.root / "out"


@dataclass(frozen=True)
class Invocation:
    """What to run, and what its error message must name (a file name or an option)."""

    argv: list[str]
    names: str
    out: Path | None = None


@dataclass(frozen=True)
class Case:
    """One bad input.

    ``kind`` groups cases for the benchmark's table (``numeric-never``, ``file:fifo``, ...).
    ``must_fail``: exit 2 is required; otherwise exit 0 is accepted too (a mutation may leave
    a valid file), and exit 2 must meet the contract. ``located``: the message must read
    ``file:line: key.path: ...``. ``mode``: ``in-process`` (typer's CliRunner), ``subprocess``
    (``python -m rdssim``), or ``confined`` (a subprocess that may start only a few processes:
    a sweep that obeyed ``--workers 1000000`` would fork a million interpreters).
    """

    id: str
    kind: str
    setup: Callable[[Workspace], Invocation] = field(compare=False)
    must_fail: bool = False
    located: bool = False
    mode: str = "in-process"
    # A subprocess is killed after this, as an in-process case is (a hang guard).
    timeout_s: float = HANG_GUARD_S


def scenario_case(
    case_id: str,
    kind: str,
    file_name: str,
    make: Callable[[], str | bytes],
    *,
    command: str = "run",
    must_fail: bool = False,
    located: bool = False,
    mode: str = "in-process",
) -> Case:
    """A case whose input is one file, ``make()`` (built when the case runs: dumping every
    case's YAML up front would make collecting the tests take seconds)."""

    def setup(ws: Workspace) -> Invocation:
        content = make()
        path = ws.work / file_name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return _invocation(command, path, ws)

    return Case(case_id, kind, setup, must_fail=must_fail, located=located, mode=mode)


def _invocation(command: str, path: Path | str, ws: Workspace) -> Invocation:
    name = Path(path).name or str(path)
    if command == "run":
        argv = ["run", str(path), "--no-plot", "--out", str(ws.out)]
        return Invocation(argv, names=name, out=ws.out)
    if command == "sweep":
        # Two seeds on one worker: a sweep that (wrongly) accepts the input stays cheap.
        argv = ["sweep", str(path), "--seeds", "2", "--workers", "1", "--out", str(ws.out)]
        return Invocation(argv, names=name, out=ws.out)
    return Invocation([command, str(path)], names=name)


def mutation_cases(path: Path) -> list[Case]:
    """Every mutation class for a deterministic sample of key paths of one bundled scenario.

    Cases that produce the same file are generated once (the first id wins): sibling leaves
    share their parent, and every top-level scalar shares the top level.
    """
    data = load_plain(path)
    stem = path.stem
    cases: list[Case] = []
    seen: set[str] = set()

    def add(
        section: str,
        where: KeyPath,
        label: str,
        kind: str,
        mutated: dict[str, Any],
        *,
        text_at: tuple[KeyPath, str] | None = None,
        must_fail: bool = False,
        located: bool = True,
    ) -> None:
        # The same mutated data (or the same hand-built text at the same place) is one case.
        key = repr((mutated, text_at[0] if text_at else None, label if text_at else None))
        if key in seen:
            return
        seen.add(key)
        inner = format_path(where[1:]) if len(where) > 1 else ""
        # Readable ids: multi_az_failover-workload-phases[0].writes_per_s-inf
        case_id = "-".join(part for part in (stem, section, inner, label) if part)

        def make() -> str:
            if text_at is None:
                return dump(mutated)
            at, flow = text_at
            return with_text_at(mutated, at, flow)

        cases.append(
            scenario_case(case_id, kind, path.name, make, must_fail=must_fail, located=located)
        )

    for section, value in data.items():
        section_leaves = list(leaves(value, (section,)))
        chosen = spread(section_leaves, LEAVES_PER_SECTION)
        to_delete = {where for where, _ in spread(chosen, DELETED_LEAVES_PER_SECTION)}
        numbers = [(where, leaf) for where, leaf in chosen if is_number(leaf)]
        edged = {where for where, _ in spread(numbers, EDGE_LEAVES_PER_SECTION)}
        for where, leaf in chosen:
            parent = get_at(data, where[:-1])
            if where in to_delete:
                add(section, where, "delete", "delete", deleted(data, where))
            if isinstance(parent, dict):
                sibling = {**parent, UNKNOWN_KEY: 1}
                mutated = replaced(data, where[:-1], sibling) if len(where) > 1 else sibling
                # Unknown keys are errors (typos must not fall back to defaults silently).
                add(section, where, "unknown-key", "unknown-key", mutated, must_fail=True)
            # A list for a mapping: the nearest mapping on the path, wrapped in a list (a stray
            # "- "). The top level is a file-level case.
            mapping_at = where if isinstance(leaf, dict) else where[:-1]
            if mapping_at and isinstance(get_at(data, mapping_at), dict):
                wrapped = [get_at(data, mapping_at)]
                add(
                    section,
                    mapping_at,
                    "as-list",
                    "wrong-type",
                    replaced(data, mapping_at, wrapped),
                )
            if not isinstance(leaf, dict | list):
                add(
                    section, where, "as-map", "wrong-type", replaced(data, where, {"unexpected": 1})
                )
            if is_number(leaf):
                add(section, where, "as-string", "wrong-type", replaced(data, where, "lots"))
                add(
                    section,
                    where,
                    "true",
                    "numeric-never",
                    replaced(data, where, True),
                    must_fail=True,
                )
                for label, number in NEVER_MEANINGFUL.items():
                    add(
                        section,
                        where,
                        label,
                        "numeric-never",
                        replaced(data, where, number),
                        must_fail=True,
                    )
                for label, number in EDGE_NUMBERS.items():
                    if where in edged:
                        add(section, where, label, "numeric-edge", replaced(data, where, number))
        # Hand-built text inside the section: its first sampled leaf becomes an alias bomb,
        # its last one a 3000-deep list, and the section itself a 3000-deep mapping.
        first, last = chosen[0][0], chosen[-1][0]
        add(section, first, "bomb", "bomb", data, text_at=(first, bomb_flow()), located=False)
        add(section, last, "deep-list", "deep", data, text_at=(last, deep_list()), located=False)
        add(
            section,
            (section,),
            "deep-map",
            "deep",
            data,
            text_at=((section,), deep_map()),
            located=False,
        )

    # Bombs inside variants: and timings:, whether or not the scenario has those sections.
    variants = {**(data.get("variants") or {}), "laughs": {"workload": {"phases": None}}}
    at: KeyPath = ("variants", "laughs", "workload", "phases")
    add(
        "variants",
        at[:2],
        "bomb-in-override",
        "bomb",
        {**data, "variants": variants},
        text_at=(at, bomb_flow()),
        located=False,
    )
    timings = {**(data.get("timings") or {}), "standby_activation": {"empirical": None}}
    at = ("timings", "standby_activation", "empirical")
    add(
        "timings",
        at[:2],
        "bomb-in-empirical",
        "bomb",
        {**data, "timings": timings},
        text_at=(at, bomb_flow()),
        located=False,
    )
    return cases


def corpus_mutations() -> list[Case]:
    return [case for path in bundled_scenarios() for case in mutation_cases(path)]


def _valid_text() -> str:
    return (SCENARIOS / "multi_az_failover.yaml").read_text(encoding="utf-8")


@functools.cache
def _padded_with_comments() -> bytes:
    text = _valid_text()
    line = "# " + "padding " * 12 + "\n"
    return (text + line * ((BIG_FILE_BYTES - len(text)) // len(line) + 1)).encode("utf-8")


@functools.cache
def _hundred_thousand_phases() -> bytes:
    """multi_az_failover with 100,000 workload phases, one millisecond apart (each valid, only
    the count is absurd: a scenario needs a handful), padded to 5 MB. Written as text:
    dumping 100,000 mappings through PyYAML would take longer than the case."""
    text = _valid_text()
    head, tail = text.split("  phases:\n", 1)
    tail = tail.split("\n", 1)[1]  # drop the one bundled phase
    phases = "".join(f"    - {{start: {i}ms, writes_per_s: 500}}\n" for i in range(BIG_LIST_ITEMS))
    body = head + "  phases:\n" + phases + tail
    pad = BIG_FILE_BYTES - len(body)
    return (body + ("#" * (pad - 1) + "\n" if pad > 1 else "")).encode("utf-8")


def _hundred_thousand_seconds() -> bytes:
    """multi_az_failover whose duration is a list of 100,000 numbers: refused, the message must
    not quote it back (the property test found an error that echoed all 689,000 characters)."""
    numbers = ", ".join(str(i) for i in range(BIG_LIST_ITEMS))
    return _valid_text().replace("duration: 30m", f"duration: [{numbers}]").encode("utf-8")


def _latin1_description() -> bytes:
    return _valid_text().replace("description: ", "description: caf\u00e9 ").encode("latin-1")


def file_cases() -> list[Case]:
    """File-level bad inputs, each given to ``validate`` and to ``run``."""
    contents: dict[str, Callable[[], bytes]] = {
        "empty": lambda: b"",
        "comment-only": lambda: b"# a scenario will go here\n",
        "non-utf8": _latin1_description,
        "binary": lambda: bytes(range(256)) * 16,
        "padded-5mb": _padded_with_comments,
        "list-100k": _hundred_thousand_phases,
        "list-100k-for-a-number": _hundred_thousand_seconds,
        "deep-list": lambda: deep_list().encode("ascii"),
        "deep-map": lambda: deep_map().encode("ascii"),
        "bomb": lambda: bomb_document().encode("ascii"),
        "top-level-list": lambda: b"- a\n- b\n",
        "top-level-scalar": lambda: b"42\n",
    }
    cases: list[Case] = []
    for command in ("validate", "run"):
        for label, make in contents.items():

            def setup(
                ws: Workspace,
                make: Callable[[], bytes] = make,
                command: str = command,
                label: str = label,
            ) -> Invocation:
                path = ws.work / f"{label}.yaml"
                path.write_bytes(make())
                return _invocation(command, path, ws)

            # Two inputs here are valid scenarios (a long comment, many phases): they may be
            # accepted, but not at any price (time, memory).
            must_fail = label not in ("padded-5mb", "list-100k")
            cases.append(
                Case(f"file-{label}-{command}", f"file:{label}", setup, must_fail=must_fail)
            )

        def fifo(ws: Workspace, command: str = command) -> Invocation:
            path = ws.work / "fifo.yaml"
            os.mkfifo(path)
            return _invocation(command, path, ws)

        def directory(ws: Workspace, command: str = command) -> Invocation:
            path = ws.work / "folder.yaml"
            path.mkdir()
            return _invocation(command, path, ws)

        def missing(ws: Workspace, command: str = command) -> Invocation:
            return _invocation(command, ws.work / "missing.yaml", ws)

        cases.append(
            Case(
                f"file-fifo-{command}",
                "file:fifo",
                fifo,
                must_fail=True,
                mode="subprocess",
                timeout_s=SUBPROCESS_TIMEOUT_S,
            )
        )
        for device in ("zero", "urandom"):

            def dev(ws: Workspace, command: str = command, device: str = device) -> Invocation:
                invocation = _invocation(command, f"/dev/{device}", ws)
                return Invocation(invocation.argv, names=f"/dev/{device}", out=invocation.out)

            cases.append(
                Case(
                    f"file-dev-{device}-{command}",
                    f"file:dev-{device}",
                    dev,
                    must_fail=True,
                    mode="subprocess",
                    timeout_s=SUBPROCESS_TIMEOUT_S,
                )
            )
        cases.append(Case(f"file-directory-{command}", "file:directory", directory, must_fail=True))
        cases.append(Case(f"file-missing-{command}", "file:missing", missing, must_fail=True))
    return cases


def _user_scenario(ws: Workspace, name: str = "mine.yaml") -> Path:
    path = ws.work / name
    path.write_text(_valid_text(), encoding="utf-8")
    return path


def read_only_place() -> Path | None:
    """A folder in which even root cannot create anything, or None if this machine has none.

    chmod does not stop root; sysfs refuses new entries to everyone (found by trying).
    """
    for candidate in (Path("/sys"), Path("/sys/kernel"), Path("/proc")):
        probe = candidate / f"rdssim-probe-{os.getpid()}"
        try:
            probe.mkdir()
        except OSError:
            if candidate.is_dir():
                return candidate
            continue
        probe.rmdir()
    return None


def cli_cases() -> list[Case]:
    """Bad options and --out targets, for every command that takes them."""
    cases: list[Case] = []

    def option_case(
        case_id: str, command: str, extra: list[str], option: str, mode: str = "in-process"
    ) -> None:
        def setup(ws: Workspace) -> Invocation:
            path = _user_scenario(ws)
            # Accepted by mistake, the command writes here (an in-process run may not write
            # into the current directory of the test session).
            out = ["--out", str(ws.out)] if command == "run" or mode == "in-process" else []
            return Invocation(
                [command, str(path), *extra, *out], names=option, out=ws.out if out else None
            )

        cases.append(Case(case_id, f"cli:{option.lstrip('-')}", setup, must_fail=True, mode=mode))

    # Huge counts run in a confined subprocess: obeyed, they take all memory or fork without end.
    option_case("sweep-seeds-1e9", "sweep", ["--seeds", "1000000000"], "--seeds", "confined")
    option_case(
        "sweep-seeds-1e20", "sweep", ["--seeds", "100000000000000000000"], "--seeds", "confined"
    )
    option_case(
        "sweep-workers-1e6",
        "sweep",
        ["--seeds", "4", "--workers", "1000000"],
        "--workers",
        "confined",
    )
    option_case(
        "sweep-first-seed-1e23",
        "sweep",
        ["--seeds", "2", "--workers", "1", "--first-seed", "100000000000000000000000"],
        "--first-seed",
    )
    option_case("sweep-seeds-0", "sweep", ["--seeds", "0"], "--seeds")
    option_case("sweep-seeds-text", "sweep", ["--seeds", "many"], "--seeds")
    option_case("sweep-workers-0", "sweep", ["--seeds", "2", "--workers", "0"], "--workers")
    option_case(
        "run-seed-1e23", "run", ["--no-plot", "--seed", "100000000000000000000000"], "--seed"
    )
    option_case("run-seed-minus-1", "run", ["--no-plot", "--seed", "-1"], "--seed")

    # --out targets that hold, or are, the user's own things: exit 2, all of it unchanged.
    def out_case(case_id: str, command: str, target: Callable[[Workspace, Path], str]) -> None:
        def setup(ws: Workspace) -> Invocation:
            path = _user_scenario(ws)
            (ws.work / "notes.txt").write_text("my notes\n", encoding="utf-8")
            out = target(ws, path)
            argv = [command, str(path), "--out", out]
            argv += ["--no-plot"] if command == "run" else ["--seeds", "2", "--workers", "1"]
            return Invocation(argv, names="--out", out=(ws.work / out) if out else ws.work)

        cases.append(Case(case_id, "out", setup, must_fail=True))

    for command in ("run", "sweep"):
        out_case(f"{command}-out-existing-file", command, lambda ws, p: str(ws.work / "notes.txt"))
        out_case(f"{command}-out-is-the-scenario", command, lambda ws, p: str(p))
        out_case(
            f"{command}-out-under-a-file", command, lambda ws, p: str(ws.work / "notes.txt" / "sub")
        )
        out_case(f"{command}-out-dot", command, lambda ws, p: ".")
        out_case(f"{command}-out-empty", command, lambda ws, p: "")
        out_case(f"{command}-out-user-folder", command, lambda ws, p: str(ws.work))
        out_case(f"{command}-out-parent-of-user-folder", command, lambda ws, p: str(ws.root))

        def read_only(ws: Workspace, p: Path) -> str:
            place = read_only_place()
            if place is None:  # the test skips this case before running it
                return str(ws.out)
            return str(place / f"rdssim-out-{os.getpid()}")

        out_case(f"{command}-out-read-only", command, read_only)

    # list --dir: a folder that is not one, or holds bad files. A bad file in a listing is an
    # INVALID line (exit 0); what may never happen is a traceback, a hang or a change.
    def list_case(
        case_id: str, make: Callable[[Workspace], str], must_fail: bool, mode: str = "in-process"
    ) -> None:
        def setup(ws: Workspace) -> Invocation:
            return Invocation(["list", "--dir", make(ws)], names="--dir")

        cases.append(
            Case(
                case_id,
                "cli:list-dir",
                setup,
                must_fail=must_fail,
                mode=mode,
                timeout_s=SUBPROCESS_TIMEOUT_S,
            )
        )

    def bad_files(ws: Workspace) -> str:
        folder = ws.work / "bad"
        folder.mkdir()
        (folder / "binary.yaml").write_bytes(bytes(range(256)))
        (folder / "bomb.yaml").write_text(bomb_document(), encoding="ascii")
        (folder / "deep.yaml").write_text(deep_list(), encoding="ascii")
        (folder / "empty.yaml").write_bytes(b"")
        (folder / "folder.yaml").mkdir()
        (folder / "good.yaml").write_text(_valid_text(), encoding="utf-8")
        return str(folder)

    def with_fifo(ws: Workspace) -> str:
        folder = ws.work / "fifo"
        folder.mkdir()
        (folder / "good.yaml").write_text(_valid_text(), encoding="utf-8")
        os.mkfifo(folder / "pipe.yaml")
        return str(folder)

    list_case("list-dir-missing", lambda ws: str(ws.work / "nowhere"), True)
    list_case("list-dir-is-a-file", lambda ws: str(_user_scenario(ws)), True)
    list_case("list-dir-bad-files", bad_files, False)
    list_case("list-dir-with-fifo", with_fifo, False, mode="subprocess")
    return cases


def representative_subprocess_cases(cases: Sequence[Case]) -> list[Case]:
    """A few in-process cases re-run through ``python -m rdssim``: the real entry point must
    print no traceback either (CliRunner catches what the interpreter would print)."""
    picked: list[Case] = []
    for kind in ("numeric-never", "bomb", "deep"):
        same = [c for c in cases if c.kind == kind and c.mode == "in-process"]
        if same:
            first = same[0]
            picked.append(replace(first, id=f"{first.id}-subprocess", mode="subprocess"))
    by_id = {c.id: c for c in cases}
    for case_id in ("file-deep-list-run", "run-out-user-folder"):
        if case_id in by_id:
            c = by_id[case_id]
            picked.append(replace(c, id=f"{c.id}-subprocess", mode="subprocess"))
    return picked


def corpus() -> list[Case]:
    cases = [*corpus_mutations(), *file_cases(), *cli_cases()]
    return [*cases, *representative_subprocess_cases(cases)]


# -- running a case --------------------------------------------------------------------------
@dataclass
class Outcome:
    exit_code: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    elapsed_s: float
    peak_mb: float | None  # peak RSS (subprocess) or RSS growth (in process); None if unknown
    timed_out: bool = False
    traceback: str = ""  # in process: the exception CliRunner caught, formatted

    @property
    def text(self) -> str:
        return self.stdout + self.stderr + self.traceback

    def last_traceback_line(self) -> str:
        """The exception line of the last traceback ("MemoryError", ...), or ""."""
        start = self.text.rfind("Traceback (most recent call last):")
        if start < 0:
            return ""
        lines = self.text[start:].splitlines()[1:]
        # The frames are indented; the first line that is not is the exception.
        for line in lines:
            if line.strip() and not line.startswith((" ", "\t")):
                return line.strip()
        return lines[-1].strip() if lines else "Traceback"


class CaseTimeout(BaseException):
    """Raised by SIGALRM in the middle of a hanging in-process case.

    A BaseException, so that neither CliRunner nor the code under test swallows it.
    """


def _vm_bytes(field_name: str) -> int | None:
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    match = re.search(rf"^{field_name}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0), so the next reading of
    VmHWM is the peak of the case alone."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _in_process_guard(limit_s: float) -> Iterator[None]:
    """Interrupt the case after ``limit_s`` and cap how much more memory it may map."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = _vm_bytes("VmSize")
    if size is not None:
        cap = size + IN_PROCESS_ADDRESS_SPACE_HEADROOM_BYTES
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        with alarm(limit_s, lambda: CaseTimeout(f"did not finish within {limit_s:g} s")):
            yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@functools.cache
def _click_command() -> Any:
    import typer.main

    from rdssim.cli import app

    return typer.main.get_command(app)


@contextlib.contextmanager
def _command_built_once() -> Iterator[None]:
    """Let CliRunner reuse one click command instead of building it from the app each time.

    Building it is half the cost of an in-process case (typer evaluates every annotation);
    the real ``rdssim`` builds it once per process too. A typer without the hook is slower,
    not wrong.
    """
    import typer.testing

    if not hasattr(typer.testing, "_get_command"):
        yield
        return
    original = typer.testing._get_command
    typer.testing._get_command = lambda app: _click_command()
    try:
        yield
    finally:
        typer.testing._get_command = original


def run_in_process(argv: Sequence[str], limit_s: float = HANG_GUARD_S) -> Outcome:
    """``rdssim ARGV`` through typer's CliRunner, interrupted after ``limit_s``."""
    from typer.testing import CliRunner

    from rdssim.cli import app

    runner = CliRunner()
    measured = _reset_peak_rss()
    rss_before = _vm_bytes("VmRSS") if measured else None
    start = time.perf_counter()
    try:
        with _command_built_once(), _in_process_guard(limit_s):
            result = runner.invoke(app, list(argv))
    except CaseTimeout as timeout:
        return Outcome(
            None,
            "",
            "",
            time.perf_counter() - start,
            None,
            timed_out=True,
            traceback=f"CaseTimeout: {timeout}",
        )
    elapsed = time.perf_counter() - start
    peak = _vm_bytes("VmHWM") if measured else None
    growth = (peak - rss_before) / 1024**2 if peak is not None and rss_before else None
    caught = ""
    # CliRunner keeps what the interpreter would have printed as a traceback; SystemExit is
    # an ordinary exit (typer.Exit(2) included).
    error = result.exception
    if error is not None and not isinstance(error, SystemExit) and result.exc_info is not None:
        caught = "".join(traceback.format_exception(*result.exc_info))
    return Outcome(
        result.exit_code, result.stdout, result.stderr, elapsed, growth, traceback=caught
    )


def _processes_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


# Run rdssim with every way of starting a process counted: past CONFINED_MAX_PROCESSES they
# fail as they would under RLIMIT_NPROC. The kernel limit does not bind root (not even root
# in a user namespace), and dropping to another user is not possible here (the interpreter
# lives under /root, mode 0700); so the limit is also enforced in Python, where
# multiprocessing and subprocess start their processes.
_CONFINED_BOOTSTRAP = """
import _posixsubprocess, errno, os, runpy, sys
_left = [int(os.environ.pop("RDSSIM_CORPUS_MAX_PROCESSES"))]
def _guard(start):
    def guarded(*args, **kwargs):
        if _left[0] <= 0:
            raise BlockingIOError(errno.EAGAIN, "process limit of the bad-input corpus")
        _left[0] -= 1
        return start(*args, **kwargs)
    return guarded
os.fork = _guard(os.fork)
os.posix_spawn = _guard(os.posix_spawn)
os.posix_spawnp = _guard(os.posix_spawnp)
_posixsubprocess.fork_exec = _guard(_posixsubprocess.fork_exec)
sys.argv = ["rdssim", *sys.argv[1:]]
runpy.run_module("rdssim", run_name="__main__", alter_sys=True)
"""


def run_subprocess(
    argv: Sequence[str],
    cwd: Path,
    *,
    timeout_s: float = SUBPROCESS_TIMEOUT_S,
    confined: bool = False,
) -> Outcome:
    """``python -m rdssim ARGV`` in its own session, killed (with its children) after
    ``timeout_s``; its peak RSS read from wait4. Its address space is capped.

    ``confined``: at most CONFINED_MAX_PROCESSES processes started (by the kernel's
    RLIMIT_NPROC too, when not root).
    """
    as_root = os.geteuid() == 0
    allowed = CONFINED_MAX_PROCESSES if as_root else _processes_of(os.getuid()) + 64

    def limits() -> None:
        cap = SUBPROCESS_ADDRESS_SPACE_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if confined and not as_root:
            resource.setrlimit(resource.RLIMIT_NPROC, (allowed, allowed))

    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    command = [sys.executable, "-m", "rdssim", *argv]
    if confined:
        env["RDSSIM_CORPUS_MAX_PROCESSES"] = str(CONFINED_MAX_PROCESSES)
        command = [sys.executable, "-c", _CONFINED_BOOTSTRAP, *argv]
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            env=env,
            start_new_session=True,
            preexec_fn=limits,  # the limits must be set in the child; no threads here
        )
        status, usage = _wait(process, timeout_s)
        elapsed = time.perf_counter() - start
        timed_out = status is None
        # The whole session, a sweep's workers too (only what this call started): killed at
        # the time limit, and after a normal exit in case workers were left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if timed_out:
            status, usage = _wait(process, 10.0)
        out_file.seek(0)
        err_file.seek(0)
        stdout = out_file.read().decode("utf-8", "replace")
        stderr = err_file.read().decode("utf-8", "replace")
    code = None if timed_out or status is None else os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024 if usage is not None else None  # Linux: kB
    return Outcome(code, stdout, stderr, elapsed, peak, timed_out=timed_out)


def _wait(
    process: subprocess.Popen[bytes], timeout_s: float
) -> tuple[int | None, resource.struct_rusage | None]:
    """Reap ``process`` with wait4 (which gives its own rusage) within ``timeout_s``."""
    deadline = time.perf_counter() + timeout_s
    delay = 0.002
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
            return status, usage
        if time.perf_counter() >= deadline:
            return None, None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


# -- checking the outcome --------------------------------------------------------------------
Snapshot = dict[str, tuple[str, str, int]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root``: kind, content digest (files) and mtime (files).

    FIFOs and devices are never opened (that would block, or never end).
    """
    entries: Snapshot = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(folder) / name
            relative = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                entries[relative] = ("link", os.readlink(path), 0)
            elif stat.S_ISDIR(info.st_mode):
                entries[relative] = ("dir", "", 0)
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[relative] = ("file", digest, info.st_mtime_ns)
            else:
                entries[relative] = ("special", "", info.st_mtime_ns)
    return entries


# After the file name: ":LINE: key.path: what was expected".
_LOCATED = r":\d+: [A-Za-z_][\w-]*(?:\[\d+\]|\.[\w-]+)*: \S"


def describe(outcome: Outcome) -> str:
    last = outcome.last_traceback_line()
    if outcome.timed_out:
        # A traceback before the hang (a sweep whose pool failed, then waits for its workers).
        return f"timeout after {outcome.elapsed_s:.1f} s" + (f", traceback: {last}" if last else "")
    text = f"exit {outcome.exit_code}, {outcome.elapsed_s:.2f} s"
    if outcome.peak_mb is not None:
        text += f", {outcome.peak_mb:.0f} MB"
    if last:
        text += f", traceback: {last[:200]}"
    elif outcome.exit_code == 2:
        first = (outcome.stderr.strip().splitlines() or [""])[0]
        text += f", message: {first[:200]!r}"
    return text


def contract_problems(
    case: Case,
    invocation: Invocation,
    outcome: Outcome,
    before: Snapshot,
    after: Snapshot,
    *,
    root: Path,
    out_existed: bool,
    in_process: bool,
) -> list[str]:
    """What the outcome breaks of the contract (empty: it holds)."""
    if outcome.timed_out:
        return [f"did not finish: {describe(outcome)}"]
    problems: list[str] = []
    if outcome.elapsed_s >= HANG_GUARD_S:
        problems.append(f"took {outcome.elapsed_s:.1f} s (guard {HANG_GUARD_S:g} s)")
    limit_mb = IN_PROCESS_GROWTH_LIMIT_MB if in_process else MEMORY_GUARD_MB
    if outcome.peak_mb is not None and outcome.peak_mb >= limit_mb:
        problems.append(f"used {outcome.peak_mb:.0f} MB (limit {limit_mb:g} MB)")
    if "Traceback" in outcome.text:
        problems.append(f"traceback: {outcome.last_traceback_line()}")
    allowed = (2,) if case.must_fail else (0, 2)
    if outcome.exit_code not in allowed:
        problems.append(f"exit {outcome.exit_code}, expected {' or '.join(map(str, allowed))}")
    target = invocation.out
    if outcome.exit_code == 0:
        # Accepted: the artefacts are at --out and nothing else changed. Everything that
        # existed before is the user's (an --out that existed is a must-fail case).
        out_rel = _relative(target, root) if target is not None and not out_existed else None
        problems += _user_changes(before, after, out_rel)
        wrote = target is not None and target.is_dir() and any(target.iterdir())
        if target is not None and not out_existed and not wrote:
            problems.append(f"exit 0 but nothing written to {target}")
    else:
        # Refused (or crashed): the workspace is exactly as it was, scratch folders included.
        if outcome.exit_code == 2:
            problems += _message_problems(case, invocation, outcome)
        if after != before:
            problems.append(_changes(before, after))
        if target is not None and not out_existed and os.path.lexists(target):
            problems.append(f"--out target {target} was created")
    if target is not None and target.parent.is_dir() and not _relative(target, root):
        # Outside the workspace (a read-only place): no scratch folder of ours may be left.
        scratch = [p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}")]
        if scratch:
            problems.append(f"scratch left next to --out: {scratch}")
    return problems


def _relative(target: Path, root: Path) -> str | None:
    """``target`` relative to ``root`` ("" for root itself), or None if it is outside."""
    try:
        relative = Path(os.path.abspath(target)).relative_to(root)
    except ValueError:
        return None
    return "" if str(relative) == "." else str(relative)


def _message_problems(case: Case, invocation: Invocation, outcome: Outcome) -> list[str]:
    problems: list[str] = []
    message = outcome.stderr.strip() or outcome.stdout.strip()
    if not message:
        return ["exit 2 without any message"]
    if invocation.names not in message:
        problems.append(f"the message does not name {invocation.names!r}: {message[:300]!r}")
    elif case.located and not re.search(re.escape(invocation.names) + _LOCATED, message):
        problems.append(f"the message is not 'file:line: key.path: ...': {message[:300]!r}")
    lines = message.splitlines()
    if len(message) > MAX_MESSAGE_CHARS or len(lines) > MAX_MESSAGE_LINES:
        problems.append(
            f"not one message: {len(message):,} characters on {len(lines)} lines "
            f"(limits {MAX_MESSAGE_CHARS:,}, {MAX_MESSAGE_LINES})"
        )
    return problems


def _changes(before: Snapshot, after: Snapshot) -> str:
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    parts = []
    if removed:
        parts.append(f"deleted {removed[:5]}")
    if added:
        parts.append(f"created {added[:5]}")
    if changed:
        parts.append(f"changed {changed[:5]}")
    return "the workspace changed: " + "; ".join(parts)


def _user_changes(before: Snapshot, after: Snapshot, out_rel: str | None) -> list[str]:
    """After exit 0: what changed besides the new --out folder (``out_rel``)."""

    def elsewhere(name: str) -> bool:
        return out_rel is None or not (name == out_rel or name.startswith(out_rel + "/"))

    kept = {k: v for k, v in before.items() if elsewhere(k)}
    now = {k: v for k, v in after.items() if elsewhere(k)}
    return [] if kept == now else [_changes(kept, now)]


def run_case(
    case: Case, root: Path, *, timeout_s: float | None = None
) -> tuple[Invocation, Outcome, list[str]]:
    """Set ``case`` up under ``root``, run it in its mode, and check the contract.

    ``timeout_s``: when a subprocess is killed (default: the case's ``timeout_s``)."""
    ws = Workspace(root)
    ws.work.mkdir(parents=True, exist_ok=True)
    invocation = case.setup(ws)
    out_existed = invocation.out is not None and os.path.lexists(invocation.out)
    before = snapshot(root)
    if case.mode == "in-process":
        previous = Path.cwd()
        os.chdir(ws.work)  # a default or relative --out must land in the workspace, never here
        try:
            outcome = run_in_process(invocation.argv)
        finally:
            os.chdir(previous)
    else:
        outcome = run_subprocess(
            invocation.argv,
            ws.work,
            timeout_s=timeout_s if timeout_s is not None else case.timeout_s,
            confined=case.mode == "confined",
        )
    after = snapshot(root)
    problems = contract_problems(
        case,
        invocation,
        outcome,
        before,
        after,
        root=root,
        out_existed=out_existed,
        in_process=case.mode == "in-process",
    )
    return invocation, outcome, problems


def cases_by_kind(cases: Sequence[Case]) -> Mapping[str, list[Case]]:
    grouped: dict[str, list[Case]] = {}
    for case in cases:
        grouped.setdefault(case.kind, []).append(case)
    return grouped
