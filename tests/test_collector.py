"""A run leaves Python's garbage collector as it found it: rdssim.sim spares the objects that
existed before a run from the collector's passes while it goes on, then puts them back."""

from __future__ import annotations

import gc

from conftest import SCENARIOS

from rdssim.scenario import load_scenario
from rdssim.sim import _collector_spares_what_exists, build

SCENARIO = load_scenario(SCENARIOS / "multi_az_failover.yaml").variants["base"]


def test_a_run_freezes_what_exists_and_puts_it_back() -> None:
    assert gc.get_freeze_count() == 0
    with _collector_spares_what_exists():
        assert gc.get_freeze_count() > 0  # the model and the modules: left out of passes
    assert gc.get_freeze_count() == 0
    build(SCENARIO, 0).run()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_run_leaves_alone_what_someone_else_froze_or_turned_off() -> None:
    gc.freeze()
    try:
        build(SCENARIO, 0).run()
        assert gc.get_freeze_count() > 0  # still theirs, not thawed by the run
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        with _collector_spares_what_exists():
            assert gc.get_freeze_count() == 0
        build(SCENARIO, 0).run()
        assert not gc.isenabled()
    finally:
        gc.enable()
