"""The Record: typed entries, derived intervals and series, JSON lines round trip; and the
metrics read from a Record alone (here hand-made, so every number is known in advance)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from conftest import MULTI_AZ, run_yaml

from rdssim.metrics import client_downtime, degraded_s, failovers, summarize, writer_unavailable_s
from rdssim.record import Breakpoint, Event, InstanceInfo, Operation, Record, StateChange


def hand_made() -> Record:
    record = Record(
        meta={
            "scenario": "hand",
            "variant": "base",
            "seed": 3,
            "duration_s": 100.0,
            "deployment": "multi-az-instance",
            "bytes_per_txn": 10,
        },
        instances=[InstanceInfo("db-1", "a"), InstanceInfo("db-2", "b")],
    )
    for entry in (
        StateChange(0.0, "db-1", "primary", "available"),
        StateChange(0.0, "db-2", "standby", "available"),
        Event(20.0, "fault[0]", "fault", "host-crash on db-1", data={"fault": 0, "target": "db-1"}),
        StateChange(20.0, "db-1", "primary", "failed"),
        Event(
            30.0,
            "db-1",
            "failover-started",
            "started",
            "RDS-EVENT-0013",
            {"failover": 1, "trigger_s": 20.0, "cause": "failed"},
        ),
        StateChange(30.0, "db-1", "none", "failed"),
        StateChange(30.0, "db-2", "primary", "promoting"),
        Event(
            50.0,
            "db-2",
            "failover-promoted",
            "promoted",
            "RDS-EVENT-0015",
            {"failover": 1, "lost_txns": 0.0},
        ),
        StateChange(50.0, "db-2", "primary", "available"),
        Event(55.0, "db-2", "failover-completed", "completed", "RDS-EVENT-0049", {"failover": 1}),
        StateChange(55.0, "db-1", "standby", "creating"),
        StateChange(90.0, "db-1", "standby", "available"),
        Breakpoint(0.0, "committed_bytes", 0.0),
        Breakpoint(20.0, "committed_bytes", 200.0),
        Breakpoint(50.0, "committed_bytes", 200.0),
        Breakpoint(50.0, "committed_bytes", 150.0),  # a rewind: 5 transactions lost
        Breakpoint(100.0, "committed_bytes", 650.0),
        Operation("probe", 10.0, 10.01, "ok", None, "db-1"),
        Operation("probe", 21.0, 26.0, "fail", "connect-timeout", "db-1"),
        Operation("probe", 40.0, 50.0, "unknown", "read-timeout", "db-1"),
        Operation("probe", 60.0, 60.01, "ok", None, "db-2"),
    ):
        record.add(entry)
    return record


def test_entries_go_to_their_lists() -> None:
    record = hand_made()
    assert len(record.events) == 4 and len(record.states) == 8
    assert len(record.breakpoints) == 5 and len(record.operations) == 4
    assert [e.rds_event for e in record.rds_events()] == [
        "RDS-EVENT-0013",
        "RDS-EVENT-0015",
        "RDS-EVENT-0049",
    ]
    assert record.duration_s == 100.0


def test_round_trip_through_json_lines(tmp_path: Path) -> None:
    record = hand_made()
    path = tmp_path / "hand.jsonl"
    record.to_jsonl(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(record.entries())
    loaded = Record.from_jsonl(path)
    assert loaded == record
    assert loaded.meta == record.meta and loaded.instances == record.instances
    assert loaded.operations[1].error == "connect-timeout"
    assert loaded.events[0].rds_event is None
    assert dict(loaded.events[1].data) == {"failover": 1, "trigger_s": 20.0, "cause": "failed"}
    assert summarize(loaded) == summarize(record)


def test_a_real_run_round_trips(tmp_path: Path) -> None:
    text = (
        "name: rt\nduration: 20m\n"
        + MULTI_AZ
        + "workload:\n  phases:\n    - {start: 0s, writes_per_s: 50}\n"
        + "faults:\n  - {at: 2m, kind: storage-failure, target: primary}\n"
    )
    record = run_yaml(text, seed=2)
    record.to_jsonl(tmp_path / "run.jsonl")
    assert Record.from_jsonl(tmp_path / "run.jsonl") == record


def test_equality_sees_every_difference() -> None:
    assert hand_made() == hand_made()
    other = hand_made()
    other.add(Event(99.0, "x", "y", "z"))
    assert other != hand_made()
    other = hand_made()
    other.meta["seed"] = 4
    assert other != hand_made()
    assert hand_made() != "a record"
    with pytest.raises(TypeError):
        hash(hand_made())


def test_series_at_interpolates_between_breakpoints() -> None:
    record = hand_made()
    times, values = record.series("committed_bytes")
    assert list(times) == [0.0, 20.0, 50.0, 50.0, 100.0]
    assert list(values) == [0.0, 200.0, 200.0, 150.0, 650.0]
    assert record.series_at("committed_bytes", 0.0) == 0.0
    assert record.series_at("committed_bytes", 10.0) == pytest.approx(100.0)
    assert record.series_at("committed_bytes", 35.0) == pytest.approx(200.0)
    assert record.series_at("committed_bytes", 75.0) == pytest.approx(400.0)
    assert record.series_at("committed_bytes", 100.0) == 650.0
    # Outside the breakpoints a series holds its end values.
    assert record.series_at("committed_bytes", -5.0) == 0.0
    assert record.series_at("committed_bytes", 500.0) == 650.0
    with pytest.raises(KeyError, match="no series named 'lag'"):
        record.series_at("lag", 1.0)


def test_state_intervals_cover_the_run() -> None:
    record = hand_made()
    assert record.state_intervals("db-1") == [
        (0.0, 20.0, "primary", "available"),
        (20.0, 30.0, "primary", "failed"),
        (30.0, 55.0, "none", "failed"),
        (55.0, 90.0, "standby", "creating"),
        (90.0, 100.0, "standby", "available"),
    ]
    assert record.state_intervals("db-2") == [
        (0.0, 30.0, "standby", "available"),
        (30.0, 50.0, "primary", "promoting"),
        (50.0, 100.0, "primary", "available"),
    ]
    assert record.state_intervals("db-9") == []


def test_state_intervals_of_a_real_run_tile_the_run() -> None:
    text = (
        "name: tile\nduration: 30m\n"
        + MULTI_AZ
        + "faults:\n  - {at: 1m, kind: host-crash, target: primary}\n"
        + "  - {at: 3m, kind: network-loss, target: standby, duration: 30s}\n"
    )
    record = run_yaml(text, seed=5)
    for info in record.instances:
        intervals = record.state_intervals(info.name)
        assert intervals[0][0] == 0.0 and intervals[-1][1] == record.duration_s
        for (_, end, *_), (start, *_) in pairwise(intervals):
            assert end == start
        assert all(end > start for start, end, *_ in intervals)  # zero-length states dropped


# -- metrics on the hand-made record --------------------------------------------------------------
def test_failover_phases() -> None:
    (failover,) = failovers(hand_made())
    assert (failover.number, failover.trigger_s, failover.cause) == (1, 20.0, "failed")
    assert (failover.detection_s, failover.promotion_s, failover.dns_s) == (10.0, 20.0, 5.0)
    assert failover.failover_s == 35.0


def test_time_without_a_writer_and_without_a_standby() -> None:
    record = hand_made()
    assert writer_unavailable_s(record) == 30.0  # 20 -> 50
    assert degraded_s(record) == 60.0  # 30 -> 90
    record.meta["deployment"] = "single-az"
    assert degraded_s(record) is None


def test_client_downtime_runs_from_first_failure_to_next_success() -> None:
    record = hand_made()
    assert client_downtime(record) == (pytest.approx(60.01 - 21.0), True)
    record.add(Operation("probe", 95.0, 96.0, "fail", "refused", "db-2"))
    assert client_downtime(record) == (pytest.approx(60.01 - 21.0 + 100.0 - 95.0), False)
    assert client_downtime(record, client="nobody") == (None, None)


def test_summary_of_the_hand_made_record() -> None:
    summary = summarize(hand_made())
    assert (summary.scenario, summary.variant, summary.seed) == ("hand", "base", 3)
    assert summary.failovers == 1 and summary.failover_s == 35.0
    assert summary.rpo_txns == 5  # the 50-byte rewind at 10 bytes per transaction
    assert summary.probe_attempts == 4
    assert summary.probe_errors == {"connect-timeout": 1, "read-timeout": 1}
    assert summary.to_dict()["failover_details"][0]["promotion_s"] == 20.0


def _damaged(tmp_path: Path, how: str) -> Path:
    """A record file written whole, then damaged in one way."""
    path = tmp_path / "run.jsonl"
    hand_made().to_jsonl(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    damaged = {
        "empty": [],
        "cut at a line break": lines[: len(lines) // 2],
        "a line that is a list": [*lines, "[1, 2]"],
        "a line that is a number": [*lines, "7"],
        "an unknown kind": [*lines, '{"type": "comet"}'],
        "a missing field": [*lines, '{"type": "state", "time_s": 1.0}'],
        "an extra field": [*lines[:-1], lines[-1][:-1] + ', "colour": "red"}'],
        "a field of the wrong type": [
            *lines,
            '{"type": "state", "time_s": "soon", "instance": "db-1", "role": "r", "state": "s"}',
        ],
        "an outcome that is none": [lines[0], *(x.replace('"fail"', '"maybe"') for x in lines[1:])],
        "a header that is not one": ['{"type": "event"}', *lines[1:]],
    }[how]
    path.write_text("".join(line + "\n" for line in damaged), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "how",
    [
        "empty",
        "cut at a line break",
        "a line that is a list",
        "a line that is a number",
        "an unknown kind",
        "a missing field",
        "an extra field",
        "a field of the wrong type",
        "an outcome that is none",
        "a header that is not one",
    ],
)
def test_a_damaged_record_file_is_a_value_error(tmp_path: Path, how: str) -> None:
    """Every damage is a ValueError (what rdssim plot and report turn into one line), not an
    IndexError or AttributeError, nor a Record missing what was cut off."""
    with pytest.raises(ValueError, match=r"line \d+|empty|cut short"):
        Record.from_jsonl(_damaged(tmp_path, how))


def test_a_record_without_an_entry_count_still_loads(tmp_path: Path) -> None:
    """Files written before the header counted its entries."""
    import json

    path = tmp_path / "old.jsonl"
    hand_made().to_jsonl(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    del header["entries"]
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    assert Record.from_jsonl(path) == hand_made()
