"""The tuning guide: where to set reg_alpha and reg_lambda, in the data's own units, and proof that the advice
holds on data it has never seen — computed from fit records only.

The protocol builds on :mod:`boostreg.inference` (validation-selected settings, paired outer-fold gains against
the library default, corrected intervals):

* **Units.** A grid point is (reg_alpha / α_max, reg_lambda / H̄) of the fold's unpenalized first tree
  (relative grids), so the same point means the same regime on every dataset.
* **The rule.** For an engine and a set of datasets, the recommended point is the grid point with the smallest
  mean, over datasets, of its validation error relative to the library default's (per fold group, then
  averaged over the dataset's groups). Only the validation split is used: the test folds never choose.
* **Proof out of sample (leave-one-dataset-out).** For each real dataset D the rule is derived without D and
  applied to D: its gain over the library default on D's outer test folds (paired by fold, corrected t
  interval) is what a user with new data would get. Beside it: Probst et al.'s (2019) defaults where they were
  fitted, and D's own validation-selected optimum (what tuning on D itself gives).
* **Pooled** statements are t intervals over datasets (the replication unit; a percentile bootstrap over 3-23
  datasets is too narrow); gains in AUC (binary) and R² (regression) are never averaged together; relative error
  gains are unit-free.
* Synthetic datasets (known noise features) inform "when L1 helps" only; they never enter the rule or its proof.

``build_guide`` is a pure function of the records; every sentence is chosen by a rule function below from
computed numbers. ``write_guide`` writes HTML (autoescaped Jinja2, figures embedded), Markdown (figures in a
``NAME_files/`` folder beside it) and ``recommendation.json`` (what ``boostreg recommend`` applies).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import inference
from .errors import BoostregError
from .inference import CONFIDENCE, corrected_t, pooled_t

#: AUC for binary datasets, R² for regression: unit-free, higher is better, never averaged together
SHARED = {"binary": ("test_auc", "AUC"), "regression": ("test_r2", "R²")}
#: published points and ranges set beside ours (each with why it differs)
PROBST = {"label": "probst2019", "reg_alpha": 1.113, "reg_lambda": 0.982,
          "source": "Probst, Boulesteix & Bischl (2019, JMLR 20(53)), xgboost defaults from 38 OpenML binary "
                    "classification datasets (with eta 0.018, 4168 rounds, max_depth 13, subsampling)"}
PUBLISHED_RANGES = [
    {"source": "Probst et al. 2019 (xgboost, 5%–95% of per-dataset optima)", "engine": "xgboost",
     "reg_alpha": "[0.0024, 6.11]", "reg_lambda": "[0.0077, 29.75]",
     "why": "raw units on 38 OpenML binary datasets of their own sizes, tuned jointly with eta, depth, rounds and "
            "subsampling by random search: their raw values mean different regimes on data of other sizes"},
    {"source": "Optuna LightGBMTuner (lambda_l1, lambda_l2)", "engine": "lightgbm",
     "reg_alpha": "LogUniform[1e-8, 10]", "reg_lambda": "LogUniform[1e-8, 10]",
     "why": "a search space, not a recommendation: raw units with no reference to the data, so its upper end "
            "is a weak penalty on large data and a strong one on small data"},
]
#: the guide's assumptions (the study's fixed settings), carried into boostreg recommend
TARGET_SHARE_BAND = (0.10, 0.90)


# ---------------------------------------------------------------------------------------------- frames

def guide_rows(fits: pd.DataFrame) -> pd.DataFrame:
    """Successful booster fits with a validation error, each grid point keyed by its value in the grid's units."""
    ok = fits[(fits.status == "ok")]
    ok = ok[ok.engine.map(inference.engine_kind) == "booster"]
    if ok.empty or not inference.has_validation(ok):
        return pd.DataFrame()
    ok = ok[ok.valid_error.notna()].copy()
    ok["alpha_grid"] = inference.grid_value(ok, "reg_alpha")
    ok["lambda_grid"] = inference.grid_value(ok, "reg_lambda")
    ok["synthetic"] = ok.groupby("dataset").n_noise_features_used.transform(lambda s: s.notna().any()) \
        if "n_noise_features_used" in ok else False
    ok["shared"] = np.where(ok.task == "binary", ok.get("test_auc"), ok.get("test_r2")).astype(float)
    return ok


