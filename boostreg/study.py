"""Study specification: TOML <-> dataclasses, validation at the entry point, grid helpers.

A study names datasets, engines, a grid (reg_alpha x reg_lambda, optionally crossed with other booster
parameters), fixed booster parameters, folds and seeds. Baseline engines (scikit-learn linear models and SVMs)
sweep one ``penalty`` from [baseline_grid] instead of the booster grid. Users write ``reg_alpha`` / ``reg_lambda`` and the
other common names for every engine; each engine maps them to its own names.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BoostregError

def package_folder(package: str) -> Path:
    """Where a data package of boostreg lies (``boostreg.studies`` is the repository's studies/, shipped as
    package data, so an installed boostreg finds its default study and dataset cards from any folder)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BoostregError(f"boostreg's package data '{package}' is missing; reinstall boostreg (pip install boostreg).")
    return Path(list(spec.submodule_search_locations)[0])


STUDIES_DIR = package_folder("boostreg.studies")
DEFAULT_STUDY = STUDIES_DIR / "quickstart.toml"

#: Primary metric per task (lower is better) and the alternatives a study may choose.
PRIMARY_METRICS = {"regression": ("rmse", "mae"), "binary": ("logloss", "error")}

#: Booster parameters shared by the engines (common names); each engine maps those it knows.
BOOSTER_PARAMS = {
    "n_estimators": int, "learning_rate": float, "max_depth": int, "num_leaves": int, "max_leaves": int,
    "min_child_weight": float, "min_child_samples": int, "max_delta_step": float, "subsample": float,
    "colsample_bytree": float, "max_bin": int, "gamma": float, "reg_alpha": float, "reg_lambda": float,
    # early stopping: stop when the primary metric on a validation split carved from the training fold has not
    # improved for this many rounds (0 = off; n_estimators is then the cap), and that split's share of the fold
    "early_stopping_rounds": int, "validation_fraction": float,
}
#: The grid of a study that gives none (and of ``boostreg run --data``): penalties in the data's own units (see
#: :func:`relative`), from "no effect" to "every first-tree leaf is 0" (reg_alpha = alpha_max) and "a typical
#: leaf shrunk to 9%" (reg_lambda = 10 H-bar).
#: Booster parameters that must lie in a range, beyond ">= 0": (low, high, low excluded?, why and the fix).
PARAM_RANGES = {
    "learning_rate": (0.0, math.inf, True, "at 0 every leaf is 0 and nothing is learned; give a value > 0, e.g. 0.1"),
    "n_estimators": (1, 100_000, False, "give between 1 and 100000 rounds (with early_stopping_rounds it is the cap)"),
    "subsample": (0.0, 1.0, True, "it is the share of rows each tree sees; give a value in (0, 1]"),
    "colsample_bytree": (0.0, 1.0, True, "it is the share of columns each tree sees; give a value in (0, 1]"),
    "num_leaves": (2, 131_072, False, "a tree needs at least 2 leaves to split; give a value >= 2, e.g. 31"),
    "max_leaves": (0, 131_072, False, "give 0 (no limit) or a number of leaves"),
    "max_depth": (1, 64, False, "give a depth from 1 to 64, e.g. 6"),
    "max_bin": (2, 65_535, False, "a histogram needs at least 2 bins; give e.g. 255"),
}
#: seeds are passed to both engines as 32-bit integers
MAX_SEED = 2 ** 31
#: a study name is a label (it names runs/NAME), never a path
NAME_PATTERN = re.compile(r"[^\W_][\w.\- ]{0,99}")


def _shown(text: str) -> str:
    """A user's string for a one-line message: control characters escaped, long ones cut."""
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "...'"


DEFAULT_GRID = {"reg_alpha": {"relative": [0.0, 0.01, 0.1, 1.0]}, "reg_lambda": {"relative": [0.0, 0.1, 1.0, 10.0]}}
PENALTIES = ("reg_alpha", "reg_lambda")
#: What a relative penalty multiplies, read from the group's unpenalized fit's first tree (README, "Penalties in
#: the data's units"): alpha_max = max |G| over its leaves, H-bar = mean H over its leaves.
RELATIVE_UNIT = {"reg_alpha": "alpha_max", "reg_lambda": "H-bar"}


def relative(values) -> dict:
    """A penalty grid in the data's units: reg_alpha as fractions of alpha_max, reg_lambda as multiples of H-bar.

    ``grid={"reg_alpha": relative([0, 0.01, 0.1, 1]), "reg_lambda": relative([0, 1, 10])}``; in TOML,
    ``reg_alpha = { relative = [0, 0.01, 0.1, 1] }``. Each fold's raw values come from its unpenalized fit.
    """
    return {"relative": [float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else v
                         for v in values]}


def is_relative(entry) -> bool:
    """Whether a grid entry is given in the data's units (see :func:`relative`)."""
    return isinstance(entry, dict) and "relative" in entry


