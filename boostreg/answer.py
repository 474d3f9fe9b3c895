"""The answer a user can act on, per dataset x engine, computed from the fit records alone.

* ``best``: the setting with the lowest mean validation error over the complete fold groups (the rule of
  scikit-learn's ``GridSearchCV.best_params_``), ties to the more regularized setting. The library default is a
  candidate like any grid point.
* ``smallest``: the smallest model whose mean validation error is within one standard error of ``best``'s
  (glmnet's lambda.1se convention): boosters the fewest leaves that carry a value per tree (L1's zeros count as
  saved), baselines the strongest penalty. It lets a user take L1's smaller models with evidence.
* ``verdict``: from the honest gain of :func:`boostreg.tables.summary_table` (selected on each fold group's
  validation split, scored on its test fold against the default, paired, corrected interval, as a share of the
  default's error): "tune" when the interval is above 0, "keep the default" when it lies inside the band of
  practical equivalence (+-``band``, 1% by default) or below 0, else "not enough evidence".

The raw values to paste (in the units of the user's whole table) and the refit model are in :mod:`boostreg.refit`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # the t quantile (scipy.stats.t.ppf's routine)

from . import inference
from .fmt import pct
from .tables import summary_table

#: relative gains within +-BAND of the default's error are "no difference" (a parameter of answer_table)
BAND = 0.01

#: the answer's columns (one row per dataset x engine x varying setting)
COLUMNS = [
    "dataset",
    "engine",
    "kind",
    "task",
    "setting",
    "metric",
    "n_groups",
    "verdict",
    "verdict_text",
    "gain_relative",
    "gain_ci_low",
    "gain_ci_high",
    "band",
]
RULES = ("best", "smallest")


def _points(fits: pd.DataFrame, groups: set) -> pd.DataFrame:
    """One row per candidate setting of each dataset x engine x setting: mean and standard error of the validation
    error over the complete fold groups that all have it, mean test error, leaves, and its parameters."""
    ok = fits[(fits.status == "ok") & fits.group_id.isin(groups) & fits.valid_error.notna()].copy()
    if ok.empty:
        return pd.DataFrame()
    for col, fill in (
        ("penalty", np.nan),
        ("n_trees", np.nan),
        ("reg_alpha", np.nan),
        ("reg_lambda", np.nan),
        ("reg_alpha_units", "raw"),
        ("reg_lambda_units", "raw"),
        ("is_default", False),
    ):
        if col not in ok:
            ok[col] = fill
    kind = inference.record_kinds(ok)
    ok["kind"] = kind
    ok["setting"] = inference.setting_labels(ok)
    booster = kind == "booster"
    ok["alpha_grid"] = inference.grid_value(ok, "reg_alpha") if "reg_alpha" in ok else np.nan
    ok["lambda_grid"] = inference.grid_value(ok, "reg_lambda") if "reg_lambda" in ok else np.nan
    default = inference.flag(ok, "is_default", False)
    # the default is its own candidate (off the grid for XGBoost); grid points by their grid values
    ok["point"] = np.where(
        default,
        "default",
        np.where(
            booster,
            "α " + ok.alpha_grid.map(repr) + " λ " + ok.lambda_grid.map(repr),
            "p " + inference.column(ok, "penalty").map(repr),
        ),
    )
    zero = inference.column(ok, "zero_leaf_frac").fillna(0.0)
    ok["leaves"] = np.where(
        booster,
        inference.column(ok, "n_leaves_mean") * (1 - zero),
        1 - inference.column(ok, "zero_coef_frac").fillna(0.0),
    )
    ok["test_train_ratio"] = ok.n_test / ok.n_train
    keys = ["dataset", "engine", "setting", "point"]
    agg = (
        ok.groupby(keys, sort=True)
        .agg(
            kind=("kind", "first"),
            task=("task", "first"),
            metric=("primary_metric", "first"),
            n=("group_id", "nunique"),
            valid_mean=("valid_error", "mean"),
            valid_sd=("valid_error", "std"),
            test_mean=("test_error", "mean"),
            test_sd=("test_error", "std"),
            ratio=("test_train_ratio", "mean"),
            leaves=("leaves", "mean"),
            n_trees=("n_trees", "median"),
            reg_alpha=("reg_alpha", "median"),
            reg_lambda=("reg_lambda", "median"),
            alpha_grid=("alpha_grid", "first"),
            lambda_grid=("lambda_grid", "first"),
            alpha_units=("reg_alpha_units", "first"),
            lambda_units=("reg_lambda_units", "first"),
            penalty=("penalty", "first"),
            is_default=("is_default", "first"),
            fit_id=("fit_id", "first"),
            params_json=("params_json", "first"),
        )
        .reset_index()
    )
    full = agg.groupby(["dataset", "engine", "setting"]).n.transform("max")
    agg = agg[agg.n == full]  # a setting every complete group has
    agg["valid_se"] = agg.valid_sd.fillna(0.0) / np.sqrt(agg.n)
    return agg


def _stronger_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Order candidates from the most regularized (the tie-break everywhere)."""
    if rows.kind.iloc[0] == "booster":
        return rows.sort_values(["reg_alpha", "reg_lambda"], ascending=False, kind="mergesort")
    c_type = inference.least_penalized_is_largest(str(rows.engine.iloc[0]))
    return rows.sort_values("penalty", ascending=c_type, kind="mergesort")


