"""``boostreg recommend``: the tuning guide's advice, turned into raw reg_alpha and reg_lambda for one dataset.

The guide states its advice in the data's units (reg_alpha as a fraction of α_max, reg_lambda as a multiple of
H̄: see ``boostreg.guide``). This module reads a user's table, fits one unpenalized tree per engine with the
guide's tree settings on all of its rows, reads α_max (the largest |G| over that tree's leaves) and H̄ (their
mean hessian sum), and multiplies. It takes seconds: one tree, no search.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def to_dict(self) -> dict:
        return asdict(self)


def data_units(ds, engine: str, settings: dict, *, threads: int = 1) -> tuple[float, float]:
    """α_max and H̄ of one unpenalized tree of ``engine`` fitted on every row of ``ds`` with ``settings``."""
    eng = ENGINES[engine]
    params = {k: v for k, v in settings.items() if k not in LOOP_PARAMS}
    params.update(n_estimators=1, reg_alpha=0.0, reg_lambda=0.0)
    fold = Fold(ds.X, ds.y, ds.X.iloc[:1], ds.y[:1], ds.task)
    prepared = eng.prepare(fold, params, threads=threads)
    model = eng.fit(prepared, params, seed=0, threads=threads)
    scales = first_tree_scales(eng.ensemble(model, prepared, fold, params, test_leaf=False), fold.y_train, fold.task)
    return scales["first_tree_grad_abs_max"], scales["first_tree_hess_mean"]


def recommend_for(ds, engines: list[str] | None = None, *, recommendation: dict | None = None) -> list[Advice]:
    """The guide's recommendation for dataset ``ds`` (a boostreg Dataset), one Advice per engine."""
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

        out.append(Advice(
            engine=engine, reg_alpha=a * alpha_max, reg_lambda=lam * h_bar,
            reg_alpha_range=raw(r.get("reg_alpha_range_relative"), alpha_max),
            reg_lambda_range=raw(r.get("reg_lambda_range_relative"), h_bar),
            reg_alpha_relative=a, reg_lambda_relative=lam, alpha_max=alpha_max, h_bar=h_bar, rows=len(ds.y),
            rule=r.get("rule", ""), evidence=r.get("lodo", {}),
            assumptions={**settings, "rows": len(ds.y),
                         "note": "alpha_max and H-bar grow in proportion to the rows you train on: if you hold out a "
                                 "share for early stopping, scale both values by the share you keep"}))
    return out
