"""Pictures drawn from a Record alone (never from the model).

:mod:`rdssim.plot.timeline`: instance lanes, failover phases and the probe client;
:mod:`rdssim.plot.lag`: read replicas' lag over time;
:mod:`rdssim.plot.clients`: what the application sees (requests, latency, connections).
"""

from rdssim.plot.clients import plot_client_comparison, plot_clients, plot_connections
from rdssim.plot.lag import plot_lag
from rdssim.plot.timeline import plot_timeline, plot_timelines

__all__ = [
    "plot_client_comparison",
    "plot_clients",
    "plot_connections",
    "plot_lag",
    "plot_timeline",
    "plot_timelines",
]
