"""The timeline's fixed colours: states, failover phases, probe outcomes and event markers.

Fixed, so a state (or phase, or outcome) means the same colour in every picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from rdssim.record import Record

# Green is healthy (pale green: a replica keeping up), reds are impairments (darker = further
# away), blues are a host taking up a role or catching up, purples are repairs that take
# long, ambers and oranges are interruptions (planned, or a replica retrying its source).
STATE_COLOURS: dict[str, str] = {
    "available": "#4daf4a",
    "replicating": "#a1d99b",
    "reconnecting": "#fdae6b",
    "restarting": "#e6550d",
    "io-suspended": "#fec44f",
    "failed": "#e31a1c",
    "unreachable": "#99000d",
    "storage-failed": "#f16913",
    "stranded": "#67000d",
    "promoting": "#3182bd",
    "creating": "#6baed6",
    "catching-up": "#9ecae1",
    "rebooting": "#fdbf11",
    "stopped": "#969696",
    "recovering": "#9e9ac8",
    "restoring": "#6a51a3",
    "commits-waiting": "#fd8d3c",
    "read-only": "#bcbddc",
    "volume-unavailable": "#cb181d",
    # Aurora's cluster volume (its own lane): quorums of its six copies.
    "writable": "#74c476",
    "readable": "#fdd0a2",
    "unavailable": "#a50f15",
}
UNKNOWN_STATE_COLOURS = ("#bdbdbd", "#d9d9d9", "#8c6d31", "#e7ba52", "#7b4173")

# (phase, colour, legend text). Light tints: they sit behind the lanes and must not be
# mistaken for a state.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("detection", "#fff2b3", "detection: trigger → RDS-EVENT-0013"),
    ("promotion", "#cfe1f2", "promotion: 0013 → standby opens"),
    ("dns", "#e4d4f0", "dns: opens → 0049"),
)

# The phases' legend where the failover's instants are not RDS-EVENT-0013 and 0049: a DB
# cluster's (0072/0073 and 0071) and a self-managed deployment's (no RDS events).
PHASE_LABELS: dict[str, tuple[str, str, str]] = {
    "multi-az-cluster": (
        "detection: trigger → failover started (0072/0073)",
        "promotion: started → reader opens as writer",
        "dns: opens → 0071",
    ),
    "self-managed-ec2": (
        "detection: trigger → failover started",
        "promotion: started → standby opens",
        "dns: opens → application moved",
    ),
}
PHASE_LABELS["aurora"] = PHASE_LABELS["multi-az-cluster"]


def phase_legend(deployment: object) -> list[tuple[str, str]]:
    """(colour, legend text) of each phase, for the run's deployment type."""
    texts = PHASE_LABELS.get(str(deployment), tuple(text for _, _, text in PHASES))
    return [(colour, text) for (_, colour, _), text in zip(PHASES, texts, strict=True)]


OUTCOME_COLOURS: dict[str, str] = {"ok": "#2ca02c", "fail": "#d62728", "unknown": "#ff7f0e"}
# Opaque pale versions for the bands under the ticks (opaque so the phase tints do not mix in).
OUTCOME_TINTS: dict[str, str] = {"ok": "#d5efcf", "fail": "#f9c9c3", "unknown": "#fde0bf"}

# Event kinds drawn as vertical markers: what was done to the system and how RDS answered
# an action it would not carry out. (colour, line style)
MARKER_STYLES: dict[str, tuple[str, str]] = {
    "fault": ("#111111", "-"),
    "fault-end": ("#111111", "--"),
    "action": ("#08519c", "-."),
    "action-abandoned": ("#636363", ":"),
    "action-rejected": ("#636363", ":"),
    "fault-skipped": ("#636363", ":"),
    "failover-failed": ("#a50f15", "--"),
}

# Marker kinds beyond the timeline's: failover completion (0049) and replica events, in
# purple so they stand apart from faults (black) and actions (blue). (colour, line style)
LAG_MARKER_STYLES: dict[str, tuple[str, str]] = {
    **MARKER_STYLES,
    "failover-complete": ("#238b45", ":"),
    "replica-promotion-started": ("#6a3d9a", "-."),
    "replica-promoted": ("#6a3d9a", "-"),
    "replica-repointed": ("#6a3d9a", ":"),
}


def state_colours(record: Record) -> dict[str, str]:
    """The fixed colour of every state drawn, in a fixed order (healthy first).

    From the intervals, not the changes: a state held for no time (a host passing through
    "stopped" on its way to "creating") is never drawn, so it must not be in the legend.
    States this module does not know yet get spare colours, in name order.
    """
    drawn = {s for info in record.instances for *_, s in record.state_intervals(info.name)}
    colours = {s: c for s, c in STATE_COLOURS.items() if s in drawn}
    for i, state in enumerate(sorted(drawn - set(STATE_COLOURS))):
        colours[state] = UNKNOWN_STATE_COLOURS[i % len(UNKNOWN_STATE_COLOURS)]
    return colours


def ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = to_rgb(colour)
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


# What a client request ended in (the client plots' success/error strip): a pale green for
# success, so that errors stand out; one saturated colour per error kind, in this order
# (connection-level errors first, then those of an open connection, then the proxy's).
REQUEST_COLOURS: dict[str, str] = {
    "ok": "#b8e0b0",
    "refused": "#d62728",
    "connect-timeout": "#ff7f0e",
    "too-many-connections": "#7b3294",
    "connection-lost": "#525252",
    "read-timeout": "#8c510a",
    "pool-timeout": "#bf812d",
    "borrow-timeout": "#c51b7d",
    "cancelled-in-transaction": "#0072b2",
}
UNKNOWN_REQUEST_COLOURS = ("#e7ba52", "#17becf", "#969696", "#bdbdbd")

# Failover instants marked on the client plots, by event kind: (label, colour, line style);
# the label gets the RDS event id where there is one. The completion style is the lag
# plot's "failover-complete".
FAILOVER_EVENT_STYLES: dict[str, tuple[str, str, str]] = {
    "failover-started": ("failover started", "#3182bd", "--"),
    "failover-completed": ("failover complete", "#238b45", ":"),
}


def legend_right(
    ax: Axes, handles: Sequence[Any], title: str, labels: Sequence[str] | None = None
) -> None:
    """A legend at the right of ``ax``, top-aligned, the plots' one legend style."""
    ax.legend(
        handles=list(handles),
        labels=list(labels) if labels is not None else None,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title_fontsize=8.5,
        frameon=False,
        alignment="left",
    )
