"""Named, independent random streams derived from one integer seed.

Each component asks for its own stream by name ("faults", "probe", "checkpoint:db-1").
The stream depends only on (seed, name), so adding a component never shifts another's
draws, and two variants of a scenario run on the same seed see the same failures.

The stream of ``name`` is ``PCG64(SeedSequence(seed, spawn_key=tuple(name.encode())))``.
numpy converts a spawn key of ints one int at a time (~1.6 us a byte of the name); given the
same bytes as one uint32 array it reads the same 32-bit words at once, so the key is passed
that way: the same entropy, the same streams, bit for bit (tests/test_rng.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_keys: dict[str, npt.NDArray[np.uint32]] = {}
"""Each name's spawn key words (numpy copies them; never written to)."""


def spawn_key(name: str) -> tuple[npt.NDArray[np.uint32]]:
    """The spawn key of ``name``: its UTF-8 bytes, one 32-bit word each."""
    words = _keys.get(name)
    if words is None:
        if len(_keys) >= 4096:
            _keys.clear()
        words = np.frombuffer(name.encode("utf-8"), dtype=np.uint8).astype(np.uint32)
        _keys[name] = words
    return (words,)


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
            # (numpy's stubs say Sequence[int]; it takes any sequence of uint32 words.)
            key = spawn_key(name)
            sequence = np.random.SeedSequence(self.seed, spawn_key=key)  # type: ignore[arg-type]
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._cache[name] = generator
        return generator
