"""Bad read-replica input in a scenario: one clear error, located by file, line and key path.

Every bad case is checked twice: at the scenario layer (the ScenarioError's key path, line,
message and hint) and through the command line (exit status 2, the located message on stderr,
no traceback, nothing written). The good cases next to them (the largest allowed topologies,
engine versions given as YAML numbers, faults on replicas) must load, so the limits are
tested from both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import MULTI_AZ, scenario_set
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.engines import replica_rules
from rdssim.scenario import ScenarioError

runner = CliRunner()
FILE = "bad.yaml"


def doc(
    replicas: Sequence[str] = (),
    *,
    engine: str | None = None,
    version: str | None = None,
    tail: str = "",
) -> str:
    """A Multi-AZ scenario with ``replicas`` (flow mappings); ``version`` is raw YAML."""
    text = "name: replicas\nduration: 30m\n"
    if engine is not None:
        text += f"engine: {engine}\n"
    if version is not None:
        text += f"engine_version: {version}\n"
    text += MULTI_AZ
    if replicas:
        text += "  replicas:\n" + "".join(f"    - {r}\n" for r in replicas)
    text += "workload:\n  phases:\n    - {start: 0s, writes_per_s: 100}\n"
    return text + tail


def replica(name: str, source: str = "primary", az: str = "us-east-1c") -> str:
    return f"{{name: {name}, az: {az}, source: {source}}}"


def chain(depth: int) -> list[str]:
    """r1 <- r2 <- ... <- r{depth}: a chain ``depth`` deep."""
    return [replica(f"r{i}", "primary" if i == 1 else f"r{i - 1}") for i in range(1, depth + 1)]


def fan(count: int) -> list[str]:
    return [replica(f"r{i}") for i in range(1, count + 1)]


TWO = [replica("r1"), replica("r2", "r1")]  # r2 follows r1


def actions(*items: str) -> str:
    return "actions:\n" + "".join(f"  - {a}\n" for a in items)


def line_of(text: str, marker: str) -> int:
    """The (1-based) line of the first line containing ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


