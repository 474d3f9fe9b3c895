"""A dataset's outer folds and validation splits: the splitters (shuffled K-fold, stratified for a class task;
group-aware folds that keep each group whole; a study's own ``cv``), the validation split carved from a training
fold, and the digests that identify a fold (its test rows) and a splitter (every fold's rows).

Every engine of a dataset, fold and seed gets the same rows; :mod:`boostreg.plan` makes them once per dataset.
"""

from __future__ import annotations

import copy
import hashlib
import warnings

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from .data import Dataset
from .errors import BoostregError
from .study import Study

#: the tasks whose folds and validation splits are stratified by class
CLASS_TASKS = ("binary", "multiclass")


def _smallest_class(y: np.ndarray, classes: tuple[str, ...] | None) -> tuple[str, int]:
    """A multiclass target's smallest class: (its name, its rows); a class no row holds counts 0."""
    counts = np.bincount(y.astype(np.int64), minlength=len(classes) if classes else 0)
    i = int(np.argmin(counts))
    return (classes[i] if classes and i < len(classes) else str(i)), int(counts[i])


def _check_multiclass_folds(y: np.ndarray, n_splits: int, task_inferred: bool, classes) -> None:
    """Stratified K-fold puts rows of every class in every fold: refuse, naming the class, when one is too small."""
    name, count = _smallest_class(y, classes)
    why = " (the task was inferred as multiclass because the target is text with 3 or more values)"
    why = why if task_inferred else ""
    if count < 2:
        raise BoostregError(
            f"class {name!r} of the target has only {count} row(s){why}; stratified K-fold needs at least 2 rows "
            "of each class: add rows of that class, merge it into another class, or drop its rows."
        )
    if count < n_splits:
        raise BoostregError(
            f"folds = {n_splits} but class {name!r} of the target has only {count} rows{why}; use folds <= {count}, "
            "add rows of that class, or merge it into another class."
        )


def fold_indices(
    y: np.ndarray,
    task: str,
    n_splits: int,
    seed: int,
    *,
    task_inferred: bool = False,
    classes: tuple[str, ...] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled K-fold splits for one repetition (``seed``); stratified for classification. ``task_inferred``
    (``Dataset.task_inferred``) makes a class-count message say why the target is a class at all; ``classes``
    (``Dataset.classes``) names a multiclass target's class in it."""
    if task == "multiclass":
        _check_multiclass_folds(y, n_splits, task_inferred, classes)
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    elif task == "binary":
        counts = np.bincount(y.astype(np.int64), minlength=2)
        why, alt = "", ""
        if task_inferred:
            why = " (the task was inferred as binary because the target has 2 distinct values)"
            alt = ", or pass --task regression if the target is a number"
        if counts.min() < 2:
            raise BoostregError(
                f"the rarer class has only {int(counts.min())} row(s){why}; stratified K-fold needs at "
                "least 2 rows of each class: add rows of that class or choose another target"
                f"{alt}."
            )
        if counts.min() < n_splits:
            raise BoostregError(
                f"folds = {n_splits} but the rarer class has only {int(counts.min())} rows{why}; "
                f"use folds <= {max(int(counts.min()), 2)} or a dataset with more rows of that class"
                f"{alt}."
            )
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    else:
        if len(y) < n_splits:
            raise BoostregError(f"folds = {n_splits} but the dataset has only {len(y)} rows; use fewer folds.")
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(len(y)), y)]


