"""XGBoost behind boostreg's names: hist trees on a QuantileDMatrix built once per fold.

Quirks the theory check honours: XGBoost keeps labels, margins and gradients in float32 and adds each
tree's leaf values to a float32 prediction cache; leaves store ``eta * w`` (JSON ``split_conditions``);
base_score is estimated from the labels (since 2.0) and read back from ``save_config()``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import measure
from . import evaluation
from .base import (
    LOOP_PARAMS,
    Fold,
    LazyModule,
    TrainingLog,
    TreeEngine,
    early_stopping_rounds,
    wants_train_curve,
)

xgb = LazyModule("xgboost")  # imported on first use: a process that never fits XGBoost never loads it

OBJECTIVE = {"regression": "reg:squarederror", "binary": "binary:logistic", "multiclass": "multi:softprob"}
#: XGBoost's names for boostreg's primary metrics (per-round curves and early stopping); accuracy's error is
#: 1 - accuracy, XGBoost's error rate
EVAL_METRIC = {"rmse": "rmse", "mae": "mae", "logloss": "logloss", "error": "error", "accuracy": "error"}
#: the same for multiclass (softmax log loss, error rate of the most probable class)
EVAL_METRIC_MULTICLASS = {"mlogloss": "mlogloss", "logloss": "mlogloss", "error": "merror", "accuracy": "merror"}
#: XGBoost's floor on the multiclass hessian, applied after the weight (multiclass_obj.cu: fmax(2p(1-p) * wt, eps))
_MULTICLASS_HESS_EPS = 1e-16


class XGBoostEngine(TreeEngine):
    name = "xgboost"
    tasks = ("regression", "binary", "multiclass")
    color = "#1f77b4"
    default = True
    #: Probst, Boulesteix & Bischl (2019): their fitted default point, and the spread of per-dataset optima
    published = (
        {
            "label": "probst2019",
            "reg_alpha": 1.113,
            "reg_lambda": 0.982,
            "source": "Probst, Boulesteix & Bischl (2019, JMLR 20(53)), xgboost defaults from 38 OpenML binary "
            "classification datasets (with eta 0.018, 4168 rounds, max_depth 13, subsampling)",
        },
        {
            "source": "Probst et al. 2019 (xgboost, 5%–95% of per-dataset optima)",
            "engine": "xgboost",
            "reg_alpha": "[0.0024, 6.11]",
            "reg_lambda": "[0.0077, 29.75]",
            "why": "raw units on 38 OpenML binary datasets of their own sizes, tuned jointly with eta, depth, "
            "rounds and subsampling by random search: their raw values mean different regimes on data of other sizes",
        },
    )
    param_names = {
        "learning_rate": "eta",
        "reg_alpha": "alpha",
        "reg_lambda": "lambda",
        "max_depth": "max_depth",
        "max_leaves": "max_leaves",
        "min_child_weight": "min_child_weight",
        "max_delta_step": "max_delta_step",
        "subsample": "subsample",
        "colsample_bytree": "colsample_bytree",
        "max_bin": "max_bin",
        "gamma": "gamma",
        "n_estimators": "n_estimators",
    }
    native_params = frozenset(
        {"grow_policy", "colsample_bylevel", "colsample_bynode", "max_cat_to_onehot", "device", "tree_method"}
    )
    library_defaults = {"reg_alpha": 0.0, "reg_lambda": 1.0, "learning_rate": 0.3, "max_depth": 6}
    sample_checks = True
    default_params = {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 6}

    def sklearn_estimator(self, params, task):
        """xgboost.XGBRegressor / XGBClassifier: boostreg's common names are the scikit-learn API's own."""
        kw = {k: v for k, v in params.items() if k in self.param_names or k in self.native_params}
        return ("xgboost.XGBRegressor" if task == "regression" else "xgboost.XGBClassifier"), kw

    def refit_inputs(self, params, X):
        categorical = any(isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns)
        return ({**params, "enable_categorical": True} if categorical else params), X

    def load_hint(self, name, cls):
        return f"xgboost.{cls.rsplit('.', 1)[1]}().load_model('{name}')"

    def save_native(self, model, stem):
        path = stem.with_suffix(".json")  # XGBoost's own JSON model (xgboost.Booster(model_file=...) reads it)
        model.save_model(path)
        return path

    def prepare(self, fold: Fold, params, *, threads):
        max_bin = int(params.get("max_bin", 256))
        dtrain = xgb.QuantileDMatrix(
            fold.X_train,
            label=fold.y_train,
            weight=fold.w_train,
            enable_categorical=True,
            max_bin=max_bin,
            nthread=threads,
        )
        dtest = xgb.DMatrix(
            fold.X_test, label=fold.y_test, weight=fold.w_test, enable_categorical=True, nthread=threads
        )
        dvalid = None
        if fold.X_valid is not None:
            dvalid = xgb.QuantileDMatrix(
                fold.X_valid,
                label=fold.y_valid,
                weight=fold.w_valid,
                enable_categorical=True,
                ref=dtrain,
                nthread=threads,
            )
        categorical = any(isinstance(t, pd.CategoricalDtype) for t in fold.X_train.dtypes)
        for dmatrix in (dtrain, dtest, dvalid):
            _unnamed(dmatrix, categorical)
        return dtrain, dtest, fold, dvalid

    def fit(self, prepared, params, *, seed, threads):
        """Train; XGBoost evaluates the primary metric on the test fold after each round from its prediction
        cache (the test curve), and with early stopping on the validation split, which it watches."""
        dtrain, dtest, fold, dvalid = prepared
        native = self.native({k: v for k, v in params.items() if k not in LOOP_PARAMS})
        native.update(
            objective=OBJECTIVE[fold.task],
            tree_method=native.get("tree_method", "hist"),
            nthread=threads,
            seed=seed,
            verbosity=0,
        )
        own = evaluation.native_metric(fold, EVAL_METRIC, EVAL_METRIC_MULTICLASS)
        if own is not None:
            native["eval_metric"] = own
        else:  # boostreg evaluates the metric on XGBoost's cached margins (_OwnMetric)
            native["disable_default_eval_metric"] = 1
        if fold.task == "multiclass":
            native["num_class"] = evaluation.n_classes(fold)
        rounds = early_stopping_rounds(params, fold)
        train_curve = wants_train_curve(params)  # a fit the theory check skips, with curves = "all"
        evals = (
            ([(dtrain, "train")] if train_curve else [])
            + [(dtest, "test")]
            + ([(dvalid, "valid")] if dvalid is not None else [])
        )  # early stopping watches the last
        result: dict = {}
        model = xgb.train(
            native,
            dtrain,
            num_boost_round=int(params["n_estimators"]),
            evals=evals,
            evals_result=result,
            early_stopping_rounds=rounds or None,
            verbose_eval=False,
            callbacks=[_keep_margins(dtrain, dtest)] + ([] if own else [_own_metric(evals, fold)]),
        )
        kept = model.num_boosted_rounds()
        metric = own or evaluation.NAME
        valid = np.asarray(result["valid"][metric]) if dvalid is not None else None
        valid_error = float(valid[-1]) if valid is not None and kept else float("nan")
        if rounds:
            # the trees after the best round are dropped: every measure sees the kept model
            kept = model.best_iteration + 1
            valid_error = float(model.best_score)
            if kept < model.num_boosted_rounds():
                model = model[:kept]
        if valid is not None:
            valid = valid[:kept]
        model.boostreg_log = TrainingLog(
            np.asarray(result["test"][metric][:kept]),
            valid_error,
            valid,
            np.asarray(result["train"][metric][:kept]) if train_curve else None,
        )
        return model

    def predict_margin(self, model, prepared, fold):
        return evaluation.as_margins(_final_margin(model, prepared, 1), fold)

    def predict_train_margin(self, model, prepared, fold):
        return evaluation.as_margins(_final_margin(model, prepared, 0), fold)

    def ensemble(self, model, prepared, fold, params=None, *, test_leaf=True, train_trees=None):
        dtrain, dtest, _, _ = prepared
        task = fold.task
        trees = json.loads(model.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
        values, is_leaf, depth, split_features = [], [], [], []
        for tree in trees:
            left = np.asarray(tree["left_children"], dtype=np.int64)
            right = np.asarray(tree["right_children"], dtype=np.int64)
            leaf = left == -1
            values.append(np.asarray(tree["split_conditions"], dtype=np.float32))
            is_leaf.append(leaf)
            depth.append(_depth(left, right))
            split_features.append(np.asarray(tree["split_indices"], dtype=np.int64)[~leaf])
        base = _base_margin(model, task)
        K = evaluation.n_classes(fold) if task == "multiclass" else 1
        return measure.Ensemble(
            leaf_values=values,
            is_leaf=is_leaf,
            depth=np.asarray(depth, dtype=np.int64),
            split_features=split_features,
            feature_names=tuple(fold.X_train.columns),
            base_margin=base,
            train_leaf=_pred_leaf(
                model, dtrain, min(train_trees, len(trees)) if train_trees is not None else len(trees), K
            ),
            test_leaf=_pred_leaf(model, dtest, len(trees), K) if test_leaf else None,
            margin_dtype=np.float32,
            label_dtype=np.float32,
            grad_arith_dtype=np.float32,
            grad_dtype=np.float32,
            n_classes=K,
            hessian_factor=2.0,
            hessian_floor=_MULTICLASS_HESS_EPS,
        )


def _unnamed(dmatrix, categorical: bool) -> None:
    """Drop a DMatrix's feature names (and types, unless a column is categorical: XGBoost needs its "c").

    On every round XGBoost's Python side checks the names and types of the training set and of each watched set
    against the booster's: string arrays fetched from C and decoded, about 5% of a fit of 200 rounds on 20 features
    (0.06 s of 1.3 s, measured). The trees, margins and curves are the same bits without them (tested); boostreg
    names features itself (``Ensemble.feature_names``), and the refit's model, which users load, keeps its names."""
    if dmatrix is None:
        return
    dmatrix.feature_names = None
    if not categorical:
        dmatrix.feature_types = None


