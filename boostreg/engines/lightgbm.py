"""LightGBM behind boostreg's names: one ``lgb.Dataset`` (binned) per fold, reused across grid points.

Quirks the theory check honours: LightGBM keeps labels and gradients in float32 but scores in float64;
with boost_from_average it adds the initial score (label mean, or its log-odds) into tree 0's leaves,
which we subtract; shrinkage is applied after a tree is built, so leaves store ``learning_rate * w``.
A leaf made by a many-vs-many categorical split (feature with more bins than max_cat_to_onehot) gets
``lambda_l2 + cat_l2`` as its L2 term (``FindBestThresholdCategoricalInner``); one-hot splits do not.
"""

from __future__ import annotations

import numpy as np

from .. import measure
from . import evaluation
from .base import (
    LOOP_PARAMS,
    Fold,
    LazyModule,
    TrainingLog,
    TreeEngine,
    checked_rounds,
    early_stopping_rounds,
    wants_check,
    wants_train_curve,
)
from .evaluation import fold_rows
from .lightgbm_model import parse_trees as _parse_trees

lgb = LazyModule("lightgbm")  # imported on first use: importing boostreg.engines loads no engine's library

OBJECTIVE = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}
#: LightGBM's names for boostreg's primary metrics (per-round curves and early stopping); accuracy's error is
#: 1 - accuracy, LightGBM's error rate
EVAL_METRIC = {"rmse": "rmse", "mae": "l1", "logloss": "binary_logloss", "error": "binary_error"}
EVAL_METRIC["accuracy"] = EVAL_METRIC["error"]
EVAL_METRIC_MULTICLASS = {"mlogloss": "multi_logloss", "error": "multi_error", "accuracy": "multi_error"}
_K_EPSILON = 1e-15
_CAT_L2_DEFAULT = 10.0
_MAX_CAT_TO_ONEHOT_DEFAULT = 4


