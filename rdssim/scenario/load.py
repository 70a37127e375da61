"""Load a scenario file: safe YAML, variants, validation, cross-references, located errors."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rdssim.scenario import wording
from rdssim.scenario.checks import check_scenario, scenario_warnings
from rdssim.scenario.errors import ScenarioError, ScenarioWarning
from rdssim.scenario.overrides import apply, covers, parse_path
from rdssim.scenario.schema import Scenario
from rdssim.scenario.source import format_path, parse, read_text

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
    warnings: tuple[ScenarioWarning, ...] = ()
    """Located messages about valid input that will not do what it seems to (printed)."""
    text: str = field(default="", repr=False, compare=False)
    """The YAML it was read from (what :meth:`with_overrides` validates again)."""
    overrides: Mapping[PathKey, Any] = field(default_factory=dict, repr=False)
    """The values changed from the file's (``--set``, :meth:`with_overrides`)."""

    @property
    def has_variants(self) -> bool:
        return list(self.variants) != ["base"]

    def with_overrides(self, values: Mapping[str, Any] | Mapping[PathKey, Any]) -> ScenarioSet:
        """The same scenario with ``values`` changed, by the dotted paths of ``--set`` and of
        the error messages: ``{"workload.phases[0].writes_per_s": 2000}``. Validated like
        the file (ScenarioError naming the path); this one is left as it is."""
        if not self.text:
            raise ScenarioError(
                "this scenario set was not read from YAML: load it with rdssim.load",
                key_path="--set",
            )
        changed = dict(self.overrides)
        for key, value in values.items():
            changed[parse_path(key) if isinstance(key, str) else tuple(key)] = value
        return parse_scenario_text(self.text, file=self.path, overrides=changed)


MAX_VARIANTS = 20
"""More would not fit side by side in a table or a figure; a sweep varies more."""


def load_scenario(path: str | Path, overrides: Mapping[PathKey, Any] | None = None) -> ScenarioSet:
    """Read and validate ``path``, with ``overrides`` (``--set``: rdssim.scenario.overrides)
    applied to the base and every variant; raise ScenarioError on any problem."""
    return parse_scenario_text(read_text(path), file=str(path), overrides=overrides)


