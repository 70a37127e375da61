"""Typed, frozen description of a scenario (pydantic models; unknown keys are errors).

YAML keys are human ("interval: 1s"); Python attributes carry their unit ("interval_s").
Every timing default names its source in docs/calibration.md; ``# assumption`` marks the
ones AWS does not publish. Every number has a range (rdssim.scenario.fields, and the table
"Ranges" in docs/scenario-format.md); values are strict: ``true`` is not 1, "100" is not 100.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from rdssim import regions
from rdssim.distributions import Distribution, Fixed, LogNormal, Uniform
from rdssim.engines import DEFAULT_VERSIONS
from rdssim.scenario.fields import (
    DAY,
    HOUR,
    MAX_COUNT,
    MAX_HORIZON_S,
    MAX_RATE_PER_S,
    MAX_TIMING_S,
    MINUTE,
    MS,
    YEAR,
    YEAR_S,
    seconds,
    seconds_or_none,
    timing,
)

# A version is a string ("15.4"); YAML reads 15.4 or 12 as a number, so take those too.
EngineVersion = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) and v is not True else v),
    Field(pattern=r"^\d+(\.\d+)*$", max_length=20),
]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]


# An AZ of a known Region (checked with the scenario's own regions: rdssim.scenario.checks).
AzName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Share = Annotated[float, Field(ge=0.0, le=1.0)]

ROLE_SELECTORS = ("primary", "standby", "reader")
DEPLOYMENT_TYPES = (
    "single-az",
    "multi-az-instance",
    "multi-az-cluster",
    "aurora",
    "self-managed-ec2",
)
"""Every deployment type, in the order tables show them (cheapest first)."""
MAX_INSTANCES = 40
"""Hosts and replicas of one scenario: RDS's default quota of DB instances per Region
(RDS User Guide, CHAP_Limits, "DB instances: 40")."""
MAX_ITEMS = 10_000
"""Workload phases, faults or actions in one scenario."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=False, strict=True, allow_inf_nan=False
    )


class LinkSpec(_Model):
    """A replication link; unset values come from the placement (docs/calibration.md)."""

    # At most a minute: a replica keeps 10 minutes of its applied history for its own
    # replicas to read through their link delay (rdssim.model.replica.HISTORY_S).
    latency_s: Annotated[float, seconds(MINUTE)] | None = Field(default=None, alias="latency")
    bandwidth_mib_per_s: Annotated[float, Field(ge=0.01, le=100_000.0)] | None = None


class InstanceSpec(_Model):
    """One DB host of the deployment.

    Roles: ``primary`` (the writer); ``standby`` (Multi-AZ instance: synchronous, not
    readable; self-managed-ec2: a replica the HA manager may promote); ``reader`` (a
    Multi-AZ DB cluster's readable standby, an Aurora replica).
    """

    name: Name
    az: AzName
    role: Literal["primary", "standby", "reader"]
    promotion_tier: Annotated[int, Field(ge=0, le=15)] = 1
    """Aurora: failover goes to the lowest tier first (AWS default 1)."""
    instance_class: str | None = Field(default=None, max_length=40)
    """Aurora: among replicas of one tier, failover goes to the largest (default: the
    deployment's class)."""
    # assumption: a reader or a self-managed standby applies as fast as a read replica.
    apply_writes_per_s: Annotated[float, Field(ge=1.0, le=MAX_RATE_PER_S)] = 5000.0
    """A cluster reader's or a self-managed standby's apply capacity."""
    link: LinkSpec = Field(default_factory=LinkSpec)
    """The replication link from the writer (unset: from the placement)."""


class ReplicaSpec(_Model):
    """A read replica: asynchronous, fed over a link, applying at its own capacity."""

    name: Name
    az: AzName
    source: str = Field(default="primary", max_length=63)
    """``primary`` (the DB instance, whichever host is its writer) or another replica."""
    # assumption: same class
    apply_writes_per_s: Annotated[float, Field(ge=1.0, le=MAX_RATE_PER_S)] = 5000.0
    link: LinkSpec = Field(default_factory=LinkSpec)


