"""Pure measurements of a fitted tree ensemble: leaves, tree size, shrinkage, sparsity, theory check, curves.

Every function here takes arrays (an :class:`Ensemble` and labels) and returns numbers or arrays; none
touches an engine. The engines (``boostreg.engines``) turn a trained model into an :class:`Ensemble`.

The science (see ``DESIGN.md``): both XGBoost and LightGBM set a leaf's value from the gradient sum G
and hessian sum H of the training rows that land in it, at the tree's starting margin::

    w = -ThresholdL1(G, reg_alpha) / (H + reg_lambda),  ThresholdL1(G, a) = sign(G) * max(|G| - a, 0)

then clip to ``|w| <= max_delta_step`` (when > 0) and multiply by the learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the metrics live in boostreg.metrics; these names stay importable from here (``measure.metrics(...)``)
from .metrics import PRIMARY_METRIC, metrics, primary_error, roc_auc  # noqa: F401


@dataclass(frozen=True)
class Ensemble:
    """A trained boosted ensemble as plain arrays, engine-neutral.

    ``leaf_values[t][k]`` is the value stored for node/leaf id ``k`` of tree ``t`` *as the engine adds it to
    the margin*, minus any initial score an engine folds into a tree (LightGBM's boost_from_average), so it
    is exactly ``learning_rate * w``. ``is_leaf[t]`` marks which ids are leaves (XGBoost numbers all
    nodes; LightGBM only leaves). ``train_leaf``/``test_leaf`` are ``(n_rows, n_trees)`` leaf ids from the
    engine's ``pred_leaf``, in any integer or float type and layout; the ensemble keeps them column-major
    int32, so one tree's ids are contiguous for the tree-by-tree passes below. The dtypes say how the engine
    does its arithmetic: the float type it accumulates training margins in (XGBoost float32, LightGBM
    float64), keeps labels in (both float32), computes gradients in (XGBoost float32, LightGBM float64) and
    stores them in (both float32).
    """

    leaf_values: list[np.ndarray]
    is_leaf: list[np.ndarray]
    depth: np.ndarray
    split_features: list[np.ndarray]
    feature_names: tuple[str, ...]
    base_margin: float | np.ndarray  # multiclass: one value per class (K,)
    train_leaf: np.ndarray
    test_leaf: np.ndarray | None
    margin_dtype: type = np.float64
    label_dtype: type = np.float64
    grad_arith_dtype: type = np.float64
    grad_dtype: type = np.float32
    #: per tree, an L2 term an engine adds to reg_lambda for some leaves (LightGBM's cat_l2), else None
    leaf_extra_lambda: list[np.ndarray] | None = None
    #: multiclass: K classes, trees round-major (tree t belongs to class t % K); 1 for one margin per row
    n_classes: int = 1
    #: multiclass: the engine's diagonal softmax hessian c * p (1 - p) * w, floored at ``hessian_floor`` after the
    #: weight (boostreg.softmax: XGBoost c = 2, floor 1e-16; LightGBM c = K / (K - 1), no floor)
    hessian_factor: float = 2.0
    hessian_floor: float = 0.0
    #: multiclass: a class tree that made no split stores 0, not its root's closed form (LightGBM never sets it)
    unsplit_zero: bool = False

    def __post_init__(self):
        for name in ("train_leaf", "test_leaf"):
            ids = getattr(self, name)
            if ids is not None:  # no copy when the engine already hands column-major int32
                object.__setattr__(self, name, np.asfortranarray(ids, dtype=np.int32))

    def base_margins(self, n_rows: int) -> np.ndarray:
        """Every row's margin before the first tree (the base score), in the engine's margin precision."""
        if self.n_classes > 1:  # (n_rows, K)
            return np.tile(np.asarray(self.base_margin, dtype=self.margin_dtype), (n_rows, 1))
        return np.full(n_rows, self.margin_dtype(self.base_margin), dtype=self.margin_dtype)

    @property
    def n_rounds(self) -> int:
        """Boosting rounds: trees / n_classes."""
        return len(self.leaf_values) // self.n_classes

    @property
    def n_trees(self) -> int:
        return len(self.leaf_values)

    def leaves(self) -> np.ndarray:
        """All leaf values of all trees, concatenated."""
        if not self.leaf_values:
            return np.zeros(0)
        return np.concatenate([v[m] for v, m in zip(self.leaf_values, self.is_leaf)])

    def n_leaves(self) -> np.ndarray:
        return np.array([int(m.sum()) for m in self.is_leaf], dtype=np.int64)


#: trees per call of an engine's ``pred_leaf`` in :func:`leaf_ids`
LEAF_BLOCK = 25


def leaf_ids(predict_block, n_rows: int, n_trees: int, block: int | None = None) -> np.ndarray:
    """Every row's leaf id in each of ``n_trees`` trees, (n_rows, n_trees) column-major int32 (what
    :class:`Ensemble` keeps), filled ``block`` trees at a time from ``predict_block(t0, t1)`` -- the engine's
    ``pred_leaf`` for trees t0..t1-1, (n_rows, t1 - t0) in its own dtype. One call for all trees makes the engine
    return all ids at once in float (LightGBM: float64, then an int32 copy; XGBoost: float32) before this copy,
    which raises a checked fit's peak memory well above the block-wise fill's."""
    block = block or LEAF_BLOCK
    out = np.empty((n_rows, n_trees), dtype=np.int32, order="F")
    for t0 in range(0, n_trees, block):
        t1 = min(t0 + block, n_trees)
        out[:, t0:t1] = np.asarray(predict_block(t0, t1)).reshape(n_rows, t1 - t0)
    return out


def threshold_l1(G: np.ndarray, alpha: float) -> np.ndarray:
    """Soft-threshold: sign(G) * max(|G| - alpha, 0)."""
    return np.sign(G) * np.maximum(np.abs(G) - alpha, 0.0)


def leaf_weight(
    G, H, *, reg_alpha: float, reg_lambda, max_delta_step: float = 0.0, learning_rate: float = 1.0
) -> np.ndarray:
    """Closed-form leaf value: -ThresholdL1(G, alpha) / (H + lambda), clipped, times the learning rate."""
    G = np.asarray(G, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    denom = H + reg_lambda
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(denom > 0, -threshold_l1(G, reg_alpha) / np.where(denom > 0, denom, 1.0), 0.0)
    if max_delta_step > 0:
        w = np.clip(w, -max_delta_step, max_delta_step)
    return w * learning_rate


def gradients(
    margin: np.ndarray, y: np.ndarray, task: str, *, arith=np.float64, store=np.float64, weight=None
) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivative of the loss at ``margin``: squared error (g = f - y, h = 1) or logistic.

    ``arith`` is the precision the engine computes them in (XGBoost float32, LightGBM float64) and ``store``
    the precision it keeps them in (both float32), so recomputed sums match the engine's to rounding. The
    logistic form is XGBoost's: p = 1 / (exp(min(-f, 88.7)) + 1), h = max(p (1 - p), 1e-16). ``margin`` may be
    (n,) or (n, trees). With ``weight`` (one per row, kept in float32 as both engines keep them) both are
    multiplied by it in ``arith``, as the engines do: g w and h w (XGBoost's src/objective/regression_obj.cu,
    ``FirstOrderGradient(p, y) * w, SecondOrderGradient(p, y) * w``; LightGBM's regression_objective.hpp and
    binary_objective.hpp, ``... * weights_[i]``); squared error's h is then w.
    """
    one = arith(1)
    m = np.asarray(margin).astype(arith, copy=False)
    yy = np.asarray(y).astype(arith, copy=False)
    if task == "regression":
        g = m - yy
        h = np.ones_like(g)
    elif task == "binary":
        # exp in float64 rounded to ``arith``: glibc's expf is correctly rounded, numpy's float32 exp is not
        e = np.exp(np.minimum(-m, arith(88.7)).astype(np.float64)).astype(arith)
        p = one / (e + one)
        g = p - yy
        h = np.maximum(p * (one - p), arith(1e-16))
    else:
        raise ValueError(f"unknown task {task!r}")
    if weight is not None:
        w = np.asarray(weight).astype(np.float32).astype(arith)
        w = w.reshape((-1,) + (1,) * (g.ndim - 1))
        g, h = g * w, h * w
    return g.astype(store, copy=False), h.astype(store, copy=False)


