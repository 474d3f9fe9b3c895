"""The local executor: fits scheduled on a warm pool of worker processes, records written here, in one place.

The unit of work is a **task** (:class:`~boostreg.executors.task.FitTask`): some fits of one fold group. A
worker bins a group's training fold once and keeps it (``fit.prepare_group``) for the next task of that group it
takes, so the pool schedules fits, not folds. Each group's reference fit (the unpenalized booster, whose first tree
gives the relative penalties' units and every fit's shrinkage) runs before the group's other fits: in the same task
when the whole group fits one, else alone first, the other fits going in chunks once it returns. Groups go longest
first (by the cost model, :mod:`boostreg.executors.cost`), and a task is cut only when a worker is about to be free,
at a size that shrinks with the work left (``FitQueue``), so no worker is left with a long task at the end.

Memory: a worker keeps one binned fold (the one it used last), reads leaf ids a block of trees at a time, and
gives freed memory back to the system after each chunk (``memory.release_memory``); a worker imports only the
libraries of the engines it fits. benchmarks/README.md has the peak of every process against GridSearchCV's.

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
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait

from ..errors import BoostregError
from ..fit import failed_reference, reference_columns
from ..memory import release_memory
from .cost import fit_seconds
from .task import FitTask, PlannedGroup

#: most fits per task: a group of a default grid (16 fits) goes whole, so its fold is binned once; larger tasks
#: would hold back a worker's progress bar and lose more when a run is stopped
MAX_CHUNK = 16
#: a chunk holds at most 1/(GUIDED * workers) of the work not yet sent (guided self-scheduling, see FitQueue):
#: chunks shrink toward the end, the last ones are single fits, so no worker is left with a long chunk while the
#: others wait (fixed chunks left one worker idle at the end of a run)
GUIDED = 2

_parent_pid: int | None = None

#: stop signals the run command's handler saw (``cli._stop_signal``); the executor raises the last between tasks,
#: in case the handler's own exception was dropped (raised inside an object's __del__)
STOP_REQUESTS: list[type[BaseException]] = []


def _check_stop() -> None:
    if STOP_REQUESTS:
        raise STOP_REQUESTS[-1]()


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


class FitQueue:
    """The fits still to send to a worker, cut into a task when a worker is free (guided self-scheduling).

    ``entries``: (key, fit_ids, cost of one fit, whether the first id is the group's reference, not yet fitted) in
    the order to run them (longest groups first). A task holds at most 1/(GUIDED x jobs) of the cost still unsent
    (and at most MAX_CHUNK fits, at least one), so tasks shrink as the queue drains and the last ones are single
    fits. A task never spans two groups: its fits share the worker's binned fold.

    A group that fits in one task goes whole: its reference first, in the same task, so the worker bins the fold
    once for all of them (a study of many small groups re-binned each group for its reference and again for each
    chunk: 2-3 times, as long as a fit). A group too large for one task sends its reference alone, before any
    other task, and its other fits in chunks once the reference has returned (``reference_known``); whichever
    returns first, the first group in plan order that can go goes next.
    ``benchmarks/schedule_simulation.py`` replays a run's fit times through this same class."""

    def __init__(self, entries, jobs: int):
        self.jobs = max(1, jobs)
        self._refs = {key: ids[:1] for key, ids, _, first in entries if first and ids}  # references not yet sent
        self._rest = {key: (list(ids[1:] if first else ids), cost) for key, ids, cost, first in entries}
        self._known = {key for key, _, _, first in entries if not first}  # a reference known (stored, or returned)
        self._active = dict.fromkeys(key for key, ids, _, _ in entries if ids)  # fits still unsent, in plan order
        self.remaining = sum((len(ids) + (key in self._refs)) * cost for key, (ids, cost) in self._rest.items())
        # a group goes whole while the work left exceeds its threshold (_threshold): the largest threshold last
        self._split_next = sorted((self._threshold(key), -i, key) for i, key in enumerate(self._refs))

    def reference_known(self, key) -> None:
        """The group's reference returned: its other fits may go."""
        self._known.add(key)

    def _size(self, n: int, cost: float) -> int:
        """Fits of one cost in the next task: its share of the work left, at most ``n`` and MAX_CHUNK."""
        return int(min(n, MAX_CHUNK, max(1, -(-self.remaining // (GUIDED * self.jobs * cost)))))

    def _threshold(self, key) -> float:
        """The group (reference and n other fits) fits one task while ``remaining`` > n x GUIDED x jobs x cost."""
        ids, cost = self._rest[key]
        return len(ids) * GUIDED * self.jobs * cost if len(ids) < MAX_CHUNK else float("inf")

    def _whole(self, key) -> bool:
        ids, cost = self._rest[key]
        return self._size(len(ids) + 1, cost) == len(ids) + 1

    def next(self, prefer=None):
        """(key, fit_ids, is_reference) to send now, or None when nothing can go until a reference returns.
        ``is_reference``: the task's first fit is its group's reference (the others in it, if any, use it).
        ``prefer``: the group of the task that just returned; its next chunk goes first, as the worker that is free
        now holds that group's binned fold (cutting and binning another costs as much as a fit at 500,000 rows)."""
        while self._split_next:  # a reference whose group must go in chunks unblocks them: alone, first
            key = self._split_next[-1][2]
            if key in self._refs and self._whole(key):
                break  # and so is every group with a lower threshold
            self._split_next.pop()
            if key in self._refs:
                return self._send(key, 0)
        if prefer in self._active and prefer in self._known and prefer not in self._refs:
            ids, cost = self._rest[prefer]
            return self._send(prefer, self._size(len(ids), cost))
        for key in self._active:  # skips only the groups whose reference is out (at most jobs)
            ids, cost = self._rest[key]
            if key in self._refs:  # the whole group in one task, its reference first
                return self._send(key, len(ids) if self._whole(key) else 0)
            if key in self._known:
                return self._send(key, self._size(len(ids), cost))
        return None

    def _send(self, key, size: int):
        ids, cost = self._rest[key]
        ref = self._refs.pop(key, [])
        chunk, self._rest[key] = ids[:size], (ids[size:], cost)
        self.remaining -= (len(ref) + size) * cost
        if not self._rest[key][0]:
            self._active.pop(key, None)
        return key, ref + chunk, bool(ref)


def plan_entries(planned: list[PlannedGroup]):
    """The planned groups, longest first, as :class:`FitQueue` entries keyed by their position in ``planned``."""
    entries = []
    for i, p in sorted(enumerate(planned), key=lambda t: -fit_seconds(t[1].group) * len(t[1].group.fits)):
        ids = p.to_fit
        first = bool(ids) and ids[0] == p.group.fits[0].fit_id and p.reference_values is None
        entries.append((i, ids, fit_seconds(p.group), first))
    return entries


def execute_local(
    planned: list[PlannedGroup],
    engines: dict,
    jobs: int,
    threads: int,
    write: Callable,
    progress,
    fit_timeout: float | None = None,
) -> None:
    """Run every fit still to fit of ``planned`` on ``jobs`` workers (or in this process when jobs == 1), writing
    each record with ``write(record, curves)``. ``engines``: name -> the engine instance each task carries;
    ``fit_timeout``: the seconds each fit may take (None: no limit), enforced in the worker (or in this process
    when it is its main thread)."""
    release_memory()  # what loading and planning the datasets left in Arrow's pool
    queue = FitQueue(plan_entries(planned), jobs)
    reference_values = {i: p.reference_values for i, p in enumerate(planned)}

    def task(key, ids) -> FitTask:
        group = planned[key].group
        return FitTask(
            group,
            tuple(ids),
            reference_values[key],
            threads,
            engines[group.engine],
            fit_timeout,
            planned[key].data_file,
        )

    def reference_of(group, results):
        for record, _ in results:
            if record["fit_id"] == group.fits[0].fit_id:
                if record.get("status") != "ok":  # the group's other fits say why its values are missing
                    return failed_reference(record)
                return {c: record.get(c) for c in reference_columns(engines[group.engine])}
        return None

    def learn(key, results, is_reference):
        """What the queue needs from a returned task before the next goes: its group's reference values."""
        if is_reference:
            reference_values[key] = reference_of(planned[key].group, results)
            queue.reference_known(key)

    def deliver(results):
        for record, curves in results:
            write(record, curves)
            progress.advance()
        release_memory()  # the parent's Arrow buffers of the records just written

    if jobs == 1:
        while (sent := queue.next()) is not None:
            _check_stop()
            key, ids, is_reference = sent
            results = task(key, ids)()
            learn(key, results, is_reference)
            deliver(results)
        return

    from joblib.externals.loky import get_reusable_executor

    quiet_resource_tracker()
    try:
        pool = get_reusable_executor(max_workers=jobs, timeout=60, initializer=init_worker, initargs=(os.getpid(),))
    except (OSError, RuntimeError) as err:
        raise BoostregError(
            f"worker processes could not start ({err}); pass jobs=1 (--jobs 1) to run in this process."
        ) from None
    pending = {}

    def fill(prefer=None):
        """Keep every worker busy, each chunk sized when it is sent. No task waits in the pool's queue: the task sent
        when one returns goes to the worker just freed, so it can be of that worker's group (``prefer``); a waiting
        task, sized and chosen before anyone knew which worker would take it, made workers bin other folds."""
        while len(pending) < jobs and (sent := queue.next(prefer)) is not None:
            key, ids, is_reference = sent
            pending[pool.submit(task(key, ids))] = (key, is_reference)

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                key, is_reference = pending.pop(fut)
                results = fut.result()
                learn(key, results, is_reference)
                fill(prefer=key)  # before writing the records: the free worker waits for nothing but this
                deliver(results)
            _check_stop()
            fill()
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
    except Exception:  # noqa: BLE001, S110 - the pool is being torn down on purpose; nothing to report
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
