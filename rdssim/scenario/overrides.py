"""``--set key.path=value``: one value of a scenario changed from the command line (or from
Python), by the same dotted paths its error messages use (``workload.phases[0].writes_per_s``).

The value is read as a YAML scalar or flow collection by the scenario file's own parser
(``2000`` is a number, ``5s`` a duration, ``{uniform: [1s, 2s]}`` a distribution), set into the
scenario's data before it is validated, and so checked like any value in the file: a bad
one is an error naming ``--set`` and the path. It is applied to the base and to every
variant (a variant cannot undo it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rdssim.scenario import wording
from rdssim.scenario.errors import ScenarioError
from rdssim.scenario.source import format_path, parse

PathKey = tuple[str | int, ...]

_STEP = re.compile(r"(?:^|\.)([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
MAX_SETS = 100


def parse_path(text: str) -> PathKey:
    """``a.b[0].c`` -> ("a", "b", 0, "c"); ScenarioError if it is not such a path."""
    steps: list[str | int] = []
    position = 0
    for match in _STEP.finditer(text):
        if match.start() != position:
            break
        name, index = match.groups()
        steps.append(name if name is not None else int(index))
        position = match.end()
    if not steps or position != len(text) or isinstance(steps[0], int):
        raise ScenarioError(
            f"{text!r} is not a key path",
            key_path="--set",
            hint="write it as in the error messages: workload.phases[0].writes_per_s=2000",
        )
    return tuple(steps)


def parse_assignment(text: str) -> tuple[PathKey, Any]:
    """``key.path=value`` -> (path, value read as YAML)."""
    path_text, sep, value_text = text.partition("=")
    if not sep:
        raise ScenarioError(f"{text!r} has no '='", key_path="--set", hint="--set key.path=value")
    path = parse_path(path_text.strip())
    try:
        _, value = parse(value_text.strip() or "null", f"--set {path_text.strip()}")
    except ScenarioError as error:
        raise ScenarioError(
            f"cannot read the value: {error.message}", key_path=f"--set {format_path(path)}"
        ) from None
    return path, value


def parse_assignments(texts: Sequence[str]) -> dict[PathKey, Any]:
    """Every ``--set``, in order (a later one for the same path wins)."""
    if len(texts) > MAX_SETS:
        raise ScenarioError(f"{len(texts)} --set options; at most {MAX_SETS}", key_path="--set")
    out: dict[PathKey, Any] = {}
    for text in texts:
        path, value = parse_assignment(text)
        out[path] = value
    return out


def apply(raw: dict[str, Any], overrides: Mapping[PathKey, Any]) -> dict[str, Any]:
    """``raw`` with each path set to its value (missing mappings on the way are created; a
    list index must exist)."""
    import copy

    out = copy.deepcopy(raw)
    for path, value in overrides.items():
        node: Any = out
        for depth, step in enumerate(path[:-1]):
            node = _child(node, step, path, depth, create=not isinstance(path[depth + 1], int))
        _set(node, path[-1], copy.deepcopy(value), path)
    return out


def _child(node: Any, step: str | int, path: PathKey, depth: int, *, create: bool) -> Any:
    where = format_path(path[: depth + 1])
    if isinstance(step, int):
        if not isinstance(node, list) or step >= len(node):
            size = len(node) if isinstance(node, list) else 0
            raise ScenarioError(
                f"there is no item {step} here ({size} in the list)",
                key_path=f"--set {where}",
            )
        return node[step]
    if not isinstance(node, dict):
        raise ScenarioError(f"{format_path(path[:depth])} holds no keys", key_path=f"--set {where}")
    if step not in node or node[step] is None:
        if not create:
            keys = wording.keys_at(path[:depth])
            message = (
                wording.unknown_key(path[: depth + 1])
                if keys is not None and step not in keys
                else "there is no list here to index"
            )
            raise ScenarioError(message, key_path=f"--set {where}")
        node[step] = {}
    return node[step]


def _set(node: Any, step: str | int, value: Any, path: PathKey) -> None:
    where = format_path(path)
    if isinstance(step, int):
        if not isinstance(node, list) or step >= len(node):
            raise ScenarioError("there is no such item in the list", key_path=f"--set {where}")
        node[step] = value
    elif isinstance(node, dict):
        node[step] = value
    else:
        raise ScenarioError("its parent holds no keys", key_path=f"--set {where}")


def covers(overrides: Mapping[PathKey, Any], loc: Sequence[str | int]) -> PathKey | None:
    """The override whose path ``loc`` lies in, or that lies in ``loc`` (an unknown key the
    override created): an error there is the --set value's."""
    for path in overrides:
        if tuple(loc[: len(path)]) == path or tuple(path[: len(loc)]) == tuple(loc):
            return path
    return None
