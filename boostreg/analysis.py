"""Tidy frames from fit records: aggregates with confidence intervals, validation paths, and the claims ledger.

Everything here is a pure function of the records (and the optional leaves and dynamics tables). The report
and the guide only lay these frames out; every verdict in the claims ledger is computed by a stated rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

BOOSTERS = ("xgboost", "lightgbm")
CONFIDENCE = 0.95


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and a t-interval over independent-ish replicates (folds x seeds); (mean, nan, nan) for one value."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan, np.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - half, m + half


def median_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Median and a seeded percentile-bootstrap interval."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan, np.nan
    if len(v) < 3 or np.ptp(v) == 0:
        return float(np.median(v)), np.nan, np.nan
    res = stats.bootstrap((v,), np.median, confidence_level=confidence, n_resamples=999, random_state=0,
                          method="percentile")
    return float(np.median(v)), float(res.confidence_interval.low), float(res.confidence_interval.high)


def booster_fits(fits: pd.DataFrame) -> pd.DataFrame:
    """Successful booster fits that belong to the study's grid, with the fixed setting as one label."""
    df = fits[(fits.status == "ok") & fits.engine.isin(BOOSTERS)]
    if "in_grid" in df:
        df = df[df.in_grid.fillna(True).astype(bool)]
    return df.assign(setting=df.apply(_setting_label, axis=1))


def _setting_label(row) -> str:
    """The non-penalty parameters that vary in a grid (learning_rate, depth, ...) as a short label."""
    import json

    params = json.loads(row["params_json"]) if isinstance(row.get("params_json"), str) else {}
    keep = {k: v for k, v in params.items() if k not in ("reg_alpha", "reg_lambda")}
    return ", ".join(f"{k}={v}" for k, v in sorted(keep.items()))