# (id, text, key path, a marker on the expected line, fragments of the message / hint)
BAD = [
    (
        "unknown-source",
        doc([replica("r1"), replica("r2", "r9")]),
        "deployment.replicas[1].source",
        "name: r2",
        ["no source named 'r9'", "known: primary, r1, r2"],
    ),
    (
        "source-is-a-host",
        doc([replica("r1", "db-1")]),
        "deployment.replicas[0].source",
        "name: r1",
        ["no source named 'db-1'", "hint: a replica follows the DB instance (write 'primary')"],
    ),
    (
        "duplicate-replica-name",
        doc([replica("r1"), replica("r1", az="us-east-1a")]),
        "deployment.replicas[1].name",
        "name: r1, az: us-east-1a",
        ["duplicate instance name 'r1'"],
    ),
    (
        "replica-named-like-a-host",
        doc([replica("db-2")]),
        "deployment.replicas[0].name",
        "name: db-2, az: us-east-1c",
        ["duplicate instance name 'db-2'"],
    ),
    (
        "own-source",
        doc([replica("r1", "r1")]),
        "deployment.replicas[0].source",
        "name: r1",
        ["a replica cannot be its own source"],
    ),
    (
        "cycle",
        doc([replica("a", "b"), replica("b", "a")]),
        "deployment.replicas",
        "  replicas:",
        ["replication cycle: a -> b -> a"],
    ),
    (
        "mysql-chain-4-deep",
        doc(chain(4)),
        "deployment.replicas",
        "  replicas:",
        ["r4 is 4 deep (primary <- r1 <- r2 <- r3 <- r4)", "mysql 8.0 allows chains at most 3"],
    ),
    (
        "postgres-13-chain-2-deep",
        doc(chain(2), engine="postgres", version='"13.7"'),
        "deployment.replicas",
        "  replicas:",
        ["r2 is 2 deep", "postgres 13.7 allows no replicas of replicas"],
    ),
    (
        "postgres-14.0-chain-2-deep",
        doc(chain(2), engine="postgres", version='"14.0"'),
        "deployment.replicas",
        "  replicas:",
        ["postgres 14.0 allows no replicas of replicas"],
    ),
    (
        "mysql-16-replicas",
        doc(fan(16)),
        "deployment.replicas",
        "  replicas:",
        ["16 replicas of primary; mysql 8.0 allows 15 per source"],
    ),
    (
        "mysql-16-replicas-of-a-replica",
        doc([replica("hub"), *(replica(f"r{i}", "hub") for i in range(1, 17))]),
        "deployment.replicas",
        "  replicas:",
        ["16 replicas of hub; mysql 8.0 allows 15 per source"],
    ),
    (
        "oracle-6-replicas",
        doc(fan(6), engine="oracle"),
        "deployment.replicas",
        "  replicas:",
        ["6 replicas of primary; oracle 19 allows 5 per source"],
    ),
    (
        "action-target-unknown",
        doc(TWO, tail=actions("{at: 5m, kind: promote-replica, target: r9}")),
        "actions[0].target",
        "kind: promote-replica",
        ["no replica named 'r9'; known: r1, r2"],
    ),
    (
        "action-without-target",
        doc(TWO, tail=actions("{at: 5m, kind: promote-replica}")),
        "actions[0].target",
        "kind: promote-replica",
        ["promote-replica needs a target"],
    ),
    (
        "repoint-without-source",
        doc(TWO, tail=actions("{at: 5m, kind: repoint-replica, target: r2}")),
        "actions[0].source",
        "kind: repoint-replica",
        ["repoint-replica needs the new source"],
    ),
    (
        "repoint-to-unknown-source",
        doc(TWO, tail=actions("{at: 5m, kind: repoint-replica, target: r2, source: db-2}")),
        "actions[0].source",
        "kind: repoint-replica",
        ["no source named 'db-2'"],
    ),
    (
        "repoint-makes-a-cycle",
        doc(TWO, tail=actions("{at: 5m, kind: repoint-replica, target: r1, source: r2}")),
        "actions[0].source",
        "kind: repoint-replica",
        ["replication cycle: r1 -> r2 -> r1"],
    ),
    (
        "repoint-makes-a-chain-too-deep",
        doc(
            [*chain(3), replica("r4")],
            tail=actions("{at: 5m, kind: repoint-replica, target: r4, source: r3}"),
        ),
        "actions[0].source",
        "kind: repoint-replica",
        ["r4 is 4 deep", "allows chains at most 3"],
    ),
    (
        "repoint-after-an-earlier-repoint-makes-a-cycle",
        doc(
            [replica("r1"), replica("r2"), replica("r3")],
            tail=actions(
                "{at: 5m, kind: repoint-replica, target: r2, source: r1}",
                "{at: 6m, kind: repoint-replica, target: r1, source: r2}",
            ),
        ),
        "actions[1].source",
        "at: 6m",
        ["replication cycle: r1 -> r2 -> r1"],
    ),
    (
        "create-replica-twice",
        doc(
            TWO,
            tail=actions(
                "{at: 5m, kind: create-replica, target: r1}",
                "{at: 7m, kind: create-replica, target: r1}",
            ),
        ),
        "actions[1].target",
        "at: 7m",
        ["r1 is created twice"],
    ),
    (
        "action-after-the-end",
        doc(TWO, tail=actions("{at: 31m, kind: promote-replica, target: r1}")),
        "actions[0].at",
        "kind: promote-replica",
        ["after the end of the run", "hint: raise duration"],
    ),
    (
        "reads-target-unknown",
        doc(TWO, tail="reads: {reads_per_s: 100, target: r7}\n"),
        "reads.target",
        "reads:",
        ["no replica named 'r7'; known: reader-endpoint, r1, r2"],
    ),
    (
        "reads-without-replicas",
        doc(tail="reads: {reads_per_s: 100}\n"),
        "reads",
        "reads:",
        ["reads go to read replicas, and the deployment has none"],
    ),
    (
        "engine-version-not-a-version",
        doc(TWO, engine="postgres", version="abc"),
        "engine_version",
        "engine_version:",
        ["got 'abc'"],
    ),
    (
        "typo-in-a-replica",
        doc(["{name: r1, az: us-east-1c, apply_writes_per_sec: 900}"]),
        "deployment.replicas[0].apply_writes_per_sec",
        "name: r1",
        ["unknown key 'apply_writes_per_sec'; did you mean 'apply_writes_per_s'?"],
    ),
    (
        "typo-in-a-replica-link",
        doc(["{name: r1, az: eu-west-1a, link: {latncy: 80ms}}"]),
        "deployment.replicas[0].link.latncy",
        "name: r1",
        ["unknown key"],
    ),
    (
        "replica-apply-capacity-zero",
        doc(["{name: r1, az: us-east-1c, apply_writes_per_s: 0}"]),
        "deployment.replicas[0].apply_writes_per_s",
        "name: r1",
        ["expected at least 1 (got 0)"],
    ),
]
BAD_IDS = [case[0] for case in BAD]


