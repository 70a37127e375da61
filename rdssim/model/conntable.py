"""Connections open on each DB instance, against its ``max_connections``."""

from __future__ import annotations

from rdssim.model.context import FirstOf, Signal, SimContext
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
        # Each instance's total, kept exactly as an integer count of 2**-1074 (the smallest
        # float), so that it is the correctly rounded sum of the holdings whatever the order
        # they came and went in, at one addition per change: summing every holder at each
        # request cost a thousand cohorts a thousand additions per attempt.
        self._exact_totals: dict[str, int] = {name: 0 for name in instances}
        self._shown: dict[str, float] = {}
        self._open_rates: dict[str, float] = {}
        self._exact_open_rate = 0  # their sum, exactly (as _exact_totals)
        self._open_rate_shown: float | None = None
        self.released = Signal(ctx.env)
        self.released_or_changed = FirstOf(ctx.env, self.released, ctx.changed)
        """Fires when connections are given back or the topology changes."""
        for name in instances:
            self._show(name)

    def set_max(self, max_connections: int) -> None:
        """A new limit (the DB instance moved to another class): holders waiting for room
        try again; connections above a lower limit stay until they are closed."""
        self.max_connections = max_connections
        self.released.fire()

    def total(self, instance: str) -> float:
        """Connections open on ``instance`` (the correctly rounded sum of the holdings)."""
        return self._exact_totals[instance] / _UNITS_PER_ONE

    def _set(self, instance: str, holder: str, count: float) -> float:
        """Set ``holder``'s count on ``instance``; return the count it had."""
        mine = self._held[instance]
        before = mine.pop(holder, 0.0)
        if count > 0:
            mine[holder] = count
        self._exact_totals[instance] += _exact_units(count) - _exact_units(before)
        return before

    def hold(
        self, instance: str, holder: str, wanted: float, *, group: str, burst: bool = True
    ) -> float:
        """Set ``holder``'s connections on ``instance`` to ``wanted`` or as many as fit;
        return how many it holds. New connections are recorded as opened at once, unless
        ``burst`` is false: a holder whose opens are a steady rate (``set_open_rate``)."""
        before = self._held[instance].get(holder, 0.0)
        room = self.max_connections - (self.total(instance) - before)
        granted = max(0.0, min(wanted, room))
        self._set(instance, holder, granted)
        if granted > before and burst:
            self.opened(instance, group, granted - before)
        elif granted < before:
            self.released.fire()
        self._show(instance)
        return granted

    def release(self, instance: str, holder: str) -> None:
        """``holder`` has no connection left on ``instance`` (closed, reset or dead)."""
        if self._set(instance, holder, 0.0) > 0:
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
        before = self._open_rates.pop(holder, 0.0)
        if per_s > 0:
            self._open_rates[holder] = per_s
        self._exact_open_rate += _exact_units(max(per_s, 0.0)) - _exact_units(before)
        # The correctly rounded sum at one addition per change (a thousand cohorts changing
        # their rates at a failover summed a thousand rates each).
        total = self._exact_open_rate / _UNITS_PER_ONE
        if total != self._open_rate_shown:
            self.ctx.record.add_step(self.ctx.now, CONNECTION_OPENS, self._open_rate_shown, total)
            self._open_rate_shown = total

    def _show(self, instance: str) -> None:
        total = self.total(instance)
        old = self._shown.get(instance)
        if old != total:
            self.ctx.record.add_step(self.ctx.now, db_connections_series(instance), old, total)
            self._shown[instance] = total


# Floats are integer multiples of 2**-1074: in those units every sum is exact.
_UNITS_PER_ONE = 1 << 1074


def _exact_units(count: float) -> int:
    numerator, denominator = count.as_integer_ratio()
    return numerator * (_UNITS_PER_ONE // denominator)
