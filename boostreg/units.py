"""The data's own units of the two penalties: α_max and H̄ of one unpenalized tree on a dataset.

A relative grid (and the tuning guide's advice) states reg_alpha as a fraction of α_max, the largest |G| over the
leaves of one unpenalized tree, and reg_lambda as a multiple of H̄, their mean hessian sum. Both are sums over the
rows a tree trains on, so they are computed on the rows the raw values are for: ``boostreg recommend`` on the
user's rows, ``Run.best_params`` / ``refit`` on every row of the study's dataset.
"""

from __future__ import annotations

import json

import numpy as np

from .engines import ENGINES, Fold
from .engines.base import LOOP_PARAMS, first_tree_scales

#: the record columns that keep α_max and H̄ on every row of the dataset, written by the worker that fits fold 0's
#: unpenalized fit of a relative grid (:func:`boostreg.fit.run_fits`), so that the answer's raw values need no
#: library, data or tree in the process that reports (:func:`stored_units`)
ALL_ROWS_COLUMNS = ("all_rows_grad_abs_max", "all_rows_hess_mean")


def data_units(ds, engine, settings: dict, *, threads: int = 1, rows=None) -> tuple[float, float]:
    """α_max and H̄ of one unpenalized tree of ``engine`` (a name, or the engine itself) fitted on every row of
    ``ds`` (or on ``rows``) with ``settings``: sums of the rows' gradients and hessians weighted by the dataset's
    sample weights (if any); for a multiclass dataset over the first round's K class trees pooled (as the study's
    relative grid reads them)."""
    eng = ENGINES[engine] if isinstance(engine, str) else engine
    params = {k: v for k, v in settings.items() if k not in LOOP_PARAMS}
    params.update(n_estimators=1, reg_alpha=0.0, reg_lambda=0.0)
    X, y = (ds.X, ds.y) if rows is None else (ds.X.iloc[rows], ds.y[rows])
    weight = getattr(ds, "weight", None)  # sample weights: G and H weighted as the engine weighs them
    w = None if weight is None else (weight if rows is None else weight[rows])
    n_classes = len(ds.classes) if ds.task == "multiclass" else None  # multiclass: the first round's K trees pooled
    fold = Fold(X, y, X.iloc[:1], y[:1], ds.task, n_classes=n_classes, w_train=w, w_test=None if w is None else w[:1])
    prepared = eng.prepare(fold, params, threads=threads)
    model = eng.fit(prepared, params, seed=0, threads=threads)
    ens = eng.ensemble(model, prepared, fold, params, test_leaf=False)
    scales = first_tree_scales(ens, fold.y_train, fold.task, w)
    return scales["first_tree_grad_abs_max"], scales["first_tree_hess_mean"]


def fixed_params(params_json: str) -> dict:
    """The study's parameters of a fit (a record's ``params_json``): the penalties and boostreg's own keys ("_"
    first) left out."""
    params = json.loads(params_json) if isinstance(params_json, str) else {}
    return {
        k: v for k, v in params.items() if k not in ("reg_alpha", "reg_lambda", "penalty") and not k.startswith("_")
    }


def settings_of(params_json: str) -> dict:
    """The settings a fit's α_max and H̄ depend on: its :func:`fixed_params` less the runner's loop keys."""
    return {k: v for k, v in fixed_params(params_json).items() if k not in LOOP_PARAMS}


def stored_units(fits, dataset: str, engine: str, settings: dict) -> tuple[float, float] | None:
    """α_max and H̄ on every row of ``dataset`` for ``engine`` and ``settings`` as the run stored them
    (:data:`ALL_ROWS_COLUMNS`), or None where it did not (records written before these columns, a raw grid)."""
    if ALL_ROWS_COLUMNS[0] not in fits:
        return None
    rows = fits[(fits.dataset == dataset) & (fits.engine == engine) & fits[ALL_ROWS_COLUMNS[0]].notna()]
    key = json.dumps(settings, sort_keys=True)
    for params_json, alpha_max, h_bar in zip(rows.params_json, *(rows[c] for c in ALL_ROWS_COLUMNS)):
        if json.dumps(settings_of(params_json), sort_keys=True) == key and np.isfinite(h_bar):
            return float(alpha_max), float(h_bar)
    return None


def wants_all_rows_units(group, engine, fit_ids) -> bool:
    """Whether a task fits fold 0's reference of a booster fold group (:class:`boostreg.plan.FitGroup`) with a
    relative grid: its record keeps α_max and H̄ on every row (:data:`ALL_ROWS_COLUMNS`)."""
    return (
        group.fold == 0
        and engine.kind == "booster"
        and any(f.relative for f in group.fits)
        and group.fits[0].fit_id in set(fit_ids)
    )


def all_rows_units(ds, engine, fixed: dict) -> tuple[float, float] | None:
    """α_max and H̄ of one unpenalized tree on every row of ``ds`` with a fold group's fixed settings, on one thread
    (the bits :func:`data_units` gives wherever it runs); None where that tree fails (the answer then fits it itself
    and reports its own error)."""
    try:
        return data_units(ds, engine, fixed, threads=1)  # it leaves out the loop keys, as settings_of does
    except Exception:  # noqa: BLE001 - not a fit's error: the answer recomputes it
        return None
