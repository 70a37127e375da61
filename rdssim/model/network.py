"""Availability Zones that can go dark."""

from __future__ import annotations


class Network:
    """Tracks which AZs are dark; a dark AZ makes every host in it unreachable.

    Outages of one AZ may overlap: it is dark until the last of them ends.
    """

    def __init__(self) -> None:
        self.dark: dict[str, int] = {}
        """The AZs dark now, with how many outages of each are under way (read-only: use
        set_dark)."""

    def is_dark(self, az: str) -> bool:
        return az in self.dark

    def set_dark(self, az: str, dark: bool) -> None:
        """An outage of ``az`` starts (``dark``) or ends."""
        count = self.dark.get(az, 0) + (1 if dark else -1)
        if count > 0:
            self.dark[az] = count
        else:
            self.dark.pop(az, None)