def grid_values(entry) -> list[float]:
    """The numbers of a penalty grid entry, raw or relative."""
    return list(entry["relative"]) if is_relative(entry) else list(entry)


def log_grid(low: float, high: float, num: int, *, zero: bool = True) -> list[float]:
    """``num`` log-spaced values from ``low`` to ``high`` (rounded to 4 significant digits), with 0 first if ``zero``."""
    if not (low > 0 and high >= low and num >= 1):
        raise BoostregError(f"log grid needs 0 < low <= high and num >= 1; got low={low}, high={high}, num={num}. "
                            "Fix the 'log' entry of the grid.")
    values = [float(f"{v:.4g}") for v in np.geomspace(low, high, num)]
    return ([0.0] if zero else []) + values


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a study: a built-in ``name``, a ``file`` with its ``target``, or a pandas DataFrame
    ``frame`` with its ``target`` and a ``name`` for the records.

    ``alias`` names it in the records when one card is used twice (e.g. at two sizes via ``max_rows``).
    ``grid`` replaces entries of the study's [grid] for this dataset only (e.g. fewer penalty points on the
    largest dataset, or min_child_weight crossed on the small ones). ``groups`` names a column of group labels
    (files and frames): it leaves the features, and a group splitter (``Study(cv=GroupKFold(...))``) and the
    validation split keep each group on one side.
    """

    name: str | None = None
    file: str | None = None
    target: str | None = None
    task: str | None = None
    max_rows: int | None = None
    params: dict = field(default_factory=dict)
    alias: str | None = None
    grid: dict = field(default_factory=dict)
    groups: str | None = None
    frame: Any = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.alias or self.name or Path(self.file).stem

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k != "frame" and v not in (None, {})}
        if self.frame is not None:  # an in-memory table is named by its content
            from .data import frame_fingerprint

            d["frame"] = f"in-memory DataFrame {frame_fingerprint(self.frame)}"
        return d


@dataclass(frozen=True)
class Study:
    """A reg_alpha x reg_lambda sweep: datasets x engines x grid x folds x seeds."""

    name: str
    datasets: list[DatasetSpec]
    engines: list[str] = field(default_factory=lambda: ["xgboost", "lightgbm"])
    grid: dict[str, list] = field(default_factory=lambda: dict(DEFAULT_GRID))
    params: dict[str, Any] = field(default_factory=dict)
    engine_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    folds: int = 3
    seeds: list[int] = field(default_factory=lambda: [0])
    primary_metric: dict[str, str] = field(default_factory=lambda: {t: m[0] for t, m in PRIMARY_METRICS.items()})
    #: baseline penalties: {"penalty": [...]} for every baseline, {ENGINE: [...]} for one (engine defaults otherwise)
    baseline_grid: dict[str, list] = field(default_factory=dict)
    #: which fits get the theory check: "sample" (the fits whose leaves are stored — fold 0 of the first seed — and
    #: a deterministic tenth of the rest) or "all" (every fit; slower: every training row's leaf in every tree)
    check: str = "sample"
    #: after the run, fit each booster's chosen setting on every row and save it under OUT/models/: None (no),
    #: "best" (the lowest mean validation error) or "smallest" (the smallest model within one standard error)
    refit: str | None = None
    #: a scikit-learn splitter (KFold, StratifiedKFold, GroupKFold, TimeSeriesSplit, RepeatedKFold, ...) instead
    #: of ``folds`` x ``seeds``: its folds are the study's (seeds then only seed the engines; give one)
    cv: Any = field(default=None, compare=False)
    #: raw (reg_alpha, reg_lambda) points fitted beside the grid for one booster, like the library default — e.g.
    #: published defaults to compare with: [{"engine": "xgboost", "label": "probst2019", "reg_alpha": 1.113, ...}]
    extra_points: list[dict] = field(default_factory=list)
    description: str = ""
    source: str = "<python>"

    def __post_init__(self):
        # the study owns copies of what it was given: validation fills in and converts them (numpy arrays become
        # lists, a missing penalty becomes [0.0]), which must never reach the caller's dicts and lists
        import copy
        import dataclasses

        for name in ("grid", "params", "engine_params", "baseline_grid", "extra_points", "engines", "seeds",
                     "primary_metric"):
            value = getattr(self, name)
            if isinstance(value, (dict, list, tuple, np.ndarray)):
                object.__setattr__(self, name, copy.deepcopy(value) if not isinstance(value, tuple) else list(value))
        if isinstance(self.datasets, (list, tuple)):
            object.__setattr__(self, "datasets", [
                dataclasses.replace(spec, grid=copy.deepcopy(spec.grid), params=copy.deepcopy(spec.params))
                if isinstance(spec, DatasetSpec) and isinstance(spec.grid, dict) and isinstance(spec.params, dict)
                else spec for spec in self.datasets])
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

    def fixed_params(self, engine: str) -> dict[str, Any]:
        """Fixed parameters for ``engine``: the engine's boostreg defaults, then the study's, then its engine section."""
        from .engines import ENGINES

        if ENGINES[engine].kind == "baseline":  # booster parameters do not apply to a baseline, the split does
            fixed = {**ENGINES[engine].default_params, **self.engine_params.get(engine, {})}
            if self.validation_fraction:
                fixed["validation_fraction"] = self.validation_fraction
            return fixed
        return {**ENGINES[engine].default_params, **self.params, **self.engine_params.get(engine, {})}

    def baseline_penalties(self, engine: str) -> list[float]:
        """A baseline engine's penalty grid, least penalized first: [baseline_grid.ENGINE], else [baseline_grid]
        penalty, else the engine's default."""
        from .engines import ENGINES

        eng = ENGINES[engine]
        values = self.baseline_grid.get(engine, self.baseline_grid.get("penalty"))
        if values is None:
            values = _grid_values("penalty", {**eng.default_grid, "zero": False}, "the engine default")
        return eng.least_penalized_first([float(v) for v in values])

    def to_toml_dict(self) -> dict:
        d: dict[str, Any] = {
            "study": {"name": self.name, "description": self.description, "engines": list(self.engines),
                      "folds": self.folds, "seeds": list(self.seeds), "primary_metric": dict(self.primary_metric),
                      **({"check": self.check} if self.check != "sample" else {}),
                      **({"refit": self.refit} if self.refit else {})},
            "datasets": [ds.to_dict() for ds in self.datasets],
            "grid": {k: ({"relative": list(v["relative"])} if is_relative(v) else list(v)) for k, v in self.grid.items()},
            "params": {**self.params, **{e: dict(p) for e, p in self.engine_params.items()}},
        }
        if self.cv is not None:  # for the record (and the study's fingerprint); a splitter is not TOML
            d["study"]["cv"] = repr(self.cv)
        if self.extra_points:
            d["extra_points"] = [dict(p) for p in self.extra_points]
        if self.baseline_grid:
            d["baseline_grid"] = {k: (list(v) if k == "penalty" else {"penalty": list(v)})
                                  for k, v in self.baseline_grid.items()}
        return d


