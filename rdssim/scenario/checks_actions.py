"""Cross-reference checks of the actions on the DB instance itself: maintenance, storage,
point-in-time restore and re-pointing the application (replica actions:
checks_replicas)."""

from __future__ import annotations

from rdssim.connections import CLASS_MEMORY_GIB
from rdssim.scenario.checks_replicas import INSTANCE_ACTIONS, READER_ENDPOINT
from rdssim.scenario.schema import ROLE_SELECTORS, ActionSpec, Scenario
from rdssim.scenario.wording import did_you_mean

Problem = tuple[tuple[str | int, ...], str, str | None]

CLIENT_TARGETS = ("all", "probe", "proxy")
# Actions that exist only as RDS API calls: a database on EC2 has no such thing.
RDS_API_ONLY = {
    "apply-os-patch": "ApplyPendingMaintenanceAction",
    "modify-instance-class": "ModifyDBInstance",
    "restore-to-point-in-time": "RestoreDBInstanceToPointInTime",
    "increase-storage": "ModifyDBInstance AllocatedStorage",
}


def check_instance_actions(scenario: Scenario) -> list[Problem]:
    """Each DB-instance action's arguments, in time order (a restore must come before the
    re-pointing to the instance it creates)."""
    problems: list[Problem] = []
    deployment = scenario.deployment
    hosts = [s.name for s in deployment.instances]
    taken = set(hosts) | {r.name for r in deployment.replicas}
    restored: dict[str, float] = {}
    instance_class = deployment.instance_class  # as earlier class changes leave it
    for i, action in sorted(enumerate(scenario.actions), key=lambda pair: pair[1].at_s):
        if action.kind not in INSTANCE_ACTIONS:
            continue
        where: tuple[str | int, ...] = ("actions", i)
        problems += _unused_keys(action, where)
        if deployment.type == "self-managed-ec2" and action.kind in RDS_API_ONLY:
            problems.append(
                (
                    (*where, "kind"),
                    f"{action.kind} is an RDS API call ({RDS_API_ONLY[action.kind]}); on "
                    "self-managed-ec2 you patch, resize and restore the hosts yourself",
                    "model the outage it causes as a fault (host-crash on the primary, or a "
                    "reboot-with-failover for a planned switchover)",
                )
            )
        elif action.kind == "modify-instance-class":
            found = _class_problems(action, where, instance_class)
            problems += found
            if not found and action.instance_class is not None:
                instance_class = action.instance_class
        elif action.kind in ("apply-os-patch", "increase-storage"):
            if action.target is not None:
                problems.append(
                    ((*where, "target"), f"{action.kind} acts on the DB instance; no target", None)
                )
        elif action.kind == "restore-to-point-in-time":
            new = action.new_instance or f"{action.target}-restored"
            if action.target not in hosts and action.target not in restored:
                problems.append(
                    (
                        (*where, "target"),
                        f"restore-to-point-in-time needs the DB instance to restore; "
                        f"known: {', '.join([*hosts, *restored])}",
                        None,
                    )
                )
            elif new in (*ROLE_SELECTORS, READER_ENDPOINT):
                problems.append(((*where, "new_instance"), f"{new!r} is a reserved word", None))
            elif new in taken or new in restored:
                problems.append(
                    (
                        (*where, "new_instance"),
                        f"{new!r} is taken: a restore creates a new DB instance with its own name",
                        "set new_instance to an unused name",
                    )
                )
            elif len(new) > 63:
                problems.append(((*where, "new_instance"), f"{new!r} is over 63 characters", None))
            else:
                restored[new] = action.at_s
        else:
            problems += _repoint_problems(scenario, action, where, hosts, restored)
    return problems


def _unused_keys(action: ActionSpec, where: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if action.instance_class is not None and action.kind != "modify-instance-class":
        problems.append(
            ((*where, "instance_class"), f"{action.kind} takes no instance_class", None)
        )
    if action.new_instance is not None and action.kind != "restore-to-point-in-time":
        problems.append(((*where, "new_instance"), f"{action.kind} takes no new_instance", None))
    if action.source is not None and action.kind != "repoint-clients":
        problems.append(((*where, "source"), f"{action.kind} takes no source", None))
    return problems


def _class_problems(
    action: ActionSpec, where: tuple[str | int, ...], current: str
) -> list[Problem]:
    if action.target is not None:
        return [((*where, "target"), "modify-instance-class acts on the DB instance", None)]
    if action.instance_class is None:
        return [((*where, "instance_class"), "modify-instance-class needs instance_class", None)]
    if action.instance_class not in CLASS_MEMORY_GIB:
        known = ", ".join(sorted(CLASS_MEMORY_GIB))
        return [
            (
                (*where, "instance_class"),
                f"unknown instance class {action.instance_class!r}"
                + did_you_mean(action.instance_class, CLASS_MEMORY_GIB, only_one=True),
                f"known: {known}",
            )
        ]
    if action.instance_class == current:
        return [
            (
                (*where, "instance_class"),
                f"the DB instance is a {current} already (by then)",
                "name the class it moves to",
            )
        ]
    return []


def _repoint_problems(
    scenario: Scenario,
    action: ActionSpec,
    where: tuple[str | int, ...],
    hosts: list[str],
    restored: dict[str, float],
) -> list[Problem]:
    groups = [c.name for c in scenario.clients]
    targets = [*CLIENT_TARGETS, *groups]
    problems: list[Problem] = []
    if action.target not in targets:
        problems.append(
            (
                (*where, "target"),
                f"repoint-clients needs whom to re-point; known: {', '.join(targets)}",
                None,
            )
        )
    elif action.target == "proxy" and not scenario.proxy.enabled:
        problems.append(((*where, "target"), "there is no RDS Proxy (proxy.enabled)", None))
    elif action.target == "probe" and not scenario.probe.enabled:
        problems.append(((*where, "target"), "the probe is disabled (probe.enabled)", None))
    known = [*hosts, *restored]
    if action.source not in known:
        hint = None
        if action.source in (*ROLE_SELECTORS, None):
            hint = "name a DB instance, e.g. the new_instance of a restore-to-point-in-time"
        problems.append(
            (
                (*where, "source"),
                f"repoint-clients needs the DB instance to point at; known: {', '.join(known)}",
                hint,
            )
        )
    return problems
