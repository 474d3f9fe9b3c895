"""A study checked at the entry point: every problem is one line naming the problem and the fix.

:func:`validate` runs when a :class:`~boostreg.study.Study` is built (from Python or a study file); it also fills in
and converts (numpy values become plain numbers, a penalty left out becomes [0.0], penalty grids become floats).
"""

from __future__ import annotations

import math

import numpy as np

from ..engines import ENGINES, OPTIONAL_ENGINES, default_engines, engine_names, get_engine
from ..errors import BoostregError
from ..fmt import short_repr
from .params import (
    BOOSTER_PARAMS,
    MAX_SEED,
    NAME_PATTERN,
    PARAM_RANGES,
    PENALTIES,
    _check_keys,
    _closest,
    check_primary_metric,
    is_relative,
    primary_metric_of_name,
)
from .spec import DatasetSpec

_EXTRA_POINT_KEYS = {"engine", "label", "reg_alpha", "reg_lambda"}


def _shown(text: str) -> str:
    """A user's string for a one-line message: control characters escaped, long ones cut (closing quote kept)."""
    shown = short_repr(text)
    return shown if shown == repr(text) else shown + "'"


def engines_example(count: int | None = None) -> str:
    """The registry's default engines (the first ``count``) as a list for a message: '["name", ...]'."""
    names = default_engines()[:count]
    return "[" + ", ".join(f'"{name}"' for name in names) + "]"


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
        raise BoostregError(
            f"the grid for '{name}' in {where} is a set, which has no order; give a list, "
            f"e.g. {name} = {short_repr(example)}."
        )
    if isinstance(values, (str, bytes)):
        raise BoostregError(
            f"the grid for '{name}' in {where} is the text {short_repr(values)}, not a list of "
            f"numbers; give a list, e.g. {name} = [0, 1]."
        )
    raise BoostregError(
        f"the grid for '{name}' in {where} is the single value {short_repr(values)}, not a list; give "
        f"a list, e.g. {name} = [{short_repr(values)}]."
    )


def _check_penalty_values(name: str, values, where: str) -> list[float]:
    values = _as_list(name, values, where)
    if len(values) == 0:
        raise BoostregError(
            f"the grid for '{name}' in {where} is empty; give at least one value, e.g. {name} = [0, 1]."
        )
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


def _check_types(study, where: str) -> None:
    """The containers of a Study built in Python: the right kinds, or one line naming the fix. numpy integers are
    whole numbers (made plain ints, so the study's record can be written), a primary_metric string is the metric of
    the task it belongs to."""
    put = lambda name, value: object.__setattr__(study, name, value)  # noqa: E731 (a frozen dataclass)
    datasets = study.datasets
    if isinstance(datasets, DatasetSpec) or not isinstance(datasets, (list, tuple)):
        raise BoostregError(
            f"datasets = {short_repr(datasets)} in {where} must be a list of DatasetSpec, e.g. "
            'datasets=[DatasetSpec(name="diabetes")].'
        )
    for i, spec in enumerate(datasets):
        if not isinstance(spec, DatasetSpec):
            example = f"name={spec!r}" if isinstance(spec, str) else 'name="diabetes"'
            raise BoostregError(
                f"datasets[{i}] = {short_repr(spec)} in {where} is not a DatasetSpec; write "
                f"datasets=[DatasetSpec({example})]."
            )
        for name in ("grid", "params"):
            if not isinstance(getattr(spec, name), dict):
                raise BoostregError(
                    f"DatasetSpec {name}={short_repr(getattr(spec, name))} of dataset '{spec.label}' "
                    f'in {where} must be a dict, e.g. {name}={{"reg_alpha": [0, 1]}}.'
                    if name == "grid"
                    else f"DatasetSpec params={short_repr(spec.params)} of dataset '{spec.label}' in "
                    f"{where} must be a dict of the synthetic generator's parameters, or left out."
                )
    if isinstance(study.engines, str):
        raise BoostregError(
            f"engines = {short_repr(study.engines)} in {where} must be a list of names, e.g. "
            f"engines=[{short_repr(study.engines)}]."
        )
    if not isinstance(study.engines, list) or not all(isinstance(e, str) for e in study.engines):
        raise BoostregError(
            f"engines = {short_repr(study.engines)} in {where} must be a list of names, e.g. "
            f"engines={engines_example()}."
        )
    if isinstance(study.folds, np.integer):
        put("folds", int(study.folds))
    seeds = study.seeds
    if isinstance(seeds, (range, np.ndarray)) and np.ndim(seeds) == 1:
        seeds = list(seeds)
    if isinstance(seeds, list) and any(isinstance(s, np.integer) for s in seeds):
        seeds = [int(s) if isinstance(s, np.integer) else s for s in seeds]
    if seeds is not study.seeds:
        put("seeds", seeds)
    if isinstance(study.primary_metric, str):  # one name: the metric of the tasks it belongs to
        put("primary_metric", primary_metric_of_name(study.primary_metric, where))
    for name, example in (
        ("primary_metric", '{"regression": "rmse", "binary": "logloss"}'),
        ("params", '{"n_estimators": 100}'),
        ("engine_params", f'{{"{default_engines()[0]}": {{"max_depth": 4}}}}'),
        ("grid", '{"reg_alpha": [0, 1], "reg_lambda": [0, 1]}'),
        ("baseline_grid", '{"penalty": [0.01, 0.1, 1]}'),
    ):
        if not isinstance(getattr(study, name), dict):
            raise BoostregError(
                f"{name} = {short_repr(getattr(study, name))} in {where} must be a dict, e.g. {name}={example}."
            )
    for engine, params in study.engine_params.items():
        if not isinstance(params, dict):
            raise BoostregError(
                f"engine_params[{engine!r}] = {short_repr(params)} in {where} must be a dict of that "
                f'engine\'s parameters, e.g. engine_params={{{engine!r}: {{"max_depth": 4}}}}.'
            )
    if not isinstance(study.extra_points, list):
        raise BoostregError(
            f"extra_points = {short_repr(study.extra_points)} in {where} must be a list of dicts with "
            "engine, label, reg_alpha and reg_lambda."
        )


