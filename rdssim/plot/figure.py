"""The Figure every plot returns: a plain matplotlib Figure (no pyplot, no global state)
that a Jupyter notebook shows inline as it is, without ``%matplotlib inline``; or the
caller's own Figure, drawn on where it is given."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import matplotlib as mpl
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, NullLocator

SAVED_DPI = 120  # the PNG files: 1,440 px across a 12-inch figure
# zlib's fastest level: a third of the encoding time of the default 6, files ~10% larger
# (flat colours compress well either way).
PNG_OPTIONS = {"compress_level": 1}


def save_png(fig: Figure, path: Path | None, dpi: float = SAVED_DPI) -> Figure:
    """Save ``fig`` as a PNG at ``path`` (nothing if None) and return it.

    Written whole or not at all: into a scratch file of its own beside ``path``, then
    renamed over it, so an interrupted ``rdssim plot`` leaves each picture old or new, never
    cut short.
    """
    if path is None:
        return fig
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    scratch = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _write_png(fig, out, dpi)
        scratch.chmod(0o644)  # mkstemp's 0600 would hide the picture from others
        scratch.replace(path)
    except OSError as error:  # name the picture, not the scratch file
        raise OSError(error.errno, error.strerror, str(path)) from error
    finally:
        scratch.unlink(missing_ok=True)
    return fig


class ShownFigure(Figure):
    """A Figure that renders itself as PNG for IPython's display (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        dpi = mpl.rcParams["savefig.dpi"]  # as savefig: the user's setting, else the figure's
        _write_png(self, buffer, self.dpi if dpi == "figure" else float(dpi))
        return buffer.getvalue()


def _write_png(fig: Figure, out: IO[bytes], dpi: float) -> None:
    """``fig`` as PNG at ``dpi`` into ``out``, laid out and drawn once (:func:`_laid_out`)."""
    with _laid_out(fig, dpi):
        fig.savefig(out, format="png", dpi=dpi, pil_kwargs=PNG_OPTIONS)


@contextmanager
def _laid_out(fig: Figure, dpi: float) -> Iterator[None]:
    """``fig`` with its layout done at ``dpi`` and its layout engine lifted meanwhile.

    With an engine set, ``savefig`` draws the whole figure unseen to lay it out, then again
    into the file: a third of a plot's time. Running the engine alone (it measures, it does
    not draw) at the resolution saved gives the same layout, and the bytes are the same.
    The engine is put back after, so the figure still lays itself out when resized.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        yield
        return
    shown_dpi = fig.dpi
    fig.set_dpi(dpi)
    try:
        freeze_layout(fig)
        yield
    finally:
        fig.set_dpi(shown_dpi)
        fig.set_layout_engine(engine)


def new_figure(**options: Any) -> ShownFigure:
    """A Figure with rdssim's defaults (100 dpi, constrained layout) and ``options``, on its
    own Agg canvas."""
    fig = ShownFigure(**{"dpi": 100, "layout": "constrained", **options})
    FigureCanvasAgg(fig)
    return fig


def target_figure(fig: Figure | None, **options: Any) -> Figure:
    """``fig`` made ready to draw on, or a new figure (:func:`new_figure`) if it is None.

    A given Figure (``plt.figure()``, one of a notebook's) must be empty; it keeps its canvas
    when that can measure text (pyplot's and Jupyter's can), gets rdssim's dpi and
    constrained layout, and is resized to fit where ``figsize`` is given: the labels are
    placed for the size the plot chooses.
    """
    if fig is None:
        return new_figure(**options)
    if not isinstance(fig, Figure):
        raise TypeError(
            f"fig= takes a matplotlib Figure (Figure(), plt.figure()), not {type(fig).__name__}"
        )
    drawn = (fig.axes, fig.subfigs, fig.texts, fig.images, fig.lines, fig.patches, fig.legends)
    titles = (fig.get_suptitle(), fig.get_supxlabel(), fig.get_supylabel())
    if any(drawn) or any(titles):
        raise ValueError("the figure to draw on must be empty (plot into a new Figure)")
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.set_dpi(options.get("dpi", 100))
    fig.set_layout_engine("constrained")
    if "figsize" in options:
        fig.set_size_inches(*options["figsize"])
    return fig


def lay_out(fig: Figure) -> None:
    """Run ``fig``'s layout engine, if it has one: the axes take their places, measured
    with the figure's renderer; nothing is drawn (:func:`freeze_layout` says why).

    An axis that writes nothing (no tick labels, no label, no offset: the time axis of a
    row above the one that carries the times) takes no room, yet the engine would locate
    and format its ticks in each of its passes: it is left out of the layout meanwhile.
    The same places, the same pixels, 5% of a plot's time.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return
    silent = [
        axis
        for ax in fig.get_axes()
        for axis in (ax.xaxis, ax.yaxis)
        if axis.get_in_layout() and _writes_nothing(axis)
    ]
    for axis in silent:
        axis.set_in_layout(False)
    try:
        engine.execute(fig)
    finally:
        for axis in silent:
            axis.set_in_layout(True)


def _writes_nothing(axis: Axis) -> bool:
    """Whether ``axis`` draws no text: no tick label shown (the first tick stands for all:
    matplotlib gives the others its settings), no label, and no offset ("1e6") possible
    (matplotlib hides it with the tick labels)."""
    ticks = [axis.majorTicks[0]]
    if not isinstance(axis.get_minor_locator(), NullLocator):
        ticks.append(axis.minorTicks[0])
    if any(tick.label1.get_visible() or tick.label2.get_visible() for tick in ticks):
        return False
    offset = axis.get_offset_text().get_visible() and (
        type(axis.get_major_formatter()).get_offset is not Formatter.get_offset
    )
    return not axis.get_label_text() and not offset


def freeze_layout(fig: Figure) -> None:
    """Run the layout engine once and keep its result: what is placed afterwards (labels
    measured on the final axes) does not move the axes, and saving does not lay out again.

    The engine alone, not :meth:`Figure.draw_without_rendering`: that also draws every
    artist, which costs as much as the layout. No engine is left, not even matplotlib's
    placeholder ("none"): with any engine set, ``savefig`` draws the whole figure once
    unseen before drawing it for the file, a third of a plot's time spent for nothing.
    """
    lay_out(fig)
    # None alone would read the user's rcParams and could bring an engine back.
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
