"""Bad client or proxy input: one clear error naming the file, the key and what was
expected; exit status 2, no traceback, nothing written. Good neighbours load."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MULTI_AZ, scenario_set
from typer.testing import CliRunner

from rdssim.cli import app
from rdssim.scenario import ScenarioError

runner = CliRunner()
GROUP = "{name: app, instances: 10, requests_per_s: 20}"


def doc(group: str = GROUP, *, deployment: str = "", tail: str = "") -> str:
    text = "name: c\nduration: 10m\n" + MULTI_AZ
    if deployment:
        text = text.replace("type: multi-az-instance", "type: multi-az-instance\n" + deployment)
    return text + f"clients:\n  - {group}\n" + tail


BAD = [
    pytest.param(
        doc(deployment="  instance_class: db.x9.huge"),
        ["deployment.instance_class", "unknown instance class 'db.x9.huge'", "db.r6g.large"],
        id="unknown-instance-class",
    ),
    pytest.param(
        doc("{name: app, instances: 10, requests_per_s: 1000, pool: {size: 5}}"),
        ["clients[0].requests_per_s", "more than the pool's 5", "raise pool.size"],
        id="pool-too-small",
    ),
    pytest.param(
        doc("{name: f, kind: per-request, instances: 10, requests_per_s: 2, session: 1s}"),
        ["clients[0].requests_per_s", "one function cannot run"],
        id="function-overbooked",
    ),
    pytest.param(
        doc(GROUP, tail="  - " + GROUP + "\n"),
        ["clients[1].name", "duplicate client group name 'app'"],
        id="duplicate-group",
    ),
    pytest.param(
        doc("{name: app, instances: 0, requests_per_s: 20}"),
        ["clients[0].instances", "expected at least 1 (got 0)"],
        id="no-instances",
    ),
    pytest.param(
        doc("{name: app, instances: 5, requests_per_s: 2, read_timeout: forever}"),
        ["clients[0].read_timeout", "duration"],
        id="bad-timeout",
    ),
    pytest.param(
        doc("{name: app, instances: 5, requests_per_s: 2, dns_cache: sometimes}"),
        ["clients[0].dns_cache", "ttl"],
        id="bad-dns-cache",
    ),
    pytest.param(
        doc(tail="proxy: {enabled: true, max_connections_percent: 150}\n"),
        ["proxy.max_connections_percent", "100"],
        id="proxy-percent",
    ),
    pytest.param(
        doc(tail="proxy: {enabled: true, max_connections_percent: 12.5}\n"),
        ["proxy.max_connections_percent", "whole number"],
        id="proxy-percent-fraction",
    ),
    pytest.param(
        doc(
            deployment="  max_connections: 50",
            tail="proxy: {enabled: true, max_connections_percent: 1}\n",
        ),
        ["proxy.max_connections_percent", "no DB connection", "raise max_connections_percent"],
        id="proxy-pool-empty",
    ),
    pytest.param(
        doc(
            tail="proxy: {enabled: true, max_connections_percent: 40,"
            " max_idle_connections_percent: 60}\n"
        ),
        ["proxy.max_idle_connections_percent", "more than max_connections_percent (40%)"],
        id="proxy-idle-above-max",
    ),
    pytest.param(
        doc(tail="proxy: {enabled: true}\n").replace("name: c\n", "name: c\nengine: oracle\n"),
        ["proxy.enabled", "not available for oracle"],
        id="proxy-oracle",
    ),
    pytest.param(
        doc("{name: proxy, instances: 10, requests_per_s: 20}"),
        ["clients[0].name", "taken by RDS Proxy"],
        id="group-named-proxy",
    ),
    pytest.param(
        doc(tail="proxy: {enabled: true, borrow_timeout: 30s}\n"),
        ["proxy.borrow_timeout", "unknown key"],
        id="proxy-unknown-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_client_input_is_located(text: str, expected: list[str], tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_set(text, file="bad.yaml")
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message, message
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "bad.yaml" in result.stderr and expected[0] in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "text",
    [
        doc("{name: app, instances: 10, requests_per_s: 250, pool: {size: 5}}"),  # exactly full
        doc("{name: app, instances: 5, requests_per_s: 2, read_timeout: none}"),
        doc(deployment="  instance_class: db.x9.huge\n  max_connections: 500"),
        doc(tail="proxy: {enabled: true, max_connections_percent: 100}\n"),
    ],
    ids=["pool-exactly-full", "no-read-timeout", "explicit-max-connections", "proxy-100"],
)
def test_good_neighbours_load(text: str) -> None:
    assert scenario_set(text).variants
