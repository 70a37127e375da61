"""Build the model of one scenario variant on one SimPy environment, run it, return its Record."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import simpy

from rdssim.availability import sla_percent_for
from rdssim.connections import default_max_connections
from rdssim.model import random_failures
from rdssim.model.actions import ActionRunner
from rdssim.model.cohort import Cohort
from rdssim.model.conntable import ConnectionTable
from rdssim.model.context import SimContext
from rdssim.model.deployments import DBInstanceController, Deployment, controller_for
from rdssim.model.deployments.aurora import VOLUME_LANE
from rdssim.model.deployments.readers import ReaderDeployment
from rdssim.model.direct import DirectCohort
from rdssim.model.dns import Endpoint
from rdssim.model.faults import FaultInjector
from rdssim.model.instance import ABSENT, Instance
from rdssim.model.network import Network
from rdssim.model.probe import ProbeClient
from rdssim.model.proxy import ProxiedCohort, Proxy
from rdssim.model.reads import ReadRouter
from rdssim.model.replicas import ReplicaSet
from rdssim.model.writelog import WriteLog
from rdssim.record import InstanceInfo, Record, Scalar
from rdssim.rng import Streams
from rdssim.scenario.checks_deployments import volume_azs
from rdssim.scenario.schema import Scenario
from rdssim.txn_spread import blocks_for

CLUSTER_TYPES = ("multi-az-cluster", "aurora")
"""Types whose readers serve reads through a reader endpoint."""


@dataclass
class Simulation:
    """A built, not yet run, model: everything wired on one environment."""

    ctx: SimContext
    instances: list[Instance]
    log: WriteLog
    controller: DBInstanceController
    endpoint: Endpoint
    replicas: ReplicaSet
    reads: ReadRouter | None = None
    cohorts: list[Cohort] = field(default_factory=list)
    probe: ProbeClient | None = None
    actions: ActionRunner | None = None
    events_processed: int = 0

    def run(self) -> Record:
        """Run to the scenario's end; count the SimPy events processed on the way."""
        env = self.ctx.env
        until = self.ctx.scenario.duration_s
        steps = 0
        with _collector_spares_what_exists():
            while env.peek() < until:
                env.step()
                steps += 1
            env.run(until=until)
        self.log.finish()
        self.replicas.finish()
        if self.reads is not None:
            self.reads.finish()
        for cohort in self.cohorts:
            cohort.finish()
        if self.probe is not None:
            self.probe.finish()
        self.events_processed = steps
        self.ctx.record.meta["sim_events"] = steps
        self.ctx.record.meta["dns_lookups"] = self.endpoint.resolutions
        return self.ctx.record


def endpoint_name(scenario: Scenario) -> str:
    """An RDS-looking endpoint name for the scenario: an instance's, a cluster's writer
    endpoint, or (on EC2) a name in a private DNS zone."""
    identifier = scenario.name.replace("_", "-").replace(".", "-")
    kind = scenario.deployment.type
    if kind in ("multi-az-cluster", "aurora"):
        return f"{identifier}.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com"
    if kind == "self-managed-ec2":
        return f"{identifier}.db.internal"
    return instance_endpoint_name(scenario.name.replace("_", "-"))


def instance_endpoint_name(identifier: str) -> str:
    """An RDS-looking endpoint of a DB instance: <identifier>.<account id>.<region>...."""
    return f"{identifier}.abcdefghijkl.us-east-1.rds.amazonaws.com"


def restored_instances(scenario: Scenario) -> list[tuple[str, str]]:
    """(name, AZ) of every DB instance a point-in-time restore creates in the run."""
    # assumption: in the AZ of the instance restored (a restore of a restored instance
    # goes where that one went); actions come in time order, so its source is known.
    az = {spec.name: spec.az for spec in scenario.deployment.instances}
    found = []
    for action in sorted(scenario.actions, key=lambda a: a.at_s):
        if action.kind == "restore-to-point-in-time" and action.target is not None:
            name = action.new_instance or f"{action.target}-restored"
            az[name] = az[action.target]
            found.append((name, az[name]))
    return found


def volume_lane(scenario: Scenario) -> list[InstanceInfo]:
    """Aurora's cluster volume, as a lane of its own (rdssim.model.deployments.aurora)."""
    if scenario.deployment.type != "aurora":
        return []
    azs = volume_azs(scenario) or []
    return [InstanceInfo(VOLUME_LANE, f"6 copies: {', '.join(azs)}", None, None)]


