"""The self-contained HTML report of a run (``rdssim run --html``, ``rdssim report``).

:func:`write` and :func:`render` take the run's Records by variant name; plotly is imported
only when a page is drawn.
"""

from rdssim.html.report import render, write

__all__ = ["render", "write"]
