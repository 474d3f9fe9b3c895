"""Multiclass measurements: each engine's softmax gradient and hessian, the theory check per class tree, the
training curve and the first round's scales (α_max, H̄) of a K-class ensemble.

A multiclass booster builds K trees per round (round-major: tree ``r * K + k`` belongs to class k), each fitted on
its class's column of gradients and hessians at the margins (n, K) *before the round*: every class tree of a round
sees the same margins. A leaf then follows the same closed form as in :mod:`boostreg.measure`. The engines differ in
the hessian they hand the tree (a diagonal approximation of the softmax hessian) and in their arithmetic:

- XGBoost (``src/objective/multiclass_obj.cu``, ``SoftmaxMultiClassObj::GetGradient``): float32 margins; the row's
  maximum ``wmax`` (starting from FLT_MIN, the smallest positive float) is subtracted, ``expf`` in float32 summed
  into a double ``wsum``, ``p = expf(m_k - wmax) / (float) wsum``; ``g = (p - y_k) * w`` and
  ``h = fmax(2 p (1 - p) * w, 1e-16)``: the weight is applied *before* the floor.
- LightGBM (``src/objective/multiclass_objective.hpp``, ``MulticlassSoftmax::GetGradients``, with
  ``Common::Softmax`` of ``include/LightGBM/utils/common.h``): float64 scores, max subtracted, ``exp`` in double;
  ``g = (p - y_k) * w`` and ``h = K / (K - 1) * p (1 - p) * w`` (``factor_``, Friedman's rescaling of the
  redundant K-class form), no floor; both stored as float32.

This module sits beside :mod:`boostreg.measure` (it imports it, never the reverse). The multiclass metrics
(``measure.primary_error`` with task "multiclass") take margins (n, K) or (n, K, m).
"""

from __future__ import annotations

import json

import numpy as np

from . import measure

#: the smallest positive normal float32: XGBoost's starting value for the row maximum (std::numeric_limits::min)
FLT_MIN = np.float32(np.finfo(np.float32).tiny)
#: rounds per call of ``primary_error`` in the training curve (a (n, K, ROUND_BLOCK) block of margins)
ROUND_BLOCK = 8


def _is32(arith) -> bool:
    return np.dtype(arith) == np.float32


def probabilities(margin: np.ndarray, *, arith=np.float64) -> np.ndarray:
    """Each row's softmax of its (n, K) margins, computed as the engine computes it (see the module docstring).

    ``arith`` float32 is XGBoost's arithmetic (float32 margins, max from FLT_MIN, expf rounded to float32 -- taken
    as float64 ``exp`` rounded, since glibc's expf is correctly rounded and numpy's float32 exp is not -- summed in
    float64 in class order, float32 division); float64 is LightGBM's.
    """
    m = np.asarray(margin).astype(arith, copy=False)
    if _is32(arith):
        wmax = np.maximum(m.max(axis=1), FLT_MIN)
        e = np.exp((m - wmax[:, None]).astype(np.float64)).astype(np.float32)
    else:
        e = np.exp(m - m.max(axis=1)[:, None])
    wsum = np.zeros(len(m), dtype=np.float64)
    for k in range(m.shape[1]):  # class by class, as the engines' loops add
        wsum += e[:, k]
    return e / (wsum.astype(np.float32) if _is32(arith) else wsum)[:, None]


