"""The target column's rules: encode it as a float vector (binary tasks as 0.0/1.0, the task inferred when not
given), refuse what the engines' float32 gradients cannot learn, and refuse features that copy it (a leak)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import BoostregError

#: A regression target whose sum of |y - mean| exceeds this overflows XGBoost's float32 split gains (squared
#: gradient sums; measured: train R² 0.77 at 1e21 and 0.0006 at 1e23, 0.997 at 1e20).
MAX_GRADIENT_SUM = 1e18
#: ... whose float32 rounding step at its largest value exceeds this share of its standard deviation loses its
#: labels to rounding (measured on XGBoost: y = 1e7 + N(0, 1.2) R² 0.51, 1e8 + ... R² -0.15).
MAX_ROUNDING_SHARE = 1e-3
#: ... and whose standard deviation x sqrt(rows) is below this gives XGBoost split gains under its fixed minimum
#: (1e-6): it stops splitting (measured: std 1.2e-4 on 1000 rows R² 0.66, 1.2e-5 R² 0.00).
MIN_TARGET_SPREAD = 0.05
#: A feature whose correlation with the target is beyond this is a linear copy of it (x = 2y), refused as a leak.
MAX_COPY_CORRELATION = 0.9999
#: A whole-number target with more than 2 and at most this many distinct values may be class codes or counts:
#: the task is not guessed (the user says which).
MAX_CODE_VALUES = 20
#: A multiclass target may have at most this many classes (K trees every round; more is a regression target or an
#: identifier, not classes).
MAX_CLASSES = 100


def _label(value) -> str:
    """A class label as text; whole floats lose their '.0' (1.0 -> '1')."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def _encode_target(
    raw: pd.Series, target: str, task: str | None, positive_class: str | None, where: str
) -> tuple[np.ndarray, str, tuple[str, ...] | None]:
    """Target -> (y as float64, task, classes); infers the task when ``task`` is None: binary for 2 distinct values,
    multiclass for text with 3 or more, regression for numbers (whole numbers with few values are not guessed)."""
    is_number = pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)
    values = pd.unique(raw.to_numpy())
    if len(values) < 2:
        raise BoostregError(
            f"target column {target!r} in {where} has a single value ({_label(values[0])!r}); "
            "a model needs at least two classes or values: choose another target or add rows."
        )
    if task is None:
        if len(values) == 2:
            task = "binary"
        elif is_number:
            _refuse_code_guess(raw, values, target, where)
            task = "regression"
        else:
            task = "multiclass"
    if task == "regression":
        if pd.api.types.is_bool_dtype(raw):
            return raw.to_numpy(dtype=np.float64), task, None
        numbers = pd.to_numeric(raw, errors="coerce") if not is_number else raw
        bad = raw[numbers.isna()]
        if len(bad):
            other = "binary" if len(values) == 2 else "multiclass"
            raise BoostregError(
                f"target column {target!r} in {where} holds text (e.g. {str(bad.iloc[0])!r}) "
                f"but the task is regression; fix those values or pass --task {other}."
            )
        return numbers.to_numpy(dtype=np.float64), task, None
    if task == "multiclass":
        return _encode_classes(raw, values, is_number, target, where)
    if len(values) != 2:
        raise BoostregError(
            f"target column {target!r} in {where} has {len(values)} distinct values but a binary "
            "task needs exactly 2; pass --task multiclass for classes or --task regression for a numeric target."
        )
    order = sorted(values) if is_number else sorted(values, key=str)
    if positive_class is not None:
        labels = [_label(v) for v in order]
        if positive_class not in labels:
            raise BoostregError(
                f"positive class {positive_class!r} is not a value of target {target!r} in {where} "
                f"(values: {labels[0]!r}, {labels[1]!r}); fix positive_class."
            )
        if labels[0] == positive_class:
            order.reverse()
    negative, positive = order
    y = (raw.to_numpy() == positive).astype(np.float64)
    return y, task, (_label(negative), _label(positive))


def _encode_classes(
    raw: pd.Series, values: np.ndarray, is_number: bool, target: str, where: str
) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """A multiclass target -> (class codes 0.0..K-1, "multiclass", class names in code order): numbers in numeric
    order, text in alphabetical order."""
    if len(values) == 2:
        raise BoostregError(
            f"target column {target!r} in {where} has 2 distinct values but a multiclass task needs 3 or more; "
            "pass --task binary (or leave --task out)."
        )
    if len(values) > MAX_CLASSES:
        raise BoostregError(
            f"target column {target!r} in {where} has {len(values)} distinct values, more than the {MAX_CLASSES} "
            "classes boostreg fits (each class grows its own trees every round); merge classes, or pass --task "
            "regression if it is a number."
        )
    order = sorted(values) if is_number else sorted(values, key=str)
    names = [_label(v) for v in order]
    if len(set(names)) < len(names):  # 1 and '1' in one object column: the same class name twice
        twice = next(n for n in names if names.count(n) > 1)
        raise BoostregError(
            f"target column {target!r} in {where} holds the class {twice!r} both as a number and as text; "
            "write every class one way."
        )
    codes = pd.Categorical(raw.to_numpy(), categories=order).codes
    return codes.astype(np.float64), "multiclass", tuple(names)


def _refuse_code_guess(raw: pd.Series, values: np.ndarray, target: str, where: str) -> None:
    """A numeric target of whole numbers with 3..MAX_CODE_VALUES distinct values may be class codes (0/1/2) or a
    quantity (counts, ratings): refuse to guess, naming both readings."""
    if pd.api.types.is_bool_dtype(raw) or len(values) > MAX_CODE_VALUES:
        return
    numbers = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
        return
    low, high = _label(numbers.min()), _label(numbers.max())
    raise BoostregError(
        f"target {target!r} in {where} has {len(values)} whole-number values ({low}..{high}): say what it is: "
        '--task multiclass (class codes) or --task regression (numbers), or task = "multiclass" / '
        'task = "regression" in the study.'
    )


