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

Multiclass (labels 0..K-1): the margin is an (n, K) array, one column per class. A model with probabilities
(multinomial logistic regression, the MLP) gives its log-probabilities (``log_softmax`` of its decision function
or raw output: softmax of the margin is its predict_proba), so its multiclass log loss is the boosters'; a model
without them (LinearSVC one-vs-rest, the RBF SVC's one-vs-rest shape) gives decision_function, its log loss is
NaN and a multiclass log-loss primary metric falls back to the misclassification error (``primary_metric``
"error"). The
coefficient columns pool the K coefficient vectors (a column counts as used when any class uses it).

Sample weights (``fold.w_train``; None: every row weighs 1) mean "this row counts w times" throughout, so a
weight of 2 fits what the row duplicated fits: the preprocessing's means (imputation, scaling, the regression
target's standardization) and standard deviations are weighted, every estimator gets ``sample_weight`` (every
baseline's scikit-learn class takes it), the axis quantities (alpha_max, l1_min_c, the design's eigenvalues, the
base rates) are weighted, and the metrics are weighted by ``fold.w_test`` / ``fold.w_valid``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import measure, prior
from . import penalty_axis
from .base import Engine, Fold, primary_metric_name
from .sklearn_prep import (  # noqa: F401 - re-exported: the baselines import them from here
    Prepared,
    _Fitted,
    _standardize,
    _unstandardize,
    as_object,
    base_rates,
    class_curvature,
    class_targets,
    fit_preprocessing,
    preprocess,
    preprocessor,
    weighted_eigenvalues,
    weighted_mean_sd,
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
        n_cols = len(prepared.feature_of_column)
        nonzero = (coef.reshape(-1, n_cols) != 0).any(axis=0) if n_cols else np.zeros(0, dtype=bool)
        used = {prepared.feature_names[i] for i in np.unique(prepared.feature_of_column[nonzero])}
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

    def refit_weighted(self, model, X: pd.DataFrame, y: np.ndarray, weight: np.ndarray) -> None:
        """Fit :meth:`refit_model`'s model with sample weights as a study's fit uses them (in place): the
        preprocessing's weighted means and scales (:func:`fit_preprocessing`), the estimator's ``sample_weight``,
        and for a standardized target its weighted mean and sd (the TransformedTargetRegressor's scaler, fitted
        with the weights first and then kept: its ``func`` pair applies it)."""
        from functools import partial

        from sklearn.compose import TransformedTargetRegressor

        w = np.asarray(weight, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        pipe = model.regressor if isinstance(model, TransformedTargetRegressor) else model
        if isinstance(model, TransformedTargetRegressor):
            mean, sd = weighted_mean_sd(y, w)
            sd = sd if sd > 0 else 1.0
            model.set_params(transformer=None, func=partial(_standardize, mean=mean, sd=sd))
            model.set_params(inverse_func=partial(_unstandardize, mean=mean, sd=sd), check_inverse=False)
        pre = fit_preprocessing(pipe.steps[0][1], X, w)
        name, estimator = pipe.steps[-1]
        pipe.steps[0] = (pipe.steps[0][0], _Fitted(pre))
        try:
            model.fit(X, y, **{f"{name}__sample_weight": w})
        finally:
            pipe.steps[0] = (pipe.steps[0][0], pre)

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
        """Fit the built estimator on the preprocessed training rows, weighted by the fold's sample weights (an
        engine may warm-start or polish it)."""
        model.fit(prepared.X_train, self.target(prepared, params), sample_weight=prepared.w_train)

    def coefficients(self, model) -> np.ndarray | None:
        """The coefficients, the K vectors of a multiclass model pooled (flattened class by class)."""
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
        """Eigenvalues of Xc^T W Xc (the centred training design; W the sample weights, Xc centred by their mean)."""
        return prepared.cached("eig", lambda: weighted_eigenvalues(prepared.X_train, prepared.w_train))

    def measure(self, model, prepared: Prepared, params, fold: Fold):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(prepared.threads):
            return self._measure(model, prepared, params, fold)

    def primary_metric(self, fold: Fold) -> str:
        """The fold's primary metric, or "error" (1 - accuracy) where it is a log loss (binary or multiclass) and the
        model has no probabilities."""
        metric = primary_metric_name(fold)
        return "error" if metric in ("logloss", "mlogloss") and not self.has_proba else metric

    def margin(self, model, prepared: Prepared, X: np.ndarray) -> np.ndarray:
        """Predictions in the target's units (regression), decision_function (binary), or (multiclass) an (n, K)
        margin: log-probabilities where the model has them, else decision_function (:meth:`class_scores`)."""
        if prepared.task == "regression":
            return model.predict(X) * prepared.y_scale + prepared.y_mean
        if prepared.task == "multiclass":
            return self.class_margin(model, prepared, self.class_scores(model, X))
        return model.decision_function(X)

    def class_scores(self, model, X: np.ndarray) -> np.ndarray:
        """A multiclass model's (n, K') scores, one column per class it saw (``model.classes_``)."""
        return np.asarray(model.decision_function(X), dtype=np.float64)

    def class_margin(self, model, prepared: Prepared, scores: np.ndarray) -> np.ndarray:
        """(n, K) float64 from a model's per-class scores: log_softmax for a model with probabilities, the scores
        as they are otherwise; a class the training rows lacked gets -inf (probability 0, never predicted)."""
        from scipy.special import log_softmax

        scores = log_softmax(scores, axis=1) if self.has_proba else scores
        out = np.full((len(scores), prepared.n_classes), -np.inf)
        out[:, np.asarray(model.classes_, dtype=np.int64)] = scores
        return out

    def _measure(self, model, prepared: Prepared, params, fold: Fold):
        raw = self.users_default(params)
        fitted = prepared
        if raw:  # fitted on y as the user has it: its predictions are in y's units already, no back-transform
            fitted = replace(prepared, y_train=prepared.y_train_raw, y_mean=0.0, y_scale=1.0)
        metric = self.primary_metric(fold)
        record: dict[str, Any] = {
            "penalty_kind": self.penalty_kind,
            "penalty": float(params["penalty"]),
            "primary_metric": getattr(metric, "name", metric),  # a user's Metric by its name
        }
        sets = (
            ("train", fold.y_train, prepared.X_train, fold.w_train),
            ("test", fold.y_test, prepared.X_test, fold.w_test),
        )
        for prefix, y, X, w in sets:
            record.update(measure.metrics(y, self.margin(model, fitted, X), fold.task, prefix, metric, weight=w))
            if fold.task != "regression" and not self.has_proba:  # a margin is not a log-odds: no log loss
                record[f"{prefix}_logloss"] = np.nan
        record["valid_error"] = np.nan
        if prepared.X_valid is not None:
            margin = self.margin(model, fitted, prepared.X_valid)
            error = measure.primary_error(fold.y_valid, margin, fold.task, metric, weight=fold.w_valid)
            record["valid_error"] = float(error[0])
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