class StorageSpec(_Model):
    """The DB instance's volume: its type and size set how fast crash recovery goes
    (rdssim.storage), its data how long rebuilding a standby or restoring takes."""

    type: Literal["gp2", "gp3", "io1", "io2"] = "gp3"
    # RDS allocates 20 GiB to 64 TiB; assumption: 100 GiB, half of it data.
    allocated_gib: Annotated[float, Field(ge=20.0, le=65_536.0)] = 100.0
    data_gib: Annotated[float, Field(ge=0.0, le=65_536.0)] | None = None
    """The database's size (default: half of ``allocated_gib``, an assumption)."""
    iops: Annotated[float, Field(ge=100.0, le=256_000.0)] | None = None
    """Provisioned IOPS: required for io1 and io2; above the baseline for gp3."""
    throughput_mib_per_s: Annotated[float, Field(ge=1.0, le=4_000.0)] | None = None

    @property
    def data_size_gib(self) -> float:
        return self.allocated_gib / 2 if self.data_gib is None else self.data_gib


class ParametersSpec(_Model):
    """The parameter group's checkpoint settings (unset: the engine's RDS defaults,
    rdssim.engines.recovery_rules)."""

    checkpoint_timeout_s: Annotated[float, seconds(DAY, 1.0)] | None = Field(
        default=None, alias="checkpoint_timeout"
    )
    """PostgreSQL checkpoint_timeout, or the most time between checkpoints."""
    redo_capacity_mib: Annotated[float, Field(ge=1.0, le=1_048_576.0)] | None = None
    """PostgreSQL max_wal_size, InnoDB innodb_redo_log_capacity: the most log between two
    checkpoints."""


class HASpec(_Model):
    """Self-managed HA on EC2: replication as configured, and who fails over (Patroni's
    names and defaults for the HA manager; docs/calibration.md, "Self-managed")."""

    manager: Literal["manual", "patroni"] = "manual"
    """``manual``: a person is paged and promotes; ``patroni``: an HA manager with a
    leader lease in a consensus store."""
    replication: Literal["async", "semi-sync"] = "async"
    fencing: bool = True
    """Whether an old primary that lost the leader lease stops taking writes (Patroni
    demotes itself; a watchdog reboots it). False: a partitioned old primary keeps
    accepting the writes that reach it (two writers)."""
    endpoint: Literal["dns", "none"] = "dns"
    """How the manager moves the application: a DNS name it updates, or nothing (the
    application is reconfigured by hand)."""
    ttl_s: Annotated[float, seconds(HOUR, 1.0)] = Field(default=30.0, alias="ttl")
    loop_wait_s: Annotated[float, seconds(HOUR, 0.1)] = Field(default=10.0, alias="loop_wait")
    retry_timeout_s: Annotated[float, seconds(HOUR, 0.1)] = Field(
        default=10.0, alias="retry_timeout"
    )
    maximum_lag_on_failover_bytes: Annotated[int, Field(ge=0, le=2**50)] = Field(
        default=1_048_576, alias="maximum_lag_on_failover"
    )
    """Patroni: a replica further behind than this (bytes) is not promoted."""


class DeploymentSpec(_Model):
    """What is deployed: the type, its instances and its read replicas."""

    type: Literal[
        "single-az", "multi-az-instance", "multi-az-cluster", "aurora", "self-managed-ec2"
    ]
    instances: list[InstanceSpec] = Field(min_length=1, max_length=MAX_INSTANCES)
    replicas: list[ReplicaSpec] = Field(default_factory=list, max_length=MAX_INSTANCES)
    replication: Literal["rds-managed", "self-managed"] = "rds-managed"
    """self-managed: engine-native replication set up by hand (e.g. on EC2) with no
    orchestrator: replicas never re-point themselves after a failover."""
    instance_class: str = Field(default="db.r6g.large", max_length=40)
    """Sets ``max_connections`` through the engine's default formula (rdssim.connections)."""
    max_connections: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """An explicit parameter-group value; overrides the formula."""
    storage: StorageSpec = Field(default_factory=StorageSpec)
    parameters: ParametersSpec = Field(default_factory=ParametersSpec)
    ha: HASpec = Field(default_factory=HASpec)
    """self-managed-ec2: replication between the hosts and who fails over."""
    volume_azs: list[AzName] | None = Field(default=None, min_length=3, max_length=3)
    """Aurora: the three AZs of the cluster volume (unset: the instances' AZs, then the
    Region's next ones)."""