def large_txn_meta(scenario: Scenario) -> dict[str, Scalar]:
    """What rdssim.replica_metrics needs of the large transactions (rdssim.txn_spread): their
    share, and per replica the block one of them causes and its apply rate."""
    large = scenario.workload.large_txns
    if large is None:
        return {}
    out: dict[str, Scalar] = {"large_txn_share": large.share}
    apply = {r.name: r.apply_writes_per_s for r in scenario.deployment.replicas}
    for name, block in blocks_for(scenario).items():
        out[f"large_txn_block_s:{name}"] = block
        out[f"apply_writes_per_s:{name}"] = apply[name]
    return out


def max_connections(scenario: Scenario) -> int:
    """The parameter group's value, or the engine's formula on the instance class."""
    deployment = scenario.deployment
    if deployment.max_connections is not None:
        return deployment.max_connections
    return default_max_connections(scenario.engine, deployment.instance_class)


def _follow_class(ctx: SimContext, table: ConnectionTable, proxy: Proxy | None, limit: int) -> None:
    """The new class's max_connections, in the table, RDS Proxy's pool bounds and the
    summary's meta."""
    table.set_max(limit)
    if proxy is not None:
        proxy.resize()
        ctx.topology_changed()  # the pool reshapes to its new bounds
    ctx.record.meta["max_connections"] = limit


def build_clients(
    ctx: SimContext,
    endpoint: Endpoint,
    instances: list[Instance],
    controller: Deployment,
) -> tuple[list[Cohort], Proxy | None]:
    """RDS Proxy if enabled, and the client groups' cohorts (through it if so), started."""
    scenario = ctx.scenario
    if not (scenario.clients or scenario.proxy.enabled):
        return [], None
    by_name = {i.name: i for i in instances}
    table = ConnectionTable(ctx, list(by_name), max_connections(scenario))
    proxy = None
    if scenario.proxy.enabled:
        # An RDS Proxy endpoint: <proxy>.proxy-<id>.<region>.rds.amazonaws.com
        name = endpoint.name.replace(".", "-proxy.proxy-", 1)
        # A restored DB instance joins the proxy's target group only when re-registered.
        targets = {n: i for n, i in by_name.items() if i.op_state != ABSENT}
        proxy = Proxy(ctx, scenario.proxy, name, targets, table)
    if scenario.deployment.max_connections is None:  # the engine's formula follows the class
        controller.class_listeners.append(
            lambda new_class: _follow_class(
                ctx, table, proxy, default_max_connections(scenario.engine, new_class)
            )
        )
    cohorts: list[Cohort] = []
    for spec in scenario.clients:
        for index in range(spec.cohort_count):
            cohort: Cohort
            if proxy is not None:
                cohort = ProxiedCohort(ctx, spec, index, proxy)
            else:
                cohort = DirectCohort(ctx, spec, index, endpoint, by_name, table)
            ctx.env.process(cohort.run())
            cohorts.append(cohort)
    return cohorts, proxy


@dataclass(frozen=True)
class Layout:
    """What the Record of every run of a scenario starts with, and the instances a restore
    creates: the same for every seed, so worked out once per scenario (:func:`layout_of`)."""

    meta: dict[str, Scalar]
    """The Record's meta, but for the seed (the Record copies it)."""
    instances: list[InstanceInfo]
    restored: list[tuple[str, str]]


_layouts: dict[int, tuple[Scenario, Layout]] = {}
"""Recent scenarios' layouts by id (the scenario is kept, so its id stays its own)."""


def layout_of(scenario: Scenario) -> Layout:
    """The scenario's :class:`Layout`, remembered (a Scenario is frozen)."""
    found = _layouts.get(id(scenario))
    if found is None or found[0] is not scenario:
        if len(_layouts) >= 64:
            _layouts.clear()
        found = (scenario, _layout(scenario))
        _layouts[id(scenario)] = found
    return found[1]


def _layout(scenario: Scenario) -> Layout:
    specs = scenario.deployment.instances
    restored = restored_instances(scenario)
    return Layout(
        meta={
            "scenario": scenario.name,
            "variant": scenario.variant,
            "seed": None,
            "duration_s": scenario.duration_s,
            "deployment": scenario.deployment.type,
            "sla_percent": sla_percent_for(
                scenario.deployment.type, len({s.az for s in specs}) >= 2
            ),
            "engine": scenario.engine,
            "bytes_per_txn": scenario.workload.bytes_per_txn,
            "dns_cache": scenario.probe.dns_cache,
            "engine_version": scenario.version,
            "replication": scenario.deployment.replication,
            "read_after_write_s": scenario.reads.read_after_write_s if scenario.reads else None,
            "max_connections": (
                max_connections(scenario) if scenario.clients or scenario.proxy.enabled else None
            ),
            "proxy": scenario.proxy.enabled,
            "client_groups": ",".join(c.name for c in scenario.clients),
            **large_txn_meta(scenario),
        },
        instances=[
            InstanceInfo(
                s.name,
                s.az,
                # A DB cluster's members are measured like replicas (lag, reads): each
                # may be a reader at some point (0 lag while it is the writer).
                "primary" if scenario.deployment.type in CLUSTER_TYPES else None,
                scenario.region_of(s.az),
            )
            for s in specs
        ]
        + [InstanceInfo(n, az, None, scenario.region_of(az)) for n, az in restored]
        + volume_lane(scenario)
        + [
            InstanceInfo(r.name, r.az, r.source, scenario.region_of(r.az))
            for r in scenario.deployment.replicas
        ],
        restored=restored,
    )


