"""``rdssim explain``: its sentences are the Record's events and outages at their times,
and its what-ifs are the same seed run again with the change."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from typer.testing import CliRunner

import rdssim
from rdssim.availability import client_outages
from rdssim.cli import app
from rdssim.explain import at, candidate_changes, explain, narrate, origin_s, what_ifs
from rdssim.sim import run

BUNDLED = ["multi_az_failover", "dns_cache_pitfall", "proxy_vs_direct_failover", "az_outage"]


@pytest.mark.parametrize("name", BUNDLED)
def test_each_sentence_is_an_event_or_an_outage_at_its_time(name: str) -> None:
    scenarios = rdssim.load(name)
    for variant in scenarios.variants.values():
        record = run(variant, variant.seed)
        lines = narrate(record)
        assert [line.time_s for line in lines] == sorted(line.time_s for line in lines)
        told = [line.event for line in lines if line.event is not None]
        # Every RDS event and every fault is told, in the Record's order.
        for event in record.events:
            if event.rds_event or event.kind in ("fault", "action"):
                assert event in told, event
        assert told == [e for e in record.events if e in told]
        origin = origin_s(record)
        for line in lines:
            if line.event is not None:
                assert line.time_s == line.event.time_s
                if line.event.rds_event:
                    assert line.event.rds_event in line.text
        # The probe's outages, start and end, as availability reads them.
        found = client_outages(record)
        if found is not None:
            probe_times = [line.time_s for line in lines if "probe" in line.text]
            assert probe_times == [t for outage in found[0] for t in outage]
        printed = [f"{at(line.time_s, origin)}: {line.text}" for line in lines]
        for text, line in zip(printed, lines, strict=True):
            assert read_at(text) == pytest.approx(line.time_s - origin, abs=0.05 + 1e-9), text


def test_a_what_if_is_the_same_seed_run_with_the_change() -> None:
    variant = rdssim.load("dns_cache_pitfall").variants["jdk_30s"]
    summary = rdssim.run(variant, seed=3).summary
    changes = candidate_changes(variant)
    texts = [text for text, _ in changes]
    assert any("clients[0].dns_cache=ttl" in t for t in texts)
    assert any("probe.dns_cache=ttl" in t for t in texts)
    key, tried = what_ifs(variant, 3, summary, changes)
    assert key == "client_downtime_s"
    assert [w.saved_s for w in tried] == sorted((w.saved_s for w in tried), reverse=True)
    for text, change in changes:
        again = rdssim.run(change(variant), seed=3).summary[key]
        (found,) = [w for w in tried if w.change == text]
        assert found.outage_s == again and found.baseline_s == summary[key]
    # Honouring the TTL follows the new primary sooner than a 30 s cache does.
    (ttl,) = [w for w in tried if "clients[0].dns_cache=ttl" in w.change]
    assert ttl.saved_s > 0


def test_nothing_to_change_is_said_so() -> None:
    """A writer-only scenario already on Aurora: no client setting to change, no faster
    deployment to offer."""
    text = (
        "name: t\nduration: 20m\nprobe: {enabled: false}\ndeployment:\n  type: aurora\n"
        "  instances:\n    - {name: db-1, az: us-east-1a, role: primary}\n"
        "    - {name: db-2, az: us-east-1b, role: reader}\n"
        "faults:\n  - {at: 5m, kind: host-crash, target: primary}\n"
    )
    variant = rdssim.load(text).variants["base"]
    assert candidate_changes(variant) == []
    told = explain(variant, 0)
    assert told[-1] == "Nothing a client or deployment setting could change here was found."
    summary = rdssim.run(variant, seed=0).summary
    assert f"the writer's unavailability {summary['writer_unavailable_s']:.1f} s" in told[-2]


def test_the_command_tells_the_canonical_failover() -> None:
    result = CliRunner().invoke(app, ["explain", "multi_az_failover", "--seed", "1"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "t=+0.0 s: Fault: host-crash on db-1 (us-east-1a)." in out
    assert "RDS-EVENT-0013" in out and "RDS-EVENT-0049" in out
    summary = rdssim.run("multi_az_failover", seed=1).summary
    assert f"{summary['probe_downtime_s']:.1f} s (probe_downtime_s)" in out
    assert "What would have shortened it" in out


def test_an_unknown_variant_exits_2() -> None:
    result = CliRunner().invoke(app, ["explain", "proxy_vs_direct_failover", "--variant", "x"])
    assert result.exit_code == 2
    assert "direct, proxy" in result.output


def read_at(text: str) -> float:
    """The seconds a narrative line's ``t=`` says: ``+14.2 s``, ``+0:15:18.2``,
    ``+3 d 04:05:06.7``."""
    shown = re.match(r"t=([+-])(?:([\d.]+) s|(?:(\d+) d )?(\d+):(\d\d):(\d\d\.\d)):", text)
    assert shown, text
    sign = -1.0 if shown.group(1) == "-" else 1.0
    if shown.group(2) is not None:
        return sign * float(shown.group(2))
    days, hours, minutes, secs = shown.group(3, 4, 5, 6)
    clock = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return sign * clock


@pytest.mark.parametrize(
    ("offset_s", "text"),
    [
        (14.24, "t=+14.2 s"),
        (-3.0, "t=-3.0 s"),
        (599.9, "t=+599.9 s"),
        (918.24, "t=+0:15:18.2"),
        (307.5 * 3600 + 12.34, "t=+12 d 19:30:12.3"),
        (86400.0 - 0.04, "t=+1 d 00:00:00.0"),
    ],
)
def test_later_times_read_as_a_clock_to_the_tenth(offset_s: float, text: str) -> None:
    assert at(1000.0 + offset_s, 1000.0) == text
    assert read_at(text + ": x") == pytest.approx(offset_s, abs=0.05 + 1e-9)


def test_a_year_long_runs_failover_steps_are_told_apart() -> None:
    # Months into the run, the steps of a failover (tens of seconds) keep their own times.
    record = rdssim.run("year_of_failures", seed=7).record
    origin = origin_s(record)
    lines = narrate(record)
    assert max(line.time_s for line in lines) - origin > 100 * 86400
    for before, after in pairwise(lines):
        if after.time_s - before.time_s >= 0.1:
            assert at(after.time_s, origin) != at(before.time_s, origin), after.text