@pytest.mark.parametrize(
    ("text", "key_path", "marker", "fragments"), [c[1:] for c in BAD], ids=BAD_IDS
)
def test_bad_replica_input_is_one_located_error(
    text: str, key_path: str, marker: str, fragments: list[str]
) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_set(text, file=FILE)
    error = caught.value
    assert error.key_path == key_path
    assert error.line == line_of(text, marker)
    rendered = error.render()
    assert rendered.startswith(f"{FILE}:{error.line}: {key_path}: ")
    for fragment in fragments:
        assert fragment in rendered, rendered


@pytest.mark.parametrize(
    ("text", "key_path", "marker", "fragments"), [c[1:] for c in BAD], ids=BAD_IDS
)
def test_bad_replica_input_exits_2_from_the_command(
    tmp_path: Path, text: str, key_path: str, marker: str, fragments: list[str]
) -> None:
    path = tmp_path / FILE
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert f"{FILE}:{line_of(text, marker)}: {key_path}: " in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in result.output + message
    assert message.count("error:") == 1, "one error, not a list"
    assert not out.exists(), "nothing may be written for a bad scenario"


# -- the same limits, from the good side ---------------------------------------------------------
GOOD = [
    ("mysql-chain-3-deep", doc(chain(3))),
    ("mariadb-chain-3-deep", doc(chain(3), engine="mariadb")),
    ("postgres-14.1-chain-2-deep", doc(chain(2), engine="postgres", version='"14.1"')),
    ("postgres-16-chain-3-deep", doc(chain(3), engine="postgres", version='"16.4"')),
    ("mysql-15-replicas", doc(fan(15))),
    ("oracle-5-replicas", doc(fan(5), engine="oracle")),
    ("fault-on-a-replica", doc(TWO, tail="faults:\n  - {at: 5m, kind: host-crash, target: r2}\n")),
    (
        "az-outage-of-a-replica-az",
        doc(TWO, tail="faults:\n  - {at: 5m, kind: az-outage, az: us-east-1c, duration: 2m}\n"),
    ),
    (
        "repoint-to-primary-and-to-a-replica",
        doc(
            [*chain(2), replica("r3")],
            tail=actions(
                "{at: 5m, kind: repoint-replica, target: r2, source: primary}",
                "{at: 6m, kind: repoint-replica, target: r3, source: r2}",
                "{at: 7m, kind: create-replica, target: r1}",
            ),
        ),
    ),
    ("reads-on-one-replica", doc(TWO, tail="reads: {reads_per_s: 100, target: r2}\n")),
]


@pytest.mark.parametrize("text", [c[1] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_replica_input_loads(tmp_path: Path, text: str) -> None:
    scenario_set(text, file=FILE)
    path = tmp_path / "good.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("engine", "raw", "version", "restarts"),
    [
        ("postgres", "15.4", "15.4", False),
        ("postgres", "12", "12", True),
        ("postgres", '"12.19"', "12.19", True),
        ("mysql", "8.0", "8.0", False),
    ],
)
def test_engine_version_may_be_a_yaml_number(
    engine: str, raw: str, version: str, restarts: bool
) -> None:
    """YAML reads 15.4 and 12 as numbers; they are taken as the versions they spell."""
    (loaded,) = scenario_set(doc([replica("r1")], engine=engine, version=raw)).variants.values()
    assert loaded.engine_version == version
    rules = replica_rules(loaded.engine, loaded.version)
    assert (rules.on_source_failover == "restart") is restarts


def test_the_limits_are_the_engine_rules() -> None:
    """The numbers the cases above probe are the rules table's (rdssim.engines)."""
    assert replica_rules("mysql", "8.0").max_chain_depth == 3
    assert replica_rules("mysql", "8.0").max_replicas_per_source == 15
    assert replica_rules("postgres", "13.7").max_chain_depth == 1
    assert replica_rules("postgres", "14.1").max_chain_depth == 3
    assert replica_rules("oracle").max_replicas_per_source == 5
