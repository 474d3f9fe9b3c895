"""The local executor: fits scheduled on a warm pool of worker processes, records written here, in one place.

The unit of work is a **chunk**: a few fits of one fold group (``run.run_fits``). A worker bins a group's
training fold once and keeps it (``run.prepare_group``) for the next chunks of that group it takes, so the
pool schedules fits, not folds. Each group's reference fit (the unpenalized booster, whose first tree gives the
relative penalties' units and every fit's shrinkage) runs first, alone; when it returns, the group's other fits
are queued. Groups go longest first (rows x rounds), so no worker is left with the largest group at the end.

Memory: a worker keeps one binned fold (the one it used last), reads leaf ids a block of trees at a time, and
gives freed memory back to the system after each chunk (``run.release_memory``); a worker that fits only
LightGBM never imports XGBoost. benchmarks/README.md has the peak of every process against GridSearchCV's.

Workers only compute: every record comes back to this process, which writes it (a single writer), so nothing is
written after the run is gone. Workers also end with the run that started them, ``kill -9`` included (Linux:
the kernel kills them when their parent dies; everywhere: a watchdog thread checks the parent every second).

The pool is joblib's loky (a reusable executor): its workers are started once and reused by the next run in
the same process, and the tasks travel with cloudpickle, so a plain script without an ``if __name__ ==
"__main__"`` guard, a notebook, and engines defined in either all work.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Callable

from .errors import BoostregError

#: fits per task: small enough to keep every worker busy to the end, large enough that a task outweighs its
#: overhead (a task of 4 fits of 0.05 s is 0.2 s; sending it costs about 1 ms)
MAX_CHUNK = 8

_parent_pid: int | None = None


def _parent_alive() -> bool:
    return _parent_pid is None or os.getppid() == _parent_pid


def init_worker(parent_pid: int) -> None:
    """Make this worker end with the run that started it, and leave Ctrl-C and SIGTERM to the parent."""
    global _parent_pid
    _parent_pid = parent_pid
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if not _parent_alive():  # the parent died before the request above took effect
        os._exit(1)

    def watch():
        while True:
            time.sleep(1.0)
            if not _parent_alive():
                os._exit(1)

    threading.Thread(target=watch, name="boostreg-parent-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _task(group, fit_ids, reference, threads, engine):
    from .run import release_memory, run_fits

    try:
        return run_fits(group, fit_ids, reference, threads, engine)
    finally:
        release_memory()


def plan_tasks(todo, jobs: int):
    """Order the groups longest first and size the chunks: returns [(group, first_ids, rest_chunks, reference)],
    where ``first_ids`` is the reference fit to run alone first (empty when its columns are already known)."""
    remaining = sum(len(g.fits) - len(skip) for g, skip, _ in todo)
    chunk = max(1, min(MAX_CHUNK, -(-remaining // max(1, jobs * 4))))
    plans = []
    for group, skip, ref in sorted(todo, key=lambda t: -_cost(t[0])):
        ids = [f.fit_id for f in group.fits if f.fit_id not in skip]
        first = [ids[0]] if ids and ids[0] == group.fits[0].fit_id and ref is None else []
        rest = ids[len(first):]
        plans.append((group, first, [rest[i:i + chunk] for i in range(0, len(rest), chunk)], ref))
    return plans


def _cost(group) -> float:
    rounds = float(group.fixed.get("n_estimators", 100) or 100)
    return float(getattr(group, "n_rows", 0) or 1) * rounds * len(group.fits)


def execute_local(todo, jobs: int, threads: int, write: Callable, progress) -> None:
    """Run every chunk of ``todo`` ((group, stored fit_ids, reference columns or None) triples) on ``jobs``
    workers (or in this process when jobs == 1), writing each record with ``write(record, curves)``."""
    from .engines import ENGINES
    from .run import reference_columns, release_memory, run_fits

    release_memory()  # what loading and planning the datasets left in Arrow's pool
    plans = plan_tasks(todo, jobs)

    def reference_of(group, results):
        for record, _ in results:
            if record["fit_id"] == group.fits[0].fit_id and record.get("status") == "ok":
                return {c: record.get(c) for c in reference_columns(ENGINES[group.engine])}
        return None

    def deliver(results):
        for record, curves in results:
            write(record, curves)
            progress.advance()
        release_memory()  # the parent's Arrow buffers of the records just written

    if jobs == 1:
        for group, first, chunks, ref in plans:
            if first:
                results = run_fits(group, first, None, threads)
                deliver(results)
                ref = reference_of(group, results)
            for ids in chunks:
                deliver(run_fits(group, ids, ref, threads))
        return

    from joblib.externals.loky import get_reusable_executor

    quiet_resource_tracker()
    try:
        pool = get_reusable_executor(max_workers=jobs, timeout=60, initializer=init_worker,
                                     initargs=(os.getpid(),))
    except (OSError, RuntimeError) as err:
        raise BoostregError(f"worker processes could not start ({err}); pass jobs=1 (--jobs 1) to run in this "
                            "process.") from None
    pending = {}

    def submit(group, ids, ref, after_reference=None):
        fut = pool.submit(_task, group, ids, ref, threads, ENGINES[group.engine])
        pending[fut] = (group, after_reference)

    try:
        for group, first, chunks, ref in plans:  # every reference first, longest groups first
            if first:
                submit(group, first, None, after_reference=chunks)
        for group, first, chunks, ref in plans:
            if not first:
                for ids in chunks:
                    submit(group, ids, ref)
        while pending:
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                group, after = pending.pop(fut)
                results = fut.result()
                deliver(results)
                if after is not None:
                    ref = reference_of(group, results)
                    for ids in after:
                        submit(group, ids, ref)
    except BaseException:
        _stop(pool, pending)
        raise


#: a -W filter for loky's resource tracker process (it takes the interpreter's -W options when it starts)
TRACKER_FILTER = "ignore:resource_tracker:UserWarning"


def quiet_resource_tracker() -> None:
    """Keep loky's resource tracker from printing "leaked semlock objects" when a run is stopped (Ctrl-C, SIGTERM).

    The pool's semaphores are unlinked as it shuts down, but the tracker may not have heard so when this process
    exits; it then "cleans up" what is already gone and warns twice (leaked, then FileNotFoundError) on the user's
    terminal, after boostreg's one line. The tracker is a separate process started with this interpreter's -W
    options, so a filter added to ``sys.warnoptions`` before it starts silences exactly those messages there."""
    if TRACKER_FILTER not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_FILTER)


def _quiet_pool_threads() -> None:
    """The pool's own threads can trip over a shutdown that interrupts them (a KeyError or InvalidStateError in
    loky's manager thread); when the run is stopping on purpose, that is not news for the user: say nothing."""
    previous = threading.excepthook

    def hook(args):
        name = getattr(args.thread, "name", "") or ""
        if name.startswith(("ExecutorManagerThread", "QueueFeederThread")) or "loky" in name.lower():
            return
        previous(args)

    threading.excepthook = hook


def _stop(pool, pending) -> None:
    """Stop now (a fit cut short is simply not stored): loky kills its workers and fails what is pending; any
    worker still there is killed too, so nothing keeps the process from exiting."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    _quiet_pool_threads()
    try:
        pool.shutdown(wait=False, kill_workers=True)
    except Exception:  # noqa: BLE001 - the pool is being torn down on purpose; nothing to report
        pass
    for process in processes:
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass
    for process in processes:
        try:
            process.join(timeout=5)
        except (OSError, AttributeError, ValueError, AssertionError):
            pass
