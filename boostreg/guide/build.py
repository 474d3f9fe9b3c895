"""The tuning guide as a view model: :func:`build_guide` turns fit records into the recipe (one rule function per
step, :mod:`boostreg.guide.rules`), the evidence sections (assembled by :mod:`boostreg.guide.sections` from the
frames of :mod:`boostreg.guide.evidence`) and the recommendation ``boostreg recommend`` applies — a pure function of
the records."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import analysis, inference
from ..errors import BoostregError
from ..views import Section
from .evidence import (
    guide_rows,
    lodo,
    lodo_summary,
    optimum_positions,
    recommend,
    recorded_units,
    relative_surface,
    search_ranges,
)
from .rules import Step, rule_l1, rule_point_alone, rule_search, rule_start, rule_tuning_worth, rule_where_not
from .sections import l1_section, proof_section, ranges_section, units_section, worth_section


@dataclass
class Guide:
    """The tuning guide: the recipe (engine -> steps), the evidence sections, what ``boostreg recommend`` applies,
    the leave-one-dataset-out proof and its summary, and which records it was built from."""

    recipe: dict[str, list[Step]]
    sections: list[Section]
    recommendation: dict
    proof: pd.DataFrame
    summary: pd.DataFrame
    title: str = "boostreg tuning guide: reg_alpha and reg_lambda for XGBoost and LightGBM"
    provenance: str = ""


def build_guide(fits: pd.DataFrame) -> Guide:
    """The guide's numbers, recipe, sections and recommendation, from the fit records only.

    Parameters
    ----------
    fits : pandas.DataFrame
        Fit records (a run's ``Run.fits`` or an exported fits file), in fit_id order.

    Returns
    -------
    Guide
        The recipe per engine, the evidence sections, the recommendation and the leave-one-dataset-out proof.
    """
    df = guide_rows(fits)
    if df.empty:
        raise BoostregError(
            "these records have no booster fits with a validation error; the guide selects settings "
            "on a validation split: run a study with validation_fraction set (studies/tuning_guide.toml)."
        )
    if not df.is_default.fillna(False).any():
        raise BoostregError(
            "these records hold no library-default fits (records from before boostreg fitted them); "
            "run the tuning study again (bash scripts/tuning_guide.sh)."
        )
    real = sorted(df[~df.synthetic].dataset.unique())
    surface = relative_surface(df[~df.synthetic])
    rec = recommend(surface, real)
    proof = lodo(df)
    summ = lodo_summary(proof, "chk")
    summ_alone = lodo_summary(proof, "rec")
    probst = lodo_summary(proof, "probst")
    own = lodo_summary(proof, "own")
    pos = optimum_positions(df)
    ranges = search_ranges(pos)
    units = recorded_units(df)
    claims = analysis.claims_ledger(fits[inference.record_kinds(fits) == "booster"])
    engines = sorted(rec.engine)

    recipe = {}
    for engine in engines:
        r = rec[rec.engine == engine].iloc[0]
        s = summ[(summ.engine == engine) & (summ.task == "all")]
        rg = ranges[ranges.engine == engine]
        alone = summ_alone[(summ_alone.engine == engine) & (summ_alone.task == "all")]
        recipe[engine] = [
            rule_start(engine, r, s.iloc[0] if len(s) else None),
            rule_where_not(engine, proof),
            rule_point_alone(engine, alone.iloc[0] if len(alone) else None, proof),
            rule_search(engine, rg.iloc[0] if len(rg) else None),
            rule_tuning_worth(engine, own),
        ]
    recipe["both engines"] = [rule_l1(claims)]

    sections = [
        proof_section(proof, summ, summ_alone),
        ranges_section(df, pos, ranges),
        units_section(units, rec),
        worth_section(own, probst),
        l1_section(claims),
    ]

    recommendation = {"engines": {}, "assumptions": _assumptions(fits), "provenance": provenance(fits)}
    recommendation["tasks"] = sorted(map(str, df[~df.synthetic].task.unique()))  # the tasks its evidence covers
    for r in rec.itertuples():
        rg = ranges[ranges.engine == r.engine]
        s = summ[(summ.engine == r.engine) & (summ.task == "all")]
        recommendation["engines"][r.engine] = {
            "reg_alpha_relative": r.alpha_rel,
            "reg_lambda_relative": r.lambda_rel,
            "reg_alpha_range_relative": [float(rg.alpha_low.iloc[0]), float(rg.alpha_high.iloc[0])]
            if len(rg)
            else None,
            "reg_lambda_range_relative": [float(rg.lambda_low.iloc[0]), float(rg.lambda_high.iloc[0])]
            if len(rg)
            else None,
            "rule": recipe[r.engine][0].text,
            "check_against_default": "fit the recommended values beside the library default (the same other "
            "settings) and keep whichever has the lower validation error",
            "lodo": _lodo_json(s),
            "lodo_point_alone": _lodo_json(summ_alone[(summ_alone.engine == r.engine) & (summ_alone.task == "all")]),
        }
    return Guide(recipe, sections, recommendation, proof, summ, provenance=provenance(fits))


def _lodo_json(s: pd.DataFrame) -> dict:
    """One engine's leave-one-dataset-out summary row as plain JSON values."""
    keys = (
        "n_datasets",
        "wins",
        "ties",
        "mean_rel_gain",
        "rel_low",
        "rel_high",
        "worst_dataset",
        "worst_rel_gain",
        "clearly_worse",
    )
    return {
        k: (None if isinstance(v, float) and not np.isfinite(v) else v)
        for k, v in (s.iloc[0].to_dict().items() if len(s) else [])
        if k in keys
    }


def _assumptions(fits: pd.DataFrame) -> dict:
    """The study's fixed settings the advice holds for (the guide's records decide them, not this code)."""
    out = {}
    for engine, g in fits[inference.record_kinds(fits) == "booster"].groupby("engine"):
        params = (
            json.loads(g.params_json.iloc[0]) if "params_json" in g and isinstance(g.params_json.iloc[0], str) else {}
        )
        out[engine] = {k: v for k, v in sorted(params.items()) if k not in ("reg_alpha", "reg_lambda")}
    return out


def provenance(fits: pd.DataFrame) -> str:
    """Which records the guide was built from (stands in for a date, so the same records give the same guide)."""
    studies = ", ".join(sorted(map(str, fits.study.dropna().unique()))) if "study" in fits else "?"
    boosters = fits[inference.record_kinds(fits) == "booster"]
    versions = (
        "; ".join(
            f"{e} {', '.join(sorted(map(str, g.engine_version.dropna().unique())))}"
            for e, g in boosters.groupby("engine")
        )
        if "engine_version" in fits
        else ""
    )
    ok = int((fits.status == "ok").sum())
    return f"{len(fits)} fit records ({ok} ok) of study {studies}; {versions}"
