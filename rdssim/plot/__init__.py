"""Pictures drawn from a Record alone (never from the model): see :mod:`rdssim.plot.timeline`."""

from rdssim.plot.timeline import plot_timeline

__all__ = ["plot_timeline"]
