"""rdssim: a discrete-event simulator of Amazon RDS high availability.

From Python (docs/api.md): ``rdssim.load`` a scenario, ``rdssim.run`` it (a Result with
its Record, summary, events and plots), ``rdssim.sweep`` it over seeds and grid values and
``rdssim.compare`` deployments (pandas DataFrames).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rdssim")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

# After __version__: the modules below may ask for it while they load.
from rdssim.api import (
    Result,
    compare,
    load,
    plot_client_comparison,
    plot_timelines,
    run,
    run_all,
    sweep,
)
from rdssim.bundled import bundled_names
from rdssim.metrics import Summary
from rdssim.record import Record
from rdssim.scenario import Scenario, ScenarioError, ScenarioSet

__all__ = [
    "Record",
    "Result",
    "Scenario",
    "ScenarioError",
    "ScenarioSet",
    "Summary",
    "__version__",
    "bundled_names",
    "compare",
    "load",
    "plot_client_comparison",
    "plot_timelines",
    "run",
    "run_all",
    "sweep",
]
