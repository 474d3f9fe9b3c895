"""Run a study: load and validate everything, plan, then execute the fits, skipping stored fit_ids.

This module knows how to fit one fit of a group (``fit_one``, ``run_fits``) and how a run goes from a study to
records (``run_study``: the output folder's identity, healing, the run log). Executors live apart:
``execute.py`` (this machine: in process, or a warm pool of worker processes) and ``distributed.py`` (Dask);
both hand every record back to ``run_study``, which writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import tomli_w

from . import measure, penalty_axis
from .data import Dataset, load_builtin, load_file, load_frame
from .engines import ENGINES, Fold
from .errors import BoostregError
from .paths import check_out_folder, check_unlocked, lock_out, unlock_out
from .results import Run
from .plan import FitGroup, fold_digest, make_plan, split_folds, validation_split
from .store import ParquetStore, record_problems
from .study import BOOSTER_PARAMS, PENALTIES, RELATIVE_UNIT, DatasetSpec, Study


@dataclass
class StudyResult(Run):
    """What ``run_study`` leaves: the output folder and its tables (a :class:`~boostreg.results.Run`), and counts."""

    n_planned: int = 0
    n_run: int = 0
    n_skipped: int = 0
    wall_time_s: float = 0.0
    #: the refit models saved under OUT/models/ (``Study(refit=...)``)
    models: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- datasets

def load_dataset(spec: DatasetSpec) -> Dataset:
    """A study's dataset entry -> Dataset (an in-memory frame, a built-in by name, or a user file)."""
    if spec.frame is not None:
        return load_frame(spec.frame, spec.target, name=spec.name, task=spec.task, max_rows=spec.max_rows,
                          groups=spec.groups)
    if spec.name:
        return load_builtin(spec.name, max_rows=spec.max_rows, params=spec.params or None)
    return load_file(spec.file, spec.target, task=spec.task, max_rows=spec.max_rows, groups=spec.groups)


#: datasets loaded in this process (a worker loads each once), by their spec
_DATASETS: dict[str, Dataset] = {}


def _cached_dataset(spec: DatasetSpec) -> Dataset:
    key = _spec_key(spec)
    if key not in _DATASETS:
        with warnings.catch_warnings():  # the main process already warned about this dataset
            warnings.simplefilter("ignore")
            _DATASETS[key] = load_dataset(spec)
        while len(_DATASETS) > 4:
            _DATASETS.pop(next(iter(_DATASETS)))
    return _DATASETS[key]