# ---------------------------------------------------------------------------------------------- validation

_STUDY_KEYS = {"name", "description", "engines", "folds", "seeds", "primary_metric", "check", "refit"}
_DATASET_KEYS = {"name", "file", "target", "task", "max_rows", "params", "alias", "grid", "groups"}
_TOP_KEYS = {"study", "datasets", "grid", "params", "baseline_grid", "extra_points"}
_EXTRA_POINT_KEYS = {"engine", "label", "reg_alpha", "reg_lambda"}


def _closest(word: str, choices) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else ""


def _check_keys(found, allowed, where: str):
    for key in found:
        if key not in allowed:
            raise BoostregError(f"unknown key '{key}' in {where}{_closest(key, allowed)} "
                                f"Allowed keys: {', '.join(sorted(allowed))}.")


def _short(value) -> str:
    """repr of a user's value for a one-line message, cut when long."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _as_list(name: str, values, where: str) -> list:
    """A grid entry as a list: a list, tuple, range, numpy array or pandas Series is one; a set (no order), text and
    a single value are refused with the reason."""
    if isinstance(values, list):
        return values
    if isinstance(values, (tuple, range)):
        return list(values)
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):  # a pandas Series or Index
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.ndim >= 1:
        return [v.item() if isinstance(v, np.generic) else v for v in values.ravel()]
    if isinstance(values, (set, frozenset)):
        try:
            example = sorted(values)[:4] or [0, 1]
        except TypeError:
            example = [0, 1]
        raise BoostregError(f"the grid for '{name}' in {where} is a set, which has no order; give a list, "
                            f"e.g. {name} = {_short(example)}.")
    if isinstance(values, (str, bytes)):
        raise BoostregError(f"the grid for '{name}' in {where} is the text {_short(values)}, not a list of numbers; "
                            f"give a list, e.g. {name} = [0, 1].")
    raise BoostregError(f"the grid for '{name}' in {where} is the single value {_short(values)}, not a list; give a "
                        f"list, e.g. {name} = [{_short(values)}].")


def _check_penalty_values(name: str, values, where: str) -> list[float]:
    values = _as_list(name, values, where)
    if len(values) == 0:
        raise BoostregError(f"the grid for '{name}' in {where} is empty; give at least one value, e.g. {name} = [0, 1].")
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise BoostregError(f"{name} value {v!r} in {where} is not a number; use numbers >= 0, e.g. [0, 0.1, 1].")
        if not math.isfinite(v) or v < 0:
            raise BoostregError(f"{name} value {v!r} in {where} must be a finite number >= 0; remove it from the grid.")
        out.append(float(v))
    if len(set(out)) != len(out):
        raise BoostregError(f"the grid for '{name}' in {where} repeats a value; list each value once.")
    return out


def _check_types(study: Study, where: str) -> None:
    """The containers of a Study built in Python: the right kinds, or one line naming the fix. numpy integers are
    whole numbers (made plain ints, so the study's record can be written), a primary_metric string is the metric of
    the task it belongs to."""
    put = lambda name, value: object.__setattr__(study, name, value)  # noqa: E731 (a frozen dataclass)
    datasets = study.datasets
    if isinstance(datasets, DatasetSpec) or not isinstance(datasets, (list, tuple)):
        raise BoostregError(f"datasets = {_short(datasets)} in {where} must be a list of DatasetSpec, e.g. "
                            "datasets=[DatasetSpec(name=\"diabetes\")].")
    for i, spec in enumerate(datasets):
        if not isinstance(spec, DatasetSpec):
            example = f"name={spec!r}" if isinstance(spec, str) else "name=\"diabetes\""
            raise BoostregError(f"datasets[{i}] = {_short(spec)} in {where} is not a DatasetSpec; write "
                                f"datasets=[DatasetSpec({example})].")
        for name in ("grid", "params"):
            if not isinstance(getattr(spec, name), dict):
                raise BoostregError(f"DatasetSpec {name}={_short(getattr(spec, name))} of dataset '{spec.label}' in "
                                    f"{where} must be a dict, e.g. {name}={{\"reg_alpha\": [0, 1]}}."
                                    if name == "grid" else
                                    f"DatasetSpec params={_short(spec.params)} of dataset '{spec.label}' in {where} "
                                    "must be a dict of the synthetic generator's parameters, or left out.")
    if isinstance(study.engines, str):
        raise BoostregError(f"engines = {_short(study.engines)} in {where} must be a list of names, e.g. "
                            f"engines=[{_short(study.engines)}].")
    if not isinstance(study.engines, list) or not all(isinstance(e, str) for e in study.engines):
        raise BoostregError(f"engines = {_short(study.engines)} in {where} must be a list of names, e.g. "
                            "engines=[\"xgboost\", \"lightgbm\"].")
    if isinstance(study.folds, np.integer):
        put("folds", int(study.folds))
    seeds = study.seeds
    if isinstance(seeds, (range, np.ndarray)) and np.ndim(seeds) == 1:
        seeds = list(seeds)
    if isinstance(seeds, list) and any(isinstance(s, np.integer) for s in seeds):
        seeds = [int(s) if isinstance(s, np.integer) else s for s in seeds]
    if seeds is not study.seeds:
        put("seeds", seeds)
    if isinstance(study.primary_metric, str):
        tasks = [t for t, metrics in PRIMARY_METRICS.items() if study.primary_metric in metrics]
        if not tasks:
            choices = "; ".join(f"{t}: {', '.join(m)}" for t, m in PRIMARY_METRICS.items())
            raise BoostregError(f"primary_metric = {_short(study.primary_metric)} in {where} is not a metric boostreg "
                                f"knows ({choices}); give e.g. primary_metric={{\"regression\": \"mae\"}}.")
        put("primary_metric", {t: m[0] for t, m in PRIMARY_METRICS.items()} | {t: study.primary_metric for t in tasks})
    for name, example in (("primary_metric", "{\"regression\": \"rmse\", \"binary\": \"logloss\"}"),
                          ("params", "{\"n_estimators\": 100}"), ("engine_params", "{\"xgboost\": {\"max_depth\": 4}}"),
                          ("grid", "{\"reg_alpha\": [0, 1], \"reg_lambda\": [0, 1]}"),
                          ("baseline_grid", "{\"penalty\": [0.01, 0.1, 1]}")):
        if not isinstance(getattr(study, name), dict):
            raise BoostregError(f"{name} = {_short(getattr(study, name))} in {where} must be a dict, e.g. "
                                f"{name}={example}.")
    for engine, params in study.engine_params.items():
        if not isinstance(params, dict):
            raise BoostregError(f"engine_params[{engine!r}] = {_short(params)} in {where} must be a dict of that engine's "
                                f"parameters, e.g. engine_params={{{engine!r}: {{\"max_depth\": 4}}}}.")
    if not isinstance(study.extra_points, list):
        raise BoostregError(f"extra_points = {_short(study.extra_points)} in {where} must be a list of dicts with "
                            "engine, label, reg_alpha and reg_lambda.")


def validate(study: Study) -> None:
    """Check a study at the entry point; raise BoostregError naming the problem and the fix."""
    from .engines import ENGINES  # late import: engines import this module's constants

    where = study.source
    _check_types(study, where)
    if not study.name or not isinstance(study.name, str):
        raise BoostregError(f"the study in {where} has no name; add name = \"my-study\" under [study].")
    if not NAME_PATTERN.fullmatch(study.name):
        raise BoostregError(f"study name {_shown(study.name)} in {where} is not a plain label: use up to 100 letters, "
                            "digits, '_', '-', '.' or spaces, starting with a letter or digit (it names runs/NAME, so "
                            "it cannot be a path), e.g. name = \"my-study\".")
    if not study.datasets:
        raise BoostregError(f"the study in {where} lists no datasets; add a [[datasets]] entry with name = \"diabetes\".")
    if not study.engines:
        raise BoostregError(f"the study in {where} lists no engines; set engines = [\"xgboost\", \"lightgbm\"].")
    for e in study.engines:
        if study.engines.count(e) > 1:
            raise BoostregError(f"engine '{e}' is listed twice in {where}; list each engine once.")
        if e not in ENGINES:
            raise BoostregError(f"unknown engine '{e}' in {where}{_closest(e, ENGINES)} "
                                f"Known engines: {', '.join(ENGINES)}.")
    _check_cv(study, where)
    if study.check not in ("sample", "all"):
        raise BoostregError(f"check = {study.check!r} in {where}; use \"sample\" (the default) or \"all\" (the theory "
                            "check on every fit).")
    if study.refit not in (None, "best", "smallest"):
        raise BoostregError(f"refit = {study.refit!r} in {where}; use \"best\" (the lowest mean validation error) or "
                            "\"smallest\" (the smallest model within one standard error of it), or leave it out.")
    if study.refit and not (study.params.get("validation_fraction")
                            or any(p.get("validation_fraction") for p in study.engine_params.values())):
        raise BoostregError(f"refit = {study.refit!r} in {where} needs a validation split to choose a setting; add "
                            "validation_fraction = 0.2 under [params].")
    if isinstance(study.folds, bool) or not isinstance(study.folds, (int, np.integer)) or study.folds < 2:
        raise BoostregError(f"folds = {study.folds!r} in {where}; use a whole number >= 2, e.g. folds = 5.")
    if not study.seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < MAX_SEED
                                  for s in study.seeds):
        raise BoostregError(f"seeds = {study.seeds!r} in {where}; use a list of whole numbers from 0 to {MAX_SEED - 1} "
                            "(the engines' seeds are 32-bit), e.g. seeds = [0, 1].")
    if len(set(study.seeds)) != len(study.seeds):
        raise BoostregError(f"seeds = {study.seeds!r} in {where} repeats a seed (the same folds twice); list each seed once.")
    _check_grid(study.grid, where, "[grid]")
    if not any(key in study.grid for key in PENALTIES):
        raise BoostregError(f"the grid in {where} has neither reg_alpha nor reg_lambda; add reg_lambda = [0, 1, 10] "
                            "(and reg_alpha for L1) under [grid].")
    for key in PENALTIES:  # a grid without one penalty keeps it at 0 (an L2-only study needs no reg_alpha)
        study.grid.setdefault(key, [0.0])
    for spec in study.datasets:
        _check_grid(spec.grid, where, f"[datasets.grid] of dataset '{spec.label}'")
    _check_relative_reference(study, where)
    labels_seen = set()
    for i, point in enumerate(study.extra_points):
        if not isinstance(point, dict):
            raise BoostregError(f"[[extra_points]] #{i + 1} in {where} must be a table with engine, label, reg_alpha and "
                                "reg_lambda.")
        _check_keys(point, _EXTRA_POINT_KEYS, f"[[extra_points]] #{i + 1} of {where}")
        missing = sorted(_EXTRA_POINT_KEYS - set(point))
        if missing:
            raise BoostregError(f"[[extra_points]] #{i + 1} in {where} has no {missing[0]}; give engine, label, "
                                "reg_alpha and reg_lambda, e.g. label = \"probst2019\".")
        if point["engine"] not in ENGINES or ENGINES[point["engine"]].kind != "booster":
            raise BoostregError(f"[[extra_points]] #{i + 1} in {where} names engine {point['engine']!r}; extra points "
                                "are for boosters (xgboost, lightgbm).")
        if not isinstance(point["label"], str) or not NAME_PATTERN.fullmatch(point["label"]) \
                or (point["engine"], point["label"]) in labels_seen:
            raise BoostregError(f"[[extra_points]] #{i + 1} in {where}: label {point['label']!r} must be a plain, "
                                "unique label, e.g. label = \"probst2019\".")
        labels_seen.add((point["engine"], point["label"]))
        for key in ("reg_alpha", "reg_lambda"):
            point[key] = _check_penalty_values(key, [point[key]], where)[0]
    for spec in study.datasets:
        if spec.frame is not None and (spec.file is not None or not spec.name or not spec.target):
            raise BoostregError(f"DatasetSpec with frame= in {where} needs name= (for the records) and target= (the "
                                "column to predict), and no file=.")
        if spec.groups is not None and spec.frame is None and spec.file is None:
            raise BoostregError(f"groups = {spec.groups!r} for dataset '{spec.label}' in {where}: groups are for your own "
                                "files and frames (built-in datasets have none).")
    labels = [spec.label for spec in study.datasets]
    for label in labels:
        if labels.count(label) > 1:
            raise BoostregError(f"dataset '{label}' appears twice in {where}; give one of them alias = \"{label}_2\".")
    for section, params in [("[params]", study.params)] + [(f"[params.{e}]", p) for e, p in study.engine_params.items()]:
        for key, value in list(params.items()):
            if isinstance(value, np.generic):  # numpy scalars (np.int64(200)) are plain numbers to a study
                params[key] = value = value.item()
            if key in ("reg_alpha", "reg_lambda"):
                raise BoostregError(f"'{key}' is set under {section} in {where}; put it in [grid] instead, e.g. {key} = [0, 1].")
            if key == "penalty":
                raise BoostregError(f"'penalty' is set under {section} in {where}; put it in [baseline_grid] instead, "
                                    "e.g. penalty = [0.01, 0.1, 1].")
            if section == "[params]" and key not in BOOSTER_PARAMS:
                raise BoostregError(f"unknown parameter '{key}' under [params] in {where}{_closest(key, BOOSTER_PARAMS)} "
                                    f"Known: {', '.join(sorted(BOOSTER_PARAMS))}; engine-only ones go under [params.ENGINE].")
            if key in BOOSTER_PARAMS:
                _check_number(key, value, f"{section} of {where}")
    for engine, params in study.engine_params.items():
        if engine not in ENGINES:
            raise BoostregError(f"unknown engine section [params.{engine}] in {where}{_closest(engine, ENGINES)}")
        ENGINES[engine].check_native_params(params, where)
    for key, values in study.baseline_grid.items():
        if is_relative(values):
            raise BoostregError(f"baseline_grid.{key} in {where} is relative, but a relative grid needs the unpenalized "
                                "booster fit's first tree for its unit (alpha_max, H-bar) and baselines have none; "
                                "give baseline penalties as plain numbers, e.g. penalty = [0.01, 0.1, 1].")
        if key != "penalty" and (key not in ENGINES or ENGINES[key].kind != "baseline"):
            baselines = [e for e, eng in ENGINES.items() if eng.kind == "baseline"]
            raise BoostregError(f"unknown key '{key}' in [baseline_grid] of {where}{_closest(key, baselines)} "
                                f"Use penalty = [...] or a [baseline_grid.ENGINE] table for one of: {', '.join(baselines)}.")
        values = _check_penalty_values(f"baseline_grid.{key}", values, where)
        if min(values) <= 0:
            raise BoostregError(f"baseline_grid.{key} in {where} holds {min(values)!r}; baseline penalties (alpha or C) "
                                "must be > 0, e.g. penalty = { log = [0.001, 10], num = 5 }.")
        study.baseline_grid[key] = values
    for task, metric in study.primary_metric.items():
        if task not in PRIMARY_METRICS:
            raise BoostregError(f"primary_metric names unknown task '{task}' in {where}; use 'regression' or 'binary'.")
        if metric not in PRIMARY_METRICS[task]:
            raise BoostregError(f"primary_metric '{metric}' for {task} in {where} is not supported; "
                                f"choose one of {', '.join(PRIMARY_METRICS[task])}.")


def _check_cv(study: Study, where: str) -> None:
    """A splitter must split deterministically (the same folds in every run and every worker) and alone."""
    cv = study.cv
    if cv is None:
        return
    if not (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        raise BoostregError(f"cv = {cv!r} in {where} is not a scikit-learn splitter (no split / get_n_splits); pass e.g. "
                            "cv=GroupKFold(n_splits=5) or cv=KFold(5, shuffle=True, random_state=0).")
    params = cv.get_params() if hasattr(cv, "get_params") else vars(cv)
    shuffles = params.get("shuffle", False) or type(cv).__name__.startswith(("Repeated", "Shuffle", "GroupShuffle"))
    if shuffles and params.get("random_state") is None:
        raise BoostregError(f"cv = {cv!r} in {where} shuffles without a random_state, so its folds would differ between "
                            "runs and workers; set random_state, e.g. random_state=0.")
    if len(study.seeds) != 1:
        raise BoostregError(f"cv = {cv!r} in {where} makes the folds itself, so seeds = {study.seeds!r} would repeat the "
                            "same folds; give one seed (it seeds the engines), or use a Repeated splitter for repetitions.")


def _check_relative_reference(study: Study, where: str) -> None:
    """A relative grid needs its unit from the unpenalized fit's first tree: refuse settings that cannot give it."""
    grids = [study.grid] + [spec.grid for spec in study.datasets]
    if not any(is_relative(g.get(k)) for g in grids for k in PENALTIES):
        return
    values = [study.params.get("subsample", 1.0)] + [p.get("subsample", 1.0) for p in study.engine_params.values()]
    values += [v for g in grids for v in g.get("subsample", [])]
    if any(isinstance(v, (int, float)) and v < 1 for v in values):
        raise BoostregError(f"the grid in {where} is relative, but with subsample < 1 the unpenalized reference's "
                            "first tree is built on rows that are not known, so alpha_max and H-bar cannot be read from "
                            "it; give reg_alpha and reg_lambda as plain numbers, or set subsample = 1.")


def _check_grid(grid: dict, where: str, section: str) -> None:
    """Check grid keys and values in place (penalty values become floats)."""
    for key, values in grid.items():
        if key not in BOOSTER_PARAMS:
            raise BoostregError(f"unknown grid parameter '{key}' in {section} of {where}{_closest(key, BOOSTER_PARAMS)} "
                                f"Known: {', '.join(sorted(BOOSTER_PARAMS))}.")
        if key in PENALTIES:
            if is_relative(values):
                _check_keys(values, {"relative"}, f"grid.{key} of {where}")
                grid[key] = {"relative": _check_penalty_values(f"relative {key}", values["relative"], where)}
            elif isinstance(values, dict):
                raise BoostregError(f"grid.{key} in {where} is a table without 'relative'; give a list, e.g. {key} = [0, 1], "
                                    f"or {key} = {{ relative = [0, 0.1, 1] }} for values in the data's units.")
            else:
                grid[key] = _check_penalty_values(key, values, where)
            continue
        values = grid[key] = [v.item() if isinstance(v, np.generic) else v for v in _as_list(key, values, where)]
        if not values:
            raise BoostregError(f"the grid for '{key}' in {where} must be a non-empty list, e.g. {key} = [0.05, 0.3].")
        for value in values:
            _check_number(key, value, f"grid.{key} of {where}")
        if len(set(values)) != len(values):
            raise BoostregError(f"the grid for '{key}' in {where} repeats a value; list each value once.")


def _check_number(key, value, where):
    kind = BOOSTER_PARAMS[key]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        what = "a whole number, e.g. 10" if kind is int else "a number, e.g. 0.1"
        raise BoostregError(f"{key} = {_short(value)} in {where} is not a finite number; give {what}.")
    if value < 0:
        raise BoostregError(f"{key} = {value!r} in {where} is negative; give a value >= 0.")
    if key == "validation_fraction" and not 0 < value <= 0.5:
        raise BoostregError(f"validation_fraction = {value!r} in {where} must be in (0, 0.5], e.g. validation_fraction = 0.2.")
    if kind is int and not float(value).is_integer():
        raise BoostregError(f"{key} = {value!r} in {where} must be a whole number, e.g. {key} = {max(1, round(value))}.")
    if key in PARAM_RANGES:
        low, high, open_low, why = PARAM_RANGES[key]
        if (value <= low if open_low else value < low) or value > high:
            raise BoostregError(f"{key} = {value!r} in {where} is out of range: {why}.")


# ---------------------------------------------------------------------------------------------- TOML

def _grid_values(key: str, value, where: str, zero_default: bool = True):
    """A grid entry is a list, or {log = [low, high], num = N, zero = true} for a log grid."""
    if is_relative(value):
        if key.split(".")[-1] not in PENALTIES and not key.startswith("baseline_grid"):
            raise BoostregError(f"grid.{key} in {where} is relative; only reg_alpha and reg_lambda can be given in the "
                                "data's units. Give a list of values.")
        _check_keys(value, {"relative"}, f"grid.{key} of {where}")
        return {"relative": _grid_values(key, value["relative"], where, zero_default)}
    if isinstance(value, dict):
        _check_keys(value, {"log", "num", "zero", "relative"}, f"grid.{key} of {where}")
        bounds, num = value.get("log"), value.get("num", 5)
        if not (isinstance(bounds, list) and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)):
            raise BoostregError(f"grid.{key} in {where} needs log = [low, high] with two numbers, "
                                "e.g. { log = [0.001, 1000], num = 7 }.")
        if isinstance(num, bool) or not isinstance(num, int):
            raise BoostregError(f"grid.{key} in {where}: num = {num!r} must be a whole number, e.g. num = 7.")
        return log_grid(float(bounds[0]), float(bounds[1]), num, zero=bool(value.get("zero", zero_default)))
    if not isinstance(value, list):
        value = [value]
    return value


