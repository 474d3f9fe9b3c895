"""Dask executor: fit groups run on a Dask cluster; records come back and are written here, as each group ends.

Dask is an optional extra (``pip install 'boostreg[dask]'``). Workers need boostreg installed and the
datasets reachable (built-ins always are; a user file must be on a path every worker can read).
"""

from __future__ import annotations

from contextlib import contextmanager
from .errors import BoostregError


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BoostregError("Dask is not installed; install it with: pip install 'boostreg[dask]' "
                            "(or pip install 'dask[distributed]').") from None
    return distributed


def _dask_task(group, threads, skip, reference):
    from .run import release_memory, run_fits

    try:
        return run_fits(group, [f.fit_id for f in group.fits if f.fit_id not in skip], reference, threads)
    finally:
        release_memory()


def execute_dask(todo, scheduler: str, threads: int, write, progress) -> None:
    """Submit every group to the cluster at ``scheduler``; hand each group's records to ``write`` as it completes
    (the caller writes them: records are written in one place, here)."""
    distributed = _import_distributed()
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise BoostregError(f"cannot reach the Dask scheduler at '{scheduler}' ({err}); "
                            "check the address, or use --dask-local N.") from None
    with client:
        futures = [client.submit(_dask_task, g, threads, skip, ref, pure=False) for g, skip, ref in todo]
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
    with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address
