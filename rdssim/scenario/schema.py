"""Typed, frozen description of a scenario (pydantic models; unknown keys are errors).

YAML keys are human ("interval: 1s"); Python attributes carry their unit ("interval_s").
Every timing default names its source in docs/calibration.md; ``# assumption`` marks the
ones AWS does not publish.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

from rdssim.distributions import Distribution, LogNormal, Uniform, parse_distribution
from rdssim.durations import parse_duration_s
from rdssim.engines import DEFAULT_VERSIONS

DurationS = Annotated[float, BeforeValidator(parse_duration_s)]
Dist = Annotated[Distribution, PlainValidator(parse_distribution)]
# A version is a string ("15.4"); YAML reads 15.4 or 12 as a number, so take those too.
EngineVersion = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) and v is not True else v),
    Field(pattern=r"^\d+(\.\d+)*$"),
]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]

ROLE_SELECTORS = ("primary", "standby")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class InstanceSpec(_Model):
    """One DB host of the deployment."""

    name: Name
    az: str = Field(min_length=1)
    role: Literal["primary", "standby"]


class LinkSpec(_Model):
    """A replication link; unset values come from the placement (docs/calibration.md)."""

    # At most a minute: a replica keeps 10 minutes of its applied history for its own
    # replicas to read through their link delay (rdssim.model.replica.HISTORY_S).
    latency_s: DurationS | None = Field(default=None, alias="latency", le=60.0)
    bandwidth_mib_per_s: float | None = Field(default=None, gt=0)


class ReplicaSpec(_Model):
    """A read replica: asynchronous, fed over a link, applying at its own capacity."""

    name: Name
    az: str = Field(min_length=1)
    source: str = "primary"
    """``primary`` (the DB instance, whichever host is its writer) or another replica."""
    apply_writes_per_s: float = Field(default=5000.0, gt=0)  # assumption: same instance class
    link: LinkSpec = Field(default_factory=LinkSpec)


class DeploymentSpec(_Model):
    """What is deployed: the type, its instances and its read replicas."""

    type: Literal["single-az", "multi-az-instance"]
    instances: list[InstanceSpec] = Field(min_length=1)
    replicas: list[ReplicaSpec] = Field(default_factory=list)
    replication: Literal["rds-managed", "self-managed"] = "rds-managed"
    """self-managed: engine-native replication set up by hand (e.g. on EC2) with no
    orchestrator: replicas never re-point themselves after a failover."""


class WorkloadPhase(_Model):
    """From ``start_s`` on, the application offers ``writes_per_s`` transactions per second."""

    start_s: DurationS = Field(alias="start")
    writes_per_s: float = Field(ge=0)


class WorkloadSpec(_Model):
    """The write load, as a rate in phases (a fluid, not individual transactions)."""

    phases: list[WorkloadPhase] = Field(
        default_factory=lambda: [WorkloadPhase.model_validate({"start": 0, "writes_per_s": 0})],
        min_length=1,
    )
    bytes_per_txn: int = Field(default=4096, gt=0)  # assumption: log bytes per transaction
    txn_duration_s: DurationS = Field(default=0.02, alias="txn_duration")  # assumption


class ProbeSpec(_Model):
    """The 1-second "connect and insert" loop people use to time real failovers."""

    enabled: bool = True
    interval_s: DurationS = Field(default=1.0, alias="interval", gt=0)
    connect_timeout_s: DurationS = Field(default=5.0, alias="connect_timeout", gt=0)
    read_timeout_s: DurationS = Field(default=10.0, alias="read_timeout", gt=0)
    write_latency_s: DurationS = Field(default=0.005, alias="write_latency")
    dns_cache: Literal["ttl", "fixed", "forever"] = "ttl"
    dns_cache_s: DurationS = Field(default=30.0, alias="dns_cache_for")  # JDK default


class ReadSpec(_Model):
    """A read workload on the replicas, directly or through a reader endpoint."""

    reads_per_s: float = Field(gt=0)
    target: str = "reader-endpoint"
    """``reader-endpoint`` (spread over the replicas that answer) or one replica's name."""
    read_your_writes: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of reads that read back the same client's write to the primary."""
    read_after_write_s: DurationS = Field(default=0.05, alias="read_after_write")  # assumption


