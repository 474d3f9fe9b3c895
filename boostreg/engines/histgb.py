"""scikit-learn's HistGradientBoostingRegressor / HistGradientBoostingClassifier behind boostreg's names.

An L2-only booster (``penalties = ("reg_lambda",)``): ``reg_lambda`` is ``l2_regularization``; the planner fits
it at reg_alpha = 0 only. Common names: ``learning_rate``; ``n_estimators`` -> ``max_iter``; ``num_leaves`` ->
``max_leaf_nodes`` (31 when the study sets none, sklearn's default); ``max_depth``; ``min_child_samples`` ->
``min_samples_leaf``; ``max_bin`` -> ``max_bins`` (at most 255, sklearn's limit: larger values are cut to 255).
Other common names (subsample, colsample_bytree, min_child_weight, gamma, max_delta_step, max_leaves) have no
counterpart and are not used; ``max_features`` (sklearn's per-split column share) may be set under
[params.histgb].

sklearn's own early stopping is off (``early_stopping=False``, never "auto"): boostreg's validation split decides.
The engine evaluates the primary metric on the test fold and the validation split after every round (the trees'
raw predictions added round by round, as sklearn's ``_raw_predict`` adds them), and with
``early_stopping_rounds`` > 0 it trains in warm-started chunks of at least that many rounds (``CHUNK``; bit for
bit the model one fit gives) and stops when the validation metric has not improved for that many rounds; the
trees after the best round are dropped (``_predictors`` cut), so every measure is of the kept model.

Category columns go in as sklearn categoricals (pandas codes, missing as NaN) when they have at most ``max_bins``
levels; a column with more levels goes in as its codes, an ordered number (sklearn refuses such a categorical).
sklearn then moves the categorical columns first (its ``_preprocessor``); split features are mapped back.

The theory check is real (``theory_check`` below; measured error 0.0 on regression and log-loss folds, with and
without categorical splits). sklearn grows each tree from float32 gradients and hessians that its loss
(``model._loss``, Cython, float64 arithmetic) computes at the float64 raw prediction (from the intercept
``_baseline_prediction``: the label mean, or its log-odds, adding each tree's leaf values), sums them in float64
and sets a leaf to ``-G / (H + l2_regularization + 1e-15) * learning_rate`` (``compute_node_value``,
``_apply_shrinkage``): the closed form with reg_alpha = 0. Two quirks: the gradients are sklearn's own (its
``((1 - y) - y e^-f) / (1 + e^-f)`` and boostreg's ``p - y`` differ in float64 rounding: up to 1.6e-10 relative
on a leaf, measured), and a tree that makes no split adds 0 (its root keeps the value 0 it is created with; late
in a long log-loss fit most trees are such stumps). Every training row's leaf comes from sklearn's own binned traversal
(``TreePredictor.predict_binned`` on the bins the trees were grown on, with the same missing-value and
categorical-bitset rules), run on a copy of each tree whose node values are the node ids.

Sample weights (``fold.w_train``) go to ``fit`` as ``sample_weight``: sklearn then multiplies each row's gradient
and hessian by its weight (its loss built with the weights; squared error's hessian is then the weight, no longer
the constant 1), and the theory check asks the same loss for them with the same weights, so it stays exact; the
curves and metrics are weighted by ``w_test`` / ``w_valid``.

Multiclass (K >= 3 classes): sklearn grows K trees per round from its HalfMultinomialLoss (hessian p_k (1 - p_k),
no factor), all at the raw predictions before the round; the ensemble takes ``_predictors[round][k]`` round-major
(tree r K + k is class k), the intercept is ``_baseline_prediction`` (K values), the margins are (n, K) and the
check per class tree calls the model's own loss on them (:mod:`boostreg.engines.histgb_multiclass`; measured
error 0 on wine, with and without weights). The first round's scales and ``per_class_json`` come from the same G
and H.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import measure
from ..errors import BoostregError
from . import histgb_multiclass
from .base import Fold, TrainingLog, TreeEngine, early_stopping_rounds, primary_metric_name

#: sklearn's largest max_bins (one more bin is kept for missing values)
MAX_BINS = 255
#: sklearn's guard in a leaf's denominator (compute_node_value: H + l2_regularization + 1e-15)
_EPS = 1e-15
#: the parameter key with which measure() has TreeEngine.measure leave the theory check to it
_OWN_CHECK = "_histgb_own_theory_check"
#: with early stopping, rounds trained per warm-started fit (at least early_stopping_rounds)
CHUNK = 25


@dataclass
class HistPrepared:
    """A fold as float64 arrays (categories as codes) and which columns sklearn treats as categorical."""

    fold: Fold
    X_train: np.ndarray
    X_test: np.ndarray
    X_valid: np.ndarray | None
    categorical: np.ndarray  # bool per column
    max_bins: int
    threads: int


def encode(X: pd.DataFrame, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The frame as a float64 array: numbers as they are, categories as their codes (missing: NaN); and which
    columns are categorical to sklearn (those with at most ``max_bins`` levels)."""
    out = np.empty(X.shape, dtype=np.float64)
    categorical = np.zeros(X.shape[1], dtype=bool)
    for j, c in enumerate(X.columns):
        col = X[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            out[:, j] = codes
            categorical[j] = len(col.cat.categories) <= max_bins
        else:
            out[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return out, categorical


def _original_columns(model, n_features: int) -> np.ndarray:
    """For each column sklearn's trees see, the column of the input it came from: with categorical features
    sklearn's preprocessor (a ColumnTransformer) puts them first, then the rest in their order."""
    pre = getattr(model, "_preprocessor", None)
    if pre is None:
        return np.arange(n_features, dtype=np.int64)
    order = np.arange(n_features, dtype=np.int64)
    for name, _, columns in pre.transformers_:
        where = pre.output_indices_[name]
        if where.stop > where.start:
            order[where] = np.arange(n_features)[columns]
    return order


def _patience(curve: list[float], rounds: int) -> tuple[int, bool]:
    """(best round index, stopped?) of a validation curve under "stop after ``rounds`` rounds without improvement"."""
    best, best_i = np.inf, -1
    for i, v in enumerate(curve):
        if v < best:
            best, best_i = v, i
        elif i - best_i >= rounds:
            return best_i, True
    return best_i, False


class HistGBEngine(TreeEngine):
    name = "histgb"
    color = "#9467bd"
    library = "sklearn"  # engine_version is scikit-learn's
    tasks = ("regression", "binary", "multiclass")
    penalties = ("reg_lambda",)
    param_names = {
        "learning_rate": "learning_rate",
        "reg_lambda": "l2_regularization",
        "n_estimators": "max_iter",
        "num_leaves": "max_leaf_nodes",
        "max_depth": "max_depth",
        "min_child_samples": "min_samples_leaf",
        "max_bin": "max_bins",
    }
    native_params = frozenset({"max_features"})
    # HistGradientBoostingRegressor(l2_regularization=0.0, learning_rate=0.1, max_leaf_nodes=31)
    library_defaults = {"reg_alpha": 0.0, "reg_lambda": 0.0, "learning_rate": 0.1, "num_leaves": 31}
    default_params = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31}

    def theory_not_applicable(self, params):
        if params.get(_OWN_CHECK):  # measure() runs the check itself, with sklearn's own gradients
            return _OWN_CHECK
        return None  # no row subsampling in sklearn's HGB (the common `subsample` is not used)

    def prepare(self, fold: Fold, params, *, threads):
        max_bins = min(int(params.get("max_bin", MAX_BINS)), MAX_BINS)
        X_train, categorical = encode(fold.X_train, max_bins)
        X_test, _ = encode(fold.X_test, max_bins)
        X_valid = encode(fold.X_valid, max_bins)[0] if fold.X_valid is not None else None
        return HistPrepared(fold, X_train, X_test, X_valid, categorical, max_bins, threads)

    def sklearn_estimator(self, params, task):
        """sklearn.ensemble.HistGradientBoostingRegressor / Classifier, its own early stopping off as here."""
        native = self.native({k: v for k, v in params.items() if k != "reg_alpha"})
        native["early_stopping"] = False
        return (
            "sklearn.ensemble.HistGradientBoostingClassifier"
            if task != "regression"
            else "sklearn.ensemble.HistGradientBoostingRegressor"
        ), native

    def estimator(self, prepared: HistPrepared, params, seed: int):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        if params.get("reg_alpha", 0.0):
            raise BoostregError(
                f"histgb takes no reg_alpha (sklearn's HistGradientBoosting has L2 only); got "
                f"reg_alpha = {params['reg_alpha']}. Leave reg_alpha at 0 for this engine."
            )
        native = self.native(params)
        kw = {
            "learning_rate": float(native["learning_rate"]),
            "l2_regularization": float(native.get("l2_regularization", 0.0)),
            "max_leaf_nodes": int(native["max_leaf_nodes"]) if native.get("max_leaf_nodes") else None,
            "max_depth": int(native["max_depth"]) if native.get("max_depth") else None,
            "min_samples_leaf": int(native.get("min_samples_leaf", 20)),
            "max_bins": prepared.max_bins,
            "max_features": float(native.get("max_features", 1.0)),
            "categorical_features": prepared.categorical if prepared.categorical.any() else None,
            "early_stopping": False,
            "random_state": seed,
        }
        cls = HistGradientBoostingRegressor if prepared.fold.task == "regression" else HistGradientBoostingClassifier
        return cls(**kw)

    def fit(self, prepared: HistPrepared, params, *, seed, threads):
        """Train; after every round the primary metric on the test fold (the test curve) and on the validation
        split, from the raw predictions round by round; with early stopping, in warm-started chunks."""
        from threadpoolctl import threadpool_limits

        fold = prepared.fold
        metric = primary_metric_name(fold)
        cap = int(params["n_estimators"])
        rounds = early_stopping_rounds(params, fold)
        model = self.estimator(prepared, params, seed)
        y = np.asarray(fold.y_train, dtype=np.float64)
        margins = {"test": None, "valid": None}
        curves: dict[str, list[float]] = {"test": [], "valid": []}
        sets = {"test": (prepared.X_test, fold.y_test, fold.w_test)}
        if prepared.X_valid is not None:
            sets["valid"] = (prepared.X_valid, fold.y_valid, fold.w_valid)
        done, stopped = 0, False
        with threadpool_limits(threads, user_api="openmp"):
            while done < cap and not stopped:
                model.set_params(max_iter=min(done + max(rounds, CHUNK), cap) if rounds else cap, warm_start=done > 0)
                model.fit(prepared.X_train, y, sample_weight=fold.w_train)
                if fold.task == "multiclass":
                    histgb_multiclass.check_classes(model, int(fold.n_classes))
                known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
                new = model._predictors[done:]
                if not new:
                    break
                for name, (X, yy, ww) in sets.items():
                    m = margins[name]
                    if m is None:  # (n, K) raw predictions, K = 1 but for multiclass, as sklearn's _raw_predict
                        m = np.tile(np.asarray(model._baseline_prediction, dtype=np.float64).ravel(), (len(X), 1))
                    Xp = model._preprocess_X(X, reset=False)  # categoricals first, ordinal-encoded, as in fit
                    for trees in new:  # one round: one tree per class column
                        for k, predictor in enumerate(trees):
                            m[:, k] += predictor.predict(Xp, known, f_idx_map, threads)
                        mm = m if fold.task == "multiclass" else m[:, 0]
                        curves[name].append(float(measure.primary_error(yy, mm, fold.task, metric, weight=ww)[0]))
                    margins[name] = m
                done = len(model._predictors)
                if rounds:
                    _, stopped = _patience(curves["valid"], rounds)
        kept = done
        if rounds and curves["valid"]:
            kept = _patience(curves["valid"], rounds)[0] + 1
            if kept < done:  # the trees after the best round are dropped: every measure sees the kept model
                model._predictors = model._predictors[:kept]  # n_iter_ is len(_predictors)
        valid = np.asarray(curves["valid"][:kept]) if "valid" in sets else None
        valid_error = float(valid[-1]) if valid is not None and kept else float("nan")
        model.boostreg_log = TrainingLog(np.asarray(curves["test"][:kept]), valid_error, valid)
        return model

    def predict_margin(self, model, prepared: HistPrepared, fold):
        """The raw predictions of the test rows: predict (identity link) or decision_function (log-odds; multiclass:
        the (n, K) raw predictions)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(prepared.threads, user_api="openmp"):
            X = prepared.X_test
            raw = model.predict(X) if fold.task == "regression" else model.decision_function(X)
        raw = np.asarray(raw, dtype=np.float64)
        return raw if fold.task == "multiclass" else raw.ravel()

    def measure(self, model, prepared, params, fold):
        """TreeEngine's measures, with the theory check done here on sklearn's own gradients (see the module)."""
        record, curves = super().measure(model, prepared, {**params, _OWN_CHECK: True}, fold)
        ens = model.__dict__.pop("boostreg_ensemble")  # the one super() built
        kw = {"reg_lambda": float(params["reg_lambda"]), "learning_rate": float(params["learning_rate"])}
        kw["weight"] = fold.w_train
        if ens.n_classes > 1:  # per class tree, with sklearn's multinomial gradients; its first-round scales too
            check, pooled, per_class = histgb_multiclass.theory_check(ens, model._loss, fold.y_train, **kw)
            histgb_multiclass.record_scales(record, ens, pooled, per_class)
        else:
            check = theory_check(ens, model._loss, fold.y_train, **kw)
        record.update(check.record_columns())
        if fold.keep_leaves:
            record["_leaves"] = check.leaf_table()
        return record, curves

    def ensemble(self, model, prepared: HistPrepared, fold, params=None, *, test_leaf=True, train_trees=None):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(prepared.threads, user_api="openmp"):
            return self._ensemble(model, prepared, fold, test_leaf)

    def _ensemble(self, model, prepared: HistPrepared, fold, test_leaf: bool):
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        threads = prepared.threads
        mapper = model._bin_mapper
        # sklearn's own preprocessing (categorical columns first, ordinal-encoded), then the bins the trees were
        # grown on; node feature indices refer to the preprocessed columns
        binned = mapper.transform(model._preprocess_X(prepared.X_train, reset=False))
        X_test = model._preprocess_X(prepared.X_test, reset=False) if test_leaf else None
        known, f_idx_map = mapper.make_known_categories_bitsets()
        original = _original_columns(model, prepared.X_train.shape[1])
        base = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
        trees = [p for round_ in model._predictors for p in round_]  # round-major: tree r K + k is class k
        K = len(model._predictors[0]) if model._predictors else int(model.n_trees_per_iteration_)
        n_trees = len(trees)
        train_leaf = np.empty((len(binned), n_trees), dtype=np.int32, order="F")
        test_ids = np.empty((len(prepared.X_test), n_trees), dtype=np.int32, order="F") if test_leaf else None
        values, is_leaf, depth, split_features = [], [], [], []
        for t, predictor in enumerate(trees):
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            values.append(nodes["value"].astype(np.float64))
            is_leaf.append(leaf)
            depth.append(int(nodes["depth"][leaf].max()))
            split_features.append(original[nodes["feature_idx"][~leaf].astype(np.int64)])
            ids = nodes.copy()
            ids["value"] = np.arange(len(nodes), dtype=np.float64)  # the traversal returns the node id
            tracer = TreePredictor(ids, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets)
            train_leaf[:, t] = tracer.predict_binned(binned, mapper.missing_values_bin_idx_, threads)
            if test_leaf:
                test_ids[:, t] = tracer.predict(X_test, known, f_idx_map, threads)
        ens = measure.Ensemble(
            leaf_values=values,
            is_leaf=is_leaf,
            depth=np.asarray(depth, dtype=np.int64),
            split_features=split_features,
            feature_names=tuple(fold.X_train.columns),
            base_margin=(base if K > 1 else float(base[0])),
            train_leaf=train_leaf,
            test_leaf=test_ids,
            margin_dtype=np.float64,
            label_dtype=np.float64,
            grad_arith_dtype=np.float64,
            grad_dtype=np.float32,
            n_classes=K,
            hessian_factor=1.0,  # HalfMultinomialLoss: p_k (1 - p_k), no factor, no floor
            unsplit_zero=True,  # a tree that made no split adds 0
        )
        model.boostreg_ensemble = ens  # measure() checks its leaves after TreeEngine.measure is done with it
        return ens


def theory_check(
    ens: measure.Ensemble,
    loss,
    y_train: np.ndarray,
    *,
    reg_lambda: float,
    learning_rate: float,
    weight: np.ndarray | None = None,
) -> measure.TheoryCheck:
    """Every leaf recomputed from its training rows' gradients, as sklearn computes them, beside the stored value.

    ``loss`` is the fitted model's ``_loss``: its Cython gradient (and hessian) at each tree's starting raw
    prediction (:func:`boostreg.measure.margin_blocks`, float64 like sklearn's) into float32 arrays, as in
    ``fit``; then G and H summed per leaf in float64 and ``-G / (H + l2_regularization + 1e-15) * learning_rate``
    (sklearn's ``compute_node_value``), except in a tree that made no split: its one leaf is the root, which sklearn
    creates with value 0 and never sets (``TreeGrower._initialize_root``), so such a tree adds 0. ``weight``: the
    sample weights the model was fitted with (the loss multiplies each row's gradient and hessian by them, as in
    ``fit``). Errors as in :func:`boostreg.measure.theory_check`.
    """
    y = np.asarray(y_train, dtype=np.float64)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    n = len(y)
    sizes = np.array([len(v) for v in ens.leaf_values], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    k = int(offsets[-1])
    G, H, A = np.zeros(k), np.zeros(k), np.zeros(k)
    g = np.empty(n, dtype=np.float32)
    h = np.ones(n, dtype=np.float32)
    final = ens.base_margins(n)
    for t0, t1, before, after in measure.margin_blocks(ens, "train"):
        final = after  # the last block's margins (the base margins when there is no tree)
        for j, t in enumerate(range(t0, t1)):
            raw = np.ascontiguousarray(before[:, j])
            if loss.constant_hessian:  # squared error without weights: h = 1
                loss.gradient(y_true=y, raw_prediction=raw, sample_weight=w, gradient_out=g)
            else:
                loss.gradient_hessian(y_true=y, raw_prediction=raw, sample_weight=w, gradient_out=g, hessian_out=h)
            ids, span = ens.train_leaf[:, t], slice(offsets[t], offsets[t + 1])
            G[span] = np.bincount(ids, weights=g, minlength=sizes[t])
            H[span] = np.bincount(ids, weights=h, minlength=sizes[t])
            A[span] = np.bincount(ids, weights=np.abs(g), minlength=sizes[t])
    mask = np.concatenate(ens.is_leaf) if k else np.zeros(0, dtype=bool)
    G, H, A = G[mask], H[mask], A[mask]
    lam = reg_lambda + _EPS
    pred = measure.leaf_weight(G, H, reg_alpha=0.0, reg_lambda=lam, learning_rate=learning_rate)
    pred[np.repeat(sizes == 1, sizes)[mask]] = 0.0  # a tree that made no split keeps its root's value, 0
    stored = np.concatenate(ens.leaf_values)[mask] if k else np.zeros(0)
    scale = learning_rate * A / (H + lam)
    return measure.TheoryCheck.compare(pred, stored, scale, sizes, mask, G, H, final)
