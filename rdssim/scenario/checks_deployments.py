"""Cross-reference checks of the deployment types that are not a DB instance: a Multi-AZ DB
cluster, an Aurora cluster, self-managed HA on EC2 (which roles, how many, which engines)."""

from __future__ import annotations

from string import ascii_lowercase

from rdssim import regions
from rdssim.connections import CLASS_MEMORY_GIB
from rdssim.scenario.schema import Scenario
from rdssim.scenario.wording import did_you_mean

Problem = tuple[tuple[str | int, ...], str, str | None]

# Engines each type runs (RDS:multi-az-db-clusters-concepts: MySQL and PostgreSQL; Aurora:
# its MySQL- and PostgreSQL-compatible editions, written engine: mysql / postgres here).
TYPE_ENGINES = {
    "multi-az-cluster": ("mysql", "postgres"),
    "aurora": ("mysql", "postgres"),
}
# Roles each type's instances may have.
TYPE_ROLES = {
    "single-az": ("primary",),
    "multi-az-instance": ("primary", "standby"),
    "multi-az-cluster": ("primary", "reader"),
    "aurora": ("primary", "reader"),
    "self-managed-ec2": ("primary", "standby"),
}
MAX_AURORA_REPLICAS = 15  # AUR:Aurora.Replication
ENGINE_HINTS = {
    "multi-az-cluster": "Multi-AZ DB clusters run RDS for MySQL and RDS for PostgreSQL",
    "aurora": "for Aurora MySQL write engine: mysql, for Aurora PostgreSQL engine: postgres",
}
# Patroni's own bounds (Patroni, "Dynamic configuration settings"): ttl at least 20 s,
# loop_wait at least 1 s, retry_timeout at least 3 s, and loop_wait + 2 x retry_timeout
# at most ttl.
PATRONI_MIN_S = {"ttl": 20.0, "loop_wait": 1.0, "retry_timeout": 3.0}
PATRONI_KEYS = {  # field: the key a scenario writes
    "ttl_s": "ttl",
    "loop_wait_s": "loop_wait",
    "retry_timeout_s": "retry_timeout",
    "maximum_lag_on_failover_bytes": "maximum_lag_on_failover",
}


def check_deployment_type(scenario: Scenario) -> list[Problem]:
    """Roles, counts and engines of the non-instance types (and the roles of every type)."""
    deployment = scenario.deployment
    kind = deployment.type
    problems: list[Problem] = []
    allowed = TYPE_ROLES[kind]
    for i, spec in enumerate(deployment.instances):
        if spec.role not in allowed:
            problems.append(
                (
                    ("deployment", "instances", i, "role"),
                    f"{article(kind)} deployment has no {spec.role}",
                    _role_hint(kind, spec.role) or f"its roles: {', '.join(allowed)}",
                )
            )
    problems += _keys_of_other_types(scenario)
    if kind in TYPE_ENGINES and scenario.engine not in TYPE_ENGINES[kind]:
        problems.append(
            (
                ("engine",),
                f"{article(kind)} deployment runs mysql or postgres, not {scenario.engine}",
                ENGINE_HINTS[kind],
            )
        )
    problems += _check_one_region(scenario)
    problems += _check_ha(scenario)
    readers = [s for s in deployment.instances if s.role == "reader"]
    primary = next((s for s in deployment.instances if s.role == "primary"), None)
    if kind == "multi-az-cluster":
        if len(readers) != 2:
            problems.append(
                (
                    ("deployment", "instances"),
                    f"a multi-az-cluster deployment has exactly two readers, found {len(readers)}",
                    "add {name: db-2, az: <another AZ>, role: reader} and a third in a third AZ",
                )
            )
        elif primary is not None and len({primary.az, *(r.az for r in readers)}) != 3:
            problems.append(
                (
                    ("deployment", "instances"),
                    "a multi-az-cluster deployment puts its writer and two readers in three AZs",
                    None,
                )
            )
    if kind == "aurora" and len(readers) > MAX_AURORA_REPLICAS:
        problems.append(
            (
                ("deployment", "instances"),
                f"an Aurora cluster has at most {MAX_AURORA_REPLICAS} replicas, "
                f"found {len(readers)}",
                None,
            )
        )
    if kind == "aurora" and deployment.volume_azs is not None:
        azs = deployment.volume_azs
        if len(set(azs)) != 3:
            problems.append(
                (("deployment", "volume_azs"), "the cluster volume spans three different AZs", None)
            )
        for i, spec in enumerate(deployment.instances):
            if spec.az not in azs:
                problems.append(
                    (
                        ("deployment", "instances", i, "az"),
                        f"{spec.az} is not one of the cluster volume's AZs ({', '.join(azs)})",
                        None,
                    )
                )
    if kind == "aurora" and deployment.volume_azs is None and volume_azs(scenario) is None:
        problems.append(
            (
                ("deployment", "volume_azs"),
                "the cluster volume needs three AZs and the instances' Region does not name three",
                "set volume_azs: [<az>, <az>, <az>]",
            )
        )
    if kind == "self-managed-ec2" and scenario.proxy.enabled:
        problems.append(
            (
                ("proxy", "enabled"),
                "RDS Proxy fronts RDS and Aurora databases, not databases on EC2",
                "drop the proxy, or pick an RDS deployment type",
            )
        )
    return problems


