"""The data's own units of the two penalties: α_max and H̄ of one unpenalized tree on a dataset.

A relative grid (and the tuning guide's advice) states reg_alpha as a fraction of α_max, the largest |G| over the
leaves of one unpenalized tree, and reg_lambda as a multiple of H̄, their mean hessian sum. Both are sums over the
rows a tree trains on, so they are computed on the rows the raw values are for: ``boostreg recommend`` on the
user's rows, ``Run.best_params`` / ``refit`` on every row of the study's dataset.
"""

from __future__ import annotations

from .engines import ENGINES, Fold
from .engines.base import LOOP_PARAMS, first_tree_scales


def data_units(ds, engine: str, settings: dict, *, threads: int = 1, rows=None) -> tuple[float, float]:
    """α_max and H̄ of one unpenalized tree of ``engine`` fitted on every row of ``ds`` (or on ``rows``) with
    ``settings``: sums of the rows' gradients and hessians weighted by the dataset's sample weights (if any); for a
    multiclass dataset over the first round's K class trees pooled (as the study's relative grid reads them)."""
    eng = ENGINES[engine]
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
