"""The engine contract: prepare a fold once, fit one grid point, measure the fitted model.

An engine is one class in one file under ``boostreg/engines/``, registered with :func:`register`. The
runner calls, per (dataset, fold, seed, fixed parameters) group::

    prepared = engine.prepare(fold, params, threads=...)      # bin the training fold once
    for each grid point:
        model = engine.fit(prepared, params, seed=..., threads=...)
        record, curves = engine.measure(model, prepared, params, fold)

``record`` is a dict of fit-table columns, ``curves`` a frame with one row per boosting round.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .. import measure
from ..errors import BoostregError


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

    @classmethod
    def check_native_params(cls, params: dict, where: str) -> None:
        allowed = set(cls.param_names) | set(cls.native_params)
        for key in params:
            if key not in allowed:
                match = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
                hint = f"; did you mean '{match[0]}'?" if match else ""
                raise BoostregError(f"unknown {cls.name} parameter '{key}' under [params.{cls.name}] in {where}{hint} "
                                    f"Known: {', '.join(sorted(allowed))}.")

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
    """A gradient-boosting engine: measures come from the engine-neutral :class:`~boostreg.measure.Ensemble`."""

    @abstractmethod
    def ensemble(self, model: Any, prepared: Any, fold: Fold, params: dict[str, Any]) -> measure.Ensemble:
        """The trained model's leaves, tree structure and leaf ids of the train and test rows."""

    def measure(self, model, prepared, params, fold):
        ens = self.ensemble(model, prepared, fold, params)
        train_m = measure.margins_before_each_tree(ens, "train")
        test_m = measure.margins_before_each_tree(ens, "test")
        record: dict[str, Any] = {}
        record.update(measure.tree_size(ens, fold.noise_features))
        record.update(measure.leaf_stats(ens.leaves()))
        reason = self.theory_not_applicable(params)
        if reason is None:
            check = measure.theory_check(
                ens, fold.y_train, fold.task, reg_alpha=params["reg_alpha"], reg_lambda=params["reg_lambda"],
                learning_rate=params["learning_rate"], max_delta_step=params.get("max_delta_step", 0.0),
                train_margins=train_m)
            record["theory_max_rel_err"] = check.max_rel_err
            record["theory_max_plain_rel_err"] = check.max_plain_rel_err
            record["theory_max_abs_err"] = check.max_abs_err
            record["theory_check"] = "ok"
        else:
            record["theory_max_rel_err"] = record["theory_max_plain_rel_err"] = record["theory_max_abs_err"] = np.nan
            record["theory_check"] = f"not applicable: {reason}"
        record.update(measure.metrics(fold.y_train, train_m[:, -1], fold.task, "train", fold.primary_metric))
        record.update(measure.metrics(fold.y_test, test_m[:, -1], fold.task, "test", fold.primary_metric))
        curves = pd.DataFrame({
            "round": np.arange(1, ens.n_trees + 1, dtype=np.int64),
            "train_error": measure.primary_error(fold.y_train, train_m[:, 1:], fold.task, fold.primary_metric),
            "test_error": measure.primary_error(fold.y_test, test_m[:, 1:], fold.task, fold.primary_metric),
        })
        return record, curves
