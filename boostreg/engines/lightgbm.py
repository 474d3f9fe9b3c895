"""LightGBM behind boostreg's names: one ``lgb.Dataset`` (binned) per fold, reused across grid points.

Quirks the theory check honours: LightGBM keeps labels and gradients in float32 but scores in float64;
with boost_from_average it adds the initial score (label mean, or its log-odds) into tree 0's leaves,
which we subtract; shrinkage is applied after a tree is built, so leaves store ``learning_rate * w``.
A leaf made by a many-vs-many categorical split (feature with more bins than max_cat_to_onehot) gets
``lambda_l2 + cat_l2`` as its L2 term (``FindBestThresholdCategoricalInner``); one-hot splits do not.
"""

from __future__ import annotations

import numpy as np
import lightgbm as lgb

from .. import measure
from .base import Fold, TreeEngine

OBJECTIVE = {"regression": "regression", "binary": "binary"}
_K_EPSILON = 1e-15
_CAT_L2_DEFAULT = 10.0
_MAX_CAT_TO_ONEHOT_DEFAULT = 4


class LightGBMEngine(TreeEngine):
    name = "lightgbm"
    param_names = {
        "learning_rate": "learning_rate", "reg_alpha": "lambda_l1", "reg_lambda": "lambda_l2",
        "num_leaves": "num_leaves", "max_depth": "max_depth", "min_child_weight": "min_sum_hessian_in_leaf",
        "min_child_samples": "min_data_in_leaf", "max_delta_step": "max_delta_step",
        "subsample": "bagging_fraction", "colsample_bytree": "feature_fraction", "max_bin": "max_bin",
        "gamma": "min_split_gain", "n_estimators": "n_estimators",
    }
    native_params = frozenset({"path_smooth", "min_data_per_group", "cat_smooth", "cat_l2", "max_cat_threshold", "max_cat_to_onehot",
                               "extra_trees", "bagging_freq"})
    library_defaults = {"reg_alpha": 0.0, "reg_lambda": 0.0, "learning_rate": 0.1, "num_leaves": 31}
    default_params = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31}

    def theory_not_applicable(self, params):
        if params.get("path_smooth", 0) > 0:
            return "path_smooth shrinks leaves toward their parent"
        return super().theory_not_applicable(params)

    def _native(self, params, threads, seed=0):
        native = self.native({k: v for k, v in params.items() if k != "n_estimators"})
        if native.get("bagging_fraction", 1.0) < 1.0:
            native.setdefault("bagging_freq", 1)
        native.update(verbose=-1, num_threads=threads, seed=seed, feature_pre_filter=False)
        return native

    def prepare(self, fold: Fold, params, *, threads):
        dtrain = lgb.Dataset(fold.X_train, label=fold.y_train, free_raw_data=False,
                             params={"max_bin": int(params.get("max_bin", 255)), "verbose": -1,
                                     "feature_pre_filter": False, "num_threads": threads})
        dtrain.construct()
        return dtrain, fold

    def fit(self, prepared, params, *, seed, threads):
        dtrain, fold = prepared
        native = self._native(params, threads, seed)
        native["objective"] = OBJECTIVE[fold.task]
        return lgb.train(native, dtrain, num_boost_round=int(params["n_estimators"]))

    def ensemble(self, model, prepared, fold, params=None):
        dtrain, fold = prepared
        params = params or {}
        trees = _parse_trees(model.model_to_string())
        init = _init_score(fold.y_train, fold.task)
        onehot_max = params.get("max_cat_to_onehot", _MAX_CAT_TO_ONEHOT_DEFAULT)
        many_vs_many = np.array([dtrain.feature_num_bin(i) > onehot_max for i in range(fold.X_train.shape[1])])
        cat_l2 = float(params.get("cat_l2", _CAT_L2_DEFAULT))
        values, is_leaf, depth, split_features, extra = [], [], [], [], []
        for t, tree in enumerate(trees):
            v = tree["leaf_value"].copy()
            if t == 0:
                v -= init
            values.append(v)
            is_leaf.append(np.ones(len(v), dtype=bool))
            depth.append(tree["depth"])
            split_features.append(tree["split_feature"])
            parent_cat = tree["parent_categorical"] & many_vs_many[tree["parent_feature"]] if len(v) > 1 else np.zeros(1, bool)
            extra.append(np.where(parent_cat, cat_l2, 0.0))
        n_trees = len(trees)
        return measure.Ensemble(
            leaf_values=values, is_leaf=is_leaf, depth=np.asarray(depth, dtype=np.int64),
            split_features=split_features, feature_names=tuple(fold.X_train.columns), base_margin=init,
            train_leaf=_pred_leaf(model, fold.X_train, n_trees), test_leaf=_pred_leaf(model, fold.X_test, n_trees),
            margin_dtype=np.float64, label_dtype=np.float32, grad_arith_dtype=np.float64, grad_dtype=np.float32,
            leaf_extra_lambda=extra,
        )


def _pred_leaf(model, X, n_trees):
    return np.asarray(model.predict(X, pred_leaf=True), dtype=np.int64).reshape(len(X), n_trees)


def _init_score(y: np.ndarray, task: str) -> float:
    """LightGBM's boost_from_average score: mean of the float32 labels, or its log-odds for binary."""
    mean = float(np.mean(y.astype(np.float32).astype(np.float64)))
    if task == "binary":
        p = min(max(mean, _K_EPSILON), 1 - _K_EPSILON)
        return float(np.log(p / (1 - p)))
    return mean if abs(mean) > _K_EPSILON else 0.0


def _parse_trees(model_str: str) -> list[dict]:
    """Leaf values, split features, depth, and each leaf's parent split (feature, categorical?) per tree.

    Read from LightGBM's text model, which prints leaf values at full precision.
    """
    trees = []
    for block in model_str.split("\nTree=")[1:]:
        fields = {}
        for line in block.split("\n"):
            if line.startswith("end of trees"):
                break
            key, sep, value = line.partition("=")
            if sep:
                fields[key] = value
        leaf_value = np.array(fields["leaf_value"].split(), dtype=np.float64)
        if len(leaf_value) > 1:
            left = np.array(fields["left_child"].split(), dtype=np.int64)
            right = np.array(fields["right_child"].split(), dtype=np.int64)
            split_feature = np.array(fields["split_feature"].split(), dtype=np.int64)
            categorical = (np.array(fields["decision_type"].split(), dtype=np.int64) & 1).astype(bool)
            depth = _depth(left, right)
            parent = np.zeros(len(leaf_value), dtype=np.int64)
            for node in range(len(left)):
                for child in (left[node], right[node]):
                    if child < 0:
                        parent[~child] = node
            parent_feature, parent_categorical = split_feature[parent], categorical[parent]
        else:
            split_feature, depth = np.zeros(0, dtype=np.int64), 0
            parent_feature, parent_categorical = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=bool)
        trees.append({"leaf_value": leaf_value, "split_feature": split_feature, "depth": depth,
                      "parent_feature": parent_feature, "parent_categorical": parent_categorical})
    return trees


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Deepest leaf; internal nodes are >= 0, leaves are ~leaf_index (< 0)."""
    best, stack = 0, [(0, 0)]
    while stack:
        node, d = stack.pop()
        for child in (left[node], right[node]):
            if child < 0:
                best = max(best, d + 1)
            else:
                stack.append((child, d + 1))
    return best
