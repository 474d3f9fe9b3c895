"""The Study: datasets x engines x grid x folds x seeds, validated when it is built."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engines import ENGINES, default_engines
from ..metrics import Metric
from .params import DEFAULT_GRID, PRIMARY_METRICS, _grid_values, is_relative
from .spec import DatasetSpec
from .validation import validate


@dataclass(frozen=True)
class Study:
    """A reg_alpha x reg_lambda sweep: datasets x engines x grid x folds x seeds.

    Building one validates it: any problem is a one-line :class:`~boostreg.errors.BoostregError` naming the fix.
    The study keeps copies of the dicts and lists it is given (validation fills them in and converts them).

    Parameters
    ----------
    name : str
        A plain label (letters, digits, ``_ - .`` and spaces, up to 100): it names ``runs/NAME``.
    datasets : list of DatasetSpec
        The datasets to sweep, each named once (use ``alias`` to use one card twice).
    engines : list of str, optional
        Registered engine names; the registry's default engines (``boostreg.engines.default_engines()``) when
        left out.
    grid : dict, optional
        Booster grid: ``reg_alpha`` and ``reg_lambda`` lists (raw, :func:`~boostreg.study.log_grid`, or
        :func:`~boostreg.study.relative` in the data's units), optionally crossed with other booster parameters
        (``BOOSTER_PARAMS``). A penalty left out stays at 0. Defaults to ``DEFAULT_GRID`` (relative penalties).
    params : dict, optional
        Fixed booster parameters (common names, e.g. ``{"n_estimators": 200, "learning_rate": 0.1}``), including
        ``early_stopping_rounds`` and ``validation_fraction``.
    engine_params : dict, optional
        ``{ENGINE: {native name: value}}``: parameters for one engine only, in its own names.
    folds : int, default 3
        K of the K-fold cross-validation (at least 2).
    seeds : list of int, default [0]
        One cross-validation repetition per seed (0 to 2**31 - 1); each seed also seeds the engines.
    primary_metric : dict, optional
        ``{task: metric}``: what selection, gains and the answer use (``PRIMARY_METRICS`` lists the choices per task,
        the first of each is the default; tasks left out get it), or a :class:`~boostreg.Metric` (a callable with
        its direction) for a task. A single metric name is taken as the metric of the tasks it belongs to. Records
        keep every metric; ``test_error`` / ``valid_error`` are the chosen one as a loss (1 - value for r2, auc and
        accuracy), as are the learning curves and what early stopping watches.
    baseline_grid : dict, optional
        Baseline penalties: ``{"penalty": [...]}`` for every baseline, ``{ENGINE: [...]}`` for one (each engine's
        default grid otherwise).
    check : {"sample", "all"}, default "sample"
        Which fits get the theory check: "sample" (the fits whose leaves are stored — fold 0 of the first seed —
        and a deterministic tenth of the rest) or "all" (every fit; slower: every training row's leaf in every
        tree).
    curves : {"checked", "all"}, default "checked"
        Which fits keep a per-round training-error curve: "checked" (the fits the theory check walks, which gives
        the curve on the way; every other fit keeps its final training error and its per-round test and
        validation curves) or "all" (every fit; slower: the engine evaluates every training row after each round).
    refit : {None, "best", "smallest"}, optional
        After the run, fit each booster's chosen setting on every row and save it under OUT/models/: None (no),
        "best" (the lowest mean validation error) or "smallest" (the smallest model within one standard error);
        needs a validation split (``validation_fraction`` under params).
    cv : scikit-learn splitter, optional
        A splitter (KFold, StratifiedKFold, GroupKFold, TimeSeriesSplit, RepeatedKFold, ...) instead of
        ``folds`` x ``seeds``: its folds are the study's (seeds then only seed the engines; give one). It must
        split deterministically (a ``random_state`` when it shuffles).
    extra_points : list of dict, optional
        Raw (reg_alpha, reg_lambda) points fitted beside the grid for one booster, like the library default — e.g.
        published defaults to compare with: ``{"engine": ENGINE, "label": "probst2019", "reg_alpha": 1.113,
        "reg_lambda": ...}``.
    fit_timeout : float, optional
        Seconds one fit (the engine's training and measuring; not the binning its fold group shares) may take: a
        fit still running then stops and is stored as failed ("timed out after N s (fit_timeout)"), and its group
        goes on with the next fit. None (the default): no limit. How to run, not what is measured: it is not part
        of the study's identity, so a folder can be resumed with another timeout. Enforced where a fit runs in a
        process's main thread (``jobs=1`` from the main thread, and the local worker processes), not on Dask.
    description : str, optional
        Free text shown in the report.
    source : str, default "<python>"
        Where the study came from (a file path, ``--data FILE``); error messages name it.
    """

    name: str
    datasets: list[DatasetSpec]
    engines: list[str] = field(default_factory=lambda: list(default_engines()))
    grid: dict[str, list] = field(default_factory=lambda: dict(DEFAULT_GRID))
    params: dict[str, Any] = field(default_factory=dict)
    engine_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    folds: int = 3
    seeds: list[int] = field(default_factory=lambda: [0])
    primary_metric: dict[str, str] = field(default_factory=lambda: {t: m[0] for t, m in PRIMARY_METRICS.items()})
    baseline_grid: dict[str, list] = field(default_factory=dict)
    check: str = "sample"
    curves: str = "checked"
    refit: str | None = None
    cv: Any = field(default=None, compare=False)
    extra_points: list[dict] = field(default_factory=list)
    fit_timeout: float | None = None
    description: str = ""
    source: str = "<python>"

    def __post_init__(self):
        # the study owns copies of what it was given: validation fills in and converts them (numpy arrays become
        # lists, a missing penalty becomes [0.0]), which must never reach the caller's dicts and lists
        for name in (
            "grid",
            "params",
            "engine_params",
            "baseline_grid",
            "extra_points",
            "engines",
            "seeds",
            "primary_metric",
        ):
            value = getattr(self, name)
            if isinstance(value, (dict, list, tuple, np.ndarray)):
                object.__setattr__(self, name, copy.deepcopy(value) if not isinstance(value, tuple) else list(value))
        if isinstance(self.datasets, (list, tuple)):
            object.__setattr__(
                self,
                "datasets",
                [
                    dataclasses.replace(spec, grid=copy.deepcopy(spec.grid), params=copy.deepcopy(spec.params))
                    if isinstance(spec, DatasetSpec) and isinstance(spec.grid, dict) and isinstance(spec.params, dict)
                    else spec
                    for spec in self.datasets
                ],
            )
        validate(self)

    def grid_for(self, spec: DatasetSpec) -> dict[str, list]:
        """The study's grid with this dataset's own [datasets.grid] entries put in."""
        return {**self.grid, **spec.grid}

    @property
    def validation_fraction(self) -> float:
        """The share of each training fold carved off as a validation split (0: none).

        Set by ``validation_fraction`` under [params]; early stopping without it uses 0.2. The split is the
        same rows for every engine, boosters and baselines: selection (``boostreg summary``) and early stopping
        use it, and the test fold is never seen by either.
        """
        if "validation_fraction" in self.params:
            return float(self.params["validation_fraction"])
        return 0.2 if self.params.get("early_stopping_rounds", 0) else 0.0

    @property
    def has_validation_split(self) -> bool:
        """Whether ``validation_fraction`` is set for every engine ([params]) or for one ([params.ENGINE]): what
        selecting a setting to refit needs."""
        return bool(
            self.params.get("validation_fraction")
            or any(p.get("validation_fraction") for p in self.engine_params.values())
        )

    def fixed_params(self, engine: str) -> dict[str, Any]:
        """Fixed parameters for ``engine``: the engine's boostreg defaults, then the study's, then its engine
        section."""
        if ENGINES[engine].kind == "baseline":  # booster parameters do not apply to a baseline, the split does
            fixed = {**ENGINES[engine].default_params, **self.engine_params.get(engine, {})}
            if self.validation_fraction:
                fixed["validation_fraction"] = self.validation_fraction
            return fixed
        return {**ENGINES[engine].default_params, **self.params, **self.engine_params.get(engine, {})}

    def baseline_penalties(self, engine: str) -> list[float]:
        """A baseline engine's penalty grid, least penalized first: [baseline_grid.ENGINE], else [baseline_grid]
        penalty, else the engine's default."""
        eng = ENGINES[engine]
        values = self.baseline_grid.get(engine, self.baseline_grid.get("penalty"))
        if values is None:
            values = _grid_values("penalty", {**eng.default_grid, "zero": False}, "the engine default")
        return eng.least_penalized_first([float(v) for v in values])

    def to_toml_dict(self) -> dict:
        """The study as a study file's TOML document (what OUT/study.toml holds; a splitter as its repr)."""
        d: dict[str, Any] = {
            "study": {
                "name": self.name,
                "description": self.description,
                "engines": list(self.engines),
                "folds": self.folds,
                "seeds": list(self.seeds),
                # a multiclass entry at its default is left out: studies written before multiclass keep their
                # identity (OUT/study.json); a boostreg.Metric is written as its name
                "primary_metric": {
                    t: str(m)
                    for t, m in self.primary_metric.items()
                    if not (t == "multiclass" and m == PRIMARY_METRICS[t][0] and not isinstance(m, Metric))
                },
                **({"check": self.check} if self.check != "sample" else {}),
                **({"curves": self.curves} if self.curves != "checked" else {}),
                **({"refit": self.refit} if self.refit else {}),
                **({"fit_timeout": self.fit_timeout} if self.fit_timeout is not None else {}),
            },
            "datasets": [ds.to_dict() for ds in self.datasets],
            "grid": {
                k: ({"relative": list(v["relative"])} if is_relative(v) else list(v)) for k, v in self.grid.items()
            },
            "params": {**self.params, **{e: dict(p) for e, p in self.engine_params.items()}},
        }
        if self.cv is not None:  # for the record (and the study's fingerprint); a splitter is not TOML
            d["study"]["cv"] = repr(self.cv)
        if self.extra_points:
            d["extra_points"] = [dict(p) for p in self.extra_points]
        if self.baseline_grid:
            d["baseline_grid"] = {
                k: (list(v) if k == "penalty" else {"penalty": list(v)}) for k, v in self.baseline_grid.items()
            }
        return d