class LightGBMEngine(TreeEngine):
    name = "lightgbm"
    tasks = ("regression", "binary", "multiclass")
    color = "#2ca02c"
    default = True
    #: Optuna's LightGBMTuner search space for the two penalties
    published = (
        {
            "source": "Optuna LightGBMTuner (lambda_l1, lambda_l2)",
            "engine": "lightgbm",
            "reg_alpha": "LogUniform[1e-8, 10]",
            "reg_lambda": "LogUniform[1e-8, 10]",
            "why": "a search space, not a recommendation: raw units with no reference to the data, so its upper end "
            "is a weak penalty on large data and a strong one on small data",
        },
    )
    param_names = {
        "learning_rate": "learning_rate",
        "reg_alpha": "lambda_l1",
        "reg_lambda": "lambda_l2",
        "num_leaves": "num_leaves",
        "max_depth": "max_depth",
        "min_child_weight": "min_sum_hessian_in_leaf",
        "min_child_samples": "min_data_in_leaf",
        "max_delta_step": "max_delta_step",
        "subsample": "bagging_fraction",
        "colsample_bytree": "feature_fraction",
        "max_bin": "max_bin",
        "gamma": "min_split_gain",
        "n_estimators": "n_estimators",
    }
    native_params = frozenset(
        {
            "path_smooth",
            "min_data_per_group",
            "cat_smooth",
            "cat_l2",
            "max_cat_threshold",
            "max_cat_to_onehot",
            "extra_trees",
            "bagging_freq",
        }
    )
    library_defaults = {"reg_alpha": 0.0, "reg_lambda": 0.0, "learning_rate": 0.1, "num_leaves": 31}
    sample_checks = True
    default_params = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31}

    #: boostreg's common names that lightgbm's scikit-learn classes call otherwise
    _SKLEARN_NAMES = {"gamma": "min_split_gain"}

    def sklearn_estimator(self, params, task):
        """lightgbm.LGBMRegressor / LGBMClassifier; row subsampling is switched on as boostreg does (subsample_freq
        1), and LightGBM's log is silenced."""
        kw = {
            self._SKLEARN_NAMES.get(k, k): v
            for k, v in params.items()
            if k in self.param_names or k in self.native_params
        }
        if kw.get("subsample", 1.0) < 1.0:
            kw.setdefault("subsample_freq", kw.pop("bagging_freq", 1))
        kw["verbose"] = -1
        return ("lightgbm.LGBMRegressor" if task == "regression" else "lightgbm.LGBMClassifier"), kw

    def load_hint(self, name, cls):
        return f"lightgbm.Booster(model_file='{name}')"

    def save_native(self, model, stem):
        path = stem.with_suffix(".txt")  # LightGBM's own text model (lightgbm.Booster(model_file=...) reads it)
        model.booster_.save_model(str(path))
        return path

    def theory_not_applicable(self, params):
        if params.get("path_smooth", 0) > 0:
            return "path_smooth shrinks leaves toward their parent"
        return super().theory_not_applicable(params)

    def _native(self, params, threads, seed=0):
        native = self.native({k: v for k, v in params.items() if k not in LOOP_PARAMS})
        if native.get("bagging_fraction", 1.0) < 1.0:
            native.setdefault("bagging_freq", 1)
        native.update(verbose=-1, num_threads=threads, seed=seed, feature_pre_filter=False)
        return native

    def prepare(self, fold: Fold, params, *, threads):
        binning = {
            "max_bin": int(params.get("max_bin", 255)),
            "verbose": -1,
            "feature_pre_filter": False,
            "num_threads": threads,
        }
        dtrain = lgb.Dataset(fold.X_train, label=fold.y_train, weight=fold.w_train, free_raw_data=False, params=binning)
        dtrain.construct()
        dtest = lgb.Dataset(
            fold.X_test, label=fold.y_test, weight=fold.w_test, reference=dtrain, free_raw_data=False, params=binning
        )
        dtest.construct()
        dvalid = None
        if fold.X_valid is not None:
            dvalid = lgb.Dataset(
                fold.X_valid,
                label=fold.y_valid,
                weight=fold.w_valid,
                reference=dtrain,
                free_raw_data=False,
                params=binning,
            )
            dvalid.construct()
        return dtrain, fold, dvalid, dtest, _model_init_score(dtrain, fold, threads)

    def fit(self, prepared, params, *, seed, threads):
        """Train; LightGBM evaluates the primary metric on the test fold after each round from its cached
        scores (the test curve), and with early stopping on the validation split, which alone is watched."""
        dtrain, fold, dvalid, dtest, _ = prepared
        native = self._native(params, threads, seed)
        own = evaluation.native_metric(fold, EVAL_METRIC, EVAL_METRIC_MULTICLASS)  # None: boostreg's (_own_feval)
        native.update(objective=OBJECTIVE[fold.task], metric=own or "None", **_task_params(fold))
        rounds = early_stopping_rounds(params, fold)
        train_curve = wants_train_curve(params)  # a fit the theory check skips, with curves = "all"
        sets, names = ([dtrain], ["train"]) if train_curve else ([], [])
        sets, names = sets + [dtest], names + ["test"]
        if dvalid is not None:
            sets, names = sets + [dvalid], names + ["valid"]
        result: dict = {}
        callbacks = [lgb.record_evaluation(result)] + ([_stop_on("valid", rounds)] if rounds else [])
        checked = checked_rounds(params, len(fold.y_train)) if wants_check(params) else None
        scores_at: dict = {}
        if checked:  # a bounded check compares the predictor with training's own scores after its last round
            callbacks.append(_keep_training_scores(checked, scores_at))
        # the training booster is kept: it still holds the training rows' scores as training routed them
        model = lgb.train(
            native,
            dtrain,
            num_boost_round=int(params["n_estimators"]),
            valid_sets=sets,
            valid_names=names,
            callbacks=callbacks,
            keep_training_booster=True,
            feval=None if own else _own_feval(fold, dtrain, dtest, dvalid),
        )
        metric = own or evaluation.NAME
        kept = model.current_iteration()
        valid = np.asarray(result["valid"][metric]) if dvalid is not None else None
        if rounds:
            # the first best round; the trees after it are dropped. LightGBM keeps evaluating after it stopped adding
            # trees on its own (no split with any gain), so a "best" round past its last tree is that last tree.
            kept = min(int(np.argmin(valid)) + 1, model.current_iteration())
            while model.current_iteration() > kept:  # drops the last tree and takes it off the training scores
                model.rollback_one_iter()
        # training's own scores of the training rows (kept trees only): the theory check compares them with the
        # predictor's margins (feature bundling); a fit the check skips takes its training metrics from them
        model.boostreg_train_score = _training_scores(model)
        model.boostreg_train_score_at = scores_at  # {rounds: scores} of a bounded check
        if valid is not None:
            valid = valid[:kept]
        valid_error = float(valid[-1]) if valid is not None and kept else float("nan")
        model.boostreg_log = TrainingLog(
            np.asarray(result["test"][metric][:kept]),
            valid_error,
            valid,
            np.asarray(result["train"][metric][:kept]) if train_curve else None,
        )
        return model

    def training_rows_moved(self, model, fold, train_margin, rounds=None):
        """LightGBM trains on bundled features (exclusive feature bundling, on by default): where two bundled
        features are both off their most frequent bin in one row (a "conflict", which LightGBM allows), training
        reads one of them at that bin, while the predictor reads the row's real value. Such a row sits in one leaf
        while the tree is fitted and in another when ``pred_leaf`` (or ``predict``) routes it, so the leaves'
        training rows are not the ones boostreg can locate. Detected by comparing the training scores LightGBM
        kept (its own routing) with the predictor's margins of the same rows."""
        inner = getattr(model, "boostreg_train_score", None)
        if rounds is not None and rounds < model.current_iteration():  # a bounded check: the scores after its rounds
            inner = getattr(model, "boostreg_train_score_at", {}).get(rounds)
        if inner is None:
            return None
        seen = np.asarray(train_margin, dtype=np.float64)
        if fold.task == "binary":  # LightGBM hands training scores through the link: probabilities
            seen = 1.0 / (1.0 + np.exp(-seen))
        elif fold.task == "multiclass":  # softmax probabilities, (n, K)
            seen = np.exp(seen - seen.max(axis=1, keepdims=True))
            seen /= seen.sum(axis=1, keepdims=True)
            inner = inner.reshape(seen.shape)
        far = np.abs(inner - seen) > 1e-9 * np.maximum(1.0, np.abs(seen))
        moved = int((far.any(axis=1) if far.ndim == 2 else far).sum())
        if not moved:
            return None
        return (
            f"LightGBM's feature bundling routed {moved} of {len(seen)} training rows to other leaves while "
            "training than its predictor does (bundled features both off their most frequent value in those "
            "rows), so the leaves' training rows cannot be located"
        )

    def predict_margin(self, model, prepared, fold):
        return evaluation.as_margins(_predict(model, fold.X_test, raw_score=True), fold)

    def predict_train_margin(self, model, prepared, fold):
        """The training rows' final margins as LightGBM's training kept them (no second pass of every training row
        through every tree, a sizeable share of a fit's time). They equal the predictor's
        except for rows that feature bundling routes otherwise (docs/theory-check.md), exactly as
        the training curve LightGBM evaluated on the same scores."""
        scores = getattr(model, "boostreg_train_score", None)
        if scores is None:
            return evaluation.as_margins(_predict(model, fold.X_train, raw_score=True), fold)
        # through the link (binary: log-odds; multiclass: log probabilities, the margins less each row's logsumexp)
        return evaluation.from_predictions(scores, fold.task, len(fold.y_train))

    def ensemble(self, model, prepared, fold, params=None, *, test_leaf=True, train_trees=None):
        dtrain, fold, _, _, init = prepared
        params = params or {}
        trees = _parse_trees(model.model_to_string())
        onehot_max = params.get("max_cat_to_onehot", _MAX_CAT_TO_ONEHOT_DEFAULT)
        many_vs_many = np.array([dtrain.feature_num_bin(i) > onehot_max for i in range(fold.X_train.shape[1])])
        cat_l2 = float(params.get("cat_l2", _CAT_L2_DEFAULT))
        values, is_leaf, depth, split_features, extra = [], [], [], [], []
        K = evaluation.n_classes(fold) if fold.task == "multiclass" else 1
        for t, tree in enumerate(trees):  # a loop over trees, not rows
            v = tree["leaf_value"].copy()
            if t < K:  # each class's first tree holds its initial score (BoostFromScore(class_id))
                v -= init[t] if K > 1 else init
            values.append(v)
            is_leaf.append(np.ones(len(v), dtype=bool))
            depth.append(tree["depth"])
            split_features.append(tree["split_feature"])
            extra.append(np.where(tree["parent_categorical"] & many_vs_many[tree["parent_feature"]], cat_l2, 0.0))
        n_trees = len(trees)
        return measure.Ensemble(
            leaf_values=values,
            is_leaf=is_leaf,
            depth=np.asarray(depth, dtype=np.int64),
            split_features=split_features,
            feature_names=tuple(fold.X_train.columns),
            base_margin=init,
            train_leaf=_pred_leaf(
                model, fold.X_train, min(train_trees, n_trees) if train_trees is not None else n_trees, K
            ),
            test_leaf=_pred_leaf(model, fold.X_test, n_trees, K) if test_leaf else None,
            margin_dtype=np.float64,
            label_dtype=np.float32,
            grad_arith_dtype=np.float64,
            grad_dtype=np.float32,
            leaf_extra_lambda=extra,
            n_classes=K,
            hessian_factor=K / (K - 1.0) if K > 1 else 2.0,  # MulticlassSoftmax's factor_
            unsplit_zero=True,  # a class tree that made no split is kept with value 0 (GBDT::TrainOneIter)
        )


