"""Tidy frames for the report from fit records: surfaces, validation paths, learning curves, penalty paths and
the prior comparison.

Everything here is a pure function of the records. Selection, gains and intervals come from
:mod:`boostreg.inference` and :mod:`boostreg.tables`, so the report, ``boostreg summary`` and the claims
(:mod:`boostreg.analysis.claims`) cannot disagree.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import inference, tables
from ..engines.penalty_axis import booster_kind
from ..inference import corrected_t, error_range, grid_value


def _is_booster(fits: pd.DataFrame) -> np.ndarray:
    """Which records are of a booster (their ``kind``; the registry's word for records without it)."""
    return np.asarray(inference.record_kinds(fits) == "booster")


@tables.shared_frame  # the report's sections ask for it about 24 times of the same frame
def booster_fits(fits: pd.DataFrame) -> pd.DataFrame:
    """Successful booster fits that belong to the study's grid, with the fixed setting as one label and each
    penalty as its grid gave it (``alpha_grid``, ``lambda_grid``; relative or raw, said by ``*_units``)."""
    df = fits[(fits.status == "ok") & _is_booster(fits)]
    if "in_grid" in df:
        df = df[df.in_grid.fillna(True).astype(bool)]
    if df.empty:
        return df.assign(
            setting=pd.Series(dtype=object), alpha_grid=pd.Series(dtype=float), lambda_grid=pd.Series(dtype=float)
        )
    units = {}
    for k in ("reg_alpha", "reg_lambda"):  # a 0 is raw in any grid: a dataset x engine is relative if any point is
        rel = (df[f"{k}_units"] == "relative") if f"{k}_units" in df else pd.Series(False, index=df.index)
        any_rel = rel.groupby([df.dataset, df.engine]).transform("any")
        units[k] = pd.Series(np.where(any_rel, "relative", "raw"), index=df.index)
    return df.assign(
        setting=df.params_json.map(_setting_label) if "params_json" in df else "",
        alpha_grid=grid_value(df, "reg_alpha"),
        lambda_grid=grid_value(df, "reg_lambda"),
        alpha_units=units["reg_alpha"],
        lambda_units=units["reg_lambda"],
    )


def _setting_label(params_json) -> str:
    """The non-penalty parameters (learning_rate, depth, ...) of a fit's ``params_json`` as a short label."""
    params = json.loads(params_json) if isinstance(params_json, str) else {}
    keep = {k: v for k, v in params.items() if k not in ("reg_alpha", "reg_lambda")}
    return ", ".join(f"{k}={v}" for k, v in sorted(keep.items()))


def main_setting(df: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and engine, the rows of the most common fixed setting (the whole grid when there is one)."""
    if df.empty:
        return df
    top = df.groupby(["dataset", "engine"]).setting.agg(lambda s: s.value_counts().index[0])
    keep = df.set_index(["dataset", "engine"]).index.map(top.to_dict()) == df.setting
    return df[np.asarray(keep)]


def axis_label(units: str, key: str) -> str:
    """How a penalty axis is labelled: 'reg_alpha / α_max' for relative grids, 'reg_alpha' for raw ones."""
    if units == "relative":
        return "reg_alpha / α_max" if key == "reg_alpha" else "reg_lambda / H̄"
    return key


def surface(fits: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean of ``value`` over folds and seeds at every grid point, per dataset and engine.

    Columns: dataset, engine, reg_alpha, reg_lambda (the grid values: relative for relative grids),
    alpha_units, lambda_units, ``value``, n_fits.
    """
    df = main_setting(booster_fits(fits))
    if df.empty:
        return pd.DataFrame()
    out = (
        df.groupby(["dataset", "engine", "alpha_grid", "lambda_grid", "alpha_units", "lambda_units"])[value]
        .agg(["mean", "count"])
        .reset_index()
    )
    return out.rename(
        columns={"mean": value, "count": "n_fits", "alpha_grid": "reg_alpha", "lambda_grid": "reg_lambda"}
    )


def surface_marks(fits: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and engine, the grid cells to mark on a heatmap: the setting selected most often on the
    validation split, and the library default when the grid holds it (columns: dataset, engine, mark,
    reg_alpha, reg_lambda in grid units)."""
    rows = []
    sel = tables.selection_table(fits)  # empty without a validation split
    for (dataset, engine), g in sel[sel.kind == "booster"].groupby(["dataset", "engine"]) if not sel.empty else []:
        counts = g[g.selected_in_grid].groupby(["selected_alpha_grid", "selected_lambda_grid"]).size()
        if len(counts):
            a, l = counts.sort_values(ascending=False, kind="mergesort").index[0]
            rows.append({"dataset": dataset, "engine": engine, "mark": "selected", "reg_alpha": a, "reg_lambda": l})
    df = booster_fits(fits)
    if "is_default" in df:
        default = df[df.is_default.fillna(False).astype(bool)]
        for (dataset, engine), g in default.groupby(["dataset", "engine"]):
            rows.append(
                {
                    "dataset": dataset,
                    "engine": engine,
                    "mark": "default",
                    "reg_alpha": float(g.alpha_grid.iloc[0]),
                    "reg_lambda": float(g.lambda_grid.iloc[0]),
                }
            )
    return pd.DataFrame(rows, columns=["dataset", "engine", "mark", "reg_alpha", "reg_lambda"])


def _band(values, ratio: float, metric: str) -> tuple[float, float, float]:
    est = corrected_t(values, ratio)
    lo, hi = error_range(metric)  # the values are ``*_error``: the primary metric as a loss
    return est.mean, float(np.clip(est.ci_low, lo, hi)), float(np.clip(est.ci_high, lo, hi))


def validation_path(fits: pd.DataFrame) -> pd.DataFrame:
    """Train and test error along each penalty with the other at 0: mean and band over folds x seeds.

    Columns: dataset, engine, axis ("reg_alpha" | "reg_lambda"), units, penalty (grid value), split
    ("train" | "test"), metric, mean, ci_low, ci_high, n_fits. Bands are corrected resampled t intervals
    (Nadeau & Bengio) clipped to the metric's range.
    """
    df = main_setting(booster_fits(fits))
    rows = []
    for axis, _other, col, ocol in (
        ("reg_alpha", "reg_lambda", "alpha_grid", "lambda_grid"),
        ("reg_lambda", "reg_alpha", "lambda_grid", "alpha_grid"),
    ):
        sub = df[df[ocol] == 0]
        for (dataset, engine, penalty), g in sub.groupby(["dataset", "engine", col]):
            ratio = float((g.n_test / g.n_train).mean())
            metric = g.primary_metric.iloc[0]
            units = g[f"{'alpha' if axis == 'reg_alpha' else 'lambda'}_units"].iloc[0]
            for split in ("train", "test"):
                m, lo, hi = _band(g[f"{split}_error"], ratio, metric)
                rows.append(
                    {
                        "dataset": dataset,
                        "engine": engine,
                        "axis": axis,
                        "units": units,
                        "penalty": penalty,
                        "split": split,
                        "metric": metric,
                        "mean": m,
                        "ci_low": lo,
                        "ci_high": hi,
                        "n_fits": len(g),
                    }
                )
    return pd.DataFrame(rows)


def default_points(fits: pd.DataFrame) -> pd.DataFrame:
    """Each booster's library default placed on the validation paths: axis, position in grid units, mean train
    and test error (columns: dataset, engine, axis, penalty, split, mean)."""
    ok = fits[(fits.status == "ok") & _is_booster(fits)]
    if "is_default" not in ok or ok.empty:
        return pd.DataFrame()
    ok = ok[ok.is_default.fillna(False).astype(bool)]
    rows = []
    for (dataset, engine), g in ok.groupby(["dataset", "engine"]):
        a, l = float(g.reg_alpha.iloc[0]), float(g.reg_lambda.iloc[0])
        if a != 0 and l != 0:
            continue
        axis, key = ("reg_lambda", "reg_lambda") if a == 0 else ("reg_alpha", "reg_alpha")
        grid = booster_fits(fits)
        grid = grid[(grid.dataset == dataset) & (grid.engine == engine)]
        units = grid[f"{'alpha' if key == 'reg_alpha' else 'lambda'}_units"]
        relative = bool(len(units) and (units == "relative").any())
        x = float(g[f"{key}_relative"].mean()) if relative and f"{key}_relative" in g else float(g[key].iloc[0])
        for split in ("train", "test"):
            rows.append(
                {
                    "dataset": dataset,
                    "engine": engine,
                    "axis": axis,
                    "penalty": x,
                    "split": split,
                    "mean": float(g[f"{split}_error"].mean()),
                }
            )
    return pd.DataFrame(rows)


def learning_curves(fits: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Mean train and test error per round of three fits of each fold group: unpenalized, library default and
    validation-selected (columns: dataset, engine, label, round, train_error, test_error, n_groups).

    Only fits that kept a per-round training curve count (with ``curves = "checked"``, the theory-checked ones:
    fold 0 of the first seed and a sample of the rest), so both curves average the same fits; ``n_groups`` says
    over how many fold groups."""
    if curves.empty or not inference.has_validation(fits):
        return pd.DataFrame()
    sel = tables.selection_table(fits)
    if sel.empty:
        return pd.DataFrame()
    ok = fits[(fits.status == "ok") & _is_booster(fits)]
    picks = [ok[(ok.reg_alpha == 0) & (ok.reg_lambda == 0)].assign(label="unpenalized")]
    if "is_default" in ok:
        picks.append(ok[ok.is_default.fillna(False).astype(bool)].assign(label="library default"))
    picks.append(ok[ok.fit_id.isin(sel.selected_fit_id)].assign(label="selected on validation"))
    chosen = pd.concat(picks)[["fit_id", "dataset", "engine", "label"]]
    joined = curves.merge(chosen, on="fit_id")
    joined = joined[joined.train_error.notna().groupby(joined.fit_id).transform("any").to_numpy(dtype=bool)]
    keys = ["dataset", "engine", "label", "round"]
    mean = joined.groupby(keys)[["train_error", "test_error"]].mean()
    return mean.assign(n_groups=joined.groupby(keys).fit_id.nunique()).reset_index()


# ---------------------------------------------------------------------------------------------- one axis for all

PATH_MEASURES = {
    "shrinkage vs unpenalized": "shrinkage_vs_unpenalized",
    "exact-zero fraction (leaves / coefficients)": "zero_frac",
    "noise features used": "n_noise_features_used",
    "test error / least-penalized test error": "test_error_ratio",
}
#: a fit's ``penalty_kind`` (the vocabulary of boostreg.penalty_axis) as the figures name it; the kind with both
#: penalties is the one penalty_axis gives two nonzero booster penalties
KIND_LABELS = {"l1": "L1", "l2": "L2", booster_kind(1.0, 1.0): "L1+L2", "c": "L2 (C)"}
#: penalties are pooled across datasets in bins of this many decades of the normalized axis
BIN_DECADES = 0.25


def _axis_bin(x: pd.Series) -> pd.Series:
    """A normalized penalty's bin: the same relative grid value always lands in the same bin (exact match), raw
    grids are pooled by quarter decades, 0 is a bin of its own."""
    v = x.to_numpy(dtype=float)
    out = np.full(len(v), np.nan)
    pos = v > 0
    out[pos] = np.round(np.log10(v[pos]) / BIN_DECADES)
    out[v == 0] = -np.inf
    return pd.Series(out, index=x.index)


def penalty_paths(fits: pd.DataFrame) -> pd.DataFrame:
    """Boosters' L1 and L2 paths and every baseline's path on the normalized penalty axis, one row per point.

    Columns: model, kind, bin, penalty_normalized (mean within the bin), measure, value (mean), n_fits.
    Points are pooled across datasets by their value relative to the data (never by the raw penalty):
    boosters' L1 path (reg_lambda = 0) on alpha_normalized = reg_alpha / alpha_max, the L2 path (reg_alpha =
    0) on lambda_normalized; baselines on their own penalty_normalized. Empty without a normalized axis.
    """
    if "penalty_normalized" not in fits or fits.penalty_normalized.isna().all():
        return pd.DataFrame()
    ok = fits[fits.status == "ok"].copy()
    zero = ok["zero_coef_frac"] if "zero_coef_frac" in ok else pd.Series(np.nan, index=ok.index)
    ok["zero_frac"] = ok.zero_leaf_frac.fillna(zero)
    ref = ok.sort_values("penalty_normalized").groupby("group_id").test_error.first()
    ref = ok.group_id.map(ref)
    # a ratio of losses: NaN where the reference is not positive (the negated score of a user's metric)
    ok["test_error_ratio"] = (ok.test_error / ref).where(ref > 0)
    parts = []
    boost = main_setting(booster_fits(ok))
    if not boost.empty:
        l1 = boost[boost.reg_lambda == 0].assign(kind="L1", x=lambda d: d.alpha_normalized)
        l2 = boost[boost.reg_alpha == 0].assign(kind="L2", x=lambda d: d.lambda_normalized)
        parts += [l1.assign(model=l1.engine), l2.assign(model=l2.engine)]
    base = ok[~_is_booster(ok)]
    if not base.empty:
        parts.append(
            base.assign(
                kind=base.penalty_kind.map(KIND_LABELS).fillna(base.penalty_kind),
                x=base.penalty_normalized,
                model=base.engine,
            )
        )
    rows = []
    for part in parts:
        part = part.assign(bin=_axis_bin(part.x))
        part = part[part.bin.notna()]
        for (model, kind, b), g in part.groupby(["model", "kind", "bin"]):
            for label, col in PATH_MEASURES.items():
                val = g[col].mean()
                if np.isfinite(val):
                    rows.append(
                        {
                            "model": model,
                            "kind": kind,
                            "bin": b,
                            "penalty_normalized": float(g.x.mean()),
                            "measure": label,
                            "value": val,
                            "n_fits": len(g),
                        }
                    )
    return pd.DataFrame(rows)


def penalty_paths_commentary(paths: pd.DataFrame) -> list[str]:
    """Sentences on sparsity from :func:`penalty_paths`: which models reach exact zeros, and how many."""
    if paths.empty:
        return []
    z = paths[paths.measure == "exact-zero fraction (leaves / coefficients)"]
    top = z.groupby(["model", "kind"]).value.max().sort_values(ascending=False)
    never = [f"{m} ({k})" for (m, k), v in top.items() if v == 0]
    some = [f"{m} ({k}) {v:.0%}" for (m, k), v in top.items() if v > 0]
    out = [f"Largest exact-zero fraction along each path: {', '.join(some) if some else 'none'}."]
    if never:
        out.append(f"Never a single exact zero: {', '.join(never)}.")
    return out


PRIOR_NOTE = (
    "The learned weights are shown beside zero-mean Laplace and Gaussian fits, without a verdict: the "
    "difference of their mean log-likelihoods is exactly log(σ/b) − 0.2742 (b = mean |w|, σ = √mean w²), "
    "a function of one ratio that exact zeros and heavy tails both raise, and leaves pooled over many "
    "shrinking rounds are heavy-tailed whatever the penalty."
)


def prior_ratio(fits: pd.DataFrame) -> pd.DataFrame:
    """Per booster engine and kind of fit (unpenalized / L1-only / L2-only at the selected or matched setting),
    the share of fits where the Laplace fit has the higher mean log-likelihood (the figure's companion)."""
    df = booster_fits(fits)
    if df.empty or "prior_loglik_laplace" not in df:
        return pd.DataFrame()
    kind = np.where(
        (df.reg_alpha == 0) & (df.reg_lambda == 0),
        "unpenalized",
        np.where(df.reg_lambda == 0, "L1 only", np.where(df.reg_alpha == 0, "L2 only", "both")),
    )
    wins = (df.prior_loglik_laplace > df.prior_loglik_gauss).astype(float)
    return (
        df.assign(kind=kind, laplace_wins=wins)
        .groupby(["engine", "kind"])
        .agg(fits=("fit_id", "count"), laplace_share=("laplace_wins", "mean"))
        .reset_index()
    )
