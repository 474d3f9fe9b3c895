"""The scikit-learn baselines' common engine: :class:`SklearnEngine`, its preprocessing and measures.

Preprocessing, fitted on the training fold only, once per fold (``prepare``): numeric columns are mean-imputed
and standardized, pandas category columns one-hot encoded (unknown test levels ignored, missing values a
level of their own); the test fold and the validation split (``fold.X_valid``, when the study carves one) are
transformed with it. For the grid, regression targets are standardized too (training mean and sd): the grid's
penalties and coefficients are on the standardized scale (so that one axis pools datasets), while predictions and
errors are back in the target's units.

The library default (the record with ``is_default``; penalty = ``library_defaults``) is the estimator as users
run it: a regression baseline's default (``own_default_fit``) is ``Lasso()`` / ``Ridge()`` / ``ElasticNet()`` /
``LinearSVR()`` / ``SVR()`` with the class's own settings (max_iter, tol, epsilon, dual: only what the study
sets is passed) fitted on the target as the user has it (raw y, not standardized), after the same preprocessing
of X, so its predictions need no back-transform. Fitting on raw y is the one rule that holds for all of them:
Lasso's alpha = 1 on standardized y zeroes every coefficient where ``Lasso()`` on diabetes does not, elastic
net's L1 and L2 terms scale differently with y, and (Linear)SVR's epsilon is in y's units. It is a fit of its
own, beside the grid point of the same penalty (whose record stays the standardized one): the plan gives it its
own fit_id and the runner passes it ``_default``. Its measured columns stay comparable with the grid's: the
coefficient columns (``coef_abs_mean``, norms, ``prior_*``, hence ``shrinkage_vs_unpenalized``) are its
coefficients divided by the training sd of y, i.e. in standardized-y units like the grid's (``zero_coef_frac``
and the feature counts do not depend on the scale), and ``alpha_normalized`` / ``lambda_normalized`` /
``penalty_normalized`` are the axis of the standardized-scale penalty the raw fit is equivalent to (Lasso
alpha / sd_y, Ridge alpha, elastic net's L1 term / sd_y and L2 term unchanged, C / sd_y for an absolute loss
with an L2 penalty, C for a squared one; exact up to liblinear's penalized intercept and an epsilon > 0).
Binary baselines have no target to scale: their default is the grid point C = 1 (or a fit of its own when the
grid lacks it).

The binary task uses decision_function as the margin: for logistic regression that is the log-odds, so log
loss is the boosters'; LinearSVC (and the RBF SVC) has no probabilities, so its log loss is NaN, accuracy and
AUC come from the margin, and a log-loss primary metric falls back to the misclassification error (the
record's ``primary_metric`` says "error"). ``valid_error`` is the primary metric on the validation split
(NaN without one).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import measure, prior
from . import penalty_axis
from .base import Engine, Fold, primary_metric_name

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


def preprocess(fold: Fold) -> Prepared:
    """Fit the ColumnTransformer on the training fold; transform the test fold and the validation split (if any)."""
    names = tuple(fold.X_train.columns)
    cat = [c for c in names if isinstance(fold.X_train[c].dtype, pd.CategoricalDtype)]
    num = [c for c in names if c not in cat]
    ct = _column_transformer(cat, num)
    Xtr = np.asarray(ct.fit_transform(as_object(fold.X_train, cat)), dtype=np.float64)
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
        mean, scale = float(y.mean()), float(y.std())
        scale = scale if scale > 0 else 1.0
        y = (y - mean) / scale
    else:
        mean, scale = 0.0, 1.0
    return Prepared(
        Xtr, Xte, y, mean, scale, np.asarray(owner, dtype=np.int64), names, fold.task, X_valid=Xva, y_train_raw=raw
    )


def coef_columns(coef: np.ndarray | None, prepared: Prepared, noise_features) -> dict[str, float]:
    """Coefficient sizes, exact zeros, and the original features (and known-noise ones) with a nonzero coefficient.

    A one-hot encoded feature counts as used when any of its dummies is nonzero. ``coef`` None (RBF SVMs: dual
    coefficients are not feature weights) gives NaN sizes, and every feature counts as used (the kernel sees them all).
    """
    if coef is None:
        used = set(prepared.feature_names)
        out = {k: np.nan for k in ("coef_abs_mean", "coef_l1_norm", "coef_l2_norm", "zero_coef_frac")}
    else:
        coef = np.asarray(coef, dtype=np.float64).ravel()
        used = {prepared.feature_names[i] for i in np.unique(prepared.feature_of_column[coef != 0])}
        out = {
            "coef_abs_mean": float(np.abs(coef).mean()) if len(coef) else np.nan,
            "coef_l1_norm": float(np.abs(coef).sum()),
            "coef_l2_norm": float(np.sqrt((coef**2).sum())),
            "zero_coef_frac": float(np.mean(coef == 0.0)) if len(coef) else np.nan,
        }
    out["n_features_used"] = len(used)
    out["n_noise_features_used"] = len(used & set(noise_features)) if noise_features is not None else np.nan
    return out


class SklearnEngine(Engine):
    """A scikit-learn baseline: one ``penalty`` per fit, on the cached preprocessed fold."""

    kind = "baseline"
    library = "sklearn"  # engine_version is scikit-learn's
    param_names: ClassVar[dict] = {"penalty": "alpha"}
    magnitude_column = "coef_abs_mean"
    #: {"penalty": the estimator's own default alpha or C}: every baseline class declares it (tests check it
    #: against the estimator's signature)
    library_defaults: ClassVar[dict] = {}
    native_params = frozenset({"max_iter", "tol"})
    #: the estimator's name for ``penalty`` ("alpha" or "C")
    penalty_param: ClassVar[str] = "alpha"
    #: l1 / l2 / elasticnet / c
    penalty_kind: ClassVar[str] = "l2"
    #: the grid when the study gives none: {"log": [low, high], "num": n}
    default_grid: ClassVar[dict] = {"log": [1e-3, 1e2], "num": 6}
    #: whether the model gives probabilities (its decision_function is a log-odds)
    has_proba: ClassVar[bool] = False
    #: whether the library default is a fit of its own: the estimator as users run it (the class's own settings,
    #: raw y), not the grid point of the same penalty (see the module docstring); the runner passes it ``_default``
    own_default_fit: ClassVar[bool] = False
    #: the own default fit's penalty on the standardized-y scale is penalty * sd_y ** standardized_power (Lasso's
    #: alpha -> alpha / sd_y: -1; Ridge's alpha and a squared loss's C: 0; an absolute loss's C -> C / sd_y: -1)
    standardized_power: ClassVar[float] = 0.0

    def refit_model(self, estimator, X, task, standardized_y):
        """The estimator as boostreg fits it: its preprocessing (fitted on the rows given) before it, and a
        standardized target where the chosen penalty is on that scale (TransformedTargetRegressor)."""
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(preprocessor(X), estimator)
        if standardized_y and task == "regression":
            model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
        return model

    def load_hint(self, name, cls):
        return f"joblib.load('{name}')  # the whole pipeline: boostreg's preprocessing, then the estimator"

    def least_penalized_first(self, values: list[float]) -> list[float]:
        """The grid ordered from the least penalized fit (the group's reference): alpha ascending, C descending."""
        return sorted(values, reverse=self.penalty_param == "C")

    def prepare(self, fold: Fold, params, *, threads):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(threads):
            prepared = preprocess(fold)
        prepared.threads = threads
        return prepared

    def estimator(self, penalty: float, params: dict, seed: int):
        raise NotImplementedError

    def users_default(self, params: dict) -> bool:
        """Whether this fit is the library default as users run it (an own default fit: raw y, the class's settings)."""
        return self.own_default_fit and bool(params.get("_default", False))

    def settings(self, params: dict, **boostreg_defaults) -> dict:
        """Estimator settings: the study's where it sets them, else boostreg's (grid fits), or for the library
        default as users run it nothing (the class's own defaults)."""
        if self.users_default(params):
            return {k: type(v)(params[k]) for k, v in boostreg_defaults.items() if k in params}
        return {k: type(v)(params.get(k, v)) for k, v in boostreg_defaults.items()}

    def target(self, prepared: Prepared, params: dict) -> np.ndarray:
        """The training target of a fit: standardized (grid), or as the user has it (the default as users run it)."""
        return prepared.y_train_raw if self.users_default(params) else prepared.y_train

    def fit(self, prepared: Prepared, params, *, seed, threads):
        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits

        model = self.estimator(float(params["penalty"]), params, seed)
        with warnings.catch_warnings(), threadpool_limits(threads):
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.fit_estimator(model, prepared, params)
        return model

    def fit_estimator(self, model, prepared: Prepared, params) -> None:
        """Fit the built estimator on the preprocessed training rows (an engine may warm-start or polish it)."""
        model.fit(prepared.X_train, self.target(prepared, params))

    def coefficients(self, model) -> np.ndarray | None:
        return np.asarray(model.coef_).ravel()

    def axis(self, prepared: Prepared, penalty: float, params: dict) -> tuple[float, float]:
        """(alpha_normalized, lambda_normalized) of this fit; see boostreg.penalty_axis."""
        raise NotImplementedError

    def users_default_axis(self, prepared: Prepared, penalty: float, params: dict) -> tuple[float, float]:
        """The axis of a fit on raw y: that of the standardized-y penalty it is equivalent to."""
        return self.axis(prepared, penalty * prepared.y_scale**self.standardized_power, params)

    def extra_columns(self, model, prepared: Prepared) -> dict:
        return {}

    def eigenvalues(self, prepared: Prepared) -> np.ndarray:
        return prepared.cached("eig", lambda: penalty_axis.design_eigenvalues(prepared.X_train))

    def measure(self, model, prepared: Prepared, params, fold: Fold):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(prepared.threads):
            return self._measure(model, prepared, params, fold)

    def primary_metric(self, fold: Fold) -> str:
        """The fold's primary metric, or "error" (1 - accuracy) where it is log loss and the model has no
        probabilities."""
        metric = primary_metric_name(fold)
        return "error" if metric == "logloss" and fold.task == "binary" and not self.has_proba else metric

    def margin(self, model, prepared: Prepared, X: np.ndarray) -> np.ndarray:
        """Predictions in the target's units (regression) or decision_function (binary) of preprocessed rows."""
        if prepared.task == "regression":
            return model.predict(X) * prepared.y_scale + prepared.y_mean
        return model.decision_function(X)

    def _measure(self, model, prepared: Prepared, params, fold: Fold):
        raw = self.users_default(params)
        fitted = prepared
        if raw:  # fitted on y as the user has it: its predictions are in y's units already, no back-transform
            fitted = replace(prepared, y_train=prepared.y_train_raw, y_mean=0.0, y_scale=1.0)
        metric = self.primary_metric(fold)
        record: dict[str, Any] = {
            "penalty_kind": self.penalty_kind,
            "penalty": float(params["penalty"]),
            "primary_metric": metric,
        }
        for prefix, y, X in (("train", fold.y_train, prepared.X_train), ("test", fold.y_test, prepared.X_test)):
            record.update(measure.metrics(y, self.margin(model, fitted, X), fold.task, prefix, metric))
            if fold.task == "binary" and not self.has_proba:  # a margin is not a log-odds: no log loss
                record[f"{prefix}_logloss"] = np.nan
        record["valid_error"] = np.nan
        if prepared.X_valid is not None:
            margin = self.margin(model, fitted, prepared.X_valid)
            record["valid_error"] = float(measure.primary_error(fold.y_valid, margin, fold.task, metric)[0])
        coef = self.coefficients(model)
        if raw and coef is not None:  # in standardized-y units, like the grid's coefficients
            coef = np.asarray(coef, dtype=np.float64) / prepared.y_scale
        record.update(coef_columns(coef, prepared, fold.noise_features))
        record.update(prior.prior_columns(coef))
        axis = self.users_default_axis if raw else self.axis
        a, l = axis(prepared, float(params["penalty"]), params)
        record.update(
            alpha_normalized=a, lambda_normalized=l, penalty_normalized=penalty_axis.combine(self.penalty_kind, a, l)
        )
        record.update(self.extra_columns(model, fitted))
        return record, None
