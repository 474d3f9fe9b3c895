"""From the answer to something to use: keyword arguments for the engine's own scikit-learn class, and a refit model.

``paste(run, dataset, engine, rule)`` turns the setting :func:`boostreg.answer.answer_table` chose (``best`` or
``smallest``) into the arguments a user passes on the whole table:

* penalties given in the data's units (reg_alpha as a fraction of alpha_max, reg_lambda as a multiple of H-bar)
  become raw values from one unpenalized tree on every row of the dataset -- the rows the refit trains on -- as
  the study computed them per fold from its training rows (alpha_max and H-bar are sums over rows, so they grow
  with the rows);
* with early stopping in the study, ``n_estimators`` is the median number of rounds early stopping kept for that
  setting over the fold groups, so the refit needs no validation split and a user's
  ``XGBRegressor(**params).fit(X, y)`` gives the same model;
* ``random_state`` is fixed, so the same call gives the same model.

``refit(...)`` fits that class on every row and saves it under ``OUT/models/`` in the library's own format, beside
a JSON card (the arguments, the data's fingerprint, library versions, rows, and the test error the study measured
for that setting with its corrected interval).

A multiclass dataset refits the engine's classifier on the class codes 0..K-1 (the card's ``classes`` names them in
code order). A dataset with sample weights is refitted with them as the study fitted it: a booster gets
``sample_weight`` in ``fit``, a baseline's pipeline weighted preprocessing as well
(:meth:`~boostreg.engines.sklearn_base.SklearnEngine.refit_weighted`); the card says ``weighted``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import answer as answer_mod
from .engines import ENGINES, library_versions
from .engines.base import LOOP_PARAMS
from .errors import BoostregError
from .loading import load_dataset
from .paths import write_atomic
from .study import study_from_dict
from .units import data_units, fixed_params, settings_of, stored_units


def _row(answers: pd.DataFrame, dataset: str, engine: str) -> pd.Series:
    if answers.empty:
        raise BoostregError(
            "this run has no complete fold group with a validation error yet; finish the run (run "
            "the same command again) before asking for its best setting."
        )
    datasets = answers.dataset.to_numpy()
    if dataset not in set(datasets):
        raise BoostregError(f"dataset '{dataset}' is not in this run; use one of {', '.join(sorted(set(datasets)))}.")
    hits = np.flatnonzero((datasets == dataset) & (answers.engine.to_numpy() == engine))
    if not len(hits):
        have = sorted(set(answers[datasets == dataset].engine))
        raise BoostregError(f"engine '{engine}' has no fits of '{dataset}' in this run; use one of {', '.join(have)}.")
    row = answers.iloc[hits[0]]
    if not isinstance(row.get("best_point"), str):
        raise BoostregError(
            f"'{dataset}' x '{engine}' has no complete fold group (its default or a grid fit failed "
            "in every one, or the run stopped early); run the same command again, or look at the "
            "failed fits' error column."
        )
    return row


def _check_rule(rule: str) -> None:
    if rule not in answer_mod.RULES:
        raise BoostregError(
            f"unknown rule '{rule}'; use 'best' (lowest mean validation error) or 'smallest' (the "
            "smallest model within one standard error of it)."
        )


def load_data(run, dataset: str, data=None):
    """The dataset as the study loaded it (from OUT/study.toml), or ``data`` (a boostreg Dataset) when given."""
    if data is not None:
        return data
    cache = getattr(run, "_cache", {})
    if ("data", dataset) not in cache:
        cache[("data", dataset)] = _load(run, dataset)
    return cache[("data", dataset)]


def _load(run, dataset: str):
    doc = run.study_toml()  # OUT/study.toml, read by the Run (the one reader of a run folder)
    if not doc:
        raise BoostregError(f"'{run.out}' has no study.toml to reload '{dataset}' from; pass data=load_frame(...).")
    # the refit reloads the data only: a user's callable metric (stored by its name) cannot be rebuilt from the file
    doc = {**doc, "study": {k: v for k, v in doc.get("study", {}).items() if k != "primary_metric"}}
    study = study_from_dict(doc, source=str(Path(run.out) / "study.toml"), base_dir=Path(run.out).resolve())
    spec = {s.label: s for s in study.datasets}.get(dataset)
    if spec is None or (spec.name is None and spec.file is None):
        raise BoostregError(
            f"'{dataset}' was an in-memory table, which the run folder does not keep; pass "
            "data=boostreg.data.load_frame(frame, target) to best_params / refit."
        )
    return load_dataset(spec)


def paste(run, dataset: str, engine: str, rule: str = "best", *, data=None) -> dict:
    """{"class": dotted path, "params": kwargs, "rule", "point", "verdict", ...} for one dataset x engine."""
    _check_rule(rule)
    row = _row(run.answers(), dataset, engine)
    eng = ENGINES[engine]
    fixed = fixed_params(row[f"{rule}_params_json"])
    early = bool(fixed.get("early_stopping_rounds")) and float(fixed.get("validation_fraction") or 0) > 0
    params = {k: v for k, v in fixed.items() if k not in LOOP_PARAMS or k == "n_estimators"}
    if eng.kind == "baseline":
        # the grid's penalties are on a standardized regression target; the library default is on the user's
        standardized_y = row["task"] == "regression" and not row[f"{rule}_is_default"]
        cls, kw = _baseline_estimator(eng, float(row[f"{rule}_penalty"]), params, row["task"])
        return {
            "class": cls,
            "params": kw,
            "rule": rule,
            "point": row[f"{rule}_point"],
            "verdict": row["verdict_text"],
            "standardized_y": standardized_y,
            "scale": BASELINE_SCALE[standardized_y],
            "note": "the penalty of boostreg's preprocessing (standardized features; for regression a standardized "
            "target): see docs/baselines.md",
        }
    if early and np.isfinite(row[f"{rule}_n_trees"]):
        params["n_estimators"] = int(round(row[f"{rule}_n_trees"]))
    alpha, lam = float(row[f"{rule}_reg_alpha"]), float(row[f"{rule}_reg_lambda"])
    rel = (row[f"{rule}_alpha_relative"], row[f"{rule}_lambda_relative"])
    if row[f"{rule}_is_default"]:
        alpha = float(eng.library_defaults.get("reg_alpha", 0.0))
        lam = float(eng.library_defaults.get("reg_lambda", 0.0))
    elif any(np.isfinite(v) and v > 0 for v in rel):
        settings = settings_of(row[f"{rule}_params_json"])
        key = ("units", dataset, engine, json.dumps(settings, sort_keys=True))
        cache = getattr(run, "_cache", {}) if data is None else {}
        if key not in cache and data is None:  # as the run's worker computed them (no library, data or tree here)
            cache[key] = stored_units(run.fits, dataset, engine, settings)
        if cache.get(key) is None:  # one tree on all rows, once per setting (best and smallest often share it)
            cache[key] = data_units(load_data(run, dataset, data), engine, settings)
        alpha_max, h_bar = cache[key]
        alpha = float(rel[0]) * alpha_max if np.isfinite(rel[0]) else alpha
        lam = float(rel[1]) * h_bar if np.isfinite(rel[1]) else lam
    params.update(reg_alpha=_round(alpha), reg_lambda=_round(lam))
    cls, kw = eng.sklearn_estimator(params, row["task"])
    kw["random_state"] = 0
    return {
        "class": cls,
        "params": kw,
        "rule": rule,
        "point": row[f"{rule}_point"],
        "early_stopping": early,
        "verdict": row["verdict_text"],
    }


def _baseline_estimator(eng, penalty: float, params: dict, task: str) -> tuple[str, dict]:
    """The scikit-learn estimator a baseline fits (its dotted path) and every argument its engine sets that differs
    from the class's own default (the solver, l1_ratio, max_iter, ... as well as the penalty)."""
    if "task" in inspect.signature(eng.estimator).parameters:  # engines whose estimator depends on the task (mlp)
        est = eng.estimator(penalty, params, 0, task=task)
    else:
        est = eng.estimator(penalty, params, 0)
    defaults = {k: p.default for k, p in inspect.signature(type(est)).parameters.items()}
    kw = {
        k: v
        for k, v in est.get_params(deep=False).items()
        if k != "random_state" and (k not in defaults or not _same(v, defaults[k]))
    }
    return f"{type(est).__module__.split('._')[0]}.{type(est).__name__}", kw


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, float) or not isinstance(b, float) else abs(a - b) <= 1e-12 * abs(b)
    except (TypeError, ValueError):
        return False