class WorkloadPhase(_Model):
    """From ``start_s`` on, the application offers ``writes_per_s`` transactions per second."""

    start_s: Annotated[float, seconds(MAX_HORIZON_S)] = Field(alias="start")
    writes_per_s: Annotated[float, Field(ge=0.0, le=MAX_RATE_PER_S)]


class LargeTxnSpec(_Model):
    """A share of the writes that are large, long transactions (a bulk load, a batch job):
    on engines whose log reaches replicas at commit they hold the replicas' apply back
    (rdssim.txn_spread), so replica lag has a spread instead of one value."""

    share: Annotated[float, Field(gt=0.0, le=0.5)]
    """Of ``writes_per_s``, the share that are large."""
    bytes_per_txn: Annotated[int, Field(ge=1, le=2**30)]
    """Log bytes of one large transaction (at most MySQL's max_allowed_packet, 1 GiB)."""
    txn_duration_s: Annotated[float, seconds(DAY)] = Field(default=0.0, alias="txn_duration")
    """How long one ran on the primary: replaying it takes at least as long."""


class WorkloadSpec(_Model):
    """The write load, as a rate in phases (a fluid, not individual transactions)."""

    phases: list[WorkloadPhase] = Field(
        default_factory=lambda: [WorkloadPhase.model_validate({"start": 0, "writes_per_s": 0})],
        min_length=1,
        max_length=MAX_ITEMS,
    )
    # assumption: log bytes per transaction; at most MySQL's max_allowed_packet (1 GiB).
    bytes_per_txn: Annotated[int, Field(ge=1, le=2**30)] = 4096
    # assumption
    txn_duration_s: Annotated[float, seconds(DAY)] = Field(default=0.02, alias="txn_duration")
    large_txns: LargeTxnSpec | None = None


class ProbeSpec(_Model):
    """The 1-second "connect and insert" loop people use to time real failovers."""

    enabled: bool = True
    interval_s: Annotated[float, seconds(DAY, MS)] = Field(default=1.0, alias="interval")
    connect_timeout_s: Annotated[float, seconds(HOUR, MS)] = Field(
        default=5.0, alias="connect_timeout"
    )
    read_timeout_s: Annotated[float, seconds(DAY, MS)] = Field(default=10.0, alias="read_timeout")
    write_latency_s: Annotated[float, seconds(MINUTE)] = Field(default=0.005, alias="write_latency")
    dns_cache: Literal["ttl", "fixed", "forever"] = "ttl"
    # JDK default
    dns_cache_s: Annotated[float, seconds(DAY)] = Field(default=30.0, alias="dns_cache_for")


class PoolSpec(_Model):
    """An application instance's connection pool (HikariCP-style names and defaults)."""

    size: Annotated[int, Field(ge=1, le=10_000)] = 10  # HikariCP maximumPoolSize
    min_idle: Annotated[int, Field(ge=0, le=10_000)] | None = None
    """Connections kept when idle; unset keeps ``size`` (HikariCP: minimumIdle = size)."""
    # HikariCP's defaults, and its minimums (maxLifetime 30 s, idleTimeout 10 s,
    # connectionTimeout and validationTimeout 250 ms: HikariConfig refuses less).
    max_lifetime_s: Annotated[float, seconds(MAX_TIMING_S, 30.0)] = Field(
        default=1800.0, alias="max_lifetime"
    )
    idle_timeout_s: Annotated[float, seconds(DAY, 10.0)] = Field(
        default=600.0, alias="idle_timeout"
    )
    validate_on_borrow: bool = False
    """Test a connection before lending it (what bounds the wait on a dead connection)."""
    validation_timeout_s: Annotated[float, seconds(HOUR, 0.25)] = Field(
        default=5.0, alias="validation_timeout"
    )
    connection_timeout_s: Annotated[float, seconds(DAY, 0.25)] = Field(
        default=30.0, alias="connection_timeout"
    )
    """How long a request waits for a free pooled connection (HikariCP connectionTimeout)."""


class RetrySpec(_Model):
    """Exponential backoff with full jitter between connection attempts."""

    base_s: Annotated[float, seconds(HOUR, MS)] = Field(default=0.1, alias="base")  # assumption
    multiplier: Annotated[float, Field(ge=1.0, le=10.0)] = 2.0
    cap_s: Annotated[float, seconds(HOUR, MS)] = Field(default=5.0, alias="cap")  # assumption


