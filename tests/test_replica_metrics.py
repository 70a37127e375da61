"""Replica metrics on hand-built Records whose answers are worked out by hand.

Every record has a primary writing W bytes/s from 0 (committed = W t) and replicas whose
applied position follows a closed form: caught up (applied = committed, lag 0), stopped
(applied flat, lag grows 1 s per second) or catching up at C bytes/s (meets committed after
backlog / (C - W)).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdssim.lag import data_lag_s, sample_times
from rdssim.record import (
    COMMITTED,
    Breakpoint,
    Event,
    InstanceInfo,
    Record,
    StateChange,
    applied_series,
    reads_series,
    ryw_reads_series,
)
from rdssim.replica_metrics import replica_table, summarize_replicas

Points = Sequence[tuple[float, float]]


def make_record(
    duration_s: float,
    replicas: Sequence[str],
    *,
    bytes_per_txn: float = 100.0,
    read_after_write_s: float | None = None,
) -> Record:
    meta: dict[str, str | int | float | bool | None] = {
        "scenario": "replicas",
        "variant": "default",
        "seed": 0,
        "duration_s": duration_s,
        "engine": "mysql",
        "bytes_per_txn": bytes_per_txn,
        "read_after_write_s": read_after_write_s,
    }
    instances = [InstanceInfo("db-1", "us-east-1a")]
    instances += [InstanceInfo(name, "us-east-1b", replica_of="primary") for name in replicas]
    record = Record(meta, instances)
    record.add(StateChange(0.0, "db-1", "primary", "available"))
    return record


def add_series(record: Record, series: str, points: Points) -> None:
    for time_s, value in points:
        record.add(Breakpoint(time_s, series, value))


def add_states(record: Record, instance: str, states: Sequence[tuple[float, str]]) -> None:
    for time_s, state in states:
        role = "standalone" if state == "available" else "replica"
        record.add(StateChange(float(time_s), instance, role, str(state)))


def promote(record: Record, replica: str, at_s: float, available_s: float) -> None:
    record.add(Event(at_s, replica, "replica-promotion-started", "promoting"))
    record.add(Event(at_s, replica, "replica-detached", "detached"))
    add_states(record, replica, [(at_s, "promoting"), (available_s, "available")])


def constant_rate(record: Record, series: str, rate: float) -> None:
    add_series(record, series, [(0.0, rate)])


# -- (1) reconnect, then catch up: max lag and catch-up time against the closed form ----------
@pytest.mark.parametrize(
    ("write_bps", "apply_bps", "broke_s", "resumed_s"),
    [(1000.0, 5000.0, 50.0, 80.0), (250.0, 333.0, 12.34, 47.891), (1e6, 1.5e6, 3.3, 9.9)],
)
def test_reconnect_then_catch_up_matches_the_closed_form(
    write_bps: float, apply_bps: float, broke_s: float, resumed_s: float
) -> None:
    duration_s = 200.0
    record = make_record(duration_s, ["r1", "r2", "r3"])
    add_series(record, COMMITTED, [(0.0, 0.0), (duration_s, write_bps * duration_s)])

    backlog = write_bps * (resumed_s - broke_s)  # nothing applied while the link was down
    caught_s = resumed_s + backlog / (apply_bps - write_bps)
    # A second, smaller episode: restarted for 2 s at 170, then catching up.
    small_caught_s = 172.0 + 2.0 * write_bps / (apply_bps - write_bps)
    add_series(
        record,
        applied_series("r1"),
        [
            (0.0, 0.0),
            (broke_s, write_bps * broke_s),
            (resumed_s, write_bps * broke_s),
            (caught_s, write_bps * caught_s),  # grew at C from resumed_s: the meeting point
            (170.0, write_bps * 170.0),
            (172.0, write_bps * 170.0),
            (small_caught_s, write_bps * small_caught_s),
            (duration_s, write_bps * duration_s),
        ],
    )
    assert write_bps * broke_s + apply_bps * (caught_s - resumed_s) == pytest.approx(
        write_bps * caught_s, rel=1e-12
    )
    add_states(
        record,
        "r1",
        [
            (0.0, "replicating"),
            (broke_s, "reconnecting"),
            (resumed_s, "catching-up"),
            (caught_s, "replicating"),
            (170.0, "restarting"),
            (172.0, "catching-up"),
            (small_caught_s, "replicating"),
        ],
    )
    # r2 is behind a 0.5 s link and never stops; r3 is never created.
    add_series(
        record, applied_series("r2"), [(0.0, 0.0), (0.5, 0.0), (duration_s, 199.5 * write_bps)]
    )
    add_states(record, "r2", [(0.0, "replicating")])

    summary = summarize_replicas(record)
    assert summary is not None
    assert summary.max_lag_s["r1"] == pytest.approx(backlog / write_bps, rel=1e-9)
    assert summary.max_behind_txns["r1"] == pytest.approx(backlog / 100.0, rel=1e-9)
    assert summary.max_behind_txns["r3"] is None
    assert summary.catch_up_s["r1"] == pytest.approx(backlog / (apply_bps - write_bps), rel=1e-9)
    assert summary.max_lag_s["r2"] == pytest.approx(0.5, rel=1e-9)
    assert "r2" not in summary.catch_up_s  # never catching up
    assert summary.max_lag_s["r3"] is None
    assert "r3" not in summary.catch_up_s
    assert summary.promotions == [] and summary.promotion_lost_txns is None
    assert summary.promotion_lost_s is None
    assert summary.reads_served is None and summary.stale_read_p50_s is None
    assert summary.ryw_violations is None

    table = {row["name"]: row for row in replica_table(record, summary)}
    assert table["r1"] == {
        "name": "r1",
        "az": "us-east-1b",
        "source": "primary",
        "role": "replica",
        "state": "replicating",
        "max_lag_s": summary.max_lag_s["r1"],
        "catch_up_s": summary.catch_up_s["r1"],
    }
    assert table["r3"]["state"] is None and table["r3"]["max_lag_s"] is None
    assert replica_table(record) == replica_table(record, summary)


def test_an_episode_still_running_at_the_end_has_no_catch_up_time() -> None:
    record = make_record(100.0, ["r1"])
    add_series(record, COMMITTED, [(0.0, 0.0), (100.0, 1e5)])
    # Stopped at 40, catching up at exactly the write rate from 60: never catches up.
    add_series(record, applied_series("r1"), [(0.0, 0.0), (40.0, 4e4), (60.0, 4e4), (100.0, 8e4)])
    add_states(record, "r1", [(0.0, "replicating"), (40.0, "stranded"), (60.0, "catching-up")])
    summary = summarize_replicas(record)
    assert summary is not None
    assert summary.max_lag_s["r1"] == pytest.approx(20.0, rel=1e-9)  # plateau from 60 on
    assert "r1" in summary.catch_up_s and summary.catch_up_s["r1"] is None


# -- (2) promotion: the unapplied backlog is lost ---------------------------------------------
def promotion_record() -> Record:
    """W = 1000 B/s, 250 B per transaction.

    r1: caught up until 60, link down to 70, then applies 1500 B/s; promoted at 75, when it
    has applied 60000 + 7500 = 67500 of 75000 bytes: 7500 B = 30 txns and 7.5 s lost (the
    primary was at 67500 at 67.5 s). Its lag peaked at 10 s (at 70). Promoting 75-90, then
    a standalone instance.
    r2: behind a 0.4 s link, promoted at 110.2: 400 B = 1.6 txns and 0.4 s lost.
    """
    record = make_record(120.0, ["r1", "r2"], bytes_per_txn=250.0)
    add_series(record, COMMITTED, [(0.0, 0.0), (120.0, 120000.0)])
    add_series(
        record,
        applied_series("r1"),
        [(0.0, 0.0), (60.0, 60000.0), (70.0, 60000.0), (80.0, 75000.0), (120.0, 75000.0)],
    )
    add_states(record, "r1", [(0.0, "replicating"), (60.0, "reconnecting"), (70.0, "catching-up")])
    promote(record, "r1", 75.0, 90.0)
    add_series(record, applied_series("r2"), [(0.0, 0.0), (0.4, 0.0), (120.0, 119600.0)])
    add_states(record, "r2", [(0.0, "replicating")])
    promote(record, "r2", 110.2, 115.0)
    return record


def test_promotion_loses_the_unapplied_backlog() -> None:
    summary = summarize_replicas(promotion_record())
    assert summary is not None
    first, second = summary.promotions
    assert first["replica"] == "r1" and first["at_s"] == 75.0
    assert first["lost_txns"] == pytest.approx(30.0, rel=1e-12)
    assert first["lost_s"] == pytest.approx(7.5, rel=1e-12)
    assert second["replica"] == "r2" and second["at_s"] == 110.2
    assert second["lost_txns"] == pytest.approx(1.6, rel=1e-9)
    assert second["lost_s"] == pytest.approx(0.4, rel=1e-9)
    assert summary.promotion_lost_txns == 32  # round(31.6)
    assert summary.promotion_lost_s == pytest.approx(7.5, rel=1e-12)
    # The lag ends at detachment; r2's last lag is the 0.4 s it lost.
    assert summary.max_lag_s["r1"] == pytest.approx(10.0, rel=1e-9)
    assert summary.max_lag_s["r2"] == pytest.approx(0.4, rel=1e-9)
    # r1 was catching up but was promoted before it caught up.
    assert summary.catch_up_s == {"r1": None}


def test_reads_around_a_promotion() -> None:
    """r1 gets 10 reads/s all along: served while a replica (0-75) and once promoted (90-120,
    no staleness), failed while promoting (75-90). Staleness over 0-75: 0 for 60 s, rising
    0 -> 10 over 60-70 (10 reads per second of lag), falling 10 -> 7.5 over 70-75 (20 per
    second of lag). Total 750; the top 1% (7.5 reads) lie above 10 - 7.5 / 30 = 9.75."""
    record = promotion_record()
    constant_rate(record, reads_series("r1"), 10.0)
    summary = summarize_replicas(record)
    assert summary is not None
    assert summary.reads_served == 750 + 300
    assert summary.reads_failed == 150
    assert summary.stale_read_p50_s == pytest.approx(0.0, abs=1e-9)
    assert summary.stale_read_p99_s == pytest.approx(9.75, abs=1e-9)
    assert summary.ryw_violations is None  # no read-your-writes traffic recorded


# -- (3) staleness percentiles, failed reads --------------------------------------------------
def test_staleness_percentiles_and_failed_reads() -> None:
    """r1, 100 reads/s: lag 0 until 180, restarting (reads fail) to 190, then lag 10 (applying
    at the write rate). r2, 50 reads/s: creating (reads fail) to 20, then lag 0.
    Served: 18000 + 9000 at lag 0, 1000 at lag 10 (3.6%): p50 = p95 = 0, p99 = 10."""
    write_bps = 1000.0
    record = make_record(200.0, ["r1", "r2"])
    add_series(record, COMMITTED, [(0.0, 0.0), (200.0, 200 * write_bps)])
    add_series(
        record,
        applied_series("r1"),
        [(0.0, 0.0), (180.0, 180 * write_bps), (190.0, 180 * write_bps), (200.0, 190 * write_bps)],
    )
    add_states(record, "r1", [(0.0, "replicating"), (180.0, "restarting"), (190.0, "catching-up")])
    add_series(record, applied_series("r2"), [(0.0, 0.0), (200.0, 200 * write_bps)])
    add_states(record, "r2", [(0.0, "creating"), (20.0, "replicating")])
    constant_rate(record, reads_series("r1"), 100.0)
    add_series(record, reads_series("r2"), [(0.0, 50.0)])

    summary = summarize_replicas(record)
    assert summary is not None
    assert summary.reads_served == 18000 + 9000 + 1000
    assert summary.reads_failed == 1000 + 1000
    assert summary.stale_read_p50_s == pytest.approx(0.0, abs=1e-9)
    assert summary.stale_read_p99_s == pytest.approx(10.0, abs=1e-9)
    assert summary.max_lag_s == {"r1": pytest.approx(10.0), "r2": pytest.approx(0.0, abs=1e-9)}
    assert summary.catch_up_s == {"r1": None}  # still catching up at the end


def test_a_rate_change_takes_effect_at_its_instant() -> None:
    """Steps: 10/s on [0, 50), 0 from 50, 30/s from 70 (a jump written as two points)."""
    record = make_record(100.0, ["r1"])
    add_series(record, COMMITTED, [(0.0, 0.0), (100.0, 1e5)])
    add_series(record, applied_series("r1"), [(0.0, 0.0), (100.0, 1e5)])
    add_states(record, "r1", [(0.0, "replicating")])
    add_series(record, reads_series("r1"), [(0.0, 10.0), (50.0, 0.0), (70.0, 0.0), (70.0, 30.0)])
    summary = summarize_replicas(record)
    assert summary is not None
    assert summary.reads_served == 500 + 900
    assert summary.reads_failed == 0


def ryw_record() -> Record:
    """W = 1000 B/s, d = 2 s, 40 reads/s of which 10/s read their own write.

    Link down 100-106 (serving): lag t - 100, above 2 s on (102, 106): 4 s. Then catching up
    at 4000 B/s: lag 6 - 3 (t - 106), above 2 s until 107 1/3: 4/3 s. Restarting 150-160
    (reads fail, whatever the lag), then catching up from lag 10: above 2 s for 8/3 s.
    Violations: 10/s x (4 + 4/3 + 8/3) s = 80.
    """
    write_bps, apply_bps = 1000.0, 4000.0
    record = make_record(200.0, ["r1"], read_after_write_s=2.0)
    add_series(record, COMMITTED, [(0.0, 0.0), (200.0, 200 * write_bps)])
    first_s = 106.0 + 6 * write_bps / (apply_bps - write_bps)
    second_s = 160.0 + 10 * write_bps / (apply_bps - write_bps)
    add_series(
        record,
        applied_series("r1"),
        [
            (0.0, 0.0),
            (100.0, 100 * write_bps),
            (106.0, 100 * write_bps),
            (first_s, first_s * write_bps),
            (150.0, 150 * write_bps),
            (160.0, 150 * write_bps),
            (second_s, second_s * write_bps),
            (200.0, 200 * write_bps),
        ],
    )
    add_states(
        record,
        "r1",
        [
            (0.0, "replicating"),
            (100.0, "reconnecting"),
            (106.0, "catching-up"),
            (first_s, "replicating"),
            (150.0, "restarting"),
            (160.0, "catching-up"),
            (second_s, "replicating"),
        ],
    )
    constant_rate(record, reads_series("r1"), 40.0)
    constant_rate(record, ryw_reads_series("r1"), 10.0)
    return record


def test_ryw_violations_are_ryw_rate_times_time_with_lag_above_d() -> None:
    summary = summarize_replicas(ryw_record())
    assert summary is not None
    assert summary.ryw_violations == 80
    assert summary.reads_failed == 400
    assert summary.reads_served == 40 * 190
    assert summary.max_lag_s["r1"] == pytest.approx(10.0, rel=1e-9)
    assert summary.catch_up_s["r1"] == pytest.approx(10 / 3, rel=1e-9)


# -- (5) no replicas --------------------------------------------------------------------------
def test_no_replicas_no_summary() -> None:
    record = make_record(60.0, [])
    add_series(record, COMMITTED, [(0.0, 0.0), (60.0, 6e4)])
    assert summarize_replicas(record) is None
    assert replica_table(record) == []


# -- (6) a saved record gives the same summary ------------------------------------------------
def test_round_trip_through_jsonl_gives_the_same_summary(tmp_path: Path) -> None:
    record = ryw_record()
    constant_rate(record, reads_series("r1"), 40.0)
    promote(record, "r1", 190.0, 195.0)
    path = tmp_path / "run.jsonl"
    record.to_jsonl(path)
    loaded = Record.from_jsonl(path)
    summary = summarize_replicas(record)
    assert summary is not None
    assert summarize_replicas(loaded) == summary
    assert summary.promotion_lost_s == pytest.approx(0.0, abs=1e-9)  # caught up at 163.3
    text = json.dumps(summary.to_dict(), allow_nan=False)  # plain JSON: no NaN, no inf
    assert json.loads(text)["ryw_violations"] == 80


# -- property: the maximum over the grid is the true maximum ----------------------------------
@st.composite
def lag_records(draw: st.DrawFn) -> Record:
    """Committed and applied on shared breakpoints, applied <= committed at each (so
    everywhere), with idle stretches of the primary and stalls of the replica."""
    n = draw(st.integers(1, 8))
    gaps = draw(st.lists(st.floats(0.01, 20.0), min_size=n, max_size=n))
    rates = draw(st.lists(st.one_of(st.just(0.0), st.floats(1.0, 5000.0)), min_size=n, max_size=n))
    shares = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    times, committed, applied = [0.0], [0.0], [0.0]
    for gap, rate, share in zip(gaps, rates, shares, strict=True):
        times.append(times[-1] + gap)
        committed.append(committed[-1] + rate * gap)
        position = applied[-1] + share * (committed[-1] - applied[-1])
        # A gap of a few ulps is rounding, not lag: lag there flips with the last bit.
        if committed[-1] - position < 1e-9 * max(1.0, committed[-1]):
            position = committed[-1]
        applied.append(position)
    record = make_record(times[-1], ["r1"])
    add_series(record, COMMITTED, list(zip(times, committed, strict=True)))
    add_series(record, applied_series("r1"), list(zip(times, applied, strict=True)))
    add_states(record, "r1", [(0.0, "replicating")])
    return record


@settings(max_examples=150, deadline=None)
@given(lag_records())
def test_max_lag_is_the_maximum_over_a_much_finer_grid(record: Record) -> None:
    summary = summarize_replicas(record)
    assert summary is not None
    found = summary.max_lag_s["r1"]
    assert found is not None and found >= 0.0
    fine = np.linspace(0.0, record.duration_s, 200_001)
    fine_step = float(fine[1] - fine[0])
    fine_max = float(np.nanmax(data_lag_s(record, "r1", fine)))
    tolerance = 1e-7 * max(1.0, found)
    # The true supremum: at or above every sampled value, and within the fine step of the
    # fine grid's maximum (lag never rises faster than 1 s per second).
    assert found >= fine_max - tolerance
    assert found <= fine_max + fine_step + tolerance
    coarse = float(np.nanmax(data_lag_s(record, "r1", sample_times(record))))
    assert found >= coarse - tolerance
    assert math.isfinite(found)
