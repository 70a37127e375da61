"""Availability Zones that can go dark."""

from __future__ import annotations


class Network:
    """Tracks which AZs are dark; a dark AZ makes every host in it unreachable.

    Outages of one AZ may overlap: it is dark until the last of them ends.
    """

    def __init__(self) -> None:
        self._outages: dict[str, int] = {}
        """Outages under way, by AZ (only AZs with one or more)."""

    def is_dark(self, az: str) -> bool:
        return az in self._outages

    def set_dark(self, az: str, dark: bool) -> None:
        """An outage of ``az`` starts (``dark``) or ends."""
        count = self._outages.get(az, 0) + (1 if dark else -1)
        if count > 0:
            self._outages[az] = count
        else:
            self._outages.pop(az, None)