def _stop_on(name: str, rounds: int):
    """Early stopping that watches one validation set only (LightGBM's own callback watches every set but the
    training one, and the test fold is among them here for the curves)."""
    best = {"score": np.inf, "round": 0}

    def callback(env):
        score = next(v if not higher else -v for ds, _, v, higher in env.evaluation_result_list if ds == name)
        if score < best["score"]:
            best.update(score=score, round=env.iteration)
        elif env.iteration - best["round"] >= rounds:
            raise lgb.callback.EarlyStopException(best["round"], env.evaluation_result_list)

    callback.order = 30
    return callback


def _keep_training_scores(rounds: int, into: dict):
    """A callback that keeps the training rows' scores after ``rounds`` rounds (``into[rounds]``), as
    :func:`_training_scores` reads them at the end: what a check of the first ``rounds`` rounds compares with."""

    def callback(env):
        if env.iteration + 1 == rounds:
            into[rounds] = _training_scores(env.model)

    callback.order = 40
    return callback


def _training_scores(model) -> np.ndarray:
    """The training rows' scores as LightGBM kept them while training (through the objective's link: the mean
    for regression, a probability for binary), read through the public ``eval_train`` with a metric that keeps
    what it is handed."""
    seen: dict = {}

    def keep(preds, _data):
        seen["scores"] = np.array(preds, dtype=np.float64)
        return "scores", 0.0, False

    model.eval_train(feval=keep)
    return seen["scores"]


