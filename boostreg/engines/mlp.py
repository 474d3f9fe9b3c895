"""A small neural network baseline: scikit-learn's MLPRegressor / MLPClassifier with L2 weight decay.

The neural-network row of the L1/L2 story. ``penalty`` is ``alpha``, sklearn's L2 penalty on every weight (not
the intercepts): its objective is ``mean loss + alpha / (2 n) * ||W||^2`` over all layers, i.e. the sum of the
per-row losses plus ``alpha / 2 * ||W||^2`` — weight decay, a zero-mean Gaussian prior on the weights. Least
penalized first: the smallest alpha is the group's reference. Default grid log 1e-5 ... 10 (7 points, sklearn's
default alpha = 1e-4 among them); ``library_defaults = {"penalty": 0.0001}``.

Same preprocessing as the linear baselines (``linear.preprocess``: standardized numbers, one-hot categories,
standardized regression target). Fixed settings (under [params.mlp]): ``hidden_layer_sizes`` (default [32]: one
hidden layer of 32 ReLU units), ``solver`` (default "lbfgs", not sklearn's "adam": full-batch quasi-Newton
reaches the penalized optimum on tabular data of this size, so what changes with alpha is the penalty and not
the stochastic optimizer's path), ``max_iter`` (default 500), ``tol``, ``activation``, ``learning_rate_init``,
``batch_size``; ``random_state`` is the fold's seed (the initial weights), ``early_stopping=False`` (boostreg's
validation split only scores).

Binary margin: the network's output before the logistic, computed from its own weights (sklearn's forward pass
without the last activation), so log loss, accuracy and AUC are the boosters'. Multiclass (MLPClassifier's softmax
output, K units): the log_softmax of that output, an (n, K) margin whose softmax is predict_proba. Sample weights
go to ``fit`` as ``sample_weight`` (scikit-learn >= 1.7).

What the columns mean here:

* ``coefficients()`` — one value per encoded input column: the L2 norm of its outgoing first-layer weights (how
  much the network can use that column). ``coef_abs_mean`` / norms / ``zero_coef_frac`` / ``n_features_used`` /
  ``n_noise_features_used`` are computed from these (a column is used when its norm is nonzero; weight decay
  shrinks, it never makes a weight exactly 0), and ``shrinkage_vs_unpenalized`` is their mean against the
  least penalized fit's.
* the prior columns (``prior_*``) are fitted to **all** weights of all layers, the values the L2 penalty acts on.
* ``axis()`` — ``alpha_normalized`` 0 and ``lambda_normalized`` = the shrink the same alpha would impose on a
  *linear* model of the same standardized inputs (an approximation: the network's first layer if its hidden units
  were linear): regression ``1 - mean d/(d + alpha)`` over the eigenvalues d of ``Xc^T Xc`` (sklearn's objective
  times 2n is ``||y - f||^2 + alpha ||W||^2``, Ridge's form); binary the same with ``alpha / h0``, h0 = p(1 - p)
  at the (weighted) base rate (``C = 1 / alpha`` in logistic regression's form; multiclass the mean of
  p_k (1 - p_k) over the classes). A network's decay acts on products of
  layers, so this places it on the shared axis, it does not measure its shrinkage exactly.
* record columns ``n_iter`` (solver iterations, or epochs for adam / sgd) and ``converged`` (stopped before
  ``max_iter``).
"""

from __future__ import annotations

import numpy as np

from .. import prior
from . import penalty_axis
from .sklearn_base import Prepared, SklearnEngine, class_curvature


def hidden_layers(value) -> tuple[int, ...]:
    """hidden_layer_sizes from a study: an int or a list of ints."""
    sizes = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    return tuple(int(s) for s in sizes)


def raw_output(model, X: np.ndarray) -> np.ndarray:
    """The network's output before its output activation (the log-odds for MLPClassifier), from its own weights."""
    from sklearn.neural_network._base import ACTIVATIONS

    a = np.asarray(X, dtype=np.float64)
    last = len(model.coefs_) - 1
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        a = a @ W + b
        if i < last:
            ACTIVATIONS[model.activation](a)  # in place, as sklearn's forward pass
    return a.ravel() if a.shape[1] == 1 else a


class MLPEngine(SklearnEngine):
    name = "mlp"
    color = "#bcbd22"
    tasks = ("regression", "binary", "multiclass")
    penalty_param = "alpha"
    param_names = {"penalty": "alpha"}
    penalty_kind = "l2"
    has_proba = True
    library_defaults = {"penalty": 0.0001}  # MLPRegressor(alpha=0.0001), MLPClassifier(alpha=0.0001)
    default_grid = {"log": [1e-5, 10.0], "num": 7}
    default_params = {"hidden_layer_sizes": [32], "solver": "lbfgs", "max_iter": 500}
    native_params = frozenset(
        {"hidden_layer_sizes", "solver", "max_iter", "tol", "activation", "learning_rate_init", "batch_size"}
    )
    record_columns = {"n_iter": "int64", "converged": "bool"}

    def estimator(self, penalty, params, seed, task: str = "regression"):
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        kw = {
            "hidden_layer_sizes": hidden_layers(params.get("hidden_layer_sizes", [32])),
            "solver": params.get("solver", "lbfgs"),
            "max_iter": int(params.get("max_iter", 500)),
            "tol": float(params.get("tol", 1e-4)),
            "activation": params.get("activation", "relu"),
            "learning_rate_init": float(params.get("learning_rate_init", 0.001)),
            "batch_size": params.get("batch_size", "auto"),
            "alpha": penalty,
            "random_state": seed,
            "early_stopping": False,
        }
        return (MLPRegressor if task == "regression" else MLPClassifier)(**kw)

    def fit(self, prepared: Prepared, params, *, seed, threads):
        """SklearnEngine.fit with the network of the fold's task (convergence warnings silenced: see ``converged``)."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits

        model = self.estimator(float(params["penalty"]), params, seed, prepared.task)
        with warnings.catch_warnings(), threadpool_limits(prepared.threads if threads is None else threads):
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.fit_estimator(model, prepared, params)
        return model

    def margin(self, model, prepared: Prepared, X: np.ndarray) -> np.ndarray:
        if prepared.task == "regression":
            return super().margin(model, prepared, X)
        if prepared.task == "multiclass":
            return self.class_margin(model, prepared, raw_output(model, X))
        return raw_output(model, X)

    def coefficients(self, model) -> np.ndarray:
        """Per encoded input column, the L2 norm of its outgoing first-layer weights."""
        return np.sqrt(np.sum(np.asarray(model.coefs_[0], dtype=np.float64) ** 2, axis=1))

    def axis(self, prepared: Prepared, penalty: float, params: dict) -> tuple[float, float]:
        lam = penalty
        if prepared.task != "regression":
            lam = penalty / class_curvature(prepared)
        return 0.0, penalty_axis.l2_shrink(self.eigenvalues(prepared), lam)

    def extra_columns(self, model, prepared: Prepared) -> dict:
        weights = np.concatenate([np.ravel(W) for W in model.coefs_])
        return {
            **prior.prior_columns(weights),
            "n_iter": int(model.n_iter_),
            "converged": bool(model.n_iter_ < model.max_iter),
        }