def validate(study) -> None:
    """Check a study at the entry point; raise BoostregError naming the problem and the fix."""
    where = study.source
    _check_types(study, where)
    if not study.name or not isinstance(study.name, str):
        raise BoostregError(f'the study in {where} has no name; add name = "my-study" under [study].')
    if not NAME_PATTERN.fullmatch(study.name):
        raise BoostregError(
            f"study name {_shown(study.name)} in {where} is not a plain label: use up to 100 letters, "
            "digits, '_', '-', '.' or spaces, starting with a letter or digit (it names runs/NAME, so "
            'it cannot be a path), e.g. name = "my-study".'
        )
    if not study.datasets:
        raise BoostregError(f'the study in {where} lists no datasets; add a [[datasets]] entry with name = "diabetes".')
    if not study.engines:
        raise BoostregError(f"the study in {where} lists no engines; set engines = {engines_example()}.")
    for e in study.engines:
        if study.engines.count(e) > 1:
            raise BoostregError(f"engine '{e}' is listed twice in {where}; list each engine once.")
        if e not in ENGINES:
            get_engine(e, where)  # an optional engine not installed names its pip install; else the closest name
    _check_cv(study, where)
    if study.check not in ("sample", "all"):
        raise BoostregError(
            f'check = {study.check!r} in {where}; use "sample" (the default) or "all" (the theory check on every fit).'
        )
    if study.curves not in ("checked", "all"):
        raise BoostregError(
            f'curves = {study.curves!r} in {where}; use "checked" (the default: per-round training curves of the '
            'theory-checked fits) or "all" (every fit).'
        )
    if study.refit not in (None, "best", "smallest"):
        raise BoostregError(
            f'refit = {study.refit!r} in {where}; use "best" (the lowest mean validation error) or '
            '"smallest" (the smallest model within one standard error of it), or leave it out.'
        )
    if study.refit and not study.has_validation_split:
        raise BoostregError(
            f"refit = {study.refit!r} in {where} needs a validation split to choose a setting; add "
            "validation_fraction = 0.2 under [params]."
        )
    _check_fit_timeout(study, where)
    if isinstance(study.folds, bool) or not isinstance(study.folds, (int, np.integer)) or study.folds < 2:
        raise BoostregError(f"folds = {study.folds!r} in {where}; use a whole number >= 2, e.g. folds = 5.")
    if not study.seeds or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < MAX_SEED for s in study.seeds
    ):
        raise BoostregError(
            f"seeds = {study.seeds!r} in {where}; use a list of whole numbers from 0 to {MAX_SEED - 1} "
            "(the engines' seeds are 32-bit), e.g. seeds = [0, 1]."
        )
    if len(set(study.seeds)) != len(study.seeds):
        raise BoostregError(
            f"seeds = {study.seeds!r} in {where} repeats a seed (the same folds twice); list each seed once."
        )
    _check_grid(study.grid, where, "[grid]")
    if not any(key in study.grid for key in PENALTIES):
        raise BoostregError(
            f"the grid in {where} has neither reg_alpha nor reg_lambda; add reg_lambda = [0, 1, 10] "
            "(and reg_alpha for L1) under [grid]."
        )
    for key in PENALTIES:  # a grid without one penalty keeps it at 0 (an L2-only study needs no reg_alpha)
        study.grid.setdefault(key, [0.0])
    for spec in study.datasets:
        _check_grid(spec.grid, where, f"[datasets.grid] of dataset '{spec.label}'")
    _check_relative_reference(study, where)
    labels_seen = set()
    for i, point in enumerate(study.extra_points):
        if not isinstance(point, dict):
            raise BoostregError(
                f"[[extra_points]] #{i + 1} in {where} must be a table with engine, label, reg_alpha and reg_lambda."
            )
        _check_keys(point, _EXTRA_POINT_KEYS, f"[[extra_points]] #{i + 1} of {where}")
        missing = sorted(_EXTRA_POINT_KEYS - set(point))
        if missing:
            raise BoostregError(
                f"[[extra_points]] #{i + 1} in {where} has no {missing[0]}; give engine, label, "
                'reg_alpha and reg_lambda, e.g. label = "probst2019".'
            )
        if point["engine"] not in engine_names("booster"):
            raise BoostregError(
                f"[[extra_points]] #{i + 1} in {where} names engine {point['engine']!r}; extra points "
                f"are for boosters ({', '.join(engine_names('booster'))})."
            )
        if (
            not isinstance(point["label"], str)
            or not NAME_PATTERN.fullmatch(point["label"])
            or (point["engine"], point["label"]) in labels_seen
        ):
            raise BoostregError(
                f"[[extra_points]] #{i + 1} in {where}: label {point['label']!r} must be a plain, "
                'unique label, e.g. label = "probst2019".'
            )
        labels_seen.add((point["engine"], point["label"]))
        for key in ("reg_alpha", "reg_lambda"):
            point[key] = _check_penalty_values(key, [point[key]], where)[0]
    for spec in study.datasets:
        if spec.frame is not None and (spec.file is not None or not spec.name or not spec.target):
            raise BoostregError(
                f"DatasetSpec with frame= in {where} needs name= (for the records) and target= (the "
                "column to predict), and no file=."
            )
        if spec.groups is not None and spec.frame is None and spec.file is None:
            raise BoostregError(
                f"groups = {spec.groups!r} for dataset '{spec.label}' in {where}: groups are for your "
                "own files and frames (built-in datasets have none)."
            )
    labels = [spec.label for spec in study.datasets]
    for label in labels:
        if labels.count(label) > 1:
            raise BoostregError(f"dataset '{label}' appears twice in {where}; give one of them alias = \"{label}_2\".")
    sections = [("[params]", study.params)] + [(f"[params.{e}]", p) for e, p in study.engine_params.items()]
    for section, params in sections:
        for key, value in list(params.items()):
            if isinstance(value, np.generic):  # numpy scalars (np.int64(200)) are plain numbers to a study
                params[key] = value = value.item()
            if key in ("reg_alpha", "reg_lambda"):
                raise BoostregError(
                    f"'{key}' is set under {section} in {where}; put it in [grid] instead, e.g. {key} = [0, 1]."
                )
            if key == "penalty":
                raise BoostregError(
                    f"'penalty' is set under {section} in {where}; put it in [baseline_grid] instead, "
                    "e.g. penalty = [0.01, 0.1, 1]."
                )
            if section == "[params]" and key not in BOOSTER_PARAMS:
                raise BoostregError(
                    f"unknown parameter '{key}' under [params] in "
                    f"{where}{_closest(key, BOOSTER_PARAMS)} Known: "
                    f"{', '.join(sorted(BOOSTER_PARAMS))}; engine-only ones go under [params.ENGINE]."
                )
            if key in BOOSTER_PARAMS:
                _check_number(key, value, f"{section} of {where}")
    for engine, params in study.engine_params.items():
        if engine not in ENGINES and engine in OPTIONAL_ENGINES:
            get_engine(engine, f"[params.{engine}] of {where}")  # its pip install
        if engine not in ENGINES:
            raise BoostregError(f"unknown engine section [params.{engine}] in {where}{_closest(engine, ENGINES)}")
        ENGINES[engine].check_native_params(params, where)
    for key, values in study.baseline_grid.items():
        if is_relative(values):
            raise BoostregError(
                f"baseline_grid.{key} in {where} is relative, but a relative grid needs the "
                "unpenalized booster fit's first tree for its unit (alpha_max, H-bar) and baselines "
                "have none; give baseline penalties as plain numbers, e.g. penalty = [0.01, 0.1, 1]."
            )
        baselines = engine_names("baseline")
        if key != "penalty" and key not in baselines:
            raise BoostregError(
                f"unknown key '{key}' in [baseline_grid] of {where}{_closest(key, baselines)} Use "
                "penalty = [...] or a [baseline_grid.ENGINE] table for one of: "
                f"{', '.join(baselines)}."
            )
        values = _check_penalty_values(f"baseline_grid.{key}", values, where)
        if min(values) <= 0:
            raise BoostregError(
                f"baseline_grid.{key} in {where} holds {min(values)!r}; baseline penalties (alpha or "
                "C) must be > 0, e.g. penalty = { log = [0.001, 10], num = 5 }."
            )
        study.baseline_grid[key] = values
    check_primary_metric(study, where)