def _flat(ens: Ensemble, which: str) -> tuple[np.ndarray, np.ndarray]:
    """Leaf ids made global across trees (tree t's ids offset by the sizes of trees before it), and the offsets."""
    leaf = ens.train_leaf if which == "train" else ens.test_leaf
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else np.zeros(0, dtype=np.int64)
    return leaf + offsets[None, :], offsets


def margins_before_each_tree(ens: Ensemble, which: str = "train") -> np.ndarray:
    """Margin of every row before each tree, shape (n_rows, n_trees + 1); the last column is the final margin.

    Accumulated tree after tree in the engine's own margin precision, as the engine's prediction cache does
    (a cumulative sum is sequential, so float32 rounding matches XGBoost's).
    """
    leaf = ens.train_leaf if which == "train" else ens.test_leaf
    n = leaf.shape[0]
    dt = ens.margin_dtype
    out = np.empty((n, ens.n_trees + 1), dtype=dt)
    out[:, 0] = dt(ens.base_margin)
    if ens.n_trees:
        flat, _ = _flat(ens, which)
        values = np.concatenate(ens.leaf_values).astype(dt)
        out[:, 1:] = values[flat]
    return np.cumsum(out, axis=1, dtype=dt)


@dataclass(frozen=True)
class TheoryCheck:
    """Every leaf recomputed from G and H beside the stored value, and the largest errors.

    ``max_rel_err`` divides each leaf's error by ``max(|w_stored|, |w_theory|, lr * sum|g_i| / (H + lambda))``:
    the last term is the size the leaf would have if its rows' gradients did not cancel. Engines keep
    per-row gradients in float32, so a leaf whose G is a small difference of large terms carries their
    rounding (about 6e-8 * sum|g_i|); against |w| alone that shows as a large "relative" error although
    the formula holds. ``max_plain_rel_err`` is ``|w_theory - w_stored| / max(|w_theory|, |w_stored|)``.
    """

    max_rel_err: float
    max_plain_rel_err: float
    max_abs_err: float
    n_leaves_checked: int
    predicted: np.ndarray
    stored: np.ndarray
    tree: np.ndarray | None = None
    leaf: np.ndarray | None = None
    G: np.ndarray | None = None
    H: np.ndarray | None = None
    #: every training row's margin after the last tree (computed on the way)
    final_margin: np.ndarray | None = None
    #: the training rows' primary error after each tree, when asked for with ``curve_metric``
    curve: np.ndarray | None = None

    @classmethod
    def compare(cls, pred, stored, scale, sizes, mask, G, H, final_margin=None, curve=None) -> TheoryCheck:
        """The check of closed-form leaves ``pred`` against ``stored`` (both over the leaves ``mask`` keeps of trees
        of ``sizes`` node ids each), with the error scale per leaf, its G and H, and what the pass gave on the way."""
        leaf = np.concatenate([np.arange(s) for s in sizes])[mask] if len(pred) else np.zeros(0, dtype=np.int64)
        return cls(
            relative_error(pred, stored, scale),
            relative_error(pred, stored),
            float(np.abs(pred - stored).max(initial=0.0)),
            len(pred),
            pred,
            stored,
            np.repeat(np.arange(len(sizes)), sizes)[mask],
            leaf,
            G,
            H,
            final_margin,
            curve,
        )

    def record_columns(self) -> dict:
        """The fit record's columns of a check that ran: its largest errors, and ``theory_check`` "ok"."""
        return {
            "theory_max_rel_err": self.max_rel_err,
            "theory_max_plain_rel_err": self.max_plain_rel_err,
            "theory_max_abs_err": self.max_abs_err,
            "theory_check": "ok",
        }

    def leaf_table(self):
        """One row per leaf: tree, leaf id, stored value, closed-form value, G and H of its training rows."""
        import pandas as pd

        return pd.DataFrame(
            {
                "tree": self.tree,
                "leaf": self.leaf,
                "value": self.stored,
                "theory": self.predicted,
                "G": self.G,
                "H": self.H,
            }
        )


