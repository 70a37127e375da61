"""A time limit on a block of a test, on SIGALRM, that gives pytest-timeout's back.

Shared by tests/conftest.py (a simulation that hangs) and tests/bad_inputs.py (a bad input
that takes too long); imports nothing from rdssim.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def alarm(seconds: float, error: Callable[[], BaseException]) -> Iterator[None]:
    """Raise ``error()`` in the block once it has run ``seconds``.

    pytest-timeout keeps the test's own limit on the same timer: if that comes first, it is
    left to fire; otherwise it is taken over for the block and given back, less the time
    spent, afterwards. Outside the main thread (no signals there) the block has no limit.
    """
    outer_s, _ = signal.getitimer(signal.ITIMER_REAL)
    if threading.current_thread() is not threading.main_thread() or 0 < outer_s <= seconds:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise error()

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)
        if outer_s > 0:
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer_s - (time.monotonic() - started)))
