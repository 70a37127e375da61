"""Aurora's quorum arithmetic against the documented rules, for every combination of dark
AZs and lost copies (3 AZs x 2 copies: 8 subsets of AZs x 27 loss patterns)."""

from __future__ import annotations

from itertools import combinations, product

import pytest

from rdssim.quorum import COPIES, copies_left, volume_state

AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
CASES = [
    (frozenset(dark), dict(zip(AZS, lost, strict=True)))
    for n in range(4)
    for dark in combinations(AZS, n)
    for lost in product(range(3), repeat=3)
]
ORDER = {"unavailable": 0, "readable": 1, "writable": 2}


def test_every_combination_is_covered() -> None:
    assert len(CASES) == 8 * 27


@pytest.mark.parametrize(("dark", "lost"), CASES)
def test_the_documented_rules_hold(dark: frozenset[str], lost: dict[str, int]) -> None:
    left = copies_left(AZS, dark, lost)
    # Copies gone: both in a dark AZ, else the lost ones.
    gone = sum(2 if az in dark else lost[az] for az in AZS)
    assert left == COPIES - gone
    state = volume_state(left)
    if gone <= 2:  # an AZ (two copies), or any two copies: still writable
        assert state == "writable"
    elif gone == 3:  # an AZ and one more copy: readable, not writable
        assert state == "readable"
    else:
        assert state == "unavailable"
    if dark == {AZS[0]} and lost == dict.fromkeys(AZS, 0):
        assert state == "writable"  # "losing an AZ keeps it writable"


@pytest.mark.parametrize(("dark", "lost"), CASES)
def test_losing_more_never_helps(dark: frozenset[str], lost: dict[str, int]) -> None:
    state = ORDER[volume_state(copies_left(AZS, dark, lost))]
    for az in AZS:
        worse_dark = ORDER[volume_state(copies_left(AZS, dark | {az}, lost))]
        worse_lost = ORDER[volume_state(copies_left(AZS, dark, {**lost, az: lost[az] + 1}))]
        assert worse_dark <= state and worse_lost <= state


def test_two_dark_azs_leave_the_volume_unavailable() -> None:
    assert volume_state(copies_left(AZS, AZS[:2], {})) == "unavailable"
    assert volume_state(copies_left(AZS, AZS[:1], {AZS[1]: 1})) == "readable"