#: trees per block in :func:`margin_blocks`: (rows x BLOCK) temporaries instead of (rows x trees) ones. Small
#: blocks stay in the CPU cache, which makes the theory check faster than with large ones
BLOCK = 4


def first_trees(ens: Ensemble, n: int) -> Ensemble:
    """The ensemble of its first ``n`` trees (whole rounds), with the training rows' leaf ids it holds for them:
    what a bounded theory check recomputes."""
    import dataclasses

    def cut(seq):
        return None if seq is None else seq[:n]

    return dataclasses.replace(
        ens,
        leaf_values=ens.leaf_values[:n],
        is_leaf=ens.is_leaf[:n],
        depth=ens.depth[:n],
        split_features=ens.split_features[:n],
        train_leaf=ens.train_leaf[:, :n],
        test_leaf=None if ens.test_leaf is None else ens.test_leaf[:, :n],
        leaf_extra_lambda=cut(ens.leaf_extra_lambda),
    )


def margin_blocks(ens: Ensemble, which: str = "train", block: int = BLOCK):
    """Yield ``(t0, t1, before, after)``: every row's margin before each tree t0..t1-1, shape (n_rows, t1 - t0),
    and after tree t1-1, shape (n_rows,).

    The running margin is carried tree after tree in the engine's margin precision (one rounding per
    addition, as the engine's prediction cache adds each tree), so the values are bit-identical to
    :func:`margins_before_each_tree`. ``before`` is column-major: with the ensemble's column-major leaf ids
    (:class:`Ensemble`) every per-tree step reads and writes contiguous memory.
    """
    leaf = ens.train_leaf if which == "train" else ens.test_leaf
    dt = ens.margin_dtype
    carry = ens.base_margins(leaf.shape[0])
    for t0 in range(0, ens.n_trees, block):
        t1 = min(t0 + block, ens.n_trees)
        before = np.empty((leaf.shape[0], t1 - t0), dtype=dt, order="F")
        for j, t in enumerate(range(t0, t1)):
            before[:, j] = carry
            carry = carry + ens.leaf_values[t].astype(dt)[leaf[:, t]]
        yield t0, t1, before, carry


