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
# A timeout that may be switched off: ``none`` (or YAML null) means the driver never gives up.
OptionalDurationS = Annotated[
    float | None,
    BeforeValidator(lambda v: None if v is None or v == "none" else parse_duration_s(v)),
]
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
    instance_class: str = "db.r6g.large"
    """Sets ``max_connections`` through the engine's default formula (rdssim.connections)."""
    max_connections: int | None = Field(default=None, ge=1)
    """An explicit parameter-group value; overrides the formula."""


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


class PoolSpec(_Model):
    """An application instance's connection pool (HikariCP-style names and defaults)."""

    size: int = Field(default=10, ge=1)  # HikariCP maximumPoolSize
    min_idle: int | None = Field(default=None, ge=0)
    """Connections kept when idle; unset keeps ``size`` (HikariCP: minimumIdle = size)."""
    max_lifetime_s: DurationS = Field(default=1800.0, alias="max_lifetime", gt=0)  # HikariCP
    idle_timeout_s: DurationS = Field(default=600.0, alias="idle_timeout", gt=0)  # HikariCP
    validate_on_borrow: bool = False
    """Test a connection before lending it (what bounds the wait on a dead connection)."""
    validation_timeout_s: DurationS = Field(default=5.0, alias="validation_timeout", gt=0)
    connection_timeout_s: DurationS = Field(default=30.0, alias="connection_timeout", gt=0)
    """How long a request waits for a free pooled connection (HikariCP connectionTimeout)."""


class RetrySpec(_Model):
    """Exponential backoff with full jitter between connection attempts."""

    base_s: DurationS = Field(default=0.1, alias="base", gt=0)  # assumption
    multiplier: float = Field(default=2.0, ge=1.0)
    cap_s: DurationS = Field(default=5.0, alias="cap", gt=0)  # assumption


class ConnectCostSpec(_Model):
    """What opening one connection costs the client (docs/calibration.md, "Clients")."""

    tcp_handshake_s: DurationS = Field(default=0.001, alias="tcp_handshake")  # assumption
    tls_handshake_s: DurationS = Field(default=0.005, alias="tls_handshake")  # assumption
    authentication_s: DurationS = Field(default=0.005, alias="authentication")  # assumption
    session_setup_s: DurationS = Field(default=0.002, alias="session_setup")  # assumption


class ClientSpec(_Model):
    """A client population: identical application instances, simulated as rates."""

    name: Name
    kind: Literal["pool", "per-request"] = "pool"
    """``pool``: long-lived pooled connections; ``per-request``: a short-lived client (a
    serverless function) opening a connection for every request."""
    instances: int = Field(ge=1)
    """Application instances (``pool``) or concurrent functions (``per-request``)."""
    requests_per_s: float = Field(gt=0)
    """Requests per second from each instance."""
    writes_share: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of requests that write; all go to the writer (the proxy's default endpoint)."""
    txn_duration_s: DurationS = Field(default=0.02, alias="txn_duration", gt=0)  # assumption
    """How long a request's transaction holds a DB connection (what a proxy multiplexes)."""
    session_s: DurationS | None = Field(default=None, alias="session", gt=0)
    """``per-request``: how long a function keeps its connection for one request (its whole
    invocation); default: the transaction."""
    start_s: DurationS = Field(default=0.0, alias="start", ge=0)
    pool: PoolSpec = Field(default_factory=PoolSpec)
    connect_timeout_s: OptionalDurationS = Field(default=10.0, alias="connect_timeout", gt=0)
    """PgJDBC's default; ``none`` waits for the OS to give up on SYNs (~127 s on Linux)."""
    read_timeout_s: OptionalDurationS = Field(default=None, alias="read_timeout", gt=0)
    """Driver default: none (the hang: TCP gives up after ~15 minutes of retransmissions)."""
    dns_cache: Literal["ttl", "fixed", "forever"] = "ttl"
    dns_cache_s: DurationS = Field(default=30.0, alias="dns_cache_for")  # JDK default
    retry: RetrySpec = Field(default_factory=RetrySpec)
    tls: bool = True
    connect_cost: ConnectCostSpec = Field(default_factory=ConnectCostSpec)
    pinned_share: float = Field(default=0.0, ge=0.0, le=1.0)
    """Through RDS Proxy: share of client connections whose session pins a DB connection."""
    cohorts: int | None = Field(default=None, ge=1, le=1000)
    """Independent groups the instances are simulated as (default: min(instances, 50))."""

    @property
    def cohort_count(self) -> int:
        return min(self.instances, self.cohorts or 50)

    @property
    def offered_per_s(self) -> float:
        return self.instances * self.requests_per_s

    @property
    def session_hold_s(self) -> float:
        return self.session_s if self.session_s is not None else self.txn_duration_s

    @property
    def connect_s(self) -> float:
        """Time to open one connection when the server answers at once."""
        cost = self.connect_cost
        tls = cost.tls_handshake_s if self.tls else 0.0
        return cost.tcp_handshake_s + tls + cost.authentication_s + cost.session_setup_s


class ProxySpec(_Model):
    """RDS Proxy in front of the writer (defaults: rds-facts.md, "RDS Proxy")."""

    enabled: bool = False
    max_connections_percent: int | None = Field(default=None, ge=1, le=100)
    """Unset: 100, or 10 on SQL Server (AWS defaults; AWS takes whole percents 1-100)."""
    max_idle_connections_percent: int | None = Field(default=None, ge=0, le=100)
    """Unset: half of max_connections_percent (AWS default); at most that."""
    connection_borrow_timeout_s: DurationS = Field(
        default=120.0, alias="connection_borrow_timeout", gt=0
    )
    idle_client_timeout_s: DurationS = Field(default=1800.0, alias="idle_client_timeout", gt=0)
    failover_detection: Dist = Uniform(1.0, 3.0)  # assumption: the proxy polls the writer
    latency_s: DurationS = Field(default=0.001, alias="latency")  # assumption: one extra hop

    def max_percent(self, engine: str) -> float:
        if self.max_connections_percent is not None:
            return float(self.max_connections_percent)
        return 10.0 if engine == "sqlserver" else 100.0

    def max_idle_percent(self, engine: str) -> float:
        if self.max_idle_connections_percent is not None:
            return float(self.max_idle_connections_percent)
        return self.max_percent(engine) / 2


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
    clients: list[ClientSpec] = Field(default_factory=list)
    proxy: ProxySpec = Field(default_factory=ProxySpec)
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
