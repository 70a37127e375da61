"""Every key a run's summary.json holds is documented in docs/summary-keys.md."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SCENARIOS

from rdssim.metrics import summarize
from rdssim.scenario import load_scenario
from rdssim.sim import run

DOC = Path(__file__).resolve().parent.parent / "docs" / "summary-keys.md"


def test_every_summary_key_is_documented() -> None:
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOC.read_text(encoding="utf-8")))
    scenario = next(iter(load_scenario(SCENARIOS / "multi_az_failover.yaml").variants.values()))
    keys = set(summarize(run(scenario)).to_dict())
    assert keys - documented == set()