def _errors_after_each_tree(
    y: np.ndarray, before: np.ndarray, after: np.ndarray, task: str, metric: str, weight=None
) -> np.ndarray:
    """The primary error after each tree of one :func:`margin_blocks` block: the margin after tree t is the
    margin before tree t + 1, and the block's ``after`` for its last tree."""
    return np.concatenate(
        [
            primary_error(y, before[:, 1:], task, metric, np.float32, weight),
            primary_error(y, after, task, metric, np.float32, weight),
        ]
    )


def error_curve(
    ens: Ensemble, y: np.ndarray, task: str, metric: str = "auto", which: str = "train", weight=None
) -> tuple[np.ndarray, np.ndarray]:
    """The primary error after each tree (the learning curve) and every row's final margin, block by block;
    ``weight``: each row's sample weight (None: all 1)."""
    y = np.asarray(y, dtype=np.float64)
    after = ens.base_margins(len(y))
    parts = []
    for *_, before, after in margin_blocks(ens, which):
        parts.append(_errors_after_each_tree(y, before, after, task, metric, weight))
    return (np.concatenate(parts) if parts else np.zeros(0)), after


def theory_check(
    ens: Ensemble,
    y_train: np.ndarray,
    task: str,
    *,
    reg_alpha: float,
    reg_lambda: float,
    learning_rate: float,
    max_delta_step: float = 0.0,
    curve_metric: str | None = None,
    weight: np.ndarray | None = None,
) -> TheoryCheck:
    """Recompute each leaf's value from the gradients and hessians of its training rows; compare with the stored one.

    Block by block of trees (:data:`BLOCK`): the gradients at each tree's starting margin, then one sum per
    (tree, leaf) with ``bincount``; memory stays at (rows x BLOCK) whatever the number of trees. With
    ``curve_metric`` the same pass also gives the training curve (:func:`error_curve`). ``weight``: each training
    row's sample weight (None: all 1); G and H are then sums of g w and h w (:func:`gradients`).
    """
    if ens.n_trees == 0:  # the margin is the base score; nothing to check, an empty curve
        return TheoryCheck(
            0.0,
            0.0,
            0.0,
            0,
            np.zeros(0),
            np.zeros(0),
            final_margin=ens.base_margins(len(y_train)),
            curve=np.zeros(0) if curve_metric is not None else None,
        )
    y = np.asarray(y_train).astype(ens.label_dtype)[:, None]
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    k = int(offsets[-1])
    G, H, A = np.zeros(k), np.zeros(k), np.zeros(k)
    curve, y64 = [], np.asarray(y_train, dtype=np.float64)
    for t0, t1, m, after in margin_blocks(ens, "train"):
        if curve_metric is not None:
            curve.append(_errors_after_each_tree(y64, m, after, task, curve_metric, weight))
        g, h = gradients(m, y, task, arith=ens.grad_arith_dtype, store=ens.grad_dtype, weight=weight)
        # one id per (row, tree) of the block, numbered across its trees; raveled column-major like m
        ids = (ens.train_leaf[:, t0:t1] + (offsets[t0:t1] - offsets[t0])[None, :]).ravel(order="F")
        n = int(offsets[t1] - offsets[t0])
        span = slice(offsets[t0], offsets[t1])
        G[span] = np.bincount(ids, weights=g.ravel(order="F"), minlength=n)
        A[span] = np.bincount(ids, weights=np.abs(g).ravel(order="F"), minlength=n)
        # unweighted squared error's hessians are all 1: H is the row count (the same float64 sum, without the
        # weights); weighted, H is the sum of the rows' weights (h = w)
        H[span] = (
            np.bincount(ids, minlength=n)
            if task == "regression" and weight is None
            else np.bincount(ids, weights=h.ravel(order="F"), minlength=n)
        )
    mask = np.concatenate(ens.is_leaf)
    lam = np.full(k, float(reg_lambda))
    if ens.leaf_extra_lambda is not None:
        lam = lam + np.concatenate(ens.leaf_extra_lambda)
    G, H, A, lam = G[mask], H[mask], A[mask], lam[mask]
    pred = leaf_weight(
        G, H, reg_alpha=reg_alpha, reg_lambda=lam, max_delta_step=max_delta_step, learning_rate=learning_rate
    )
    stored = np.concatenate(ens.leaf_values).astype(np.float64)[mask]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(H + lam > 0, learning_rate * A / (H + lam), 0.0)
    curve = np.concatenate(curve) if curve_metric is not None else None
    return TheoryCheck.compare(pred, stored, scale, sizes, mask, G, H, after, curve)


