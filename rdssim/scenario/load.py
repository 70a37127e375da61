"""Load a scenario file: safe YAML, variants, validation, cross-references, located errors."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rdssim.scenario.checks import check_scenario
from rdssim.scenario.errors import ScenarioError
from rdssim.scenario.schema import Scenario

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class ScenarioSet:
    """A scenario file: its variants, each a full Scenario, in file order.

    A file without ``variants`` holds one variant named ``base``.
    """

    path: str
    name: str
    description: str
    variants: dict[str, Scenario]

    @property
    def has_variants(self) -> bool:
        return list(self.variants) != ["base"]


def load_scenario(path: str | Path) -> ScenarioSet:
    """Read and validate ``path``; raise ScenarioError on any problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", file=file, hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", file=file) from None
    return parse_scenario_text(text, file=file)


def parse_scenario_text(text: str, *, file: str = "<string>") -> ScenarioSet:
    """Validate scenario YAML given as text (``file`` names it in errors)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=file, line=line) from None
    if not isinstance(raw, dict):
        raise ScenarioError(
            "expected a mapping of keys (name, duration, deployment, ...) at the top level",
            file=file,
            line=1,
            hint="see docs/scenario-format.md",
        )
    duplicate = _first_duplicate_key(node, ())
    if duplicate is not None:
        loc, line = duplicate
        raise ScenarioError(
            "duplicate key (YAML would silently keep only the last one)",
            file=file,
            line=line,
            key_path=_format_path(loc),
        )
    locator = _Locator(file, node)
    variants_raw = raw.pop("variants", None)
    default_name = Path(file).stem if file != "<string>" else "scenario"
    raw.setdefault("name", default_name)
    if variants_raw is None:
        variants = {"base": _validate(raw, locator, prefix=())}
    else:
        if not isinstance(variants_raw, dict) or not variants_raw:
            raise locator.error(("variants",), "expected a mapping of variant name to overrides")
        variants = {}
        for name, overrides in variants_raw.items():
            prefix: PathKey = ("variants", str(name))
            if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
                raise locator.error(prefix, "variant names must be words like direct or ttl_5s")
            if overrides is None:
                overrides = {}
            if not isinstance(overrides, dict):
                raise locator.error(prefix, "expected a mapping of keys to override")
            if "variants" in overrides or "name" in overrides:
                raise locator.error(prefix, "a variant may not override name or declare variants")
            merged = _deep_merge(raw, overrides)
            merged["variant"] = name
            variants[name] = _validate(merged, locator, prefix=prefix)
    base = next(iter(variants.values()))
    return ScenarioSet(path=file, name=base.name, description=base.description, variants=variants)


def _validate(raw: dict[str, Any], locator: _Locator, prefix: PathKey) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise locator.error(loc, _describe(first), prefix=prefix) from None
    problems = check_scenario(scenario)
    if problems:
        loc, message, hint = problems[0]
        raise locator.error(loc, message, prefix=prefix, hint=hint)
    return scenario


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if kind == "extra_forbidden":
        return "unknown key (typos are errors, not ignored)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return message.replace("Input should be", "expected")
    message = message.removeprefix("Value error, ")
    if message.startswith("Input should be"):
        message = "expected" + message.removeprefix("Input should be")
    if "input" in error and "got" not in message:
        return f"{message} (got {error['input']!r})"
    return message


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists and scalars in ``overrides`` replace the base value."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class _Locator:
    """Maps a key path to the line it came from in the YAML source."""

    def __init__(self, file: str, root: yaml.Node | None) -> None:
        self.file = file
        self.root = root

    def error(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        prefix: PathKey = (),
        hint: str | None = None,
    ) -> ScenarioError:
        # A variant's key may come from the variant's overrides or from the base scenario.
        line = self._line((*prefix, *loc), exact=True) if prefix else None
        if line is None:
            line = self._line(tuple(loc))
        path = _format_path(loc)
        if prefix and prefix[0] == "variants":
            path = f"variants.{prefix[1]}: {path}" if loc else f"variants.{prefix[1]}"
        return ScenarioError(message, file=self.file, line=line, key_path=path, hint=hint)

    def _line(self, loc: PathKey, *, exact: bool = False) -> int | None:
        """Line of the deepest node on ``loc``; with ``exact``, None unless all of it exists."""
        node = self.root
        best: int | None = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                found = None
                for key_node, value_node in node.value:
                    if key_node.value == str(key):
                        found = value_node
                        best = key_node.start_mark.line + 1
                        break
                if found is None:
                    return None if exact else best
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return None if exact else best
                node = node.value[key]
                best = node.start_mark.line + 1
            else:
                return None if exact else best
        return best


def _first_duplicate_key(node: yaml.Node | None, loc: PathKey) -> tuple[PathKey, int] | None:
    """(key path, line) of the first key repeated within one mapping, if any."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen and key != "<<":
                return (*loc, key), key_node.start_mark.line + 1
            seen.add(key)
            found = _first_duplicate_key(value_node, (*loc, key))
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _first_duplicate_key(item, (*loc, index))
            if found is not None:
                return found
    return None


def _format_path(loc: Sequence[str | int]) -> str:
    text = ""
    for key in loc:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text
