"""The common rules every loader ends in: :func:`_build` turns a raw table into a :class:`Dataset` (target
checked and encoded, features cleaned, names made engine-safe, an optional deterministic subsample)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..errors import BoostregError
from .dataset import TASKS, Dataset, _subsample, content_fingerprint
from .features import _check_columns, _check_range, _clean_features, _drop_row_index, _engine_safe_names
from .messages import _did_you_mean, _short_list
from .target import (
    _check_inferred_binary,
    _check_target_precision,
    _encode_target,
    _refuse_linear_copies,
    _refuse_target_copies,
)


def _build(
    name: str,
    frame: pd.DataFrame,
    target: str,
    task: str | None,
    source: str,
    *,
    positive_class: str | None = None,
    max_rows: int | None = None,
    informative: tuple[str, ...] | None = None,
    noise: tuple[str, ...] | None = None,
    where: str | None = None,
    groups: str | None = None,
    weight: str | None = None,
    features: list[str] | None = None,
) -> Dataset:
    """Turn a raw table into a Dataset: check and encode the target, clean the features, subsample.

    ``features`` (optional) lists the columns to learn from: the others are left out, and a listed column is kept
    even where it looks like row numbers (which are otherwise dropped with a warning).

    ``groups`` names a column of group labels (e.g. a patient or a store): it is taken out of the features and kept
    as ``Dataset.groups``; ``weight`` a column of sample weights, taken out of the features and kept (checked) as
    ``Dataset.weight``."""
    where = where or f"dataset {name!r}"
    _check_columns(frame, target, where)
    weights = None
    if weight is not None:
        weights = _sample_weights(frame, weight, target, groups, where)
        frame = frame.drop(columns=[weight])
    group_labels = None
    if groups is not None:
        if groups not in frame.columns:
            raise BoostregError(
                f"groups column {groups!r} not found in "
                f"{where}{_did_you_mean(groups, frame.columns) or '.'} Available columns: "
                f"{_short_list(frame.columns)}."
            )
        if groups == target:
            raise BoostregError(
                f"groups column {groups!r} in {where} is the target; name the column that holds the groups."
            )
        if frame[groups].isna().any():
            raise BoostregError(f"groups column {groups!r} in {where} has missing values; give every row a group.")
        group_labels = frame[groups].astype(str).to_numpy()
        frame = frame.drop(columns=[groups])
    if task is not None and task not in TASKS:
        raise BoostregError(f"unknown task {task!r}; use one of {', '.join(TASKS)} (or leave it out to infer it).")
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1
    ):
        raise BoostregError(f"max_rows must be a whole number of at least 1, got {max_rows!r}; fix max_rows.")
    if len(frame) == 0:
        raise BoostregError(f"{where} has no rows; give data with at least a few rows.")
    if target not in frame.columns:
        hint = _did_you_mean(target, frame.columns)
        raise BoostregError(
            f"target column {target!r} not found in {where}{hint or '.'} "
            f"Available columns: {_short_list(frame.columns)}."
        )
    raw_y = frame[target]
    n_missing = int(raw_y.isna().sum())
    if n_missing:
        raise BoostregError(
            f"target column {target!r} in {where} has {n_missing} missing value(s) "
            f"of {len(raw_y)} rows; drop or impute those rows, then try again."
        )
    inferred = task is None
    y, task, classes = _encode_target(raw_y, target, task, positive_class, where)
    if inferred and task == "binary":
        _check_inferred_binary(raw_y, y, classes, target, where)
    _check_range(y, f"target column {target!r}", where)
    if task == "regression":
        _check_target_precision(y, target, where)
    if features is not None:
        features = _listed_features(frame, features, target, where)
    else:
        features = _drop_row_index(frame.drop(columns=[target]), where)
    _refuse_target_copies(features, raw_y, y, task, target, where)
    X = _clean_features(features, name, where)
    _refuse_linear_copies(X, y, target, where)
    X, original_names = _engine_safe_names(X, target, where)
    if original_names:
        renamed = {old: new for new, old in original_names.items()}
        informative = None if informative is None else tuple(renamed.get(c, c) for c in informative)
        noise = None if noise is None else tuple(renamed.get(c, c) for c in noise)
    if max_rows is not None and len(X) > max_rows:
        keep = _subsample(len(X), int(max_rows), y if task in ("binary", "multiclass") else None)
        X, y = X.iloc[keep], y[keep]
        group_labels = None if group_labels is None else group_labels[keep]
        weights = None if weights is None else weights[keep]
        if weights is not None and not weights.any():
            raise BoostregError(
                f"weight column {weight!r} in {where}: every row of the {len(keep)}-row subsample (max_rows) weighs "
                "0; raise max_rows or give more rows a positive weight."
            )
    X = X.reset_index(drop=True)
    y = np.ascontiguousarray(y, dtype=np.float64)
    weights = None if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    fingerprint = content_fingerprint(X, y, task, weights)
    if group_labels is not None:  # the same rows grouped differently are other folds: another dataset
        fingerprint = hashlib.sha256((fingerprint + "\x00".join(group_labels)).encode()).hexdigest()[:16]
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=task,
        source=source,
        informative=informative,
        noise=noise,
        classes=classes,
        fingerprint=fingerprint,
        task_inferred=inferred,
        original_names=original_names,
        groups=group_labels,
        weight=weights,
    )


def _sample_weights(frame: pd.DataFrame, weight: str, target: str, groups: str | None, where: str) -> np.ndarray:
    """The ``weight`` column as float64 sample weights: numbers, finite, none negative or missing, not all 0."""
    if weight not in frame.columns:
        raise BoostregError(
            f"weight column {weight!r} not found in {where}{_did_you_mean(weight, frame.columns) or '.'} "
            f"Available columns: {_short_list(frame.columns)}."
        )
    if weight in (target, groups):
        what = "the target" if weight == target else "the groups column"
        raise BoostregError(f"weight column {weight!r} in {where} is {what}; name the column that holds the weights.")
    s = frame[weight]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        bad = pd.to_numeric(s.dropna(), errors="coerce").isna()
        example = f" (e.g. {str(s.dropna()[bad].iloc[0])!r})" if bad.any() else ""
        raise BoostregError(
            f"weight column {weight!r} in {where} is not numeric{example}; sample weights are numbers >= 0: "
            "fix those values or name another column."
        )
    w = s.to_numpy(dtype=np.float64, na_value=np.nan)
    problems = [
        (np.isnan(w), "missing value(s)", "give every row a weight (0 leaves a row out)"),
        (np.isinf(w), "infinite value(s)", "give finite weights"),
        (w < 0, "negative value(s)", "weights are numbers >= 0"),
    ]
    for mask, what, fix in problems:
        if mask.any():
            first = int(np.argmax(mask))
            raise BoostregError(
                f"weight column {weight!r} in {where} has {int(mask.sum())} {what} (first in row {first + 1}: "
                f"{w[first]:g}); {fix}."
            )
    _check_range(w, f"weight column {weight!r}", where)
    if not w.any():
        raise BoostregError(
            f"weight column {weight!r} in {where} is 0 in every row, which leaves no row to learn from; "
            "give rows positive weights or name another column."
        )
    return w


def _listed_features(frame: pd.DataFrame, features, target: str, where: str) -> pd.DataFrame:
    """The columns a user listed as features, checked: each present once, none the target (the groups and weight
    columns are already out of ``frame``)."""
    names = [str(c) for c in features]
    if not names:
        raise BoostregError(f"features for {where} is empty; list the columns to learn from, or leave it out.")
    for col in names:
        if col == target:
            raise BoostregError(f"features for {where} lists the target {col!r}; leave it out of features.")
        if col not in frame.columns:
            raise BoostregError(
                f"feature column {col!r} not found in {where}{_did_you_mean(col, frame.columns) or '.'} "
                f"Available columns: {', '.join(repr(c) for c in frame.columns if c != target)}"
            )
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise BoostregError(f"features for {where} lists {', '.join(map(repr, twice))} twice; list each column once.")
    return frame[names]