def main_setting(df: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and engine, the rows of the most common fixed setting (the whole grid when there is one)."""
    if df.empty:
        return df
    top = df.groupby(["dataset", "engine"]).setting.agg(lambda s: s.value_counts().index[0])
    keep = df.set_index(["dataset", "engine"]).index.map(top.to_dict()) == df.setting
    return df[np.asarray(keep)]


def surface(fits: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean of ``value`` over folds and seeds at every (reg_alpha, reg_lambda), per dataset and engine."""
    df = main_setting(booster_fits(fits))
    out = df.groupby(["dataset", "engine", "reg_alpha", "reg_lambda"])[value].agg(["mean", "count"]).reset_index()
    return out.rename(columns={"mean": value, "count": "n_fits"})


def validation_path(fits: pd.DataFrame, value: str = "test_error") -> pd.DataFrame:
    """``value`` along each penalty axis with the other at 0: mean and CI over folds x seeds.

    Columns: dataset, engine, axis ("reg_alpha" | "reg_lambda"), penalty, mean, ci_low, ci_high, n_fits.
    """
    df = main_setting(booster_fits(fits))
    rows = []
    for axis, other in (("reg_alpha", "reg_lambda"), ("reg_lambda", "reg_alpha")):
        sub = df[df[other] == 0]
        for (dataset, engine, penalty), g in sub.groupby(["dataset", "engine", axis]):
            m, lo, hi = mean_ci(g[value])
            rows.append({"dataset": dataset, "engine": engine, "axis": axis, "penalty": penalty, "mean": m,
                         "ci_low": lo, "ci_high": hi, "n_fits": len(g)})
    return pd.DataFrame(rows)


def best_settings(fits: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and engine: the unpenalized, the best, and the most penalized grid point by mean test error."""
    df = main_setting(booster_fits(fits))
    rows = []
    for (dataset, engine), g in df.groupby(["dataset", "engine"]):
        means = g.groupby(["reg_alpha", "reg_lambda"]).test_error.mean()
        best = means.idxmin()
        top = (g.reg_alpha.max(), g.reg_lambda.max())
        for label, point in (("unpenalized", (0.0, 0.0)), ("best", best), ("most penalized", top)):
            if point in means.index:
                rows.append({"dataset": dataset, "engine": engine, "label": label, "reg_alpha": point[0],
                             "reg_lambda": point[1], "test_error": means[point]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- one axis for all

PATH_MEASURES = {
    "shrinkage vs unpenalized": "shrinkage_vs_unpenalized",
    "exact-zero fraction (leaves / coefficients)": "zero_frac",
    "noise features used": "n_noise_features_used",
    "test error / least-penalized test error": "test_error_ratio",
}


def penalty_paths(fits: pd.DataFrame) -> pd.DataFrame:
    """Boosters' L1 and L2 paths and every baseline's path on the normalized penalty axis, one row per point.

    Columns: model, kind, penalty (as given), penalty_normalized (mean over datasets and folds at that grid
    point), measure, value (mean). Boosters' L1 path has reg_lambda = 0 (x = alpha_normalized), the L2 path
    reg_alpha = 0 (x = lambda_normalized). Empty when the records carry no normalized axis.
    """
    if "penalty_normalized" not in fits or fits.penalty_normalized.isna().all():
        return pd.DataFrame()
    ok = fits[fits.status == "ok"].copy()
    zero = ok["zero_coef_frac"] if "zero_coef_frac" in ok else pd.Series(np.nan, index=ok.index)
    ok["zero_frac"] = ok.zero_leaf_frac.fillna(zero)
    ref = ok.sort_values("penalty_normalized").groupby("group_id").test_error.first()
    ok["test_error_ratio"] = ok.test_error / ok.group_id.map(ref)
    parts = []
    boost = main_setting(booster_fits(ok))
    if not boost.empty:
        l1 = boost[boost.reg_lambda == 0].assign(kind="L1", penalty=lambda d: d.reg_alpha, x=lambda d: d.alpha_normalized)
        l2 = boost[boost.reg_alpha == 0].assign(kind="L2", penalty=lambda d: d.reg_lambda, x=lambda d: d.lambda_normalized)
        parts += [l1.assign(model=l1.engine), l2.assign(model=l2.engine)]
    base = ok[~ok.engine.isin(BOOSTERS)]
    if not base.empty:
        kinds = {"l1": "L1", "l2": "L2", "elasticnet": "L1+L2", "c": "L2 (C)"}
        parts.append(base.assign(kind=base.penalty_kind.map(kinds).fillna(base.penalty_kind), x=base.penalty_normalized,
                                 model=base.engine))
    rows = []
    for part in parts:
        for (model, kind, penalty), g in part.groupby(["model", "kind", "penalty"]):
            for label, col in PATH_MEASURES.items():
                val = g[col].mean()
                if np.isfinite(val):
                    rows.append({"model": model, "kind": kind, "penalty": penalty, "penalty_normalized": g.x.mean(),
                                 "measure": label, "value": val})
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


# ---------------------------------------------------------------------------------------------- claims

@dataclass
class Claim:
    """One claim of the L1/L2 story, its computed verdict, effect size with CI, and the rows it rests on."""

    claim: str
    verdict: str
    effect: float
    ci_low: float
    ci_high: float
    effect_label: str
    rule: str
    evidence: str
    n_rows: int
    details: list[str] = field(default_factory=list)


def _paired(df: pd.DataFrame, value: str, base: dict, treated: dict) -> pd.DataFrame:
    """Per (dataset, engine, fold, seed): ``value`` at the treated point minus at the base point."""
    keys = ["dataset", "engine", "fold", "seed"]

    def pick(point):
        mask = np.ones(len(df), dtype=bool)
        for k, v in point.items():
            mask &= np.isclose(df[k].to_numpy(dtype=float), v)
        return df[mask].set_index(keys)[value]

    a, b = pick(treated), pick(base)
    joined = pd.concat([a.rename("treated"), b.rename("base")], axis=1).dropna()
    return joined.assign(diff=joined.treated - joined.base).reset_index()


def _verdict_by_share(per_group: pd.Series, min_share: float = 1.0) -> str:
    """'holds' when every group agrees, 'partly' when some do, 'does not hold here' when none."""
    if len(per_group) == 0:
        return "not measured"
    share = float(per_group.mean())
    if share >= min_share:
        return "holds"
    return "partly" if share > 0 else "does not hold here"


def _direction_claim(df, claim, value, treated_fn, sign, effect_label, evidence):
    """A claim that ``value`` moves in direction ``sign`` from the unpenalized fit to a penalized point.

    Per dataset and engine the paired fold x seed differences get a t-interval; the claim holds for that
    group when the whole interval lies on the claimed side of 0. Verdict: holds (all groups), partly (some),
    does not hold here (none).
    """
    parts, per_group, details = [], {}, []
    for (dataset, engine), g in df.groupby(["dataset", "engine"]):
        treated = treated_fn(g)
        if treated is None:
            continue
        d = _paired(g, value, {"reg_alpha": 0.0, "reg_lambda": 0.0}, treated)
        if d.empty:
            continue
        m, lo, hi = mean_ci(d["diff"])
        ok = (lo > 0) if sign > 0 else (hi < 0)
        if np.isnan(lo):
            ok = (m > 0) if sign > 0 else (m < 0)
        per_group[(dataset, engine)] = ok
        details.append(f"{dataset} / {engine}: {m:+.4g} [{lo:+.4g}, {hi:+.4g}] "
                       f"at reg_alpha={treated['reg_alpha']:g}, reg_lambda={treated['reg_lambda']:g}")
        parts.append(d)
    pooled = pd.concat(parts) if parts else pd.DataFrame({"diff": [], "base": []})
    nonzero = pooled[pooled.base != 0]
    # relative, so datasets of any scale pool; the median, because a base near 0 makes a few ratios huge
    m, lo, hi = median_ci(nonzero["diff"] / nonzero["base"].abs())
    side = "above" if sign > 0 else "below"
    return Claim(claim, _verdict_by_share(pd.Series(per_group, dtype=bool)), m, lo, hi, effect_label,
                 f"per dataset x engine, the {int(CONFIDENCE * 100)}% t-interval of paired fold x seed differences "
                 f"lies {side} 0: holds if in every group, partly if in some, does not hold here if in none",
                 evidence, len(pooled) * 2, details)


def claims_ledger(fits: pd.DataFrame, leaves: pd.DataFrame | None = None) -> list[Claim]:
    """Each claim of the L1/L2 story with a verdict computed from this run's records."""
    df = main_setting(booster_fits(fits))
    out = []
    if df.empty:
        return out
    max_alpha = lambda g: {"reg_alpha": g.reg_alpha.max(), "reg_lambda": 0.0} if g.reg_alpha.max() > 0 else None
    max_lambda = lambda g: {"reg_alpha": 0.0, "reg_lambda": g.reg_lambda.max()} if g.reg_lambda.max() > 0 else None
    max_both = lambda g: {"reg_alpha": g.reg_alpha.max(), "reg_lambda": g.reg_lambda.max()}

    # 1. L1 gives exact zeros and L2 never does
    l1 = df[(df.reg_alpha > 0)]
    no_l1 = df[df.reg_alpha == 0]
    l1_zero = l1.groupby(["dataset", "engine"]).zero_leaf_frac.max() > 0
    l2_never = bool((no_l1.zero_leaf_frac == 0).all())
    at_max = df[df.reg_alpha == df.groupby(["dataset", "engine"]).reg_alpha.transform("max")]
    m, lo, hi = mean_ci(at_max[at_max.reg_lambda == 0].zero_leaf_frac)
    if len(l1_zero) == 0:
        verdict = "not measured"
    elif l1_zero.all() and l2_never:
        verdict = "holds"
    elif l1_zero.any() or l2_never:
        verdict = "partly"
    else:
        verdict = "does not hold here"
    out.append(Claim(
        "L1 gives exact zeros and L2 never does", verdict, m, lo, hi, "zero-leaf fraction at the largest reg_alpha",
        "holds if every dataset x engine has some fit with reg_alpha > 0 and exactly-zero leaves AND no fit with "
        "reg_alpha = 0 has any; partly if one of the two; does not hold here if neither",
        f"{len(l1)} fits with reg_alpha > 0, {len(no_l1)} with reg_alpha = 0 "
        f"({int((no_l1.zero_leaf_frac > 0).sum())} of them with zero leaves)", len(df),
        [f"{d} / {e}: largest zero-leaf fraction {v:.3f}" for (d, e), v in
         l1.groupby(["dataset", "engine"]).zero_leaf_frac.max().items()]))

    # 2. L2 shrinks in proportion to size; L1 removes a constant amount (from the leaves table)
    out.append(_shrink_shape_claim(leaves))

    # 3. L1 acts as feature selection
    synth = df[df.n_noise_features_used.notna()]
    if synth.empty:
        out.append(Claim("L1 acts as feature selection (noise features dropped)", "not measured", np.nan, np.nan,
                         np.nan, "change in noise features used", "needs a synthetic dataset with known noise features",
                         "no synthetic dataset in this run", 0))
    else:
        out.append(_direction_claim(
            synth, "L1 acts as feature selection (noise features dropped)", "n_noise_features_used", max_alpha, -1,
            "relative change in noise features used, largest reg_alpha vs unpenalized (pooled median)",
            f"{len(synth)} fits on synthetic data with known noise features"))

    # 4. regularization narrows the train-test gap
    out.append(_direction_claim(df, "regularization narrows the train-test gap", "generalization_gap", max_both, -1,
                                "relative change in test - train error, most penalized vs unpenalized (pooled median)", f"{len(df)} fits"))
    # 5. reg_lambda limits tree size
    out.append(_direction_claim(df, "reg_lambda limits tree size", "n_leaves_mean", max_lambda, -1,
                                "relative change in leaves per tree, largest reg_lambda vs unpenalized (pooled median)", f"{len(df)} fits"))
    # 6. regularization raises training loss
    out.append(_direction_claim(df, "regularization raises training loss (moves the optimum)", "train_error",
                                max_both, +1, "relative change in training error, most penalized vs unpenalized (pooled median)",
                                f"{len(df)} fits"))
    # 7. learned weights look Laplace under L1, Gaussian under L2
    out.append(_prior_shape_claim(df))
    return out


def _shrink_shape_claim(leaves: pd.DataFrame | None) -> Claim:
    """Spearman correlation of the amount removed from a leaf with its unpenalized size, L2 fits vs L1 fits.

    With w_N = -lr G / H the unpenalized Newton step of the same leaf (same rows), the amount removed is
    |w_N| - |w|. L2 removes |w_N| * lambda / (H + lambda): it grows with the leaf's size. L1 removes
    lr * alpha / H (or all of it): not tied to the size.
    """
    name = "L2 shrinks in proportion to size while L1 removes a constant amount"
    if leaves is None or leaves.empty:
        return Claim(name, "not measured", np.nan, np.nan, np.nan, "", "needs the leaves table", "no leaves table", 0)
    lv = leaves[(leaves.H > 0)]
    wn = (-lv.learning_rate * lv.G / lv.H).abs()
    removed = wn - lv.value.abs()
    lv = lv.assign(size=wn, removed=removed)
    rho = {}
    for kind, sel in (("L2", (lv.reg_alpha == 0) & (lv.reg_lambda > 0)), ("L1", (lv.reg_alpha > 0) & (lv.reg_lambda == 0))):
        per_fit = [stats.spearmanr(g["size"], g["removed"]).statistic for _, g in lv[sel].groupby("fit_id")
                   if len(g) > 5 and g["size"].nunique() > 1 and g["removed"].nunique() > 1]  # rho needs variation
        rho[kind] = np.array([r for r in per_fit if np.isfinite(r)])
    if len(rho["L2"]) == 0 or len(rho["L1"]) == 0:
        return Claim(name, "not measured", np.nan, np.nan, np.nan, "", "needs L1-only and L2-only fits in the leaves table",
                     "not enough fits", 0)
    diff = rho["L2"].mean() - rho["L1"].mean()
    res = stats.bootstrap((rho["L2"], rho["L1"]), lambda a, b, axis=-1: a.mean(axis=axis) - b.mean(axis=axis),
                          n_resamples=999, random_state=0, vectorized=True)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    l2_mean = rho["L2"].mean()
    verdict = "holds" if (l2_mean > 0.5 and lo > 0) else ("partly" if lo > 0 or l2_mean > 0.5 else "does not hold here")
    return Claim(name, verdict, float(diff), lo, hi,
                 "Spearman rho(size, amount removed): L2 fits minus L1 fits",
                 "holds if the mean rho over L2-only fits exceeds 0.5 AND the bootstrap CI of (L2 - L1) lies above 0; "
                 "partly if one of the two; does not hold here if neither",
                 f"{len(rho['L2'])} L2-only and {len(rho['L1'])} L1-only fits, {len(lv)} leaves",
                 int(len(rho["L2"]) + len(rho["L1"])),
                 [f"mean rho L2-only: {rho['L2'].mean():.3f}", f"mean rho L1-only: {rho['L1'].mean():.3f}"])


def _prior_shape_claim(df: pd.DataFrame) -> Claim:
    """Does the Laplace fit the leaves better under L1 and the Gaussian better under L2 (mean log-likelihood)?"""
    name = "learned weights look Laplace under L1 and Gaussian under L2"
    if "prior_loglik_laplace" not in df or df.prior_loglik_laplace.isna().all():
        return Claim(name, "not measured", np.nan, np.nan, np.nan, "", "needs the prior-fit columns",
                     "no prior fits in these records", 0)
    d = df.prior_loglik_laplace - df.prior_loglik_gauss
    l1 = d[(df.reg_alpha == df.groupby(["dataset", "engine"]).reg_alpha.transform("max")) & (df.reg_lambda == 0)
           & (df.reg_alpha > 0)]
    l2 = -d[(df.reg_lambda == df.groupby(["dataset", "engine"]).reg_lambda.transform("max")) & (df.reg_alpha == 0)
            & (df.reg_lambda > 0)]
    m1, lo1, hi1 = mean_ci(l1)
    m2, lo2, hi2 = mean_ci(l2)
    laplace_ok, gauss_ok = bool(lo1 > 0), bool(lo2 > 0)
    verdict = "holds" if laplace_ok and gauss_ok else ("partly" if laplace_ok or gauss_ok else "does not hold here")
    return Claim(name, verdict, m1, lo1, hi1, "log-lik Laplace - Gaussian per weight at the largest reg_alpha",
                 "holds if the CI of (Laplace - Gaussian mean log-likelihood) lies above 0 at the largest reg_alpha AND "
                 "the CI of (Gaussian - Laplace) lies above 0 at the largest reg_lambda; partly if one; else does not hold",
                 f"{len(l1)} L1 fits, {len(l2)} L2 fits", int(len(l1) + len(l2)),
                 [f"L1: Laplace - Gauss {m1:+.3f} [{lo1:+.3f}, {hi1:+.3f}]",
                  f"L2: Gauss - Laplace {m2:+.3f} [{lo2:+.3f}, {hi2:+.3f}]"])
