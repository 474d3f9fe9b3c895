"""The multiclass side of the catboost engine: CatBoost's ``MultiClass`` loss with K >= 3 classes, and its exact check.

CatBoost grows one oblivious tree per iteration for all K classes: every leaf holds a K-vector (``get_leaf_values``
is leaf-major, ``leaves x K``). A leaf's vector is one multi-dimensional Newton step
(``approx_calcer_multi.cpp``, ``online_predictor.cpp`` ``CalcDeltaNewtonMulti``, ``hessian.cpp``
``SolveNewtonEquation``): with der1 = y_k - p_k and the full K x K der2 = -(diag(p) - p p^T) of the softmax
(``error_functions.h``, ``TMultiClassError::CalcDersMulti``), each times the row's weight, summed over the leaf's
training rows at the approx before the tree, it solves ``(H + l2 I) delta = -G`` with the gradient G = -SumDer and
H = -SumDer2, where ``l2 = l2_leaf_reg * sumAllWeights / docCount`` is kept in **float32**
(``l2Regularizer *= ...`` on a float), then multiplies by the float32 learning rate. MultiClass starts from 0
(``boost_from_average`` is off for it) and, at boostreg's ``leaf_estimation_iterations = 1``, makes one step.
Measured on load_wine (learning rate 0.3, depth 3; 0.1, depth 6): relative error <= 6e-13 (plain <= 7e-11) at
l2_leaf_reg 0.01 to 10, with and without weights; with l2 in float64 instead 1e-8 to 5e-8 (weighted), and with
only the hessian's diagonal 0.14 to 0.5.
With ``l2_leaf_reg`` = 0 the system is singular (each row's p sums to 1, so H 1 = 0): not applicable.

boostreg's :class:`~boostreg.measure.Ensemble` holds K pseudo-trees per CatBoost tree, round-major (tree
``r * K + k`` is column k of round r's leaf vectors), sharing the tree's depth, split features and leaf ids, as
the other engines' K class trees per round: per-class leaf statistics, the softmax curves and the first round's
scales then read them as they read XGBoost's. Per tree (depth, leaves per tree) the statistics are those of the
CatBoost tree; ``n_trees`` and ``n_leaves_total`` count K per CatBoost tree, as the K trees per round elsewhere
(a leaf vector has K free values). The first round's H̄ is the hessian's diagonal p (1 - p) (factor 1, no floor).
"""

from __future__ import annotations

import numpy as np

from .. import measure
from ..errors import BoostregError

LOSS = "MultiClass"
#: CatBoost's names for boostreg's multiclass primary metrics (the overfitting detector watches it)
EVAL_METRIC = {"mlogloss": "MultiClass", "logloss": "MultiClass", "error": "ZeroOneLoss", "accuracy": "ZeroOneLoss"}
#: the parameter value with which measure() has TreeEngine.measure leave the check to :func:`theory_check`
OWN_CHECK = "catboost multiclass: checked by catboost_multiclass.theory_check"


def ensemble_parts(flat, counts, K: int, train_leaf, test_leaf, depth, split_features) -> dict:
    """Ensemble keyword arguments for K pseudo-trees per CatBoost tree (see the module docstring)."""
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vec = np.asarray(flat, dtype=np.float64).reshape(-1, K)
    values = [np.ascontiguousarray(vec[bounds[t] : bounds[t + 1], k]) for t in range(len(counts)) for k in range(K)]
    rep = lambda a: None if a is None else np.asfortranarray(np.repeat(np.asarray(a), K, axis=1))  # noqa: E731
    return {
        "leaf_values": values,
        "is_leaf": [np.ones(len(v), dtype=bool) for v in values],
        "depth": np.repeat(np.asarray(depth, dtype=np.int64), K),
        "split_features": [f for f in split_features for _ in range(K)],
        "train_leaf": rep(train_leaf),
        "test_leaf": rep(test_leaf),
        "n_classes": K,
        "hessian_factor": 1.0,
        "hessian_floor": 0.0,
    }


def check_classes(model, n_classes) -> None:
    """CatBoost's approx has one dimension per class its training labels hold: all K class codes are needed."""
    got = len(np.ravel(model.get_scale_and_bias()[1]))
    if n_classes and got != int(n_classes):
        raise BoostregError(
            f"catboost: the training rows hold {got} of the {int(n_classes)} class codes, so CatBoost's leaves "
            "hold vectors of another length; give every class rows in every training fold."
        )