@contextmanager
def _collector_spares_what_exists() -> Iterator[None]:
    """While a run goes on, Python's cyclic garbage collector leaves alone what existed
    before it (the model built, every module imported): its full passes scanned all of it,
    a quarter of a thousand cohorts' run. Garbage made meanwhile is collected as ever; what
    was frozen is put back in the oldest generation after. Not where someone else froze
    objects (a pre-forking server does) or turned the collector off: theirs to manage."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build(scenario: Scenario, seed: int) -> Simulation:
    """Wire the model of ``scenario`` for ``seed`` (nothing runs yet)."""
    env = simpy.Environment()
    specs = scenario.deployment.instances
    layout = layout_of(scenario)
    restored = layout.restored
    record = Record(meta={**layout.meta, "seed": seed}, instances=layout.instances)
    ctx = SimContext(env=env, scenario=scenario, streams=Streams(seed), record=record)
    network = Network()
    instances = [Instance(ctx, network, s.name, s.az, s.role) for s in specs]
    for name, az in restored:  # created by their action; nothing is recorded until then
        instances.append(Instance(ctx, network, name, az, "none"))
        instances[-1].op_state = ABSENT
    log = WriteLog(ctx, scenario.workload, instances)
    primary = next(i for i in instances if i.role == "primary")
    endpoint = Endpoint(ctx, endpoint_name(scenario), primary.name, scenario.timings.dns_ttl_s)
    controller = controller_for(ctx, instances, network, endpoint, log, scenario)
    # The listeners look at every instance: told once, after all of them are recorded.
    if any([inst.record_shown() for inst in instances]):
        ctx.topology_changed()
    replicas = ReplicaSet(ctx, network, log, controller, scenario)
    reads = None
    if scenario.reads:
        readers = [s.name for s in specs] if scenario.deployment.type in CLUSTER_TYPES else []
        members = controller.reader_endpoint if isinstance(controller, ReaderDeployment) else None
        reads = ReadRouter(ctx, scenario.reads, replicas, members, readers)
    env.process(log.run_phases())
    env.process(controller.monitor())
    injector = FaultInjector(ctx, [*instances, *replicas.hosts], network, controller)
    for index, fault in enumerate(scenario.faults):
        env.process(injector.run(index, fault))
    drawn = random_failures.draw(scenario, ctx.streams)
    for index, (source, fault) in enumerate(drawn.faults, start=len(scenario.faults)):
        env.process(injector.run(index, fault, source))
    cohorts, proxy = build_clients(ctx, endpoint, instances, controller)
    probe = None
    if scenario.probe.enabled:
        probe = ProbeClient(ctx, scenario.probe, endpoint, instances, proxy)
        env.process(probe.run())
    actions = ActionRunner(ctx, controller, replicas, scenario.deployment.type == "single-az")
    actions.clients = [*cohorts, *([probe] if probe else [])]
    actions.proxy = proxy
    # Endpoints that name one instance and never move: a restored DB instance's, and on a
    # DB cluster or EC2 each host's own (a Multi-AZ DB instance's hosts share one).
    own = [n for n, _ in restored]
    if scenario.deployment.type not in ("single-az", "multi-az-instance"):
        own += [s.name for s in specs]
    suffix = ".db.internal" if scenario.deployment.type == "self-managed-ec2" else None
    actions.new_endpoints = {
        name: Endpoint(
            ctx,
            f"{name}{suffix}" if suffix else instance_endpoint_name(name),
            name,
            scenario.timings.dns_ttl_s,
            announce=False,
        )
        for name in own
    }
    for index, action in enumerate(scenario.actions):
        env.process(actions.run(index, action))
    for index, (source, action) in enumerate(drawn.actions, start=len(scenario.actions)):
        env.process(actions.run(index, action, source))
    return Simulation(
        ctx, instances, log, controller, endpoint, replicas, reads, cohorts, probe, actions
    )


def run(scenario: Scenario, seed: int | None = None) -> Record:
    """Build and run one variant; ``seed`` defaults to the scenario's own."""
    return build(scenario, scenario.seed if seed is None else seed).run()