def study_from_dict(doc: dict, *, source: str = "<dict>", base_dir: Path | None = None) -> Study:
    """Build a Study from the parsed TOML document; relative dataset files resolve from ``base_dir``."""
    _check_keys(doc, _TOP_KEYS, source)
    for key, kind, example in (("study", dict, "[study]"), ("grid", dict, "[grid]"), ("params", dict, "[params]"),
                               ("datasets", list, "[[datasets]]")):
        if key in doc and not isinstance(doc[key], kind):
            raise BoostregError(f"'{key}' in {source} must be written as a {example} section; see studies/quickstart.toml.")
    head = doc.get("study", {})
    _check_keys(head, _STUDY_KEYS, f"[study] of {source}")
    if "seeds" in head and not isinstance(head["seeds"], list):
        raise BoostregError(f"seeds = {head['seeds']!r} in {source} must be a list, e.g. seeds = [0, 1].")
    if "engines" in head and not isinstance(head["engines"], list):
        raise BoostregError(f"engines = {head['engines']!r} in {source} must be a list, e.g. engines = [\"xgboost\"].")
    datasets = []
    for i, ds in enumerate(doc.get("datasets", [])):
        if not isinstance(ds, dict):
            raise BoostregError(f"[[datasets]] #{i + 1} of {source} must be a table, e.g. [[datasets]] name = \"diabetes\".")
        _check_keys(ds, _DATASET_KEYS, f"[[datasets]] #{i + 1} of {source}")
        if bool(ds.get("name")) == bool(ds.get("file")):
            raise BoostregError(f"[[datasets]] #{i + 1} of {source} needs exactly one of name = \"diabetes\" "
                                "(built-in) or file = \"data.csv\" with target = \"column\".")
        if ds.get("file"):
            if not ds.get("target"):
                raise BoostregError(f"[[datasets]] #{i + 1} of {source} gives file but no target; add target = \"column\".")
            path = Path(ds["file"])
            if not path.is_absolute() and base_dir is not None:
                try:
                    ds = {**ds, "file": str((base_dir / path).resolve())}
                except (RuntimeError, OSError):  # a symlink loop: load_file says so in one line
                    ds = {**ds, "file": str((base_dir / path).absolute())}
        if "grid" in ds:
            if not isinstance(ds["grid"], dict):
                raise BoostregError(f"grid of [[datasets]] #{i + 1} in {source} must be a table, e.g. "
                                    "[datasets.grid] reg_alpha = [0, 1, 1000].")
            ds = {**ds, "grid": {k: _grid_values(k, v, source) for k, v in ds["grid"].items()}}
        datasets.append(DatasetSpec(**ds))
    grid = {k: _grid_values(k, v, source) for k, v in doc.get("grid", DEFAULT_GRID).items()}
    baseline_grid = {}
    raw = doc.get("baseline_grid", {})
    if not isinstance(raw, dict):
        raise BoostregError(f"'baseline_grid' in {source} must be a [baseline_grid] section; see studies/quickstart.toml.")
    for key, value in raw.items():
        if key != "penalty":  # [baseline_grid.ENGINE] penalty = ...
            if not isinstance(value, dict):
                raise BoostregError(f"baseline_grid.{key} in {source} must be a table: [baseline_grid.{key}] penalty = [...].")
            _check_keys(value, {"penalty"}, f"[baseline_grid.{key}] of {source}")
            if "penalty" not in value:
                raise BoostregError(f"[baseline_grid.{key}] in {source} has no penalty; add penalty = [0.01, 0.1, 1].")
            value = value["penalty"]
        baseline_grid[key] = _grid_values(f"baseline_grid.{key}", value, source, zero_default=False)
    params = dict(doc.get("params", {}))
    engine_params = {k: params.pop(k) for k in list(params) if isinstance(params[k], dict)}
    pm = head.get("primary_metric", {})
    if isinstance(pm, str):
        raise BoostregError(f"primary_metric in {source} must be a table, e.g. primary_metric = "
                            "{ regression = \"rmse\", binary = \"logloss\" }.")
    primary = {t: m[0] for t, m in PRIMARY_METRICS.items()} | dict(pm)
    extra = doc.get("extra_points", [])
    if not isinstance(extra, list):
        raise BoostregError(f"'extra_points' in {source} must be written as [[extra_points]] tables.")
    return Study(
        name=head.get("name", ""), description=head.get("description", ""), datasets=datasets, extra_points=extra,
        engines=list(head.get("engines", ["xgboost", "lightgbm"])), grid=grid, params=params,
        engine_params=engine_params, folds=head.get("folds", 3), seeds=list(head.get("seeds", [0])),
        check=head.get("check", "sample"), refit=head.get("refit"),
        primary_metric=primary, baseline_grid=baseline_grid, source=source,
    )


def load_study(path: str | Path) -> Study:
    """Read a study TOML file; malformed TOML is reported with its line and column."""
    path = Path(path)
    if not path.exists():
        raise BoostregError(f"study file '{path}' does not exist; check the path, or run 'boostreg run' for the default study.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BoostregError(f"cannot read study file '{path}' ({err.__class__.__name__}); check it is a UTF-8 text file you can read.")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BoostregError(f"malformed TOML in '{path}': {err}; fix the file at that line and column.")
    return study_from_dict(doc, source=str(path), base_dir=path.resolve().parent)


def single_file_study(path: str, target: str, task: str | None = None) -> Study:
    """The default grid on one user file: what ``boostreg run --data FILE --target COL`` runs."""
    try:
        file = Path(path).resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError on Python 3.11): load_file says so in one line
        file = Path(path).absolute()
    spec = DatasetSpec(file=str(file), target=target, task=task)
    label = re.sub(r"[^\w.\- ]", "_", Path(path).stem)[:90] or "data"
    return Study(name=f"file-{label}", datasets=[spec], source=f"--data {path}", seeds=[0, 1],
                 params={"validation_fraction": 0.2},
                 description=f"default reg_alpha x reg_lambda grid on {Path(path).name}")