def _verdict(row, band: float) -> tuple[str, str]:
    lo, hi, m = row.get("rel_gain_ci_low"), row.get("rel_gain_ci_high"), row.get("gain_vs_default_relative")
    if not (np.isfinite(lo) and np.isfinite(hi)) or not row.get("complete", True):
        why = "incomplete fold groups" if not row.get("complete", True) else "fewer than 2 complete fold groups"
        return "not enough evidence", f"not enough evidence ({why})"
    interval = f"{pct(m)} [{pct(lo)}, {pct(hi)}]"
    if lo > 0:
        return "tune", f"tune: {interval} lower test error than the default"
    if -band < lo and hi < band:
        return "keep the default", f"keep the default: no difference beyond ±{band:.0%} ({interval})"
    if hi < 0:
        return "keep the default", f"keep the default: tuning lost {interval}"
    return "not enough evidence", f"not enough evidence: {interval}"


def answer_table(fits: pd.DataFrame, identity: dict | None = None, *, band: float = BAND) -> pd.DataFrame:
    """Per dataset x engine (x varying setting): the verdict and the ``best`` and ``smallest`` settings.

    Columns: those of ``COLUMNS`` plus, for each rule R in ("best", "smallest"): R_point (label), R_reg_alpha,
    R_reg_lambda (raw medians over folds), R_alpha_relative, R_lambda_relative (relative grids), R_penalty
    (baselines), R_is_default, R_valid_error, R_valid_se, R_test_error, R_test_ci_low, R_test_ci_high (corrected
    interval), R_size (leaves that carry a value per tree; baselines the share of non-zero coefficients), R_n_trees
    (median rounds kept), R_params_json, R_fit_id.
    """
    summary = summary_table(fits, identity)
    if summary.empty:
        return pd.DataFrame(columns=COLUMNS)
    status = inference.group_status(fits, identity)
    points = _points(fits, set(status.group_id[status.complete]))
    rows = []
    for r in summary.to_dict(orient="records"):
        verdict, text = _verdict(r, band)
        row = {
            "dataset": r["dataset"],
            "engine": r["engine"],
            "kind": r["kind"],
            "task": r.get("task"),
            "setting": r["setting"],
            "metric": r.get("metric"),
            "n_groups": r["n_groups"],
            "verdict": verdict,
            "verdict_text": text,
            "gain_relative": r.get("gain_vs_default_relative"),
            "gain_ci_low": r.get("rel_gain_ci_low"),
            "gain_ci_high": r.get("rel_gain_ci_high"),
            "band": band,
        }
        cand = (
            points[(points.dataset == r["dataset"]) & (points.engine == r["engine"]) & (points.setting == r["setting"])]
            if len(points)
            else points
        )
        if len(cand):
            cand = _stronger_first(cand)
            best = cand.sort_values("valid_mean", kind="mergesort").iloc[0]  # stable: the most regularized of equals
            within = cand[cand.valid_mean <= best.valid_mean + best.valid_se + 1e-12]
            small = within.sort_values("leaves", kind="mergesort").iloc[0] if r["kind"] == "booster" else within.iloc[0]
            if r["kind"] == "booster" and not small.leaves < best.leaves:
                small = best  # no smaller model within noise: the best is the smallest

            for tag, p in (("best", best), ("smallest", small)):
                row.update(_point_columns(tag, p))
        rows.append(row)
    return pd.DataFrame(rows)


def _point_columns(tag: str, p: pd.Series) -> dict:
    booster = p.kind == "booster"
    # the outer-fold test error of this setting, with the corrected resampled t interval (from its mean and sd)
    half = (
        stdtrit(p.n - 1, 0.5 + inference.CONFIDENCE / 2) * np.sqrt((1 / p.n + p.ratio) * p.test_sd**2)
        if p.n > 1
        else np.nan
    )
    lo, hi = float(p.test_mean - half), float(p.test_mean + half)
    label = (
        "library default"
        if p.point == "default"
        else (
            inference.point_label(
                "booster",
                {
                    "reg_alpha": p.reg_alpha,
                    "reg_lambda": p.reg_lambda,
                    "reg_alpha_units": p.alpha_units,
                    "reg_lambda_units": p.lambda_units,
                    "reg_alpha_relative": p.alpha_grid,
                    "reg_lambda_relative": p.lambda_grid,
                },
            )
            if booster
            else inference.point_label("baseline", {"penalty": p.penalty}, p.engine)
        )
    )
    return {
        f"{tag}_point": label,
        f"{tag}_is_default": p.point == "default",
        f"{tag}_reg_alpha": float(p.reg_alpha) if booster else np.nan,
        f"{tag}_reg_lambda": float(p.reg_lambda) if booster else np.nan,
        f"{tag}_alpha_relative": float(p.alpha_grid) if booster and p.alpha_units == "relative" else np.nan,
        f"{tag}_lambda_relative": float(p.lambda_grid) if booster and p.lambda_units == "relative" else np.nan,
        f"{tag}_penalty": np.nan if booster else float(p.penalty),
        f"{tag}_valid_error": float(p.valid_mean),
        f"{tag}_valid_se": float(p.valid_se),
        f"{tag}_test_error": float(p.test_mean),
        f"{tag}_test_ci_low": lo,
        f"{tag}_test_ci_high": hi,
        f"{tag}_size": float(p.leaves),
        f"{tag}_n_trees": float(p.n_trees),
        f"{tag}_params_json": p.params_json,
        f"{tag}_fit_id": p.fit_id,
    }
