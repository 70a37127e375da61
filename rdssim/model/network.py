"""Availability Zones that can go dark."""

from __future__ import annotations


class Network:
    """Tracks which AZs are dark; a dark AZ makes every host in it unreachable."""

    def __init__(self) -> None:
        self._dark: set[str] = set()

    def is_dark(self, az: str) -> bool:
        return az in self._dark

    def set_dark(self, az: str, dark: bool) -> None:
        if dark:
            self._dark.add(az)
        else:
            self._dark.discard(az)
