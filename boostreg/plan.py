"""Study -> fit groups: dataset x engine x (non-penalty grid point) x fold x seed, each holding its penalty grid.

A group shares one binned training fold; its fits are the reg_alpha x reg_lambda grid points, the
unpenalized fit (reg_alpha = reg_lambda = 0) first, because every other fit's shrinkage is measured
against it. ``fit_id`` is a deterministic hash of what defines a fit, so a rerun skips stored fits.

A baseline engine (scikit-learn, ``kind = "baseline"``) makes one group per dataset x fold x seed holding its
``penalty`` grid, least penalized first (that fit is the group's reference). Engine x dataset pairs whose
task the engine does not fit (``Engine.tasks``) are skipped. All engines share the same folds.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .data import Dataset
from .errors import BoostregError
from .study import DatasetSpec, Study

PENALTIES = ("reg_alpha", "reg_lambda")


@dataclass(frozen=True)
class FitSpec:
    """One fit: identity columns of its record and the full (common-name) parameters."""

    fit_id: str
    group_id: str
    study: str
    dataset: str
    engine: str
    fold: int
    seed: int
    n_splits: int
    params: dict
    in_grid: bool = True  # False for an unpenalized reference the grid itself does not contain


@dataclass(frozen=True)
class FitGroup:
    """Fits that share one dataset, engine, fold, seed and fixed parameters (one binned training fold)."""

    group_id: str
    dataset_spec: DatasetSpec
    dataset: str
    fingerprint: str
    task: str
    engine: str
    fold: int
    seed: int
    n_splits: int
    primary_metric: str
    noise_features: tuple[str, ...] | None
    fixed: dict
    fits: list[FitSpec] = field(default_factory=list)
    keep_leaves: bool = False  # store every leaf of these fits (fold 0 of the first seed) for the report


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fold_indices(y: np.ndarray, task: str, n_splits: int, seed: int, *,
                 task_inferred: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled K-fold splits for one repetition (``seed``); stratified for classification. ``task_inferred``
    (``Dataset.task_inferred``) makes a class-count message say why the target is a class at all."""
    if task == "binary":
        counts = np.bincount(y.astype(np.int64), minlength=2)
        why, alt = "", ""
        if task_inferred:
            why = " (the task was inferred as binary because the target has 2 distinct values)"
            alt = ", or pass --task regression if the target is a number"
        if counts.min() < 2:
            raise BoostregError(f"the rarer class has only {int(counts.min())} row(s){why}; stratified K-fold needs at "
                                "least 2 rows of each class: add rows of that class or choose another target"
                                f"{alt}.")
        if counts.min() < n_splits:
            raise BoostregError(f"folds = {n_splits} but the rarer class has only {int(counts.min())} rows{why}; "
                                f"use folds <= {max(int(counts.min()), 2)} or a dataset with more rows of that class"
                                f"{alt}.")
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    else:
        if len(y) < n_splits:
            raise BoostregError(f"folds = {n_splits} but the dataset has only {len(y)} rows; use fewer folds.")
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(len(y)), y)]


