"""Write a cohort's traffic as Flow entries: steady segments, cut where something changes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rdssim.model.context import SimContext
from rdssim.record import Flow, Outcome


@dataclass(frozen=True)
class Part:
    """A share of a cohort's traffic: its rate, outcome and (constant) latency."""

    rate_per_s: float
    outcome: Outcome
    error: str | None
    latency_s: float


class FlowWriter:
    """The open segments of one cohort; each change closes them and opens new ones."""

    def __init__(self, ctx: SimContext, group: str, cohort: int) -> None:
        self.ctx = ctx
        self.group = group
        self.cohort = cohort
        self._since_s = 0.0
        self._parts: list[Part] = []

    def set(
        self,
        parts: list[Part],
        *,
        cut_back_s: float = 0.0,
        cut: Part | None = None,
        answered_now: bool = True,
    ) -> None:
        """From now on the traffic is ``parts``. With ``cut``, the successful requests that
        arrived in the last ``cut_back_s`` (in flight now) end as ``cut`` says: answered
        now, or after ``cut.latency_s`` (a hang until a timeout)."""
        parts = [p for p in parts if p.rate_per_s > 0]
        if cut is None and parts == self._parts:
            return  # the same traffic goes on: one segment, however many retries
        now = self.ctx.now
        split, cut_rate = self._close(cut_back_s if cut is not None else 0.0)
        if cut is not None:
            first, last = (now - split, 0.0) if answered_now else (cut.latency_s,) * 2
            self.write(split, now, cut_rate, cut.outcome, cut.error, first, last)
        self._parts = parts

    def hold_back(self, cut_back_s: float) -> tuple[float, float]:
        """No traffic from now on, and the successful requests of the last ``cut_back_s``
        (in flight now) are not written: the caller writes them once it knows how they
        end. Returns (the first of them to arrive, their rate)."""
        held = self._close(cut_back_s)
        self._parts = []
        return held

    def _close(self, cut_back_s: float) -> tuple[float, float]:
        """Write the open segments up to now, the successful ones up to ``cut_back_s``
        before: return (that instant, the successful rate cut off)."""
        now = self.ctx.now
        split = max(self._since_s, now - cut_back_s)
        cut_rate = 0.0
        for part in self._parts:
            # Successful requests still in flight are the ones the cut reaches.
            end_s = split if part.outcome == "ok" else now
            if part.outcome == "ok":
                cut_rate += part.rate_per_s
            self._write_part(part, self._since_s, end_s)
        self._since_s = now
        return split, cut_rate

    def stop(self) -> None:
        """No traffic from now on (until the next ``set``)."""
        self.set([])

    def write(
        self,
        start_s: float,
        end_s: float,
        rate_per_s: float,
        outcome: Outcome,
        error: str | None,
        latency_start_s: float,
        latency_end_s: float,
    ) -> None:
        """One segment, written as is (a queue released at once, a cut)."""
        if end_s > start_s and rate_per_s > 0:
            self.ctx.record.add(
                Flow(
                    self.group,
                    self.cohort,
                    start_s,
                    end_s,
                    rate_per_s,
                    outcome,
                    error,
                    latency_start_s,
                    latency_end_s,
                )
            )

    def _write_part(self, part: Part, start_s: float, end_s: float) -> None:
        self.write(
            start_s,
            end_s,
            part.rate_per_s,
            part.outcome,
            part.error,
            part.latency_s,
            part.latency_s,
        )


def write_queue(
    flows: FlowWriter,
    start_s: float,
    end_s: float,
    rate_per_s: float,
    limit_s: float,
    limit_error: str,
    served_latency_s: float,
    *,
    release_s: float | None = None,
    release_error: str | None = None,
) -> float:
    """Requests that arrived in [``start_s``, ``end_s``) waited for a release at
    ``release_s`` (default ``end_s``): those that would wait longer than ``limit_s`` fail at
    the limit, the rest are served ``served_latency_s`` after the release, or, with
    ``release_error``, fail with it at the release (a reset connection). Returns how many
    waited until the release."""
    release = end_s if release_s is None else release_s
    assert release >= end_s - 1e-9, "a queue is released before its last arrival"
    split = min(end_s, max(start_s, release - limit_s))
    if math.isinf(release):
        split = end_s  # never released: every one of them gives up at its limit
    elif split - start_s < 1e-9:
        # No sliver of 1e-12 requests from rounding (a release exactly a limit after the
        # start).
        split = start_s
    elif end_s - split < 1e-9:
        split = end_s
    flows.write(start_s, split, rate_per_s, "fail", limit_error, limit_s, limit_s)
    if release_error is None:
        outcome: Outcome = "ok"
        after_s = served_latency_s
    else:
        outcome, after_s = "fail", 0.0
    flows.write(
        split,
        end_s,
        rate_per_s,
        outcome,
        release_error,
        release - split + after_s,
        release - end_s + after_s,
    )
    return rate_per_s * (end_s - split)
