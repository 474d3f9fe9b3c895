"""Run a study: load and validate everything, plan, claim the output folder, then execute the fits that are not
stored yet and write their records.

The pieces live apart: :mod:`boostreg.fit` fits one fit into its record, :mod:`boostreg.executors` runs the fits
(in this process, on a pool of worker processes, or on Dask), :mod:`boostreg.rundir` owns the output folder (its
identity, checks, log of runs) and :mod:`boostreg.store` its records. Every record comes back to
:func:`run_study`, which writes it.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .deadline import can_enforce_timeout
from .engines import get_engine
from .errors import BoostregError
from .executors import PlannedGroup, execute_local
from .executors.dask import connect, execute_dask
from .fit import reference_columns
from .fmt import num
from .loading import load_dataset, load_quietly, save_for_workers
from .memory import release_memory
from .plan import FitGroup, make_plan
from .progress import Progress
from .results import Run
from .rundir import (
    append_run,
    claim_folder,
    releases_lock,
    study_identity,
    write_study_files,
)
from .store import ParquetStore
from .study import Study, validate


@dataclass
class StudyResult(Run):
    """What :func:`run_study` leaves: the output folder and its records (a :class:`~boostreg.results.Run`), and
    what this run did.

    Parameters
    ----------
    out : Path
        The output folder.
    n_planned : int
        Fits in the study's plan.
    n_run : int
        Fits this run fitted (the others were stored by an earlier run into the same folder).
    n_skipped : int
        Fits already stored, not fitted again.
    wall_time_s : float
        Seconds the run took, loading and planning included.
    models : list of Path
        The refit models saved under OUT/models/ (``Study(refit=...)``).

    Returns
    -------
    StudyResult
        A :class:`~boostreg.results.Run` of ``out`` with the counts above.
    """

    n_planned: int = 0
    n_run: int = 0
    n_skipped: int = 0
    wall_time_s: float = 0.0
    models: list = field(default_factory=list)


def _choose_layout(jobs: int | None, n_fits: int) -> tuple[int, int]:
    """Processes x threads per fit: one single-threaded fit per process, one process per core by default.

    More processes with one thread each are faster than fewer with more threads (benchmarks/layout.py), and the
    records do not depend on the layout: an engine's own per-round metric sums in its threads' order, so every
    fit gets one thread and the records are bit-identical whatever the number of workers."""
    cores = os.cpu_count() or 1
    if jobs is None:
        jobs = cores
    if jobs < 1:
        raise BoostregError(f"--jobs {jobs} is not allowed; use a whole number >= 1 (this machine has {cores} cores).")
    return max(1, min(jobs, n_fits)), 1


def _planned_groups(
    groups: list[FitGroup], store: ParquetStore, engines: dict, data_files: dict | None = None
) -> list[PlannedGroup]:
    """The groups with fits still to fit, each with its stored fits and, when its reference fit landed in an
    earlier run, that fit's reference values; ``data_files``: dataset label -> the run's saved copy of it."""
    data_files = data_files or {}
    stored = store.fit_ids()
    stored_records = None
    planned = []
    for g in groups:
        if all(f.fit_id in stored for f in g.fits):
            continue
        reference_values = None
        reference_id = g.fits[0].fit_id
        if reference_id in stored:  # the unpenalized fit landed in an earlier run: reuse its values
            if stored_records is None:
                stored_records = store.fits().set_index("fit_id")
            if reference_id in stored_records.index:
                reference_values = {
                    c: float(stored_records.at[reference_id, c]) for c in reference_columns(engines[g.engine])
                }
        planned.append(
            PlannedGroup(
                g,
                frozenset(f.fit_id for f in g.fits if f.fit_id in stored),
                reference_values,
                data_files.get(g.dataset),
            )
        )
    return planned


@releases_lock
def run_study(
    study: Study,
    out: str | Path,
    *,
    jobs: int | None = None,
    progress: bool = True,
    force: bool = False,
    scheduler: str | None = None,
) -> StudyResult:
    """Run every fit of ``study`` not yet stored under ``out``; return where the records are.

    All input is loaded and validated before anything is written, so a bad study leaves no trace. A folder that
    holds this study's records resumes (stored fits are not fitted again); one that holds another study's is refused
    unless ``force``.

    Parameters
    ----------
    study : Study
        The study (:class:`boostreg.Study`, or ``load_study(PATH)``).
    out : str or Path
        The output folder (created when missing).
    jobs : int, optional
        Worker processes on this machine (default: one per core; 1 runs every fit in this process).
    progress : bool, default True
        Show a progress bar (on stderr).
    force : bool, default False
        When ``out`` holds another study's records, move them to OUT/previous/<fingerprint>/ and start anew.
    scheduler : str, optional
        The address of a Dask scheduler to run the fits on instead of this machine's processes.

    Returns
    -------
    StudyResult
        The folder's records (a :class:`~boostreg.results.Run`) with this run's counts and wall time.
    """
    t_start = time.perf_counter()
    if not isinstance(study, Study):
        raise BoostregError(
            f"run_study needs a Study, got {type(study).__name__}; build one with Study(...) or load_study(PATH)."
        )
    validate(study)  # again: a Study's dicts and lists can be changed after it was built
    out = Path(out)
    _choose_layout(jobs, 1)  # reject a bad --jobs before anything is written
    # an unreachable scheduler is found before anything is written (once: it left OUT/study.json, refusing the fix);
    # the one client then serves the whole run
    with connect(scheduler) if scheduler is not None else nullcontext() as client:
        return _run(study, out, jobs, progress, force, client, t_start)


def _run(study: Study, out: Path, jobs, progress: bool, force: bool, client, t_start: float) -> StudyResult:
    """run_study after its checks: load, plan, claim the folder, fit what is missing (on ``client``, a Dask
    client, when given), log the run."""
    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    groups = make_plan(study, datasets)
    identity = study_identity(study, datasets, groups)
    # the datasets travel to the workers as files in a folder of this run's own (workers read them instead of
    # loading and cleaning the user's files again); this process keeps no table while the fits run
    with tempfile.TemporaryDirectory(prefix="boostreg-data-") as data_dir:
        files = {label: save_for_workers(ds, data_dir) for label, ds in datasets.items()}
        del datasets
        release_memory()
        result = _fit_and_log(study, out, jobs, progress, force, client, t_start, groups, identity, files)
    if study.refit:
        datasets = {spec.label: load_quietly(spec) for spec in study.datasets}  # loading them warned once already
        result.models = result.refit_all(study.refit, datasets)
    return result


def _fit_and_log(
    study: Study, out: Path, jobs, progress: bool, force: bool, client, t_start: float, groups, identity, files
) -> StudyResult:
    """Claim the folder, fit what is missing, log the run."""
    moved = claim_folder(out, identity, force)
    if moved:
        warnings.warn(
            f"the earlier study's records in '{out}' were moved to '{moved}' (--force)", UserWarning, stacklevel=2
        )
    store = ParquetStore(out)
    store.create()
    for note in store.heal():
        warnings.warn(note, UserWarning, stacklevel=2)
    store.compact()  # one-fit files a killed run left
    retried = store.drop_failed()
    if retried:
        warnings.warn(f"{retried} fit(s) that failed in an earlier run will be tried again", UserWarning, stacklevel=2)
    engines = {name: get_engine(name) for name in dict.fromkeys(g.engine for g in groups)}
    planned = _planned_groups(groups, store, engines, files)
    n_planned = sum(len(g.fits) for g in groups)
    n_to_fit = sum(len(p.to_fit) for p in planned)
    write_study_files(out, study, identity)
    jobs, threads = _choose_layout(jobs, max(1, n_to_fit))
    if study.fit_timeout is not None and client is None and jobs == 1 and not can_enforce_timeout():
        warnings.warn(
            f"fit_timeout = {num(study.fit_timeout, 'g')} s is not enforced: with jobs=1 the fits run in this "
            "thread, which is not the main thread (an alarm cannot stop them); call run_study from the main "
            "thread, or use jobs >= 2",
            UserWarning,
            stacklevel=2,
        )
    fingerprint = identity["fingerprint"]

    def write(record, curves):
        store.write({**record, "study_fingerprint": fingerprint}, curves)

    try:
        with Progress(n_to_fit, progress, study.name) as bar:
            if client is not None:
                execute_dask(planned, engines, client, threads, write, bar, study.fit_timeout)
            else:
                execute_local(planned, engines, jobs, threads, write, bar, study.fit_timeout)
    finally:
        try:
            store.compact()
        except OSError:
            pass  # the next run compacts what is left
        release_memory()
    wall = time.perf_counter() - t_start
    append_run(out, study, n_planned, n_to_fit, wall, jobs, threads)
    return StudyResult(out=out, n_planned=n_planned, n_run=n_to_fit, n_skipped=n_planned - n_to_fit, wall_time_s=wall)
