"""What the boosters share about tasks and per-round evaluation: a fold's number of classes, margins in boostreg's
shapes, and the primary metric evaluated each round by boostreg itself where a library has no metric equal to
boostreg's loss (r2, auc, a :class:`~boostreg.metrics.Metric` of the user's).

Such a metric is evaluated as :func:`boostreg.measure.primary_error` (the same loss as the record's ``*_error``,
lower is better, weighted by the fold's weights) under the name :data:`NAME`, so the per-round curves and early
stopping use exactly what selection uses.
"""

from __future__ import annotations

import numpy as np

from .. import measure
from .base import Fold, primary_metric_name

#: the name of boostreg's own per-round metric in an engine's evaluation log
NAME = "boostreg_error"


def n_classes(fold: Fold) -> int:
    """The fold's K (``Fold.n_classes``, else the largest class code + 1)."""
    return int(fold.n_classes) if fold.n_classes else int(np.max(fold.y_train)) + 1


def native_metric(fold: Fold, names: dict[str, str], multiclass_names: dict[str, str]) -> str | None:
    """The library's own name for the fold's primary metric (``names``, or ``multiclass_names`` for multiclass), or
    None when it has none that equals boostreg's loss (boostreg then evaluates it: :func:`error`)."""
    metric = primary_metric_name(fold)
    if type(metric) is not str:  # a Metric of the user's (a str subclass)
        return None
    return (multiclass_names if fold.task == "multiclass" else names).get(metric)


def as_margins(margin, fold: Fold) -> np.ndarray:
    """Multiclass margins as (n, K) float64; other tasks' as the library hands them."""
    if fold.task != "multiclass":
        return margin
    m = np.asarray(margin, dtype=np.float64)
    return m.reshape(len(m), -1)


def from_predictions(pred, task: str, n_rows: int) -> np.ndarray:
    """Margins from a library's transformed predictions: log-odds of P(y = 1) (binary), log class probabilities
    (multiclass: the margins up to a shift per row, the same softmax), the predictions themselves (regression)."""
    p = np.asarray(pred, dtype=np.float64)
    with np.errstate(divide="ignore"):
        if task == "binary":
            return np.log(p) - np.log1p(-p)
        if task == "multiclass":
            return np.log(p.reshape(n_rows, -1))
    return p


def error(fold: Fold, y: np.ndarray, margin: np.ndarray, weight: np.ndarray | None) -> float:
    """The fold's primary metric as a loss, from margins."""
    return float(measure.primary_error(y, margin, fold.task, primary_metric_name(fold), weight=weight)[0])


def fold_rows(fold: Fold) -> tuple:
    """(y, weight) of the training, test and validation rows."""
    return (fold.y_train, fold.w_train), (fold.y_test, fold.w_test), (fold.y_valid, fold.w_valid)