class ConnectCostSpec(_Model):
    """What opening one connection costs the client (docs/calibration.md, "Clients")."""

    # assumption
    tcp_handshake_s: Annotated[float, seconds(MINUTE)] = Field(default=0.001, alias="tcp_handshake")
    # assumption
    tls_handshake_s: Annotated[float, seconds(MINUTE)] = Field(default=0.005, alias="tls_handshake")
    # assumption
    authentication_s: Annotated[float, seconds(MINUTE)] = Field(
        default=0.005, alias="authentication"
    )
    # assumption
    session_setup_s: Annotated[float, seconds(MINUTE)] = Field(default=0.002, alias="session_setup")


class ClientSpec(_Model):
    """A client population: identical application instances, simulated as rates."""

    name: Name
    kind: Literal["pool", "per-request"] = "pool"
    """``pool``: long-lived pooled connections; ``per-request``: a short-lived client (a
    serverless function) opening a connection for every request."""
    instances: Annotated[int, Field(ge=1, le=MAX_COUNT)]
    """Application instances (``pool``) or concurrent functions (``per-request``)."""
    requests_per_s: Annotated[float, Field(gt=0.0, le=MAX_RATE_PER_S)]
    """Requests per second from each instance."""
    writes_share: Share = 1.0
    """Share of requests that write; all go to the writer (the proxy's default endpoint)."""
    # assumption
    txn_duration_s: Annotated[float, seconds(DAY, above=True)] = Field(
        default=0.02, alias="txn_duration"
    )
    """How long a request's transaction holds a DB connection (what a proxy multiplexes)."""
    session_s: Annotated[float, seconds(DAY, above=True)] | None = Field(
        default=None, alias="session"
    )
    """``per-request``: how long a function keeps its connection for one request (its whole
    invocation); default: the transaction."""
    start_s: Annotated[float, seconds(MAX_HORIZON_S)] = Field(default=0.0, alias="start")
    pool: PoolSpec = Field(default_factory=PoolSpec)
    connect_timeout_s: Annotated[float | None, seconds_or_none(HOUR, MS)] = Field(
        default=10.0, alias="connect_timeout"
    )
    """PgJDBC's default; ``none`` waits for the OS to give up on SYNs (~127 s on Linux)."""
    read_timeout_s: Annotated[float | None, seconds_or_none(DAY, MS)] = Field(
        default=None, alias="read_timeout"
    )
    """Driver default: none (the hang: TCP gives up after ~15 minutes of retransmissions)."""
    dns_cache: Literal["ttl", "fixed", "forever"] = "ttl"
    # JDK default
    dns_cache_s: Annotated[float, seconds(DAY)] = Field(default=30.0, alias="dns_cache_for")
    retry: RetrySpec = Field(default_factory=RetrySpec)
    tls: bool = True
    connect_cost: ConnectCostSpec = Field(default_factory=ConnectCostSpec)
    pinned_share: Share = 0.0
    """Through RDS Proxy: share of client connections whose session pins a DB connection."""
    cohorts: Annotated[int, Field(ge=1, le=1000)] | None = None
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
    max_connections_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    """Unset: 100, or 10 on SQL Server (AWS defaults; AWS takes whole percents 1-100)."""
    max_idle_connections_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    """Unset: half of max_connections_percent (AWS default); at most that."""
    # AWS takes ConnectionBorrowTimeout of 1 to 3,600 s and IdleClientTimeout of 1 s to 8 h
    # (CreateDBProxy, ConnectionPoolConfiguration; DBProxy.IdleClientTimeout).
    connection_borrow_timeout_s: Annotated[float, seconds(HOUR, 1.0)] = Field(
        default=120.0, alias="connection_borrow_timeout"
    )
    idle_client_timeout_s: Annotated[float, seconds(8 * HOUR, 1.0)] = Field(
        default=1800.0, alias="idle_client_timeout"
    )
    # assumption: polls the writer
    failover_detection: Annotated[Distribution, timing(HOUR)] = Uniform(1.0, 3.0)
    # assumption: one hop
    latency_s: Annotated[float, seconds(10.0)] = Field(default=0.001, alias="latency")

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

    reads_per_s: Annotated[float, Field(gt=0.0, le=100 * MAX_RATE_PER_S)]
    target: str = Field(default="reader-endpoint", max_length=63)
    """``reader-endpoint`` (spread over the replicas that answer) or one replica's name."""
    read_your_writes: Share = 0.0
    """Share of reads that read back the same client's write to the primary."""
    # assumption
    read_after_write_s: Annotated[float, seconds(HOUR)] = Field(
        default=0.05, alias="read_after_write"
    )


