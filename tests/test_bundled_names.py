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
