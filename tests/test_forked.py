"""A run's figures drawn in forked processes: the same files, failures raised here."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import rdssim
from rdssim.forked import WorkerDied, _work, fork_is_safe, run_all, usable_cores
from rdssim.output import draw_runs

needs_fork = pytest.mark.skipif(
    not fork_is_safe() or usable_cores() < 2, reason="forked drawing needs Linux and 2 cores"
)


def mark(folder: Path, name: str, pause_s: float = 0.3) -> Callable[[], None]:
    """A job that waits (so every process gets a turn), then leaves a file naming its pid."""

    def job() -> None:
        time.sleep(pause_s)
        (folder / name).write_text(str(os.getpid()))

    return job


@needs_fork
def test_the_jobs_are_shared_between_this_process_and_its_copies(tmp_path: Path) -> None:
    run_all([mark(tmp_path, f"job{i}") for i in range(4)], workers=2)
    pids = {path.read_text() for path in tmp_path.iterdir()}
    assert len(list(tmp_path.iterdir())) == 4  # each job once
    assert str(os.getpid()) in pids and len(pids) == 2


def test_one_worker_or_another_thread_running_means_here_one_after_the_other(
    tmp_path: Path,
) -> None:
    run_all([mark(tmp_path, f"a{i}", 0.0) for i in range(3)], workers=1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        run_all([mark(tmp_path, f"b{i}", 0.0) for i in range(3)], workers=2)
    finally:
        stop.set()
        other.join()
    assert {path.read_text() for path in tmp_path.iterdir()} == {str(os.getpid())}
    assert len(list(tmp_path.iterdir())) == 6


def test_workers_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
        run_all([lambda: None], workers=0)


def in_a_copy(action: Callable[[], None]) -> Callable[[], None]:
    """A job that waits (so a copy takes one), then does ``action`` if it is in a copy."""
    here = os.getpid()

    def job() -> None:
        time.sleep(0.3)
        if os.getpid() != here:
            action()

    return job


@needs_fork
def test_a_copys_failure_is_raised_here_with_its_file_name(tmp_path: Path) -> None:
    def refuse() -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "clients.png"))

    with pytest.raises(PermissionError) as caught:
        run_all([in_a_copy(refuse)] * 4, workers=2)
    assert caught.value.filename == str(tmp_path / "clients.png")


@needs_fork
def test_an_exception_that_does_not_pickle_arrives_named() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it
        pass

    def fail() -> None:
        raise Local("the figure broke")

    with pytest.raises(RuntimeError, match="Local: the figure broke"):
        run_all([in_a_copy(fail)] * 2, workers=2)


class TwoArguments(Exception):
    """Pickles (its args), but unpickling calls it with one argument: TypeError."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


@needs_fork
def test_an_exception_that_does_not_unpickle_arrives_named() -> None:
    def fail() -> None:
        raise TwoArguments("the figure broke", "clients.png")

    with pytest.raises(RuntimeError, match="its error cannot be read"):
        run_all([in_a_copy(fail)] * 2, workers=2)


def test_with_no_fork_to_be_had_this_process_does_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multiprocessing.context import ForkProcess

    def refuse(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ForkProcess, "start", refuse)
    monkeypatch.setattr("rdssim.forked.fork_is_safe", lambda: True)
    run_all([mark(tmp_path, f"job{i}", 0.3) for i in range(3)], workers=2)
    assert {p.read_text() for p in tmp_path.iterdir()} == {str(os.getpid())}
    assert len(list(tmp_path.iterdir())) == 3


@needs_fork
def test_a_copy_that_dies_is_reported() -> None:
    with pytest.raises(WorkerDied, match=r"died \(exit code 3\)"):
        run_all([in_a_copy(lambda: os._exit(3))] * 2, workers=2)


@needs_fork
def test_after_a_failure_no_new_job_is_begun(tmp_path: Path) -> None:
    def fail() -> None:
        raise ValueError("first job fails at once")

    jobs = [fail] + [mark(tmp_path, f"job{i}", 0.2) for i in range(9)]
    with pytest.raises(ValueError, match="first job fails"):
        run_all(jobs, workers=2)
    # The copy may have begun one before it saw the stop, and then another at most.
    assert len(list(tmp_path.iterdir())) <= 2


@needs_fork
def test_figures_drawn_in_two_processes_are_the_bytes_drawn_in_one(tmp_path: Path) -> None:
    records = {n: r.record for n, r in rdssim.run_all("proxy_vs_direct_failover").items()}
    one = draw_runs(tmp_path / "one", records, workers=1)
    two = draw_runs(tmp_path / "two", records, workers=2)
    assert [p.relative_to(tmp_path / "one") for p in one] == [
        p.relative_to(tmp_path / "two") for p in two
    ]
    assert len(one) == 8
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_copy_whose_parent_is_gone_takes_no_more_jobs(tmp_path: Path) -> None:
    """A copy checks, before each job, that the process which forked it still lives (killed
    outright, it wants no pictures): here, a parent that is not ours."""
    import multiprocessing

    taken = multiprocessing.get_context("fork").Value("i", 0)
    _work([mark(tmp_path, "job", 0.0)], taken, parent=os.getppid() + 1)
    assert not list(tmp_path.iterdir())
    _work([mark(tmp_path, "job", 0.0)], taken, parent=os.getppid())
    assert [p.name for p in tmp_path.iterdir()] == ["job"]


def test_a_drawing_process_that_died_is_a_located_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import rdssim.output
    from rdssim.cli import app

    runner = CliRunner()
    saved = tmp_path / "saved"
    assert runner.invoke(app, ["run", "multi_az_failover", "--out", str(saved)]).exit_code == 0
    before = (saved / "timeline.png").read_bytes()

    def die(*_: object, **__: object) -> list[Path]:
        raise WorkerDied("a drawing process died (exit code -9)")

    monkeypatch.setattr(rdssim.output, "draw_runs", die)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "multi_az_failover", "--out", str(out)])
    assert result.exit_code == 2
    assert "nothing written: a drawing process died (exit code -9)" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    result = runner.invoke(app, ["plot", str(saved)])
    assert result.exit_code == 2
    assert f"{saved}: a drawing process died (exit code -9)" in result.output
    assert (saved / "timeline.png").read_bytes() == before


def test_without_shared_semaphores_this_process_does_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where sem_open fails (no /dev/shm, as on AWS Lambda), forking cannot share a counter."""
    from multiprocessing.context import ForkContext

    asked = []

    def no_semaphores(self: object, *_: object, **__: object) -> None:
        asked.append(True)
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(ForkContext, "Value", no_semaphores)
    monkeypatch.setattr("rdssim.forked.fork_is_safe", lambda: True)
    monkeypatch.setattr("rdssim.forked.usable_cores", lambda: 2)
    run_all([mark(tmp_path, f"job{i}", 0.0) for i in range(3)])
    assert asked  # the shared counter was tried, and refused
    assert {p.read_text() for p in tmp_path.iterdir()} == {str(os.getpid())}
    assert len(list(tmp_path.iterdir())) == 3
