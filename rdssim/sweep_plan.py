"""What a sweep runs and what it has run: the grid's points (``--grid key.path=v1,v2``), and
the journal that lets an interrupted sweep resume.

Every grid point is a scenario set loaded with its values as overrides (rdssim.scenario.
overrides), so a bad grid value is refused before anything runs. The journal is a JSON-lines
file beside the output folder, named by a digest of everything that decides the runs (the
scenario's text, --set, --grid, the seeds, rdssim's version): rows are appended as runs
finish, so an interrupted sweep keeps them, and the same command run again skips them. It is
removed once the output folder is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdssim import __version__
from rdssim.scenario.errors import ScenarioError
from rdssim.scenario.load import load_scenario
from rdssim.scenario.overrides import PathKey, parse_assignment, parse_assignments
from rdssim.scenario.source import format_path, read_text
from rdssim.sweep_runs import Plan

MAX_GRID_POINTS = 1000


def split_values(text: str) -> list[str]:
    """``1s,5s,{uniform: [1s, 2s]}`` -> its values: commas inside brackets do not split."""
    values, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return [v for v in values if v]


def parse_grid(texts: Sequence[str]) -> list[tuple[str, PathKey, list[tuple[str, Any]]]]:
    """Each ``--grid key.path=v1,v2``: (key as written, path, [(value text, value)])."""
    axes: list[tuple[str, PathKey, list[tuple[str, Any]]]] = []
    for text in texts:
        key_text, sep, values_text = text.partition("=")
        if not sep or not split_values(values_text):
            raise ScenarioError(
                f"{text!r} names no values", key_path="--grid", hint="--grid key.path=v1,v2,v3"
            )
        values = []
        path: PathKey = ()
        for value_text in split_values(values_text):
            path, value = parse_assignment(f"{key_text.strip()}={value_text}")
            values.append((value_text, value))
        key = format_path(path)
        if path[0] in ("name", "variants", "variant"):
            raise ScenarioError(
                f"--grid varies a scenario's values, not its {path[0]}", key_path=f"--grid {key}"
            )
        if any(key == other for other, _, _ in axes):
            raise ScenarioError(
                "the same key in two --grid options",
                key_path=f"--grid {key}",
                hint="give its values once: --grid key=v1,v2,v3",
            )
        texts = [text for text, _ in values]
        if len(set(texts)) != len(texts):
            raise ScenarioError("a value given twice", key_path=f"--grid {key}")
        if values_text.strip().endswith(",") or ",," in values_text.replace(" ", ""):
            raise ScenarioError("an empty value", key_path=f"--grid {key}")
        axes.append((key, path, values))
    return axes


def build_plan(
    scenario: Path, sets: Sequence[str], grid: Sequence[str], seeds: Sequence[int]
) -> Plan:
    """Every grid point's scenario set, validated (ScenarioError on the first bad one)."""
    overrides = parse_assignments(sets)
    axes = parse_grid(grid)
    for key, path, _ in axes:
        if path in overrides:
            raise ScenarioError(
                "set by --set too: the grid would override it", key_path=f"--grid {key}"
            )
    count = math.prod(len(values) for _, _, values in axes) if axes else 1
    if count > MAX_GRID_POINTS:
        raise ScenarioError(
            f"{count:,} grid points; at most {MAX_GRID_POINTS:,}", key_path="--grid"
        )
    points, labels = [], []
    for combination in itertools.product(*(values for _, _, values in axes)):
        point = dict(overrides)
        label: dict[str, Any] = {}
        for (key, path, _), (text, value) in zip(axes, combination, strict=True):
            point[path] = value
            label[key] = text
        try:
            points.append(load_scenario(scenario, point))
        except ScenarioError as error:
            raise _as_grid_error(error, label) from None
        labels.append(label)
    return Plan(points, seeds, labels if axes else [])


def _as_grid_error(error: ScenarioError, label: dict[str, Any]) -> ScenarioError:
    """An error in a grid value names --grid and the value, not --set."""
    where = error.key_path or ""
    for key, text in label.items():
        if where == f"--set {key}" or where.startswith((f"--set {key}.", f"--set {key}[")):
            return ScenarioError(
                error.message,
                file=error.file,
                key_path=f"--grid {where.removeprefix('--set ')}={text}",
                hint=error.hint,
            )
    return error


class Journal:
    """The rows of a sweep's finished runs, kept beside its output folder until it is
    written."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(
        cls, out: Path, scenario: Path, sets: Sequence[str], grid: Sequence[str], seeds: range
    ) -> Journal:
        identity = json.dumps(
            {
                "scenario": read_text(scenario),
                "set": list(sets),
                "grid": list(grid),
                "seeds": [seeds.start, seeds.stop],
                "version": __version__,
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
        return cls(out.parent / f".{out.name}.rdssim-sweep-{digest}.jsonl")

    def load(self) -> list[dict[str, Any]]:
        """The rows kept so far (a line cut short by an interruption is dropped)."""
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and {"point", "variant", "seed"} <= set(row):
                rows.append(row)
        return rows

    def append(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, allow_nan=True) + "\n")
            handle.flush()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