def relative_surface(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine, dataset and in-grid point: mean over fold groups of valid_error / the default's valid_error."""
    default = df[df.is_default.fillna(False).astype(bool)].set_index("group_id").valid_error
    grid = df[df.in_grid.fillna(True).astype(bool)]
    grid = grid.assign(ratio=grid.valid_error / grid.group_id.map(default))
    return (grid.groupby(["engine", "dataset", "alpha_grid", "lambda_grid"], as_index=False)
            .agg(ratio=("ratio", "mean"), n_groups=("ratio", "size")))


def recommend(surface: pd.DataFrame, datasets) -> pd.DataFrame:
    """Per engine: the grid point with the smallest mean relative validation error over ``datasets`` (points
    measured on all of them; ties to the smaller reg_alpha, then reg_lambda)."""
    rows = []
    sub = surface[surface.dataset.isin(list(datasets))]
    for engine, g in sub.groupby("engine"):
        n = g.dataset.nunique()
        per = g.groupby(["alpha_grid", "lambda_grid"]).ratio.agg(["mean", "count"]).reset_index()
        per = per[per["count"] == n].sort_values(["mean", "alpha_grid", "lambda_grid"], kind="mergesort")
        if per.empty:
            continue
        top = per.iloc[0]
        rows.append({"engine": engine, "alpha_rel": float(top.alpha_grid), "lambda_rel": float(top.lambda_grid),
                     "mean_valid_ratio": float(top["mean"]), "n_datasets": n})
    return pd.DataFrame(rows, columns=["engine", "alpha_rel", "lambda_rel", "mean_valid_ratio", "n_datasets"])


def _gains_at(df: pd.DataFrame, pick: pd.Series) -> pd.DataFrame:
    """Per fold group: test error and shared metric of the default and of the picked fit (``pick``: a mask)."""
    default = df[df.is_default.fillna(False).astype(bool)].set_index("group_id")
    chosen = df[pick].drop_duplicates("group_id").set_index("group_id")
    both = chosen[["dataset", "engine", "task", "fold", "seed", "n_train", "n_test", "test_error", "shared"]].join(
        default[["test_error", "shared"]].rename(columns={"test_error": "default_error", "shared": "default_shared"}),
        how="inner")
    return both.assign(gain=both.default_error - both.test_error, shared_gain=both.shared - both.default_shared)


def _per_dataset(g: pd.DataFrame) -> dict:
    """Mean gains over one dataset's fold groups with corrected t intervals (error units, relative, shared)."""
    ratio = float((g.n_test / g.n_train).mean())
    err = corrected_t(g.gain, ratio)
    # relative gain as everywhere (boostreg.inference): the mean of per-group ratios, with its own interval
    rel = corrected_t(g.gain / g.default_error, ratio)
    shared = corrected_t(g.shared_gain, ratio)
    return {"gain": err.mean, "gain_low": err.ci_low, "gain_high": err.ci_high,
            "rel_gain": rel.mean, "rel_low": rel.ci_low, "rel_high": rel.ci_high, "shared_gain": shared.mean,
            "shared_low": shared.ci_low, "shared_high": shared.ci_high, "n_groups": err.n,
            "n_train": float(g.n_train.mean()), "clearly_worse": bool(err.ci_high < 0),
            "clearly_better": bool(err.ci_low > 0)}


def validated(d: pd.DataFrame, pick: pd.Series) -> pd.Series:
    """The recommended point checked against the library default on each fold group's validation split: per group,
    the picked fit where its validation error is lower than the default's, else the default fit (a mask). What a
    user does with the advice: fit both, keep the one the validation split prefers; the test fold is never seen."""
    default = d[d.is_default.fillna(False).astype(bool)].drop_duplicates("group_id").set_index("group_id")
    cand = d[pick].drop_duplicates("group_id").set_index("group_id")
    better = cand.valid_error < default.valid_error.reindex(cand.index)
    keep = set(cand.fit_id[better]) | set(default.fit_id[~default.index.isin(cand.index[better])])
    return d.fit_id.isin(keep)


def lodo(df: pd.DataFrame) -> pd.DataFrame:
    """Leave-one-dataset-out: per engine and real dataset D, the rule derived without D applied to D, against the
    library default on D's outer folds; beside it Probst et al.'s point (where fitted) and D's own optimum.

    Columns: engine, dataset, task, alpha_rel, lambda_rel (the point recommended without D), then for each of
    ``rec_`` (that point alone), ``chk_`` (that point checked against the default on D's validation splits: the
    advice as the guide gives it, :func:`validated`), ``probst_`` and ``own_`` (D's validation-selected setting):
    gain, gain_low, gain_high,
    rel_gain, rel_low, rel_high, shared_gain, shared_low, shared_high, clearly_worse, clearly_better.
    """
    real = df[~df.synthetic]
    surface = relative_surface(real)
    sel = inference.selection_table(real)
    rows = []
    for (engine, dataset), d in real.groupby(["engine", "dataset"], sort=True):
        others = sorted(set(real[real.engine == engine].dataset) - {dataset})
        rec = recommend(surface[surface.engine == engine], others)
        if rec.empty:
            continue
        a, lam = rec.alpha_rel.iloc[0], rec.lambda_rel.iloc[0]
        row = {"engine": engine, "dataset": dataset, "task": d.task.iloc[0], "alpha_rel": a, "lambda_rel": lam,
               "n_train": float(d.n_train.mean())}
        at = d.in_grid.fillna(True).astype(bool) & np.isclose(d.alpha_grid, a) & np.isclose(d.lambda_grid, lam)
        row.update({f"rec_{k}": v for k, v in _per_dataset(_gains_at(d, at)).items()})
        row.update({f"chk_{k}": v for k, v in _per_dataset(_gains_at(d, validated(d, at))).items()})
        probst = d.get("point_label", pd.Series(None, index=d.index)) == PROBST["label"]
        if probst.any():
            row.update({f"probst_{k}": v for k, v in _per_dataset(_gains_at(d, probst)).items()})
        own = d.fit_id.isin(sel[(sel.engine == engine) & (sel.dataset == dataset)].selected_fit_id)
        row.update({f"own_{k}": v for k, v in _per_dataset(_gains_at(d, own)).items()})
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["engine", "dataset", "task", "alpha_rel", "lambda_rel", "n_train", "rec_rel_gain",
                                     "rec_clearly_worse", "rec_n_groups", "chk_rel_gain", "chk_clearly_worse",
                                     "chk_n_groups"])
    return pd.DataFrame(rows)