def answer_rows(run) -> list[dict]:
    """Per dataset x engine: the verdict, and the best and smallest settings as keyword arguments of the engine's own
    class (``params``, ``params_smallest``; None where a setting cannot be given)."""
    out = []
    for r in run.answers().itertuples():
        row = {
            "dataset": r.dataset,
            "engine": r.engine,
            "kind": r.kind,
            "setting": r.setting,
            "verdict": r.verdict,
            "verdict_text": r.verdict_text,
            "estimator": None,
            "params": None,
            "params_smallest": None,
            "best_point": getattr(r, "best_point", None),
            "smallest_point": getattr(r, "smallest_point", None),
            "best_leaves_per_tree": getattr(r, "best_size", None),
            "smallest_leaves_per_tree": getattr(r, "smallest_size", None),
        }
        if isinstance(row["best_point"], str):
            for rule, key in (("best", "params"), ("smallest", "params_smallest")):
                try:
                    p = paste(run, r.dataset, r.engine, rule)
                except BoostregError as err:  # an engine with no scikit-learn class: the setting, without a line
                    row[f"{key}_line"] = f"{row[f'{rule}_point']} ({err})"
                    continue
                row["estimator"], row[key] = p["class"], p["params"]
                row[f"{key}_line"] = paste_line(p) + (f"  # {p['scale']}" if "scale" in p else "")
        out.append(row)
    return out


