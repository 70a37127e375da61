"""Connections open on each DB instance, against its ``max_connections``."""

from __future__ import annotations

from rdssim.model.context import Signal, SimContext
from rdssim.record import CONNECTION_OPENS, CONNECTIONS_OPENED, db_connections_series


class ConnectionTable:
    """Who holds how many connections where; a request beyond ``max_connections`` is refused.

    Holders are client cohorts and the proxy. Counts are fluid (a cohort stands for many
    application instances), so they need not be whole numbers. ``released`` fires whenever
    connections are given back, for holders waiting to get more.
    """

    def __init__(self, ctx: SimContext, instances: list[str], max_connections: int) -> None:
        self.ctx = ctx
        self.max_connections = max_connections
        self._held: dict[str, dict[str, float]] = {name: {} for name in instances}
        self._shown: dict[str, float] = {}
        self._open_rates: dict[str, float] = {}
        self._open_rate_shown: float | None = None
        self.released = Signal(ctx.env)
        for name in instances:
            self._show(name)

    def set_max(self, max_connections: int) -> None:
        """A new limit (the DB instance moved to another class): holders waiting for room
        try again; connections above a lower limit stay until they are closed."""
        self.max_connections = max_connections
        self.released.fire()

    def total(self, instance: str) -> float:
        return sum(self._held[instance].values())

    def hold(
        self, instance: str, holder: str, wanted: float, *, group: str, burst: bool = True
    ) -> float:
        """Set ``holder``'s connections on ``instance`` to ``wanted`` or as many as fit;
        return how many it holds. New connections are recorded as opened at once, unless
        ``burst`` is false: a holder whose opens are a steady rate (``set_open_rate``)."""
        mine = self._held[instance]
        before = mine.get(holder, 0.0)
        room = self.max_connections - (self.total(instance) - before)
        granted = max(0.0, min(wanted, room))
        mine[holder] = granted
        if granted > before and burst:
            self.opened(instance, group, granted - before)
        elif granted < before:
            self.released.fire()
        self._show(instance)
        return granted

    def release(self, instance: str, holder: str) -> None:
        """``holder`` has no connection left on ``instance`` (closed, reset or dead)."""
        if self._held[instance].pop(holder, 0.0) > 0:
            self._show(instance)
            self.released.fire()

    def opened(self, instance: str, group: str, count: float) -> None:
        """Record a burst of ``count`` connections opened at once."""
        self.ctx.emit(
            group,
            CONNECTIONS_OPENED,
            f"{count:,.1f} connections opened on {instance}",
            instance=instance,
            group=group,
            count=count,
        )

    def set_open_rate(self, holder: str, per_s: float) -> None:
        """Connections ``holder`` opens per second by steady traffic (per-request clients)."""
        if per_s > 0:
            self._open_rates[holder] = per_s
        else:
            self._open_rates.pop(holder, None)
        total = sum(self._open_rates.values())
        if total != self._open_rate_shown:
            self.ctx.record.add_step(self.ctx.now, CONNECTION_OPENS, self._open_rate_shown, total)
            self._open_rate_shown = total

    def _show(self, instance: str) -> None:
        total = self.total(instance)
        old = self._shown.get(instance)
        if old != total:
            self.ctx.record.add_step(self.ctx.now, db_connections_series(instance), old, total)
            self._shown[instance] = total
