"""The prior view of a penalty: fit zero-mean Laplace and Gaussian priors to a weight vector (pure functions).

MAP estimation with a prior p(w) adds -log p(w) to the data's negative log-likelihood (NLL, summed over
rows). Convention: penalties are per unit of that summed NLL.

* Laplace(0, b): -log p(w) = |w| / b + log(2b)  ->  L1 penalty ``1 / b`` on ||w||_1 (``prior_implied_l1``).
  MLE of b with the location fixed at 0: b = mean |w|.
* Gaussian(0, sigma): -log p(w) = w^2 / (2 sigma^2) + ...  ->  L2 penalty ``1 / (2 sigma^2)`` on ||w||_2^2
  (``prior_implied_l2``). In XGBoost / LightGBM's ``0.5 * reg_lambda * w^2`` form that is reg_lambda = 1 / sigma^2.
  MLE of sigma^2 with the mean fixed at 0: sigma^2 = mean w^2.

The log-likelihoods are means per weight (so fits with different numbers of weights compare); at the MLE they
are -log(2b) - 1 and -0.5 log(2 pi sigma^2) - 0.5. The weights are all leaf values (zeros included: an
exactly-zero leaf is what an L1 prior produces) for boosters and all coefficients for linear models.
Degenerate vectors (empty, or all zero: scale 0) give NaN for every column.
"""

from __future__ import annotations

import numpy as np

COLUMNS = (
    "prior_laplace_scale",
    "prior_gauss_scale",
    "prior_loglik_laplace",
    "prior_loglik_gauss",
    "prior_implied_l1",
    "prior_implied_l2",
)


def laplace_fit(w: np.ndarray) -> float:
    """MLE scale b of a zero-mean Laplace: mean |w|."""
    w = np.asarray(w, dtype=np.float64)
    return float(np.mean(np.abs(w))) if len(w) else np.nan


def gauss_fit(w: np.ndarray) -> float:
    """MLE standard deviation sigma of a zero-mean Gaussian: sqrt(mean w^2)."""
    w = np.asarray(w, dtype=np.float64)
    return float(np.sqrt(np.mean(w**2))) if len(w) else np.nan


def laplace_loglik(w: np.ndarray, b: float) -> float:
    """Mean log density of w under Laplace(0, b)."""
    w = np.asarray(w, dtype=np.float64)
    if not len(w) or not b > 0:
        return np.nan
    return float(np.mean(-np.log(2 * b) - np.abs(w) / b))


def gauss_loglik(w: np.ndarray, sigma: float) -> float:
    """Mean log density of w under N(0, sigma^2)."""
    w = np.asarray(w, dtype=np.float64)
    if not len(w) or not sigma > 0:
        return np.nan
    return float(np.mean(-0.5 * np.log(2 * np.pi * sigma**2) - w**2 / (2 * sigma**2)))


def implied_l1(b: float) -> float:
    """The L1 penalty a Laplace(0, b) prior means: 1 / b."""
    return float(1.0 / b) if b > 0 else np.nan


def implied_l2(sigma: float) -> float:
    """The L2 penalty (on ||w||^2) a N(0, sigma^2) prior means: 1 / (2 sigma^2)."""
    return float(1.0 / (2 * sigma**2)) if sigma > 0 else np.nan


def prior_columns(w: np.ndarray | None) -> dict[str, float]:
    """The six prior columns of a fit record for weight vector ``w`` (all NaN when there are no weights)."""
    if w is None or len(w) == 0:
        return dict.fromkeys(COLUMNS, np.nan)
    b, s = laplace_fit(w), gauss_fit(w)
    if not (b > 0 and s > 0):
        return dict.fromkeys(COLUMNS, np.nan)
    return {
        "prior_laplace_scale": b,
        "prior_gauss_scale": s,
        "prior_loglik_laplace": laplace_loglik(w, b),
        "prior_loglik_gauss": gauss_loglik(w, s),
        "prior_implied_l1": implied_l1(b),
        "prior_implied_l2": implied_l2(s),
    }