def _check_inferred_binary(raw_y: pd.Series, y: np.ndarray, classes: tuple[str, str], target: str, where: str) -> None:
    """An inferred binary task whose rarer value has a single row cannot be stratified: say why it is a class."""
    counts = (int((y == 0).sum()), int((y == 1).sum()))
    if min(counts) >= 2:
        return
    rare = classes[int(np.argmin(counts))]
    is_number = pd.api.types.is_numeric_dtype(raw_y) or pd.api.types.is_bool_dtype(raw_y)
    fix = (
        "pass --task regression to treat it as a number, or add rows of that value"
        if is_number
        else "add rows of that value or choose another target"
    )
    raise BoostregError(
        f"target column {target!r} in {where} has 2 distinct values, so the task was inferred as "
        f"binary, but the value {rare!r} is in only {min(counts)} row(s) and stratified K-fold needs "
        f"at least 2 rows of each class; {fix}."
    )


def _check_target_precision(y: np.ndarray, target: str, where: str) -> None:
    """Refuse a regression target the engines' float32 gradients cannot learn: so large that XGBoost's split gains
    overflow, so far from 0 for its spread that float32 rounding swamps it, or so small that XGBoost's minimum split
    gain stops every split (see MAX_GRADIENT_SUM, MAX_ROUNDING_SHARE, MIN_TARGET_SPREAD)."""
    mean, std, top = float(np.mean(y)), float(np.std(y)), float(np.max(np.abs(y)))
    power = int(np.round(np.log10(std))) if std > 0 else 0
    step = float(np.spacing(np.float32(top)))
    if std > 0 and step > MAX_ROUNDING_SHARE * std:
        raise BoostregError(
            f"target column {target!r} in {where} lies around {mean:.7g} with a spread (standard "
            f"deviation) of only {std:.3g}, and float32, in which XGBoost and LightGBM compute "
            f"gradients, steps by {step:.3g} there: the labels would be lost to rounding; centre it "
            f"(subtract {mean:.7g}, then add it back to the predictions)."
        )
    if float(np.sum(np.abs(y - mean))) > MAX_GRADIENT_SUM:
        raise BoostregError(
            f"target column {target!r} in {where} is too large for the engines' float32 arithmetic "
            f"(standard deviation {std:.3g}): XGBoost's split gains overflow and it stops splitting; "
            f"rescale it (divide it by 1e{power}, then multiply the predictions back)."
        )
    if std * np.sqrt(len(y)) < MIN_TARGET_SPREAD:
        raise BoostregError(
            f"target column {target!r} in {where} is too small for the engines' float32 arithmetic "
            f"(standard deviation {std:.3g}): XGBoost's split gains fall under its fixed minimum and "
            f"it stops splitting; rescale it (multiply it by 1e{-power}, then divide the predictions "
            "back)."
        )


def _refuse_target_copies(X: pd.DataFrame, raw_y: pd.Series, y: np.ndarray, task: str, target: str, where: str) -> None:
    """Refuse a feature equal to the target in every row, as raw values or as the target's encoding (for binary
    targets either way round): the model would read the answer from it."""
    y_is_number = pd.api.types.is_numeric_dtype(raw_y) or pd.api.types.is_bool_dtype(raw_y)
    numeric_copies = [y] + ([1.0 - y] if task == "binary" else [])
    if y_is_number:
        numeric_copies.append(raw_y.to_numpy(dtype=np.float64))
    text_copy = None if y_is_number else raw_y.astype(str).to_numpy()
    head = min(len(y), 64)  # most columns differ in the first rows: compare those before the whole column
    for col in X.columns:
        s = X[col]
        if s.isna().any():
            continue  # the target has no missing values, so a column with some is no copy
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            as_array, copies = (lambda v: v.to_numpy(dtype=np.float64)), numeric_copies
        elif text_copy is not None:
            as_array, copies = (lambda v: v.astype(str).to_numpy()), [text_copy]
        else:
            continue
        first = as_array(s.iloc[:head])
        if any(np.array_equal(first, c[:head]) and np.array_equal(as_array(s), c) for c in copies):
            repeated = (
                f" (a header naming {target!r} twice reads the second as {col!r})"
                if re.fullmatch(re.escape(target) + r"\.\d+", col)
                else ""
            )
            raise BoostregError(
                f"feature column {col!r} in {where} is a copy of the target {target!r}{repeated}: "
                f"equal to it in all {len(y)} rows, a leak that lets the model read the answer; "
                "remove that column from the data."
            )


def _refuse_linear_copies(X: pd.DataFrame, y: np.ndarray, target: str, where: str) -> None:
    """Refuse a numeric feature that is a straight-line function of the target (|r| > MAX_COPY_CORRELATION, e.g.
    x = 2y or x = y in other units): a leak like an exact copy."""
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            continue
        x = X[col].to_numpy(dtype=np.float64)
        keep = ~np.isnan(x)
        n = int(keep.sum())
        if n < 10 or n < len(x) / 2:
            continue
        xs, ys = x[keep] - x[keep].mean(), y[keep] - y[keep].mean()
        denom = float(np.sqrt(np.dot(xs, xs) * np.dot(ys, ys)))
        if denom == 0:
            continue
        r = float(np.dot(xs, ys)) / denom
        if abs(r) > MAX_COPY_CORRELATION:
            raise BoostregError(
                f"feature column {col!r} in {where} is a linear copy of the target {target!r} "
                f"(correlation {r:.6f} over {n} rows, as x = a + b * {target}), a leak that lets the "
                "model read the answer; remove that column from the data."
            )