def _check_fit_timeout(study, where: str) -> None:
    """fit_timeout: None (no limit) or a positive, finite number of seconds (made a plain float)."""
    value = study.fit_timeout
    if value is None:
        return
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise BoostregError(
            f"fit_timeout = {short_repr(value)} in {where} is not a positive number of seconds; give e.g. "
            "fit_timeout = 600 (the most one fit may take), or leave it out for no limit."
        )
    object.__setattr__(study, "fit_timeout", float(value))


def _check_cv(study, where: str) -> None:
    """A splitter must split deterministically (the same folds in every run and every worker) and alone."""
    cv = study.cv
    if cv is None:
        return
    if not (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        raise BoostregError(
            f"cv = {cv!r} in {where} is not a scikit-learn splitter (no split / get_n_splits); pass "
            "e.g. cv=GroupKFold(n_splits=5) or cv=KFold(5, shuffle=True, random_state=0)."
        )
    params = cv.get_params() if hasattr(cv, "get_params") else vars(cv)
    shuffles = params.get("shuffle", False) or type(cv).__name__.startswith(("Repeated", "Shuffle", "GroupShuffle"))
    if shuffles and params.get("random_state") is None:
        raise BoostregError(
            f"cv = {cv!r} in {where} shuffles without a random_state, so its folds would differ "
            "between runs and workers; set random_state, e.g. random_state=0."
        )
    if len(study.seeds) != 1:
        raise BoostregError(
            f"cv = {cv!r} in {where} makes the folds itself, so seeds = {study.seeds!r} would repeat "
            "the same folds; give one seed (it seeds the engines), or use a Repeated splitter for "
            "repetitions."
        )


def _check_relative_reference(study, where: str) -> None:
    """A relative grid needs its unit from the unpenalized fit's first tree: refuse settings that cannot give it."""
    grids = [study.grid] + [spec.grid for spec in study.datasets]
    if not any(is_relative(g.get(k)) for g in grids for k in PENALTIES):
        return
    values = [study.params.get("subsample", 1.0)] + [p.get("subsample", 1.0) for p in study.engine_params.values()]
    values += [v for g in grids for v in g.get("subsample", [])]
    if any(isinstance(v, (int, float)) and v < 1 for v in values):
        raise BoostregError(
            f"the grid in {where} is relative, but with subsample < 1 the unpenalized reference's "
            "first tree is built on rows that are not known, so alpha_max and H-bar cannot be read "
            "from it; give reg_alpha and reg_lambda as plain numbers, or set subsample = 1."
        )


def _check_grid(grid: dict, where: str, section: str) -> None:
    """Check grid keys and values in place (penalty values become floats)."""
    for key, values in grid.items():
        if key not in BOOSTER_PARAMS:
            raise BoostregError(
                f"unknown grid parameter '{key}' in {section} of "
                f"{where}{_closest(key, BOOSTER_PARAMS)} Known: {', '.join(sorted(BOOSTER_PARAMS))}."
            )
        if key in PENALTIES:
            if is_relative(values):
                _check_keys(values, {"relative"}, f"grid.{key} of {where}")
                grid[key] = {"relative": _check_penalty_values(f"relative {key}", values["relative"], where)}
            elif isinstance(values, dict):
                raise BoostregError(
                    f"grid.{key} in {where} is a table without 'relative'; give a list, e.g. {key} = "
                    f"[0, 1], or {key} = {{ relative = [0, 0.1, 1] }} for values in the data's units."
                )
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
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
    ):
        what = "a whole number, e.g. 10" if kind is int else "a number, e.g. 0.1"
        raise BoostregError(f"{key} = {short_repr(value)} in {where} is not a finite number; give {what}.")
    if value < 0:
        raise BoostregError(f"{key} = {value!r} in {where} is negative; give a value >= 0.")
    if key == "validation_fraction" and not 0 < value <= 0.5:
        raise BoostregError(
            f"validation_fraction = {value!r} in {where} must be in (0, 0.5], e.g. validation_fraction = 0.2."
        )
    if kind is int and not float(value).is_integer():
        raise BoostregError(
            f"{key} = {value!r} in {where} must be a whole number, e.g. {key} = {max(1, round(value))}."
        )
    if key in PARAM_RANGES:
        low, high, open_low, why = PARAM_RANGES[key]
        if (value <= low if open_low else value < low) or value > high:
            raise BoostregError(f"{key} = {value!r} in {where} is out of range: {why}.")
