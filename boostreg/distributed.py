"""Dask executor: fit groups run on a Dask cluster; records come back and are written here, as each group ends.

Dask is an optional extra (``pip install 'boostreg[dask]'``). Workers need boostreg installed and the
datasets reachable (built-ins always are; a user file must be on a path every worker can read).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from .errors import BoostregError
from .store import ParquetStore


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BoostregError("Dask is not installed; install it with: pip install 'boostreg[dask]' "
                            "(or pip install 'dask[distributed]').") from None
    return distributed


def _dask_task(group, threads, skip, reference):
    from .run import run_group

    results = []
    run_group(group, threads=threads, skip=skip, reference_magnitude=reference,
              on_fit=lambda record, curves: results.append((record, curves)))
    return results


def execute_dask(todo, out: Path, scheduler: str, threads: int, progress, fingerprint: str) -> None:
    """Submit every group to the cluster at ``scheduler``; store each group's records as it completes."""
    distributed = _import_distributed()
    store = ParquetStore(out)
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise BoostregError(f"cannot reach the Dask scheduler at '{scheduler}' ({err}); "
                            "check the address, or use --dask-local N.") from None
    with client:
        futures = [client.submit(_dask_task, g, threads, skip, ref, pure=False) for g, skip, ref in todo]
        for future in distributed.as_completed(futures):
            for record, curves in future.result():
                store.write({**record, "study_fingerprint": fingerprint}, curves)
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
