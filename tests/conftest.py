"""Shared helpers: build a scenario from inline YAML, run it, and read the Record like a trace."""

from __future__ import annotations

import os
import textwrap
from contextlib import AbstractContextManager
from itertools import pairwise
from pathlib import Path

from alarm import alarm
from hypothesis import HealthCheck, settings

from rdssim.record import COMMITTED, Event, Record
from rdssim.scenario import Scenario, ScenarioSet, parse_scenario_text
from rdssim.sim import Simulation, build, run

# CI (.ci/run) checks the same Hypothesis examples on every run, so a red CI is the change's
# doing, not a new draw's; a developer's run keeps exploring new examples. Spelled out (and
# named apart from Hypothesis's own "ci", which it loads where CI is set, left in force when
# this variable is not) so that any Hypothesis version does the same.
settings.register_profile(
    "rdssim-ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,  # a shared machine's pauses are not the code's
    suppress_health_check=[HealthCheck.too_slow],
)
if os.environ.get("RDSSIM_HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("rdssim-ci")

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

MULTI_AZ = """\
deployment:
  type: multi-az-instance
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: standby}
"""

SINGLE_AZ = """\
deployment:
  type: single-az
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
"""

CLUSTER_LINKS = """\
deployment:
  type: multi-az-cluster
  instances:
    - {name: db-1, az: us-east-1a, role: primary}
    - {name: db-2, az: us-east-1b, role: reader, link: {latency: 2ms}}
    - {name: db-3, az: us-east-1c, role: reader, link: {latency: 40ms}}
"""
"""A DB cluster whose readers are 2 ms and 40 ms away: commits wait for the nearer one."""


def scenario_set(text: str, file: str = "<string>") -> ScenarioSet:
    """Parse scenario YAML given inline (indentation is removed first)."""
    return parse_scenario_text(textwrap.dedent(text), file=file)


def scenario(text: str, variant: str | None = None) -> Scenario:
    """The one scenario (or the named variant) of inline YAML."""
    variants = scenario_set(text).variants
    return variants[variant] if variant is not None else next(iter(variants.values()))


RUN_LIMIT_S = 60.0
"""A test's run of inline YAML taking longer than this is taken for a hang (they take
milliseconds to a few seconds)."""


def within(seconds: float) -> AbstractContextManager[None]:
    """Raise TimeoutError in the block after ``seconds`` (:func:`alarm.alarm`). An
    Exception, not pytest-timeout's failure: Hypothesis then reports the example that hung,
    shrunk, where a whole-test timeout would only say the test ran too long."""
    return alarm(
        seconds,
        lambda: TimeoutError(f"the run took more than {seconds:g} s: a simulation that hangs?"),
    )


def run_yaml(text: str, seed: int = 0, variant: str | None = None) -> Record:
    """Parse inline YAML and run it on ``seed`` (within :data:`RUN_LIMIT_S`)."""
    parsed = scenario(text, variant)
    with within(RUN_LIMIT_S):
        return run(parsed, seed)


def build_yaml(text: str, seed: int = 0) -> Simulation:
    """Parse inline YAML and wire (not run) its model on ``seed``."""
    return build(scenario(text), seed)


# -- reading a Record ------------------------------------------------------------------------
def rds_ids(record: Record) -> list[str]:
    """The short RDS event numbers ("0013") in emission order."""
    return [e.rds_event[-4:] for e in record.rds_events() if e.rds_event is not None]


def rds(record: Record, number: str) -> list[Event]:
    """Every event carrying RDS-EVENT-``number``."""
    return [e for e in record.events if e.rds_event == f"RDS-EVENT-{number}"]


def only(record: Record, number: str) -> Event:
    """The single RDS-EVENT-``number`` of the run (fails if there is not exactly one)."""
    found = rds(record, number)
    assert len(found) == 1, f"expected one RDS-EVENT-{number}, got {len(found)}: {rds_ids(record)}"
    return found[0]


def of_kind(record: Record, kind: str) -> list[Event]:
    """Every event of ``kind`` ("failover-promoted"), in emission order."""
    return [e for e in record.events if e.kind == kind]


def promoted_at(record: Record, failover: int = 1) -> float:
    """When the standby opened as the primary in the ``failover``-th failover (the model's
    instant between 0013 and 0049, which no RDS event marks on most engines)."""
    (event,) = [e for e in of_kind(record, "failover-promoted") if e.data["failover"] == failover]
    return event.time_s


def states(record: Record, instance: str) -> list[tuple[str, str]]:
    """The (role, state) pairs ``instance`` went through, in order, duplicates collapsed."""
    out: list[tuple[str, str]] = []
    for change in record.states:
        if change.instance == instance and (not out or out[-1] != (change.role, change.state)):
            out.append((change.role, change.state))
    return out


def state_at(record: Record, instance: str, time_s: float) -> tuple[str, str]:
    """(role, state) of ``instance`` just after ``time_s`` (the last change at or before it)."""
    current: tuple[str, str] | None = None
    for change in record.states:
        if change.instance == instance and change.time_s <= time_s:
            current = (change.role, change.state)
    assert current is not None
    return current


def writer_intervals(record: Record) -> list[tuple[float, float, str]]:
    """(start, end, instance) of every stretch in which an instance accepts writes."""
    out = []
    for info in record.instances:
        for start, end, role, state in record.state_intervals(info.name):
            if role == "primary" and state == "available":
                out.append((start, end, info.name))
    return sorted(out)


def two_writers_time(stretches: list[tuple[float, float, str]]) -> float:
    """Seconds in which two or more of ``stretches`` (``writer_intervals``) overlap.

    Each moment counts once however many hosts accept writes then: after two partitions
    three can (two unfenced old primaries beside the newest one), and summing the overlap
    of every pair would count such a moment three times.
    """
    edges = sorted({t for start, end, _ in stretches for t in (start, end)})
    total = 0.0
    for left, right in pairwise(edges):
        mid = (left + right) / 2
        if sum(start <= mid < end for start, end, _ in stretches) >= 2:
            total += right - left
    return total


def series_limits(record: Record, name: str, time_s: float) -> tuple[float, float]:
    """(left limit, right limit) of a piecewise-linear series with jumps at ``time_s``.

    A jump is two breakpoints at the same time; between breakpoints the series is linear.
    """
    times, values = record.series(name)
    at = [i for i, t in enumerate(times) if t == time_s]
    if at:
        return float(values[at[0]]), float(values[at[-1]])
    before = [i for i, t in enumerate(times) if t < time_s]
    after = [i for i, t in enumerate(times) if t > time_s]
    if not before:
        value = float(values[after[0]])
        return value, value
    if not after:
        value = float(values[before[-1]])
        return value, value
    i, j = before[-1], after[0]
    frac = (time_s - times[i]) / (times[j] - times[i])
    value = float(values[i] + frac * (values[j] - values[i]))
    return value, value


def state_before(record: Record, instance: str, time_s: float) -> tuple[str, str] | None:
    """(role, state) of ``instance`` *before* the changes made at ``time_s``."""
    current = None
    for change in record.states:
        if change.instance == instance and change.time_s < time_s:
            current = (change.role, change.state)
    return current


BYTES_PER_TXN = 4096  # the workload default


def committed_rate(record: Record, start_s: float, end_s: float) -> float:
    """Average growth of the committed position over [start, end], in transactions per second
    (of BYTES_PER_TXN bytes)."""
    grown = record.series_at(COMMITTED, end_s) - record.series_at(COMMITTED, start_s)
    return grown / BYTES_PER_TXN / (end_s - start_s)


def committed_drops(record: Record) -> list[tuple[float, float]]:
    """(time, bytes) of every downward jump of the committed position (a rewind)."""
    times, values = record.series(COMMITTED)
    return [
        (float(times[i]), float(values[i] - values[i + 1]))
        for i in range(len(times) - 1)
        if times[i] == times[i + 1] and values[i + 1] < values[i]
    ]


def run_refused(tmp_path: Path, text: str, *options: str) -> str:
    """``rdssim run`` on ``text`` must refuse it: exit 2, no traceback, nothing written.
    Returns what it printed."""
    from typer.testing import CliRunner

    from rdssim.cli import app

    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "o"
    result = CliRunner().invoke(app, ["run", str(path), "--no-plot", "--out", str(out), *options])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    return result.output