def gradients(
    margin: np.ndarray,
    y: np.ndarray,
    *,
    hessian_factor: float,
    hessian_floor: float = 0.0,
    arith=np.float64,
    store=np.float32,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The softmax loss's gradient ``(p - onehot(y)) * w`` and diagonal hessian ``max(c p (1 - p) * w, floor)`` at
    margins (n, K), each (n, K) in ``store`` precision.

    ``hessian_factor`` c and ``hessian_floor``: XGBoost 2 and 1e-16 (in float32), LightGBM K / (K - 1) and 0 (in
    float64); weights are float32 in both engines (a row's weight multiplies its gradient and hessian).
    """
    one = arith(1)
    p = probabilities(margin, arith=arith)
    yy = np.asarray(y).astype(np.float64)
    onehot = yy[:, None] == np.arange(p.shape[1])[None, :]
    g = np.where(onehot, p - one, p)
    h = (arith(hessian_factor) * p) * (one - p)  # c * p * (1 - p), left to right as both sources write it
    if weight is not None:
        w = np.asarray(weight).astype(np.float32).astype(arith)[:, None]
        g, h = g * w, h * w
    if hessian_floor > 0:  # after the weight (XGBoost: fmax(2 p (1 - p) * wt, eps))
        h = np.maximum(h, arith(hessian_floor))
    return g.astype(store, copy=False), h.astype(store, copy=False)


def ensemble_gradients(ens: measure.Ensemble, margin, y, weight=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gradients` with the ensemble's own hessian and precision."""
    return gradients(
        margin,
        np.asarray(y).astype(ens.label_dtype),
        hessian_factor=ens.hessian_factor,
        hessian_floor=ens.hessian_floor,
        arith=ens.grad_arith_dtype,
        store=ens.grad_dtype,
        weight=weight,
    )


def _rounds(ens: measure.Ensemble, which: str = "train"):
    """Yield ``(r, before, after)`` per round: every row's (n, K) margins before and after round r, accumulated class
    tree by class tree in the engine's margin precision (as its prediction cache adds each tree)."""
    leaf = ens.train_leaf if which == "train" else ens.test_leaf
    dt, K = ens.margin_dtype, ens.n_classes
    carry = ens.base_margins(leaf.shape[0])
    for r in range(ens.n_rounds):
        before = carry.copy()
        for k in range(K):
            t = r * K + k
            carry[:, k] = carry[:, k] + ens.leaf_values[t].astype(dt)[leaf[:, t]]
        yield r, before, carry


class _Curve:
    """The primary error after each round, ROUND_BLOCK rounds per ``primary_error`` call."""

    def __init__(self, y, metric, weight):
        self.y, self.metric, self.weight, self.block, self.parts = np.asarray(y, np.float64), metric, weight, [], []

    def add(self, after):
        self.block.append(after.copy())
        if len(self.block) == ROUND_BLOCK:
            self.flush()

    def flush(self):
        if self.block:
            m = np.stack(self.block, axis=2)
            self.parts.append(
                measure.primary_error(self.y, m, "multiclass", self.metric, np.float32, weight=self.weight)
            )
            self.block = []

    def values(self) -> np.ndarray:
        self.flush()
        return np.concatenate(self.parts) if self.parts else np.zeros(0)


def error_curve(
    ens: measure.Ensemble, y: np.ndarray, metric: str = "auto", which: str = "train", weight=None
) -> tuple[np.ndarray, np.ndarray]:
    """The primary error after each round (the learning curve) and every row's final (n, K) margins."""
    curve = _Curve(y, metric, weight)
    after = ens.base_margins(len(y))
    for _, _, after in _rounds(ens, which):
        curve.add(after)
    return curve.values(), after


def theory_check(
    ens: measure.Ensemble,
    y_train: np.ndarray,
    *,
    reg_alpha: float,
    reg_lambda: float,
    learning_rate: float,
    max_delta_step: float = 0.0,
    curve_metric: str | None = None,
    weight: np.ndarray | None = None,
) -> measure.TheoryCheck:
    """Every leaf of every class tree recomputed from its training rows' softmax gradients and hessians at the margins
    before its round; compared with the stored value as :func:`boostreg.measure.theory_check` does (same errors,
    ``final_margin`` (n, K), ``curve`` per round with ``curve_metric``)."""
    n = len(y_train)
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    k_all = int(offsets[-1])
    G, H, A = np.zeros(k_all), np.zeros(k_all), np.zeros(k_all)
    curve = _Curve(y_train, curve_metric, weight) if curve_metric is not None else None
    after = ens.base_margins(n)
    for r, before, after in _rounds(ens, "train"):
        g, h = ensemble_gradients(ens, before, y_train, weight)
        for c in range(ens.n_classes):
            t = r * ens.n_classes + c
            ids, span = ens.train_leaf[:, t], slice(offsets[t], offsets[t + 1])
            G[span] = np.bincount(ids, weights=g[:, c], minlength=sizes[t])
            H[span] = np.bincount(ids, weights=h[:, c], minlength=sizes[t])
            A[span] = np.bincount(ids, weights=np.abs(g[:, c]), minlength=sizes[t])
        if curve is not None:
            curve.add(after)
    mask = np.concatenate(ens.is_leaf) if k_all else np.zeros(0, dtype=bool)
    lam = np.full(k_all, float(reg_lambda))
    if ens.leaf_extra_lambda is not None:
        lam = lam + np.concatenate(ens.leaf_extra_lambda)
    G, H, A, lam = G[mask], H[mask], A[mask], lam[mask]
    pred = measure.leaf_weight(
        G, H, reg_alpha=reg_alpha, reg_lambda=lam, max_delta_step=max_delta_step, learning_rate=learning_rate
    )
    if ens.unsplit_zero:
        pred[np.repeat(sizes == 1, sizes)[mask]] = 0.0
    stored = np.concatenate(ens.leaf_values).astype(np.float64)[mask] if k_all else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(H + lam > 0, learning_rate * A / (H + lam), 0.0)
    return measure.TheoryCheck.compare(
        pred, stored, scale, sizes, mask, G, H, after, curve.values() if curve is not None else None
    )


def first_round_scales(ens: measure.Ensemble, y_train: np.ndarray, weight=None) -> tuple[dict, list[dict]]:
    """The first round's K class trees pooled: max |G| and mean H over their reached leaves (the penalty axis's
    α_max and H̄), and the same per class. Gradients at the base margins, weighted as the engine weighs them."""
    K = ens.n_classes
    nan = {"first_tree_grad_abs_max": np.nan, "first_tree_hess_mean": np.nan}
    if ens.n_trees < K:
        return nan, [dict(nan) for _ in range(K)]
    g, h = ensemble_gradients(ens, ens.base_margins(len(y_train)), y_train, weight)
    Gs, Hs, per_class = [], [], []
    for c in range(K):
        ids, size = ens.train_leaf[:, c], len(ens.leaf_values[c])
        reached = np.bincount(ids, minlength=size) > 0
        G = np.bincount(ids, weights=g[:, c], minlength=size)[reached]
        H = np.bincount(ids, weights=h[:, c], minlength=size)[reached]
        Gs.append(G)
        Hs.append(H)
        per_class.append({"first_tree_grad_abs_max": float(np.abs(G).max()), "first_tree_hess_mean": float(H.mean())})
    G, H = np.concatenate(Gs), np.concatenate(Hs)
    return {"first_tree_grad_abs_max": float(np.abs(G).max()), "first_tree_hess_mean": float(H.mean())}, per_class


def per_class_leaf_stats(ens: measure.Ensemble) -> list[dict]:
    """:func:`boostreg.measure.leaf_stats` of each class's trees (trees k, K + k, 2K + k, ...)."""
    K = ens.n_classes
    out = []
    for c in range(K):
        vals = [v[m] for v, m in zip(ens.leaf_values[c::K], ens.is_leaf[c::K])]
        out.append(measure.leaf_stats(np.concatenate(vals) if vals else np.zeros(0)))
    return out


def per_class_json(ens: measure.Ensemble, scales: list[dict]) -> str:
    """The record's ``per_class_json``: one object per class (in class-code order) with its leaf_abs_mean,
    zero_leaf_frac, n_leaves_total, first_tree_grad_abs_max and first_tree_hess_mean (NaN written as null)."""
    rows = [{"class": c, **stats, **scales[c]} for c, stats in enumerate(per_class_leaf_stats(ens))]
    clean = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()} for r in rows]
    return json.dumps(clean, separators=(",", ":"))