#: what a baseline's pasted penalty applies to (boostreg's preprocessing, docs/baselines.md)
BASELINE_SCALE = {
    True: "on standardized features and a standardized target (boostreg's preprocessing)",
    False: "on standardized features (boostreg's preprocessing)",
}


def _round(v: float) -> float:
    """Four significant digits: what a user pastes (the penalty's effect is flat at that precision)."""
    return float(f"{v:.4g}")


def paste_line(p: dict) -> str:
    """'XGBRegressor(reg_alpha=0.37, reg_lambda=12.5, ...)' from :func:`paste`."""
    args = ", ".join(f"{k}={v!r}" for k, v in sorted(p["params"].items()))
    return f"{p['class'].rsplit('.', 1)[-1]}({args})"


def refit(run, dataset: str, engine: str, rule: str = "best", *, data=None) -> Path:
    """Fit the chosen setting on every row with the engine's own scikit-learn class (a baseline inside boostreg's
    preprocessing pipeline); save it under OUT/models/ in the library's format (XGBoost JSON, LightGBM text, CatBoost
    cbm, joblib for scikit-learn) with a JSON card beside it; return the model's path."""
    p = paste(run, dataset, engine, rule, data=data)
    eng = ENGINES[engine]
    ds = load_data(run, dataset, data)
    params, X = eng.refit_inputs(dict(p["params"]), ds.X)
    module, name = p["class"].rsplit(".", 1)
    model = eng.refit_model(
        getattr(importlib.import_module(module), name)(**params), ds.X, ds.task, p.get("standardized_y", False)
    )
    weight = getattr(ds, "weight", None)
    if weight is None:
        model.fit(X, ds.y)
    elif eng.kind == "baseline":  # boostreg's preprocessing weighted too, as the study's fits
        eng.refit_weighted(model, X, ds.y, weight)
    else:
        model.fit(X, ds.y, sample_weight=weight)
    folder = Path(run.out) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{_safe(dataset)}--{engine}--{rule}"
    path = eng.save_native(model, stem)
    est = _test_error(run, dataset, engine, rule)
    card = {
        "dataset": dataset,
        "engine": engine,
        "rule": rule,
        "point": p["point"],
        "class": p["class"],
        "params": params,
        "model": path.name,
        "rows": int(ds.n_rows),
        "task": ds.task,
        "classes": list(ds.classes) if ds.task != "regression" and ds.classes is not None else None,
        "weighted": weight is not None,
        "data_fingerprint": ds.fingerprint,
        "versions": library_versions([eng.name]),
        "expected_test_error": est,
        "verdict": p["verdict"],
        "how_to_load": eng.load_hint(path.name, p["class"]),
    }
    write_atomic(stem.with_suffix(".card.json"), json.dumps(card, indent=1, default=float) + "\n", "the model's card")
    return path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:100]


def _test_error(run, dataset: str, engine: str, rule: str) -> dict:
    """The study's outer-fold test error of the chosen setting: mean with its corrected resampled t interval."""
    row = _row(run.answers(), dataset, engine)
    return {
        "metric": str(row["metric"]),
        "mean": float(row[f"{rule}_test_error"]),
        "ci_low": float(row[f"{rule}_test_ci_low"]),
        "ci_high": float(row[f"{rule}_test_ci_high"]),
        "n_folds": int(row["n_groups"]),
        "interval": "corrected resampled t (Nadeau & Bengio 2003)",
    }
