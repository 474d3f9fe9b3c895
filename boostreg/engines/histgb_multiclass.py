"""The multiclass side of the histgb engine: sklearn's HistGradientBoostingClassifier with K >= 3 classes.

sklearn (``BaseHistGradientBoosting._fit_one_predictor`` loop in ``gradient_boosting.py``) computes, once per round,
the float32 gradients and hessians of its ``HalfMultinomialLoss`` at the float64 raw predictions (n, K) of the
training rows (``loss.gradient_hessian``; Cython ``CyHalfMultinomialLoss``: row maximum subtracted, ``exp`` and
division in float64, ``g = (p_k - [y = k]) * w``, ``h = p_k (1 - p_k) * w``, no factor, no floor), then grows
the round's K trees ``for k in range(n_trees_per_iteration_)``, tree k on column k, adding each tree's leaf
values to column k of the raw predictions (``_update_raw_predictions``) right after it is grown: the other class
trees of the round never see it, as the gradients were computed before the round. The starting raw predictions are
``_baseline_prediction`` (``fit_intercept_only``: the log of each class's weighted share, clipped to [eps, 1 - eps],
through the symmetric multinomial logit, so centered). The trees are kept as ``_predictors[round][k]``, which
boostreg flattens round-major (tree ``r * K + k`` belongs to class k), as :class:`boostreg.measure.Ensemble`
expects. The check calls the fitted model's own ``_loss`` on the rebuilt margins, so G and H are sklearn's, bit for
bit; a class tree that made no split adds 0 (its root keeps the value 0 it is created with).
"""

from __future__ import annotations

import numpy as np

from .. import measure, softmax
from ..errors import BoostregError

#: sklearn's guard in a leaf's denominator (compute_node_value: H + l2_regularization + 1e-15)
EPS = 1e-15


def check_classes(model, n_classes: int) -> None:
    """sklearn fits one tree per class only for the classes present in the training rows (its LabelEncoder); the
    check and the margins need those to be the fold's codes 0..K-1, each its own tree."""
    classes = np.asarray(model.classes_, dtype=np.float64)
    if model.n_trees_per_iteration_ != n_classes or not np.array_equal(classes, np.arange(n_classes)):
        raise BoostregError(
            f"histgb: the training rows hold the classes {classes.tolist()}, not all {n_classes} class codes "
            f"0..{n_classes - 1}, so sklearn grows another number of trees per round; give every class rows in "
            "every training fold (more rows of the rare class, or fewer folds)."
        )


def _rounds(ens: measure.Ensemble, carry: np.ndarray):
    """Yield ``(r, before)``: the training rows' (n, K) float64 raw predictions before round r; then add the round's
    class trees to ``carry`` (each to its column, as sklearn's ``_update_raw_predictions`` adds it), which ends as
    the final raw predictions."""
    K = ens.n_classes
    for r in range(ens.n_rounds):
        yield r, carry.copy()
        for k in range(K):
            t = r * K + k
            carry[:, k] += ens.leaf_values[t][ens.train_leaf[:, t]]


def theory_check(
    ens: measure.Ensemble,
    loss,
    y_train: np.ndarray,
    *,
    reg_lambda: float,
    learning_rate: float,
    weight: np.ndarray | None = None,
) -> tuple[measure.TheoryCheck, dict, list[dict]]:
    """Every leaf of every class tree recomputed from sklearn's own multinomial gradients and hessians at the
    margins before its round; and the first round's scales (pooled and per class, as
    :func:`boostreg.softmax.first_round_scales` gives them) from the same G and H.

    ``loss`` is the fitted model's ``_loss`` (HalfMultinomialLoss); ``weight`` the sample weights of the fit.
    Returns the :class:`boostreg.measure.TheoryCheck` (``final_margin`` (n, K)), the pooled scales and the per-class
    scales.
    """
    y = np.ascontiguousarray(y_train, dtype=np.float64)
    w = None if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    n, K = len(y), ens.n_classes
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    k_all = int(offsets[-1])
    G, H, A = np.zeros(k_all), np.zeros(k_all), np.zeros(k_all)
    g = np.empty((n, K), dtype=np.float32, order="F")  # as sklearn's init_gradient_and_hessian
    h = np.empty((n, K), dtype=np.float32, order="F")
    nan = {"first_tree_grad_abs_max": np.nan, "first_tree_hess_mean": np.nan}
    pooled, per_class = dict(nan), [dict(nan) for _ in range(K)]
    final = ens.base_margins(n)
    for r, before in _rounds(ens, final):
        loss.gradient_hessian(y_true=y, raw_prediction=before, sample_weight=w, gradient_out=g, hessian_out=h)
        for c in range(K):
            t = r * K + c
            ids, span = ens.train_leaf[:, t], slice(offsets[t], offsets[t + 1])
            G[span] = np.bincount(ids, weights=g[:, c], minlength=sizes[t])
            H[span] = np.bincount(ids, weights=h[:, c], minlength=sizes[t])
            A[span] = np.bincount(ids, weights=np.abs(g[:, c]), minlength=sizes[t])
            if r == 0:
                reached = np.bincount(ids, minlength=sizes[t]) > 0
                per_class[c] = _scales(G[span][reached], H[span][reached])
    if ens.n_rounds:
        first = slice(0, offsets[K])
        reached = np.concatenate([np.bincount(ens.train_leaf[:, c], minlength=sizes[c]) > 0 for c in range(K)])
        pooled = _scales(G[first][reached], H[first][reached])
    mask = np.concatenate(ens.is_leaf) if k_all else np.zeros(0, dtype=bool)
    G, H, A = G[mask], H[mask], A[mask]
    lam = reg_lambda + EPS
    pred = measure.leaf_weight(G, H, reg_alpha=0.0, reg_lambda=lam, learning_rate=learning_rate)
    pred[np.repeat(sizes == 1, sizes)[mask]] = 0.0  # a class tree that made no split keeps its root's value, 0
    stored = np.concatenate(ens.leaf_values)[mask] if k_all else np.zeros(0)
    scale = learning_rate * A / (H + lam)
    check = measure.TheoryCheck.compare(pred, stored, scale, sizes, mask, G, H, final)
    return check, pooled, per_class


def _scales(G: np.ndarray, H: np.ndarray) -> dict:
    return {"first_tree_grad_abs_max": float(np.abs(G).max()), "first_tree_hess_mean": float(H.mean())}


def record_scales(record: dict, ens: measure.Ensemble, pooled: dict, per_class: list[dict]) -> None:
    """Put sklearn's own first-round scales in the record (the pooled columns and ``per_class_json``)."""
    record.update(pooled)
    record["per_class_json"] = softmax.per_class_json(ens, per_class)
