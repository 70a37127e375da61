"""The tests' guard against a simulation that hangs: a located failure, not a stuck CI."""

from __future__ import annotations

import signal
import time

import pytest
from conftest import within


def test_a_block_that_never_ends_is_stopped_with_a_timeout_error() -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="a simulation that hangs"), within(0.2):
        while True:
            pass
    assert time.monotonic() - start < 5.0


def test_the_tests_own_limit_goes_on_after_the_guard() -> None:
    """pytest-timeout (pyproject: timeout = 300) keeps its timer on SIGALRM: the guard takes
    it over for the block and gives back what is left."""
    before, _ = signal.getitimer(signal.ITIMER_REAL)
    assert before > 0  # pytest-timeout's, this test's
    with within(5.0):
        time.sleep(0.05)
    after, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 0 < after <= before
    assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