def ensemble(flat, counts, bias, structure: dict, fold, train_leaf, test_leaf) -> measure.Ensemble:
    """The fitted model (leaf values times its scale, its bias, its structure, the rows' leaf ids) as an Ensemble."""
    K = int(fold.n_classes or len(np.ravel(bias)))
    parts = ensemble_parts(flat, counts, K, train_leaf, test_leaf, structure["depth"], structure["split_features"])
    return measure.Ensemble(
        **parts,
        feature_names=tuple(fold.X_train.columns),
        base_margin=np.asarray(np.ravel(bias), dtype=np.float64),
        margin_dtype=np.float64,
        label_dtype=np.float32,
        grad_arith_dtype=np.float64,
        grad_dtype=np.float64,
    )


def probabilities(margin: np.ndarray) -> np.ndarray:
    e = np.exp(margin - margin.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def theory_check(
    ens: measure.Ensemble,
    y_train: np.ndarray,
    *,
    reg_lambda: float,
    learning_rate: float,
    weight: np.ndarray | None = None,
    diagonal: bool = False,
) -> measure.TheoryCheck:
    """Every leaf vector recomputed as ``-lr (H + l2 I)^-1 G`` from its training rows at the margins before its
    tree. ``reg_lambda`` is CatBoost's l2 (float32 l2_leaf_reg times the mean weight, rounded to float32 by the
    caller); ``diagonal`` drops H's off-diagonal terms (the flip test: it must fail). The G and H of the leaf table
    are a class's gradient sum and its hessian's diagonal; the error scale of a leaf vector is
    ``lr * |A| / lambda_min(H + l2 I)`` with A the classes' sums of |g|, a bound on its size without cancellation."""
    y = np.asarray(y_train, dtype=np.float64)
    n, K = len(y), ens.n_classes
    w = np.ones(n) if weight is None else np.asarray(weight).astype(np.float32).astype(np.float64)
    onehot = (y[:, None] == np.arange(K)[None, :]).astype(np.float64)
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    G, Hd, pred, scale = (np.zeros(int(sizes.sum())) for _ in range(4))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    margin = ens.base_margins(n).astype(np.float64)
    eye = np.eye(K)
    for r in range(ens.n_rounds):
        t0 = r * K
        ids, L = ens.train_leaf[:, t0], int(sizes[t0])
        p = probabilities(margin)
        g = (p - onehot) * w[:, None]
        wp = p * w[:, None]
        Gl = np.stack([np.bincount(ids, weights=g[:, k], minlength=L) for k in range(K)], axis=1)
        Al = np.stack([np.bincount(ids, weights=np.abs(g[:, k]), minlength=L) for k in range(K)], axis=1)
        Hl = np.zeros((L, K, K))
        for k in range(K):
            Hl[:, k, k] = np.bincount(ids, weights=wp[:, k], minlength=L)
            for j in range(K):
                if not diagonal or j == k:
                    Hl[:, k, j] -= np.bincount(ids, weights=wp[:, k] * p[:, j], minlength=L)
        M = Hl + reg_lambda * eye
        reached = np.bincount(ids, minlength=L) > 0
        delta = np.zeros((L, K))
        if reached.any():
            delta[reached] = -np.linalg.solve(M[reached], Gl[reached][:, :, None])[:, :, 0] * learning_rate
        size = np.zeros(L)
        if reached.any():
            low = np.linalg.eigvalsh(M[reached])[:, 0]
            size[reached] = learning_rate * np.linalg.norm(Al[reached], axis=1) / np.maximum(low, 1e-300)
        for k in range(K):
            span = slice(offsets[t0 + k], offsets[t0 + k + 1])
            G[span], Hd[span], pred[span], scale[span] = Gl[:, k], Hl[:, k, k], delta[:, k], size
            margin[:, k] = margin[:, k] + ens.leaf_values[t0 + k][ids]
    mask = np.ones(len(pred), dtype=bool)
    stored = np.concatenate(ens.leaf_values).astype(np.float64) if len(pred) else np.zeros(0)
    return measure.TheoryCheck.compare(pred, stored, scale, sizes, mask, G, Hd, margin)
