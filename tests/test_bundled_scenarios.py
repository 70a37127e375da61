"""Every bundled scenario runs, and its summary still matches the stored one (SimPy's habit).

``scenarios/NAME.out.json`` holds what ``rdssim run scenarios/NAME.yaml --format json`` prints
for the scenario's own seed. A change that moves a bundled result must say so by updating the
stored file: ``RDSSIM_UPDATE_EXPECTED=1 pytest tests/test_bundled_scenarios.py``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from rdssim.metrics import summarize
from rdssim.output import combined_summary
from rdssim.scenario import load_scenario
from rdssim.sim import run

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def current_summary(path: Path) -> dict[str, Any]:
    scenarios = load_scenario(path)
    seed = next(iter(scenarios.variants.values())).seed
    summaries = {name: summarize(run(s, seed)) for name, s in scenarios.variants.items()}
    return json.loads(json.dumps(combined_summary(scenarios.name, seed, summaries)))


def assert_same(actual: Any, expected: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float):
        # Bit-for-bit on one machine; a last-digit libm difference elsewhere is not a regression.
        assert isinstance(actual, float) and math.isclose(actual, expected, rel_tol=1e-9), where
    else:
        assert actual == expected, where


def test_the_four_scenarios_of_the_issue_are_bundled() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"multi_az_failover", "reboot_with_failover", "az_outage", "storage_failure"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_matches_its_stored_output(path: Path) -> None:
    expected_path = path.with_suffix(".out.json")
    actual = current_summary(path)
    if os.environ.get("RDSSIM_UPDATE_EXPECTED") == "1":
        expected_path.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert expected_path.exists(), (
        f"run with RDSSIM_UPDATE_EXPECTED=1 to create {expected_path.name}"
    )
    assert_same(actual, json.loads(expected_path.read_text(encoding="utf-8")))
