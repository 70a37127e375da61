"""Pure functions from a Record to the numbers users ask for.

Definitions (docs/summary-keys.md documents them for users):

* failover: from the trigger (the fault that made the primary unhealthy, or the API call)
  to RDS-EVENT-0049, when the endpoint answers with the new primary, which accepts writes.
  Phases: detection (trigger -> 0013), promotion (0013 -> the standby opens as the
  primary), dns (-> 0049).
* writer unavailable: total time in which no instance is a primary in state ``available``.
* client-observed downtime: with client groups, the time their requests were not answered
  successfully (rdssim.client_metrics); without, per outage seen by the probe, from the
  start of its first failed attempt to the end of its next successful one, summed
  (``probe_downtime_s`` always holds the probe's).
* degraded: total time without an in-sync standby (Multi-AZ deployments only).
* standby syncing: of that, the time a new standby was catching up, commits waiting
  ``sync_commit_latency`` longer (CHAP_BestPractices: "elevated latencies ... until the
  standby DB instance has caught up").
* RPO: committed transactions lost (the new writer's log ends before the old one's): the
  downward jumps of the committed position, in transactions.

Read replicas (lag, catch-up, promotion loss, staleness of reads) are measured by
:mod:`rdssim.replica_metrics`; their keys join the summary's, null when there are none.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from rdssim.availability import (
    WRITER,
    AvailabilitySummary,
    client_outages,
    spans_with,
    summarize_availability,
)
from rdssim.client_metrics import (
    ClientSummary,
    groups_recovered,
    mean_downtime_s,
    summarize_clients,
)
from rdssim.record import PROMOTION_STARTED, SYNCING, Event, Record, diverged_series
from rdssim.replica_metrics import ReplicaSummary, summarize_replicas
from rdssim.timebase import origin_s

# (role, state) pairs of a writer, and of a host ready to take over from it: an in-sync
# standby, a cluster reader or Aurora replica, a self-managed standby that replicates.
TAKEOVER = (("standby", "available"), ("reader", "replicating"), ("standby", "replicating"))

DIVERGED_PREFIX = diverged_series("")

FAILOVER_INSTANTS = ("failover-started", "failover-promoted", "failover-completed")

# Non-RDS events shown in the event log beside the RDS events: what was done to the system.
LOGGED_KINDS = (
    "fault",
    "fault-end",
    "failover-reason",
    "failover-promoted",
    "action",
    "action-rejected",
    PROMOTION_STARTED,
    "replica-promoted",
    "replica-repointed",
    "replica-stranded",
    "replica-restarting",
    "io-suspended",
    "io-resumed",
    # What the deployment types beyond a DB instance do (semi-sync, flow control, Aurora's
    # volume, an HA manager's refusals, fencing and rejoins).
    "commits-waiting",
    "commits-resumed",
    "flow-control",
    "flow-control-released",
    "volume-writable",
    "volume-readable",
    "volume-unavailable",
    "volume-copy-repaired",
    "failover-refused",
    "demoted",
    "rejoined",
)


@dataclass(frozen=True)
class Failover:
    """The phases of one failover, in seconds."""

    number: int
    trigger_s: float
    cause: str
    detection_s: float
    promotion_s: float | None
    dns_s: float | None
    failover_s: float | None


if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Summary(Mapping[str, Any]):
    """What one run of one variant amounts to. Keys are stable (docs/summary-keys.md).

    Read it as a mapping of those keys (``summary["failover_s"]``, ``dict(summary)``), or
    as attributes; :meth:`to_frame` gives its scalar keys as a one-row DataFrame.
    """

    scenario: str
    variant: str
    seed: int
    failover_s: float | None
    detection_s: float | None
    promotion_s: float | None
    dns_s: float | None
    failovers: int
    writer_unavailable_s: float
    client_downtime_s: float | None
    client_recovered: bool | None
    probe_downtime_s: float | None
    degraded_s: float | None
    standby_syncing_s: float | None
    rpo_txns: int
    inflight_lost_txns: int
    two_writers_s: float | None
    split_brain_txns: int | None
    probe_attempts: int
    probe_errors: dict[str, int]
    origin_s: float = 0.0
    """The first fault or action (rdssim.timebase): the zero of the plots' time axis."""
    failover_details: list[Failover] = field(default_factory=list)
    probe_outages: list[dict[str, Any]] = field(default_factory=list)
    """Each outage the probe saw: ``number``, ``start_s``, ``downtime_s``, ``recovered``
    (their downtimes add up to ``probe_downtime_s``)."""
    faults: list[dict[str, Any]] = field(default_factory=list)
    """Each fault injected: ``fault`` (its index, as in ``fault[3]``), ``kind``,
    ``target``, ``start_s``, ``duration_s`` (None without an end in the run)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    replicas: ReplicaSummary | None = None
    clients: ClientSummary | None = None
    uptime: AvailabilitySummary | None = None

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready keys; the read replica and client keys are null without them."""
        out = asdict(self)
        del out["replicas"]
        del out["clients"]
        del out["uptime"]
        if self.uptime is not None:
            out.update(self.uptime.to_dict())
        else:
            out.update({f.name: None for f in fields(AvailabilitySummary)})
        if self.clients is not None:
            out.update(self.clients.to_dict())
        else:
            out.update({f.name: None for f in fields(ClientSummary)})
        if self.replicas is not None:
            replica_keys = self.replicas.to_dict()
        else:
            replica_keys = {f.name: None for f in fields(ReplicaSummary)}
        faults, events = out.pop("faults"), out.pop("events")
        out.update(replica_keys)
        out["faults"] = faults  # the long lists last, for people reading the JSON
        out["events"] = events
        return out

    def __getitem__(self, key: str) -> Any:
        keys = self.to_dict()
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else " (docs/summary-keys.md)"
            raise KeyError(f"{key!r} is not a summary key{hint}")
        return keys[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """The scalar keys as one row (the columns a sweep's table has)."""
        import pandas as pd

        row = {
            key: value
            for key, value in self.to_dict().items()
            if isinstance(value, bool | int | float | str) or value is None
        }
        return pd.DataFrame([row])


def failovers(record: Record) -> list[Failover]:
    """Every failover started in the run (an unfinished one has ``None`` phases).

    The phases are cut at the model's own instants, not at RDS events (whose order differs
    between engines: rds_events.failover_events): ``failover-started`` (RDS-EVENT-0013),
    ``failover-promoted`` (the standby opens as the primary) and ``failover-completed``
    (RDS-EVENT-0049, the endpoint names it).
    """
    by_number: dict[int, dict[str, Event]] = {}
    for event in record.events:
        number = event.data.get("failover")
        if isinstance(number, int) and event.kind in FAILOVER_INSTANTS:
            by_number.setdefault(number, {}).setdefault(event.kind, event)
    out = []
    for number in sorted(by_number):
        events = by_number[number]
        started = events["failover-started"]
        trigger = float(started.data["trigger_s"])  # type: ignore[arg-type]
        promoted = events.get("failover-promoted")
        completed = events.get("failover-completed")
        out.append(
            Failover(
                number=number,
                trigger_s=trigger,
                cause=str(started.data.get("cause")),
                detection_s=started.time_s - trigger,
                promotion_s=promoted.time_s - started.time_s if promoted else None,
                dns_s=completed.time_s - promoted.time_s if completed and promoted else None,
                failover_s=completed.time_s - trigger if completed else None,
            )
        )
    return out


def _time_with(record: Record, pairs: tuple[tuple[str, str], ...], least: int, most: int) -> float:
    """Total time in which the number of instances showing one of ``pairs`` (role, state)
    lies in [least, most]."""
    total = 0.0
    for start_s, end_s in spans_with(record, pairs, least, most):
        total += end_s - start_s
    return total


def two_writers_s(record: Record) -> float | None:
    """Total time in which two or more hosts are primaries accepting writes (only a
    self-managed deployment, where nobody fences an old primary, can have them)."""
    if record.meta.get("deployment") != "self-managed-ec2":
        return None
    return _time_with(record, WRITER, 2, len(record.instances))


def split_brain_txns(record: Record) -> int | None:
    """Writes an old primary outside the lineage accepted (``diverged_bytes:*``): lost."""
    if record.meta.get("deployment") != "self-managed-ec2":
        return None
    last: dict[str, float] = {}
    for point in record.breakpoints:
        if point.series.startswith(DIVERGED_PREFIX):
            last[point.series] = point.value
    bytes_per_txn = record.meta.get("bytes_per_txn")
    assert isinstance(bytes_per_txn, int | float) and bytes_per_txn > 0
    return round(sum(last.values()) / bytes_per_txn)


def writer_unavailable_s(record: Record) -> float:
    return _time_with(record, WRITER, 0, 0)


def degraded_s(record: Record) -> float | None:
    if record.meta.get("deployment") == "single-az":
        return None
    return _time_with(record, TAKEOVER, 0, 0)


def standby_syncing_s(record: Record) -> float | None:
    """Total time in which some instance is a standby in state ``syncing``."""
    if record.meta.get("deployment") == "single-az":
        return None
    total = 0.0
    for start, end, role, state in (
        span for info in record.instances for span in record.state_intervals(info.name)
    ):
        if (role, state) == ("standby", SYNCING):
            total += end - start
    return total


def client_downtime(record: Record, client: str = "probe") -> tuple[float | None, bool | None]:
    """(downtime in seconds, whether the client was succeeding again at the end): the sum
    of its outages (rdssim.availability.client_outages)."""
    return _downtime(client_outages(record, client))


def probe_outages(record: Record) -> list[dict[str, Any]]:
    """Each of the probe's outages (those ``probe_downtime_s`` adds up), numbered from 1;
    the last is not ``recovered`` if it lasts to the end of the run."""
    return _numbered(client_outages(record, "probe"))


def fault_spans(record: Record) -> list[dict[str, Any]]:
    """Each fault injected (a reboot-with-failover, an API call, among them), in time
    order: ``fault`` (its index), ``kind``, ``target`` (the instance or the AZ; None for a
    reboot), ``start_s`` and ``duration_s``, from the fault to its end (None for a fault
    that does not end, or ends after the run)."""
    spans: dict[int, dict[str, Any]] = {}
    for event in record.events:
        index = event.data.get("fault")
        if not isinstance(index, int):
            continue
        if event.kind in ("fault", "action"):
            spans[index] = {
                "fault": index,
                "kind": event.data.get("fault_kind"),
                "target": event.data.get("target") or event.data.get("az"),
                "start_s": event.time_s,
                "duration_s": None,
            }
        elif event.kind == "fault-end" and index in spans:
            spans[index]["duration_s"] = event.time_s - spans[index]["start_s"]
    return sorted(spans.values(), key=lambda span: (span["start_s"], span["fault"]))


Outages = tuple[list[tuple[float, float]], bool] | None
"""What rdssim.availability.client_outages finds: (spans, whether the last is open)."""


def _downtime(found: Outages) -> tuple[float | None, bool | None]:
    if found is None:
        return None, None
    outages, open_at_end = found
    total = 0.0
    for start_s, end_s in outages:
        total += end_s - start_s
    return total, not open_at_end


def _numbered(found: Outages) -> list[dict[str, Any]]:
    if found is None:
        return []
    spans, open_at_end = found
    return [
        {
            "number": number,
            "start_s": start_s,
            "downtime_s": end_s - start_s,
            "recovered": not (open_at_end and number == len(spans)),
        }
        for number, (start_s, end_s) in enumerate(spans, 1)
    ]


def lost_txns(record: Record) -> tuple[int, int]:
    """(committed transactions lost, in-flight transactions cut off).

    Committed losses are read off the committed position itself: each rewind (a failover to a
    standby that lacked commits, a point-in-time restore) is a downward jump of
    ``committed_bytes``. Counting jumps rather than completion events also counts a loss whose
    restore was interrupted or had not finished when the run ended.
    """
    lost_bytes = 0.0
    previous: tuple[float, float] | None = None
    for point in record.breakpoints:
        if point.series != "committed_bytes":
            continue
        if previous is not None and point.time_s == previous[0] and point.value < previous[1]:
            lost_bytes += previous[1] - point.value
        previous = (point.time_s, point.value)
    bytes_per_txn = record.meta.get("bytes_per_txn")
    assert isinstance(bytes_per_txn, int | float) and bytes_per_txn > 0
    committed = lost_bytes / bytes_per_txn
    inflight = 0
    for event in record.events:
        if event.kind == "txns-interrupted":
            count = event.data["txns"]
            assert isinstance(count, int)
            inflight += count
    return round(committed), inflight


def rpo_txns(record: Record) -> int:
    """Committed transactions lost: the log's rewinds and what an old primary outside the
    lineage accepted (two writers)."""
    return lost_txns(record)[0] + (split_brain_txns(record) or 0)


def summarize(record: Record) -> Summary:
    """The Summary of one run, from its Record alone."""
    all_failovers = failovers(record)
    first = all_failovers[0] if all_failovers else None
    probe = client_outages(record, "probe")  # read once: the downtime and the list
    downtime, recovered = _downtime(probe)
    _, inflight = lost_txns(record)
    split = split_brain_txns(record)
    clients = summarize_clients(record)
    errors: dict[str, int] = {}
    for run in record.attempts:
        if run.error is not None:
            errors[run.error] = errors.get(run.error, 0) + run.count
    return Summary(
        scenario=str(record.meta["scenario"]),
        variant=str(record.meta["variant"]),
        seed=int(record.meta["seed"]),  # type: ignore[arg-type]
        failover_s=first.failover_s if first else None,
        detection_s=first.detection_s if first else None,
        promotion_s=first.promotion_s if first else None,
        dns_s=first.dns_s if first else None,
        failovers=len(all_failovers),
        writer_unavailable_s=writer_unavailable_s(record),
        client_downtime_s=mean_downtime_s(record, clients) if clients else downtime,
        client_recovered=groups_recovered(record) if clients else recovered,
        probe_downtime_s=downtime,
        degraded_s=degraded_s(record),
        standby_syncing_s=standby_syncing_s(record),
        rpo_txns=rpo_txns(record),
        inflight_lost_txns=inflight,
        two_writers_s=two_writers_s(record),
        split_brain_txns=split,
        probe_attempts=sum(a.count for a in record.attempts if a.client == "probe"),
        probe_errors=dict(sorted(errors.items())),
        origin_s=origin_s(record),
        failover_details=all_failovers,
        probe_outages=_numbered(probe),
        faults=fault_spans(record),
        events=[
            {"time_s": e.time_s, "id": e.rds_event, "source": e.source, "message": e.message}
            for e in record.events
            if e.rds_event is not None or e.kind in LOGGED_KINDS
        ],
        replicas=summarize_replicas(record),
        clients=clients,
        uptime=summarize_availability(record),
    )