class ActionSpec(_Model):
    """An operator or API call at ``at_s``."""

    at_s: DurationS = Field(alias="at")
    kind: Literal["promote-replica", "repoint-replica", "create-replica", "reboot-with-failover"]
    target: str | None = None
    source: str | None = None
    """For repoint-replica: the new source, ``primary`` or a replica."""


class FaultSpec(_Model):
    """A fault (or API action) injected at ``at_s``; some last ``duration_s``."""

    at_s: DurationS = Field(alias="at")
    kind: Literal[
        "host-crash", "storage-failure", "network-loss", "az-outage", "reboot-with-failover"
    ]
    target: str | None = None
    az: str | None = None
    duration_s: DurationS | None = Field(default=None, alias="duration")


class TimingsSpec(_Model):
    """Calibrated timing defaults (sources: docs/calibration.md)."""

    health_check_interval_s: DurationS = Field(default=10.0, alias="health_check_interval", gt=0)
    health_check_timeout_s: DurationS = Field(default=5.0, alias="health_check_timeout")
    unhealthy_checks: int = Field(default=2, ge=1)
    failover_initiation: Dist = LogNormal(8.0, 0.5)
    standby_activation: Dist = LogNormal(28.0, 0.3)
    redo_mib_per_s: float = Field(default=20.0, gt=0)
    checkpoint_interval_s: DurationS = Field(default=300.0, alias="checkpoint_interval", gt=0)
    dns_propagation: Dist = Uniform(3.0, 15.0)
    dns_ttl_s: DurationS = Field(default=5.0, alias="dns_ttl")
    standby_rebuild: Dist = LogNormal(600.0, 0.4)
    host_replacement: Dist = LogNormal(480.0, 0.4)
    reboot: Dist = LogNormal(60.0, 0.3)
    failover_cooldown_s: DurationS = Field(default=300.0, alias="failover_cooldown")
    log_upload_interval_s: DurationS = Field(default=300.0, alias="log_upload_interval", gt=0)
    pitr_restore: Dist = LogNormal(3600.0, 0.5)
    # Read replicas (docs/calibration.md, "Read replicas").
    replica_reconnect: Dist = Uniform(0.0, 60.0)
    replica_resync: Dist = Uniform(0.0, 5.0)
    replica_restart: Dist = LogNormal(60.0, 0.3)
    replica_repoint: Dist = Uniform(2.0, 10.0)
    replica_promotion: Dist = LogNormal(180.0, 0.4)
    replica_create: Dist = LogNormal(900.0, 0.4)
    snapshot_io_suspension: Dist = LogNormal(60.0, 0.2)


class Scenario(_Model):
    """One fully resolved scenario (a variant already merged into its base)."""

    name: str = Field(min_length=1)
    description: str = ""
    variant: str = "base"
    engine: Literal["mysql", "mariadb", "postgres", "oracle", "sqlserver"] = "mysql"
    engine_version: EngineVersion | None = None
    duration_s: DurationS = Field(alias="duration", gt=0)
    seed: int = Field(default=0, ge=0)
    deployment: DeploymentSpec
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    probe: ProbeSpec = Field(default_factory=ProbeSpec)
    reads: ReadSpec | None = None
    faults: list[FaultSpec] = Field(default_factory=list)
    actions: list[ActionSpec] = Field(default_factory=list)
    timings: TimingsSpec = Field(default_factory=TimingsSpec)

    @property
    def version(self) -> str:
        """The engine version, or the default one (rdssim.engines.DEFAULT_VERSIONS)."""
        return self.engine_version or DEFAULT_VERSIONS[self.engine]

    def instance(self, name: str) -> InstanceSpec:
        for spec in self.deployment.instances:
            if spec.name == name:
                return spec
        raise KeyError(name)
