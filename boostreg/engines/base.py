"""The engine contract: prepare a fold once, fit one grid point, measure the fitted model.

An engine is one class in one file (under ``boostreg/engines/``, or your own code), registered with
:func:`boostreg.register_engine`. The
runner calls, per (dataset, fold, seed, fixed parameters) group::

    prepared = engine.prepare(fold, params, threads=...)      # bin the training fold once
    for each grid point:
        model = engine.fit(prepared, params, seed=..., threads=...)
        record, curves = engine.measure(model, prepared, params, fold)

``record`` is a dict of fit-table columns, ``curves`` a frame with one row per boosting round (None for
the scikit-learn baselines, which have no rounds).

Two kinds of engine: boosters (:class:`TreeEngine`, swept over the study's reg_alpha x reg_lambda [grid])
and baselines (``kind = "baseline"``: scikit-learn linear models and SVMs in ``linear.py`` / ``svm.py``, swept
over one ``penalty`` from [baseline_grid]). ``tasks`` says which tasks an engine can fit; the planner skips
the datasets of other tasks.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import measure, prior, softmax
from ..errors import BoostregError
from .libraries import LazyModule, library_version  # noqa: F401 - engines import them from here


@dataclass(frozen=True)
class Fold:
    """One train/test split of a dataset, with the task and the ground truth of synthetic data."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    task: str
    primary_metric: str = "auto"
    noise_features: tuple[str, ...] | None = None
    keep_leaves: bool = False  # measure() also returns every leaf (the report's leaf figures use fold 0)
    #: early stopping's validation split, carved from the training fold (None when early stopping is off)
    X_valid: pd.DataFrame | None = None
    y_valid: np.ndarray | None = None
    #: multiclass: the number of classes K (labels are class codes 0..K-1 as floats); None for other tasks
    n_classes: int | None = None
    #: each row's sample weight (None: every row weighs 1), aligned with the rows of X_train / X_test / X_valid
    w_train: np.ndarray | None = None
    w_test: np.ndarray | None = None
    w_valid: np.ndarray | None = None


#: Parameters the runner and the engines' fit() handle themselves; they are never passed to a library as is.
#: ``_check`` (set by the runner, never recorded) says whether this fit gets the theory check (see
#: :attr:`TreeEngine.sample_checks`); ``_train_curve`` whether a fit the check skips evaluates its training rows
#: every round (:func:`wants_train_curve`).
LOOP_PARAMS = (
    "n_estimators",
    "early_stopping_rounds",
    "validation_fraction",
    "_check",
    "_check_budget",
    "_train_curve",
)


def wants_check(params: dict[str, Any]) -> bool:
    """Whether the runner asked for this fit's theory check (True unless it sampled the fit out)."""
    return bool(params.get("_check", True))


