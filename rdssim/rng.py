"""Named, independent random streams derived from one integer seed.

Each component asks for its own stream by name ("faults", "probe", "checkpoint:db-1").
The stream depends only on (seed, name), so adding a component never shifts another's
draws, and two variants of a scenario run on the same seed see the same failures.
"""

from __future__ import annotations

import numpy as np


class Streams:
    """Factory of ``numpy.random.Generator`` objects keyed by component name."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = seed
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """Return the generator for ``name``, the same object on every call."""
        generator = self._cache.get(name)
        if generator is None:
            # spawn_key from the name's bytes: stable across runs, processes and platforms.
            sequence = np.random.SeedSequence(self.seed, spawn_key=tuple(name.encode("utf-8")))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._cache[name] = generator
        return generator