def _pred_leaf(model, X, n_trees, K=1):
    """Each row's leaf in the first ``n_trees`` trees, a block of trees at a time (:func:`measure.leaf_ids`);
    multiclass: LightGBM's iterations are rounds of K trees, so blocks are whole rounds."""

    def block(t0, t1):
        r0, r1 = t0 // K, -(-t1 // K)
        ids = _predict(model, X, pred_leaf=True, start_iteration=r0, num_iteration=r1 - r0)
        return ids if K == 1 else np.asarray(ids).reshape(len(X), -1)[:, t0 - r0 * K : t1 - r0 * K]

    return measure.leaf_ids(block, len(X), n_trees, block=measure.LEAF_BLOCK * K)


def _task_params(fold: Fold) -> dict:
    """num_class for multiclass, nothing otherwise."""
    return {"num_class": evaluation.n_classes(fold)} if fold.task == "multiclass" else {}


def _own_feval(fold: Fold, dtrain, dtest, dvalid):
    """boostreg's own loss of the primary metric (:mod:`boostreg.engines.evaluation`) on each evaluated set, from
    the predictions LightGBM hands a custom metric (through the link: turned back into margins)."""
    rows = {id(d): yw for d, yw in zip((dtrain, dtest, dvalid), fold_rows(fold))}

    def feval(preds, data):
        y, w = rows[id(data)]
        return (
            evaluation.NAME,
            evaluation.error(fold, y, evaluation.from_predictions(preds, fold.task, len(y)), w),
            False,
        )

    return feval


