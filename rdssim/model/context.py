"""What every component of one run shares: the clock, the random streams and the Record."""

from __future__ import annotations

from collections.abc import Callable
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
