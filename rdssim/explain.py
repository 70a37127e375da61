"""``rdssim explain``: a run told in plain sentences, in time order, and what would have
shortened its outage, found by running the same seed again with one change at a time.

Times are seconds from the first fault or action (``t=+14.2 s``), the time base of the
timeline plot; before it, negative. Every sentence is read off the Record (an event, an
outage of the probe or of a client group); nothing is canned but the wording.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rdssim.availability import client_outages, groups_profile
from rdssim.metrics import Summary, summarize
from rdssim.record import Event, Record
from rdssim.scenario.schema import Scenario
from rdssim.timebase import clock_text, origin_event, origin_s

# Event kinds a narrative skips: one per connection, DNS look-up or transaction batch.
_QUIET = {"connections-opened", "dns-lookup", "dns-answer", "txns-interrupted"}
# A client group's outage told only if it lost at least this much of its traffic (whole
# seconds of requests): less is a pool replacing a connection, not an outage.
_NOTICED_S = 0.1


@dataclass(frozen=True)
class Line:
    """One sentence of the narrative, at ``time_s`` (seconds from the run's start)."""

    time_s: float
    text: str
    event: Event | None = None
    """The event it tells, if it tells one (None: an outage seen by a client)."""


def at(time_s: float, origin: float) -> str:
    """``t=+14.2 s`` (or ``t=-3.0 s`` before the origin); from ten minutes on a clock to the
    tenth of a second, ``t=+0:15:18.2``, ``t=+12 d 19:18:03.4``: a failover's steps months
    into a run stay apart (``+307.5 h`` told them all at once)."""
    offset = time_s - origin
    sign = "+" if offset >= 0 else "-"
    size = abs(offset)
    shown = f"{size:.1f} s" if size < 600 else clock_text(size, seconds=True, tenths=True)
    return f"t={sign}{shown}"


def _event_text(event: Event, azs: dict[str, str]) -> str:
    data = event.data
    rds = f" ({event.rds_event})" if event.rds_event else ""
    kind = event.kind
    if kind in ("fault", "action"):
        target = data.get("target")
        where = f" ({azs[target]})" if isinstance(target, str) and target in azs else ""
        what = "Fault" if kind == "fault" else "Action"
        return f"{what}: {event.message}{where}."
    if kind == "fault-end":
        return f"{event.message}."
    if kind == "failover-reason":
        return f"RDS gives the reason: {event.message.rstrip('.')}."
    if kind == "failover-started":
        target = data.get("target_instance")
        onto = f" onto {target}" if target else ""
        stopped = data.get("trigger_s")
        after = (
            f", {event.time_s - stopped:.1f} s after the primary stopped answering"
            if isinstance(stopped, float | int) and event.time_s > stopped
            else ""
        )
        return f"RDS starts the failover{onto}{after}: {event.message.rstrip('.')}{rds}."
    if kind == "failover-promoted":
        lost = data.get("lost_txns")
        loss = (
            f"; {lost:,.0f} committed transactions lost"
            if isinstance(lost, float | int) and lost
            else ""
        )
        return f"{event.message}{loss}."
    if kind == "failover-completed":
        return f"The endpoint names the new primary: {event.message.rstrip('.')}{rds}."
    return f"{event.source}: {event.message.rstrip('.')}{rds}."


def narrate(record: Record) -> list[Line]:
    """The run's sentences in time order: its events (but one per connection or DNS
    look-up), and the outages the probe and each client group saw."""
    azs = {info.name: info.az for info in record.instances}
    lines = [Line(e.time_s, _event_text(e, azs), e) for e in record.events if e.kind not in _QUIET]
    found = client_outages(record)
    if found is not None:
        outages, lasting = found
        for i, (start, end) in enumerate(outages):
            lines.append(Line(start, "The probe's writes start failing."))
            if lasting and i == len(outages) - 1:
                lines.append(Line(end, "The run ends with the probe still failing."))
            else:
                lines.append(
                    Line(end, f"The probe writes again, after {end - start:.1f} s without.")
                )
    by_group: dict[str, Record] = {}
    for flow in record.flows:
        by_group.setdefault(flow.group, Record(record.meta, record.instances)).flows.append(flow)
    for group, only in sorted(by_group.items()):
        profile = groups_profile(only)
        if profile is None:
            continue
        for start, end in profile.incidents():
            missing = profile.missing_s(start, end)
            if missing < _NOTICED_S:
                continue
            lines.append(Line(start, f"Client group {group}: requests start failing."))
            lines.append(
                Line(
                    end,
                    f"Client group {group}: every request succeeds again "
                    f"({missing:.1f} s of its traffic lost).",
                )
            )
    lines.sort(key=lambda line: line.time_s)  # stable: events keep their order
    return lines


def outage_key(summary: Summary) -> str:
    """The outage the what-ifs shorten: the client groups', else the probe's, else the
    writer's (the summary key)."""
    if summary.clients is not None and summary["client_downtime_s"] is not None:
        return "client_downtime_s"
    if summary["probe_downtime_s"] is not None:
        return "probe_downtime_s"
    return "writer_unavailable_s"


@dataclass(frozen=True)
class WhatIf:
    """One change tried on the same seed, and the outage with it."""

    change: str
    """In words, with the key it sets (``clients[0].dns_cache=ttl``)."""
    outage_s: float
    baseline_s: float

    @property
    def saved_s(self) -> float:
        return self.baseline_s - self.outage_s


Change = tuple[str, Callable[[Scenario], Scenario]]
_DEPLOYMENT_WORDS = {
    "multi-az-instance": "a Multi-AZ DB instance (a standby in another AZ)",
    "multi-az-cluster": "a Multi-AZ DB cluster (two readable standbys)",
    "aurora": "an Aurora cluster with a replica",
}


def candidate_changes(scenario: Scenario) -> list[Change]:
    """What a user could change, given what this scenario does: clients honouring the DNS
    TTL, a read timeout, RDS Proxy, a standby or a faster deployment type."""
    changes: list[Change] = []
    probe = scenario.probe
    if probe.enabled and probe.dns_cache != "ttl":
        changes.append(
            (
                "the probe honouring the DNS TTL (probe.dns_cache=ttl)",
                lambda s: s.model_copy(
                    update={"probe": s.probe.model_copy(update={"dns_cache": "ttl"})}
                ),
            )
        )
    for i, group in enumerate(scenario.clients):
        if group.dns_cache != "ttl":
            changes.append(
                (
                    f"client group {group.name} honouring the 5 s DNS TTL "
                    f"(clients[{i}].dns_cache=ttl)",
                    _client_change(i, dns_cache="ttl"),
                )
            )
        if group.read_timeout_s is None or group.read_timeout_s > 10.0:
            changes.append(
                (
                    f"client group {group.name} with a 5 s read timeout "
                    f"(clients[{i}].read_timeout=5s)",
                    _client_change(i, read_timeout_s=5.0),
                )
            )
    if scenario.clients and not scenario.proxy.enabled:
        changes.append(
            (
                "RDS Proxy in front of the writer (proxy.enabled=true)",
                lambda s: s.model_copy(
                    update={"proxy": s.proxy.model_copy(update={"enabled": True})}
                ),
            )
        )
    kind = scenario.deployment.type
    better = {
        "single-az": ["multi-az-instance"],
        "multi-az-instance": ["multi-az-cluster", "aurora"],
        "self-managed-ec2": ["multi-az-instance"],
    }.get(kind, [])
    for other in better:
        changes.append((f"{_DEPLOYMENT_WORDS[other]} instead (rdssim compare)", _redeployed(other)))
    return changes


def _client_change(index: int, **fields: Any) -> Callable[[Scenario], Scenario]:
    def change(scenario: Scenario) -> Scenario:
        clients = list(scenario.clients)
        clients[index] = clients[index].model_copy(update=fields)
        return scenario.model_copy(update={"clients": clients})

    return change


def _redeployed(kind: str) -> Callable[[Scenario], Scenario]:
    def change(scenario: Scenario) -> Scenario:
        from rdssim.comparison import as_deployment

        return as_deployment(scenario, kind).scenario

    return change


def what_ifs(
    scenario: Scenario,
    seed: int,
    summary: Summary,
    changes: Sequence[Change] | None = None,
) -> tuple[str, list[WhatIf]]:
    """(the outage key, each change's outage on the same seed, most saved first)."""
    from rdssim.sim import run

    key = outage_key(summary)
    baseline = float(summary[key] or 0.0)
    tried = []
    for text, change in changes if changes is not None else candidate_changes(scenario):
        other = summarize(run(change(scenario), seed))
        value = other[key]
        if value is None:
            value = other["writer_unavailable_s"]
        tried.append(WhatIf(text, float(value), baseline))
    tried.sort(key=lambda w: -w.saved_s)
    return key, tried


_OUTAGE_WORDS = {
    "client_downtime_s": "client downtime (the client groups' lost traffic)",
    "probe_downtime_s": "the probe's downtime",
    "writer_unavailable_s": "the writer's unavailability",
}


def explain(scenario: Scenario, seed: int) -> list[str]:
    """The whole explanation: the narrative, the outage, and the what-ifs."""
    from rdssim.sim import run

    record = run(scenario, seed)
    summary = summarize(record)
    origin = origin_s(record)
    event = origin_event(record)
    zero = (
        f"times from the first {event.kind} (t={event.time_s:.1f} s of the run)"
        if event is not None
        else "times from the run's start"
    )
    out = [f"{scenario.name} [{scenario.variant}], seed {seed}; {zero}."]
    out += [f"{at(line.time_s, origin)}: {line.text}" for line in narrate(record)]
    key, tried = what_ifs(scenario, seed, summary)
    baseline = float(summary[key] or 0.0)
    out.append("")
    out.append(f"Outage: {_OUTAGE_WORDS[key]} {baseline:.1f} s ({key}).")
    helpful = [w for w in tried if w.saved_s >= 0.5]
    if helpful:
        out.append("What would have shortened it (the same seed, one change at a time):")
        for w in helpful:
            out.append(
                f"- {w.change}: {w.outage_s:.1f} s, {w.saved_s:.1f} s less "
                f"({100 * w.saved_s / baseline:.0f}%)."
            )
    elif tried:
        out.append(
            "None of these shortens it by half a second on this seed: "
            + "; ".join(f"{w.change} ({w.outage_s:.1f} s)" for w in tried)
            + "."
        )
    else:
        out.append("Nothing a client or deployment setting could change here was found.")
    worse = [w for w in tried if w.saved_s <= -0.5]
    for w in worse:
        out.append(f"- (longer) {w.change}: {w.outage_s:.1f} s, {-w.saved_s:.1f} s more.")
    return out
