"""The tuning guide: how much reg_alpha and reg_lambda are worth tuning, and where, computed from fit records.

Tunability follows Probst, Boulesteix & Bischl (2019, JMLR 20, "Tunability: Importance of Hyperparameters of
Machine Learning Algorithms"): per dataset, the gain of the best grid point over the library default,
d = best mean CV metric - mean CV metric at the default. The metric is test AUC for binary datasets and test
R² for regression (both higher is better and unit-free). "Mean" is over folds x seeds and over the other grid
settings (learning_rate, max_depth, ...) unless a table says it is for one level.

``build_guide`` is a pure function of the records; every sentence is chosen by a small rule function below
from the computed numbers. ``write_guide`` writes the HTML (autoescaped Jinja2) and Markdown files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .errors import BoostregError

BOOSTERS = ("xgboost", "lightgbm")
METRIC = {"binary": "test_auc", "regression": "test_r2"}
METRIC_NAME = {"binary": "AUC", "regression": "R²"}
#: A gain (in AUC or R²) at or above this is called material by the recipe rules.
MATERIAL_GAIN = 0.005
CONFIDENCE = 0.95
N_BOOT = 2000
BOOT_SEED = 0
SETTING_COLS = ("learning_rate", "max_depth", "num_leaves", "min_child_weight")
PUBLISHED_TUNABILITY = "about 0.002–0.004 AUC (Probst et al. 2019, Table 3)"
PUBLISHED_SPACES = {
    "xgboost": {"reg_alpha": "Probst et al. 2019 xgboost tuning space [0.0024, 6.11]",
                "reg_lambda": "Probst et al. 2019 xgboost tuning space [0.0077, 29.75]"},
    "lightgbm": {"reg_alpha": "Optuna LightGBM tuner: LogUniform[1e-8, 10] (lambda_l1)",
                 "reg_lambda": "Optuna LightGBM tuner: LogUniform[1e-8, 10] (lambda_l2)"},
}


def library_default(engine: str) -> tuple[float, float]:
    from .engines import ENGINES

    d = ENGINES[engine].library_defaults
    return float(d.get("reg_alpha", 0.0)), float(d.get("reg_lambda", 0.0))


# ---------------------------------------------------------------------------------------------- frames

def guide_rows(fits: pd.DataFrame) -> pd.DataFrame:
    """Successful booster fits of the grid, with ``metric`` = test AUC (binary) or test R² (regression)."""
    df = fits[(fits.status == "ok") & fits.engine.isin(BOOSTERS)].copy()
    if "in_grid" in df:
        df = df[df.in_grid.fillna(True).astype(bool)]
    df["metric"] = np.where(df.task == "binary", df.get("test_auc"), df.get("test_r2")).astype(float)
    return df[np.isfinite(df.metric)]


def _surface(df: pd.DataFrame) -> pd.DataFrame:
    """Mean metric at every (engine, dataset, reg_alpha, reg_lambda) over the rows given."""
    return (df.groupby(["engine", "dataset", "task", "reg_alpha", "reg_lambda"], as_index=False)
            .agg(metric=("metric", "mean"), n_train=("n_train", "mean")))


def tunability(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and dataset: metric at the library default and the gains d_alpha, d_lambda, d_both.

    d_alpha: best over reg_alpha with reg_lambda at its default; d_lambda: the converse; d_both: whole grid.
    NaN where the default point is not in the grid.
    """
    rows = []
    for (engine, dataset, task), g in _surface(df).groupby(["engine", "dataset", "task"]):
        a0, l0 = library_default(engine)
        at = g.set_index(["reg_alpha", "reg_lambda"]).metric
        default = at.get((a0, l0), np.nan)
        alpha_only = g[np.isclose(g.reg_lambda, l0)]
        lambda_only = g[np.isclose(g.reg_alpha, a0)]
        best = g.loc[g.metric.idxmax()]
        rows.append({
            "engine": engine, "dataset": dataset, "task": task, "metric_name": METRIC_NAME[task],
            "n_train": float(g.n_train.mean()), "default_metric": default,
            "d_alpha": alpha_only.metric.max() - default if len(alpha_only) else np.nan,
            "d_lambda": lambda_only.metric.max() - default if len(lambda_only) else np.nan,
            "d_both": best.metric - default,
            "best_alpha_only": alpha_only.loc[alpha_only.metric.idxmax()].reg_alpha if len(alpha_only) else np.nan,
            "best_lambda_only": lambda_only.loc[lambda_only.metric.idxmax()].reg_lambda if len(lambda_only) else np.nan,
            "best_alpha": best.reg_alpha, "best_lambda": best.reg_lambda, "best_metric": best.metric})
    return pd.DataFrame(rows)


