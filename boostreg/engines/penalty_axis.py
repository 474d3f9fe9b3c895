"""One dimensionless penalty axis for boosters and linear baselines (pure functions, no engines).

Every fit gets ``alpha_normalized`` (its L1 strength), ``lambda_normalized`` (its L2 strength) and
``penalty_normalized`` (the one that applies), so GBM and linear regularization paths share one plot.

L1 — the penalty relative to the smallest one that zeroes everything (>= 1: all zero):

* Lasso / ElasticNet (sklearn objective ``1/(2n)||y - Xw||^2 + a*rho*||w||_1 + ...``):
  ``a * rho / a_max`` with ``a_max = max_j |x_j^T (y - ybar)| / n`` on the centred, scaled training design
  (:func:`lasso_alpha_max`, :func:`l1_linear`).
* L1 / elastic-net logistic regression and L1 LinearSVC (``rho*||w||_1 + C * sum loss``): all coefficients
  are zero for ``C <= rho * l1_min_c``, so ``rho * l1_min_c / C`` (:func:`l1_from_min_c`). For logistic regression
  (intercept unpenalized) ``l1_min_c = 1 / max_j |x_j^T (y - ybar)|``, the gradient at w = 0 with the intercept at
  the base rate; for LinearSVC (liblinear penalizes its intercept) it is ``sklearn.svm.l1_min_c``.
* Boosters: ``reg_alpha / max|G|`` with G the gradient sum of each leaf of the *first tree of the group's
  unpenalized fit* at the base margin (:func:`booster_l1`): from reg_alpha = max|G| on, every leaf of a
  first tree with that structure is exactly 0.

L2 — the implied shrink factor, 1 - mean fraction of the unpenalized fit that survives (0 = none, -> 1 = all):

* Ridge (``||y - Xw||^2 + a||w||^2``): ``1 - mean_j d_j / (d_j + a)`` over the positive eigenvalues d_j of
  ``Xc^T Xc`` (centred, scaled training design) (:func:`l2_shrink`). Zero eigenvalues (collinear one-hot
  columns) are left out: no penalty acts on a direction the data does not see.
* ElasticNet: the same with the ridge-equivalent ``a_ridge = n * a * (1 - rho)``.
* C-penalized models (``0.5||w||^2 + C * sum loss``): the ridge-equivalent is ``1 / (C * h0)`` with h0 the
  loss's curvature — p(1-p) at the base rate for log loss, 2 for the squared hinge and squared
  epsilon-insensitive losses, and 1 by convention for losses without curvature (hinge, epsilon-insensitive),
  times ``(1 - rho)`` for the elastic net (:func:`ridge_equivalent_of_c`).
* RBF SVMs: the same shrink formula on the eigenvalues of the training kernel matrix (estimated on at most
  1000 rows, scaled by n / m), with ``1 / (C * h0)``, h0 = 1.
* Boosters: ``reg_lambda / (reg_lambda + Hbar)`` with Hbar the mean hessian sum over the leaves of the first
  tree of the group's unpenalized fit (:func:`booster_l2`) — exactly 1 - H / (H + lambda) for a leaf of
  average H.

``penalty_normalized`` (:func:`combine`): kind ``l1`` -> alpha_normalized; ``l2`` -> lambda_normalized;
``elasticnet`` (linear elastic net, or a booster with reg_alpha > 0 and reg_lambda > 0) -> alpha_normalized,
the axis on which everything ends at zero; ``none`` (the unpenalized booster) -> 0; ``c`` (RBF SVMs) ->
lambda_normalized.
"""

from __future__ import annotations

import numpy as np


def lasso_alpha_max(X: np.ndarray, y: np.ndarray) -> float:
    """Smallest Lasso alpha with every coefficient 0: max_j |x_j^T (y - ybar)| / n, X centred (intercept fitted)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    return float(np.max(np.abs(Xc.T @ (y - y.mean())), initial=0.0) / len(y))


def l1_linear(alpha: float, alpha_max: float, l1_ratio: float = 1.0) -> float:
    """alpha * l1_ratio / alpha_max (>= 1: every coefficient is 0)."""
    return float(alpha * l1_ratio / alpha_max) if alpha_max > 0 else np.nan


def l1_from_min_c(C: float, min_c: float, l1_ratio: float = 1.0) -> float:
    """l1_ratio * l1_min_c / C (>= 1: every coefficient is 0)."""
    return float(l1_ratio * min_c / C) if C > 0 else np.nan


def design_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of Xc^T Xc (Xc = X centred), i.e. the squared singular values d_j^2 of the centred design."""
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    return np.clip(np.linalg.eigvalsh(Xc.T @ Xc), 0.0, None)


def l2_shrink(eigenvalues: np.ndarray, lam: float) -> float:
    """1 - mean_j d_j / (d_j + lam) over the positive eigenvalues d_j (relative tolerance 1e-10)."""
    d = np.asarray(eigenvalues, dtype=np.float64)
    if len(d) == 0 or d.max() <= 0:
        return np.nan
    d = d[d > 1e-10 * d.max()]
    if lam <= 0:
        return 0.0
    return float(1.0 - np.mean(d / (d + lam)))


def ridge_equivalent_of_c(C: float, curvature: float, l1_ratio: float = 0.0) -> float:
    """The ridge alpha implied by ``0.5 (1 - rho) ||w||^2 + C * sum loss``: (1 - rho) / (C * h0)."""
    return float((1.0 - l1_ratio) / (C * curvature))


def logistic_curvature(y: np.ndarray) -> float:
    """p (1 - p) at the base rate: the log loss's curvature at the intercept-only fit."""
    p = float(np.mean(y))
    return p * (1.0 - p) if 0 < p < 1 else 0.25


def booster_l1(reg_alpha: float, grad_abs_max: float) -> float:
    """reg_alpha / max|G| over the first tree's leaves of the unpenalized fit."""
    if not np.isfinite(grad_abs_max) or grad_abs_max <= 0:
        return np.nan
    return float(reg_alpha / grad_abs_max)


def booster_l2(reg_lambda: float, hess_mean: float) -> float:
    """reg_lambda / (reg_lambda + Hbar): the shrink of a leaf with the first tree's mean hessian sum."""
    if not np.isfinite(hess_mean) or reg_lambda + hess_mean <= 0:
        return np.nan
    return float(reg_lambda / (reg_lambda + hess_mean))


def booster_kind(reg_alpha: float, reg_lambda: float) -> str:
    """none / l1 / l2 / elasticnet from which booster penalties are nonzero."""
    if reg_alpha > 0 and reg_lambda > 0:
        return "elasticnet"
    return "l1" if reg_alpha > 0 else "l2" if reg_lambda > 0 else "none"


def combine(kind: str, alpha_normalized: float, lambda_normalized: float) -> float:
    """penalty_normalized for a penalty kind (see the module docstring)."""
    if kind in ("l1", "elasticnet"):
        return alpha_normalized
    if kind in ("l2", "c"):
        return lambda_normalized
    if kind == "none":
        return 0.0
    raise ValueError(f"unknown penalty kind {kind!r}")
