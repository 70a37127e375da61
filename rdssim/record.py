"""The Record: everything a run produced, as typed immutable entries.

Model code only appends to it; metrics and plots only read it. A Record round-trips through
JSON lines, so a saved run can be re-measured and re-plotted without running it again.

Five kinds of entry:

* ``Event``: something that happened at an instant (a fault, an action, an RDS event).
* ``StateChange``: an instance entered a (role, state) pair; intervals are derived.
* ``Breakpoint``: a point of a piecewise-linear series (e.g. the committed log position).
* ``Attempts``: a stretch of identical probe attempts, evenly spaced, with their outcome
  (ok / fail / unknown); an ``Operation`` is one attempt.
* ``Flow``: requests of a client cohort arriving at a steady rate, all with one outcome.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from rdssim import regions

Scalar = str | int | float | bool | None
Outcome = Literal["ok", "fail", "unknown"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Event:
    """An instant occurrence. ``rds_event`` is the RDS event id ("RDS-EVENT-0013") if any."""

    time_s: float
    source: str
    kind: str
    message: str
    rds_event: str | None = None
    data: Mapping[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StateChange:
    """From ``time_s`` on, ``instance`` holds ``role`` and is in ``state``."""

    time_s: float
    instance: str
    role: str
    state: str


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A vertex of the piecewise-linear series ``series``."""

    time_s: float
    series: str
    value: float


@dataclass(frozen=True, slots=True)
class Operation:
    """One client attempt from ``start_s`` to ``end_s``; ``address`` is the instance reached."""

    client: str
    start_s: float
    end_s: float
    outcome: Outcome
    error: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Attempts:
    """``count`` identical attempts of ``client``: the k-th starts at
    ``first_start_s + k * period_s`` and ends ``duration_s`` later, all with one outcome.

    The probe's attempts between two changes of what it can see are alike, so a stretch of
    them is one entry (DESIGN.md principle 1: a simulated year costs per incident).
    """

    client: str
    first_start_s: float
    period_s: float
    count: int
    duration_s: float
    outcome: Outcome
    error: str | None = None
    address: str | None = None

    def start_s(self, k: int) -> float:
        return self.first_start_s + k * self.period_s

    @property
    def last_start_s(self) -> float:
        return self.start_s(self.count - 1)

    @property
    def end_s(self) -> float:
        """When the last attempt ends."""
        return self.last_start_s + self.duration_s

    def operations(self) -> list[Operation]:
        """The attempts one by one (their number grows with time: for tests and small runs)."""
        return [
            Operation(
                self.client,
                self.start_s(k),
                self.start_s(k) + self.duration_s,
                self.outcome,
                self.error,
                self.address,
            )
            for k in range(self.count)
        ]

    @classmethod
    def single(cls, op: Operation) -> Attempts:
        duration = op.end_s - op.start_s
        return cls(op.client, op.start_s, duration, 1, duration, op.outcome, op.error, op.address)


@dataclass(frozen=True, slots=True)
class Flow:
    """Requests of cohort ``cohort`` of client group ``group`` arriving in
    [``start_s``, ``end_s``) at ``rate_per_s``, all ending in ``outcome`` (``error`` names
    the failure). A request arriving at t gets its answer at t + latency, the latency
    running linearly from ``latency_start_s`` (arrival at start_s) to ``latency_end_s``
    (arrival at end_s): a queue released at one instant gives a latency falling at slope -1.
    """

    group: str
    cohort: int
    start_s: float
    end_s: float
    rate_per_s: float
    outcome: Outcome
    error: str | None
    latency_start_s: float
    latency_end_s: float

    @property
    def requests(self) -> float:
        return self.rate_per_s * (self.end_s - self.start_s)

    def latency_at(self, arrival_s: float) -> float:
        span = self.end_s - self.start_s
        share = (arrival_s - self.start_s) / span if span > 0 else 0.0
        return self.latency_start_s + share * (self.latency_end_s - self.latency_start_s)


# Names of the piecewise-linear series (positions are bytes of the primary's log).
COMMITTED = "committed_bytes"
WRITE_RATE = "offered_writes_per_s"


# Event kinds that the model emits and the readers look for.
PROMOTION_STARTED = "replica-promotion-started"
SYNCING = "syncing"
"""The state of a new standby catching up (commits slower meanwhile)."""
"""A replica promotion began; data: ``lost_txns``, ``lost_s`` (what it had not applied)."""
DETACHED = "replica-detached"
"""A replica left the primary's lineage (it, or a replica up its chain, was promoted)."""


def diverged_series(instance: str) -> str:
    """Bytes of writes a writer outside the lineage accepted (two writers: lost)."""
    return f"diverged_bytes:{instance}"