class ActionSpec(_Model):
    """An operator or API call at ``at_s``."""

    at_s: Annotated[float, seconds(MAX_HORIZON_S)] = Field(alias="at")
    kind: Literal[
        "promote-replica",
        "repoint-replica",
        "create-replica",
        "reboot-with-failover",
        "apply-os-patch",
        "modify-instance-class",
        "restore-to-point-in-time",
        "repoint-clients",
        "increase-storage",
    ]
    target: str | None = Field(default=None, max_length=63)
    source: str | None = Field(default=None, max_length=63)
    """For repoint-replica: the new source, ``primary`` or a replica; for repoint-clients:
    the DB instance whose endpoint the clients are given."""
    instance_class: str | None = Field(default=None, max_length=40)
    """For modify-instance-class: the new class."""
    new_instance: Name | None = None
    """For restore-to-point-in-time: the new DB instance's name (default: TARGET-restored)."""


class FaultSpec(_Model):
    """A fault (or API action) injected at ``at_s``; some last ``duration_s``."""

    at_s: Annotated[float, seconds(MAX_HORIZON_S)] = Field(alias="at")
    kind: Literal[
        "host-crash",
        "storage-failure",
        "network-loss",
        "az-outage",
        "reboot-with-failover",
        "engine-crash",
        "unresponsive",
        "storage-full",
        "partition",
        "volume-copy-loss",
    ]
    target: str | None = Field(default=None, max_length=63)
    az: str | None = Field(default=None, max_length=40)
    duration_s: Annotated[float, seconds(MAX_HORIZON_S, above=True)] | None = Field(
        default=None, alias="duration"
    )


Timing = Annotated[Distribution, timing()]