def _spec_key(spec: DatasetSpec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------------- one group

def _identity(group: FitGroup, spec, engine_version: str, params: dict) -> dict:
    """The identity columns of a fit's record; ``params`` are the raw values the engine receives."""
    record = {
        "study": spec.study, "dataset": group.dataset, "task": group.task, "engine": group.engine,
        "engine_version": engine_version, "fold": group.fold, "seed": group.seed, "n_splits": group.n_splits,
        "fit_id": spec.fit_id, "group_id": group.group_id, "in_grid": spec.in_grid, "is_default": spec.is_default,
        "point_label": spec.label or None,
        "primary_metric": group.primary_metric, "params_json": json.dumps(params, sort_keys=True),
    }
    for key in BOOSTER_PARAMS:
        if key in params:
            record[key] = float(params[key])
    if "penalty" in params:  # a baseline's alpha or C
        record["penalty"] = float(params["penalty"])
    return record


#: the reference (unpenalized fit) column that one unit of a relative penalty is
RELATIVE_UNIT_COLUMN = {"reg_alpha": "first_tree_grad_abs_max", "reg_lambda": "first_tree_hess_mean"}


def resolve_penalties(spec, reference: dict | None) -> dict:
    """A fit's raw parameters: each relative penalty times its unit from the group's unpenalized fit."""
    params = dict(spec.params)
    for key in spec.relative:
        unit = (reference or {}).get(RELATIVE_UNIT_COLUMN[key], np.nan)
        if not (unit is not None and np.isfinite(unit) and unit > 0):
            raise BoostregError(f"relative {key} needs {RELATIVE_UNIT[key]} from the unpenalized fit's first tree, "
                                f"which is {unit} (that fit failed or built no tree)")
        params[key] = float(spec.params[key] * unit)
    return params


def _relative_columns(spec, params: dict, reference: dict | None) -> dict:
    """Each penalty in the data's units (reg_alpha / alpha_max, reg_lambda / H-bar) and the units its grid used."""
    out = {}
    for key in PENALTIES:
        if key in spec.relative:
            out[f"{key}_relative"] = float(spec.params[key])
        else:
            unit = (reference or {}).get(RELATIVE_UNIT_COLUMN[key], np.nan)
            ok = unit is not None and np.isfinite(unit) and unit > 0
            out[f"{key}_relative"] = float(params[key]) / unit if ok else (0.0 if params[key] == 0 else np.nan)
        out[f"{key}_units"] = "relative" if key in spec.relative else "raw"
    return out


#: booster record columns the penalty axis takes from the group's unpenalized fit
BOOSTER_AXIS_COLUMNS = ("first_tree_grad_abs_max", "first_tree_hess_mean")


def reference_columns(engine) -> tuple[str, ...]:
    """The columns of a group's reference (first) fit that the group's other fits are measured against."""
    return (engine.magnitude_column,) + (BOOSTER_AXIS_COLUMNS if engine.kind == "booster" else ())


def _booster_axis(params: dict, reference: dict | None) -> dict:
    """penalty_kind and the normalized penalties of a booster fit (see boostreg.penalty_axis)."""
    ref = reference or {}
    a = penalty_axis.booster_l1(params["reg_alpha"], ref.get("first_tree_grad_abs_max", np.nan))
    l = penalty_axis.booster_l2(params["reg_lambda"], ref.get("first_tree_hess_mean", np.nan))
    kind = penalty_axis.booster_kind(params["reg_alpha"], params["reg_lambda"])
    return {"penalty_kind": kind, "alpha_normalized": a, "lambda_normalized": l,
            "penalty_normalized": penalty_axis.combine(kind, a, l)}


@dataclass
class PreparedGroup:
    """A fold group made ready to fit: its fold, the identity columns every record shares, and the engine's binned
    training data (or the error preparing it raised: every fit of the group then records it)."""

    fold: Fold
    base: dict
    prepared: object
    error: Exception | None
    version: str


#: prepared folds kept per process (a worker keeps the fold it binned for the next fits of the same group). One:
#: a worker mostly takes chunks of one group in a row, re-binning a fold costs 0.1-0.2 s against a chunk's many
#: seconds, and each fold kept (data copies and the engine's binned matrix) is 20-25 MB of a worker's peak
#: on 40k x 20 rows.
_PREPARED: dict[tuple[str, int], PreparedGroup] = {}
PREPARED_CACHE_SIZE = 1


def release_memory() -> None:
    """Give the memory freed by a task back to the system (Arrow's pool and, on glibc, malloc's free lists), so that
    a worker's next fit peaks from its working set, not from what earlier fits left behind (about 20 MB a worker
    on 40k-row folds). Costs well under a millisecond."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    import ctypes
    import platform as _platform

    if _platform.system() != "Linux" or _platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _glibc()


def prepare_group(group: FitGroup, engine, threads: int) -> PreparedGroup:
    """Bin a group's training fold once per process: later fits of the group here reuse it."""
    key = (group.group_id, threads)
    if key in _PREPARED:
        _PREPARED[key] = _PREPARED.pop(key)  # most recently used last
        return _PREPARED[key]
    ds = _cached_dataset(group.dataset_spec)
    if ds.fingerprint != group.fingerprint:
        raise BoostregError(f"dataset '{group.dataset}' changed while the study ran (fingerprint "
                            f"{ds.fingerprint} != {group.fingerprint}); run the study again.")
    if group.rows is not None:  # the rows the plan split once: the same for every engine of this fold and seed
        train, test = (np.asarray(r, dtype=np.int64) for r in group.rows)
    else:
        train, test = split_folds(ds, group.n_splits, group.seed, group.cv)[group.fold]
    valid_X = valid_y = None
    n_valid = 0
    if group.validation_fraction:  # selection and early stopping: the same rows for every engine of the study
        train, valid = validation_split(train, ds.y, ds.task, group.validation_fraction, group.seed,
                                        groups=getattr(ds, "groups", None))
        valid_X, valid_y, n_valid = ds.X.iloc[valid], ds.y[valid], len(valid)
    fold = Fold(ds.X.iloc[train], ds.y[train], ds.X.iloc[test], ds.y[test], ds.task,
                primary_metric=group.primary_metric, noise_features=ds.noise, keep_leaves=group.keep_leaves,
                X_valid=valid_X, y_valid=valid_y)
    base = {"fold_digest": fold_digest(test), "n_train": len(train), "n_test": len(test), "n_features": ds.X.shape[1],
            "n_valid": n_valid}
    prepared, error = None, None
    try:
        prepared = engine.prepare(fold, group.fixed, threads=threads)
    except Exception as err:  # an engine error is data: every fit of the group records it
        error = err
    entry = PreparedGroup(fold, base, prepared, error, _engine_version(engine))
    _PREPARED[key] = entry
    while len(_PREPARED) > PREPARED_CACHE_SIZE:
        _PREPARED.pop(next(iter(_PREPARED)))
    return entry


def fit_one(group: FitGroup, spec, engine, ready: PreparedGroup, reference: dict | None, threads: int) -> tuple:
    """Fit and measure one fit of a group: (record, curves, reference) — the last is the group's reference columns,
    taken from this record when it is the group's reference fit, else the ``reference`` given."""
    unresolved = {**spec.params, **{k: np.nan for k in spec.relative}}
    record = {**_identity(group, spec, ready.version, unresolved), **ready.base}
    curves = None
    is_reference = spec.fit_id == group.fits[0].fit_id
    try:
        if ready.error is not None:
            raise ready.error
        params = spec.params
        if engine.kind == "booster":
            params = resolve_penalties(spec, reference)
            record.update(_identity(group, spec, ready.version, params))
            record.update(_relative_columns(spec, params, reference))
        run_params = {**params, "_check": spec.check} if engine.kind == "booster" else params
        if spec.is_default and getattr(engine, "own_default_fit", False):  # the estimator as users run it
            run_params = {**params, "_default": True}
        t0 = time.perf_counter()
        model = engine.fit(ready.prepared, run_params, seed=group.seed, threads=threads)
        t1 = time.perf_counter()
        measured, curves = engine.measure(model, ready.prepared, run_params, ready.fold)
        t2 = time.perf_counter()
        del model
        wrong = record_problems(measured, columns=getattr(engine, "record_columns", None))
        if wrong:  # a value its column cannot hold (a plug-in's text in a number column): this fit fails, not the run
            measured = {k: v for k, v in measured.items() if k not in wrong}
            record.update(measured)
            raise BoostregError(f"the engine's measure returned {'; '.join(list(wrong.values())[:3])}"
                                f"{', ...' if len(wrong) > 3 else ''}")
        record.update(measured)
        # a metric that is NaN or infinite (predictions that overflowed, e.g. learning_rate = 1e30; a plugin's NaN) is
        # a failed fit, never an "ok" one that vanishes from summaries or wins a selection at -inf
        # the primary metric (the record's errors): a metric a model has no meaning for (LinearSVC's log loss,
        # without probabilities) is NaN by design and not checked
        scored = ["test_error", "train_error"] + (["valid_error"] if record.get("n_valid") else [])
        if record.get("task") == "regression":
            scored += ["test_rmse", "test_mae", "train_rmse", "train_mae"]
        bad = [f"{k} = {record[k]}" for k in scored if k in record and not _is_finite_number(record[k])]
        if bad:
            more = ", ..." if len(bad) > 3 else ""
            raise BoostregError(f"non-finite metric(s) {', '.join(bad[:3])}{more}: the model's predictions are NaN or "
                                "infinite (e.g. a learning_rate too large for the data)")
        record.update(status="ok", fit_time_s=t1 - t0, measure_time_s=t2 - t1)
        record["generalization_gap"] = record["test_error"] - record["train_error"]
        if is_reference:
            reference = {c: record.get(c, np.nan) for c in reference_columns(engine)}
            if engine.kind == "booster":  # its own relative columns, now that its first tree is known
                record.update(_relative_columns(spec, params, reference))
        magnitude = reference.get(engine.magnitude_column) if reference is not None else None
        record["shrinkage_vs_unpenalized"] = (
            measure.shrinkage(record[engine.magnitude_column], magnitude) if magnitude is not None else np.nan)
        if engine.kind == "booster":
            record.update(_booster_axis(params, reference))
    except Exception as err:
        record.update(status="failed", error=error_text(err))
        curves = None
    return record, curves, reference


def run_fits(group: FitGroup, fit_ids, reference: dict | None, threads: int, engine=None) -> list[tuple]:
    """Fit these fits of one group, in the group's order (its reference first when among them); return
    (record, curves) pairs. The unit of work an executor hands a worker; ``engine`` travels with the task so that
    engines registered in the calling process (a notebook) work in workers too."""
    engine = engine or ENGINES[group.engine]
    wanted = set(fit_ids)
    ready = prepare_group(group, engine, threads)
    if reference is not None and not isinstance(reference, dict):
        reference = {engine.magnitude_column: float(reference)}
    out = []
    for spec in group.fits:
        if spec.fit_id not in wanted:
            continue
        record, curves, reference = fit_one(group, spec, engine, ready, reference, threads)
        out.append((record, curves))
    return out


def run_group(group: FitGroup, *, threads: int, skip: frozenset[str] = frozenset(),
              reference_magnitude: float | dict | None = None,
              on_fit: Callable[[dict, pd.DataFrame | None], None]) -> None:
    """Fit and measure every not-yet-stored fit of one group in this process; hand each record to ``on_fit``.

    The group's first fit (the unpenalized booster, or the least penalized baseline) is its reference;
    ``reference_magnitude`` carries that fit's :func:`reference_columns` when an earlier run stored it. A fit that
    raises is recorded with status "failed" and the message; the group goes on.
    """
    engine = ENGINES[group.engine]
    ready = prepare_group(group, engine, threads)
    reference = reference_magnitude
    if reference is not None and not isinstance(reference, dict):
        reference = {engine.magnitude_column: float(reference)}
    for spec in group.fits:
        if spec.fit_id in skip:
            continue
        record, curves, reference = fit_one(group, spec, engine, ready, reference, threads)
        on_fit(record, curves)


def _is_finite_number(value) -> bool:
    """A metric a record can hold as "ok": a real, finite number (not NaN, inf, text or None)."""
    try:
        return not isinstance(value, (bool, str)) and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def error_text(err: BaseException, frames: int = 3) -> str:
    """A failed fit's error for its record: type and first line of the message, then its last frames."""
    head = f"{type(err).__name__}: {err}".splitlines()[0][:400]
    stack = traceback.extract_tb(err.__traceback__)[-frames:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(stack))
    return f"{head} [at {where}]" if where else head


def _engine_version(engine) -> str:
    import importlib

    library = getattr(engine, "library", None) or engine.name  # the baselines are scikit-learn's
    try:
        return getattr(importlib.import_module(library), "__version__", "?")
    except ImportError:
        return "?"


# ---------------------------------------------------------------------------------------------- executors

def _choose_layout(jobs: int | None, n_fits: int) -> tuple[int, int]:
    """Processes x threads per fit: one single-threaded fit per process, one process per core by default.

    Faster than fewer processes with more threads (measured: 2 x 1 is 1.17 x faster than 1 x 2 on 2 cores), and
    the records do not depend on the layout: an engine's own per-round metric sums in its threads' order
    (LightGBM's training-set evaluation differs by ~3e-15 between 1 and 2 threads), so every fit gets one thread
    and the records are bit-identical whatever the number of workers."""
    cores = os.cpu_count() or 1
    if jobs is None:
        jobs = cores
    if jobs < 1:
        raise BoostregError(f"--jobs {jobs} is not allowed; use a whole number >= 1 (this machine has {cores} cores).")
    return max(1, min(jobs, n_fits)), 1


class _Progress:
    """A rich progress bar with ETA over fits (silent when disabled)."""

    def __init__(self, total: int, enabled: bool, description: str):
        self.enabled = enabled and total > 0
        if self.enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            from rich.console import Console

            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("fits"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                console=Console(stderr=True))  # progress on stderr, results on stdout
            self.task = self.bar.add_task(description, total=total)

    def __enter__(self):
        if self.enabled:
            self.bar.__enter__()
        return self

    def advance(self, n: int = 1):
        if self.enabled:
            self.bar.advance(self.task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)


# ---------------------------------------------------------------------------------------------- entry point

def engine_versions(engines=None) -> dict[str, str]:
    """The versions of the libraries the records depend on: every engine's library (``engines``: their names;
    default all registered), e.g. {"xgboost": "3.2.0", "lightgbm": "4.7.0", "sklearn": "1.9.1"}."""
    names = engines if engines is not None else list(ENGINES)
    return {getattr(ENGINES[n], "library", None) or n: _engine_version(ENGINES[n]) for n in sorted(set(names))}


def study_identity(study: Study, datasets: dict[str, Dataset], groups: list[FitGroup] | None = None) -> dict:
    """What a study's records depend on, and its fingerprint: the study (datasets, engines, grid, parameters,
    folds, seeds, metrics), each dataset's content fingerprint, and the engines' versions. A splitter (``cv``) is
    the digest of the train/test rows it gives each dataset (from the plan's ``groups``), not its repr."""
    spec = study.to_toml_dict()
    if study.cv is not None:
        spec["study"]["cv"] = _cv_identity(study, datasets, groups)
    spec["study"].pop("description", None)
    spec["study"].pop("check", None)  # which fits get the theory check changes no measured number
    spec["study"].pop("refit", None)  # nor does a refit after the sweep
    parts = {"study": spec, "data": {label: ds.fingerprint for label, ds in sorted(datasets.items())},
             "versions": engine_versions(study.engines)}
    records = {n: ENGINES[n].records_version for n in sorted(set(study.engines))
               if n in ENGINES and getattr(ENGINES[n], "records_version", 1) > 1}
    if records:
        # an engine whose records changed meaning (a baseline's default fit; CatBoost's zero leaves): a folder
        # written before must not be resumed into, so it reads as changed
        parts["records"] = records
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"fingerprint": digest, "name": study.name, "parts": parts}


