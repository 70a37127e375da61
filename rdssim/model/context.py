"""What every component of one run shares: the clock, the random streams and the Record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import simpy

from rdssim.model.rds_events import RDS_EVENTS, event_id
from rdssim.record import Event, Record, Scalar
from rdssim.rng import Streams
from rdssim.scenario.schema import Scenario


class Signal:
    """A re-armable broadcast: ``wait()`` gives an event that fires at the next ``fire()``.

    A fire with nobody waiting schedules nothing (the event is kept for the next waiter):
    state changes are frequent, waiters on each signal few.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        self._event = env.event()

    def wait(self) -> simpy.Event:
        return self._event

    def fire(self) -> None:
        if not self._event.callbacks:
            return
        if not self._event.triggered:
            self._event.succeed()
        self._event = self._env.event()


def first_of(env: simpy.Environment, events: Sequence[simpy.Event]) -> simpy.Event:
    """An event processed right after the first of ``events`` is, as ``env.any_of``'s
    condition would be, but with nothing to take back when it fires: a condition removes
    itself from the others' callbacks, and on a signal a thousand cohorts wait on, each of
    them scanned a thousand callbacks. The others keep a callback that does nothing until
    they fire (a signal's event is replaced at each fire; a timeout fires once)."""
    woken = env.event()

    def wake(_: simpy.Event) -> None:
        if not woken.triggered:
            woken.succeed()

    for event in events:
        if event.callbacks is None:  # processed already: at once, as a condition would
            wake(event)
        else:
            event.callbacks.append(wake)
    return woken


class FirstOf:
    """One shared event for "the next fire of any of these signals": a thousand cohorts
    waiting on the same signals wait on one event, not one each (DESIGN.md principle 1:
    each wake-up costs its resumption, not an event of its own)."""

    def __init__(self, env: simpy.Environment, *signals: Signal) -> None:
        self._env = env
        self._signals = signals
        self._armed: tuple[simpy.Event, ...] = ()
        self._shared: simpy.Event | None = None

    def wait(self) -> simpy.Event:
        armed = tuple(signal.wait() for signal in self._signals)
        if self._shared is None or self._shared.triggered or armed != self._armed:
            self._armed, self._shared = armed, first_of(self._env, armed)
        return self._shared

    def wait_or(self, event: simpy.Event) -> simpy.Event:
        """An event of one's own: the next fire of any of the signals, or ``event``.
        (Never the shared one inside a condition: once the outer condition fires, SimPy
        detaches the inner one from its events, and it would never fire for the others.)"""
        return first_of(self._env, [*(signal.wait() for signal in self._signals), event])


@dataclass
class SimContext:
    """One environment carrying scenario, random streams and recorder (desmod-style)."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    record: Record
    changed: Signal = field(init=False)
    listeners: Listeners = field(init=False)
    commit_latency_s: float = 0.0
    """How much longer every commit takes now (a new standby catching up)."""

    def __post_init__(self) -> None:
        # Fired whenever an instance's health, role or state changes; watchers re-evaluate.
        self.changed = Signal(self.env)
        self.listeners = Listeners()

    def topology_changed(self) -> None:
        """Run the synchronous listeners, then wake every waiting watcher."""
        self.listeners.notify()
        self.changed.fire()

    @property
    def now(self) -> float:
        return float(self.env.now)

    def emit(
        self,
        source: str,
        kind: str,
        message: str | None = None,
        *,
        rds: str | None = None,
        **data: Scalar,
    ) -> None:
        """Append an event; ``rds="0013"`` attaches RDS-EVENT-0013 and its standard message.
        With an RDS event, ``message`` goes to the event's ``detail`` (the log keeps RDS's
        own text, as the console shows it)."""
        if rds and message is not None:
            data = {**data, "detail": message}
            message = None
        text = message if message is not None else (RDS_EVENTS[rds] if rds else kind)
        self.record.add(
            Event(
                time_s=self.now,
                source=source,
                kind=kind,
                message=text,
                rds_event=event_id(rds) if rds else None,
                data=data,
            )
        )


class Listeners:
    """Callbacks run synchronously, in registration order, whenever the topology changes."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def notify(self) -> None:
        for callback in self._callbacks:
            callback()
