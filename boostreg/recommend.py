"""``boostreg recommend``: the tuning guide's advice, turned into raw reg_alpha and reg_lambda for one dataset.

The guide states its advice in the data's units (reg_alpha as a fraction of α_max, reg_lambda as a multiple of
H̄: see ``boostreg.guide``). This module reads a user's table, fits one unpenalized tree per engine with the
guide's tree settings on all of its rows, reads α_max (the largest |G| over that tree's leaves) and H̄ (their
mean hessian sum), and multiplies. It takes seconds: one tree, no search.

The guide's advice is to fit those values beside the library default and keep whichever has the lower validation
error (its leave-one-dataset-out proof applies it that way). ``check=True`` does that here on a validation split of
the user's rows, with the guide's settings: two full fits per engine instead of one tree.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np

from .engines import ENGINES, Fold
from .engines.base import LOOP_PARAMS, first_tree_scales
from .errors import BoostregError
from .guide import recommendation_for


@dataclass
class Advice:
    """One engine's recommendation for one dataset, in raw units (and the relative values it came from)."""

    engine: str
    reg_alpha: float
    reg_lambda: float
    reg_alpha_range: list[float] | None
    reg_lambda_range: list[float] | None
    reg_alpha_relative: float
    reg_lambda_relative: float
    alpha_max: float
    h_bar: float
    rows: int
    rule: str
    evidence: dict
    assumptions: dict
    #: with check=True: the validation split's verdict (valid errors of the recommended values and of the library
    #: default, which one is kept); reg_alpha / reg_lambda are then the kept values
    check: dict | None = field(default=None)

    def to_dict(self) -> dict:
        return asdict(self)


def data_units(ds, engine: str, settings: dict, *, threads: int = 1, rows=None) -> tuple[float, float]:
    """α_max and H̄ of one unpenalized tree of ``engine`` fitted on every row of ``ds`` (or on ``rows``) with
    ``settings``."""
    eng = ENGINES[engine]
    params = {k: v for k, v in settings.items() if k not in LOOP_PARAMS}
    params.update(n_estimators=1, reg_alpha=0.0, reg_lambda=0.0)
    X, y = (ds.X, ds.y) if rows is None else (ds.X.iloc[rows], ds.y[rows])
    fold = Fold(X, y, X.iloc[:1], y[:1], ds.task)
    prepared = eng.prepare(fold, params, threads=threads)
    model = eng.fit(prepared, params, seed=0, threads=threads)
    scales = first_tree_scales(eng.ensemble(model, prepared, fold, params, test_leaf=False), fold.y_train, fold.task)
    return scales["first_tree_grad_abs_max"], scales["first_tree_hess_mean"]


def check_against_default(ds, engine: str, settings: dict, alpha_rel: float, lambda_rel: float, *,
                          seed: int = 0, threads: int | None = None) -> dict:
    """Fit the recommended values and the library default on the same rows with the guide's settings (early
    stopping on a validation split carved as a study carves it, stratified for binary) and say which one the
    validation split prefers (the default on a tie). The recommended raw values come from the rows trained on."""
    from .plan import validation_split

    eng = ENGINES[engine]
    threads = threads or os.cpu_count() or 1
    fraction = float(settings.get("validation_fraction", 0.2))
    train, valid = validation_split(np.arange(len(ds.y)), ds.y, ds.task, fraction, seed, where="your data")
    alpha_max, h_bar = data_units(ds, engine, settings, threads=threads, rows=train)
    fold = Fold(ds.X.iloc[train], ds.y[train], ds.X.iloc[valid], ds.y[valid], ds.task,
                X_valid=ds.X.iloc[valid], y_valid=ds.y[valid])
    base = {k: v for k, v in settings.items() if k != "validation_fraction"}
    prepared = eng.prepare(fold, base, threads=threads)
    points = {"recommended": (alpha_rel * alpha_max, lambda_rel * h_bar),
              "default": (float(eng.library_defaults.get("reg_alpha", 0.0)),
                          float(eng.library_defaults.get("reg_lambda", 0.0)))}
    errors, trees = {}, {}
    for label, (a, lam) in points.items():
        model = eng.fit(prepared, {**base, "reg_alpha": a, "reg_lambda": lam}, seed=seed, threads=threads)
        errors[label] = float(model.boostreg_log.valid_error)
        trees[label] = len(model.boostreg_log.test)
    kept = "recommended" if errors["recommended"] < errors["default"] else "default"
    return {"kept": kept, "reg_alpha": points[kept][0], "reg_lambda": points[kept][1],
            "valid_error_recommended": errors["recommended"], "valid_error_default": errors["default"],
            "trees_recommended": trees["recommended"], "trees_default": trees["default"],
            "default_reg_alpha": points["default"][0], "default_reg_lambda": points["default"][1],
            "n_train": len(train), "n_valid": len(valid), "validation_fraction": fraction}


def recommend_for(ds, engines: list[str] | None = None, *, recommendation: dict | None = None,
                  check: bool = False) -> list[Advice]:
    """The guide's recommendation for dataset ``ds`` (a boostreg Dataset), one Advice per engine; with ``check`` the
    recommended values are fitted beside the library default and the one the validation split prefers is kept."""
    rec = recommendation or recommendation_for()
    known = rec.get("engines", {})
    engines = engines or sorted(known)
    out = []
    for engine in engines:
        if engine not in known:
            raise BoostregError(f"the tuning guide has no recommendation for engine '{engine}'; use one of "
                                f"{', '.join(sorted(known))}.")
        r = known[engine]
        settings = rec.get("assumptions", {}).get(engine, {})
        alpha_max, h_bar = data_units(ds, engine, settings)
        a, lam = float(r["reg_alpha_relative"]), float(r["reg_lambda_relative"])

        def raw(pair, unit):
            return [float(pair[0]) * unit, float(pair[1]) * unit] if pair else None

        verdict = check_against_default(ds, engine, settings, a, lam) if check else None
        out.append(Advice(
            engine=engine, reg_alpha=verdict["reg_alpha"] if verdict else a * alpha_max,
            reg_lambda=verdict["reg_lambda"] if verdict else lam * h_bar, check=verdict,
            reg_alpha_range=raw(r.get("reg_alpha_range_relative"), alpha_max),
            reg_lambda_range=raw(r.get("reg_lambda_range_relative"), h_bar),
            reg_alpha_relative=a, reg_lambda_relative=lam, alpha_max=alpha_max, h_bar=h_bar, rows=len(ds.y),
            rule=r.get("rule", ""), evidence=r.get("lodo", {}),
            assumptions={**settings, "rows": len(ds.y),
                         "note": "alpha_max and H-bar grow in proportion to the rows you train on: if you hold out a "
                                 "share for early stopping, scale both values by the share you keep"}))
    return out