def applied_series(instance: str) -> str:
    """The log position ``instance`` has applied (a host of the DB instance or a replica)."""
    return f"applied_bytes:{instance}"


def received_series(replica: str) -> str:
    """The log position a read replica has received over its link."""
    return f"received_bytes:{replica}"


def reads_series(replica: str) -> str:
    """Reads per second offered to a replica (a step series)."""
    return f"reads_per_s:{replica}"


def ryw_reads_series(replica: str) -> str:
    """Of those, reads that follow the same client's write (read-your-writes checks)."""
    return f"ryw_reads_per_s:{replica}"


def db_connections_series(instance: str) -> str:
    """Connections open on a DB instance, from clients directly and from the proxy (step)."""
    return f"db_connections:{instance}"


CONNECTION_OPENS = "connection_opens_per_s"
"""DB connections opened per second by steady traffic (per-request clients; a step series).
Bursts (a pool filling, the proxy moving to a new writer) are ``connections-opened`` events."""
CONNECTIONS_OPENED = "connections-opened"
"""An event: ``count`` DB connections opened at once on ``instance`` by ``group``."""
TXNS_CANCELLED = "transactions-cancelled"
"""An event: the proxy cancelled ``count`` in-flight transactions (all groups) on
``instance``, the writer it lost."""
DNS_LOOKUP = "dns-lookup"
"""An event: a client cohort resolved ``name`` (a cache miss) and got ``answer``."""
PROXY_CLIENTS = "proxy_client_connections"
"""Client connections held open to RDS Proxy (a step series)."""


Entry = Event | StateChange | Breakpoint | Attempts | Flow
_TYPES: dict[str, type[Entry]] = {
    "event": Event,
    "state": StateChange,
    "breakpoint": Breakpoint,
    "attempts": Attempts,
    "flow": Flow,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def _row(line: str, number: int) -> dict[str, Any]:
    """One line of a Record file as a JSON object, or ValueError naming the line."""
    try:
        row = json.loads(line)
    except ValueError as error:
        raise ValueError(f"line {number}: not JSON ({error})") from None
    if not isinstance(row, dict):
        raise ValueError(f"line {number}: not a JSON object")
    return row


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# What each field annotation of an entry accepts, as JSON gives it back, and its words.
_FIELD_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "float": (_is_number, "a number"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "str | None": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "Outcome": (lambda v: v in ("ok", "fail", "unknown"), "ok, fail or unknown"),
    "Mapping[str, Scalar]": (lambda v: isinstance(v, dict), "an object"),
}


def _entry(kind: type[T], row: Mapping[str, Any], number: int) -> T:
    """``kind`` built from ``row``, its fields checked, or ValueError naming the line."""
    known = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(row) - set(known))
    if unknown:
        raise ValueError(f"line {number}: {kind.__name__} has no field {unknown[0]!r}")
    for name, spec in known.items():
        if name not in row:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ValueError(f"line {number}: {kind.__name__} lacks {name!r}")
            continue
        check, words = _FIELD_CHECKS[str(spec.type)]
        if not check(row[name]):
            raise ValueError(f"line {number}: {kind.__name__}.{name} is {row[name]!r}, not {words}")
    return kind(**row)


def region_of(az: str) -> str:
    """The Region of an AZ name (us-east-1a -> us-east-1); a name that is none is its own
    (scenarios are checked; a Record read back from a file may hold anything)."""
    return regions.region_of(az) or az


@dataclass(frozen=True)
class InstanceInfo:
    """Static description of an instance, for lanes and labels.

    ``replica_of`` is set for a read replica: its first source, ``"primary"`` (the DB
    instance's writer, whichever host that is) or another replica's name. ``region`` is the
    AZ's Region (a scenario may declare its own AZs; None: read it off the AZ's name).
    """

    name: str
    az: str
    replica_of: str | None = None
    region: str | None = None

    @property
    def is_replica(self) -> bool:
        return self.replica_of is not None

    @property
    def region_name(self) -> str:
        return self.region or region_of(self.az)


