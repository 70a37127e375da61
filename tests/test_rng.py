"""The named streams are numpy's SeedSequence(seed, spawn_key=name bytes), bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rdssim.rng import Streams

NAMES = ["faults", "health-checks", "repair:db-1", "client:app:17", "é", "x" * 40]


def numpy_stream(seed: int, name: str) -> np.random.Generator:
    sequence = np.random.SeedSequence(seed, spawn_key=tuple(name.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(sequence))


@given(
    st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**200)),
    st.one_of(st.sampled_from(NAMES), st.text(min_size=0, max_size=30)),
)
@settings(max_examples=300, deadline=None)
def test_a_stream_is_numpys_seed_sequence_of_seed_and_name(seed: int, name: str) -> None:
    ours, theirs = Streams(seed).get(name), numpy_stream(seed, name)
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert ours.random(3).tolist() == theirs.random(3).tolist()


def test_streams_are_cached_and_independent_of_the_order_they_are_asked_for() -> None:
    first, second = Streams(7), Streams(7)
    a = first.get("a").random()
    second.get("b").random()
    assert second.get("a").random() == a
    assert first.get("a") is first.get("a")


def test_children_spawned_from_a_stream_are_numpys_too() -> None:
    ours = Streams(5).get("workload").bit_generator.seed_seq.spawn(2)  # type: ignore[attr-defined]
    theirs = np.random.SeedSequence(5, spawn_key=tuple(b"workload")).spawn(2)
    assert [s.generate_state(4).tolist() for s in ours] == [
        s.generate_state(4).tolist() for s in theirs
    ]