def validation_split(train: np.ndarray, y: np.ndarray, task: str, fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Carve an early-stopping validation split from a fold's training rows: (fit rows, validation rows).

    Deterministic in ``seed`` and stratified for classification, so every engine of a study stops on the same
    rows; the test fold is never touched.
    """
    strat = y[train] if task == "binary" else None
    try:
        fit, valid = train_test_split(train, test_size=fraction, random_state=seed, stratify=strat)
    except ValueError as err:
        raise BoostregError(f"cannot carve a validation split of {fraction:g} from {len(train)} training rows ({err}); "
                            "lower validation_fraction or set early_stopping_rounds = 0.") from None
    return np.sort(fit), np.sort(valid)


def fold_digest(test_index: np.ndarray) -> str:
    """A short hash of a fold's test rows: equal digests mean the same rows were held out."""
    return hashlib.sha256(np.asarray(test_index, dtype=np.int64).tobytes()).hexdigest()[:12]


def penalty_points(grid: dict[str, list]) -> list[dict]:
    """The reg_alpha x reg_lambda points, (0, 0) first (added if the grid lacks it)."""
    points = [{"reg_alpha": a, "reg_lambda": l} for a in grid["reg_alpha"] for l in grid["reg_lambda"]]
    zero = {"reg_alpha": 0.0, "reg_lambda": 0.0}
    rest = [p for p in points if p != zero]
    return [zero] + rest


def other_points(grid: dict[str, list]) -> list[dict]:
    """The cross product of the non-penalty grid parameters (one empty point if there are none)."""
    keys = [k for k in grid if k not in PENALTIES]
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def make_plan(study: Study, datasets: dict[str, Dataset]) -> list[FitGroup]:
    """Every fit of the study, grouped so that each group bins its training fold once."""
    from .engines import ENGINES

    groups = []
    for spec in study.datasets:
        ds = datasets[spec.label]
        grid = study.grid_for(spec)
        zero_in_grid = 0.0 in grid["reg_alpha"] and 0.0 in grid["reg_lambda"]
        metric = study.primary_metric[ds.task]
        for seed in study.seeds:
            fold_indices(ds.y, ds.task, study.folds, seed)  # fail early when the folds cannot be made
        for engine in study.engines:
            if ds.task not in ENGINES[engine].tasks:
                continue
            if ENGINES[engine].kind == "baseline":
                groups.extend(_baseline_groups(study, spec, ds, engine, metric))
                continue
            for other in other_points(grid):
                fixed = {**study.fixed_params(engine), **other}
                for seed in study.seeds:
                    for fold in range(study.folds):
                        key = {"dataset": spec.label, "fingerprint": ds.fingerprint, "engine": engine,
                               "fixed": fixed, "fold": fold, "seed": seed, "n_splits": study.folds, "metric": metric}
                        group_id = _digest(key)
                        fits = []
                        for i, point in enumerate(penalty_points(grid)):
                            params = {**fixed, **point}
                            fits.append(FitSpec(
                                fit_id=_digest({**key, "params": params}), group_id=group_id, study=study.name,
                                dataset=spec.label, engine=engine, fold=fold, seed=seed, n_splits=study.folds,
                                params=params, in_grid=zero_in_grid or i > 0))
                        groups.append(FitGroup(
                            group_id=group_id, dataset_spec=spec, dataset=spec.label, fingerprint=ds.fingerprint,
                            task=ds.task, engine=engine, fold=fold, seed=seed, n_splits=study.folds,
                            primary_metric=metric, noise_features=ds.noise, fixed=fixed, fits=fits,
                            keep_leaves=fold == 0 and seed == study.seeds[0]))
    return groups


def _baseline_groups(study: Study, spec: DatasetSpec, ds: Dataset, engine: str, metric: str) -> list[FitGroup]:
    """One group per fold x seed; its fits are the engine's penalty grid, least penalized first."""
    fixed = study.fixed_params(engine)
    penalties = study.baseline_penalties(engine)
    groups = []
    for seed in study.seeds:
        for fold in range(study.folds):
            key = {"dataset": spec.label, "fingerprint": ds.fingerprint, "engine": engine, "fixed": fixed,
                   "fold": fold, "seed": seed, "n_splits": study.folds, "metric": metric}
            group_id = _digest(key)
            fits = [FitSpec(fit_id=_digest({**key, "params": {**fixed, "penalty": p}}), group_id=group_id,
                            study=study.name, dataset=spec.label, engine=engine, fold=fold, seed=seed,
                            n_splits=study.folds, params={**fixed, "penalty": p}) for p in penalties]
            groups.append(FitGroup(
                group_id=group_id, dataset_spec=spec, dataset=spec.label, fingerprint=ds.fingerprint, task=ds.task,
                engine=engine, fold=fold, seed=seed, n_splits=study.folds, primary_metric=metric,
                noise_features=ds.noise, fixed=fixed, fits=fits))
    return groups
