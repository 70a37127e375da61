"""Artists drawn the cheap way where matplotlib's own helper costs in proportion to points.

:meth:`Axes.stairs` adds its patch with :meth:`Axes.add_patch`, which walks every segment of
the path to grow the data limits: 0.07 s for a few thousand steps, most of a client
figure's drawing time. The limits of a step curve are its extremes, which numpy gives at
once; :func:`stairs` adds the same :class:`StepPatch` and grows the limits from those.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.patches import StepPatch

FloatArray = npt.NDArray[np.float64]


def stairs(
    ax: Axes,
    values: FloatArray,
    edges: FloatArray,
    *,
    baseline: float | FloatArray | None = 0.0,
    fill: bool = False,
    **style: Any,
) -> StepPatch:
    """The patch :meth:`Axes.stairs` would draw (same arguments, vertical: unfilled unless
    ``fill``, where a bare StepPatch is filled), added to ``ax`` with its data limits taken
    from the extremes of ``values``, ``baseline`` and ``edges``."""
    # The stub says float; StepPatch takes an array too (Axes.stairs passes it on as is).
    patch = StepPatch(values, edges, baseline=baseline, fill=fill, **style)  # type: ignore[arg-type]
    ax.add_artist(patch)
    heights = [np.asarray(values, dtype=float)]
    if baseline is not None:
        low = np.min(baseline)
        patch.sticky_edges.y.append(float(low))
        heights.append(np.atleast_1d(np.asarray(baseline, dtype=float)))
    finite = np.concatenate(heights)
    finite = finite[np.isfinite(finite)]
    if finite.size and len(edges):
        ax.update_datalim(
            [(float(edges[0]), float(finite.min())), (float(edges[-1]), float(finite.max()))]
        )
        ax.autoscale_view()
    return patch