def _keep_margins(dtrain, dtest):
    """A callback that reads the training and test rows' final margins from XGBoost's prediction cache before
    ``xgb.train`` drops it (``Booster.reset``): afterwards a prediction runs every tree over every row again, a
    noticeable share of a fit. The cache adds each tree's leaf values in float32 in tree order, as a
    fresh prediction does, so the margins are the same bits (tested)."""

    class KeepMargins(xgb.callback.TrainingCallback):
        def after_training(self, model):
            model.boostreg_margins = (
                model.predict(dtrain, output_margin=True),
                model.predict(dtest, output_margin=True),
            )
            return model

    return KeepMargins()


def _own_metric(evals, fold: Fold):
    """A callback that evaluates the primary metric with boostreg's own loss (:mod:`boostreg.engines.evaluation`)
    on each watched set's margins after every round, read from XGBoost's prediction cache (no pass over the trees),
    into the evaluation log where early stopping (called after it) finds it; the watched sets in ``evals`` order."""
    rows = dict(zip(("train", "test", "valid"), evaluation.fold_rows(fold)))

    class OwnMetric(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            for dmatrix, name in evals:
                y, w = rows[name]
                margin = evaluation.as_margins(model.predict(dmatrix, output_margin=True), fold)
                evals_log.setdefault(name, {}).setdefault(evaluation.NAME, []).append(
                    evaluation.error(fold, y, margin, w)
                )
            return False

    return OwnMetric()


def _final_margin(model, prepared, which: int) -> np.ndarray:
    """The final margins of the training (0) or test (1) rows: those ``_keep_margins`` read from the prediction
    cache, or a fresh prediction on a model cut back by early stopping (a new Booster, without them)."""
    kept = getattr(model, "boostreg_margins", None)
    return kept[which] if kept is not None else model.predict(prepared[which], output_margin=True)


def _pred_leaf(model, dmatrix, n_trees: int, K: int = 1) -> np.ndarray:
    """Each row's leaf in the first ``n_trees`` trees, a block of trees at a time (:func:`measure.leaf_ids`;
    XGBoost's pred_leaf starts at tree 0 only, so a later block is read from a slice of the model). Multiclass: K
    trees per round, XGBoost's ranges and slices count rounds, so blocks are whole rounds."""

    def block(t0, t1):
        r0, r1 = t0 // K, -(-t1 // K)
        ids = (
            model.predict(dmatrix, pred_leaf=True, iteration_range=(0, r1))
            if r0 == 0
            else model[r0:r1].predict(dmatrix, pred_leaf=True)
        )
        return np.asarray(ids).reshape(dmatrix.num_row(), -1)[:, t0 - r0 * K : t1 - r0 * K]

    if K == 1:
        return measure.leaf_ids(block, dmatrix.num_row(), n_trees)
    return measure.leaf_ids(block, dmatrix.num_row(), n_trees, block=measure.LEAF_BLOCK * K)


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Depth of a tree given as child arrays (XGBoost numbers a child after its parent)."""
    d = np.zeros(len(left), dtype=np.int64)
    for node in range(len(left)):
        if left[node] != -1:
            d[left[node]] = d[right[node]] = d[node] + 1
    return int(d.max())


def _base_margin(model: xgb.Booster, task: str) -> float | np.ndarray:
    """The intercept as a margin, in float32: base_score (a mean, or a probability for logistic). Multiclass
    (multi:softprob): XGBoost 3.x keeps one margin per class (centered log class shares), used as it is."""
    raw = json.loads(model.save_config())["learner"]["learner_model_param"]["base_score"]
    if task == "multiclass":
        return np.array([np.float32(float(v)) for v in raw.strip("[]").split(",")], dtype=np.float32)
    score = np.float32(float(raw.strip("[]").split(",")[0]))
    if task == "binary":
        return float(np.float32(np.log(score / (np.float32(1) - score))))
    return float(score)
