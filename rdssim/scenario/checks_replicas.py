"""Cross-reference checks of read replicas, reads and actions (engine limits included)."""

from __future__ import annotations

from rdssim.engines import replica_rules, topology_problems
from rdssim.scenario.schema import ROLE_SELECTORS, Scenario
from rdssim.scenario.wording import not_found

Problem = tuple[tuple[str | int, ...], str, str | None]

READER_ENDPOINT = "reader-endpoint"
# The actions on the DB instance itself, checked in checks_actions.
INSTANCE_ACTIONS = (
    "apply-os-patch",
    "modify-instance-class",
    "increase-storage",
    "restore-to-point-in-time",
    "repoint-clients",
)


def check_replicas(scenario: Scenario) -> list[Problem]:
    """Names, sources, cycles and the engine's limits (per source, chain depth)."""
    problems: list[Problem] = []
    replicas = scenario.deployment.replicas
    hosts = {s.name for s in scenario.deployment.instances}
    names = [r.name for r in replicas]
    for i, spec in enumerate(replicas):
        where = ("deployment", "replicas", i)
        if spec.name in hosts or names.index(spec.name) != i:
            problems.append(((*where, "name"), f"duplicate instance name {spec.name!r}", None))
        if spec.name in (*ROLE_SELECTORS, READER_ENDPOINT):
            problems.append(((*where, "name"), f"{spec.name!r} is a reserved word", None))
        if spec.source != "primary" and spec.source not in names:
            hint = (
                "a replica follows the DB instance (write 'primary'), not one of its hosts"
                if spec.source in hosts
                else None
            )
            known = ", ".join(["primary", *names])
            problems.append(
                (
                    (*where, "source"),
                    not_found(
                        f"no source named {spec.source!r}", spec.source, ["primary", *names], known
                    ),
                    hint,
                )
            )
        elif spec.source == spec.name:
            problems.append(((*where, "source"), "a replica cannot be its own source", None))
    if problems:
        return problems
    sources = {r.name: r.source for r in replicas}
    problems += _topology_problems(scenario, sources, ("deployment", "replicas"))
    return problems


def _topology_problems(
    scenario: Scenario, sources: dict[str, str], where: tuple[str | int, ...]
) -> list[Problem]:
    """Cycles, chain depth and replicas per source of one replica -> source map, at ``where``."""
    rules = replica_rules(scenario.engine, scenario.version)
    found = topology_problems(rules, sources, f"{scenario.engine} {scenario.version}")
    return [(where, message, hint) for message, hint in found]


def check_actions(scenario: Scenario) -> list[Problem]:
    """Each replica action's target and source; a repoint must keep the topology within limits."""
    problems: list[Problem] = []
    names = [r.name for r in scenario.deployment.replicas]
    known = ", ".join(names) or "(no replicas)"
    created: set[str] = set()
    sources = {r.name: r.source for r in scenario.deployment.replicas}
    for i, action in sorted(enumerate(scenario.actions), key=lambda pair: pair[1].at_s):
        where: tuple[str | int, ...] = ("actions", i)
        if action.at_s > scenario.duration_s:
            problems.append(
                (
                    (*where, "at"),
                    f"at {action.at_s:g} s is after the end of the run ({scenario.duration_s:g} s)",
                    "raise duration or move the action earlier",
                )
            )
        if action.kind == "reboot-with-failover":
            problems += reboot_problems(scenario, where, action.target, action.source, "source")
            continue
        if action.kind in INSTANCE_ACTIONS:  # checks_actions
            continue
        if action.target is None:
            problems.append(
                ((*where, "target"), f"{action.kind} needs a target", f"known: {known}")
            )
            continue
        if action.target not in names:
            problems.append(
                (
                    (*where, "target"),
                    not_found(f"no replica named {action.target!r}", action.target, names, known),
                    None,
                )
            )
            continue
        if action.kind == "create-replica":
            if action.target in created:
                problems.append(((*where, "target"), f"{action.target} is created twice", None))
            created.add(action.target)
        if action.kind == "repoint-replica":
            if action.source is None:
                problems.append(
                    (
                        (*where, "source"),
                        "repoint-replica needs the new source",
                        f"primary or one of: {known}",
                    )
                )
                continue
            if action.source != "primary" and action.source not in names:
                problems.append(
                    (
                        (*where, "source"),
                        f"no source named {action.source!r}; known: primary, {known}",
                        None,
                    )
                )
                continue
            sources[action.target] = action.source
            problems += _topology_problems(scenario, sources, (*where, "source"))
        elif action.source is not None:
            problems.append(((*where, "source"), f"{action.kind} takes no source", None))
    return problems


def reboot_problems(
    scenario: Scenario,
    where: tuple[str | int, ...],
    target: str | None,
    other: str | None,
    other_key: str,
) -> list[Problem]:
    """RebootDBInstance ForceFailover (a fault or an action; on a DB cluster FailoverDBCluster,
    on EC2 a switchover): not on Single-AZ, no arguments."""
    problems: list[Problem] = []
    kind = scenario.deployment.type
    followers = [s for s in scenario.deployment.instances if s.role != "primary"]
    if kind == "single-az":
        problems.append(
            (
                (*where, "kind"),
                "RebootDBInstance with ForceFailover is rejected on a non-Multi-AZ instance",
                None,
            )
        )
    elif not followers:
        # On a cluster it is FailoverDBCluster; on EC2 a switchover: both need a target.
        problems.append(
            (
                (*where, "kind"),
                f"a failover of this {kind} deployment needs a reader or standby to promote",
                None,
            )
        )
    if target is not None or other is not None:
        problems.append(
            (
                (*where, "target"),
                f"reboot-with-failover acts on the DB instance; it takes no target or {other_key}",
                None,
            )
        )
    return problems


def check_reads(scenario: Scenario) -> list[Problem]:
    """Reads need replicas, and a target that is one of them or the reader endpoint."""
    reads = scenario.reads
    if reads is None:
        return []
    # A DB cluster's readers (Multi-AZ cluster, Aurora replicas) serve reads too.
    readers = [s.name for s in scenario.deployment.instances if s.role == "reader"]
    names = readers + [r.name for r in scenario.deployment.replicas]
    if not names:
        return [
            (
                ("reads",),
                "reads go to read replicas, and the deployment has none",
                "add deployment.replicas (or, on a DB cluster, readers)",
            )
        ]
    if reads.target != READER_ENDPOINT and reads.target not in names:
        return [
            (
                ("reads", "target"),
                not_found(
                    f"no replica named {reads.target!r}",
                    reads.target,
                    [READER_ENDPOINT, *names],
                    f"{READER_ENDPOINT}, {', '.join(names)}",
                ),
                None,
            )
        ]
    return []