def _predict(model, X, **kwargs):
    """``model.predict`` on the threads the fit trained with: every prediction goes through here. LightGBM's
    ``predict`` does not inherit the booster's ``num_threads``: without it every prediction ran on all cores, so
    two single-threaded workers each spread their predictions over both cores, taking CPU from each other."""
    return model.predict(X, num_threads=int(model.params.get("num_threads", 0)), **kwargs)


def _model_init_score(dtrain: lgb.Dataset, fold: Fold, threads: int) -> float | np.ndarray:
    """LightGBM's own boost_from_average score for this training fold, read from a model, not recomputed.

    With reg_alpha huge no split has any gain, so one round gives a constant tree whose only leaf LightGBM
    sets to the initial score itself (the same float it adds into tree 0's leaves of every fit of the fold).
    A recomputation (numpy's log, pairwise sums) can be one bit away, and then a tree-0 leaf that is exactly
    0 reads -8.7e-19 after the subtraction.
    """
    model = lgb.train(
        {
            "objective": OBJECTIVE[fold.task],
            "lambda_l1": 1e300,
            "verbose": -1,
            "num_threads": threads,
            "feature_pre_filter": False,
            **_task_params(fold),
        },
        dtrain,
        num_boost_round=1,
    )
    trees = _parse_trees(model.model_to_string())
    K = _task_params(fold).get("num_class", 1)
    if len(trees) != K or any(len(t["leaf_value"]) != 1 for t in trees):  # not constant trees: the formula
        return _init_score(dtrain.get_label(), fold.task, K, dtrain.get_weight())
    return np.array([t["leaf_value"][0] for t in trees]) if K > 1 else float(trees[0]["leaf_value"][0])


def _init_score(y: np.ndarray, task: str, K: int = 1, weight=None) -> float | np.ndarray:
    """LightGBM's boost_from_average score: mean of the float32 labels, or its log-odds for binary; multiclass: the
    log of each class's (weighted) share (MulticlassSoftmax::BoostFromScore)."""
    if task == "multiclass":
        w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float32).astype(np.float64)
        share = np.bincount(np.asarray(y, dtype=np.int64), weights=w, minlength=K) / w.sum()
        return np.log(np.maximum(share, _K_EPSILON))
    mean = float(np.mean(y.astype(np.float32).astype(np.float64)))
    if task == "binary":
        p = min(max(mean, _K_EPSILON), 1 - _K_EPSILON)
        return float(np.log(p / (1 - p)))
    return mean if abs(mean) > _K_EPSILON else 0.0
