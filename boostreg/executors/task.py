"""What an executor is handed and what it hands a worker: typed, so that every executor reads them the same way.

* :class:`PlannedGroup`: a fold group of the plan with what an earlier run already stored of it.
* :class:`FitTask`: some fits of one group, the unit of work a worker runs. It carries the engine *instance*, not
  its name, so an engine registered in the calling process (a notebook, a script, a test) fits in any worker,
  local or on a Dask cluster, whether or not the worker's own registry knows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..engines import Engine
from ..fit import run_fits
from ..memory import release_memory
from ..plan import FitGroup


@dataclass(frozen=True)
class PlannedGroup:
    """A fold group still to fit.

    Attributes
    ----------
    group : FitGroup
        The group, as the plan made it (its first fit is its reference).
    stored : frozenset of str
        The fit_ids of the group an earlier run stored: not fitted again.
    reference_values : dict or None
        The group's reference columns (:func:`boostreg.fit.reference_columns`) when its reference fit is among
        ``stored``; None when it is still to fit.
    data_file : str or None
        The run's saved copy of the group's cleaned dataset (:func:`boostreg.loading.save_for_workers`); None: a
        worker loads the dataset entry itself.
    """

    group: FitGroup
    stored: frozenset
    reference_values: dict | None = None
    data_file: str | None = None

    @property
    def to_fit(self) -> list[str]:
        """The fit_ids still to fit, in the group's order."""
        return [f.fit_id for f in self.group.fits if f.fit_id not in self.stored]


@dataclass(frozen=True)
class FitTask:
    """Some fits of one group, run by calling the task (in a worker): ``task()`` -> [(record, curves), ...].

    Attributes
    ----------
    group : FitGroup
        The fold group the fits belong to.
    fit_ids : tuple of str
        The fits to run (in the group's order; the group's reference first when among them).
    reference_values : dict or None
        The group's reference columns when its reference fit is not among ``fit_ids``.
    threads : int
        Threads per fit.
    engine : Engine
        The engine instance that fits them.
    fit_timeout : float or None
        Seconds each fit may take (the study's ``fit_timeout``; None: no limit). Enforced where the task runs in a
        process's main thread (a local worker, or this process), not in a Dask worker's threads.
    data_file : str or None
        The run's saved copy of the cleaned dataset (read when it exists where the task runs).
    """

    group: FitGroup
    fit_ids: tuple
    reference_values: dict | None
    threads: int
    engine: Engine
    fit_timeout: float | None = None
    data_file: str | None = None

    def __call__(self) -> list[tuple[dict, pd.DataFrame | None]]:
        try:
            return run_fits(
                self.group,
                self.fit_ids,
                self.reference_values,
                self.threads,
                self.engine,
                self.fit_timeout,
                data_file=self.data_file,
            )
        finally:
            release_memory()  # what the task's fits freed goes back to the system before the worker's next task
