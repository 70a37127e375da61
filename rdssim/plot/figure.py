"""The Figure every plot returns: a plain matplotlib Figure (no pyplot, no global state)
that a Jupyter notebook shows inline as it is, without ``%matplotlib inline``."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure


class ShownFigure(Figure):
    """A Figure that renders itself as PNG for IPython's display (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def new_figure(**options: Any) -> ShownFigure:
    """A Figure with rdssim's defaults (100 dpi, constrained layout) and ``options``."""
    return ShownFigure(**{"dpi": 100, "layout": "constrained", **options})
