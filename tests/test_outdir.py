"""Output folders: rdssim replaces only what it wrote, refuses the rest before any work, and
leaves no scratch folder, half-written folder or worker process behind, however it ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SCENARIOS

from rdssim import outdir
from rdssim.outdir import MARKER, OutputError, check_target, writing


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (what must not change)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fill(scratch: Path, names: tuple[str, ...] = ("a.txt", "sub/b.txt")) -> None:
    for name in names:
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch / name).write_text(name)


def test_a_new_folder_is_written_whole_with_its_marker(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "out"
    with writing(target) as scratch:
        assert scratch.parent == target.parent and scratch.name.startswith(".")
        fill(scratch)
    manifest = json.loads((target / MARKER).read_text())
    assert manifest["written_by"] == "rdssim"
    assert manifest["files"] == ["a.txt", "sub", "sub/b.txt"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["out"]  # no scratch left


def test_a_folder_rdssim_wrote_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with writing(target) as scratch:
        fill(scratch)
    with writing(target) as scratch:
        fill(scratch, ("c.txt",))
    assert sorted(snapshot(target)) == [MARKER, "c.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_empty_folder_is_taken(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with writing(tmp_path / "out") as scratch:
        fill(scratch, ("c.txt",))
    assert (tmp_path / "out" / "c.txt").read_text() == "c.txt"


@pytest.mark.parametrize(
    ("setup", "target", "expected"),
    [
        ("user-files", "proj", "not written by rdssim (it holds notes.txt, s.yaml)"),
        ("file", "proj/notes.txt", "exists and is not a folder"),
        ("file", "proj/notes.txt/sub", "is a file, not a folder"),
        ("own-plus-user", "out", "also holds mine.txt, which rdssim did not write"),
        ("marker-only-forged", "forged", "not written by rdssim"),
        ("marker-a-list", "listed", "not written by rdssim"),
    ],
)
def test_refused_folders_are_left_as_they_were(
    tmp_path: Path, setup: str, target: str, expected: str
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "notes.txt").write_text("mine")
    (proj / "s.yaml").write_text("name: x\n")
    if setup == "own-plus-user":
        with writing(tmp_path / "out") as scratch:
            fill(scratch)
        (tmp_path / "out" / "mine.txt").write_text("mine")
    if setup == "marker-only-forged":
        (tmp_path / "forged").mkdir()
        (tmp_path / "forged" / MARKER).write_text("{not json")
        (tmp_path / "forged" / "x").write_text("x")
    if setup == "marker-a-list":
        (tmp_path / "listed").mkdir()
        (tmp_path / "listed" / MARKER).write_text('["written_by", "rdssim"]')
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=r"^--out ") as error, writing(tmp_path / target) as out:
        fill(out)
    assert expected in str(error.value)
    assert snapshot(tmp_path) == before


def test_the_current_folder_its_parents_and_inputs_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for target in (Path(""), Path("."), Path(".."), tmp_path, Path("/")):
        with pytest.raises(OutputError, match="current folder"):
            check_target(target)
    scenario = tmp_path / "other" / "s.yaml"
    with pytest.raises(OutputError, match="it holds"):
        check_target(tmp_path / "other", inputs=[scenario])


def test_an_unwritable_place_fails_before_any_work(tmp_path: Path) -> None:
    ran = []
    with pytest.raises(OutputError, match="cannot write there"), writing(Path("/proc/x/out")):
        ran.append(True)  # pragma: no cover - must not be reached
    assert ran == []


def test_a_failure_midway_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new" / "out"
    with pytest.raises(RuntimeError), writing(target) as scratch:
        fill(scratch)
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []  # neither the scratch folder nor the parents


def test_a_failure_midway_keeps_the_previous_run(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with writing(target) as scratch:
        fill(scratch)
    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt), writing(target) as scratch:
        fill(scratch, ("half.txt",))
        raise KeyboardInterrupt
    assert snapshot(tmp_path) == before


# -- killed processes ------------------------------------------------------------------------
SLOW_SWEEP = ["sweep", str(SCENARIOS / "client_timeouts.yaml"), "--seeds", "400"]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: object, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_sweep_leaves_no_workers_and_no_scratch(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "sweep"
    process = subprocess.Popen(
        [sys.executable, "-m", "rdssim", *SLOW_SWEEP, "--workers", "2", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: list[int] = []

    def started() -> bool:
        # The two pool workers are children by now (with multiprocessing's resource tracker
        # and the scratch folder's watcher).
        workers[:] = _children(process.pid)
        return sum("spawn_main" in _cmdline(c) for c in workers) == 2

    assert _wait_for(started), "the sweep's workers did not start"
    os.kill(process.pid, sig)
    process.wait(timeout=30)
    assert _wait_for(lambda: not any(_alive(w) for w in workers)), [
        _cmdline(w) for w in workers if _alive(w)
    ]
    # Only the journal of the runs that finished may stay (the same command resumes them).
    assert _wait_for(lambda: all(".rdssim-sweep-" in p.name for p in tmp_path.iterdir())), list(
        tmp_path.iterdir()
    )
    assert b"Traceback" not in process.stderr.read() if process.stderr else True


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_no_scratch(tmp_path: Path, sig: int) -> None:
    scenario = tmp_path / "long.yaml"
    # A run long enough to be killed in the middle: 38 replicas seeing 300 network losses
    # (each change moves every replica: seconds of work).
    replicas = "".join(f"    - {{name: r{i}, az: us-east-1c}}\n" for i in range(15))
    replicas += "".join(f"    - {{name: s{i}, az: us-east-1c, source: r{i}}}\n" for i in range(15))
    faults = "".join(
        f"  - {{at: {60 + 80 * i}s, kind: network-loss, target: r{i % 15}, duration: 30s}}\n"
        for i in range(300)
    )
    scenario.write_text(
        "name: long\nduration: 1d\n"
        "deployment:\n  type: single-az\n"
        "  instances: [{name: db-1, az: us-east-1a, role: primary}]\n"
        f"  replicas:\n{replicas}"
        "workload: {phases: [{start: 0s, writes_per_s: 500}]}\n"
        f"faults:\n{faults}"
    )
    out = tmp_path / "runs" / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "rdssim", "run", str(scenario), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert _wait_for(lambda: (tmp_path / "runs").exists() and any((tmp_path / "runs").iterdir()))
    os.kill(process.pid, sig)
    code = process.wait(timeout=60)
    assert code != 0, "the run ended before it could be killed: " + (
        process.stderr.read().decode(errors="replace") if process.stderr else ""
    )
    assert _wait_for(lambda: not (tmp_path / "runs").exists()), list((tmp_path / "runs").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml"]


def test_a_termination_swallowed_by_a_finalizer_still_swaps_nothing_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SIGTERM handler's exception can be raised inside a finalizer, where Python only
    prints it; the run then finishes, but what it wrote must not replace --out."""
    target = tmp_path / "out"
    monkeypatch.setattr(outdir, "_terminated_by", None)
    with pytest.raises(SystemExit) as stopped, outdir.writing(target) as scratch:
        (scratch / "summary.json").write_text("{}", encoding="utf-8")
        outdir.note_termination(signal.SIGTERM)  # as the handler does; its raise was lost
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