def bootstrap_mean_ci(values, n_boot: int = N_BOOT, seed: int = BOOT_SEED,
                      confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean over datasets and a seeded percentile bootstrap interval (resampling datasets)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan, np.nan
    if len(v) < 2:
        return float(v.mean()), np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    q = (1 - confidence) / 2
    return float(v.mean()), float(np.quantile(means, q)), float(np.quantile(means, 1 - q))


def tunability_summary(tun: pd.DataFrame) -> pd.DataFrame:
    """Mean tunability across datasets with a bootstrap CI, per engine, per task and pooled ("all")."""
    rows = []
    for engine, g in tun.groupby("engine"):
        parts = [(t, sub) for t, sub in g.groupby("task")] + [("all", g)]
        for task, sub in parts:
            for col, label in (("d_alpha", "reg_alpha"), ("d_lambda", "reg_lambda"), ("d_both", "both")):
                m, lo, hi = bootstrap_mean_ci(sub[col])
                rows.append({"engine": engine, "task": task, "tuned": label, "mean": m, "ci_low": lo, "ci_high": hi,
                             "n_datasets": int(sub[col].notna().sum())})
    return pd.DataFrame(rows)


def optima_ranges(tun: pd.DataFrame) -> pd.DataFrame:
    """Per engine and penalty: 5%-95% quantiles of the per-dataset optima (Probst et al.'s tuning space)."""
    rows = []
    for engine, g in tun.groupby("engine"):
        for pen, col in (("reg_alpha", "best_alpha"), ("reg_lambda", "best_lambda")):
            v = g[col].dropna().to_numpy(float)
            lo, hi = (np.quantile(v, 0.05), np.quantile(v, 0.95)) if len(v) else (np.nan, np.nan)
            rows.append({"engine": engine, "penalty": pen, "q05": lo, "q95": hi, "published": PUBLISHED_SPACES[engine][pen]})
    return pd.DataFrame(rows)


def recommended_defaults(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine: the grid point minimizing the mean over datasets of (dataset's best - metric at the point).

    Only points measured on every dataset of the engine count.
    """
    rows = []
    for engine, g in _surface(df).groupby("engine"):
        best = g.groupby("dataset").metric.transform("max")
        loss = g.assign(loss=best - g.metric)
        n = g.dataset.nunique()
        per_point = loss.groupby(["reg_alpha", "reg_lambda"]).loss.agg(["mean", "count"])
        per_point = per_point[per_point["count"] == n]
        if per_point.empty:
            continue
        a, l = per_point["mean"].idxmin()
        a0, l0 = library_default(engine)
        rows.append({"engine": engine, "reg_alpha": a, "reg_lambda": l, "mean_loss": per_point["mean"].min(),
                     "default_alpha": a0, "default_lambda": l0,
                     "default_mean_loss": per_point["mean"].get((a0, l0), np.nan)})
    return pd.DataFrame(rows)


def noise_effect(df: pd.DataFrame) -> pd.DataFrame:
    """Datasets with known noise features: best reg_alpha (reg_lambda at default) vs reg_alpha = 0."""
    sub = df[df.n_noise_features_used.notna()] if "n_noise_features_used" in df else df.iloc[:0]
    rows = []
    for (engine, dataset), g in sub.groupby(["engine", "dataset"]):
        a0, l0 = library_default(engine)
        g = g[np.isclose(g.reg_lambda, l0)]
        m = g.groupby("reg_alpha").agg(metric=("metric", "mean"), noise=("n_noise_features_used", "mean"))
        if 0.0 not in m.index:
            continue
        best = m.metric.idxmax()
        rows.append({"engine": engine, "dataset": dataset, "best_alpha": best,
                     "noise_at_0": m.noise[0.0], "noise_at_best": m.noise[best],
                     "d_noise": m.noise[best] - m.noise[0.0], "d_metric": m.metric[best] - m.metric[0.0]})
    return pd.DataFrame(rows)


def compression(df: pd.DataFrame) -> pd.DataFrame:
    """Zero-leaf fraction at the largest reg_alpha (reg_lambda at default) and its cost in metric vs reg_alpha=0."""
    rows = []
    for (engine, dataset), g in df.groupby(["engine", "dataset"]):
        a0, l0 = library_default(engine)
        g = g[np.isclose(g.reg_lambda, l0)]
        m = g.groupby("reg_alpha").agg(metric=("metric", "mean"), zero=("zero_leaf_frac", "mean"))
        if 0.0 not in m.index or len(m) < 2:
            continue
        top = m.index.max()
        rows.append({"engine": engine, "dataset": dataset, "max_alpha": top, "zero_leaf_frac": m.zero[top],
                     "d_metric": m.metric[top] - m.metric[0.0]})
    return pd.DataFrame(rows)


def interactions(df: pd.DataFrame) -> pd.DataFrame:
    """Mean tunability over datasets at each level of learning_rate / max_depth / num_leaves / min_child_weight
    with > 1 level (over the datasets where that setting was crossed)."""
    rows = []
    for engine, g in df.groupby("engine"):
        for col in SETTING_COLS:
            if col not in g or g[col].nunique(dropna=True) < 2:
                continue
            for level, sub in g.groupby(col):
                t = tunability(sub)
                rows.append({"engine": engine, "parameter": col, "level": level,
                             "d_alpha": t.d_alpha.mean(), "d_lambda": t.d_lambda.mean(), "d_both": t.d_both.mean(),
                             "n_datasets": len(t)})
    return pd.DataFrame(rows)


def n_effect(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per dataset: metric at the largest (reg_alpha, reg_lambda) minus at the default; Spearman with n_train."""
    rows = []
    for (engine, dataset), g in _surface(df).groupby(["engine", "dataset"]):
        a0, l0 = library_default(engine)
        at = g.set_index(["reg_alpha", "reg_lambda"]).metric
        top = (g.reg_alpha.max(), g.reg_lambda.max())
        rows.append({"engine": engine, "dataset": dataset, "n_train": g.n_train.mean(),
                     "effect_largest": at.get(top, np.nan) - at.get((a0, l0), np.nan)})
    per = pd.DataFrame(rows)
    corr = []
    for engine, g in per.groupby("engine") if len(per) else []:
        g = g.dropna()
        rho = float(stats.spearmanr(g.n_train, g.effect_largest).statistic) if len(g) >= 3 else np.nan
        corr.append({"engine": engine, "spearman_rho": rho, "n_datasets": len(g)})
    return per, pd.DataFrame(corr)


def same_task_sizes(per_n: pd.DataFrame) -> pd.DataFrame:
    """Pairs of one task at two sizes: a dataset named ``NAME_SUFFIX`` (a study ``alias``) beside ``NAME``.

    The within-task view of "the penalty fades with n": the effect of the largest penalty on the smaller and
    the larger sample of the same data.
    """
    rows = []
    for engine, g in per_n.groupby("engine") if len(per_n) else []:
        by = g.set_index("dataset")
        for name in by.index:
            for other in by.index:
                if other.startswith(f"{name}_") and other != name:
                    small, large = sorted([name, other], key=lambda d: by.n_train[d])
                    rows.append({"engine": engine, "small": small, "n_small": by.n_train[small],
                                 "effect_small": by.effect_largest[small], "large": large,
                                 "n_large": by.n_train[large], "effect_large": by.effect_largest[large]})
    return pd.DataFrame(rows)


def default_gap(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine: metric at reg_lambda = 1 minus at reg_lambda = 0 (reg_alpha = 0), per dataset and averaged.

    XGBoost's default is reg_lambda = 1 and LightGBM's 0; this is what that difference is worth on each engine.
    """
    rows = []
    surf = _surface(df)
    for engine, g in surf.groupby("engine"):
        at = g[g.reg_alpha == 0].set_index(["dataset", "reg_lambda"]).metric
        gaps = [at[(d, 1.0)] - at[(d, 0.0)] for d in g.dataset.unique() if (d, 1.0) in at and (d, 0.0) in at]
        if gaps:
            m, lo, hi = bootstrap_mean_ci(gaps)
            rows.append({"engine": engine, "mean": m, "ci_low": lo, "ci_high": hi, "n_datasets": len(gaps)})
    return pd.DataFrame(rows)


def early_stopping(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and reg_lambda: median trees kept by early stopping, and the share of fits the cap ended.

    A fit was ended by the cap (n_estimators) rather than by early stopping when its best round came less than
    early_stopping_rounds rounds before the cap, so training never saw that many rounds without improvement.
    """
    if "early_stopping_rounds" not in df or not (df.early_stopping_rounds.fillna(0) > 0).any():
        return pd.DataFrame()
    es = df[df.early_stopping_rounds.fillna(0) > 0]
    return (es.assign(at_cap=es.n_trees > es.n_estimators - es.early_stopping_rounds)
            .groupby(["engine", "reg_lambda"], as_index=False)
            .agg(median_trees=("n_trees", "median"), q90_trees=("n_trees", lambda t: t.quantile(0.9)),
                 share_at_cap=("at_cap", "mean"), fits=("n_trees", "size")))


# ---------------------------------------------------------------------------------------------- rules

def rule_sizes(r) -> str:
    """The same task at two sizes: does the largest penalty's effect shrink as n grows?"""
    fades = abs(r.effect_large) < abs(r.effect_small)
    return (f"{r.engine}: the largest penalty changes the metric by {_f(r.effect_small)} on {r.small} "
            f"(n_train {r.n_small:.0f}) and by {_f(r.effect_large)} on {r.large} (n_train {r.n_large:.0f}): "
            + ("its effect fades as the data grow." if fades else "its effect does not fade here."))


def rule_default_gap(r) -> str:
    if r.ci_low > 0:
        verdict = "reg_lambda = 1 is better than 0 on average"
    elif r.ci_high < 0:
        verdict = "reg_lambda = 0 is better than 1 on average"
    else:
        verdict = "the interval includes 0: neither default is better on average"
    return (f"{r.engine}: metric at reg_lambda = 1 minus at 0 (reg_alpha = 0) = {_f(r['mean'])} "
            f"[{_f(r.ci_low)}, {_f(r.ci_high)}] over {r.n_datasets} datasets; {verdict}.")


def rule_tune(pen: str, mean: float, lo: float, hi: float, default: float) -> str:
    """Rule: CI upper < MATERIAL_GAIN -> leave at default; CI lower >= MATERIAL_GAIN -> tune; else -> optional."""
    if not np.isfinite(mean):
        return f"{pen}: not measured (the library default {default:g} is not in the grid)."
    if np.isfinite(hi) and hi < MATERIAL_GAIN:
        return (f"Leave {pen} at its default {default:g}: tuning it gained {mean:.4f} on average "
                f"(95% CI [{lo:.4f}, {hi:.4f}]), below {MATERIAL_GAIN}.")
    if np.isfinite(lo) and lo >= MATERIAL_GAIN:
        return (f"Tune {pen}: it gained {mean:.4f} on average (95% CI [{lo:.4f}, {hi:.4f}]), "
                f"at least {MATERIAL_GAIN}.")
    return (f"Tune {pen} only if a gain of about {mean:.4f} matters to you: the 95% CI "
            f"[{lo:.4f}, {hi:.4f}] does not settle whether it reaches {MATERIAL_GAIN}.")


def rule_start(row: pd.Series | None, ranges: pd.DataFrame) -> str:
    """Rule: start from the recommended default; say whether it is the library default; give the 5-95% range."""
    if row is None:
        return "No grid point was measured on every dataset, so no default is recommended."
    rng = {r.penalty: (r.q05, r.q95) for r in ranges.itertuples()}
    same = np.isclose(row.reg_alpha, row.default_alpha) and np.isclose(row.reg_lambda, row.default_lambda)
    start = ("the library default" if same else
             f"reg_alpha={row.reg_alpha:g}, reg_lambda={row.reg_lambda:g} instead of the library default "
             f"({row.default_alpha:g}, {row.default_lambda:g})")
    a, l = rng.get("reg_alpha", (np.nan, np.nan)), rng.get("reg_lambda", (np.nan, np.nan))
    return (f"Start from {start} (mean loss to each dataset's best {row.mean_loss:.4f}); if you search, "
            f"search reg_alpha in [{a[0]:.4g}, {a[1]:.4g}] and reg_lambda in [{l[0]:.4g}, {l[1]:.4g}].")


def rule_noise(noise: pd.DataFrame) -> str:
    """Rule: mean noise change < 0 and metric cost > -MATERIAL_GAIN -> recommend L1 with noise; else say it did not."""
    if noise.empty:
        return "No dataset with known noise features, so when L1 helps is not measured."
    dn, dm = noise.d_noise.mean(), noise.d_metric.mean()
    if dn < 0 and dm > -MATERIAL_GAIN:
        return (f"Use reg_alpha when many features may be irrelevant: at the best reg_alpha it dropped "
                f"{-dn:.2g} noise features on average with a metric change of {dm:+.4f}.")
    return (f"Do not count on reg_alpha to drop irrelevant features: at the best reg_alpha the noise features "
            f"used changed by {dn:+.2g} on average, the metric by {dm:+.4f}.")


def rule_interaction(inter: pd.DataFrame) -> str | None:
    """Rule: if tunability (both) differs across learning_rate levels by >= MATERIAL_GAIN, name the level."""
    lr = inter[inter.parameter == "learning_rate"] if not inter.empty else inter
    if lr.empty:
        return None
    spread = lr.d_both.max() - lr.d_both.min()
    top = lr.loc[lr.d_both.idxmax()]
    if spread >= MATERIAL_GAIN:
        return (f"Tune the penalties together with learning_rate: their tunability is {top.d_both:.3g} at "
                f"learning_rate={top.level:g}, {spread:.3g} more than at the other level.")
    return (f"The penalties' tunability changes by only {spread:.3g} across learning rates, "
            f"below {MATERIAL_GAIN}: tune them independently of learning_rate.")


# ---------------------------------------------------------------------------------------------- guide

@dataclass
class Step:
    text: str
    anchor: str


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Guide:
    recipe: dict[str, list[Step]]
    sections: list[Section]
    tunability: pd.DataFrame
    summary: pd.DataFrame
    ranges: pd.DataFrame
    defaults: pd.DataFrame
    noise: pd.DataFrame
    compression: pd.DataFrame
    interactions: pd.DataFrame
    n_effect: pd.DataFrame
    n_corr: pd.DataFrame
    title: str = "boostreg tuning guide"
    provenance: str = ""


def _f(v, fmt="{:.4g}") -> str:
    if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return "–"
    return fmt.format(v) if isinstance(v, (float, int, np.floating, np.integer)) else str(v)


def _table(title: str, frame: pd.DataFrame, cols: list[str]) -> Table:
    cols = [c for c in cols if c in frame]
    return Table(title, cols, [[_f(v) for v in row] for row in frame[cols].itertuples(index=False)])


def recipe(engine: str, summary: pd.DataFrame, ranges: pd.DataFrame, defaults: pd.DataFrame,
           noise: pd.DataFrame, inter: pd.DataFrame) -> list[Step]:
    """3-5 recipe steps for one engine, each from a rule function above."""
    a0, l0 = library_default(engine)
    s = summary[(summary.engine == engine) & (summary.task == "all")].set_index("tuned")
    steps = []
    for pen, key, d in (("reg_lambda", "reg_lambda", l0), ("reg_alpha", "reg_alpha", a0)):
        r = s.loc[key] if key in s.index else pd.Series({"mean": np.nan, "ci_low": np.nan, "ci_high": np.nan})
        steps.append(Step(rule_tune(pen, r["mean"], r.ci_low, r.ci_high, d), "tunability"))
    drow = defaults[defaults.engine == engine]
    steps.append(Step(rule_start(drow.iloc[0] if len(drow) else None, ranges[ranges.engine == engine]), "defaults"))
    steps.append(Step(rule_noise(noise[noise.engine == engine] if not noise.empty else noise), "l1"))
    text = rule_interaction(inter[inter.engine == engine] if not inter.empty else inter)
    if text:
        steps.append(Step(text, "interactions"))
    return steps


def build_guide(fits: pd.DataFrame) -> Guide:
    """The guide's numbers, recipe and sections, from the fit records only."""
    df = guide_rows(fits)
    if df.empty:
        raise BoostregError("no successful XGBoost/LightGBM fits with test AUC or R² in these records; "
                            "run a study with engines xgboost and/or lightgbm first.")
    tun = tunability(df)
    summ = tunability_summary(tun)
    rng = optima_ranges(tun)
    dflt = recommended_defaults(df)
    noise = noise_effect(df)
    comp = compression(df)
    inter = interactions(df)
    per_n, corr = n_effect(df)
    sizes = same_task_sizes(per_n)
    gap = default_gap(df)
    stops = early_stopping(df)
    engines = [e for e in BOOSTERS if e in set(df.engine)]
    rec = {e: recipe(e, summ, rng, dflt, noise, inter) for e in engines}

    sections = []
    sec = Section("tunability", "Tunability (Probst et al. 2019)", [
        "d = best mean CV metric minus the metric at the library default (XGBoost reg_alpha=0, reg_lambda=1; "
        "LightGBM 0, 0); metric: test AUC for binary datasets, test R² for regression (higher is better). "
        "reg_alpha: best over reg_alpha with reg_lambda at its default; reg_lambda: the converse; both: the whole grid. "
        f"Means across datasets with a {int(CONFIDENCE * 100)}% percentile bootstrap interval over datasets "
        f"({N_BOOT} resamples, seed {BOOT_SEED}); 'all' pools AUC and R² gains.",
        f"Published for xgboost: tunability of lambda and of alpha {PUBLISHED_TUNABILITY}."])
    summ_tab = summ.assign(published=np.where((summ.engine == "xgboost") & (summ.tuned != "both") & (summ.task == "binary"),
                                              PUBLISHED_TUNABILITY, ""))
    sec.tables.append(_table("Mean across datasets", summ_tab,
                             ["engine", "task", "tuned", "mean", "ci_low", "ci_high", "n_datasets", "published"]))
    sec.tables.append(_table("Per dataset", tun, ["engine", "dataset", "task", "metric_name", "n_train", "default_metric",
                                                  "d_alpha", "d_lambda", "d_both"]))
    sections.append(sec)

    sec = Section("defaults", "Recommended default and search range", [
        "Per dataset, the best (reg_alpha, reg_lambda) over the whole grid; the range is the 5%–95% quantiles of "
        "these optima across datasets (Probst et al.'s tuning space); the recommended default is the grid point "
        "with the smallest mean loss of AUC/R² to each dataset's best (points measured on every dataset)."])
    sec.tables.append(_table("Search range vs published", rng, ["engine", "penalty", "q05", "q95", "published"]))
    sec.tables.append(_table("Recommended default", dflt, ["engine", "reg_alpha", "reg_lambda", "mean_loss",
                                                          "default_alpha", "default_lambda", "default_mean_loss"]))
    sec.tables.append(_table("Per-dataset optima", tun, ["engine", "dataset", "best_alpha", "best_lambda", "best_metric",
                                                        "best_alpha_only", "best_lambda_only"]))
    sections.append(sec)

    sec = Section("l1", "When L1 helps", [
        "Datasets with known noise features: the best reg_alpha (reg_lambda at the default) against reg_alpha = 0 — "
        "change in noise features used (d_noise) and in the metric (d_metric).",
        "Compression: zero-leaf fraction at the largest reg_alpha (reg_lambda at the default) and the metric change "
        "it costs against reg_alpha = 0."])
    if noise.empty:
        sec.paragraphs.append("No dataset in these records has known noise features.")
    else:
        sec.tables.append(_table("Noise features", noise, ["engine", "dataset", "best_alpha", "noise_at_0",
                                                           "noise_at_best", "d_noise", "d_metric"]))
    sec.tables.append(_table("Zero leaves and their cost", comp, ["engine", "dataset", "max_alpha", "zero_leaf_frac",
                                                                  "d_metric"]))
    sections.append(sec)

    sec = Section("interactions", "Interactions", [
        "Mean tunability across datasets at each level of learning_rate / max_depth / num_leaves (only those with "
        "more than one level in the records).",
        "Penalty fades with n: per dataset, the metric at the largest (reg_alpha, reg_lambda) minus at the default, "
        "against n_train; Spearman's rho over datasets (needs 3 or more)."])
    if inter.empty:
        sec.paragraphs.append("These records have one level of each setting, so no interaction is measured.")
    else:
        sec.tables.append(_table("Tunability per level", inter, ["engine", "parameter", "level", "d_alpha", "d_lambda",
                                                                 "d_both", "n_datasets"]))
    for r in corr.itertuples():
        sec.paragraphs.append(f"{r.engine}: Spearman rho between n_train and the effect of the largest penalty = "
                              f"{_f(r.spearman_rho, '{:.3f}')} over {r.n_datasets} datasets.")
    for r in sizes.itertuples():
        sec.paragraphs.append(rule_sizes(r))
    sec.tables.append(_table("Effect of the largest penalty", per_n, ["engine", "dataset", "n_train", "effect_largest"]))
    if not gap.empty:
        sec.paragraphs.append("The libraries' defaults differ: XGBoost reg_lambda = 1, LightGBM reg_lambda = 0.")
        for _, r in gap.iterrows():
            sec.paragraphs.append(rule_default_gap(r))
        sec.tables.append(_table("reg_lambda = 1 minus reg_lambda = 0", gap,
                                 ["engine", "mean", "ci_low", "ci_high", "n_datasets"]))
    sections.append(sec)

    if not stops.empty:
        sec = Section("early-stopping", "Early stopping and the penalty", [
            "Trees kept by early stopping (on a validation split carved from each training fold) at each reg_lambda, "
            "over all datasets and settings; share_at_cap is the share of fits ended by the n_estimators cap before "
            "early stopping could end them (best round within early_stopping_rounds of the cap). A larger "
            "reg_lambda shrinks every leaf, so the same fit needs more rounds: its cost in time."])
        for engine, g in stops.groupby("engine"):
            lo, hi = g.iloc[0], g.iloc[-1]
            sec.paragraphs.append(f"{engine}: median trees {lo.median_trees:.0f} at reg_lambda = {_f(lo.reg_lambda)} "
                                  f"and {hi.median_trees:.0f} at reg_lambda = {_f(hi.reg_lambda)}; "
                                  f"the cap ended {100 * hi.share_at_cap:.0f}% of the latter.")
        sec.tables.append(_table("Trees kept", stops, ["engine", "reg_lambda", "median_trees", "q90_trees",
                                                       "share_at_cap", "fits"]))
        sections.append(sec)
    return Guide(rec, sections, tun, summ, rng, dflt, noise, comp, inter, per_n, corr, provenance=provenance(fits))


def provenance(fits: pd.DataFrame) -> str:
    """Which records the guide was built from (stands in for a date, so the same records give the same guide)."""
    studies = ", ".join(sorted(map(str, fits.study.dropna().unique()))) if "study" in fits else "?"
    versions = "; ".join(f"{e} {', '.join(sorted(map(str, g.engine_version.dropna().unique())))}"
                         for e, g in fits[fits.engine.isin(BOOSTERS)].groupby("engine")) if "engine_version" in fits else ""
    ok = int((fits.status == "ok").sum())
    return f"{len(fits)} fit records ({ok} ok) of study {studies}; {versions}"


# ---------------------------------------------------------------------------------------------- output

def render_html(guide: Guide, command: str = "") -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from . import __version__

    env = Environment(loader=PackageLoader("boostreg.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    return env.get_template("guide.html.j2").render(g=guide, version=__version__, command=command)


def _md_text(text: str) -> str:
    """Text that may carry names from the data (datasets, studies), made inert in Markdown: HTML-significant
    characters become entities, so a dataset named '<script>' stays text in any Markdown renderer."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(guide: Guide) -> str:
    lines = [f"# {guide.title}", "", f"Built from {_md_text(guide.provenance)}.", "", "## Recipe", ""]
    for engine, steps in guide.recipe.items():
        lines += [f"### {engine}", ""]
        lines += [f"{i}. {_md_text(s.text)} ([evidence](#{s.anchor}))" for i, s in enumerate(steps, 1)] + [""]
    for sec in guide.sections:
        lines += [f'<a id="{sec.id}"></a>', "", f"## {sec.title}", ""]
        for p in sec.paragraphs:
            lines += [_md_text(p), ""]
        for t in sec.tables:
            lines += [f"### {_md_text(t.title)}", "", "| " + " | ".join(_md_cell(c) for c in t.columns) + " |",
                      "|" + "---|" * len(t.columns)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows] + [""]
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_fits(source: str | Path) -> pd.DataFrame:
    """Fit records from a run's folder or from one exported Parquet file, in fit_id order."""
    from .store import ParquetStore, read_fits_file

    source = Path(source)
    if source.is_file():
        fits = read_fits_file(source)
    else:
        store = ParquetStore(source)
        store.require_records()
        fits = store.fits()
    if fits.empty:
        raise BoostregError(f"'{source}' holds no fit records; run a study first.")
    return fits.sort_values("fit_id", kind="stable").reset_index(drop=True)


def write_guide(source: str | Path, html_path: str | Path | None = None,
                md_path: str | Path | None = None) -> tuple[Path, Path]:
    """Write the guide of a run (its folder, or an exported fits Parquet file): HTML (default: guide.html in the
    folder, or beside the file) and Markdown (same stem, .md). The same records give byte-identical files."""
    source = Path(source)
    fits = load_fits(source)
    default_dir = source.parent if source.is_file() else source
    html_path = Path(html_path) if html_path else default_dir / "guide.html"
    md_path = Path(md_path) if md_path else html_path.with_suffix(".md")
    for p in (html_path, md_path):
        if not p.parent.exists():
            raise BoostregError(f"folder '{p.parent}' for the guide does not exist; create it or choose another -o.")
    guide = build_guide(fits)
    _write(html_path, render_html(guide, f"boostreg guide {source}"))
    _write(md_path, render_markdown(guide))
    return html_path, md_path
