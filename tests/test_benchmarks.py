"""The benchmarks' own scenarios stay valid (a benchmark is run by hand, so nothing else
would notice one rotting); their figures are never asserted here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rdssim.scenario import parse_scenario_text

BENCHMARKS = sorted((Path(__file__).resolve().parent.parent / "benchmarks").glob("bench_*.py"))
# Those that define their scenario inline (the others load bundled ones, tested elsewhere).
INLINE = [path for path in BENCHMARKS if '\nSCENARIO = """' in path.read_text(encoding="utf-8")]


def test_the_inline_scenarios_are_found() -> None:
    assert INLINE  # bench_clients at least: an empty list would test nothing


@pytest.mark.parametrize("path", INLINE, ids=lambda p: p.stem)
def test_a_benchmarks_inline_scenario_is_valid(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)  # defines, does not run: each has a main() guard
    finally:
        del sys.modules[path.stem]
    text = getattr(module, "SCENARIO", None)
    assert isinstance(text, str), f"{path.name}: SCENARIO is not the scenario's text"
    parse_scenario_text(text)
