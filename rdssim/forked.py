"""Independent jobs (a run's figures) done side by side on the machine's cores.

Each figure of a run is a job of its own: its own Figure, its own file, written whole by
:func:`rdssim.plot.figure.save_png`. They need nothing from each other, so they are drawn in
forked copies of this process, which start with matplotlib imported and the records in
memory: nothing is pickled but an exception, and a fork costs milliseconds where a fresh
interpreter (spawn) would import matplotlib again, longer than a figure takes. This process
works too, taking the next job as the copies do, so ``workers`` processes draw at once.

Where forking is not safe (other Python threads running: a lock one of them holds would
stay locked in the copy) or not what the platform does well (not Linux), or where it cannot
gain (one core, one job), the jobs are done here one after the other. The files are the same
bytes either way: a figure's drawing reads only its record.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

Job = Callable[[], object]


class WorkerDied(RuntimeError):
    """A forked copy ended without a word (killed, out of memory): its job is not done."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """Linux, and no Python thread but this one."""
    return sys.platform == "linux" and threading.active_count() == 1


def run_all(jobs: Sequence[Job], workers: int | None = None) -> None:
    """Do every job, in up to ``workers`` processes (:func:`usable_cores` if None).

    The first job to raise stops the others taking new ones, and its exception is raised
    here once every process has finished the job it was doing. An exception that cannot be
    pickled arrives as a RuntimeError naming it.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    count = min(len(jobs), usable_cores() if workers is None else workers)
    context = multiprocessing.get_context("fork")
    taken = _shared_counter(context) if count >= 2 and fork_is_safe() else None
    if taken is None:
        for job in jobs:
            job()
        return
    copies = []
    here = os.getpid()
    for _ in range(count - 1):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_work_in_copy, args=(jobs, taken, sender, here), daemon=True
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns of any OS thread at a fork; numpy's BLAS keeps idle ones,
            # which hold no lock of ours and are re-made in the copy (pthread_atfork).
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            try:
                process.start()
            except OSError:  # no fork to be had (process or memory limits): fewer copies
                receiver.close()
                sender.close()
                break
        sender.close()
        copies.append((process, receiver))
    failures: list[BaseException] = []
    try:
        _work(jobs, taken)
    except BaseException as error:
        _stop(taken, len(jobs))
        failures.append(error)
    for process, receiver in copies:
        failure = _outcome(process, receiver)
        if failure is not None:
            failures.append(failure)
    if failures:
        raise failures[0]


def _shared_counter(context: Any) -> Synchronized[int] | None:
    """The next job's index, shared by the copies; None where shared semaphores cannot be
    made (no /dev/shm, as on AWS Lambda): no forking there."""
    try:
        counter: Synchronized[int] = context.Value("i", 0)
    except (OSError, ImportError):
        return None
    return counter


def _work(jobs: Sequence[Job], taken: Synchronized[int], parent: int | None = None) -> None:
    """Take the next job not yet taken and do it, until none is left (or, in a copy, until
    the process that forked it, ``parent``, is gone: killed outright, it wants none)."""
    while parent is None or os.getppid() == parent:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(jobs):
            return
        jobs[index]()


def _stop(taken: Synchronized[int], count: int) -> None:
    """Leave no job to take: the others finish what they are doing and stop."""
    with taken.get_lock():
        taken.value = count


def _work_in_copy(
    jobs: Sequence[Job], taken: Synchronized[int], sender: Connection, parent: int
) -> None:
    """A forked copy's life: work, then send None or the exception that stopped it."""
    outcome: Any = None
    try:
        _work(jobs, taken, parent)
    except BaseException as error:
        _stop(taken, len(jobs))
        outcome = error
    try:
        sender.send(outcome)
    except Exception:  # an exception that does not pickle: its name and message
        sender.send(RuntimeError(f"{type(outcome).__name__}: {outcome}"))
    sender.close()


def _outcome(process: Any, receiver: Connection) -> BaseException | None:
    """What a copy sent once it has ended: None, its exception, or one saying it died."""
    outcome: BaseException | None
    try:
        outcome = receiver.recv()
    except EOFError:  # it ended without a word: killed, or out of memory
        outcome = None
        process.join()
        if process.exitcode != 0:
            outcome = WorkerDied(f"a drawing process died (exit code {process.exitcode})")
    except Exception as error:  # an exception that pickles but does not unpickle
        outcome = RuntimeError(f"a drawing process failed, and its error cannot be read: {error}")
    process.join()
    receiver.close()
    return outcome
