"""Error messages in the words of the scenario format: "did you mean" for misspelt keys and
values, a misspelt required key reported as the typo it is, and none of pydantic's wording
(its phrases, regex patterns, model class names) in any message.

Each case changes the canonical scenario (scenarios/multi_az_failover.yaml) in one place and
checks the located error: its key path, its line where that matters, the words it must say
and the words it must not. A Hypothesis property misspells one key of any bundled scenario
by one character and checks the error names it and suggests the original.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SCENARIOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.scenario import ScenarioError, load_scenario, parse_scenario_text
from rdssim.scenario.fields import DISTRIBUTION_KEYS
from rdssim.scenario.overrides import parse_assignments
from rdssim.scenario.schema import Scenario
from rdssim.scenario.wording import PATTERNS, close_matches, keys_at

CANONICAL = SCENARIOS / "multi_az_failover.yaml"
TEXT = CANONICAL.read_text(encoding="utf-8")

# Words of pydantic's that no message may carry (case-insensitive).
PYDANTIC_WORDS = [
    "input should",
    "instance of",
    "pattern",
    "validation error",
    "type=",
    "pydantic",
    "spec",
    "valid dictionary",
    "valid integer",
    "valid number",
    "valid string",
    "valid boolean",
    "valid list",
    "field required",
    "extra inputs",
    "string should",
    "keys should",
    "should have at",
    "value error",
    "[key]",
    "input_value",
    "^",
    "$",
    "got none",
    "datetime",
    "got b'",
]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, file="scn.yaml")
    return info.value


def assert_plain(error: ScenarioError) -> None:
    text = str(error)
    lowered = text.lower()
    found = [w for w in PYDANTIC_WORDS if w in lowered]
    assert not found, f"pydantic's wording {found} in: {text}"
    # A value is shown as YAML has it: true and nothing, not Python's True and None.
    assert not re.search(r"\(got (True|False|None)\)", text), text
    # No model class names at all.
    assert not re.search(r"\b[A-Z][a-z]+(Spec|Phase|Scenario)\b", text), text


def changed(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def added(section: str) -> str:
    return TEXT + section


CLIENT = "clients:\n  - {name: app, instances: 4, requests_per_s: 10%s}\n"

# (id, scenario text, key path, line fragment or None, words the message must contain)
CASES: list[tuple[str, str, str, str | None, list[str]]] = [
    # -- unknown keys, at every depth ---------------------------------------------------------
    (
        "top-level",
        added("descripton: x\n"),
        "descripton",
        "descripton:",
        ["unknown key 'descripton'; did you mean 'description'?"],
    ),
    (
        "in-a-section",
        changed("dns_cache: ttl", "dns_cach: ttl"),
        "probe.dns_cach",
        "dns_cach:",
        ["unknown key 'dns_cach'; did you mean 'dns_cache'?"],
    ),
    (
        "in-a-list-item",
        changed("target: primary}", "targt: primary}"),
        "faults[0].targt",
        "targt",
        ["unknown key 'targt'; did you mean 'target'?"],
    ),
    (
        "in-a-phase",
        changed("writes_per_s: 500", "writes_per_s: 500, writes_per_sec: 5"),
        "workload.phases[0].writes_per_sec",
        "writes_per_sec",
        ["unknown key 'writes_per_sec'; did you mean 'writes_per_s'?"],
    ),
    (
        "in-a-mapping-in-a-list-item",
        changed("role: standby}", "role: standby, link: {latncy: 5ms}}"),
        "deployment.instances[1].link.latncy",
        "latncy",
        ["unknown key 'latncy'; did you mean 'latency'?"],
    ),
    (
        "in-a-client-pool",
        added(CLIENT % ", pool: {sise: 5}"),
        "clients[0].pool.sise",
        "sise",
        ["unknown key 'sise'; did you mean 'size'?"],
    ),
    (
        "in-timings",
        added("timings:\n  dns_tll: 5s\n"),
        "timings.dns_tll",
        "dns_tll",
        ["did you mean 'dns_ttl'?"],
    ),
    (
        "in-failures",
        added("failures:\n  hots: {per_year: 1}\n"),
        "failures.hots",
        "hots",
        ["did you mean 'host'?"],
    ),
    (
        "a-dash-for-an-underscore",
        changed("dns_cache: ttl", "dns-cache: ttl"),
        "probe.dns-cache",
        "dns-cache",
        ["did you mean 'dns_cache'?"],
    ),
    (
        "in-a-variant",
        added("variants:\n  a: {probe: {dns_cach: fixed}}\n  b: {seed: 2}\n"),
        "variants.a: probe.dns_cach",
        "a: {probe",
        ["unknown key 'dns_cach'; did you mean 'dns_cache'?"],
    ),
    (
        "variant-for-variants",
        added("variant: {a: {seed: 2}}\n"),
        "variant",
        "variant:",
        ["did you mean 'variants'?"],
    ),
    (
        "misspelt-variants",
        added("variantz:\n  a: {seed: 2}\n"),
        "variantz",
        "variantz:",
        ["did you mean 'variants'?"],
    ),
    (
        "nothing-close-lists-the-keys",
        added("zzzzzz: 1\n"),
        "zzzzzz",
        "zzzzzz",
        ["unknown key 'zzzzzz'; the keys here are name, description", "faults", "variants"],
    ),
    # -- a misspelt required key is the typo, not "missing" -------------------------------------
    (
        "required-top-level",
        changed("duration: 30m", "duraton: 30m"),
        "duraton",
        "duraton:",
        ["unknown key 'duraton'; did you mean 'duration' (required)?"],
    ),
    (
        "required-section",
        changed("deployment:", "deploymnt:"),
        "deploymnt",
        "deploymnt:",
        ["did you mean 'deployment' (required)?"],
    ),
    (
        "required-in-a-section",
        changed("type: multi-az-instance", "typ: multi-az-instance"),
        "deployment.typ",
        "typ:",
        ["did you mean 'type' (required)?"],
    ),
    (
        "required-in-a-list-item",
        changed("kind: host-crash", "kidn: host-crash"),
        "faults[0].kidn",
        "kidn",
        ["unknown key 'kidn'; did you mean 'kind' (required)?"],
    ),
    (
        "required-in-a-phase",
        changed("{start: 0s", "{strat: 0s"),
        "workload.phases[0].strat",
        "strat",
        ["did you mean 'start' (required)?"],
    ),
    (
        "required-in-a-client",
        added("clients:\n  - {name: app, instancs: 4, requests_per_s: 10}\n"),
        "clients[0].instancs",
        "instancs",
        ["did you mean 'instances' (required)?"],
    ),
    (
        "required-beside-a-given-key-one-edit-away",
        # 'a' is one edit from both 'at' (missing) and 'az' (given): the missing one it is.
        changed("{at: 5m, kind: host-crash, target: primary}", "{a: 5m, kind: az-outage, az: x}"),
        "faults[0].a",
        "a: 5m",
        ["did you mean 'at' (required)?"],
    ),
    (
        "missing-with-nothing-close",
        changed("{at: 5m, kind: host-crash", "{kind: host-crash"),
        "faults[0].at",
        None,
        ["required key is missing"],
    ),
    # -- misspelt values of every enumerated key -----------------------------------------------
    (
        "fault-kind",
        changed("kind: host-crash", "kind: host-crsh"),
        "faults[0].kind",
        "host-crsh",
        [
            "expected 'host-crash', 'storage-failure'",
            "(got 'host-crsh'); did you mean 'host-crash'?",
        ],
    ),
    (
        "role",
        changed("role: standby", "role: stanby"),
        "deployment.instances[1].role",
        "stanby",
        ["did you mean 'standby'?"],
    ),
    (
        "deployment-type",
        changed("type: multi-az-instance", "type: multi-az-instnce"),
        "deployment.type",
        "instnce",
        ["did you mean 'multi-az-instance'?"],
    ),
    ("engine", changed("engine: mysql", "engine: mysq"), "engine", None, ["did you mean 'mysql'?"]),
    (
        "engine-capitalised",
        changed("engine: mysql", "engine: MySQL"),
        "engine",
        None,
        ["did you mean 'mysql'?"],
    ),
    (
        "dns-cache-mode",
        changed("dns_cache: ttl", "dns_cache: forevr"),
        "probe.dns_cache",
        None,
        ["did you mean 'forever'?"],
    ),
    (
        "replication",
        changed("type: multi-az-instance", "type: multi-az-instance\n  replication: rds-manged"),
        "deployment.replication",
        None,
        ["did you mean 'rds-managed'?"],
    ),
    (
        "storage-type",
        changed("type: multi-az-instance", "type: multi-az-instance\n  storage: {type: gp33}"),
        "deployment.storage.type",
        None,
        ["did you mean 'gp3'?"],
    ),
    (
        "ha-manager",
        changed("type: multi-az-instance", "type: multi-az-instance\n  ha: {manager: patroin}"),
        "deployment.ha.manager",
        None,
        ["did you mean 'patroni'?"],
    ),
    (
        "client-kind",
        added(CLIENT % ", kind: per-reqest"),
        "clients[0].kind",
        None,
        ["did you mean 'per-request'?"],
    ),
    (
        "action-kind",
        added("actions:\n  - {at: 1m, kind: promote-replcia, target: r1}\n"),
        "actions[0].kind",
        None,
        ["did you mean 'promote-replica'?"],
    ),
    (
        "nothing-close-lists-the-values",
        changed("kind: host-crash", "kind: meteor"),
        "faults[0].kind",
        None,
        ["expected 'host-crash'", "'volume-copy-loss' (got 'meteor')"],
    ),
    (
        "distribution-form",
        added("timings:\n  dns_propagation: {unifrm: [1s, 2s]}\n"),
        "timings.dns_propagation",
        None,
        ["unknown distribution 'unifrm'; did you mean 'uniform'?"],
    ),
    (
        "distribution-key",
        added("timings:\n  standby_activation: {lognormal: {medain: 30s, sigma: 0.3}}\n"),
        "timings.standby_activation",
        None,
        ["unknown key 'medain'; did you mean 'median'?"],
    ),
    # -- misspelt names of the scenario's own things and of instance classes -----------------
    (
        "fault-target",
        changed("target: primary", "target: primry"),
        "faults[0].target",
        None,
        ["no instance named 'primry'; did you mean 'primary'? (known: db-1, db-2)"],
    ),
    (
        "fault-target-ambiguous-lists-the-names",
        changed("target: primary", "target: db-3"),
        "faults[0].target",
        None,
        ["no instance named 'db-3'; known: db-1, db-2"],
    ),
    (
        "instance-class",
        changed(
            "type: multi-az-instance", "type: multi-az-instance\n  instance_class: db.r6g.larg"
        ),
        "deployment.instance_class",
        None,
        ["unknown instance class 'db.r6g.larg'; did you mean 'db.r6g.large'?"],
    ),
    # -- wrong types: every kind of error pydantic reports here -------------------------------
    (
        "mapping-got-a-number",
        changed("probe:\n  interval: 1s\n  dns_cache: ttl", "probe: 5"),
        "probe",
        "probe:",
        ["expected a mapping of keys such as", "interval", "(got 5)"],
    ),
    (
        "mapping-got-a-list",
        changed("probe:\n  interval: 1s\n  dns_cache: ttl", "probe: [1, 2]"),
        "probe",
        None,
        ["expected a mapping", "(got [1, 2])"],
    ),
    (
        "mapping-got-nothing",
        changed("probe:\n  interval: 1s\n  dns_cache: ttl", "probe:"),
        "probe",
        None,
        ["expected a mapping", "(got nothing)"],
    ),
    (
        "mapping-got-true",
        added("proxy: true\n"),
        "proxy",
        None,
        ["expected a mapping", "(got true)"],
    ),
    (
        "list-item-got-a-number",
        changed("- {at: 5m, kind: host-crash, target: primary}", "- 5"),
        "faults[0]",
        None,
        ["expected a mapping of keys such as at, kind"],
    ),
    (
        "list-got-a-mapping",
        changed("- {at: 5m, kind: host-crash, target: primary}", "  at: 5m"),
        "faults",
        None,
        ["expected a list", "starting with '- '"],
    ),
    ("list-got-text", added("clients: app\n"), "clients", None, ["expected a list (got 'app')"]),
    (
        "whole-number-got-a-fraction",
        changed("seed: 1", "seed: 1.5"),
        "seed",
        None,
        ["expected a whole number (got 1.5)"],
    ),
    (
        "whole-number-got-true",
        changed("seed: 1", "seed: true"),
        "seed",
        None,
        ["expected a whole number (got true)"],
    ),
    (
        "whole-number-got-quoted",
        changed("seed: 1", "seed: '1'"),
        "seed",
        None,
        ["not text", "without quotes"],
    ),
    (
        "whole-number-got-a-word",
        changed("seed: 1", "seed: one"),
        "seed",
        None,
        ["expected a whole number (got 'one')"],
    ),
    (
        "number-got-a-word",
        changed("writes_per_s: 500", "writes_per_s: lots"),
        "workload.phases[0].writes_per_s",
        None,
        ["expected a number (got 'lots')"],
    ),
    (
        "number-got-quoted",
        changed("writes_per_s: 500", "writes_per_s: '500'"),
        "workload.phases[0].writes_per_s",
        None,
        ["expected a number, not text", "without quotes"],
    ),
    (
        "number-got-true",
        changed("writes_per_s: 500", "writes_per_s: true"),
        "workload.phases[0].writes_per_s",
        None,
        ["expected a number (got true)"],
    ),
    (
        "boolean-got-a-word",
        changed("interval: 1s", "interval: 1s\n  enabled: maybe"),
        "probe.enabled",
        None,
        ["expected true or false (got 'maybe')"],
    ),
    (
        "boolean-got-a-number",
        changed("interval: 1s", "interval: 1s\n  enabled: 1"),
        "probe.enabled",
        None,
        ["expected true or false (got 1)"],
    ),
    (
        "boolean-got-quoted",
        changed("interval: 1s", "interval: 1s\n  enabled: 'true'"),
        "probe.enabled",
        None,
        ["without quotes"],
    ),
    (
        "text-got-a-number",
        changed("target: primary", "target: 5"),
        "faults[0].target",
        None,
        ["expected text (got 5)"],
    ),
    (
        "text-got-a-list",
        changed("description: Primary", "description: [1]\nx: Primary"),
        "description",
        None,
        ["expected text (got [1])"],
    ),
    (
        "too-few-items",
        changed(
            "  instances:\n    - {name: db-1, az: us-east-1a, role: primary}\n"
            "    - {name: db-2, az: us-east-1b, role: standby}",
            "  instances: []",
        ),
        "deployment.instances",
        None,
        ["expected at least 1 item (got 0)"],
    ),
    (
        "too-many-items",
        changed("type: multi-az-instance", "type: aurora\n  volume_azs: [a1, a2, a3, a4]"),
        "deployment.volume_azs",
        None,
        ["expected at most 3 items (got 4)"],
    ),
    (
        "too-long-text",
        changed("description: Primary", "description: " + "x" * 2001 + " Primary"),
        "description",
        None,
        ["expected at most 2,000 characters"],
    ),
    (
        "more-than",
        added(CLIENT.replace("requests_per_s: 10", "requests_per_s: 0") % ""),
        "clients[0].requests_per_s",
        None,
        ["expected more than 0 (got 0)"],
    ),
    (
        "at-least",
        changed("writes_per_s: 500", "writes_per_s: -5"),
        "workload.phases[0].writes_per_s",
        None,
        ["expected at least 0 (got -5)"],
    ),
    (
        "at-most",
        changed("seed: 1", "seed: 100000000000000000000000"),
        "seed",
        None,
        ["expected at most 9,223,372,036,854,775,807"],
    ),
    (
        "not-finite",
        changed("writes_per_s: 500", "writes_per_s: .inf"),
        "workload.phases[0].writes_per_s",
        None,
        ["expected a finite number"],
    ),
    (
        "name-form",
        changed("name: db-1", "name: DB_1"),
        "deployment.instances[0].name",
        None,
        ["lowercase letters, digits and dashes", "(got 'DB_1')"],
    ),
    (
        "scenario-name-form",
        changed("name: multi_az_failover", "name: ../x"),
        "name",
        None,
        ["not a path", "(got '../x')"],
    ),
    (
        "version-form",
        changed("engine: mysql", "engine: mysql\nengine_version: abc"),
        "engine_version",
        None,
        ["a version number", "(got 'abc')"],
    ),
    (
        "window-form",
        added("failures:\n  maintenance: {window: monday}\n"),
        "failures.maintenance.window",
        None,
        ["a weekday and a UTC time", "(got 'monday')"],
    ),
    (
        "az-form",
        changed("az: us-east-1b", "az: US-EAST-1B"),
        "deployment.instances[1].az",
        None,
        ["lowercase letters", "(got 'US-EAST-1B')"],
    ),
    (
        "region-name-form",
        added("regions:\n  LAB: [lab-a]\n"),
        "regions.LAB",
        "LAB",
        ["Region name", "(got 'LAB')"],
    ),
    ("regions-got-a-number", added("regions: 5\n"), "regions", None, ["expected a mapping"]),
    (
        "region-got-no-azs",
        added("regions:\n  lab: []\n"),
        "regions.lab",
        None,
        ["expected at least 1 item (got 0)"],
    ),
    (
        "too-many-regions",
        added("regions:\n" + "".join(f"  r{i}: [r{i}a]\n" for i in range(21))),
        "regions",
        None,
        ["expected at most 20 entries (got 21)"],
    ),
    (
        "a-number-as-a-key",
        added("5: x\n"),
        "5",
        "5: x",
        ["expected a name as the key (got 5)"],
    ),
    (
        "a-date-for-a-number",
        changed("seed: 1", "seed: 2024-01-01"),
        "seed",
        None,
        ["expected a whole number (got the date 2024-01-01)"],
    ),
    (
        "a-date-for-a-duration",
        changed("at: 5m", "at: 2024-01-01"),
        "faults[0].at",
        None,
        ["got the date 2024-01-01"],
    ),
    (
        "a-date-for-text",
        changed("target: primary", "target: 2024-01-01"),
        "faults[0].target",
        None,
        ["expected text (got the date 2024-01-01); quote it"],
    ),
    ("binary", changed("seed: 1", "seed: !!binary aGVsbG8="), "seed", None, ["binary data"]),
    ("a-set", changed("seed: 1", "seed: !!set {a, b}"), "seed", None, ["(got a set)"]),
    (
        "duration-got-nothing",
        changed("duration: 30m", "duration:"),
        "duration",
        None,
        ["expected a duration", "got nothing"],
    ),
]


@pytest.mark.parametrize(
    ("text", "key_path", "line", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_the_message_is_plain_and_suggests(
    text: str, key_path: str, line: str | None, words: list[str]
) -> None:
    error = error_of(text)
    assert error.key_path == key_path, str(error)
    if line is not None:
        assert error.line == line_of(text, line), str(error)
    for word in words:
        assert word in error.message, str(error)
    assert "required key is missing" not in error.message or "did you mean" not in error.message
    assert_plain(error)


def test_a_misspelt_required_key_is_not_reported_missing() -> None:
    text = changed("duration: 30m", "duraton: 30m")
    error = error_of(text)
    assert str(error) == (
        f"scn.yaml:{line_of(text, 'duraton')}: duraton: "
        "unknown key 'duraton'; did you mean 'duration' (required)?"
    )


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (
            "probe.dns_cach=ttl",
            "--set probe.dns_cach: unknown key 'dns_cach'; did you mean 'dns_cache'?",
        ),
        (
            "workload.phases[0].writes_per_sec=5",
            "--set workload.phases[0].writes_per_sec: unknown key 'writes_per_sec'; "
            "did you mean 'writes_per_s'?",
        ),
        (
            "workload.phase[0].writes_per_s=5",
            "--set workload.phase: unknown key 'phase'; did you mean 'phases'?",
        ),
        ("duraton=5m", "--set duraton: unknown key 'duraton'; did you mean 'duration'?"),
        ("faults[0].kind=host-crsh", "(got 'host-crsh'); did you mean 'host-crash'?"),
        ("probe.dns_cache=ttll", "did you mean 'ttl'?"),
        ("seed=true", "--set seed: expected a whole number (got true)"),
        ("probe=5", "--set probe: expected a mapping of keys such as"),
    ],
)
def test_a_misspelt_set_gets_the_same_words(option: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(CANONICAL, parse_assignments([option]))
    assert fragment in str(info.value)
    assert_plain(info.value)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("dns_cache: ttl", "dns_cach: ttl", "probe.dns_cach: unknown key 'dns_cach'; did you mean"),
        ("duration: 30m", "duraton: 30m", "duraton: unknown key 'duraton'; did you mean"),
        ("kind: host-crash", "kind: host-crsh", "faults[0].kind: expected"),
    ],
)
def test_the_command_prints_one_located_line(
    tmp_path: Path, old: str, new: str, fragment: str
) -> None:
    path = tmp_path / "bad.yaml"
    text = changed(old, new)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    line = line_of(text, new.split(":")[0] if "duraton" in new else new)
    assert lines[0].startswith(f"error: {path}:{line}: {fragment}"), result.output
    assert "Traceback" not in result.output


def _patterns(schema: Any) -> set[str]:
    """Every ``pattern`` in a pydantic-core schema."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                found.add(value)
            else:
                found |= _patterns(value)
    elif isinstance(schema, list | tuple):
        for item in schema:
            found |= _patterns(item)
    return found


