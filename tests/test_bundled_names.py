"""A bundled scenario's name works from any folder, even one holding a folder of that name."""

from __future__ import annotations

from pathlib import Path

import pytest

import rdssim
from rdssim.bundled import bundled_path, resolve


def test_a_folder_named_like_a_bundled_scenario_does_not_shadow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "client_timeouts").mkdir()  # e.g. a run's --out folder
    assert resolve("client_timeouts") == bundled_path("client_timeouts")
    assert rdssim.load("client_timeouts").name == "client_timeouts"


def test_a_file_of_that_name_is_taken_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "client_timeouts"
    mine.write_text((bundled_path("multi_az_failover") or Path()).read_text())
    assert resolve("client_timeouts") == Path("client_timeouts")
    assert rdssim.load("client_timeouts").name == "multi_az_failover"


@pytest.mark.parametrize("command", ["run", "validate", "explain", "sweep", "compare"])
def test_a_name_too_long_for_a_file_is_one_line_and_exit_2(command: str) -> None:
    """Path.is_file raises for ENAMETOOLONG (it only swallows 'no such file'): resolving a
    name was a traceback in every command that takes a scenario."""
    from typer.testing import CliRunner

    from rdssim.cli import app

    result = CliRunner().invoke(app, [command, "x" * 300])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "File name too long" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("source", "expected"),
    [("", "nothing to load"), ("  ", "nothing to load"), ("a\x00b", "holds a NUL")],
)
def test_load_of_nothing_or_an_impossible_name_is_a_scenario_error(
    source: str, expected: str
) -> None:
    """'' was '.: is a directory', and a NUL a bare ValueError from os.open."""
    with pytest.raises(rdssim.ScenarioError, match=expected):
        rdssim.load(source)


@pytest.mark.parametrize("source", [None, 3, b"multi_az_failover"])
def test_load_of_something_that_is_no_source_is_a_type_error(source: object) -> None:
    with pytest.raises(TypeError, match="load takes a file"):
        rdssim.load(source)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("multi_az_failvoer", "multi_az_failover"), ("proxy-vs-direct-failover.yaml", None)],
)
def test_a_misspelt_bundled_name_suggests_it(typed: str, meant: str | None) -> None:
    with pytest.raises(rdssim.ScenarioError) as caught:
        rdssim.load(typed)
    expected = meant or "proxy_vs_direct_failover"
    assert (
        caught.value.hint
        == f"did you mean the bundled scenario {expected!r}? (rdssim list shows them)"
    )


def test_a_missing_file_like_no_bundled_name_says_check_the_path() -> None:
    for typed in ("nothing_like_it", "some/dir/multi_az_failvoer"):
        with pytest.raises(rdssim.ScenarioError) as caught:
            rdssim.load(typed)
        assert caught.value.hint == "check the path"