def lodo_summary(proof: pd.DataFrame, prefix: str = "rec") -> pd.DataFrame:
    """Per engine (and both engines: dataset x engine pairs), per task and both tasks (relative error only): wins
    (relative gain > 0), ties (the same fit as the default), mean relative gain with a t interval over
    datasets, the worst case, and how many datasets were clearly worse off (interval below 0)."""
    rows = []
    columns = ["engine", "task", "n_datasets", "wins", "ties", "win_rate", "mean_rel_gain", "rel_low", "rel_high",
               "worst_dataset", "worst_rel_gain", "clearly_worse", "clearly_better"]
    if proof.empty or f"{prefix}_rel_gain" not in proof:
        return pd.DataFrame(columns=columns)
    parts = [(engine, g) for engine, g in proof.groupby("engine")]
    if proof.engine.nunique() > 1:
        parts.append(("both engines", proof))
    for engine, g in parts:
        for task, sub in [("all", g)] + list(g.groupby("task")):
            sub = sub[sub[f"{prefix}_rel_gain"].notna()]
            if sub.empty:
                continue
            est = pooled_t(sub[f"{prefix}_rel_gain"])
            worst = sub.loc[sub[f"{prefix}_rel_gain"].idxmin()]
            row = {"engine": engine, "task": task, "n_datasets": len(sub),
                   "wins": int((sub[f"{prefix}_rel_gain"] > 0).sum()),
                   "ties": int((sub[f"{prefix}_rel_gain"] == 0).sum()),
                   "win_rate": float((sub[f"{prefix}_rel_gain"] > 0).mean()),
                   "mean_rel_gain": est.mean, "rel_low": est.ci_low, "rel_high": est.ci_high,
                   "worst_dataset": worst.dataset, "worst_rel_gain": float(worst[f"{prefix}_rel_gain"]),
                   "clearly_worse": int(sub[f"{prefix}_clearly_worse"].sum()),
                   "clearly_better": int(sub[f"{prefix}_clearly_better"].sum())}
            if task != "all":
                shared = pooled_t(sub[f"{prefix}_shared_gain"])
                row.update(shared_metric=SHARED[task][1], mean_shared_gain=shared.mean, shared_low=shared.ci_low,
                           shared_high=shared.ci_high)
            rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def optimum_positions(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and real dataset: where the validation-selected settings lie, in the data's units (each fold
    group's choice), and whether the grid's edge was hit."""
    sel = inference.selection_table(df[~df.synthetic])
    if sel.empty:
        return pd.DataFrame(columns=["engine", "dataset", "task", "selected_alpha_grid", "selected_lambda_grid",
                                     "selected_in_grid", "at_grid_edge", "n_train"])
    sel = sel[sel.kind == "booster"]
    return sel[["engine", "dataset", "task", "fold", "seed", "selected_alpha_grid", "selected_lambda_grid",
                "selected_in_grid", "at_grid_edge", "n_train"]]


def modal_settings(pos: pd.DataFrame) -> pd.DataFrame:
    """Per engine and dataset: the setting its fold groups selected most often (ties: the smaller reg_alpha, then
    reg_lambda; the library default counts as a setting off the grid), and whether it lies on the grid's edge."""
    rows = []
    for (engine, dataset), g in pos.groupby(["engine", "dataset"], sort=True):
        counts = (g.groupby(["selected_alpha_grid", "selected_lambda_grid", "selected_in_grid"], dropna=False)
                  .at_grid_edge.agg(["size", "first"]).reset_index()
                  .sort_values(["size", "selected_alpha_grid", "selected_lambda_grid"], ascending=[False, True, True],
                               kind="mergesort"))
        top = counts.iloc[0]
        rows.append({"engine": engine, "dataset": dataset, "alpha": float(top.selected_alpha_grid),
                     "lambda": float(top.selected_lambda_grid), "in_grid": bool(top.selected_in_grid),
                     "at_grid_edge": bool(top["first"]), "n_selected": int(top["size"]), "n_groups": len(g)})
    return pd.DataFrame(rows, columns=["engine", "dataset", "alpha", "lambda", "in_grid", "at_grid_edge", "n_selected",
                                       "n_groups"])


def search_ranges(pos: pd.DataFrame) -> pd.DataFrame:
    """Per engine: the 10%–90% range of the selected settings (in the data's units) and how often the grid's edge
    was selected: by fold group (``edge_share``) and by dataset, each dataset's most selected setting
    (``edge_pairs`` of ``n_datasets``; the target is an interior setting on at least 90% of them)."""
    rows = []
    lo, hi = TARGET_SHARE_BAND
    modal = modal_settings(pos)
    for engine, g in pos.groupby("engine"):
        g = g[g.selected_in_grid]
        per = g.groupby("dataset")[["selected_alpha_grid", "selected_lambda_grid"]].median()
        q = {k: (float(per[k].quantile(lo, interpolation="lower")), float(per[k].quantile(hi, interpolation="higher")))
             for k in per}
        m = modal[modal.engine == engine]
        rows.append({"engine": engine, "alpha_low": q["selected_alpha_grid"][0], "alpha_high": q["selected_alpha_grid"][1],
                     "lambda_low": q["selected_lambda_grid"][0], "lambda_high": q["selected_lambda_grid"][1],
                     "edge_share": float(g.at_grid_edge.mean()), "edge_pairs": int(m.at_grid_edge.sum()),
                     "interior_share": float(1 - m.at_grid_edge.mean()) if len(m) else np.nan,
                     "n_datasets": len(m), "n_groups": len(g)})
    return pd.DataFrame(rows, columns=["engine", "alpha_low", "alpha_high", "lambda_low", "lambda_high", "edge_share",
                                       "edge_pairs", "interior_share", "n_datasets", "n_groups"])


def tree_cap(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and in-grid reg_lambda (grid units): the share of fits whose early stopping never stopped them
    before the tree cap (n_estimators), and their mean trees. A strong L2 penalty slows each step, so there the grid
    measures reg_lambda together with the cap."""
    grid = df[df.in_grid.fillna(True).astype(bool) & ~df.synthetic]
    if "n_trees" not in grid or "params_json" not in grid or grid.empty:
        return pd.DataFrame(columns=["engine", "lambda_grid", "fits", "at_cap_share", "mean_trees"])
    cap = grid.params_json.map(lambda p: json.loads(p).get("n_estimators", np.nan) if isinstance(p, str) else np.nan)
    grid = grid.assign(at_cap=grid.n_trees >= cap)
    return (grid.groupby(["engine", "lambda_grid"], as_index=False)
            .agg(fits=("at_cap", "size"), at_cap_share=("at_cap", "mean"), mean_trees=("n_trees", "mean")))


def data_units(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and dataset: α_max and H̄ of the unpenalized first tree (mean over folds), rows trained on, and
    α_max / H̄ (the largest |mean gradient| of a first-tree leaf): what turns relative advice into raw values."""
    unpen = df[(df.reg_alpha == 0) & (df.reg_lambda == 0) & ~df.synthetic]
    out = (unpen.groupby(["engine", "dataset", "task"], as_index=False)
           .agg(n_train=("n_train", "mean"), alpha_max=("first_tree_grad_abs_max", "mean"),
                h_bar=("first_tree_hess_mean", "mean"), leaves=("n_leaves_mean", "mean")))
    return out.assign(alpha_per_h=out.alpha_max / out.h_bar)


# ---------------------------------------------------------------------------------------------- rules

@dataclass
class Step:
    """One recipe step: the sentence, its evidence anchor, and what it sets (engine, penalty) -> value."""

    text: str
    anchor: str
    sets: dict = field(default_factory=dict)


def _pct(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:+.1%}"


def _g(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:g}"


def rule_start(engine: str, rec: pd.Series, summary: pd.Series | None) -> Step:
    """Try the recommended point beside the library default and keep the one the validation split prefers; cite
    that advice's out-of-sample record (LODO, the ``chk_`` columns)."""
    if summary is None:
        return Step(f"{engine}: not enough real datasets to test a starting point out of sample.", "proof")
    a = "reg_alpha = 0" if rec.alpha_rel == 0 else f"reg_alpha = {_g(rec.alpha_rel)} × α_max"
    lam = "reg_lambda = 0" if rec.lambda_rel == 0 else f"reg_lambda = {_g(rec.lambda_rel)} × H̄"
    ties = f" (and kept the default on {summary.ties})" if summary.ties else ""
    text = (f"Fit {engine} at {a} and {lam} beside its default, and keep whichever has the lower validation error "
            f"(`boostreg recommend` turns them into raw values for your data). Derived without each dataset and "
            f"tried on it this way, this beat {engine}'s default on {summary.wins} of {summary.n_datasets} "
            f"datasets{ties}, mean relative gain {_pct(summary.mean_rel_gain)} [{_pct(summary.rel_low)}, "
            f"{_pct(summary.rel_high)}], worst {_pct(summary.worst_rel_gain)} ({summary.worst_dataset}). "
            + _pooled_reading(summary))
    return Step(text, "proof", {(engine, "reg_alpha"): float(rec.alpha_rel), (engine, "reg_lambda"): float(rec.lambda_rel)})


#: the practical-equivalence band of pooled advice claims: relative gains within it are "no difference"
EQUIVALENCE_BAND = 0.01


def _pooled_reading(summary: pd.Series) -> str:
    """What the pooled interval says, with the equivalence band (inference.verdict decides; no fixed sentence)."""
    est = inference.Estimate(summary.mean_rel_gain, summary.rel_low, summary.rel_high, int(summary.n_datasets), "t")
    v = inference.verdict(est, +1, band=EQUIVALENCE_BAND)
    if v == "holds":
        return "Pooled, it beats the default (the interval is above 0)."
    if v == "does not hold here":
        note = inference.equivalence_note(est, EQUIVALENCE_BAND, pct=True)
        return (f"Pooled, it is no better than the default: {note}." if note else
                f"Pooled, a gain of {EQUIVALENCE_BAND:.0%} or more is ruled out.")
    if v == "inconclusive":
        return (f"Pooled, the interval holds 0 and reaches +{EQUIVALENCE_BAND:.0%}: neither a gain nor "
                "equivalence is shown.")
    return "Pooled: not enough datasets for a verdict."


def rule_where_not(engine: str, proof: pd.DataFrame, prefix: str = "chk") -> Step:
    """Say plainly where the advice did not help (and where it was clearly worse)."""
    g = proof[proof.engine == engine]
    worse = g[g[f"{prefix}_rel_gain"] < 0]
    kept = g[g[f"{prefix}_rel_gain"] == 0]
    clear = g[g[f"{prefix}_clearly_worse"]]
    if worse.empty and kept.empty:
        return Step(f"{engine}: the advice was no worse than the default on any dataset tried." + _resolution(g, prefix),
                    "proof")
    parts = []
    if len(worse):
        parts.append(", ".join(f"{r.dataset} ({_pct(getattr(r, f'{prefix}_rel_gain'))}, n_train {r.n_train:.0f})"
                               for r in worse.itertuples()))
    if len(kept):
        parts.append(f"the validation split kept the default in every fold of {', '.join(kept.dataset)}")
    text = f"{engine}: it did not help on {len(worse) + len(kept)} of {len(g)} datasets: " + "; ".join(parts)
    text += (f"; clearly worse (interval below 0) on {', '.join(clear.dataset)}." if len(clear)
             else "; on none of them was the loss clear (every interval holds 0).")
    return Step(text + _resolution(g, prefix), "proof")


def _resolution(g: pd.DataFrame, prefix: str) -> str:
    """How small a loss the per-dataset comparisons could have seen: their intervals' half-widths."""
    if f"{prefix}_rel_high" not in g:
        return ""
    half = ((g[f"{prefix}_rel_high"] - g[f"{prefix}_rel_low"]) / 2).dropna()
    if half.empty:
        return ""
    return (f" A loss smaller than an interval's half-width could not be told from none: median "
            f"{float(half.median()):.1%}, largest {float(half.max()):.1%} ({g.loc[half.idxmax(), 'dataset']}).")


def rule_point_alone(engine: str, alone: pd.Series | None, proof: pd.DataFrame) -> Step:
    """Why the recipe checks the point against the default: the point alone's out-of-sample record (``rec_``)."""
    if alone is None:
        return Step(f"{engine}: the point alone was not tried out of sample.", "proof")
    g = proof[(proof.engine == engine) & proof.rec_clearly_worse]
    text = (f"The point alone, without the validation check, beat {engine}'s default on {alone.wins} of "
            f"{alone.n_datasets} datasets, mean {_pct(alone.mean_rel_gain)} [{_pct(alone.rel_low)}, "
            f"{_pct(alone.rel_high)}], worst {_pct(alone.worst_rel_gain)} ({alone.worst_dataset})")
    text += (f", and was clearly worse on {', '.join(f'{r.dataset} ({_pct(r.rec_rel_gain)})' for r in g.itertuples())}: "
             "that is why the recipe checks it against the default." if len(g) else
             "; it was clearly worse on none.")
    return Step(text, "proof")


def rule_search(engine: str, ranges: pd.Series | None) -> Step:
    if ranges is None:
        return Step(f"{engine}: no search range (no validation-selected settings).", "ranges")
    return Step(f"If you tune {engine}, search reg_alpha / α_max in [{_g(ranges.alpha_low)}, {_g(ranges.alpha_high)}] "
                f"(0 included) and reg_lambda / H̄ in [{_g(ranges.lambda_low)}, {_g(ranges.lambda_high)}]: "
                f"{TARGET_SHARE_BAND[0]:.0%}–{TARGET_SHARE_BAND[1]:.0%} of the per-dataset optima; the grid's edge "
                f"was selected in {ranges.edge_share:.0%} of {ranges.n_groups} fold groups and was the most selected "
                f"setting on {ranges.edge_pairs} of {ranges.n_datasets} datasets.", "ranges")


def rule_tuning_worth(engine: str, own: pd.DataFrame) -> Step:
    """What tuning on the dataset itself (validation-selected) gained, per task in its own metric."""
    g = own[own.engine == engine]
    parts = []
    for r in g[g.task != "all"].itertuples():
        parts.append(f"{r.shared_metric} {r.mean_shared_gain:+.4f} [{r.shared_low:+.4f}, {r.shared_high:+.4f}] "
                     f"over {r.n_datasets} {r.task} datasets")
    if not parts:
        return Step(f"{engine}: tuning's worth is not measured.", "worth")
    return Step(f"Tuning both penalties on each dataset's own validation split changed {engine}'s test "
                + "; ".join(parts) + " against its default.", "worth")


def rule_l1(claims: list) -> Step:
    """When L1 helps: a sentence built from the claims ledger's matched-error verdicts (never a fixed text)."""
    pick = {c.claim: c for c in claims}
    size = next((c for k, c in pick.items() if "smaller models" in k), None)
    noise = next((c for k, c in pick.items() if "noise features" in k), None)
    parts = []
    if size is not None and np.isfinite(size.effect):
        said = {"holds": "Use reg_alpha for smaller models: ",
                "does not hold here": "reg_alpha did not give smaller models than reg_lambda here: "}
        parts.append(said.get(size.verdict, "Whether reg_alpha gives smaller models than reg_lambda is "
                                            f"{size.verdict} here: ")
                     + f"at matched validation error the L1 model had {size.effect:+.1%} fewer non-zero leaves per "
                       f"tree than the L2 model [{size.ci_low:+.1%}, {size.ci_high:+.1%}] ({size.verdict})")
    elif size is not None:
        parts.append(f"Whether reg_alpha gives smaller models than reg_lambda: {size.verdict}")
    if noise is not None:
        parts.append(f"fewer noise features than L2: {noise.verdict}")
    return Step("; ".join(parts) + "." if parts else "L1 against L2 was not measured.", "l1")


def contradictions(recipe: dict[str, list[Step]]) -> list[str]:
    """Pairs of steps that set the same engine's penalty to different values (must be empty)."""
    seen, out = {}, []
    for steps in recipe.values():
        for s in steps:
            for key, value in s.sets.items():
                if key in seen and not np.isclose(seen[key], value):
                    out.append(f"{key}: {seen[key]} vs {value}")
                seen.setdefault(key, value)
    return out


# ---------------------------------------------------------------------------------------------- guide

@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    name: str
    title: str
    png_b64: str
    width: int
    caption: str


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Guide:
    recipe: dict[str, list[Step]]
    sections: list[Section]
    recommendation: dict
    proof: pd.DataFrame
    summary: pd.DataFrame
    title: str = "boostreg tuning guide: reg_alpha and reg_lambda for XGBoost and LightGBM"
    provenance: str = ""


def _f(v, fmt="{:.4g}") -> str:
    if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    return fmt.format(v) if isinstance(v, (float, int, np.floating, np.integer)) else str(v)


def _table(title: str, frame: pd.DataFrame, cols: list[str], pct: tuple = ()) -> Table:
    cols = [c for c in cols if c in frame]
    rows = [[_pct(v) if c in pct else _f(v) for c, v in zip(cols, row)] for row in frame[cols].itertuples(index=False)]
    return Table(title, cols, rows)


def _figure(name: str, title: str, fig, caption: str) -> Figure:
    from .report import figure as report_figure

    vm = report_figure(title, fig, title, caption)
    return Figure(name, title, vm.png_b64, vm.width, caption)


def build_guide(fits: pd.DataFrame) -> Guide:
    """The guide's numbers, recipe, sections and recommendation, from the fit records only."""
    from . import analysis, plots

    df = guide_rows(fits)
    if df.empty:
        raise BoostregError("these records have no booster fits with a validation error; the guide selects settings "
                            "on a validation split: run a study with validation_fraction set (studies/tuning_guide.toml).")
    if not df.is_default.fillna(False).any():
        raise BoostregError("these records hold no library-default fits (records from before boostreg fitted them); "
                            "run the tuning study again (bash scripts/tuning_guide.sh).")
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
    units = data_units(df)
    claims = analysis.claims_ledger(fits[fits.engine.map(inference.engine_kind) == "booster"])
    engines = sorted(rec.engine)

    recipe = {}
    for engine in engines:
        r = rec[rec.engine == engine].iloc[0]
        s = summ[(summ.engine == engine) & (summ.task == "all")]
        rg = ranges[ranges.engine == engine]
        alone = summ_alone[(summ_alone.engine == engine) & (summ_alone.task == "all")]
        recipe[engine] = [rule_start(engine, r, s.iloc[0] if len(s) else None), rule_where_not(engine, proof),
                          rule_point_alone(engine, alone.iloc[0] if len(alone) else None, proof),
                          rule_search(engine, rg.iloc[0] if len(rg) else None), rule_tuning_worth(engine, own)]
    recipe["both engines"] = [rule_l1(claims)]

    sections = []
    summary_cols = ["engine", "task", "n_datasets", "wins", "ties", "mean_rel_gain", "rel_low", "rel_high",
                    "worst_dataset", "worst_rel_gain", "clearly_worse", "shared_metric", "mean_shared_gain",
                    "shared_low", "shared_high"]
    summary_pct = ("mean_rel_gain", "rel_low", "rel_high", "worst_rel_gain")
    sec = Section("proof", "Proof out of sample (leave one dataset out)", [
        "For each real dataset D and engine, the starting point is derived from the other datasets only (the grid "
        "point with the smallest mean validation error relative to the library default). The advice is to fit that "
        "point beside the library default and keep whichever has the lower validation error: on each of D's fold "
        "groups the validation split (carved from the training fold) decides, and the kept fit is scored on D's "
        "outer test fold against the library default, paired by fold; intervals are corrected resampled t "
        f"intervals (Nadeau & Bengio 2003) over D's {int(proof.rec_n_groups.max()) if len(proof) else '?'} folds. "
        f"The pooled mean gets a {int(CONFIDENCE * 100)}% t interval over datasets. Relative gain = "
        "(default's test error − the advice's) / default's; > 0 helps; a tie is a dataset where the validation "
        "split kept the default in every fold. AUC and R² gains are reported per task, never averaged together. "
        "The point alone, applied without the check, is shown beside it."])
    sec.tables.append(_table("Summary per engine (and per task): the advice", summ, summary_cols, pct=summary_pct))
    sec.tables.append(_table("The recommended point alone, without the validation check", summ_alone, summary_cols,
                             pct=summary_pct))
    if not proof.empty:
        sec.figures.append(_figure("lodo_gain", "Gain over the library default on data the rule never saw",
                                   plots.guide_gains(proof),
                                   "Per dataset: the advice (the recommended point, derived without it, or the "
                                   "default, whichever each fold's validation split preferred), the point alone, "
                                   "Probst et al.'s point (XGBoost) and the dataset's own validation-selected "
                                   "optimum; bars are corrected t intervals over its folds."))
        sec.figures.append(_figure("gain_vs_n", "Gain against the training rows", plots.guide_gain_vs_n(proof),
                                   "Relative gain of the advice against the rows each fold trained on."))
    sec.tables.append(_table("Per dataset", proof,
                             ["engine", "dataset", "task", "n_train", "alpha_rel", "lambda_rel", "chk_rel_gain",
                              "chk_rel_low", "chk_rel_high", "chk_shared_gain", "rec_rel_gain", "rec_rel_low",
                              "rec_rel_high", "probst_rel_gain", "own_rel_gain"],
                             pct=("chk_rel_gain", "chk_rel_low", "chk_rel_high", "rec_rel_gain", "rec_rel_low",
                                  "rec_rel_high", "probst_rel_gain", "own_rel_gain")))
    sections.append(sec)

    sec = Section("ranges", "Where the optimum lies, in the data's units", [
        "α_max is the largest |G| over the leaves of the fold's unpenalized first tree (from reg_alpha = α_max on every "
        "leaf of such a tree is 0); H̄ is the mean hessian sum of those leaves (reg_lambda = H̄ halves a typical leaf). "
        "Each fold group's validation-selected setting is one point; the range is the "
        f"{TARGET_SHARE_BAND[0]:.0%}–{TARGET_SHARE_BAND[1]:.0%} band of the per-dataset medians."])
    sec.tables.append(_table("Search ranges (relative)", ranges, ["engine", "alpha_low", "alpha_high", "lambda_low",
                                                                  "lambda_high", "edge_share", "edge_pairs",
                                                                  "interior_share", "n_datasets"]))
    if not pos.empty:
        sec.figures.append(_figure("optima", "Validation-selected settings, relative to each dataset",
                                   plots.guide_optima(pos), "One dot per fold group (jittered); 0 is drawn left of "
                                   "the smallest nonzero value."))
    caps = tree_cap(df)
    if not caps.empty:
        strong = caps[caps.lambda_grid == caps.lambda_grid.max()]
        modal = modal_settings(pos)
        n_top = int((modal.in_grid & np.isclose(modal["lambda"], strong.lambda_grid.iloc[0])).sum())
        sec.paragraphs.append(
            "A strong reg_lambda slows every step, so early stopping runs longer; at the grid's largest reg_lambda "
            f"({_g(strong.lambda_grid.iloc[0])} × H̄) " + ", ".join(
                f"{r.at_cap_share:.0%} of {r.engine}'s fits" for r in strong.itertuples()) +
            " reached the cap of trees without stopping, so there the grid tests the penalty together with the cap; "
            f"it was the most selected setting of {n_top} of {len(modal)} dataset × engine pairs.")
        sec.tables.append(_table("Fits that reached the tree cap, by reg_lambda / H̄", caps,
                                 ["engine", "lambda_grid", "fits", "at_cap_share", "mean_trees"]))
    pub = pd.DataFrame(PUBLISHED_RANGES)
    sec.tables.append(_table("Published ranges beside ours, and why they differ", pub,
                             ["source", "engine", "reg_alpha", "reg_lambda", "why"]))
    sections.append(sec)

    sec = Section("units", "From relative advice to raw values", [
        "reg_alpha = a × α_max and reg_lambda = l × H̄, with α_max and H̄ read from one unpenalized tree fitted on "
        "the rows you train on (`boostreg recommend --data FILE --target COL` does exactly this in seconds). "
        "Both grow in proportion to the rows: for squared error H̄ is the mean number of training rows per leaf "
        "(n_train / leaves), for log loss Σ p(1 − p) over a leaf's rows (about p̄(1 − p̄) × n_train / leaves); "
        "α_max = H̄ × m, with m the largest |mean gradient| of a first-tree leaf (regression: a mean residual in the "
        "target's units; binary: a difference of probabilities, at most 1). So the raw values scale with the rows "
        "per leaf and, for regression, with the target's scale — which is why one raw number means different "
        "things on different data, and why the penalty 'fades' as the data grow.",
        "Typical raw values from these datasets (mean over folds; leaves per tree of the unpenalized fit):"])
    if not units.empty and len(rec):
        shown = units.merge(rec[["engine", "alpha_rel", "lambda_rel"]], on="engine")
        shown = shown.assign(reg_alpha=shown.alpha_rel * shown.alpha_max, reg_lambda=shown.lambda_rel * shown.h_bar)
        sec.tables.append(_table("α_max, H̄ and the recommended raw values per dataset", shown,
                                 ["engine", "dataset", "task", "n_train", "leaves", "alpha_max", "h_bar", "alpha_per_h",
                                  "reg_alpha", "reg_lambda"]))
    sections.append(sec)

    sec = Section("worth", "What tuning the penalties is worth", [
        "Tuning both penalties on each dataset's own validation split, scored on its test folds against the "
        "library default (the same protocol as `boostreg summary`). Probst et al. (2019) report the tunability of "
        "xgboost's lambda and alpha as about 0.002–0.004 AUC on their datasets."])
    sec.tables.append(_table("Own validation-selected optimum vs the default", own,
                             ["engine", "task", "n_datasets", "wins", "mean_rel_gain", "rel_low", "rel_high",
                              "shared_metric", "mean_shared_gain", "shared_low", "shared_high", "clearly_worse"],
                             pct=("mean_rel_gain", "rel_low", "rel_high")))
    if not probst.empty:
        sec.paragraphs.append(f"Probst et al.'s point (reg_alpha {PROBST['reg_alpha']}, reg_lambda "
                              f"{PROBST['reg_lambda']}: {PROBST['source']}) under this study's other settings:")
        sec.tables.append(_table("Probst et al.'s point vs the default (XGBoost)", probst,
                                 ["engine", "task", "n_datasets", "wins", "mean_rel_gain", "rel_low", "rel_high",
                                  "worst_dataset", "worst_rel_gain", "clearly_worse"],
                                 pct=("mean_rel_gain", "rel_low", "rel_high", "worst_rel_gain")))
    sections.append(sec)

    sec = Section("l1", "When L1 helps", [
        "From the claims ledger on these records (decided at matched validation error, pooled over dataset × "
        "engine units; see the report's claims section for the rule):"])
    ledger = pd.DataFrame([{"claim": c.claim, "verdict": c.verdict, "effect": c.effect, "ci_low": c.ci_low,
                            "ci_high": c.ci_high, "units": c.n_units} for c in claims])
    sec.tables.append(_table("Claims", ledger, ["claim", "verdict", "effect", "ci_low", "ci_high", "units"]))
    sections.append(sec)

    recommendation = {"engines": {}, "assumptions": _assumptions(fits), "provenance": provenance(fits)}
    for r in rec.itertuples():
        rg = ranges[ranges.engine == r.engine]
        s = summ[(summ.engine == r.engine) & (summ.task == "all")]
        recommendation["engines"][r.engine] = {
            "reg_alpha_relative": r.alpha_rel, "reg_lambda_relative": r.lambda_rel,
            "reg_alpha_range_relative": [float(rg.alpha_low.iloc[0]), float(rg.alpha_high.iloc[0])] if len(rg) else None,
            "reg_lambda_range_relative": [float(rg.lambda_low.iloc[0]), float(rg.lambda_high.iloc[0])] if len(rg) else None,
            "rule": recipe[r.engine][0].text,
            "check_against_default": "fit the recommended values beside the library default (the same other "
                                     "settings) and keep whichever has the lower validation error",
            "lodo": _lodo_json(s), "lodo_point_alone": _lodo_json(
                summ_alone[(summ_alone.engine == r.engine) & (summ_alone.task == "all")])}
    return Guide(recipe, sections, recommendation, proof, summ, provenance=provenance(fits))


def _lodo_json(s: pd.DataFrame) -> dict:
    """One engine's leave-one-dataset-out summary row as plain JSON values."""
    keys = ("n_datasets", "wins", "ties", "mean_rel_gain", "rel_low", "rel_high", "worst_dataset", "worst_rel_gain",
            "clearly_worse")
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in (s.iloc[0].to_dict().items() if len(s) else []) if k in keys}


def _assumptions(fits: pd.DataFrame) -> dict:
    """The study's fixed settings the advice holds for (the guide's records decide them, not this code)."""
    out = {}
    for engine, g in fits[fits.engine.map(inference.engine_kind) == "booster"].groupby("engine"):
        params = json.loads(g.params_json.iloc[0]) if "params_json" in g and isinstance(g.params_json.iloc[0], str) else {}
        out[engine] = {k: v for k, v in sorted(params.items()) if k not in ("reg_alpha", "reg_lambda")}
    return out


def provenance(fits: pd.DataFrame) -> str:
    """Which records the guide was built from (stands in for a date, so the same records give the same guide)."""
    studies = ", ".join(sorted(map(str, fits.study.dropna().unique()))) if "study" in fits else "?"
    boosters = fits[fits.engine.map(inference.engine_kind) == "booster"]
    versions = "; ".join(f"{e} {', '.join(sorted(map(str, g.engine_version.dropna().unique())))}"
                         for e, g in boosters.groupby("engine")) if "engine_version" in fits else ""
    ok = int((fits.status == "ok").sum())
    return f"{len(fits)} fit records ({ok} ok) of study {studies}; {versions}"


# ---------------------------------------------------------------------------------------------- output

def render_html(guide: Guide, command: str = "") -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from . import __version__

    env = Environment(loader=PackageLoader("boostreg.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    return env.get_template("guide.html.j2").render(g=_html_sentences(guide), version=__version__, command=command)


def _html_inline(text: str):
    """A sentence written for Markdown as HTML: escaped, its inline code (`...`) as <code>...</code>, so the HTML
    shows no Markdown backticks (the Markdown keeps them)."""
    import re

    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", str(escape(text))))


def _html_sentences(guide: Guide) -> Guide:
    """The guide with every sentence, table cell and caption as :func:`_html_inline` HTML (the same words)."""
    from dataclasses import replace

    return replace(
        guide, title=_html_inline(guide.title), provenance=_html_inline(guide.provenance),
        recipe={e: [replace(s, text=_html_inline(s.text)) for s in steps] for e, steps in guide.recipe.items()},
        sections=[replace(sec, title=_html_inline(sec.title), paragraphs=[_html_inline(p) for p in sec.paragraphs],
                          tables=[Table(_html_inline(t.title), [_html_inline(c) for c in t.columns],
                                        [[_html_inline(c) for c in row] for row in t.rows]) for t in sec.tables],
                          figures=[replace(f, title=_html_inline(f.title), caption=_html_inline(f.caption))
                                   for f in sec.figures])
                  for sec in guide.sections])


def _md_text(text: str) -> str:
    """Text that may carry names from the data (datasets, studies), made inert in Markdown: HTML-significant
    characters become entities, so a dataset named '<script>' stays text in any Markdown renderer."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(guide: Guide, files_dir: str = "") -> str:
    lines = [f"# {_md_text(guide.title)}", "", f"Built from {_md_text(guide.provenance)}.", "", "## Recipe", ""]
    for engine, steps in guide.recipe.items():
        lines += [f"### {_md_text(engine)}", ""]
        lines += [f"{i}. {_md_text(s.text)} ([evidence](#{s.anchor}))" for i, s in enumerate(steps, 1)] + [""]
    for sec in guide.sections:
        lines += [f'<a id="{sec.id}"></a>', "", f"## {_md_text(sec.title)}", ""]
        for p in sec.paragraphs:
            lines += [_md_text(p), ""]
        for fig in sec.figures:
            lines += [f"![{_md_text(fig.title)}]({files_dir}/{fig.name}.png)", "", f"*{_md_text(fig.caption)}*", ""]
        for t in sec.tables:
            lines += [f"### {_md_text(t.title)}", "", "| " + " | ".join(_md_cell(c) for c in t.columns) + " |",
                      "|" + "---|" * len(t.columns)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows] + [""]
    return "\n".join(lines)


def _write(path: Path, data: str | bytes) -> None:
    from .paths import write_atomic

    write_atomic(path, data, "the guide", "another -o")  # a temporary file renamed over it; a failed write is one line


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
    folder, or beside the file), Markdown (same stem, .md, figures in STEM_files/) and recommendation.json beside
    them. The same records give byte-identical files."""
    import base64

    source = Path(source)
    fits = load_fits(source)
    default_dir = source.parent if source.is_file() else source
    html_path = Path(html_path) if html_path else default_dir / "guide.html"
    md_path = Path(md_path) if md_path else html_path.with_suffix(".md")
    from .paths import check_target

    # never in a run's data, only over regular files or nothing, in folders that can be written (boostreg.paths)
    for p in (html_path, md_path, html_path.with_name("recommendation.json")):
        check_target(p, "the guide", "another -o")
    files = md_path.with_name(f"{md_path.stem}_files")
    if os.path.lexists(files) and not files.is_dir():
        raise BoostregError(f"'{files}' (the guide's figures) exists and is not a folder; choose another -o.")
    guide = build_guide(fits)
    for sec in guide.sections if files.is_dir() else ():
        for fig in sec.figures:
            check_target(files / f"{fig.name}.png", "the guide", "another -o")
    files.mkdir(exist_ok=True)
    for sec in guide.sections:
        for fig in sec.figures:
            _write(files / f"{fig.name}.png", base64.b64decode(fig.png_b64))
    _write(html_path, render_html(guide, f"boostreg guide {source}"))
    _write(md_path, render_markdown(guide, files.name))
    _write(html_path.with_name("recommendation.json"),
           json.dumps(guide.recommendation, indent=1, sort_keys=True, default=_json_default) + "\n")
    return html_path, md_path


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, tuple):
        return list(v)
    return str(v)


def recommendation_for(path: str | Path | None = None) -> dict:
    """The recommendation ``boostreg recommend`` applies: package data written from the committed guide."""
    path = Path(path) if path else Path(__file__).with_name("recommendation.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BoostregError(f"cannot read the recommendation '{path}' ({type(err).__name__}); reinstall boostreg, or "
                            "rebuild it with 'boostreg guide'.") from None


__all__ = ["build_guide", "write_guide", "lodo", "recommend", "relative_surface", "recommendation_for"]
