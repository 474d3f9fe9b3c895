"""Executors: where a study's fits run. Each takes the planned groups (:class:`~.task.PlannedGroup`), sends
:class:`~.task.FitTask` units to its workers, and hands every record back to the caller, which writes it.

* :mod:`.local`: this machine (in process, or a warm pool of worker processes);
* :mod:`.dask`: a Dask cluster;
* :mod:`.cost`: the one model of what a fit costs (scheduling, and ``run --dry-run``'s estimate).
"""

from .cost import estimate_seconds, fit_seconds
from .local import (
    MAX_CHUNK,
    STOP_REQUESTS,
    FitQueue,
    execute_local,
    quiet_resource_tracker,
)
from .task import FitTask, PlannedGroup

__all__ = [
    "MAX_CHUNK",
    "STOP_REQUESTS",
    "FitQueue",
    "FitTask",
    "PlannedGroup",
    "estimate_seconds",
    "execute_local",
    "fit_seconds",
    "quiet_resource_tracker",
]
