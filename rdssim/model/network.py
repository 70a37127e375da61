"""Availability Zones that can go dark."""

from __future__ import annotations

from collections import Counter


class Network:
    """Tracks which AZs are dark; a dark AZ makes every host in it unreachable.

    Outages of one AZ may overlap: it is dark until the last of them ends.
    """

    def __init__(self) -> None:
        self._outages: Counter[str] = Counter()

    def is_dark(self, az: str) -> bool:
        return self._outages[az] > 0

    def set_dark(self, az: str, dark: bool) -> None:
        """An outage of ``az`` starts (``dark``) or ends."""
        if dark:
            self._outages[az] += 1
        elif self._outages[az] > 0:
            self._outages[az] -= 1
