"""Large transactions on read replicas: the spread they give replica lag (pure math).

MySQL and MariaDB write a transaction to the binary log at commit, so a replica receives it
only then, over the link, and applies it in commit order: while it applies, everything
committed after it waits (head-of-line blocking). A large transaction of B bytes that ran D
seconds on the primary holds a replica back for

    H = B / bandwidth + max(B / apply rate, D)

(assumption: replaying it takes at least as long as it ran, the same statements one after
another). During H the replica's data lag grows one second per second; then the backlog of
the small transactions that piled up drains at the apply rate C (transactions/s) while the
primary writes r: the bump lasts H x C / (C - r). With large transactions arriving at rate
lambda, a replica spends the share p = lambda x H x C / (C - r) of its time in a bump, where
its extra lag is uniform on [0, H] (a triangle's height, seen at a random instant); the
rest of the time the extra is 0. rdssim adds that extra to the fluid model's lag as a
distribution (the bumps are not simulated one by one: cost follows state changes).

PostgreSQL, Oracle and SQL Server ship their log as it is written and replay it as it
arrives: a large transaction adds nothing at its commit (assumption for Oracle and SQL
Server), H = 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from rdssim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]

LOG_AT_COMMIT_ENGINES = ("mysql", "mariadb")
# The extra lag's uniform part is split into this many equal point masses at its
# quantile midpoints, so that it mixes with the fluid lag's uniforms (rdssim.mixture).
POINTS = 64


def block_s(
    engine: str,
    bytes_per_txn: float,
    txn_duration_s: float,
    bandwidth_bps: float,
    apply_bps: float,
) -> float:
    """H: how long one large transaction holds a replica's apply back after its commit."""
    if engine not in LOG_AT_COMMIT_ENGINES:
        return 0.0
    return bytes_per_txn / bandwidth_bps + max(bytes_per_txn / apply_bps, txn_duration_s)


def blocks_for(scenario: Scenario) -> dict[str, float]:
    """H of each read replica of ``scenario`` (empty without large transactions), over the
    link from its first source (assumption: not compounded along a chain)."""
    from rdssim.model.links import link_between  # the model imports the scenario: not at import

    large = scenario.workload.large_txns
    if large is None:
        return {}
    primary_az = next(s.az for s in scenario.deployment.instances if s.role == "primary")
    azs = {r.name: r.az for r in scenario.deployment.replicas}
    out = {}
    for spec in scenario.deployment.replicas:
        source_az = primary_az if spec.source == "primary" else azs[spec.source]
        link = link_between(source_az, spec.az, spec.link, scenario.region_of)
        apply_bps = spec.apply_writes_per_s * scenario.workload.bytes_per_txn
        out[spec.name] = block_s(
            scenario.engine,
            large.bytes_per_txn,
            large.txn_duration_s,
            link.bandwidth_bps,
            apply_bps,
        )
    return out


def busy_share(
    block: float, large_per_s: FloatArray, writes_per_s: FloatArray, apply_per_s: float
) -> FloatArray:
    """p: the share of time a replica is inside a bump (1 where it cannot keep up)."""
    headroom = np.maximum(apply_per_s - writes_per_s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = large_per_s * block * apply_per_s / headroom
    return np.where(headroom > 0, np.clip(share, 0.0, 1.0), np.where(block > 0, 1.0, 0.0))


def extra_points(block: float) -> tuple[FloatArray, FloatArray]:
    """(shift_s, weight) of the extra lag *given* a bump: POINTS equal masses on [0, H]."""
    shifts = block * (np.arange(POINTS) + 0.5) / POINTS
    return shifts, np.full(POINTS, 1.0 / POINTS)


def spread(
    lo: FloatArray, hi: FloatArray, weight: FloatArray, busy: FloatArray, block: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The fluid lag's uniforms on [lo, hi] with ``weight`` (one per interval), plus the
    extra lag, as a larger mixture of uniforms: each interval's weight split into 1 - p
    unshifted and p spread over the shifted copies."""
    if block <= 0 or not (busy > 0).any():
        return lo, hi, weight
    shifts, shares = extra_points(block)
    shifted_lo = (lo[:, None] + shifts[None, :]).ravel()
    shifted_hi = (hi[:, None] + shifts[None, :]).ravel()
    shifted_w = ((weight * busy)[:, None] * shares[None, :]).ravel()
    return (
        np.concatenate([lo, shifted_lo]),
        np.concatenate([hi, shifted_hi]),
        np.concatenate([weight * (1 - busy), shifted_w]),
    )


def above_share(lo: FloatArray, hi: FloatArray, threshold: float, block: float) -> FloatArray:
    """Share of time, on intervals whose fluid lag runs linearly from ``lo`` to ``hi``, that
    the fluid lag plus an extra uniform on [0, block] exceeds ``threshold`` (exact: the
    mean of a clipped ramp over a uniform)."""
    start = threshold - block  # below it: never above; above it + block: always

    def antiderivative(x: FloatArray) -> FloatArray:
        ramp = np.clip(x - start, 0.0, block)
        return ramp**2 / (2 * block) + np.maximum(x - start - block, 0.0)

    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (antiderivative(hi) - antiderivative(lo)) / span
    at_point = np.clip((lo - start) / block, 0.0, 1.0)
    out = np.where(np.abs(span) > 0, mean, at_point)
    return np.where(np.isfinite(lo) & np.isfinite(hi), out, 0.0)