def _cv_identity(study: Study, datasets: dict[str, Dataset], groups: list[FitGroup] | None) -> dict:
    """{dataset: {seed: digest of its folds' train and test rows}} of the study's splitter."""
    from .plan import split_folds, splits_digest

    rows: dict[str, dict[str, str]] = {}
    for g in groups or []:
        if g.splits:
            rows.setdefault(g.dataset, {})[str(g.seed)] = g.splits
    for label, ds in sorted(datasets.items()):
        if label not in rows:
            rows[label] = {str(seed): splits_digest(split_folds(ds, study.folds, seed, study.cv)) for seed in study.seeds}
    return {"rows": {label: rows[label] for label in sorted(rows)}}


def _what_changed(old: dict, new: dict) -> str:
    """A short list of what differs between two study identities, for the refusal's message."""
    a, b = old.get("parts", {}), new["parts"]
    changed = []
    for label in sorted(set(a.get("data", {})) | set(b["data"])):
        if a.get("data", {}).get(label) != b["data"].get(label):
            changed.append(f"dataset '{label}' " + ("content" if label in a.get("data", {}) and label in b["data"]
                                                    else "added or removed"))
    for key in ("grid", "params", "datasets", "baseline_grid"):
        if a.get("study", {}).get(key) != b["study"].get(key):
            changed.append(key)
    head_a, head_b = a.get("study", {}).get("study", {}), b["study"].get("study", {})
    changed += [k for k in sorted(set(head_a) | set(head_b)) if head_a.get(k) != head_b.get(k)]
    for engine in sorted(set(a.get("records", {})) | set(b.get("records", {}))):
        if a.get("records", {}).get(engine, 1) != b.get("records", {}).get(engine, 1):
            changed.append(f"{engine}'s records (version {a.get('records', {}).get(engine, 1)} -> "
                           f"{b.get('records', {}).get(engine, 1)})")
    for lib in sorted(b["versions"]):
        if a.get("versions", {}).get(lib) != b["versions"][lib]:
            changed.append(f"{lib} {a.get('versions', {}).get(lib, '?')} -> {b['versions'][lib]}")
    return ", ".join(dict.fromkeys(changed)) or "the study"