class Record:
    """Append-only log of one run of one scenario variant."""

    def __init__(self, meta: Mapping[str, Scalar], instances: Iterable[InstanceInfo]) -> None:
        self.meta: dict[str, Scalar] = dict(meta)
        self.instances: list[InstanceInfo] = list(instances)
        self.events: list[Event] = []
        self.states: list[StateChange] = []
        self.breakpoints: list[Breakpoint] = []
        self.attempts: list[Attempts] = []
        self.flows: list[Flow] = []
        self._lists: dict[type, list[Any]] = {
            Event: self.events,
            StateChange: self.states,
            Breakpoint: self.breakpoints,
            Attempts: self.attempts,
            Flow: self.flows,
        }

    # -- writing -----------------------------------------------------------------------
    def add(self, entry: Entry | Operation) -> None:
        """Append one entry to its list (an Operation is a stretch of one attempt)."""
        entries = self._lists.get(type(entry))
        if entries is not None:
            entries.append(entry)
        elif isinstance(entry, Operation):
            self.attempts.append(Attempts.single(entry))
        else:  # a subclass of an entry type
            self._lists[next(t for t in self._lists if isinstance(entry, t))].append(entry)

    # -- reading -----------------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        value = self.meta["duration_s"]
        assert isinstance(value, int | float)
        return float(value)

    @property
    def operations(self) -> list[Operation]:
        """Every attempt one by one, in start order within each client. Their number grows
        with simulated time: for tests and small runs; metrics and plots read ``attempts``."""
        return [op for run in self.attempts for op in run.operations()]

    def rds_events(self) -> list[Event]:
        """Events that carry an RDS event id, in time order."""
        return [e for e in self.events if e.rds_event is not None]

    def state_intervals(self, instance: str) -> list[tuple[float, float, str, str]]:
        """(start_s, end_s, role, state) for ``instance``, covering the whole run."""
        changes = [s for s in self.states if s.instance == instance]
        out: list[tuple[float, float, str, str]] = []
        for i, change in enumerate(changes):
            end = changes[i + 1].time_s if i + 1 < len(changes) else self.duration_s
            if end > change.time_s:
                out.append((change.time_s, end, change.role, change.state))
        return out

    def add_step(self, time_s: float, series: str, old: float | None, new: float) -> None:
        """A step of a piecewise-constant series: two breakpoints at one time (one at the
        start, when there is no ``old`` value)."""
        if old is not None:
            self.add(Breakpoint(time_s, series, old))
        self.add(Breakpoint(time_s, series, new))

    def series(self, name: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Breakpoint times and values of a piecewise-linear series."""
        points = [b for b in self.breakpoints if b.series == name]
        times = np.array([b.time_s for b in points], dtype=np.float64)
        values = np.array([b.value for b in points], dtype=np.float64)
        return times, values

    def series_at(self, name: str, time_s: float) -> float:
        """Value of a piecewise-linear series at ``time_s`` (linear between breakpoints)."""
        times, values = self.series(name)
        if times.size == 0:
            raise KeyError(f"no series named {name!r} in this record")
        return float(np.interp(time_s, times, values))

    # -- serialisation -------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """All entries, in the order the kinds were appended within each kind."""
        return [*self.events, *self.states, *self.breakpoints, *self.attempts, *self.flows]

    def to_jsonl(self, path: Path) -> None:
        """Write the record as JSON lines: a header line, then one line per entry."""
        with path.open("w", encoding="utf-8") as handle:
            entries = self.entries()
            header = {
                "type": "header",
                "meta": self.meta,
                "instances": [asdict(i) for i in self.instances],
                "entries": len(entries),  # a file cut short at a line break still tells
            }
            handle.write(json.dumps(header, sort_keys=True) + "\n")
            for entry in entries:
                row: dict[str, Any] = {"type": _NAMES[type(entry)], **asdict(entry)}
                handle.write(json.dumps(row, sort_keys=True) + "\n")

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike[str]) -> Record:
        """Load a record written by :meth:`to_jsonl`. ValueError, naming the line, for a
        file that is not one (empty, cut short, edited: a line that is not an entry)."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        if not lines:
            raise ValueError("the file is empty")
        header = _row(lines[0], 1)
        if header.get("type") != "header" or set(header) - {"type", "entries"} != {
            "meta",
            "instances",
        }:
            raise ValueError("line 1: not a Record's header")
        meta, instances = header["meta"], header["instances"]
        if not isinstance(meta, dict) or not isinstance(instances, list):
            raise ValueError("line 1: not a Record's header")
        record = cls(meta, [_entry(InstanceInfo, row, 1) for row in instances])
        for number, line in enumerate(lines[1:], start=2):
            row = _row(line, number)
            kind = row.pop("type", None)
            if kind == "operation":  # written before attempts were solved in stretches
                record.add(_entry(Operation, row, number))
            elif isinstance(kind, str) and kind in _TYPES:
                record.add(_entry(_TYPES[kind], row, number))
            else:
                raise ValueError(f"line {number}: no kind of entry named {kind!r}")
        expected = header.get("entries")
        if expected is not None and expected != len(lines) - 1:
            raise ValueError(
                f"cut short or edited: {len(lines) - 1} entries after the header, which "
                f"announces {expected}"
            )
        return record

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (
            self.meta == other.meta
            and self.instances == other.instances
            and self.entries() == other.entries()
        )

    __hash__ = None  # type: ignore[assignment]