def checked_rounds(params: dict[str, Any], n_train: int) -> int | None:
    """The rounds a checked fit's theory check recomputes: as many as keep training rows x trees within the
    runner's ``_check_budget`` (at least one), or None for every round (no budget: check = "all", or an engine
    called directly). An engine that bounds the check (:attr:`TreeEngine.sample_checks`) reads it before training
    when it must keep what the check compares with at that round (LightGBM's training scores)."""
    budget = int(params.get("_check_budget", 0) or 0)
    if not budget or n_train <= 0:
        return None
    rounds = max(1, budget // n_train)
    return rounds if rounds < int(params.get("n_estimators", rounds + 1)) else None


def wants_train_curve(params: dict[str, Any]) -> bool:
    """Whether a fit the theory check skips is to evaluate the training rows after every round (``curves =
    "all"``; True when no runner says, as for an engine called directly). A checked fit gets its training curve
    from the check's own pass either way."""
    return not wants_check(params) and bool(params.get("_train_curve", True))


@dataclass
class TrainingLog:
    """What an engine evaluated itself while training (its own per-round metric on cached predictions).

    ``test``: the primary metric on the test fold after each kept round; ``valid``: on the validation split
    (None without one); ``valid_error``: on the validation split at the kept round (NaN without a split: with
    early stopping the best round, else the last). An engine attaches it to its model
    as ``model.boostreg_log``; without one, :meth:`TreeEngine.measure` computes the test curve from
    ``pred_leaf`` too. The training curve always comes from the leaves: the theory check walks every
    training row's margin tree by tree anyway, so the engine is not asked to evaluate the training rows.
    """

    test: np.ndarray
    valid_error: float = float("nan")
    valid: np.ndarray | None = None
    #: the primary metric on the training rows after each kept round, when the engine was asked to evaluate them
    #: (fits the theory check samples out: the check's own pass gives the training curve of the others)
    train: np.ndarray | None = None


def primary_metric_name(fold: Fold) -> str:
    """The fold's primary metric, with "auto" resolved (RMSE for regression, log loss for binary)."""
    return measure.PRIMARY_METRIC[fold.task] if fold.primary_metric == "auto" else fold.primary_metric


def early_stopping_rounds(params: dict[str, Any], fold: Fold) -> int:
    """Rounds without improvement on the validation split before training stops (0: train n_estimators trees)."""
    return int(params.get("early_stopping_rounds", 0) or 0) if fold.X_valid is not None else 0


class Engine(ABC):
    """One learning library behind boostreg's common parameter names."""

    name: ClassVar[str]
    #: common name -> the engine's own name; common names missing here are not used by this engine.
    param_names: ClassVar[dict[str, str]]
    #: the library's own defaults for the penalties (what "untuned" means for this engine).
    library_defaults: ClassVar[dict[str, float]]
    #: boostreg's defaults for the fixed parameters of a study that sets none.
    default_params: ClassVar[dict[str, float]] = {}
    #: the record column whose ratio to the unpenalized fit is ``shrinkage_vs_unpenalized``.
    magnitude_column: ClassVar[str] = "leaf_abs_mean"
    #: native parameters a study may set under [params.ENGINE] (beyond the mapped common ones).
    native_params: ClassVar[frozenset[str]] = frozenset()
    #: the tasks this engine fits; the planner skips datasets of other tasks.
    tasks: ClassVar[tuple[str, ...]] = ("regression", "binary")
    #: "booster" (reg_alpha x reg_lambda grid) or "baseline" (one ``penalty`` swept over [baseline_grid]).
    kind: ClassVar[str] = "booster"
    #: boosters: the penalties it takes (an L2-only engine declares ("reg_lambda",) and fits only reg_alpha = 0)
    penalties: ClassVar[tuple[str, ...]] = ("reg_alpha", "reg_lambda")
    #: record columns this engine adds beyond boostreg's schema: name -> "float64" | "string" | "bool" | "int64"
    record_columns: ClassVar[dict[str, str]] = {}
    #: raised when what this engine's records mean changes, so a folder written before reads as another study
    #: (2: scikit-learn baselines' default is the class as users run it; CatBoost's empty leaves are not zeros)
    records_version: ClassVar[int] = 1
    #: the Python package whose __version__ is the record's engine_version (default: the engine's name)
    library: ClassVar[str | None] = None
    #: the engine's colour in every figure ("#rrggbb"), declared by the class that declares ``name``; an engine
    #: without one (or a subclass that renames an engine and keeps its parent's) gets a fallback colour made
    #: from its name (:func:`boostreg.engines.engine_colors`)
    color: ClassVar[str | None] = None
    #: whether a study that names no engines fits this one (:func:`boostreg.engines.default_engines`), declared
    #: like ``color`` by the class that declares ``name``
    default: ClassVar[bool] = False
    #: reference points and ranges from the literature that the guide sets beside its own advice, declared like
    #: ``color``. A point (fitted beside the grid under its ``label``): {"label", "reg_alpha", "reg_lambda",
    #: "source"}; a range: {"source", "engine", "reg_alpha", "reg_lambda", "why"} (values as the source gives them)
    published: ClassVar[tuple[dict, ...]] = ()
    #: the pip extra that installs this engine's library (``pip install "boostreg[EXTRA]"``), or None when the
    #: library comes with boostreg
    extra: ClassVar[str | None] = None

    def version(self) -> str:
        """The version of the engine's library (``library``, default the engine's name): the record's
        ``engine_version``, "?" where the library is not installed or says none."""
        return library_version(self.library or self.name)

    @classmethod
    def check_native_params(cls, params: dict, where: str) -> None:
        allowed = set(cls.param_names) | set(cls.native_params)
        for key in params:
            if key not in allowed:
                match = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
                hint = f"; did you mean '{match[0]}'?" if match else ""
                raise BoostregError(
                    f"unknown {cls.name} parameter '{key}' under [params.{cls.name}] in {where}{hint} "
                    f"Known: {', '.join(sorted(allowed))}."
                )

    def native(self, params: dict[str, Any]) -> dict[str, Any]:
        """Translate common names to the engine's; parameters it does not use are dropped."""
        out = {}
        for key, value in params.items():
            if key in self.param_names:
                out[self.param_names[key]] = value
            elif key in self.native_params:
                out[key] = value
        return out

    def theory_not_applicable(self, params: dict[str, Any]) -> str | None:
        """Why the closed-form leaf check cannot apply to these parameters, or None when it does."""
        if params.get("subsample", 1.0) < 1.0:
            return "row subsampling: the rows behind each leaf are not known"
        return None

    def sklearn_estimator(self, params: dict[str, Any], task: str) -> tuple[str, dict[str, Any]]:
        """The library's own scikit-learn class (its dotted path) and the keyword arguments that fit ``params``
        (common names, the penalties included) with it: what ``boostreg summary`` prints for users to paste and
        what a refit fits. Engines without such a class raise BoostregError."""
        raise BoostregError(f"engine '{self.name}' names no scikit-learn class to paste or refit.")

    def refit_inputs(self, params: dict[str, Any], X: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
        """The class's arguments and the table as this library takes a whole dataset (e.g. how it is told which
        columns are categories); default: as they are."""
        return params, X

    def refit_model(self, estimator: Any, X: pd.DataFrame, task: str, standardized_y: bool) -> Any:
        """What a refit fits around the class (default: the class itself)."""
        return estimator

    def load_hint(self, name: str, cls: str) -> str:
        """How a user loads a model this engine's ``save_native`` wrote (for the refit's card)."""
        return f"joblib.load('{name}')"

    def save_native(self, model: Any, stem: Path) -> Path:
        """Save a fitted ``sklearn_estimator`` model in the library's own format (default: joblib); its path."""
        import joblib

        path = stem.with_suffix(".joblib")
        joblib.dump(model, path)
        return path

    @abstractmethod
    def prepare(self, fold: Fold, params: dict[str, Any], *, threads: int) -> Any:
        """Build the engine's binned training data (and test data) once per fold."""

    @abstractmethod
    def fit(self, prepared: Any, params: dict[str, Any], *, seed: int, threads: int) -> Any:
        """Train one model with these (common-name) parameters."""

    @abstractmethod
    def measure(self, model: Any, prepared: Any, params: dict[str, Any], fold: Fold) -> tuple[dict, pd.DataFrame]:
        """The fit-table columns and the per-round curves of one trained model."""


class TreeEngine(Engine):
    """A gradient-boosting engine: measures come from the engine-neutral :class:`~boostreg.measure.Ensemble`.

    Every booster record also carries :func:`ensemble_extras` (the prior view of the leaves and the first
    tree's gradient scales for the penalty axis). With ``fold.keep_leaves`` the record also holds, under
    ``"_leaves"``, one row per leaf (tree, leaf, stored value, closed form, G, H); the runner stores that table
    apart (``OUT/leaves``) for the report's leaf figures.
    """

    #: whether the runner may skip the theory check on a sample of this engine's fits (the engine then evaluates
    #: the training rows itself, TrainingLog.train, and gives predict_train_margin). Engines that do not say so
    #: are checked on every fit.
    sample_checks: ClassVar[bool] = False

    @abstractmethod
    def ensemble(
        self,
        model: Any,
        prepared: Any,
        fold: Fold,
        params: dict[str, Any],
        *,
        test_leaf: bool = True,
        train_trees: int | None = None,
    ) -> measure.Ensemble:
        """The trained model's leaves, tree structure and leaf ids of the train rows (and of the test rows);
        ``train_trees``: the training rows' leaf ids of the first trees only (the check is skipped)."""

    def predict_margin(self, model: Any, prepared: Any, fold: Fold) -> np.ndarray:
        """The engine's own final margins of the test rows (used when the model carries a TrainingLog)."""
        raise NotImplementedError

    def predict_train_margin(self, model: Any, prepared: Any, fold: Fold) -> np.ndarray:
        """The engine's own final margins of the training rows (fits whose theory check is skipped)."""
        raise NotImplementedError

    def training_rows_moved(
        self, model: Any, fold: Fold, train_margin: np.ndarray, rounds: int | None = None
    ) -> str | None:
        """Why the rows the predictor sends to a leaf (``pred_leaf``) are not the rows the leaf was fitted on, or
        None when they are. ``train_margin``: the training rows' margins through the predictor's routing, after
        every round (``rounds`` None) or after the first ``rounds`` (a bounded check).
        An engine whose training sees the rows otherwise (LightGBM's feature bundling) says so here; the theory
        check of that fit then reads "not applicable" instead of comparing leaves with the wrong rows' sums."""
        return None

    def measure(self, model, prepared, params, fold):
        log: TrainingLog | None = getattr(model, "boostreg_log", None)
        sampled_out = not wants_check(params) and self.sample_checks and log is not None
        if sampled_out:
            return self._measure_unchecked(model, prepared, params, fold, log)
        # a bounded check (checked_rounds) reads the training rows' leaves of its first rounds only
        rounds = checked_rounds(params, len(fold.y_train)) if self.sample_checks and log is not None else None
        K = (fold.n_classes or 1) if fold.task == "multiclass" else 1
        ens = self.ensemble(
            model, prepared, fold, params, test_leaf=log is None, train_trees=rounds * K if rounds else None
        )
        bounded = ens.train_leaf.shape[1] < ens.n_trees
        metric = primary_metric_name(fold)
        if log is None:  # no per-round evaluation from the engine: the test curve from the leaves too
            test_curve, test_margin = _error_curve(ens, fold.y_test, fold, metric, "test", fold.w_test)
        else:
            test_margin = self.predict_margin(model, prepared, fold)
            test_curve = log.test
        record: dict[str, Any] = {"valid_error": log.valid_error if log is not None else np.nan}
        record.update(measure.tree_size(ens, fold.noise_features))
        leaves = ens.leaves()
        record.update(measure.leaf_stats(leaves))
        record.update(ensemble_extras(ens, fold, leaves))
        reason = self.theory_not_applicable(params)
        if reason is None:  # one pass over the training rows' margins: the check, the train curve, the final margin
            kw = {k: params[k] for k in ("reg_alpha", "reg_lambda", "learning_rate")}
            kw.update(max_delta_step=params.get("max_delta_step", 0.0), curve_metric=metric, weight=fold.w_train)
            checked = measure.first_trees(ens, ens.train_leaf.shape[1]) if bounded else ens
            if ens.n_classes > 1:  # the theory check per class tree, with the engine's softmax hessian
                check = softmax.theory_check(checked, fold.y_train, **kw)
            else:
                check = measure.theory_check(checked, fold.y_train, fold.task, **kw)
            train_curve, train_margin = check.curve, check.final_margin
            moved = self.training_rows_moved(model, fold, train_margin, checked.n_rounds if bounded else None)
            if bounded:  # the final margins are the engine's own (as for a fit the sample leaves out)
                train_margin = self.predict_train_margin(model, prepared, fold)
            if fold.keep_leaves and moved is None:  # G and H of leaves fitted on other rows would mislead the figures
                record["_leaves"] = check.leaf_table()
            if moved is None:
                record.update(check.record_columns())
                if bounded:
                    budget = int(params["_check_budget"])
                    record["theory_check"] = (
                        f"ok: the first {checked.n_trees} of {ens.n_trees} trees (the check's budget, {budget:,} "
                        'training rows x trees a fit; check = "all" checks every tree)'
                    )
            else:
                record["theory_max_rel_err"] = record["theory_max_plain_rel_err"] = np.nan
                record["theory_max_abs_err"] = np.nan
                record["theory_check"] = f"not applicable: {moved}"
        else:
            train_curve, train_margin = _error_curve(ens, fold.y_train, fold, metric, "train", fold.w_train)
            record["theory_max_rel_err"] = record["theory_max_plain_rel_err"] = record["theory_max_abs_err"] = np.nan
            record["theory_check"] = f"not applicable: {reason}"
        valid_curve = log.valid if log is not None and log.valid is not None else None
        return _finish(record, ens, fold, train_margin, test_margin, train_curve, test_curve, valid_curve)

    def _measure_unchecked(self, model, prepared, params, fold, log: TrainingLog):
        """Every column but the theory check's, without the training rows' leaf ids beyond the first round: the
        training margin (and, with curves = "all", the training curve) are the engine's own, the first round's G
        and H give the penalty axis. Without a training curve the record's train metrics still come from the final
        margins; the per-round train_error is NaN."""
        ens = self.ensemble(model, prepared, fold, params, test_leaf=False, train_trees=fold.n_classes or 1)
        record: dict[str, Any] = {"valid_error": log.valid_error}
        record.update(measure.tree_size(ens, fold.noise_features))
        leaves = ens.leaves()
        record.update(measure.leaf_stats(leaves))
        record.update(ensemble_extras(ens, fold, leaves))
        reason = self.theory_not_applicable(params)
        record["theory_max_rel_err"] = record["theory_max_plain_rel_err"] = record["theory_max_abs_err"] = np.nan
        record["theory_check"] = (
            f"not applicable: {reason}"
            if reason is not None
            else 'not checked: sampled (check = "all" checks every fit)'
        )
        train_margin = self.predict_train_margin(model, prepared, fold)
        test_margin = self.predict_margin(model, prepared, fold)
        return _finish(record, ens, fold, train_margin, test_margin, log.train, log.test, log.valid)


def _error_curve(ens: measure.Ensemble, y, fold: Fold, metric: str, which: str, weight):
    """The primary error after each round from the leaves, and the final margins (multiclass: per round of K)."""
    if ens.n_classes > 1:
        return softmax.error_curve(ens, y, metric, which, weight=weight)
    return measure.error_curve(ens, y, fold.task, metric, which, weight=weight)


def _finish(record, ens, fold, train_margin, test_margin, train_curve, test_curve, valid_curve):
    """The record's train and test metrics (weighted as the fold's rows) and the per-round curves."""
    for prefix, y, margin, w in (
        ("train", fold.y_train, train_margin, fold.w_train),
        ("test", fold.y_test, test_margin, fold.w_test),
    ):
        record.update(measure.metrics(y, margin, fold.task, prefix, fold.primary_metric, weight=w))
    n = ens.n_rounds
    curves = pd.DataFrame(
        {
            "round": np.arange(1, n + 1, dtype=np.int64),
            "train_error": _per_tree(train_curve, n),
            "test_error": _per_tree(test_curve, n),
            "valid_error": _per_tree(valid_curve if valid_curve is not None else np.full(n, np.nan), n),
        }
    )
    return record, curves


def _per_tree(curve, n_trees: int) -> np.ndarray:
    """A per-round curve cut (or NaN-padded) to the rounds the model kept: an engine that stops adding trees on its
    own (LightGBM with no split left) may have evaluated rounds that added none."""
    if curve is None:  # a fit that kept no per-round training curve (study.curves = "checked")
        return np.full(n_trees, np.nan)
    c = np.asarray(curve, dtype=np.float64)[:n_trees]
    return np.concatenate([c, np.full(n_trees - len(c), np.nan)]) if len(c) < n_trees else c


def ensemble_extras(ens: measure.Ensemble, fold: Fold, leaves: np.ndarray | None = None) -> dict:
    """The prior columns of all leaf values (boostreg.prior) and :func:`first_tree_scales`; multiclass also
    ``per_class_json`` (per class: leaf_abs_mean, zero_leaf_frac, n_leaves_total and the first tree's scales)."""
    leaves = ens.leaves() if leaves is None else leaves
    if ens.n_classes > 1:
        pooled, per_class = softmax.first_round_scales(ens, fold.y_train, fold.w_train)
        return {**prior.prior_columns(leaves), **pooled, "per_class_json": softmax.per_class_json(ens, per_class)}
    return {**prior.prior_columns(leaves), **first_tree_scales(ens, fold.y_train, fold.task, fold.w_train)}


def first_tree_scales(ens: measure.Ensemble, y_train: np.ndarray, task: str, weight: np.ndarray | None = None) -> dict:
    """max |G| and mean H over the first tree's leaves (rows' gradient and hessian sums at the base margin, weighted
    as the engine weighs them); multiclass: over the first round's K class trees pooled.

    The penalty axis (``boostreg.penalty_axis``) normalizes reg_alpha by the first value and reg_lambda by the
    second, both taken from the group's unpenalized fit. Leaves no training row reaches are left out.
    """
    if ens.n_classes > 1:
        return softmax.first_round_scales(ens, y_train, weight)[0]
    if ens.n_trees == 0:
        return {"first_tree_grad_abs_max": np.nan, "first_tree_hess_mean": np.nan}
    y = np.asarray(y_train).astype(ens.label_dtype)
    margin = ens.base_margins(len(y))  # every row's margin before tree 0
    g, h = measure.gradients(margin, y, task, arith=ens.grad_arith_dtype, store=ens.grad_dtype, weight=weight)
    ids = ens.train_leaf[:, 0]
    k = len(ens.leaf_values[0])
    G = np.bincount(ids, weights=g, minlength=k)
    H = np.bincount(ids, weights=h, minlength=k)
    reached = np.bincount(ids, minlength=k) > 0
    return {
        "first_tree_grad_abs_max": float(np.abs(G[reached]).max()),
        "first_tree_hess_mean": float(H[reached].mean()),
    }
