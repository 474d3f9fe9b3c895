"""CatBoost (CatBoostRegressor / CatBoostClassifier) behind boostreg's names. Optional: ``pip install
'boostreg[catboost]'``; this module imports catboost only when used, and the registry lists the engine only where
catboost is installed (elsewhere ``get_engine("catboost")`` names the extra).

An L2-only booster (``penalties = ("reg_lambda",)``): ``reg_lambda`` is ``l2_leaf_reg`` (CatBoost's default 3);
the planner fits it at reg_alpha = 0 only. Common names: ``learning_rate``; ``n_estimators`` -> ``iterations``;
``max_depth`` -> ``depth`` (6 when the study sets none, CatBoost's default; symmetric trees, 2^depth leaves);
``max_bin`` -> ``border_count``; ``subsample`` (< 1) -> ``subsample``. Under [params.catboost]: bootstrap_type,
bagging_temperature, random_strength, boosting_type, leaf_estimation_method, leaf_estimation_iterations,
one_hot_max_size, boost_from_average, rsm, model_shrink_rate. Always: RMSE, Logloss or MultiClass, ``random_seed`` = the
fold's seed, ``thread_count``, ``allow_writing_files=False``, silent. Category columns are passed as
``cat_features`` (their values as strings, missing as "__missing__").

boostreg sets ``leaf_estimation_iterations = 1`` and ``bootstrap_type = "No"`` (a study may set others under
[params.catboost]). CatBoost's own leaf_estimation_iterations depends on the loss and the settings (1.2.10 chose
10 Newton steps per leaf for Logloss at learning_rate 0.3 and 200 iterations, and 1 at 0.1 and 100), and only
one step is the closed form. Its own bootstrap (MVS, subsample 0.8) is replaced by none, like XGBoost's and
LightGBM's defaults here, because MVS refuses to go on once the gradients vanish ("Too few sampling units",
breast_cancer at learning_rate 0.3 and 300 iterations); the common ``subsample`` < 1 turns on Bernoulli sampling.

Curves and early stopping: the primary metric on the test fold and on the validation split after every tree, from
CatBoost's own staged raw predictions (``staged_predict(..., "RawFormulaVal")``). With ``early_stopping_rounds``
> 0 CatBoost's overfitting detector (``od_type="Iter"``, the same primary metric on the validation split, no
``use_best_model``) ends training; boostreg then keeps the best round of its own validation curve (the first
best before that many rounds without improvement) and cuts the trees after it (``shrink``).

The theory check — when CatBoost's leaf is the closed form. CatBoost (``online_predictor.h``, ``approx_calcer.cpp``)
sets a leaf to ``SumDer / (-SumDer2 + l2_leaf_reg * sumAllWeights / docCount)`` per Newton step, with
der = -gradient and der2 = -hessian of the rows in the leaf at the model's approx (float64), then multiplies by the
learning rate: ``-G / (H + l2_leaf_reg) * learning_rate`` with unit weights, where ``l2_leaf_reg`` and the
learning rate are float32 (the check uses them rounded so). It holds, and the check runs (measured relative
error <= 8e-12 on regression and Logloss folds of five datasets), when all of these hold:

* one leaf-estimation step (``leaf_estimation_iterations = 1``; more steps add Newton steps from the updated approx);
* ``leaf_estimation_method`` Newton (Gradient is the same formula for RMSE only: for Logloss it divides by the
  row count instead of H);
* no ``model_shrink_rate`` (it rescales the whole model every iteration), no Langevin / posterior sampling;
* no split on a categorical feature's target statistic (an ``OnlineCtr`` split): while training, each row's CTR
  is computed from the rows before it in a random permutation, so the rows behind a leaf differ from those the
  final model routes there (one-hot splits, for features with at most ``one_hot_max_size`` levels, are exact);
* and, for Logloss with ``l2_leaf_reg`` = 0, no final training margin beyond +-30 (``SATURATED``). This one is
  about recomputing, not the formula: for rows with p(1 - p) < 1e-13 a leaf's G and H are sums near float64's
  resolution that no l2_leaf_reg shields, and CatBoost's log-loss derivatives (computed from exp(margin),
  ``error_functions.h``) differ from a float64 recomputation there in the leading digits (measured: relative
  error 4e-9 at margins up to 27.7, 6e-7 at 36.8, above 1 from 53 on; with l2_leaf_reg >= 1 below 1e-12).

Row sampling (``bootstrap_type`` MVS, CatBoost's default, Bernoulli, Bayesian; ``subsample``) and ordered boosting
do **not** break it on the CPU: CatBoost uses the sample weights to choose each tree's structure only, and then
computes every leaf from all training rows (measured: relative error 0 to 7e-15 with each). Every training row's
leaf comes from ``calc_leaf_indexes``; leaf values from ``get_leaf_values`` (they include the learning rate),
the intercept from ``get_scale_and_bias`` (the label mean with ``boost_from_average``, RMSE's default).
A symmetric tree of depth d has 2^d leaves, many of which no training row reaches: those are stored as exactly
0 though no penalty zeroed them. The record column ``empty_leaf_frac`` says how many leaves are empty, and
``zero_leaf_frac`` counts only the leaves that training rows reach (an exact 0 among them is the penalty's or G's).

Sample weights go into the pools (``Pool(weight=...)``): CatBoost multiplies each row's derivatives by its weight
and scales the L2 term by the mean weight (``l2_leaf_reg * sumAllWeights / docCount`` above), so the check uses the
weighted G and H and ``reg_lambda`` times the mean training weight (measured relative error <= 2e-15 on
regression and Logloss folds with weights 1-3). Multiclass (loss MultiClass, one tree per iteration whose leaves
hold K-vectors, each a Newton step with the full K x K softmax hessian): :mod:`.catboost_multiclass`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import measure
from ..errors import BoostregError
from ..metrics import curve_metric
from . import catboost_multiclass as cbm
from .base import Fold, TrainingLog, TreeEngine, early_stopping_rounds, primary_metric_name
from .sklearn_base import as_object

LOSS = {"regression": "RMSE", "binary": "Logloss", "multiclass": cbm.LOSS}
#: CatBoost's names for boostreg's primary metrics (its overfitting detector watches the same metric)
EVAL_METRIC = {"rmse": "RMSE", "mae": "MAE", "logloss": "Logloss", "error": "ZeroOneLoss"}
_MISSING = "__missing__"
#: |training margin| beyond which, with log loss and l2_leaf_reg = 0, the check is not applicable (measured on
#: breast_cancer and binary_noise: relative error 4e-9 at 27.7, 6e-7 at 36.8, > 1 from 53 on; with l2_leaf_reg > 0
#: the denominator is never that small, and errors stay below 1e-12)
SATURATED = 30.0
#: l2_leaf_reg this small counts as 0 (CatBoost itself replaces l2_leaf_reg = 0 by 1e-20)
TINY_L2 = 1e-6
#: the parameter key with which measure() hands TreeEngine.measure the reason found from the fitted model
_REASON = "_catboost_not_applicable"


@dataclass
class CatPrepared:
    """A fold as CatBoost pools (built once, reused by every fit of the group)."""

    fold: Fold
    train: object
    test: object
    valid: object | None
    threads: int


def as_catboost_frame(X: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Category columns as strings (missing: "__missing__"), the rest as they are; and the category columns."""
    cat = [j for j, c in enumerate(X.columns) if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if not cat:
        return X, cat
    X = X.copy()
    for j in cat:
        c = X.columns[j]
        X[c] = X[c].astype(object).where(X[c].notna(), _MISSING).astype(str)
    return X, cat


def not_applicable(resolved: dict, task: str, has_ctr_split: bool = False, max_abs_margin: float = 0.0) -> str | None:
    """Why CatBoost's leaves are not the closed form with these (resolved) parameters — or cannot be recomputed to
    rounding (log loss, l2_leaf_reg = 0, training margins beyond ``SATURATED``) — or None when they are."""
    iterations = resolved.get("leaf_estimation_iterations")
    if iterations is not None and int(iterations) != 1:
        return (
            f"leaf_estimation_iterations = {iterations}: each leaf is the sum of {iterations} Newton steps, "
            "each from the approx the previous one updated"
        )
    method = resolved.get("leaf_estimation_method", "Newton")
    if method != "Newton" and not (method == "Gradient" and task == "regression"):
        return f"leaf_estimation_method = {method}: the leaf is not -G / (H + l2_leaf_reg)"
    if float(resolved.get("model_shrink_rate") or 0) > 0:
        return "model_shrink_rate > 0 rescales every earlier tree at each iteration"
    if resolved.get("langevin") or resolved.get("posterior_sampling"):
        return "Langevin / posterior sampling adds noise to every leaf"
    if has_ctr_split:
        return (
            "a split on a categorical feature's target statistic (CTR): while training each row's CTR comes from "
            "the rows before it in a random permutation, so the rows behind a leaf are not those the final "
            "model routes there"
        )
    if task == "multiclass" and float(resolved.get("l2_leaf_reg", 3.0)) < TINY_L2:
        return "MultiClass with l2_leaf_reg = 0: the K x K softmax hessian is singular (each row's p sums to 1)"
    if task == "binary" and float(resolved.get("l2_leaf_reg", 3.0)) < TINY_L2 and max_abs_margin > SATURATED:
        return (
            f"log loss with l2_leaf_reg = 0 and training margins beyond ±{SATURATED:g} (p(1 - p) < 1e-13): a leaf "
            "of such rows is G/H of sums near float64's resolution, and CatBoost derives p from exp(margin) "
            "kept and multiplied tree by tree, which a recomputation cannot match to that resolution"
        )
    return None


class CatBoostEngine(TreeEngine):
    name = "catboost"
    records_version = 2  # zero_leaf_frac counts reached leaves only (empty ones are empty_leaf_frac)
    color = "#ff7f0e"
    library = "catboost"
    extra = "catboost"
    penalties = ("reg_lambda",)
    tasks = ("regression", "binary", "multiclass")
    record_columns = {"empty_leaf_frac": "float64"}
    param_names = {
        "learning_rate": "learning_rate",
        "reg_lambda": "l2_leaf_reg",
        "n_estimators": "iterations",
        "max_depth": "depth",
        "max_bin": "border_count",
        "subsample": "subsample",
    }
    native_params = frozenset(
        {
            "bootstrap_type",
            "bagging_temperature",
            "random_strength",
            "boosting_type",
            "leaf_estimation_method",
            "leaf_estimation_iterations",
            "one_hot_max_size",
            "boost_from_average",
            "rsm",
            "model_shrink_rate",
        }
    )
    # CatBoostRegressor(l2_leaf_reg=3, depth=6); its learning rate is chosen from the data when not given
    library_defaults = {"reg_alpha": 0.0, "reg_lambda": 3.0, "max_depth": 6}
    default_params = {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "max_depth": 6,
        "leaf_estimation_iterations": 1,
        "bootstrap_type": "No",
    }

    def theory_not_applicable(self, params):
        if _REASON in params:  # measure(): found from the fitted model's own parameters and splits
            return params[_REASON]
        return not_applicable(params, "binary")  # from the study's parameters alone (the model decides in measure())

    def sklearn_estimator(self, params, task):
        """catboost.CatBoostRegressor / CatBoostClassifier with boostreg's loss (no reg_alpha: CatBoost has none)."""
        native = self._native({k: v for k, v in params.items() if k != "reg_alpha"}, seed=0, threads=1)
        for key in ("random_seed", "thread_count"):
            native.pop(key, None)
        native["loss_function"] = LOSS[task]
        return ("catboost.CatBoostRegressor" if task == "regression" else "catboost.CatBoostClassifier"), native

    def refit_inputs(self, params, X):
        """CatBoost reads categories as text, named in cat_features; missing values are a level of their own."""
        cat = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        return ({**params, "cat_features": cat}, as_object(X, cat)) if cat else (params, X)

    def load_hint(self, name, cls):
        return f"catboost.{cls.rsplit('.', 1)[1]}().load_model('{name}')"

    def save_native(self, model, stem):
        path = stem.with_suffix(".cbm")  # CatBoost's own model (catboost.CatBoost().load_model(...) reads it)
        model.save_model(str(path))
        return path

    def _native(self, params, seed: int, threads: int) -> dict:
        if params.get("reg_alpha", 0.0):
            raise BoostregError(
                f"catboost takes no reg_alpha (CatBoost's leaves have an L2 term only); got "
                f"reg_alpha = {params['reg_alpha']}. Leave reg_alpha at 0 for this engine."
            )
        native = self.native(params)
        if float(native.get("subsample", 1.0)) >= 1.0:
            native.pop("subsample", None)  # no row sampling asked for
        elif native.get("bootstrap_type", "No") == "No":
            native["bootstrap_type"] = "Bernoulli"  # the common subsample: each tree's rows drawn without weights
        for key in ("iterations", "depth", "border_count", "leaf_estimation_iterations", "one_hot_max_size"):
            if key in native:
                native[key] = int(native[key])
        native.update(random_seed=seed, thread_count=threads, allow_writing_files=False, verbose=False)
        return native

    def prepare(self, fold: Fold, params, *, threads):
        from catboost import Pool

        X, cat = as_catboost_frame(fold.X_train)
        train = Pool(X, label=fold.y_train, cat_features=cat, weight=fold.w_train)
        test = Pool(as_catboost_frame(fold.X_test)[0], label=fold.y_test, cat_features=cat, weight=fold.w_test)
        valid = None
        if fold.X_valid is not None:
            valid = Pool(as_catboost_frame(fold.X_valid)[0], label=fold.y_valid, cat_features=cat, weight=fold.w_valid)
        return CatPrepared(fold, train, test, valid, threads)

    def fit(self, prepared: CatPrepared, params, *, seed, threads):
        """Train; the primary metric on the test fold (the test curve) and the validation split after every tree."""
        from catboost import CatBoostClassifier, CatBoostRegressor

        fold = prepared.fold
        metric = primary_metric_name(fold)
        cls = CatBoostRegressor if fold.task == "regression" else CatBoostClassifier
        names = cbm.EVAL_METRIC if fold.task == "multiclass" else EVAL_METRIC
        model = cls(loss_function=LOSS[fold.task], **self._native(params, seed, threads))
        rounds = early_stopping_rounds(params, fold)
        if rounds:
            # CatBoost stops on its own nearest loss where it has no primary metric (r2, auc, a user's); the kept round
            # is then chosen on boostreg's own validation curve of the primary metric below
            model.set_params(eval_metric=names.get(metric) or names[curve_metric(fold.task, metric)])
            model.fit(prepared.train, eval_set=prepared.valid, early_stopping_rounds=rounds, use_best_model=False)
        else:
            model.fit(prepared.train)
        if fold.task == "multiclass":
            cbm.check_classes(model, fold.n_classes)
        test = self._curve(model, prepared.test, fold.y_test, fold.task, metric, threads, fold.w_test)
        valid = (
            self._curve(model, prepared.valid, fold.y_valid, fold.task, metric, threads, fold.w_valid)
            if prepared.valid is not None
            else None
        )
        kept = model.tree_count_
        valid_error = float(valid[-1]) if valid is not None and kept else float("nan")
        if rounds and valid is not None and len(valid):
            best = _first_best(valid, rounds)
            kept, valid_error = best + 1, float(valid[best])
            if kept < model.tree_count_:  # the trees after the best round are dropped
                model.shrink(ntree_end=kept)
        model.boostreg_log = TrainingLog(test[:kept], valid_error, valid[:kept] if valid is not None else None)
        return model

    @staticmethod
    def _curve(model, pool, y, task, metric, threads, weight=None) -> np.ndarray:
        """The primary metric after each tree (weighted by the rows' sample weights), from CatBoost's staged raw
        predictions."""
        return np.array(
            [
                float(measure.primary_error(y, np.asarray(m, dtype=np.float64), task, metric, weight=weight)[0])
                for m in model.staged_predict(pool, prediction_type="RawFormulaVal", thread_count=threads)
            ]
        )

    def predict_margin(self, model, prepared: CatPrepared, fold):
        return np.asarray(
            model.predict(prepared.test, prediction_type="RawFormulaVal", thread_count=prepared.threads),
            dtype=np.float64,
        )

    def measure(self, model, prepared: CatPrepared, params, fold):
        """TreeEngine's measures; the closed form's conditions read from the fitted model (its resolved parameters
        and its splits), its learning rate and l2_leaf_reg in float32 as CatBoost keeps them, and empty_leaf_frac."""
        structure = model.boostreg_structure = model_structure(model)  # ensemble() reuses it
        resolved = model.get_all_params()
        top = 0.0
        if fold.task == "binary" and float(resolved.get("l2_leaf_reg", 3.0)) < TINY_L2 and model.tree_count_:
            top = float(
                np.abs(
                    model.predict(prepared.train, prediction_type="RawFormulaVal", thread_count=prepared.threads)
                ).max()
            )
        reason = not_applicable(resolved, fold.task, structure["has_ctr_split"], top)
        lam = float(np.float32(params.get("reg_lambda", 0.0)))
        if fold.w_train is not None:  # CatBoost's L2 term is l2_leaf_reg * sumAllWeights / docCount
            lam *= float(np.sum(fold.w_train)) / len(fold.w_train)
        own = fold.task == "multiclass" and reason is None  # the K x K Newton step: checked below, not by super()
        if fold.task == "multiclass":  # MultiClass keeps the scaled l2 in a float (CalcDeltaNewtonMulti)
            w32 = None if fold.w_train is None else np.asarray(fold.w_train).astype(np.float32)
            mean_w = 1.0 if w32 is None else float(np.sum(w32, dtype=np.float64)) / len(w32)
            lam = float(np.float32(float(np.float32(params.get("reg_lambda", 0.0))) * mean_w))
        lr = float(np.float32(params["learning_rate"]))
        record, curves = super().measure(
            model,
            prepared,
            {
                **params,
                "reg_alpha": 0.0,
                "reg_lambda": lam,
                "learning_rate": lr,
                "max_delta_step": 0.0,
                _REASON: cbm.OWN_CHECK if own else reason,
            },
            fold,
        )
        ens = model.__dict__.pop("boostreg_ensemble")
        if own:
            check = cbm.theory_check(ens, fold.y_train, reg_lambda=lam, learning_rate=lr, weight=fold.w_train)
            record.update(check.record_columns())
            if fold.keep_leaves:
                record["_leaves"] = check.leaf_table()
        del model.boostreg_structure
        empty = [np.bincount(ens.train_leaf[:, t], minlength=len(v)) == 0 for t, v in enumerate(ens.leaf_values)]
        record["empty_leaf_frac"] = float(np.concatenate(empty).mean()) if empty else np.nan
        # an empty leaf is stored as 0 because no row reached it, not because the penalty zeroed it: zero_leaf_frac
        # counts the leaves that training rows reach (empty_leaf_frac says how many are empty)
        reached = ~np.concatenate(empty) if empty else np.zeros(0, dtype=bool)
        record["zero_leaf_frac"] = float(np.mean(ens.leaves()[reached] == 0.0)) if reached.any() else np.nan
        return record, curves

    def ensemble(self, model, prepared: CatPrepared, fold, params=None, *, test_leaf=True, train_trees=None):
        counts = np.asarray(model.get_tree_leaf_counts(), dtype=np.int64)
        flat = np.asarray(model.get_leaf_values(), dtype=np.float64)
        scale, bias = model.get_scale_and_bias()
        bounds = np.concatenate([[0], np.cumsum(counts)])
        values = [flat[bounds[t] : bounds[t + 1]] * float(scale) for t in range(len(counts))]
        structure = getattr(model, "boostreg_structure", None) or model_structure(model)
        threads = prepared.threads
        if fold.task == "multiclass":  # K pseudo-trees per CatBoost tree (catboost_multiclass)
            leaf_ids = [
                model.calc_leaf_indexes(p, thread_count=threads) if p is not None else None
                for p in (prepared.train, prepared.test if test_leaf else None)
            ]
            ens = model.boostreg_ensemble = cbm.ensemble(flat * float(scale), counts, bias, structure, fold, *leaf_ids)
            return ens
        ens = measure.Ensemble(
            leaf_values=values,
            is_leaf=[np.ones(len(v), dtype=bool) for v in values],
            depth=np.asarray(structure["depth"], dtype=np.int64),
            split_features=structure["split_features"],
            feature_names=tuple(fold.X_train.columns),
            base_margin=float(np.ravel(bias)[0]),
            train_leaf=model.calc_leaf_indexes(prepared.train, thread_count=threads),
            test_leaf=model.calc_leaf_indexes(prepared.test, thread_count=threads) if test_leaf else None,
            margin_dtype=np.float64,
            label_dtype=np.float32,
            grad_arith_dtype=np.float64,
            grad_dtype=np.float64,
        )
        model.boostreg_ensemble = ens  # measure() counts its empty leaves after TreeEngine.measure
        return ens


def _first_best(curve: np.ndarray, rounds: int) -> int:
    """The best round (index) under "stop after ``rounds`` rounds without improvement"."""
    best, best_i = np.inf, 0
    for i, v in enumerate(curve):
        if v < best:
            best, best_i = v, i
        elif i - best_i >= rounds:
            break
    return best_i


def model_structure(model) -> dict:
    """Per tree: depth (number of splits of the symmetric tree) and the input columns it splits on; and whether any
    split is on a categorical feature's target statistic (CTR). Read from the model's JSON export."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        model.save_model(path, format="json")
        with open(path, encoding="utf-8") as fh:
            js = json.load(fh)
    info = js.get("features_info", {})
    float_flat = {f["feature_index"]: f["flat_feature_index"] for f in info.get("float_features", [])}
    cat_flat = {f["feature_index"]: f["flat_feature_index"] for f in info.get("categorical_features", [])}
    # split_index numbers every split candidate: float borders, then one-hot values, then CTR borders, in order
    n_float = sum(len(f.get("borders") or []) for f in info.get("float_features", []))
    n_onehot = sum(len(f.get("values") or []) for f in info.get("categorical_features", []))
    ctr_columns: list[tuple[set, float]] = []
    for ctr in info.get("ctrs", []):
        cols = set()
        for element in ctr.get("elements", []):
            if "cat_feature_index" in element:
                cols.add(cat_flat[element["cat_feature_index"]])
            if "float_feature_index" in element:
                cols.add(float_flat[element["float_feature_index"]])
        ctr_columns.extend((cols, b) for b in ctr.get("borders") or [])
    all_ctr = set().union(*(c for c, _ in ctr_columns)) if ctr_columns else set()
    depth, split_features, has_ctr = [], [], False
    for tree in js.get("oblivious_trees", []):
        cols = []
        splits = tree.get("splits") or []
        for split in splits:
            kind = split.get("split_type")
            if kind == "FloatFeature":
                cols.append(float_flat[split["float_feature_index"]])
            elif kind == "OneHotFeature":
                cols.append(cat_flat[split["cat_feature_index"]])
            else:  # OnlineCtr: the columns of its CTR, located by split_index (all CTR columns if that fails)
                has_ctr = True
                k = split.get("split_index", -1) - n_float - n_onehot
                ok = 0 <= k < len(ctr_columns) and np.isclose(ctr_columns[k][1], split.get("border", np.nan))
                cols.extend(sorted(ctr_columns[k][0] if ok else all_ctr))
        depth.append(len(splits))
        split_features.append(np.asarray(cols, dtype=np.int64))
    return {"depth": depth, "split_features": split_features, "has_ctr_split": has_ctr}