def parse_scenario_text(
    text: str, *, file: str = "<string>", overrides: Mapping[PathKey, Any] | None = None
) -> ScenarioSet:
    """Validate scenario YAML given as text (``file`` names it in errors)."""
    node, raw = parse(text, file)
    overrides = dict(overrides or {})
    changed = dict(overrides)  # ``overrides`` names each variant's own below
    if not isinstance(raw, dict):
        raise ScenarioError(
            "expected a mapping of keys (name, duration, deployment, ...) at the top level",
            file=file,
            line=1,
            hint="see docs/scenario-format.md",
        )
    locator = _Locator(file, node, overrides)
    if "variant" in raw:
        raise locator.error(
            ("variant",),
            "unknown key 'variant'; did you mean 'variants'? (a variant is named by its key "
            "under variants:)",
            hint="variants: {my_variant: {...overrides...}}",
        )
    variants_raw = raw.pop("variants", None)
    default_name = Path(file).stem if file != "<string>" else "scenario"
    raw.setdefault("name", default_name)
    if overrides:
        if any(path[0] in ("variants", "variant", "name") for path in overrides):
            raise ScenarioError(
                "--set changes a scenario's values, not its name or variants",
                file=file,
                key_path="--set",
            )
        raw = _applied(raw, overrides, file)
    if variants_raw is None or variants_raw == {}:  # {} as the format's example writes it
        variants = {"base": _validate(raw, locator, prefix=())}
    else:
        if not isinstance(variants_raw, dict):
            raise locator.error(("variants",), "expected a mapping of variant name to overrides")
        if len(variants_raw) > MAX_VARIANTS:
            raise locator.error(
                ("variants",),
                f"{len(variants_raw)} variants; at most {MAX_VARIANTS}",
                hint="to vary one value over many settings, use rdssim sweep",
            )
        # The base is not run when every variant overrides a value, but a bad value there is
        # still a mistake: check what it holds (keys it leaves to the variants may be missing).
        _check_present(raw, locator)
        variants = {}
        merged_by_name: dict[str, dict[str, Any]] = {}
        for name, overrides in variants_raw.items():
            prefix: PathKey = ("variants", str(name))
            if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
                raise locator.error(prefix, "variant names must be words like direct or ttl_5s")
            if not name.isascii():
                raise locator.error(prefix, "variant names must be words like direct or ttl_5s")
            if overrides is None:
                overrides = {}
            if not isinstance(overrides, dict):
                raise locator.error(prefix, "expected a mapping of keys to override")
            if "variants" in overrides or "name" in overrides or "variant" in overrides:
                raise locator.error(prefix, "a variant may not override name or declare variants")
            merged = _applied(_deep_merge(raw, overrides), locator.overrides, file)
            twin = next((n for n, m in merged_by_name.items() if m == merged), None)
            if twin is not None:
                raise locator.error(
                    prefix,
                    f"the same scenario as variant {twin!r}: it would only repeat its run",
                    hint="remove one, or make them differ",
                )
            merged_by_name[name] = merged
            variants[name] = _validate({**merged, "variant": name}, locator, prefix=prefix)
    base = next(iter(variants.values()))
    warnings: list[ScenarioWarning] = []
    for name, scenario in variants.items():
        prefix = ("variants", name) if variants_raw is not None else ()
        for loc, message, hint in scenario_warnings(scenario):
            found = locator.error(loc, message, prefix=prefix, hint=hint)
            warning = ScenarioWarning(message, file, found.line, found.key_path, hint)
            if not any(w.message == message and w.line == warning.line for w in warnings):
                warnings.append(warning)
    return ScenarioSet(
        path=file,
        name=base.name,
        description=base.description,
        variants=variants,
        warnings=tuple(warnings),
        text=text,
        overrides=changed,
    )


def _applied(raw: dict[str, Any], overrides: Mapping[PathKey, Any], file: str) -> dict[str, Any]:
    try:
        return apply(raw, overrides)
    except ScenarioError as error:
        raise ScenarioError(
            error.message, file=file, key_path=error.key_path, hint=error.hint
        ) from None


def _check_present(raw: dict[str, Any], locator: _Locator) -> None:
    """Validate the values the base holds; keys it leaves to its variants may be missing."""
    try:
        Scenario.model_validate(raw)
    except ValidationError as exc:
        for problem in wording.problems(exc.errors()):
            if problem.kind != "missing":
                raise locator.error(problem.loc, problem.message) from None


def _validate(raw: dict[str, Any], locator: _Locator, prefix: PathKey) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = wording.problems(exc.errors())[0]
        raise locator.error(first.loc, first.message, prefix=prefix) from None
    problems = check_scenario(scenario)
    if problems:
        loc, message, hint = problems[0]
        raise locator.error(loc, message, prefix=prefix, hint=hint)
    return scenario


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

    def __init__(
        self, file: str, root: yaml.Node | None, overrides: Mapping[PathKey, Any] | None = None
    ) -> None:
        self.file = file
        self.root = root
        self.overrides = dict(overrides or {})

    def error(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        prefix: PathKey = (),
        hint: str | None = None,
    ) -> ScenarioError:
        set_by = covers(self.overrides, loc)
        if set_by is not None:
            # The value came from --set: point at it, not at the file's line.
            return ScenarioError(
                message, file=self.file, key_path=f"--set {format_path(loc)}", hint=hint
            )
        # A variant's key may come from the variant's overrides or from the base scenario.
        line = self._line((*prefix, *loc), exact=True) if prefix else None
        if line is None:
            line = self._line(tuple(loc))
        path = format_path(loc)
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