class TimingsSpec(_Model):
    """Calibrated timing defaults (sources: docs/calibration.md)."""

    health_check_interval_s: Annotated[float, seconds(HOUR, 0.1)] = Field(
        default=10.0, alias="health_check_interval"
    )
    health_check_timeout_s: Annotated[float, seconds(HOUR)] = Field(
        default=5.0, alias="health_check_timeout"
    )
    unhealthy_checks: Annotated[int, Field(ge=1, le=100)] = 2
    failover_initiation: Timing = LogNormal(8.0, 0.5)
    standby_activation: Timing = LogNormal(28.0, 0.3)
    dns_propagation: Timing = Uniform(3.0, 15.0)
    dns_ttl_s: Annotated[float, seconds(DAY)] = Field(default=5.0, alias="dns_ttl")
    standby_rebuild: Timing = LogNormal(300.0, 0.4)
    """The fixed part of building a new standby; its data adds standby_rebuild_per_gib."""
    standby_rebuild_s_per_gib: Annotated[float, Field(ge=0.0, le=3600.0)] = Field(
        default=6.0, alias="standby_rebuild_per_gib"
    )
    standby_sync: Timing = LogNormal(120.0, 0.5)
    """The new standby catching up (lazily loading its volume): commits are slower."""
    sync_commit_latency_s: Annotated[float, seconds(MINUTE)] = Field(
        default=0.005, alias="sync_commit_latency"
    )
    host_replacement: Timing = LogNormal(480.0, 0.4)
    reboot: Timing = LogNormal(60.0, 0.3)
    engine_restart: Timing = LogNormal(10.0, 0.5)
    """An engine that crashed on a healthy host is restarted in place (before recovery)."""
    os_patch: Timing = LogNormal(600.0, 0.3)
    """Offline OS patching of one host (the standby's, then the old primary's)."""
    class_change: Timing = LogNormal(540.0, 0.3)
    """Moving one host to a new instance class (the standby's, then the old primary's)."""
    storage_increase: Timing = LogNormal(300.0, 0.5)
    """From increase-storage to a storage-full instance open again."""
    sqlserver_promotion_event: Timing = Field(default_factory=lambda: Fixed(7.0))
    """How long after 0049 SQL Server's 0015 comes (the knowledge center's example)."""
    failover_cooldown_s: Annotated[float, seconds(DAY)] = Field(
        default=300.0, alias="failover_cooldown"
    )
    log_upload_interval_s: Annotated[float, seconds(DAY, 1.0)] = Field(
        default=300.0, alias="log_upload_interval"
    )
    pitr_restore: Timing = LogNormal(1800.0, 0.5)
    """The fixed part of a point-in-time restore; its data adds pitr_restore_per_gib."""
    pitr_restore_s_per_gib: Annotated[float, Field(ge=0.0, le=36_000.0)] = Field(
        default=36.0, alias="pitr_restore_per_gib"
    )
    # Multi-AZ DB cluster (docs/calibration.md, "Deployments"): assumptions chosen so that
    # the whole failover is "typically under 35 seconds" (RDS:multi-az-db-clusters-concepts).
    cluster_detection: Timing = Uniform(5.0, 15.0)
    """From the writer's failure to the failover's start (replaces the health-check grid)."""
    cluster_promotion: Timing = LogNormal(8.0, 0.4)
    """Promoting the chosen reader, once it has applied what it received."""
    cluster_flow_control_lag_s: Annotated[float, seconds(DAY, 1.0)] = Field(
        default=120.0, alias="cluster_flow_control_lag"
    )
    """rpl_semi_sync_master_target_apply_lag (MySQL, 120 s) and
    flow_control.target_standby_apply_lag (PostgreSQL, 2 min)."""
    # Aurora (docs/calibration.md, "Deployments"): "typically restored in less than 60
    # seconds, and often less than 30 seconds"; no replica: "typically less than 10
    # minutes" (AUR:Concepts.AuroraHighAvailability); the split into phases is an assumption.
    aurora_detection: Timing = Uniform(2.0, 8.0)
    aurora_promotion: Timing = LogNormal(6.0, 0.4)
    aurora_recreate: Timing = LogNormal(300.0, 0.4)
    """No replica: the writer re-created in its AZ on the same volume."""
    aurora_replica_lag_s: Annotated[float, seconds(MINUTE)] = Field(
        default=0.02, alias="aurora_replica_lag"
    )
    """Replica lag on an idle cluster: "usually much less than 100 milliseconds"
    (AUR:Aurora.Replication; 20 ms is an assumption)."""
    aurora_lag_s_per_kwrites: Annotated[float, seconds(MINUTE)] = Field(
        default=0.005, alias="aurora_lag_per_kwrites"
    )
    """Replica lag added per 1,000 writes/s ("grows with write load"; assumption)."""
    segment_repair: Timing = Uniform(5.0, 15.0)
    """Re-creating a lost copy of a 10 GiB segment ("about 10 seconds", AWS blog "Aurora
    under the hood: quorum sets"; the spread is an assumption)."""
    # Self-managed on EC2 (docs/calibration.md, "Self-managed"): all assumptions.
    oncall_alert: Timing = Uniform(60.0, 300.0)
    """From the failure to the page (an alarm's evaluation periods)."""
    oncall_response: Timing = LogNormal(600.0, 0.6)
    """From the page to a person diagnosing at a keyboard."""
    manual_promotion: Timing = LogNormal(120.0, 0.5)
    app_reconfigure: Timing = LogNormal(300.0, 0.6)
    """A person pointing the application at the new primary (config change, redeploy)."""
    patroni_promotion: Timing = LogNormal(1.0, 0.3)
    """pg_ctl promote on the chosen replica ("promotion ~1 s")."""
    # Read replicas (docs/calibration.md, "Read replicas").
    replica_reconnect: Timing = Uniform(0.0, 60.0)
    replica_resync: Timing = Uniform(0.0, 5.0)
    replica_restart: Timing = LogNormal(60.0, 0.3)
    replica_repoint: Timing = Uniform(2.0, 10.0)
    replica_promotion: Timing = LogNormal(180.0, 0.4)
    replica_create: Timing = LogNormal(900.0, 0.4)
    snapshot_io_suspension: Timing = LogNormal(60.0, 0.2)


