"""Loading scenarios: valid files become typed Scenarios; every problem is one ScenarioError that
names the file, the line, the key path and what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import SCENARIOS

from rdssim.distributions import Fixed, LogNormal, Uniform
from rdssim.scenario import ScenarioError, load_scenario, parse_scenario_text
from rdssim.scenario.schema import TimingsSpec

# Line numbers below count from this text: line 1 is "name: t".
BASE = """\
name: t
duration: 10m
deployment:
  type: multi-az-instance
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: standby}
"""
AFTER_BASE = 8  # the first line appended to BASE


def error_of(text: str, file: str = "scn.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, file=file)
    return info.value


# -- valid input --------------------------------------------------------------------------------
def test_a_minimal_scenario_gets_the_defaults() -> None:
    scenarios = parse_scenario_text(BASE, file="scenarios/minimal.yaml")
    assert list(scenarios.variants) == ["base"]
    assert not scenarios.has_variants
    s = scenarios.variants["base"]
    assert s.name == "t" and s.variant == "base"
    assert s.duration_s == 600.0
    assert s.engine == "mysql"
    assert [i.name for i in s.deployment.instances] == ["db-1", "db-2"]
    assert s.instance("db-2").az == "us-east-1b"
    assert s.faults == []
    assert s.timings == TimingsSpec()
    assert s.probe.enabled and s.probe.dns_cache == "ttl"


def test_human_durations_and_distributions_become_seconds() -> None:
    text = BASE + textwrap.dedent(
        """\
        workload:
          phases:
            - {start: 0s, writes_per_s: 10}
            - {start: 2m, writes_per_s: 500}
        probe: {interval: 500ms, dns_cache: fixed, dns_cache_for: PT1M}
        faults:
          - {at: 5m, kind: network-loss, target: primary, duration: 1m30s}
        timings:
          health_check_interval: 5s
          failover_initiation: 3s
          standby_activation: {uniform: [10s, 20s]}
          dns_propagation: {lognormal: {median: 4s, sigma: 0.2}}
        """
    )
    s = parse_scenario_text(text).variants["base"]
    assert [(p.start_s, p.writes_per_s) for p in s.workload.phases] == [(0.0, 10.0), (120.0, 500.0)]
    assert s.probe.interval_s == 0.5 and s.probe.dns_cache_s == 60.0
    assert (s.faults[0].at_s, s.faults[0].duration_s, s.faults[0].target) == (
        300.0,
        90.0,
        "primary",
    )
    assert s.timings.health_check_interval_s == 5.0
    assert s.timings.failover_initiation == Fixed(3.0)
    assert s.timings.standby_activation == Uniform(10.0, 20.0)
    assert s.timings.dns_propagation == LogNormal(4.0, 0.2)
    # Keys not given keep their calibrated defaults.
    assert s.timings.unhealthy_checks == TimingsSpec().unhealthy_checks


def test_scenario_is_frozen() -> None:
    s = parse_scenario_text(BASE).variants["base"]
    with pytest.raises(ValueError):
        s.duration_s = 5  # type: ignore[misc]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_loads(path: Path) -> None:
    scenarios = load_scenario(path)
    assert scenarios.path == str(path)
    assert scenarios.variants
    for name, s in scenarios.variants.items():
        assert s.variant == name


def test_load_scenario_reads_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "crash.yaml"
    path.write_text(BASE.replace("name: t\n", ""), encoding="utf-8")
    scenarios = load_scenario(path)
    assert scenarios.name == "crash"  # the file's stem when the file has no name
    path.write_text(BASE + "colour: blue\n", encoding="utf-8")
    error = error_of_file(path)
    assert (error.file, error.line, error.key_path) == (str(path), AFTER_BASE, "colour")


def error_of_file(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    error = error_of_file(tmp_path / "nope.yaml")
    assert error.file == str(tmp_path / "nope.yaml")
    assert error.message == "no such file"
    assert error.line is None


# -- located errors --------------------------------------------------------------------------------
def test_malformed_yaml_names_the_line() -> None:
    error = error_of("name: t\nduration: 10m\n  deployment: x\nfaults: []\n")
    assert error.file == "scn.yaml"
    assert error.line == 3
    assert error.message.startswith("not valid YAML")
    assert error.key_path is None


def test_unclosed_bracket_is_reported_where_yaml_notices_it() -> None:
    error = error_of("name: t\nduration: [10m\nseed: 1\n")
    assert error.message.startswith("not valid YAML")
    assert error.line is not None and error.line >= 2


def test_top_level_must_be_a_mapping() -> None:
    error = error_of("- db-1\n- db-2\n")
    assert (error.line, error.key_path) == (1, None)
    assert "mapping" in error.message


def test_unknown_top_level_key() -> None:
    error = error_of(BASE + "durashun: 5m\n")
    assert (error.file, error.line, error.key_path) == ("scn.yaml", AFTER_BASE, "durashun")
    assert "unknown key" in error.message


def test_unknown_nested_key_names_its_path() -> None:
    text = BASE + textwrap.dedent(
        """\
        faults:
          - {at: 1m, kind: host-crash, target: db-1}
          - at: 2m
            kind: host-crash
            targte: db-1
        """
    )
    error = error_of(text)
    assert error.key_path == "faults[1].targte"
    assert error.line == AFTER_BASE + 4
    assert "unknown key" in error.message


def test_wrong_type() -> None:
    text = BASE + "workload:\n  phases:\n    - {start: 0s, writes_per_s: lots}\n"
    error = error_of(text)
    assert error.key_path == "workload.phases[0].writes_per_s"
    assert error.line == AFTER_BASE + 2
    assert "number" in error.message and "'lots'" in error.message


def test_wrong_literal_lists_the_choices() -> None:
    error = error_of(BASE + "faults:\n  - {at: 1m, kind: meteor, target: db-1}\n")
    assert error.key_path == "faults[0].kind"
    assert error.line == AFTER_BASE + 1
    assert "'host-crash'" in error.message and "'az-outage'" in error.message


def test_missing_required_key() -> None:
    error = error_of("name: t\n" + BASE.split("\n", 2)[2])
    assert error.key_path == "duration"
    assert error.message == "required key is missing"


def test_negative_duration() -> None:
    error = error_of(BASE + "faults:\n  - {at: -5m, kind: host-crash, target: db-1}\n")
    assert (error.line, error.key_path) == (AFTER_BASE + 1, "faults[0].at")
    assert "non-negative" in error.message and "-5m" in error.message


def test_unparsable_duration() -> None:
    error = error_of(BASE + "timings:\n  health_check_interval: soon\n")
    assert (error.line, error.key_path) == (AFTER_BASE + 1, "timings.health_check_interval")
    assert "duration such as 90s" in error.message and "'soon'" in error.message


def test_bad_distribution() -> None:
    error = error_of(BASE + "timings:\n  failover_initiation: {uniform: [30s, 10s]}\n")
    assert (error.line, error.key_path) == (AFTER_BASE + 1, "timings.failover_initiation")
    assert "low <= high" in error.message


def test_fault_on_an_unknown_instance_lists_the_known_ones() -> None:
    error = error_of(BASE + "faults:\n  - {at: 1m, kind: host-crash, target: db-9}\n")
    assert (error.file, error.line, error.key_path) == (
        "scn.yaml",
        AFTER_BASE + 1,
        "faults[0].target",
    )
    assert error.message == "no instance named 'db-9'; known: db-1, db-2"
    assert error.hint is not None and "primary" in error.hint
    # What the CLI prints: file:line: key path: message, then the hint.
    assert str(error).splitlines() == [
        f"scn.yaml:{AFTER_BASE + 1}: faults[0].target: no instance named 'db-9'; known: db-1, db-2",
        "  hint: or use primary / standby",
    ]


def test_az_outage_in_an_unknown_az() -> None:
    error = error_of(
        BASE + "faults:\n  - {at: 1m, kind: az-outage, az: us-west-2z, duration: 5m}\n"
    )
    assert (error.line, error.key_path) == (AFTER_BASE + 1, "faults[0].az")
    assert "us-west-2z" in error.message
    assert "us-east-1a, us-east-1b" in error.message


def test_fault_after_the_end_of_the_run() -> None:
    error = error_of(BASE + "faults:\n  - {at: 11m, kind: host-crash, target: db-1}\n")
    assert (error.line, error.key_path) == (AFTER_BASE + 1, "faults[0].at")
    assert "after the end of the run" in error.message
    assert "660" in error.message and "600" in error.message


def test_multi_az_instance_needs_a_standby() -> None:
    text = textwrap.dedent(
        """\
        name: t
        duration: 10m
        deployment:
          type: multi-az-instance
          instances:
            - {name: db-1, az: us-east-1a, role: primary}
        """
    )
    error = error_of(text)
    assert (error.line, error.key_path) == (5, "deployment.instances")
    assert "exactly one standby, found 0" in error.message
    assert error.hint is not None and "role: standby" in error.hint


def test_standby_in_the_same_az() -> None:
    error = error_of(BASE.replace("{name: db-2, az: us-east-1b", "{name: db-2, az: us-east-1a"))
    assert (error.line, error.key_path) == (7, "deployment.instances[1].az")
    assert "another AZ" in error.message and "us-east-1a" in error.message


def test_reboot_with_failover_on_single_az_is_rejected() -> None:
    text = textwrap.dedent(
        """\
        name: t
        duration: 10m
        deployment:
          type: single-az
          instances:
            - {name: db-1, az: us-east-1a, role: primary}
        faults:
          - {at: 1m, kind: reboot-with-failover}
        """
    )
    error = error_of(text)
    assert (error.line, error.key_path) == (8, "faults[0].kind")
    assert "ForceFailover" in error.message and "non-Multi-AZ" in error.message


@pytest.mark.parametrize(
    ("fault", "key", "message"),
    [
        ("{at: 1m, kind: host-crash}", "faults[0].target", "host-crash needs a target"),
        (
            "{at: 1m, kind: host-crash, target: db-1, duration: 5m}",
            "faults[0].duration",
            "has no duration",
        ),
        (
            "{at: 1m, kind: network-loss, target: db-1, duration: 0s}",
            "faults[0].duration",
            "positive",
        ),
        ("{at: 1m, kind: az-outage}", "faults[0].az", "az-outage needs an az"),
        (
            "{at: 1m, kind: az-outage, az: us-east-1a, target: db-1}",
            "faults[0].target",
            "takes an az",
        ),
        ("{at: 1m, kind: host-crash, target: db-1, az: us-east-1a}", "faults[0].az", "not an az"),
        (
            "{at: 1m, kind: reboot-with-failover, target: db-1}",
            "faults[0].target",
            "takes no target",
        ),
    ],
)
def test_fault_shape_errors(fault: str, key: str, message: str) -> None:
    error = error_of(BASE + f"faults:\n  - {fault}\n")
    assert (error.line, error.key_path) == (AFTER_BASE + 1, key)
    assert message in error.message


def test_deployment_shape_errors() -> None:
    duplicate = BASE.replace(
        "{name: db-2, az: us-east-1b, role: standby}", "{name: db-1, az: us-east-1b, role: standby}"
    )
    error = error_of(duplicate)
    assert (error.line, error.key_path) == (7, "deployment.instances[1].name")
    assert "duplicate" in error.message
    reserved = BASE.replace("{name: db-2,", "{name: standby,")
    assert "reserved" in error_of(reserved).message
    two_primaries = BASE.replace("role: standby", "role: primary")
    assert "exactly one primary, found 2" in error_of(two_primaries).message
    single_with_standby = BASE.replace("multi-az-instance", "single-az")
    error = error_of(single_with_standby)
    assert (error.key_path, error.message) == (
        "deployment.instances[1].role",
        "a single-az deployment has no standby",
    )


def test_workload_phases_must_move_forward() -> None:
    text = (
        BASE
        + "workload:\n  phases:\n"
        + "    - {start: 1m, writes_per_s: 1}\n    - {start: 1m, writes_per_s: 2}\n"
    )
    error = error_of(text)
    assert (error.line, error.key_path) == (AFTER_BASE + 3, "workload.phases[1].start")


# -- variants --------------------------------------------------------------------------------------
VARIANTS = BASE + textwrap.dedent(
    """\
    workload:
      phases:
        - {start: 0s, writes_per_s: 100}
      bytes_per_txn: 2048
    probe: {interval: 2s}
    faults:
      - {at: 5m, kind: host-crash, target: primary}
    variants:
      steady: {}
      busy:
        workload:
          phases:
            - {start: 0s, writes_per_s: 5000}
      cached:
        probe: {dns_cache: forever}
    """
)


def test_variants_merge_into_the_base() -> None:
    scenarios = parse_scenario_text(VARIANTS)
    assert scenarios.has_variants
    assert list(scenarios.variants) == ["steady", "busy", "cached"]
    steady, busy, cached = scenarios.variants.values()
    assert [s.variant for s in (steady, busy, cached)] == ["steady", "busy", "cached"]
    # The variant that overrides the workload's phases gets them (lists replace)...
    assert [p.writes_per_s for p in busy.workload.phases] == [5000.0]
    assert [p.writes_per_s for p in steady.workload.phases] == [100.0]
    # ...and keeps the base's other workload keys (mappings merge key by key).
    assert busy.workload.bytes_per_txn == 2048
    # Everything else comes from the base.
    assert busy.faults == steady.faults == cached.faults
    assert busy.deployment == steady.deployment
    assert busy.probe == steady.probe
    assert cached.probe.dns_cache == "forever" and cached.probe.interval_s == 2.0
    assert cached.workload == steady.workload


def test_an_error_inside_a_variant_names_the_variant() -> None:
    text = VARIANTS.replace("probe: {dns_cache: forever}", "probe: {dns_cash: forever}")
    error = error_of(text)
    assert error.key_path == "variants.cached: probe.dns_cash"
    assert "unknown key" in error.message
    assert error.line == text.splitlines().index("    probe: {dns_cash: forever}") + 1


def test_an_error_the_variant_causes_in_base_keys_points_at_the_base_line() -> None:
    # The base's reboot-with-failover is fine until a variant makes the deployment single-az.
    text = BASE + textwrap.dedent(
        """\
        faults:
          - {at: 1m, kind: reboot-with-failover}
        variants:
          multi: {}
          single:
            deployment:
              type: single-az
              instances:
                - {name: db-1, az: us-east-1a, role: primary}
        """
    )
    error = error_of(text)
    assert error.key_path == "variants.single: faults[0].kind"
    assert error.line == AFTER_BASE + 1


def test_no_variants_written_as_the_format_shows_them() -> None:
    # docs/scenario-format.md's example writes the default out: variants: {}
    assert list(parse_scenario_text(BASE + "variants: {}\n").variants) == ["base"]


def test_the_formats_example_is_a_scenario() -> None:
    # The first block of docs/scenario-format.md, copied as it stands, runs.
    doc = (SCENARIOS.parent / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    scenarios = parse_scenario_text(example, file="scenario-format.md")
    base = scenarios.variants["base"]
    assert [i.role for i in base.deployment.instances] == ["primary", "standby"]
    assert [a.kind for a in base.actions] == ["promote-replica"]


def test_variant_shape_errors() -> None:
    assert "mapping of variant name" in error_of(BASE + "variants: [a, b]\n").message
    error = error_of(BASE + "variants:\n  bad:\n    name: other\n")
    assert error.key_path == "variants.bad"
    assert "may not override name" in error.message
    assert "expected a mapping" in error_of(BASE + "variants:\n  bad: 5\n").message
    assert "variant names" in error_of(BASE + "variants:\n  'two words': {}\n").message


def test_a_duplicate_key_is_an_error_not_a_silent_override() -> None:
    error = error_of(BASE + "duration: 20m\n")
    assert (error.line, error.key_path) == (AFTER_BASE, "duration")
    assert "duplicate key" in error.message
    nested = BASE.replace("role: standby}", "role: standby, az: us-east-1c}")
    error = error_of(nested)
    assert (error.line, error.key_path) == (7, "deployment.instances[1].az")


def test_a_huge_number_is_a_located_error() -> None:
    error = error_of(BASE.replace("duration: 10m", "duration: " + "9" * 400))
    assert (error.line, error.key_path) == (2, "duration")
    assert "finite" in error.message


# -- nonsense that used to be accepted ------------------------------------------------------------
CLIENT = "clients:\n  - {name: app, instances: 2, requests_per_s: 5, %s}\n"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (BASE.replace("duration: 10m", "duration: 10m\nseed: true"), "seed", "whole number"),
        (
            BASE + "workload: {phases: [{start: 0s, writes_per_s: true}]}\n",
            "workload.phases[0].writes_per_s",
            "expected a number",
        ),
        (
            BASE + "workload: {phases: [{start: 0s, writes_per_s: '100'}]}\n",
            "workload.phases[0].writes_per_s",
            "expected a number",
        ),
        (
            BASE + "workload: {phases: [{start: 0s, writes_per_s: .inf}]}\n",
            "workload.phases[0].writes_per_s",
            "finite",
        ),
        (
            BASE + "workload: {phases: [{start: 0s, writes_per_s: 1e308}]}\n",
            "workload.phases[0].writes_per_s",
            "at most 1,000,000",
        ),
        (
            BASE
            + "workload: {phases: [{start: 0s, writes_per_s: 1}, {start: 1h, writes_per_s: 2}]}\n",
            "workload.phases[1].start",
            "after the end of the run",
        ),
        (
            BASE + "timings: {unhealthy_checks: 1000000000000000000000000000000}\n",
            "timings.unhealthy_checks",
            "at most 100",
        ),
        (
            BASE + "  storage: {type: io1, iops: 1e-300}\n",
            "deployment.storage.iops",
            "at least 100",
        ),
        (BASE + "  storage: {type: io1}\n", "deployment.storage.iops", "io1 needs its provisioned"),
        (
            BASE + "  storage: {type: io1, iops: 100000}\n",
            "deployment.storage.iops",
            "at most 64,000",
        ),
        (
            BASE + "  storage: {type: gp2, iops: 3000}\n",
            "deployment.storage.iops",
            "gp2 provisions no",
        ),
        (
            BASE + "  storage: {iops: 6000}\n",
            "deployment.storage.iops",
            "gp3 below 400 GiB on mysql has a fixed baseline",
        ),
        (
            BASE + "  storage: {allocated_gib: 20, data_gib: 50}\n",
            "deployment.storage.data_gib",
            "50 GiB of data on a 20 GiB volume",
        ),
        (
            BASE + "  parameters: {redo_capacity_mib: 0}\n",
            "deployment.parameters.redo_capacity_mib",
            "at least 1",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: restore-to-point-in-time, target: db-9}\n",
            "actions[0].target",
            "needs the DB instance to restore; known: db-1, db-2",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: restore-to-point-in-time, target: db-1,"
            " new_instance: db-2}\n",
            "actions[0].new_instance",
            "'db-2' is taken",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: repoint-clients, target: all,"
            " source: db-1-restored}\n",
            "actions[0].source",
            "needs the DB instance to point at",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: repoint-clients, target: app, source: db-1}\n",
            "actions[0].target",
            "known: all, probe, proxy",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: repoint-clients, target: proxy, source: db-1}\n",
            "actions[0].target",
            "there is no RDS Proxy",
        ),
        (
            BASE
            + "actions:\n  - {at: 1m, kind: modify-instance-class, instance_class: db.x9.huge}\n",
            "actions[0].instance_class",
            "unknown instance class 'db.x9.huge'",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: modify-instance-class}\n",
            "actions[0].instance_class",
            "needs instance_class",
        ),
        (
            BASE + "actions:\n  - {at: 1m, kind: apply-os-patch, source: db-1}\n",
            "actions[0].source",
            "takes no source",
        ),
        (
            BASE
            + "  replicas:\n    - {name: r1, az: us-east-1c}\n"
            + "faults:\n  - {at: 1m, kind: engine-crash, target: r1}\n",
            "faults[0].target",
            "not on a read replica",
        ),
        (
            BASE + "faults:\n  - {at: 1m, kind: engine-crash}\n",
            "faults[0].target",
            "engine-crash needs a target",
        ),
        (
            BASE + "faults:\n  - {at: 1m, kind: storage-full, target: primary, duration: 1m}\n",
            "faults[0].duration",
            "storage-full has no duration",
        ),
        (
            BASE + "timings: {failover_initiation: {lognormal: {median: 8s, sigma: 1000}}}\n",
            "timings.failover_initiation",
            "sigma must be a number from 0 to 3",
        ),
        (
            BASE + "timings: {failover_initiation: {lognormal: {median: 8s, sigma: .nan}}}\n",
            "timings.failover_initiation",
            "sigma must be a number from 0 to 3",
        ),
        (BASE + "timings: {reboot: 1e308}\n", "timings.reboot", "at most 30d"),
        (BASE.replace("duration: 10m", "duration: 1e308"), "duration", "at most 3650d"),
        (BASE.replace("name: t", "name: ../../etc"), "name", "not a path"),
        (
            BASE.replace("us-east-1b", "lab-1c"),
            "deployment.instances[1].az",
            "not an Availability Zone",
        ),
        (
            BASE.replace("us-east-1b", "us-esat-1b"),
            "deployment.instances[1].az",
            "no AWS Region 'us-esat-1'",
        ),
        (BASE + "probe: {interval: 0.000000001}\n", "probe.interval", "at least 1ms"),
        (BASE + CLIENT % "retry: {multiplier: 1e6}", "clients[0].retry.multiplier", "at most 10"),
        (BASE + CLIENT % "retry: {base: 2s, cap: 1s}", "clients[0].retry.cap", "less than base"),
        (BASE + CLIENT % "connect_timeout: 1e308", "clients[0].connect_timeout", "at most 1h"),
        (
            BASE + CLIENT % "pool: {max_lifetime: 1s}",
            "clients[0].pool.max_lifetime",
            "at least 30s",
        ),
        (
            BASE + CLIENT % "pool: {validation_timeout: 30s}",
            "clients[0].pool.validation_timeout",
            "shorter than connection_timeout",
        ),
        (BASE + "proxy: {enabled: true, latency: 1e308}\n", "proxy.latency", "at most 10s"),
        (
            BASE.replace("multi-az-instance", "single-az").replace(
                "    - {name: db-2, az: us-east-1b, role: standby}\n", ""
            )
            + "faults:\n  - {at: 1m, kind: host-crash, target: standby}\n",
            "faults[0].target",
            "has no standby",
        ),
    ],
)
def test_values_that_validated_before_but_are_nonsense(text: str, key: str, message: str) -> None:
    error = error_of(text)
    assert error.key_path == key
    assert message in error.message


def test_the_base_is_checked_even_when_every_variant_overrides_it() -> None:
    text = BASE + "probe: {interval: lots}\nvariants:\n  a: {probe: {interval: 1s}}\n"
    error = error_of(text)
    assert (error.key_path, error.line) == ("probe.interval", AFTER_BASE)


def test_two_identical_variants_are_refused() -> None:
    error = error_of(BASE + "variants:\n  a: {}\n  b: {}\n")
    assert error.key_path == "variants.b" and "the same scenario as variant 'a'" in error.message


def test_too_many_variants_are_refused() -> None:
    names = "".join(f"  v{i}: {{probe: {{interval: {i + 1}s}}}}\n" for i in range(21))
    error = error_of(BASE + "variants:\n" + names)
    assert error.key_path == "variants" and "at most 20" in error.message


def test_warnings_say_when_nothing_can_fail_over_in_time() -> None:
    late = BASE + "faults:\n  - {at: 9m50s, kind: host-crash, target: primary}\n"
    (warning,) = parse_scenario_text(late, file="s.yaml").warnings
    assert (warning.key_path, warning.line) == ("faults[0].at", AFTER_BASE + 1)
    assert "before the health checks can notice it" in warning.message
    slow = BASE + "workload: {phases: [{start: 0s, writes_per_s: 5000}]}\n"
    slow += "faults:\n  - {at: 1m, kind: host-crash, target: primary}\n"
    # 100 IOPS replay 0.8 MiB/s; a 100 GiB checkpoint distance lets 300 s of 20 MiB/s pile up.
    slow = slow.replace(
        "role: standby}\n",
        "role: standby}\n  storage: {type: io1, iops: 100}\n"
        "  parameters: {redo_capacity_mib: 102400}\n",
    )
    (warning,) = parse_scenario_text(slow, file="s.yaml").warnings
    assert warning.key_path == "deployment.storage" and "longer than the run" in warning.message
    assert parse_scenario_text(BASE, file="s.yaml").warnings == ()


def test_a_replica_always_behind_large_transactions_is_warned_about() -> None:
    text = (
        BASE
        + "  replicas:\n    - {name: r1, az: us-east-1c, apply_writes_per_s: 600}\n"
        + "engine: mysql\nworkload:\n  phases: [{start: 0s, writes_per_s: 500}]\n"
        + "  large_txns: {share: 0.01, bytes_per_txn: 10485760, txn_duration: 1s}\n"
    )
    (warning,) = parse_scenario_text(text, file="s.yaml").warnings
    assert warning.key_path == "workload.large_txns"
    assert "r1 is always behind a large transaction" in warning.message
    assert "apply_writes_per_s" in (warning.hint or "")
    fine = text.replace("share: 0.01", "share: 0.00001")
    assert parse_scenario_text(fine, file="s.yaml").warnings == ()
    error = error_of(text.replace("share: 0.01", "share: 0.9"))
    assert error.key_path == "workload.large_txns.share" and "at most 0.5" in error.message


@pytest.mark.parametrize(
    ("engine", "storage", "key", "fragment"),
    [
        (
            "mysql",
            "{type: io1, iops: 1000, throughput_mib_per_s: 1}",
            "throughput_mib_per_s",
            "io1 provisions IOPS, not throughput",
        ),
        ("mysql", "{allocated_gib: 300, iops: 12000}", "iops", "below 400 GiB on mysql"),
        ("oracle", "{allocated_gib: 150, iops: 12000}", "iops", "below 200 GiB on oracle"),
        ("mysql", "{allocated_gib: 500, iops: 100000}", "iops", "12,000 to 64,000 IOPS"),
        ("sqlserver", "{allocated_gib: 100, iops: 20000}", "iops", "3,000 to 16,000 IOPS"),
        (
            "sqlserver",
            "{throughput_mib_per_s: 2000}",
            "throughput_mib_per_s",
            "125 to 1,000 MiB/s",
        ),
    ],
)
def test_storage_is_provisioned_within_rds_limits_per_engine(
    engine: str, storage: str, key: str, fragment: str
) -> None:
    text = BASE.replace("name: t\n", f"name: t\nengine: {engine}\n") + f"  storage: {storage}\n"
    if engine == "sqlserver":
        text = text.replace(f"engine: {engine}\n", f"engine: {engine}\nengine_version: '2019'\n")
    error = error_of(text)
    assert error.key_path == f"deployment.storage.{key}" and fragment in error.message


@pytest.mark.parametrize(
    ("engine", "storage"),
    [("oracle", "{allocated_gib: 250, iops: 12000}"), ("sqlserver", "{iops: 6000}")],
)
def test_striped_gp3_follows_the_engine(engine: str, storage: str) -> None:
    text = BASE.replace("name: t\n", f"name: t\nengine: {engine}\n") + f"  storage: {storage}\n"
    parse_scenario_text(text, file="s.yaml")


def test_a_second_class_change_to_the_same_class_is_refused() -> None:
    text = BASE + (
        "actions:\n"
        "  - {at: 1m, kind: modify-instance-class, instance_class: db.r6g.xlarge}\n"
        "  - {at: 5m, kind: modify-instance-class, instance_class: db.r6g.xlarge}\n"
    )
    error = error_of(text)
    assert error.key_path == "actions[1].instance_class"
    assert "db.r6g.xlarge already" in error.message


def test_an_over_long_name_says_so_without_pydantic_words() -> None:
    long_name = "x" * 64
    error = error_of(
        BASE + f"actions:\n  - {{at: 1m, kind: restore-to-point-in-time, target: {long_name}}}\n"
    )
    assert error.key_path == "actions[0].target"
    assert error.message == "expected at most 63 characters (got 64)"