def _check_out(out: Path, identity: dict, force: bool) -> str | None:
    """Refuse an output folder that is not writable, is not boostreg's, or holds another study's records.

    With ``force`` the earlier study's records are moved apart (OUT/previous/<fingerprint>/) and this study starts
    in OUT; returns where they went (None when nothing moved).
    """
    check_out_folder(out)  # a folder, not in a run's data nor nested in another run (boostreg.paths)
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    try:  # really try: as root, os.access says yes even where the file system says no
        fd, name = tempfile.mkstemp(dir=probe, prefix=".boostreg-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise BoostregError(f"output folder '{out}' cannot be written ({err.strerror}); choose another --out.") from None
    if not out.exists():
        lock_out(out)  # one run per folder, held until run_study ends (or the process does)
        return None
    check_unlocked(out)  # another run writing here: refuse before reading what it writes
    store = ParquetStore(out)
    known = store.identity()
    has_records = bool(store.record_files("fits"))  # a user's own file in fits/ is not a record
    ours = {"fits", "curves", "leaves", "quarantine", "previous", "study.toml", "study.json", "runs.json",
            "report.html", "dynamics.parquet"}
    foreign = [p.name for p in out.iterdir() if p.name not in ours and not p.name.startswith(".")]
    if known is None and foreign and not has_records:
        raise BoostregError(f"output folder '{out}' is not empty and holds no boostreg run ({foreign[0]!r}, ...); "
                            "choose a new or empty --out.")
    if known is None and (out / "study.toml").exists() and not has_records:
        raise BoostregError(f"output folder '{out}' holds a study.toml that boostreg did not write with records; "
                            "choose a new or empty --out.")
    if (known is not None and known["fingerprint"] == identity["fingerprint"]) or (known is None and not has_records):
        lock_out(out)
        return None
    what = _what_changed(known or {}, identity) if known else "records written before study fingerprints"
    if not force:
        raise BoostregError(f"output folder '{out}' holds records of another study (changed: {what}); choose another "
                            "--out, or pass --force to keep the earlier records apart under OUT/previous/ and start here.")
    lock_out(out)
    return str(store.archive(known["fingerprint"] if known else "earlier"))


def _write_atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _releases_out_lock(func):
    """Release OUT/.lock (taken by ``_check_out``) when the run returns or fails; the kernel releases it when the
    process ends (Ctrl-C, ``kill -9``)."""
    import functools

    @functools.wraps(func)
    def wrapper(study, out, *args, **kwargs):
        try:
            return func(study, out, *args, **kwargs)
        finally:
            unlock_out(out)

    return wrapper


@_releases_out_lock
def run_study(study: Study, out: str | Path, *, jobs: int | None = None, progress: bool = True,
              force: bool = False, scheduler: str | None = None) -> StudyResult:
    """Run every fit of ``study`` not yet stored under ``out``; return where the records are.

    All input is loaded and validated before anything is written, so a bad study leaves no trace.
    """
    from .study import validate

    t_start = time.perf_counter()
    if not isinstance(study, Study):
        raise BoostregError(f"run_study needs a Study, got {type(study).__name__}; build one with Study(...) or "
                            "load_study(PATH).")
    validate(study)  # again: a Study's dicts and lists can be changed after it was built
    out = Path(out)
    _choose_layout(jobs, 1)  # reject a bad --jobs before anything is written
    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    groups = make_plan(study, datasets)
    identity = study_identity(study, datasets, groups)
    moved = _check_out(out, identity, force)
    if moved:
        warnings.warn(f"the earlier study's records in '{out}' were moved to '{moved}' (--force)", UserWarning, stacklevel=2)
    store = ParquetStore(out)
    store.create()
    for note in store.heal():
        warnings.warn(note, UserWarning, stacklevel=2)
    store.compact()  # one-fit files a killed run left
    retried = store.drop_failed()
    if retried:
        warnings.warn(f"{retried} fit(s) that failed in an earlier run will be tried again", UserWarning, stacklevel=2)
    stored = store.fit_ids()
    n_planned = sum(len(g.fits) for g in groups)
    stored_refs = None
    todo = []
    for g in groups:
        remaining = [f for f in g.fits if f.fit_id not in stored]
        if not remaining:
            continue
        ref = None
        if g.fits[0].fit_id in stored:  # the unpenalized fit landed in an earlier run: reuse its magnitude
            if stored_refs is None:
                stored_refs = store.fits().set_index("fit_id")
            if g.fits[0].fit_id in stored_refs.index:
                ref = {c: float(stored_refs.at[g.fits[0].fit_id, c]) for c in reference_columns(ENGINES[g.engine])}
        todo.append((g, frozenset(f.fit_id for f in g.fits if f.fit_id in stored), ref))
    n_todo = sum(len(g.fits) - len(skip) for g, skip, _ in todo)
    _write_atomic_text(out / "study.toml", tomli_w.dumps(study.to_toml_dict()))
    _write_atomic_text(out / "study.json", json.dumps(identity, indent=1, sort_keys=True, default=str))
    _write_dynamics(out)
    jobs, threads = _choose_layout(jobs, max(1, n_todo))
    fingerprint = identity["fingerprint"]

    def write(record, curves):
        store.write({**record, "study_fingerprint": fingerprint}, curves)

    try:
        with _Progress(n_todo, progress, study.name) as bar:
            if scheduler is not None:
                from .distributed import execute_dask

                execute_dask(todo, scheduler, threads, write, bar)
            else:
                from .execute import execute_local

                execute_local(todo, jobs, threads, write, bar)
    finally:
        try:
            store.compact()
        except OSError:
            pass  # the next run compacts what is left
        release_memory()
    wall = time.perf_counter() - t_start
    _append_run_info(out, study, n_planned, n_todo, wall, jobs, threads)
    result = StudyResult(out=out, n_planned=n_planned, n_run=n_todo, n_skipped=n_planned - n_todo, wall_time_s=wall)
    if study.refit:
        result.models = result.refit_all(study.refit, datasets)
    return result


def _write_dynamics(out: Path) -> None:
    """OUT/dynamics.parquet: the L2 / L1-subgradient / L1-proximal update experiment, once per output folder."""
    path = out / "dynamics.parquet"
    if path.exists():
        return
    from .dynamics import update_dynamics

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    update_dynamics().to_parquet(tmp, index=False)
    os.replace(tmp, path)


def read_runs(out: Path, *, heal: bool = True) -> list[dict]:
    """OUT/runs.json (the log of runs); one that is not a list of runs is moved to quarantine (``heal``) or
    ignored, with a warning."""
    path = Path(out) / "runs.json"
    if not path.exists():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(runs, list) and all(isinstance(r, dict) for r in runs):
            return runs
    except (OSError, ValueError):
        pass
    if not heal:
        warnings.warn(f"'{path}' is not a log of runs; it is ignored", UserWarning, stacklevel=2)
        return []
    try:
        target = ParquetStore(out)._quarantine(path, "unreadable")
        warnings.warn(f"'{path}' was not a log of runs; moved to '{target}' and started anew", UserWarning, stacklevel=2)
    except OSError:
        warnings.warn(f"'{path}' is not a log of runs; it is ignored", UserWarning, stacklevel=2)
    return []


def _append_run_info(out: Path, study: Study, n_planned: int, n_run: int, wall: float, jobs: int, threads: int):
    """Keep a log of runs (versions, machine, wall time) for the report."""
    import lightgbm
    import sklearn
    import xgboost

    path = out / "runs.json"
    runs = read_runs(out)
    runs.append({
        "study": study.name, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_time_s": round(wall, 3),
        "fits_planned": n_planned, "fits_run": n_run, "jobs": jobs, "threads_per_fit": threads,
        "versions": {"xgboost": xgboost.__version__, "lightgbm": lightgbm.__version__,
                     "scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()},
    })
    _write_atomic_text(path, json.dumps(runs, indent=1))


def fit_counts(fits: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset x engine: fits, failures, the largest theory-check error and exact-zero share."""
    rows = []
    for (dataset, engine), df in fits.groupby(["dataset", "engine"], sort=True):
        ok = df[df.status == "ok"]
        zeros = ok.zero_leaf_frac if ok.zero_leaf_frac.notna().any() else ok.zero_coef_frac
        rows.append({"dataset": dataset, "engine": engine, "fits": len(df), "failed": int((df.status != "ok").sum()),
                     "max_zero_frac": float(zeros.max()) if len(ok) else np.nan,
                     "theory_max_rel_err": float(ok.theory_max_rel_err.max()) if len(ok) else np.nan})
    return pd.DataFrame(rows)
