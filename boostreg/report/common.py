"""What several report sections (and ``boostreg summary``) say the same way: metric names, the confidence level,
the library defaults the gains are measured against, fits that did not converge, the leaves joined to their fits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines import defaults_sentence
from ..fmt import count
from ..inference import CONFIDENCE

#: how the report names each metric (a study's own metric, a Python callable, goes by its own name)
METRIC_NAMES = {
    "rmse": "RMSE",
    "mae": "MAE",
    "logloss": "log loss",
    "mlogloss": "multiclass log loss",
    "error": "error rate",
    "auc": "AUC",
    "accuracy": "accuracy",
    "r2": "R²",
}
PCT = int(CONFIDENCE * 100)


def metric_name(metric: str) -> str:
    """The report's name of a metric: 'multiclass log loss' for mlogloss, 'AUC' for auc; a study's own metric (a
    Python callable) by its own name."""
    return METRIC_NAMES.get(metric, metric)


def library_defaults_text(engines) -> str:
    """The library-default penalties of these engines, read from each engine's own ``library_defaults`` by the
    engine registry (boosters by boostreg's names with the library's in brackets, baselines by their class's alpha
    or C), e.g. 'xgboost reg_alpha 0, reg_lambda 1 (alpha, lambda); catboost reg_lambda 3 (l2_leaf_reg); mlp alpha
    0.0001'."""
    return defaults_sentence(engines)


def not_converged_notes(summary: pd.DataFrame) -> list[str]:
    """One sentence on the dataset × engine pairs whose selected or default fits did not converge (``converged``,
    reported by MLP: the solver stopped at max_iter), or none."""
    cols = ("n_not_converged_selected", "n_not_converged_default")
    if summary.empty or not all(c in summary for c in cols):
        return []
    bad = summary[(summary[list(cols)].fillna(0) > 0).any(axis=1)]
    if bad.empty:
        return []
    pairs = []
    for r in bad.itertuples():
        parts = [
            f"{w} {count(v)} of {r.n_used}"
            for w, v in (("default", r.n_not_converged_default), ("selected", r.n_not_converged_selected))
            if np.nan_to_num(v) > 0
        ]
        pairs.append(f"{r.dataset} · {r.engine}: {', '.join(parts)}")
    engines = ", ".join(f"[params.{e}]" for e in sorted(bad.engine.unique()))
    return [
        (
            "Fits that did not converge (the solver stopped at its iteration limit: their error is an unfinished "
            f"fit's, not the penalty's alone), of the fold groups behind each gain: {'; '.join(pairs)}. Their gains "
            f"and rankings compare unfinished fits; raise max_iter under {engines} before reading them."
        )
    ]


def not_converged_mark(r, which: str = "default") -> str:
    """' (not converged: default 3/3, selected 1/3)' for a summary row with such fits, else ''."""
    parts = [
        f"{w} {count(getattr(r, f'n_not_converged_{w}', np.nan))}/{r.n_used}"
        for w in ("default", "selected")
        if w in which.split() and np.nan_to_num(getattr(r, f"n_not_converged_{w}", np.nan)) > 0
    ]
    return f" (not converged: {', '.join(parts)})" if parts else ""


def leaves_frame(fits: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    """Every stored leaf with its fit's dataset, engine and penalties (joined once, for every section)."""
    cols = [
        c
        for c in [
            "fit_id",
            "dataset",
            "engine",
            "reg_alpha",
            "reg_lambda",
            "learning_rate",
            "max_delta_step",
            "reg_alpha_relative",
            "reg_lambda_relative",
        ]
        if c in fits
    ]
    return leaves.merge(fits[cols], on="fit_id")
