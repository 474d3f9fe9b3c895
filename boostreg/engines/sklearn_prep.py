"""The scikit-learn baselines' preprocessing: one ColumnTransformer per fold, sample weights honoured.

See :mod:`boostreg.engines.sklearn_base` for what the baselines do with it: numeric columns mean-imputed and
standardized (with sample weights, the weighted means and sds: what duplicated rows give), category columns one-hot
encoded, the regression target standardized; the class targets, base rates and curvature the penalty axis reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import penalty_axis
from .base import Fold

_MISSING = "__missing__"


@dataclass
class Prepared:
    """A fold after preprocessing: dense float matrices, the (standardized) target, and column -> feature map."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray  # standardized for regression, 0/1 for binary
    y_mean: float
    y_scale: float
    feature_of_column: np.ndarray  # original feature index of each encoded column
    feature_names: tuple[str, ...]
    task: str
    threads: int = 1  # BLAS / OpenMP threads for this fold's fits (threadpoolctl)
    X_valid: np.ndarray | None = None  # the validation split, transformed like the test fold (None without one)
    cache: dict = field(default_factory=dict)  # per-fold axis quantities, computed on first use
    y_train_raw: np.ndarray | None = None  # the training target as the user has it (the library default's)
    n_classes: int | None = None  # multiclass: K (labels 0..K-1)
    w_train: np.ndarray | None = None  # the training rows' sample weights (None: all 1)

    def cached(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def as_object(X: pd.DataFrame, cat) -> pd.DataFrame:
    """Category columns as objects, missing values a level of their own (what the one-hot encoder is given)."""
    if not cat:
        return X
    X = X.copy()
    for c in cat:
        X[c] = X[c].astype(object).where(X[c].notna(), _MISSING)
    return X


def preprocessor(X: pd.DataFrame):
    """:func:`preprocess`'s steps, unfitted, as one scikit-learn transformer of a table like ``X`` (a refit's
    pipeline: ``make_pipeline(preprocessor(X), Lasso(...))``)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    cat = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return make_pipeline(
        FunctionTransformer(as_object, kw_args={"cat": cat}),
        _column_transformer(cat, [c for c in X.columns if c not in cat]),
    )


def _column_transformer(cat, num):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers = []
    if num:
        transformers.append(
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="mean", keep_empty_features=True)), ("scale", StandardScaler())]
                ),
                num,
            )
        )
    if cat:
        transformers.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=_MISSING)),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                cat,
            )
        )
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def fit_preprocessing(ct, X: pd.DataFrame, weight: np.ndarray | None):
    """Fit :func:`preprocess`'s ColumnTransformer (or :func:`preprocessor`'s pipeline ending in one) on ``X``; with
    sample weights, the numeric columns' imputation means and scaling are the weighted ones (what duplicated rows
    would give). Returns ``ct``, fitted."""
    ct.fit(X)
    if weight is None:
        return ct
    last = ct.steps[-1][1] if hasattr(ct, "steps") else ct
    if "num" not in last.named_transformers_:
        return ct
    if hasattr(ct, "steps"):  # the pipeline's first steps (as_object) leave numeric columns as they are
        X = ct[:-1].transform(X)
    cols = next(c for name, _, c in last.transformers_ if name == "num")
    w = np.asarray(weight, dtype=np.float64)
    num = last.named_transformers_["num"]
    values = X[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    seen = ~np.isnan(values)
    total = (seen * w[:, None]).sum(axis=0)
    sums = np.where(seen, values, 0.0).T @ w
    num.named_steps["impute"].statistics_ = np.where(total > 0, sums / np.where(total > 0, total, 1.0), 0.0)
    num.named_steps["scale"].fit(num.named_steps["impute"].transform(X[cols]), sample_weight=w)
    return ct


def weighted_mean_sd(y: np.ndarray, weight: np.ndarray | None) -> tuple[float, float]:
    """The (weighted) mean and population standard deviation of ``y``."""
    mean = float(np.average(y, weights=weight))
    return mean, float(np.sqrt(np.average((y - mean) ** 2, weights=weight)))


def preprocess(fold: Fold) -> Prepared:
    """Fit the ColumnTransformer on the training fold (weighted by ``fold.w_train``); transform the test fold and
    the validation split (if any)."""
    names = tuple(fold.X_train.columns)
    cat = [c for c in names if isinstance(fold.X_train[c].dtype, pd.CategoricalDtype)]
    num = [c for c in names if c not in cat]
    ct = fit_preprocessing(_column_transformer(cat, num), as_object(fold.X_train, cat), fold.w_train)
    Xtr = np.asarray(ct.transform(as_object(fold.X_train, cat)), dtype=np.float64)
    Xte = np.asarray(ct.transform(as_object(fold.X_test, cat)), dtype=np.float64)
    Xva = None if fold.X_valid is None else np.asarray(ct.transform(as_object(fold.X_valid, cat)), dtype=np.float64)
    index = {c: i for i, c in enumerate(names)}
    owner = [index[c] for c in num]
    if cat:
        enc = ct.named_transformers_["cat"].named_steps["onehot"]
        for c, levels in zip(cat, enc.categories_):
            owner.extend([index[c]] * len(levels))
    y = raw = np.asarray(fold.y_train, dtype=np.float64)
    if fold.task == "regression":
        mean, scale = weighted_mean_sd(y, fold.w_train)
        scale = scale if scale > 0 else 1.0
        y = (y - mean) / scale
    else:
        mean, scale = 0.0, 1.0
    w = None if fold.w_train is None else np.asarray(fold.w_train, dtype=np.float64)
    return Prepared(
        Xtr,
        Xte,
        y,
        mean,
        scale,
        np.asarray(owner, dtype=np.int64),
        names,
        fold.task,
        X_valid=Xva,
        y_train_raw=raw,
        n_classes=fold.n_classes or (int(np.max(y)) + 1 if fold.task == "multiclass" else None),
        w_train=w,
    )


def class_targets(prepared: Prepared) -> np.ndarray:
    """The training labels as an (n, K) indicator matrix (multiclass), or the 0/1 labels as one column (binary)."""
    y = prepared.y_train
    if prepared.task == "multiclass":
        return (y[:, None] == np.arange(prepared.n_classes)[None, :]).astype(np.float64)
    return np.asarray(y, dtype=np.float64)[:, None]


def base_rates(prepared: Prepared) -> np.ndarray:
    """The (weighted) share of each class among the training rows (binary: of class 1)."""
    return np.average(class_targets(prepared), axis=0, weights=prepared.w_train)


def class_curvature(prepared: Prepared) -> float:
    """The log loss's curvature at the intercept-only fit: p (1 - p) at the (weighted) base rate; multiclass the
    mean over classes of p_k (1 - p_k), the diagonal of the multinomial hessian (an approximation, like the axis)."""
    p = base_rates(prepared)
    h = p * (1.0 - p)
    return float(h.mean()) if np.all(h > 0) else 0.25


def weighted_eigenvalues(X: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """Eigenvalues of Xc^T W Xc, Xc = X centred by its (weighted) column means (penalty_axis.design_eigenvalues
    with sample weights: a weight of 2 counts the row twice)."""
    if weight is None:
        return penalty_axis.design_eigenvalues(X)
    w = np.asarray(weight, dtype=np.float64)
    Xc = np.asarray(X, dtype=np.float64) - np.average(X, axis=0, weights=w)
    return np.clip(np.linalg.eigvalsh(Xc.T @ (Xc * w[:, None])), 0.0, None)


def _standardize(y, mean, sd):
    return (np.asarray(y, dtype=np.float64) - mean) / sd


def _unstandardize(y, mean, sd):
    return np.asarray(y, dtype=np.float64) * sd + mean


class _Fitted:
    """A fitted transformer that ``fit`` leaves as it is (refit_weighted: the weighted preprocessing, fitted first)."""

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None, **kw):
        return self

    def transform(self, X):
        return self.transformer.transform(X)

    def fit_transform(self, X, y=None, **kw):
        return self.transform(X)