def test_every_pattern_of_the_schema_is_said_in_words() -> None:
    patterns = _patterns(Scenario.__pydantic_core_schema__)
    assert patterns, "the walk found none: pydantic-core's schema changed shape"
    assert patterns <= set(PATTERNS), patterns - set(PATTERNS)


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("dns_cach", ["dns_cache", "dns_cache_for", "interval"], ["dns_cache"]),
        ("a", ["at", "az", "kind"], ["at", "az"]),
        ("ttl", ["ttl", "fixed"], []),
        ("TTL", ["ttl", "fixed"], ["ttl"]),
        ("zzzz", ["ttl", "fixed"], []),
        ("intrval", ["interval", "read_timeout"], ["interval"]),
        ("standby_activaton", ["standby_activation", "standby_rebuild"], ["standby_activation"]),
    ],
)
def test_close_matches(word: str, choices: list[str], expected: list[str]) -> None:
    assert close_matches(word, choices) == expected


# -- the property: one key of a bundled scenario misspelt by one character -------------------
KeyPath = tuple[str | int, ...]
_DATA = {
    path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(SCENARIOS.glob("*.yaml"))
}


def _key_paths(data: Any, path: KeyPath = ()) -> list[KeyPath]:
    """Every key path that ends in a key of the format (not a name of the user's: variants,
    regions)."""
    out: list[KeyPath] = []
    if isinstance(data, dict):
        free = path in (("variants",), ("regions",))
        for key, value in data.items():
            if not free:
                out.append((*path, key))
            out += _key_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            out += _key_paths(item, (*path, i))
    return out


