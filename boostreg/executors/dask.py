"""Dask executor: fit groups run on a Dask cluster; records come back and are written here, as each group ends.

Dask is an optional extra (``pip install 'boostreg[dask]'``). Workers need boostreg installed and the
datasets reachable (built-ins always are; a user file must be on a path every worker can read). Each task
carries its engine instance, serialized with cloudpickle: an engine registered in the calling process (a
notebook, a script) fits on the cluster although the workers' registries do not know it.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from ..errors import BoostregError
from ..fmt import num
from .task import FitTask, PlannedGroup


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BoostregError(
            "Dask is not installed; install it with: pip install 'boostreg[dask]' (or pip install 'dask[distributed]')."
        ) from None
    return distributed


def connect(scheduler: str):
    """A ``distributed.Client`` of the scheduler at ``scheduler``; one that cannot be reached is a one-line error
    (``run_study`` connects before it claims the output folder, so that nothing is written, and runs on that one
    client)."""
    distributed = _import_distributed()
    try:
        return distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise BoostregError(
            f"cannot reach the Dask scheduler at '{scheduler}' ({err}); check the address, or use --dask-local N."
        ) from None


def _run_pickled(payload: bytes):
    """Run a :class:`FitTask` serialized by cloudpickle (in a Dask worker)."""
    import cloudpickle

    return cloudpickle.loads(payload)()


def execute_dask(
    planned: list[PlannedGroup],
    engines: dict,
    client,
    threads: int,
    write,
    progress,
    fit_timeout: float | None = None,
) -> None:
    """Submit every planned group to the cluster of ``client`` (from :func:`connect`) as one task; hand each
    group's records to ``write`` as it completes (the caller writes them: records are written in one place, here).
    ``engines``: name -> the engine instance each task carries. ``fit_timeout`` cannot be enforced here: a Dask
    worker runs its tasks in threads, where no alarm signal reaches them; a run that sets it says so in one
    warning."""
    distributed = _import_distributed()
    if fit_timeout is not None:
        warnings.warn(
            f"fit_timeout = {num(fit_timeout, 'g')} s is not enforced on Dask (its workers run fits in threads, "
            "which an alarm cannot stop); a fit that hangs holds its worker until the run is stopped",
            UserWarning,
            stacklevel=2,
        )
    import cloudpickle  # Dask's own dependency

    # cloudpickle, not Dask's pickling: it serializes an engine class that no worker can import (defined in
    # __main__, a notebook, or a module registered with cloudpickle.register_pickle_by_value) by value
    tasks = [
        FitTask(
            p.group, tuple(p.to_fit), p.reference_values, threads, engines[p.group.engine], fit_timeout, p.data_file
        )
        for p in planned
    ]
    futures = [client.submit(_run_pickled, cloudpickle.dumps(t), pure=False) for t in tasks]
    for future in distributed.as_completed(futures):
        for record, curves in future.result():
            write(record, curves)
            progress.advance()
        future.release()


@contextmanager
def local_cluster(n_workers: int):
    """A LocalCluster of ``n_workers`` single-threaded worker processes; yields its scheduler address."""
    distributed = _import_distributed()
    if n_workers < 1:
        raise BoostregError(f"--dask-local {n_workers} is not allowed; give a number of workers >= 1.")
    with distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
