"""scikit-learn linear baselines on the boosters' folds: Lasso, Ridge, ElasticNet, LinearSVR, logistic, LinearSVC.

Each engine sweeps one ``penalty`` (the estimator's own parameter: ``alpha`` for Lasso / Ridge / ElasticNet,
``C`` for logistic regression and the SVMs) over the study's [baseline_grid], least penalized first (smallest
alpha, largest C): that fit is the group's reference for ``shrinkage_vs_unpenalized`` (of ``coef_abs_mean``).

Preprocessing, the library default as users run it and the measured columns are :class:`SklearnEngine`'s
(``sklearn_base.py``).

Every logistic baseline leaves its intercept unpenalized (lbfgs; saga, the L1 one warm-started from liblinear):
liblinear alone penalizes it like a coefficient, which pulls a strongly penalized model to p = 0.5 instead of
the base rate (see :class:`_Logistic`).

Multiclass (task "multiclass"): the logistic baselines are multinomial (scikit-learn's LogisticRegression fits
the multinomial loss with lbfgs and saga; liblinear refuses more than two classes, so the L1 fit's saga starts
from the multinomial L2 fit at the same C instead), the LinearSVCs one-vs-rest (K margins from
decision_function). Sample weights go to every fit as ``sample_weight`` (see ``sklearn_base``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from . import penalty_axis
from .sklearn_base import (
    Prepared,
    SklearnEngine,
    as_object,
    base_rates,
    class_curvature,
    class_targets,
    coef_columns,
    preprocess,
    preprocessor,
)

__all__ = [
    "LINEAR_ENGINES",
    "Prepared",
    "SklearnEngine",
    "as_object",
    "coef_columns",
    "exact_intercept",
    "preprocess",
    "preprocessor",
]


# ---------------------------------------------------------------------------------------------- regression


class _AlphaRegression(SklearnEngine):
    tasks = ("regression",)
    penalty_param = "alpha"
    own_default_fit = True
    records_version = 2

    def alpha_max(self, prepared):
        return prepared.cached("alpha_max", lambda: weighted_alpha_max(prepared.X_train, prepared.y_train, prepared))


def weighted_alpha_max(X: np.ndarray, y: np.ndarray, prepared: Prepared) -> float:
    """penalty_axis.lasso_alpha_max with sample weights: max_j |x_j^T W (y - ybar)| / sum(w), X and y centred by
    their weighted means (scikit-learn's Lasso rescales the weights to sum to n: the same objective)."""
    w = prepared.w_train
    if w is None:
        return penalty_axis.lasso_alpha_max(X, y)
    Xc = X - np.average(X, axis=0, weights=w)
    return float(np.max(np.abs(Xc.T @ (w * (y - np.average(y, weights=w)))), initial=0.0) / w.sum())


class LassoEngine(_AlphaRegression):
    name = "lasso"
    color = "#d62728"
    library_defaults = {"penalty": 1.0}  # Lasso(alpha=1.0)
    penalty_kind = "l1"
    default_grid = {"log": [1e-3, 1.0], "num": 7}  # alpha_max <= 1 on standardized X and y
    standardized_power = -1.0  # (1/2n)||y - Xw||^2 + alpha |w|_1 with y = s y', w = s w': alpha / s on y'

    def estimator(self, penalty, params, seed):
        from sklearn.linear_model import Lasso

        return Lasso(alpha=penalty, **self.settings(params, max_iter=5000, tol=1e-4))

    def axis(self, prepared, penalty, params):
        return penalty_axis.l1_linear(penalty, self.alpha_max(prepared)), 0.0


class RidgeEngine(_AlphaRegression):
    name = "ridge"
    color = "#8c564b"
    library_defaults = {"penalty": 1.0}  # Ridge(alpha=1.0)
    penalty_kind = "l2"
    default_grid = {"log": [0.1, 1e5], "num": 7}

    def estimator(self, penalty, params, seed):
        from sklearn.linear_model import Ridge

        return Ridge(alpha=penalty)

    def axis(self, prepared, penalty, params):
        return 0.0, penalty_axis.l2_shrink(self.eigenvalues(prepared), penalty)


class ElasticNetEngine(_AlphaRegression):
    name = "elasticnet"
    color = "#e377c2"
    library_defaults = {"penalty": 1.0}  # ElasticNet(alpha=1.0)
    penalty_kind = "elasticnet"
    default_grid = {"log": [1e-3, 2.0], "num": 7}
    default_params = {"l1_ratio": 0.5}
    native_params = frozenset({"max_iter", "tol", "l1_ratio"})

    def estimator(self, penalty, params, seed):
        from sklearn.linear_model import ElasticNet

        return ElasticNet(
            alpha=penalty, l1_ratio=float(params["l1_ratio"]), **self.settings(params, max_iter=5000, tol=1e-4)
        )

    def axis(self, prepared, penalty, params, l1_penalty=None):
        rho = float(params["l1_ratio"])
        n = len(prepared.y_train) if prepared.w_train is None else float(prepared.w_train.sum())
        return (
            penalty_axis.l1_linear(penalty if l1_penalty is None else l1_penalty, self.alpha_max(prepared), rho),
            penalty_axis.l2_shrink(self.eigenvalues(prepared), n * penalty * (1 - rho)),
        )

    def users_default_axis(self, prepared, penalty, params):
        """On raw y the L1 term is alpha * l1_ratio / sd_y on the standardized scale, the L2 term unchanged."""
        return self.axis(prepared, penalty, params, l1_penalty=penalty / prepared.y_scale)


class _LinearSVR(SklearnEngine):
    tasks = ("regression",)
    penalty_param = "C"
    param_names = {"penalty": "C"}
    penalty_kind = "l2"
    loss: ClassVar[str] = "epsilon_insensitive"
    curvature: ClassVar[float] = 1.0
    native_params = frozenset({"max_iter", "tol", "epsilon"})
    own_default_fit = True
    records_version = 2

    def estimator(self, penalty, params, seed):
        from sklearn.svm import LinearSVR

        # the default as users run it keeps LinearSVR's dual="auto" (the same choice for the L1 loss)
        dual = {} if self.users_default(params) else {"dual": self.loss == "epsilon_insensitive"}
        return LinearSVR(
            C=penalty,
            loss=self.loss,
            random_state=seed,
            **dual,
            **self.settings(params, epsilon=0.0, max_iter=2000, tol=1e-4),
        )

    def axis(self, prepared, penalty, params):
        lam = penalty_axis.ridge_equivalent_of_c(penalty, self.curvature)
        return 0.0, penalty_axis.l2_shrink(self.eigenvalues(prepared), lam)


class LinearSVRL1LossEngine(_LinearSVR):
    """LinearSVR with the epsilon-insensitive (L1) loss; L2 penalty 0.5||w||^2, C on the loss."""

    name = "linear_svr_l1loss"
    color = "#b2df8a"
    library_defaults = {"penalty": 1.0}  # LinearSVR(C=1.0)
    loss = "epsilon_insensitive"
    curvature = 1.0  # no curvature: unit by convention (penalty_axis)
    standardized_power = -1.0  # C sum|r| + |w|^2 / 2 with y = s y', w = s w': C / s on y'


class LinearSVRL2LossEngine(_LinearSVR):
    """LinearSVR with the squared epsilon-insensitive (L2) loss."""

    name = "linear_svr_l2loss"
    color = "#fb9a99"
    library_defaults = {"penalty": 1.0}  # LinearSVR(loss="squared_epsilon_insensitive", C=1.0)
    loss = "squared_epsilon_insensitive"
    curvature = 2.0
    standardized_power = 0.0  # C sum r^2 + |w|^2 / 2: both terms scale with s^2


# ---------------------------------------------------------------------------------------------- binary


class _CBinary(SklearnEngine):
    tasks = ("binary", "multiclass")
    penalty_param = "C"
    param_names = {"penalty": "C"}
    default_grid = {"log": [1e-3, 1e2], "num": 6}
    l1_ratio: ClassVar[float] = 0.0
    min_c_loss: ClassVar[str] = "log"

    def curvature(self, prepared) -> float:
        return class_curvature(prepared)

    def l1_min_c(self, prepared) -> float:
        """The largest C at which the L1 penalty zeroes every coefficient (liblinear: intercept penalized too):
        ``sklearn.svm.l1_min_c``'s formula, one-vs-rest for multiclass, the rows weighted by their sample weights."""
        X = np.hstack([prepared.X_train, np.ones((len(prepared.X_train), 1))])  # the intercept column, scaling 1
        Y = 2.0 * class_targets(prepared) - 1.0  # +-1 per class (one-vs-rest)
        if prepared.w_train is not None:
            Y = Y * prepared.w_train[:, None]
        den = float(np.max(np.abs(Y.T @ X)))
        if den == 0:
            return np.inf
        return (1.0 if self.min_c_loss == "squared_hinge" else 2.0) / den

    def axis(self, prepared, penalty, params):
        rho = float(params.get("l1_ratio", self.l1_ratio))
        a = l = 0.0
        if rho > 0:
            min_c = prepared.cached("l1_min_c", lambda: self.l1_min_c(prepared))
            a = penalty_axis.l1_from_min_c(penalty, min_c, rho)
        if rho < 1:
            lam = penalty_axis.ridge_equivalent_of_c(penalty, self.curvature(prepared), rho)
            l = penalty_axis.l2_shrink(self.eigenvalues(prepared), lam)
        return a, l


def exact_intercept(model, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> None:
    """Set a logistic model's intercept to its exact optimum given the coefficients (in place).

    With the intercept unpenalized, the optimum b solves sum_i w_i expit(x_i w + b) = sum_i w_i y_i (training
    rows, sample weights w_i, 1 without), increasing in b: bracketed, then solved with brentq. With every
    coefficient 0 that is logit(base rate). A multinomial model: :func:`exact_intercepts`.
    """
    from scipy.optimize import brentq
    from scipy.special import expit

    if len(model.classes_) > 2:
        return exact_intercepts(model, X, y, weight)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    z = X @ np.asarray(model.coef_, dtype=np.float64).ravel()
    target = float(np.sum(w * y))
    if not 0 < target < w.sum():
        return
    f = lambda b: float(np.sum(w * expit(z + b))) - target  # noqa: E731
    b0 = float(np.asarray(model.intercept_).ravel()[0])
    lo, hi, step = b0, b0, 1.0
    while f(lo) > 0:
        lo -= step
        step *= 2
    step = 1.0
    while f(hi) < 0:
        hi += step
        step *= 2
    model.intercept_ = np.array([brentq(f, lo, hi, xtol=1e-14, rtol=1e-15)] if lo < hi else [b0])


def exact_intercepts(model, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> None:
    """A multinomial model's K intercepts at their exact optimum given the coefficients (in place): they solve
    sum_i w_i p_ik = sum_i w_i [y_i = k] for every class k, reached by the scaling step b_k += log(target_k /
    current_k), which for intercepts (indicator features summing to 1 per row) is iterative scaling: it
    converges monotonically. Centred to sum 0 (softmax ignores a common shift)."""
    from scipy.special import softmax

    classes = np.asarray(model.classes_, dtype=np.float64)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    target = ((y[:, None] == classes[None, :]) * w[:, None]).sum(axis=0)
    if np.any(target <= 0):
        return
    z = X @ np.asarray(model.coef_, dtype=np.float64).T
    b = np.asarray(model.intercept_, dtype=np.float64).copy()
    for _ in range(1000):  # stops at 1e-12 (a relative error of the sums; rounding leaves steps of ~1e-14)
        step = np.log(target) - np.log(softmax(z + b, axis=1).T @ w)
        b += step
        if np.max(np.abs(step)) < 1e-12:
            break
    model.intercept_ = b - b.mean()


class _Logistic(_CBinary):
    """LogisticRegression with an unpenalized intercept: lbfgs or saga, never liblinear alone.

    liblinear penalizes the intercept like a coefficient, so at a strong L1 penalty its model predicts 0.5
    (test log loss log 2) instead of the training base rate. saga does not, but its stopping rule (the largest
    relative change of the coefficients, sklearn/linear_model/_sag_fast.pyx.tp) never looks at the intercept:
    with every coefficient 0 it stops after one epoch, the intercept part-way to the base rate (breast_cancer,
    C = 0.001: -0.31 for logit(base rate) -0.52). So after saga the intercept is solved exactly given the
    coefficients (:func:`exact_intercept`).
    """

    has_proba = True
    solver: ClassVar[str] = "lbfgs"
    #: max_iter when the study sets none
    default_max_iter: ClassVar[int] = 1000

    def estimator(self, penalty, params, seed):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=penalty,
            l1_ratio=float(params.get("l1_ratio", self.l1_ratio)),
            solver=self.solver,
            max_iter=int(params.get("max_iter", self.default_max_iter)),
            tol=float(params.get("tol", 1e-4)),
            random_state=seed,
        )

    def fit_estimator(self, model, prepared, params):
        model.fit(prepared.X_train, prepared.y_train, sample_weight=prepared.w_train)
        if self.solver == "saga":
            exact_intercept(model, prepared.X_train, prepared.y_train, prepared.w_train)

    def l1_min_c(self, prepared) -> float:
        """1 / max_jk |x_j^T W (y_k - ybar_k)|: the gradient at w = 0 with the intercepts at the (weighted) base
        rates (binary: one column y; multinomial: the K class indicators y_k).

        sklearn's l1_min_c assumes liblinear's penalized intercept (gradient at p = 0.5, with the intercept
        column); with the intercept free, the coefficients leave 0 when C |x_j^T W (y_k - ybar_k)| exceeds 1.
        """
        Y = class_targets(prepared) - base_rates(prepared)[None, :]
        if prepared.w_train is not None:
            Y = Y * prepared.w_train[:, None]
        den = float(np.max(np.abs(prepared.X_train.T @ Y))) if prepared.X_train.size else 0.0
        return 1.0 / den if den > 0 else np.inf


class LogisticL1Engine(_Logistic):
    """L1 logistic regression, intercept unpenalized: saga warm-started from liblinear's fit.

    saga alone converges slowly at weak penalties on nearly separable data (breast_cancer, C = 100: after 5000
    epochs its objective is still twice the optimum). liblinear's L1 fit is that optimum up to the intercept's
    penalty, which matters only at strong penalties, where saga converges in a few epochs: so saga starts from
    liblinear's coefficients and intercept and finishes the unpenalized problem; the intercept is then exact.
    """

    name = "logistic_l1"
    color = "#f0027f"
    library_defaults = {"penalty": 1.0}  # LogisticRegression(C=1.0)
    penalty_kind = "l1"
    l1_ratio = 1.0
    solver = "saga"

    def fit_estimator(self, model, prepared, params):
        from sklearn.base import clone

        # liblinear fits two classes only: a multinomial fit starts from the multinomial L2 fit (lbfgs) instead
        start = clone(model).set_params(
            **({"solver": "lbfgs", "l1_ratio": 0.0} if prepared.task == "multiclass" else {"solver": "liblinear"})
        )
        start.fit(prepared.X_train, prepared.y_train, sample_weight=prepared.w_train)
        model.set_params(warm_start=True)
        model.coef_, model.intercept_ = start.coef_.copy(), start.intercept_.copy()
        super().fit_estimator(model, prepared, params)


class LogisticL2Engine(_Logistic):
    name = "logistic_l2"
    color = "#637939"
    library_defaults = {"penalty": 1.0}  # LogisticRegression(C=1.0)
    penalty_kind = "l2"
    l1_ratio = 0.0
    solver = "lbfgs"


class LogisticElasticNetEngine(_Logistic):
    name = "logistic_elasticnet"
    color = "#ffbb78"
    library_defaults = {"penalty": 1.0}  # LogisticRegression(C=1.0)
    penalty_kind = "elasticnet"
    l1_ratio = 0.5
    solver = "saga"
    default_params = {"l1_ratio": 0.5}
    native_params = frozenset({"max_iter", "tol", "l1_ratio"})


class _LinearSVC(_CBinary):
    min_c_loss = "squared_hinge"

    def curvature(self, prepared) -> float:
        return 2.0  # the squared hinge

    def estimator(self, penalty, params, seed):
        from sklearn.svm import LinearSVC

        return LinearSVC(
            C=penalty,
            penalty="l1" if self.l1_ratio == 1 else "l2",
            loss="squared_hinge",
            dual=False,
            max_iter=int(params.get("max_iter", 2000)),
            tol=float(params.get("tol", 1e-4)),
            random_state=seed,
        )


class LinearSVCL1Engine(_LinearSVC):
    name = "linear_svc_l1"
    color = "#b15928"
    library_defaults = {"penalty": 1.0}  # LinearSVC(C=1.0)
    penalty_kind = "l1"
    l1_ratio = 1.0


class LinearSVCL2Engine(_LinearSVC):
    name = "linear_svc_l2"
    color = "#393b79"
    library_defaults = {"penalty": 1.0}  # LinearSVC(C=1.0)
    penalty_kind = "l2"
    l1_ratio = 0.0


LINEAR_ENGINES = (
    LassoEngine,
    RidgeEngine,
    ElasticNetEngine,
    LinearSVRL1LossEngine,
    LinearSVRL2LossEngine,
    LogisticL1Engine,
    LogisticL2Engine,
    LogisticElasticNetEngine,
    LinearSVCL1Engine,
    LinearSVCL2Engine,
)