_PATHS = [(name, path) for name, data in _DATA.items() for path in _key_paths(data)]


def _valid_keys(path: KeyPath) -> set[str]:
    """Keys that may stand where ``path``'s last one does (a misspelling into one of them is
    another key, not a typo)."""
    parent = path[:-1]
    if parent[:1] == ("variants",):
        parent = parent[2:]
    keys = keys_at(parent)
    if keys is not None:
        return set(keys) | {"variant"}
    return set(DISTRIBUTION_KEYS) | {k for ks in DISTRIBUTION_KEYS.values() for k in ks}


def _renamed(data: Any, path: KeyPath, new: str) -> Any:
    if len(path) == 1:
        return {(new if k == path[0] else k): v for k, v in data.items()}
    copied = list(data) if isinstance(data, list) else dict(data)
    copied[path[0]] = _renamed(data[path[0]], path[1:], new)  # type: ignore[index]
    return copied


_LETTERS = string.ascii_lowercase + string.digits + "_"


@st.composite
def _misspelt(draw: st.DrawFn, word: str) -> str:
    i = draw(st.integers(0, len(word) - 1))
    edit = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
    letter = draw(st.sampled_from(_LETTERS))
    if edit == "delete" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if edit == "insert":
        return word[:i] + letter + word[i:]
    if edit == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + letter + word[i + 1 :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_key_misspelt_by_one_character_is_named_and_the_original_suggested(
    data: st.DataObject,
) -> None:
    name, path = data.draw(st.sampled_from(_PATHS), label="scenario and key")
    original = str(path[-1])
    mutated = data.draw(_misspelt(original), label="misspelt")
    if mutated == original or mutated in _valid_keys(path):
        return
    text = yaml.safe_dump(_renamed(_DATA[name], path, mutated), sort_keys=False)
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, file=name)
    error = info.value
    rendered = str(error)
    assert repr(mutated) in rendered or f".{mutated}" in rendered, rendered
    assert "did you mean" in error.message, rendered
    assert repr(original) in error.message.split("did you mean", 1)[1], rendered
    assert_plain(error)
