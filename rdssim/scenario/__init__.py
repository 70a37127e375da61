"""Scenario files: parse, validate and resolve variants. Knows nothing of SimPy."""

from rdssim.scenario.errors import ScenarioError, ScenarioWarning
from rdssim.scenario.load import ScenarioSet, load_scenario, parse_scenario_text
from rdssim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioSet",
    "ScenarioWarning",
    "load_scenario",
    "parse_scenario_text",
]
