"""docs/api.md's examples run, in order, in one namespace (their asserts are the checks);
and the public API's edges: what it refuses and how."""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

import rdssim
import rdssim.api

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_the_api_page_runs() -> None:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for number, block in enumerate(blocks, start=1):
            try:
                exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
            except Exception as error:
                raise AssertionError(f"docs/api.md block {number} fails: {error!r}") from error
    assert "failover" in printed.getvalue()


def test_the_module_docstring_example_holds() -> None:
    failures, tried = doctest.testmod(rdssim.api, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_every_public_name_is_exported() -> None:
    for name in rdssim.__all__:
        assert hasattr(rdssim, name), name
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", rdssim.__version__)


def test_a_missing_file_is_a_located_error() -> None:
    with pytest.raises(rdssim.ScenarioError) as caught:
        rdssim.load("no_such_scenario_here")
    assert "no such file" in caught.value.render()


def test_an_unknown_variant_names_the_ones_there_are() -> None:
    with pytest.raises(rdssim.ScenarioError) as caught:
        rdssim.run("proxy_vs_direct_failover", variant="prxy")
    assert "direct, proxy" in caught.value.render()


def test_a_bad_override_is_located_at_its_path() -> None:
    scenario = rdssim.load("multi_az_failover")
    with pytest.raises(rdssim.ScenarioError) as caught:
        scenario.with_overrides({"workload.phases[9].writes_per_s": 10})
    assert "workload.phases[9]" in caught.value.render()
    with pytest.raises(rdssim.ScenarioError):
        scenario.with_overrides({"not a path": 1})


def test_overrides_compose_and_leave_the_original_alone() -> None:
    scenario = rdssim.load("multi_az_failover")
    first = scenario.with_overrides({"workload.phases[0].writes_per_s": 100})
    both = first.with_overrides({"duration": "20m"})
    base = both.variants["base"]
    assert base.workload.phases[0].writes_per_s == 100 and base.duration_s == 1200
    assert scenario.variants["base"].duration_s != 1200
    run = rdssim.run(scenario, seed=2, overrides={"duration": "20m"})
    assert run.record.duration_s == 1200


def test_a_summary_is_a_mapping_of_its_documented_keys() -> None:
    summary = rdssim.run("multi_az_failover", seed=4).summary
    assert dict(summary) == summary.to_dict()
    assert summary["failover_s"] == summary.failover_s
    with pytest.raises(KeyError, match="did you mean 'failover_s'"):
        summary["failover_sec"]
    frame = summary.to_frame()
    assert len(frame) == 1 and "events" not in frame.columns


def test_an_unknown_series_names_the_ones_there_are() -> None:
    result = rdssim.run("multi_az_failover", seed=4)
    with pytest.raises(KeyError, match="committed_bytes"):
        result.series("comitted")


def test_a_scenario_object_runs_but_cannot_be_overridden() -> None:
    variant = rdssim.load("multi_az_failover").variants["base"]
    assert rdssim.run(variant, seed=5).summary["failovers"] == 1
    with pytest.raises(rdssim.ScenarioError, match=r"rdssim\.load"):
        rdssim.run(variant, overrides={"duration": "20m"})


def test_sweep_rows_do_not_depend_on_workers() -> None:
    one = rdssim.sweep("multi_az_failover", runs=6, workers=1)
    two = rdssim.sweep("multi_az_failover", runs=6, workers=2)
    assert one.equals(two)