def relative_error(predicted: np.ndarray, stored: np.ndarray, scale: np.ndarray | None = None) -> float:
    """Largest ``|a - b| / max(|a|, |b|, scale)`` over pairs; pairs whose denominator is 0 count as 0."""
    if len(predicted) == 0:
        return 0.0
    denom = np.maximum(np.abs(predicted), np.abs(stored))
    if scale is not None:
        denom = np.maximum(denom, scale)
    diff = np.abs(predicted - stored)
    rel = np.divide(diff, denom, out=np.zeros_like(diff), where=denom > 0)
    return float(rel.max())


def tree_size(ens: Ensemble, noise_features: tuple[str, ...] | None = None) -> dict[str, float]:
    """Leaves per tree (mean, max), depth (mean, max), distinct features used in splits, noise features used."""
    n_leaves = ens.n_leaves()
    used = set()
    for f in ens.split_features:
        used.update(int(i) for i in f)
    names = {ens.feature_names[i] for i in used}
    out = {
        "n_trees": ens.n_trees,
        "n_leaves_mean": float(n_leaves.mean()) if len(n_leaves) else 0.0,
        "n_leaves_max": int(n_leaves.max()) if len(n_leaves) else 0,
        "depth_mean": float(ens.depth.mean()) if len(ens.depth) else 0.0,
        "depth_max": int(ens.depth.max()) if len(ens.depth) else 0,
        "n_features_used": len(names),
        "n_noise_features_used": np.nan,
    }
    if noise_features is not None:
        out["n_noise_features_used"] = len(names & set(noise_features))
    return out


def leaf_stats(leaves: np.ndarray) -> dict[str, float]:
    """Mean |leaf value| and the fraction of leaves exactly 0 (the L1 sparsity signal)."""
    if len(leaves) == 0:
        return {"leaf_abs_mean": np.nan, "zero_leaf_frac": np.nan, "n_leaves_total": 0}
    return {
        "leaf_abs_mean": float(np.abs(leaves).mean()),
        "zero_leaf_frac": float(np.mean(leaves == 0.0)),
        "n_leaves_total": int(len(leaves)),
    }


def shrinkage(leaf_abs_mean: float, leaf_abs_mean_unpenalized: float) -> float:
    """1 - mean|leaf| / mean|leaf| of the reg_alpha = reg_lambda = 0 fit: 0 = no shrinkage, 1 = all leaves zero."""
    if not np.isfinite(leaf_abs_mean_unpenalized) or leaf_abs_mean_unpenalized == 0:
        return np.nan
    return float(1.0 - leaf_abs_mean / leaf_abs_mean_unpenalized)