def article(kind: str) -> str:
    """``kind`` with its article: "an aurora", "a single-az"."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _check_one_region(scenario: Scenario) -> list[Problem]:
    """A Multi-AZ DB cluster's and an Aurora cluster's instances (and Aurora's volume) sit in
    one Region: a cluster spans AZs, not Regions (cross-Region copies are read replicas)."""
    deployment = scenario.deployment
    if deployment.type not in TYPE_ENGINES or not deployment.instances:
        return []
    home = scenario.region_of(deployment.instances[0].az)
    problems: list[Problem] = []
    for i, spec in enumerate(deployment.instances):
        if scenario.region_of(spec.az) != home:
            problems.append(
                (
                    ("deployment", "instances", i, "az"),
                    f"{spec.az} is in {scenario.region_of(spec.az)}; a cluster's instances are "
                    f"all in one Region ({home})",
                    "a copy in another Region is a read replica: put it under replicas:",
                )
            )
    for j, az in enumerate(deployment.volume_azs or []):
        if scenario.region_of(az) != home:
            problems.append(
                (
                    ("deployment", "volume_azs", j),
                    f"{az} is not in the cluster's Region ({home})",
                    None,
                )
            )
    if deployment.type == "aurora":
        for i, spec in enumerate(deployment.instances):
            if spec.instance_class is not None and spec.instance_class not in CLASS_MEMORY_GIB:
                problems.append(
                    (
                        ("deployment", "instances", i, "instance_class"),
                        f"unknown instance class {spec.instance_class!r}"
                        + did_you_mean(spec.instance_class, CLASS_MEMORY_GIB, only_one=True),
                        "known: " + ", ".join(sorted(CLASS_MEMORY_GIB)),
                    )
                )
    return problems


def _check_ha(scenario: Scenario) -> list[Problem]:
    """Self-managed HA: Patroni manages PostgreSQL; its timers obey Patroni's own rule;
    its knobs mean nothing to a person on call; semi-sync and Patroni need a standby."""
    deployment = scenario.deployment
    if deployment.type != "self-managed-ec2":
        return []
    ha = deployment.ha
    where = ("deployment", "ha")
    problems: list[Problem] = []
    standbys = [s for s in deployment.instances if s.role == "standby"]
    if ha.manager == "patroni":
        if scenario.engine != "postgres":
            problems.append(
                (
                    (*where, "manager"),
                    f"Patroni manages PostgreSQL, not {scenario.engine}",
                    "engine: postgres, or manager: manual",
                )
            )
        values = {"ttl": ha.ttl_s, "loop_wait": ha.loop_wait_s, "retry_timeout": ha.retry_timeout_s}
        for key, low in PATRONI_MIN_S.items():
            if values[key] < low:
                problems.append(
                    (
                        (*where, key),
                        f"Patroni's {key} is at least {low:g} s, not {values[key]:g} s",
                        None,
                    )
                )
        needed_s = ha.loop_wait_s + 2 * ha.retry_timeout_s
        if needed_s > ha.ttl_s:
            problems.append(
                (
                    (*where, "ttl"),
                    f"Patroni needs loop_wait + 2 x retry_timeout <= ttl: "
                    f"{ha.loop_wait_s:g} + 2 x {ha.retry_timeout_s:g} > {ha.ttl_s:g} s",
                    f"raise ttl to {needed_s:g} s or lower the others",
                )
            )
    else:
        for field, key in PATRONI_KEYS.items():
            if field in ha.model_fields_set:
                problems.append(
                    (
                        (*where, key),
                        f"{key} is an HA manager's setting; with manager: manual a person fails "
                        "over (timings: oncall_* and manual_promotion)",
                        "manager: patroni, or drop the key",
                    )
                )
    if not standbys:
        needs = [
            what
            for what, on in (
                ("replication: semi-sync", ha.replication == "semi-sync"),
                ("manager: patroni", ha.manager == "patroni"),
            )
            if on
        ]
        if needs:
            problems.append(
                (
                    ("deployment", "instances"),
                    f"{' and '.join(needs)} need a standby to replicate to",
                    "add {name: db-2, az: <another AZ>, role: standby}",
                )
            )
    return problems


# Keys that mean something on some types only: set elsewhere, they would be ignored, so
# they are refused (a typo or a wrong type must not pass silently).
FOLLOWER_KEYS = ("apply_writes_per_s", "link")
AURORA_KEYS = ("promotion_tier", "instance_class")


def _keys_of_other_types(scenario: Scenario) -> list[Problem]:
    deployment = scenario.deployment
    kind = deployment.type
    problems: list[Problem] = []
    followers = kind in ("multi-az-cluster", "aurora", "self-managed-ec2")
    for i, spec in enumerate(deployment.instances):
        where = ("deployment", "instances", i)
        for key in AURORA_KEYS:
            if key in spec.model_fields_set and kind != "aurora":
                problems.append(
                    ((*where, key), f"{key} orders an Aurora failover; {kind} has none", None)
                )
        for key in FOLLOWER_KEYS:
            if key not in spec.model_fields_set:
                continue
            if not followers or spec.role == "primary" or kind == "aurora":
                what = "a cluster reader's or a self-managed standby's"
                problems.append(((*where, key), f"{key} is {what}, not this host's", None))
    if "ha" in deployment.model_fields_set and kind != "self-managed-ec2":
        problems.append(
            (("deployment", "ha"), f"ha configures self-managed HA on EC2, not {kind}", None)
        )
    if "volume_azs" in deployment.model_fields_set and kind != "aurora":
        problems.append(
            (("deployment", "volume_azs"), f"volume_azs places Aurora's volume, not {kind}'s", None)
        )
    return problems


def _role_hint(kind: str, role: str) -> str | None:
    if role == "reader":
        return "readers belong to multi-az-cluster and aurora; read replicas go under replicas:"
    if role == "standby" and kind in ("multi-az-cluster", "aurora"):
        return f"{article(kind)}'s standbys are readable: role: reader"
    if kind == "single-az":
        return "use type: multi-az-instance for a primary with a standby"
    return None


def volume_azs(scenario: Scenario) -> list[str] | None:
    """The three AZs of an Aurora cluster volume: ``volume_azs``, else the instances' AZs
    (the writer's first) filled up with the Region's next AZs (a, b, c, ...); None if the
    Region does not name three."""
    deployment = scenario.deployment
    if deployment.volume_azs is not None:
        return list(deployment.volume_azs)
    ordered = sorted(deployment.instances, key=lambda s: s.role != "primary")
    azs: list[str] = []
    for spec in ordered:
        if spec.az not in azs:
            azs.append(spec.az)
    if not azs:
        return None
    region = scenario.region_of(azs[0])
    candidates = list(scenario.regions.get(region, []))
    if not candidates and regions.region_of(azs[0]) == region:
        candidates = [f"{region}{letter}" for letter in ascii_lowercase[:6]]
    for az in candidates:
        if len(azs) >= 3:
            break
        if az not in azs:
            azs.append(az)
    return azs[:3] if len(azs) >= 3 else None


def check_deployment_faults(scenario: Scenario) -> list[Problem]:
    """Faults only some types have: a partition between hosts (self-managed: nobody fences),
    the loss of copies of Aurora's cluster volume."""
    problems: list[Problem] = []
    kind = scenario.deployment.type
    for i, fault in enumerate(scenario.faults):
        where: tuple[str | int, ...] = ("faults", i)
        if fault.kind == "partition" and kind != "self-managed-ec2":
            problems.append(
                (
                    (*where, "kind"),
                    f"partition cuts a host off from its peers but not from clients; on {kind} "
                    "RDS's control plane fences a writer it cannot reach",
                    "use network-loss, or type: self-managed-ec2",
                )
            )
        if fault.kind != "volume-copy-loss":
            continue
        if kind != "aurora":
            problems.append(
                (
                    (*where, "kind"),
                    "volume-copy-loss loses a copy of an Aurora cluster volume's segments",
                    "use storage-failure for a DB instance's volume",
                )
            )
            continue
        azs = volume_azs(scenario) or []
        if fault.az is None or fault.az not in azs:
            problems.append(
                (
                    (*where, "az"),
                    "volume-copy-loss needs the az of the copy lost",
                    f"the volume's AZs: {', '.join(azs)}",
                )
            )
        if fault.target is not None:
            problems.append(
                ((*where, "target"), "volume-copy-loss takes an az, not a target", None)
            )
    return problems