def group_fold_indices(ds: Dataset, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold splits that keep each group (``Dataset.groups``) whole on one side: GroupKFold, StratifiedGroupKFold for
    a class task; shuffled by ``seed`` (one repetition per seed)."""
    groups = np.asarray(ds.groups)
    n_groups = len(np.unique(groups))
    if n_groups < n_splits:
        raise BoostregError(
            f"folds = {n_splits} but dataset '{ds.name}' has only {n_groups} group(s), and each group "
            f"stays whole on one side of a fold; use folds <= {n_groups} or more groups."
        )
    splitter = (StratifiedGroupKFold if ds.task in CLASS_TASKS else GroupKFold)(
        n_splits=n_splits, shuffle=True, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StratifiedGroupKFold warns when a class has fewer groups than folds
        folds = [(tr, te) for tr, te in splitter.split(np.zeros(len(ds.y)), ds.y, groups)]
    if ds.task == "binary" and any(len(np.unique(ds.y[tr])) < 2 for tr, _ in folds):
        raise BoostregError(
            f"dataset '{ds.name}': keeping its groups whole, a training fold holds a single class; use "
            "fewer folds, or more groups with rows of each class."
        )
    if ds.task == "multiclass":
        for tr, _ in folds:
            name, count = _smallest_class(ds.y[tr], ds.classes)
            if count == 0:
                raise BoostregError(
                    f"dataset '{ds.name}': keeping its groups whole, a training fold holds no row of class "
                    f"{name!r}; use fewer folds, or more groups with rows of that class."
                )
    return folds


def outer_split(ds: Dataset, study: Study) -> str:
    """How the study's outer folds of this dataset are made, for the plan: the splitter, and whether groups stay
    whole."""
    if study.cv is not None:
        return repr(study.cv)
    if getattr(ds, "groups", None) is not None:
        kind = "StratifiedGroupKFold" if ds.task in CLASS_TASKS else "GroupKFold"
        return f"{kind}({study.folds}) over {len(np.unique(ds.groups))} groups, each group whole on one side"
    return f"{'StratifiedKFold' if ds.task in CLASS_TASKS else 'KFold'}({study.folds}, shuffled)"


def split_folds(ds: Dataset, n_splits: int, seed: int, cv=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """A dataset's (train, test) folds: the study's splitter ``cv`` if given (with the dataset's groups), else
    :func:`fold_indices`. The fold's identity is its test rows (:func:`fold_digest`) either way. A weighted dataset's
    fold whose training or test rows all weigh 0 is refused."""
    if getattr(ds, "weight", None) is not None:
        return _check_fold_weights(ds, _split_folds(ds, n_splits, seed, cv))
    return _split_folds(ds, n_splits, seed, cv)


def _check_fold_weights(ds: Dataset, folds: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """A weighted dataset's folds: refuse one whose training or test rows all weigh 0 (nothing to fit or score)."""
    for i, (train, test) in enumerate(folds):
        for rows, side in ((train, "training"), (test, "test")):
            if not ds.weight[rows].any():
                raise BoostregError(
                    f"dataset '{ds.name}': every {side} row of fold {i} weighs 0 (sample weights), leaving nothing "
                    f"to {'fit' if side == 'training' else 'score'}; give more rows a positive weight or use fewer "
                    "folds."
                )
    return folds


def _split_folds(ds: Dataset, n_splits: int, seed: int, cv=None) -> list[tuple[np.ndarray, np.ndarray]]:
    if cv is None and getattr(ds, "groups", None) is not None:
        return group_fold_indices(ds, n_splits, seed)
    if cv is None:
        return fold_indices(
            ds.y,
            ds.task,
            n_splits,
            seed,
            task_inferred=getattr(ds, "task_inferred", False),
            classes=getattr(ds, "classes", None),
        )
    try:  # a copy: a splitter holding a RandomState would draw other folds at each call (and per engine)
        cv = copy.deepcopy(cv)
    except Exception:  # noqa: BLE001 - a splitter that cannot be copied splits as it is
        pass
    try:
        folds = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(ds.X, ds.y, getattr(ds, "groups", None))]
    except ValueError as err:
        raise BoostregError(
            f"cv = {cv!r} cannot split dataset '{ds.name}' ({str(err).splitlines()[0]}); pass groups= "
            "for a group splitter, or use fewer splits."
        ) from None
    if not folds or any(len(tr) == 0 or len(te) == 0 for tr, te in folds):
        raise BoostregError(f"cv = {cv!r} gives an empty fold on dataset '{ds.name}'; use fewer splits.")
    return folds


def n_folds(ds: Dataset, study: Study) -> int:
    """How many folds the study makes of this dataset (per seed without a splitter)."""
    if study.cv is None:
        return study.folds
    return len(split_folds(ds, 0, 0, study.cv))


def validation_split(
    train: np.ndarray,
    y: np.ndarray,
    task: str,
    fraction: float,
    seed: int,
    *,
    where: str = "a training fold",
    groups: np.ndarray | None = None,
    classes: tuple[str, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Carve a validation split from a fold's training rows: (fit rows, validation rows).

    Deterministic in ``seed`` and stratified for classification, so every engine of a study trains and selects
    on the same rows; the test fold is never touched. ``classes`` (``Dataset.classes``) names a multiclass
    target's class in a message.
    """
    if groups is not None:  # whole groups go to the validation side, as the splitter keeps them whole
        g = np.asarray(groups)[train]
        if len(np.unique(g)) < 2:
            raise BoostregError(
                f"cannot carve a validation split from {where}: its training rows hold one group; "
                "use fewer folds or more groups."
            )
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_pos, valid_pos = next(splitter.split(train, groups=g))
        if task == "multiclass":
            name, count = _smallest_class(y[train[fit_pos]], classes)
            if count == 0:
                raise BoostregError(
                    f"cannot carve a validation split from {where}: keeping groups whole, its fit rows hold no row "
                    f"of class {name!r}; use fewer folds, a smaller validation_fraction, or more groups with rows "
                    "of that class."
                )
        return np.sort(train[fit_pos]), np.sort(train[valid_pos])
    strat = y[train] if task in CLASS_TASKS else None
    if task == "multiclass":
        _check_multiclass_validation(train, y, fraction, where, classes)
    elif strat is not None:
        counts = np.bincount(strat.astype(np.int64), minlength=2)
        n_valid = int(np.ceil(fraction * len(train)))
        if counts.min() < 2 or n_valid < 2 or len(train) - n_valid < 2:
            raise BoostregError(
                f"cannot carve a stratified validation split of {fraction:g} from {where}: its {len(train)} training "
                f"rows hold {int(counts.min())} of the rarer class, and each side of the split needs at least one row "
                "of each class; use fewer folds, a larger validation_fraction, or a dataset with more rows of that "
                "class."
            )
    try:
        fit, valid = train_test_split(train, test_size=fraction, random_state=seed, stratify=strat)
    except ValueError as err:
        raise BoostregError(
            f"cannot carve a validation split of {fraction:g} from {where} ({len(train)} training "
            f"rows: {err}); use fewer folds or change validation_fraction."
        ) from None
    return np.sort(fit), np.sort(valid)


def _check_multiclass_validation(train: np.ndarray, y: np.ndarray, fraction: float, where: str, classes) -> None:
    """A stratified validation split of a multiclass fold needs 2 rows of each class and room for every class on
    both sides: refuse, naming the class, when it cannot be carved."""
    name, count = _smallest_class(y[train], classes)
    n_valid = int(np.ceil(fraction * len(train)))
    n_classes = len(classes) if classes else int(y.max()) + 1
    if count < 2:
        raise BoostregError(
            f"cannot carve a stratified validation split of {fraction:g} from {where}: its {len(train)} training "
            f"rows hold {count} row(s) of class {name!r}, and each side of the split needs a row of each class; "
            "use fewer folds, or add rows of that class (or merge it into another class)."
        )
    if min(n_valid, len(train) - n_valid) < n_classes:
        raise BoostregError(
            f"cannot carve a stratified validation split of {fraction:g} from {where}: of its {len(train)} training "
            f"rows {n_valid} would be validation rows, and each side needs at least one row of each of the "
            f"{n_classes} classes; change validation_fraction or use a dataset with more rows."
        )


def fold_digest(test_index: np.ndarray) -> str:
    """A short hash of a fold's test rows: equal digests mean the same rows were held out."""
    return hashlib.sha256(np.asarray(test_index, dtype=np.int64).tobytes()).hexdigest()[:12]


def splits_digest(folds: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """A short hash of every fold's train and test rows, in order: what identifies a splitter (its repr does not: two
    PredefinedSplit of different rows share one, a RandomState's differs in every process)."""
    h = hashlib.sha256()
    for train, test in folds:
        for rows in (train, test):
            idx = np.asarray(rows, dtype=np.int64)
            h.update(len(idx).to_bytes(8, "little"))
            h.update(idx.tobytes())
    return h.hexdigest()[:16]
