"""RBF-kernel SVMs (SVR, SVC) on the boosters' folds, swept over C (``penalty``), largest C first.

Same preprocessing as the linear baselines (``linear.preprocess``); gamma = "scale". Dual coefficients are not
feature weights, so the coefficient and prior columns are NaN and every feature counts as used (the kernel
sees them all). ``n_support`` / ``support_frac`` count the support vectors. SVC has no probabilities here
(``probability=True`` would run an internal 5-fold Platt calibration per fit): its log loss is NaN, accuracy
and AUC come from decision_function, and a log-loss primary metric falls back to the misclassification error
(``SklearnEngine.primary_metric``; multiclass: the (n, K) one-vs-rest decision_function, scikit-learn's
``decision_function_shape="ovr"``, and 1 - accuracy). Sample weights go to ``fit`` as ``sample_weight`` (they
scale C per row); the kernel's eigenvalues on the axis are unweighted (an approximation). penalty_normalized is
the L2 shrink 1 - mean e/(e + 1/C) over the eigenvalues e of the training kernel matrix (see ``boostreg.penalty_axis``).

SVR's grid fits see the standardized target, like the linear baselines'; its library default (``is_default``) is
``SVR()`` as users run it (``own_default_fit``): C = 1, epsilon = 0.1 and tol with scikit-learn's defaults (what
the study sets excepted), fitted on the target as the user has it (raw y), so epsilon is in y's units, as it is
for them. Its penalty_normalized is the axis of C / sd_y, the C it is equivalent to on the standardized scale
(with epsilon / sd_y). SVC's default is the grid point C = 1 (no target to scale).
"""

from __future__ import annotations

import numpy as np

from . import penalty_axis
from .sklearn_base import SklearnEngine

#: the kernel matrix's eigenvalues are estimated on at most this many training rows (scaled by n / m)
KERNEL_EIG_ROWS = 1000


def kernel_eigenvalues(X: np.ndarray, max_rows: int = KERNEL_EIG_ROWS) -> np.ndarray:
    """Eigenvalues of the RBF kernel matrix (gamma = "scale") of X, from a seeded subsample of max_rows rows."""
    from sklearn.metrics.pairwise import rbf_kernel

    n, p = X.shape
    var = X.var()
    gamma = 1.0 / (p * var) if var > 0 else 1.0
    rows = np.sort(np.random.default_rng(0).choice(n, size=max_rows, replace=False)) if n > max_rows else np.arange(n)
    eig = np.clip(np.linalg.eigvalsh(rbf_kernel(X[rows], gamma=gamma)), 0.0, None)
    return eig * (n / len(rows))


class _RBF(SklearnEngine):
    penalty_param = "C"
    param_names = {"penalty": "C"}
    penalty_kind = "c"
    default_grid = {"log": [1e-2, 1e2], "num": 5}
    native_params = frozenset({"max_iter", "tol", "epsilon", "cache_size"})

    def coefficients(self, model):
        return None

    def axis(self, prepared, penalty, params):
        eig = prepared.cached("kernel_eig", lambda: kernel_eigenvalues(prepared.X_train))
        return 0.0, penalty_axis.l2_shrink(eig, penalty_axis.ridge_equivalent_of_c(penalty, 1.0))

    def extra_columns(self, model, prepared):
        n_support = int(len(model.support_))
        return {"n_support": n_support, "support_frac": n_support / len(prepared.y_train)}


class SVREngine(_RBF):
    name = "svr_rbf"
    color = "#17becf"
    library_defaults = {"penalty": 1.0}  # SVR(C=1.0)
    tasks = ("regression",)
    own_default_fit = True
    records_version = 2
    standardized_power = -1.0  # C sum max(0, |r| - eps) + |w|^2 / 2 with y = s y': C / s (and eps / s) on y'

    def estimator(self, penalty, params, seed):
        from sklearn.svm import SVR

        # cache_size changes the speed, not the fit
        return SVR(
            kernel="rbf",
            C=penalty,
            gamma="scale",
            cache_size=float(params.get("cache_size", 500)),
            **self.settings(params, epsilon=0.1, tol=1e-3, max_iter=-1),
        )


class SVCEngine(_RBF):
    name = "svc_rbf"
    color = "#1b9e77"
    library_defaults = {"penalty": 1.0}  # SVC(C=1.0)
    tasks = ("binary", "multiclass")  # multiclass: decision_function's one-vs-rest shape (n, K), no probabilities

    def estimator(self, penalty, params, seed):
        from sklearn.svm import SVC

        return SVC(
            kernel="rbf",
            C=penalty,
            gamma="scale",
            tol=float(params.get("tol", 1e-3)),
            max_iter=int(params.get("max_iter", -1)),
            cache_size=float(params.get("cache_size", 500)),
            random_state=seed,
        )


SVM_ENGINES = (SVREngine, SVCEngine)
