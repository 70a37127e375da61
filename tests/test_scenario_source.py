"""Reading a scenario file: only regular files, at most 1 MiB, YAML parsed once within limits
(depth, expanded size), YAML 1.2 floats, duplicate keys and self-references refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SCENARIOS

from rdssim.scenario import ScenarioError, parse_scenario_text
from rdssim.scenario.source import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, parse, read_text

BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x]\n"
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
)


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse(text, "s.yaml")
    return info.value


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: os.mkfifo(p), "is a FIFO, not a regular file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"name: x\n# " + b"x" * MAX_FILE_BYTES), "at most 1 MiB"),
        (lambda p: p.write_bytes(b"name: \xff\xfe\n"), "not UTF-8"),
        (lambda p: None, "no such file"),
    ],
    ids=["fifo", "directory", "too-large", "not-utf8", "missing"],
)
def test_files_that_are_not_scenarios_are_refused_at_once(
    tmp_path: Path, make: object, expected: str
) -> None:
    path = tmp_path / "s.yaml"
    make(path)  # type: ignore[operator]
    with pytest.raises(ScenarioError, match=expected) as info:
        read_text(path)  # opened non-blocking: a FIFO with no writer does not hang here
    assert info.value.file == str(path)


@pytest.mark.parametrize(
    "device", [d for d in ("/dev/zero", "/dev/urandom", "/dev/null") if Path(d).exists()]
)
def test_devices_are_refused(device: str) -> None:
    with pytest.raises(ScenarioError, match="not a regular file"):
        read_text(device)


def test_an_alias_bomb_is_refused_without_being_expanded() -> None:
    error = error_of(BOMB)
    assert f"more than {MAX_NODES:,} values" in error.message and error.line == 6
    # Inside variants too: the merge of each variant would expand it.
    variants = "variants:\n  v: {faults: *e}\n"
    assert "more than" in error_of(BOMB.replace("f: [", "g: [") + variants).message


def test_nesting_is_limited_before_python_recursion_is() -> None:
    # libyaml stops at 1,000 levels itself, PyYAML's composer at MAX_DEPTH.
    assert "nest" in error_of("[" * 3000 + "]" * 3000).message
    assert f"more than {MAX_DEPTH} levels deep" in error_of("a:\n" + "  - " * 60 + "x\n").message
    parse("[" * MAX_DEPTH + "]" * MAX_DEPTH, "s.yaml")  # the limit itself is fine


def test_a_node_that_contains_itself_is_refused() -> None:
    assert "refers to the node that contains it" in error_of("a: &a [1, *a]\n").message


def test_duplicate_keys_are_located() -> None:
    error = error_of("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert (error.line, error.key_path) == (4, "b.c")


def test_aliases_and_merge_keys_still_work() -> None:
    _, data = parse("base: &b {x: 1, y: 2}\nmine: {<<: *b, y: 3}\nagain: *b\n", "s.yaml")
    assert data == {"base": {"x": 1, "y": 2}, "mine": {"x": 1, "y": 3}, "again": {"x": 1, "y": 2}}


def test_exponents_are_numbers_as_in_yaml_1_2() -> None:
    _, data = parse("a: 1e5\nb: 2.5E-3\nc: '1e5'\nd: 1.0e3\n", "s.yaml")
    assert data == {"a": 100000.0, "b": 0.0025, "c": "1e5", "d": 1000.0}


def test_only_plain_data_is_constructed() -> None:
    assert (
        "could not determine a constructor" in error_of("a: !!python/object:os.system x\n").message
    )


def test_a_top_level_variant_key_is_refused() -> None:
    base = (SCENARIOS / "multi_az_failover.yaml").read_text()
    with pytest.raises(ScenarioError, match="unknown key") as info:
        parse_scenario_text(base + "variant: hacked\n", file="s.yaml")
    assert info.value.key_path == "variant"