MAX_FAILURES_PER_YEAR = 1000.0
"""Per instance or AZ: beyond about three a day a component is broken, not failing."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class FailureSpec(_Model):
    """A failure that strikes at random (a Poisson process per instance, copy or AZ): at
    ``per_year`` on average, or once every ``mtbf``. Defaults: docs/calibration.md,
    "Random failures" (assumptions: AWS publishes no MTBF)."""

    per_year: Annotated[float, Field(ge=0.0, le=MAX_FAILURES_PER_YEAR)] | None = None
    mtbf_s: Annotated[float, seconds(1000 * YEAR, HOUR)] | None = Field(default=None, alias="mtbf")

    def rate_per_s(self, default_per_year: float) -> float:
        """Failures per second of one component."""
        if self.mtbf_s is not None:
            return 1.0 / self.mtbf_s
        per_year = self.per_year if self.per_year is not None else default_per_year
        return per_year / YEAR_S


class LastingFailureSpec(FailureSpec):
    """A random failure that lasts ``duration`` (drawn per failure), then ends by itself."""

    duration: Timing | None = None


class MaintenanceSpec(_Model):
    """OS patches that become due at random (every ``every`` on average) and are applied
    at the next weekly maintenance window (RDS: "a weekly 30-minute window")."""

    every_s: Annotated[float, seconds(10 * YEAR, DAY)] = Field(default=90 * DAY, alias="every")
    window: str = Field(
        default="sun:05:00",
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$",
    )
    """Day and UTC time the window opens (the run starts on a Monday at 00:00 UTC)."""

    def window_offset_s(self) -> float:
        """Seconds from Monday 00:00 to the window's opening."""
        day, hours, minutes = self.window.split(":")
        return WEEKDAYS.index(day) * DAY + int(hours) * HOUR + int(minutes) * MINUTE


class FailuresSpec(_Model):
    """Failures drawn at random over the run, each kind from its own named streams (one per
    component), so variants and deployments compared on one seed meet the same failures."""

    host: FailureSpec | None = None
    """host-crash of each instance and read replica."""
    storage: FailureSpec | None = None
    """storage-failure of each instance's and replica's volume (Aurora: volume-copy-loss of
    each of the cluster volume's six copies)."""
    engine: FailureSpec | None = None
    """engine-crash of each DB instance."""
    network: LastingFailureSpec | None = None
    """network-loss of each instance and read replica, for ``duration``."""
    az: LastingFailureSpec | None = None
    """az-outage of each AZ the deployment uses, for ``duration``."""
    maintenance: MaintenanceSpec | None = None


class Scenario(_Model):
    """One fully resolved scenario (a variant already merged into its base)."""

    # The name makes the default output folder runs/NAME-seedN: a word, never a path.
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    description: str = Field(default="", max_length=2000)
    variant: str = "base"
    engine: Literal["mysql", "mariadb", "postgres", "oracle", "sqlserver"] = "mysql"
    engine_version: EngineVersion | None = None
    duration_s: Annotated[float, seconds(MAX_HORIZON_S, above=True)] = Field(alias="duration")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    deployment: DeploymentSpec
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    probe: ProbeSpec = Field(default_factory=ProbeSpec)
    reads: ReadSpec | None = None
    clients: list[ClientSpec] = Field(default_factory=list, max_length=100)
    proxy: ProxySpec = Field(default_factory=ProxySpec)
    faults: list[FaultSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    actions: list[ActionSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    failures: FailuresSpec = Field(default_factory=FailuresSpec)
    timings: TimingsSpec = Field(default_factory=TimingsSpec)
    regions: dict[
        Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")],
        Annotated[list[AzName], Field(min_length=1, max_length=26)],
    ] = Field(default_factory=dict, max_length=20)
    """Regions of the scenario's own making and their AZs (a lab's names): AZs that are not
    an AWS Region's (us-east-1a) must be declared here."""

    def region_of(self, az: str) -> str:
        """The Region of an AZ: declared in ``regions``, else read off its AWS name."""
        for region, azs in self.regions.items():
            if az in azs:
                return region
        return regions.region_of(az) or az

    @property
    def version(self) -> str:
        """The engine version, or the default one (rdssim.engines.DEFAULT_VERSIONS)."""
        return self.engine_version or DEFAULT_VERSIONS[self.engine]

    def instance(self, name: str) -> InstanceSpec:
        for spec in self.deployment.instances:
            if spec.name == name:
                return spec
        raise KeyError(name)
