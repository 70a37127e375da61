"""Pictures drawn from a Record alone (never from the model).

:mod:`rdssim.plot.timeline`: instance lanes, failover phases and the probe client;
:mod:`rdssim.plot.lag`: read replicas' lag over time.
"""

from rdssim.plot.lag import plot_lag
from rdssim.plot.timeline import plot_timeline

__all__ = ["plot_lag", "plot_timeline"]
