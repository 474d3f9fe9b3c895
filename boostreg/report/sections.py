"""The report's sections: each builder takes the records (and curves, leaves) and returns a SectionVM.

Every sentence is filled from computed numbers; selection, gains and verdicts come from
``boostreg.inference`` / ``boostreg.analysis``, never from here.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from .. import analysis, inference, plots
from ..inference import CONFIDENCE
from . import AnswerVM, CardVM, Cell, SectionVM, TableVM, figure, table_vm

METRIC_NAMES = {"rmse": "RMSE", "mae": "MAE", "logloss": "log loss", "error": "error rate", "auc": "AUC",
                "accuracy": "accuracy", "r2": "R²"}
PCT = int(CONFIDENCE * 100)


def _f(v, fmt="{:.3g}") -> str:
    return "–" if v is None or not np.isfinite(v) else fmt.format(v)


def _ci(mean, lo, hi, fmt="{:.3g}") -> str:
    return f"{_f(mean, fmt)} [{_f(lo, fmt)}, {_f(hi, fmt)}]"


def library_defaults_text(engines) -> str:
    """The library-default penalties of these engines, read from each engine's own ``library_defaults`` (boosters
    by boostreg's names with the library's in brackets, baselines by their class's alpha or C), e.g.
    'xgboost reg_alpha 0, reg_lambda 1 (alpha, lambda); catboost reg_lambda 3 (l2_leaf_reg); mlp alpha 0.0001'."""
    from ..engines import ENGINES

    parts = []
    for name in sorted(set(map(str, engines)), key=lambda e: (inference.engine_kind(e) != "booster", e)):
        eng = ENGINES.get(name)
        defaults = getattr(eng, "library_defaults", None) or {}
        if eng is None or not defaults:
            parts.append(f"{name} not declared by the engine")
        elif eng.kind == "booster":
            keys = [k for k in eng.penalties]
            native = [eng.param_names.get(k, k) for k in keys]
            parts.append(f"{name} " + ", ".join(f"{k} {float(defaults.get(k, 0.0)):g}" for k in keys)
                         + (f" ({', '.join(native)})" if native != keys else ""))
        else:
            parts.append(f"{name} {inference.penalty_name(name)} {float(defaults.get('penalty', np.nan)):g}")
    return "; ".join(parts)


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
        parts = [f"{w} {_n(v)} of {r.n_used}" for w, v in (("default", r.n_not_converged_default),
                                                         ("selected", r.n_not_converged_selected))
                 if np.nan_to_num(v) > 0]
        pairs.append(f"{r.dataset} · {r.engine}: {', '.join(parts)}")
    engines = ", ".join(f"[params.{e}]" for e in sorted(bad.engine.unique()))
    return [f"Fits that did not converge (the solver stopped at its iteration limit: their error is an unfinished "
            f"fit's, not the penalty's alone), of the fold groups behind each gain: {'; '.join(pairs)}. Their gains "
            f"and rankings compare unfinished fits; raise max_iter under {engines} before reading them."]


def _n(v) -> str:
    return "–" if v is None or not np.isfinite(v) else str(int(v))


def _not_converged_mark(r, which: str = "default") -> str:
    """' (not converged: default 3/3, selected 1/3)' for a summary row with such fits, else ''."""
    parts = [f"{w} {_n(getattr(r, f'n_not_converged_{w}', np.nan))}/{r.n_used}" for w in ("default", "selected")
             if w in which.split() and np.nan_to_num(getattr(r, f"n_not_converged_{w}", np.nan)) > 0]
    return f" (not converged: {', '.join(parts)})" if parts else ""


def leaves_frame(fits: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ["fit_id", "dataset", "engine", "reg_alpha", "reg_lambda", "learning_rate", "max_delta_step",
                        "reg_alpha_relative", "reg_lambda_relative"] if c in fits]
    return leaves.merge(fits[cols], on="fit_id")


# ---------------------------------------------------------------------------------------------- what should I use?

def answer_section(run) -> SectionVM:
    """The first screen: one card per dataset, per engine the verdict, the line to paste and the smaller model."""
    from ..refit import answer_rows

    sec = SectionVM("answer", "The answer")
    if not inference.has_validation(run.fits):
        sec.commentary.append("No validation split in this study, so no setting is chosen: add validation_fraction = "
                              "0.2 under [params] and run it again.")
        return sec
    rows = answer_rows(run)
    summary = run.summary()
    sec.commentary.append(
        "Per dataset and engine: the verdict on tuning (the validation-selected setting against the library default "
        f"on the test folds, relative, with its {PCT}% corrected interval; \"keep the default\" when the interval "
        "lies within ±1% or below 0), the setting with the lowest mean validation error as the engine's own "
        "class with raw values for the whole table, and the smallest model within one standard error of it.")
    for dataset in sorted({r["dataset"] for r in rows}):
        answers = []
        for r in (r for r in rows if r["dataset"] == dataset):
            smaller = ""
            if r.get("params_smallest_line") and r["params_smallest"] != r["params"]:
                size = (f"{r['smallest_leaves_per_tree']:.3g} leaves carrying a value per tree against "
                        f"{r['best_leaves_per_tree']:.3g}; " if r["kind"] == "booster" else "")
                smaller = f"Smaller model within noise ({size}{r['smallest_point']}): {r['params_smallest_line']}"
            answers.append(AnswerVM(r["engine"] + (f" ({r['setting']})" if r["setting"] else ""), r["verdict_text"],
                                    f"v-{r['verdict'].replace(' ', '-')}", r.get("params_line") or "", smaller))
        sub = summary[(summary.dataset == dataset) & (summary.fits_present > 0)]
        fig = (figure("", plots.gains(sub), f"gain over the default on {dataset}",
                      "Relative gain of the validation-selected setting over the library default, with its interval.")
               if len(sub) else None)
        sec.cards.append(CardVM(dataset, answers, fig))
    return sec


def use_section(fits: pd.DataFrame, identity: dict | None = None) -> SectionVM:
    sec = SectionVM("use", "What should I use?")
    if not inference.has_validation(fits):
        sec.commentary.append("This study carved no validation split from its training folds, so no setting can be "
                              "selected without looking at the test folds, and no gain is computed. Add "
                              "validation_fraction = 0.2 under [params] and run it again.")
        return sec
    summary = inference.summary_table(fits, identity)
    if summary.empty:
        sec.commentary.append("No fold group has a fit with a validation error.")
        return sec
    sec.commentary.append(
        "In each fold group (dataset × engine × fold × seed) the setting with the lowest validation error is selected "
        "— the test fold is never seen — and compared on the same outer test fold with the library's default "
        f"penalties ({library_defaults_text(fits.engine.unique())}). Intervals are "
        f"{PCT}% corrected resampled t intervals over folds × seeds (Nadeau & Bengio 2003), which allow for the "
        "overlap of the training folds.")
    sec.commentary.extend(not_converged_notes(summary))
    status = inference.group_status(fits, identity)
    unreached = status[~status.present].groupby(["dataset", "engine"]).size()
    if len(unreached):
        sec.commentary.append(
            f"Incomplete run: {int(status.n_fits.sum())} of {int(status.n_expected.sum())} planned fits are stored; "
            + "; ".join(f"{d} · {e}: {n} fold groups without a fit" for (d, e), n in unreached.items())
            + ". Run the same command again to finish it.")
    summary = summary[summary.fits_present > 0]  # the unreached pairs are named above and have nothing to show
    bad = summary[~summary.complete]
    if len(bad):
        sec.commentary.append(
            f"Incomplete: {len(bad)} dataset × engine pairs have failed or missing fits ("
            + "; ".join(f"{r.dataset} · {r.engine}: {r.fits_present} of {r.fits_planned} fits, "
                        f"{r.n_failed_groups} fold groups with a failed fit" for r in bad.itertuples())
            + "). A fold group with a failed or missing fit gives no gain (never a gain of 0); their gains rest on "
              "the complete fold groups only, and a pair without one has none.")
    for engine, g in summary[summary.kind == "booster"].groupby("engine"):
        better = int((g.gain_vs_default > 0).sum())
        sure = int((g.gain_ci_low > 0).sum())
        worse = int((g.gain_ci_high < 0).sum())
        sec.commentary.append(
            f"{engine}: the selected setting beat the default on {better} of {len(g)} datasets (interval above 0 on "
            f"{sure}, below 0 on {worse}); mean relative gain {g.gain_vs_default_relative.mean():+.1%}, largest "
            f"{g.gain_vs_default_relative.max():+.1%}, smallest {g.gain_vs_default_relative.min():+.1%}.")
    edge = summary[summary.at_grid_edge]
    sec.commentary.append(
        f"The setting selected most often sat on the grid's edge for {len(edge)} of {len(summary)} dataset × engine "
        "pairs" + (f" ({', '.join(f'{r.dataset} · {r.engine}' for r in edge.itertuples())}): widen the grid there."
                   if len(edge) else "."))
    sec.commentary.extend(_models_commentary(summary, inference.selection_table(fits)))
    rows = []
    for r in summary.itertuples():
        rows.append([Cell(r.dataset), Cell(r.engine + (f" ({r.setting})" if r.setting else "")),
                     Cell(f"{r.selected} ({r.n_selected}/{r.n_groups})"), Cell("edge" if r.at_grid_edge else ""),
                     Cell(METRIC_NAMES.get(r.metric, r.metric)),
                     Cell(_ci(r.gain_vs_default, r.gain_ci_low, r.gain_ci_high), "num"),
                     Cell(_f(r.gain_vs_default_relative, "{:+.1%}") + _not_converged_mark(r, "default selected"),
                          "num"),
                     Cell(_ci(r.gain_vs_unpenalized, r.gain_unpenalized_ci_low, r.gain_unpenalized_ci_high), "num")])
    sec.tables.append(TableVM(["dataset", "engine", "selected (times of folds × seeds)", "grid edge", "error",
                               f"gain vs default [{PCT}% CI]", "relative", f"gain vs unpenalized [{PCT}% CI]"], rows,
                              "Validation-selected setting against the library default (gain > 0: tuning helped)"))
    sec.tables.append(_models_table(summary))
    sec.figures.append(figure("Gain over the library default", plots.gains(summary), "gain forest plot",
                              f"Relative gain with its {PCT}% corrected t interval; a red arrow marks a selection on "
                              "the grid's edge; an interval end beyond the axis is clipped: an arrow at the edge with "
                              "its value."))
    return sec


def _models_table(summary: pd.DataFrame) -> TableVM:
    rows = []
    for dataset, g in summary.groupby("dataset", sort=True):
        for r in g.sort_values("shared_selected", ascending=False).itertuples():
            rows.append([Cell(dataset), Cell(r.engine + (f" ({r.setting})" if r.setting else "")), Cell(r.kind),
                         Cell(r.selected + _not_converged_mark(r, "selected")),
                         Cell(f"{METRIC_NAMES[r.shared_metric]} {_ci(r.shared_selected, r.shared_ci_low, r.shared_ci_high)}",
                              "num"),
                         Cell(f"{METRIC_NAMES[r.shared2_metric]} {_ci(r.shared2_selected, r.shared2_ci_low, r.shared2_ci_high)}",
                              "num"),
                         Cell(_f(r.fit_time_s, "{:.3f}"), "num"), Cell(_f(r.tuning_time_s, "{:.2f}"), "num")])
    return TableVM(["dataset", "engine", "kind", "selected", "shared metric (higher is better)", "second metric",
                    "fit s", "grid s per fold"], rows,
                   "Models side by side: each engine's selected setting on one scale (AUC and accuracy, or R² and RMSE)")


def _models_commentary(summary: pd.DataFrame, sel: pd.DataFrame) -> list[str]:
    """Which model scored higher, decided by paired corrected intervals (a point estimate alone decides nothing)."""
    out, beaten, close = [], [], []
    for dataset, g in summary.groupby("dataset", sort=True):
        top = g.loc[g.shared_selected.idxmax()]
        boost, base = g[g.kind == "booster"], g[g.kind == "baseline"]
        out.append(f"{dataset}: highest {METRIC_NAMES[top.shared_metric]} from {top.engine} ({top.shared_selected:.3g}).")
        if not (len(boost) and len(base)):
            continue
        b = base.loc[base.shared_selected.idxmax()]
        col = f"test_{b.shared_metric}_selected"
        diffs = [inference.paired_model_difference(sel, dataset, b.engine, e, col) for e in boost.engine]
        if all(d.ci_low > 0 for d in diffs):
            beaten.append(f"{dataset} ({b.engine} {METRIC_NAMES[b.shared_metric]} {b.shared_selected:.3g}; paired "
                          "difference over the better booster " + ", ".join(
                              f"{e} {_ci(d.mean, d.ci_low, d.ci_high)}" for e, d in zip(boost.engine, diffs)) + ")")
        elif b.shared_selected > boost.shared_selected.max():
            close.append(dataset)
    n = summary.dataset.nunique()
    if not (summary.kind == "baseline").any() or not (summary.kind == "booster").any():
        return [" ".join(out)]
    lead = (f"On {len(beaten)} of {n} datasets a baseline's selected setting scored higher than every booster, with "
            f"the paired {PCT}% interval above 0: " + "; ".join(beaten) + "." if beaten else
            f"On none of the {n} datasets did a baseline score higher than every booster with a paired interval "
            "above 0.")
    if close:
        lead += (f" On {', '.join(close)} a baseline's mean was higher but the paired intervals hold 0: "
                 "indistinguishable.")
    return [lead, " ".join(out)]


# ---------------------------------------------------------------------------------------------- the study

def study_section(out: Path, fits: pd.DataFrame) -> SectionVM:
    sec = SectionVM("study", "The study")
    from ..run import read_runs

    try:
        spec = tomllib.loads((out / "study.toml").read_text(encoding="utf-8")) if (out / "study.toml").exists() else {}
    except (OSError, ValueError):
        spec = {}
    runs = read_runs(out, heal=False)
    head = spec.get("study", {})
    n_ok = int((fits.status == "ok").sum())
    wall = sum(r.get("wall_time_s", 0) for r in runs)
    sec.commentary.append(
        f"{len(fits)} fits ({n_ok} ok, {len(fits) - n_ok} failed) of {fits.dataset.nunique()} datasets × "
        f"{fits.engine.nunique()} engines, {head.get('folds', '?')} folds × {len(head.get('seeds', [])) or '?'} seeds; "
        f"{len(runs)} run(s) took {wall:.0f} s of wall time in all.")
    if head.get("description"):
        sec.commentary.append(f"Study '{head.get('name', '')}': {head['description']}")
    data = (fits.assign(rows=fits.n_train + fits.n_test + fits.n_valid.fillna(0))
            .groupby("dataset").agg(task=("task", "first"), rows=("rows", "max"), columns=("n_features", "max"),
                                    fits=("fit_id", "count"), failed=("status", lambda s: int((s != "ok").sum())))
            .reset_index())
    sec.tables.append(table_vm(data, "Datasets"))
    grid = spec.get("grid", {})

    def grid_text(vals):
        if isinstance(vals, dict) and "relative" in vals:
            return "relative: " + ", ".join(f"{v:g}" for v in vals["relative"])
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)

    settings = [{"what": "engines", "value": ", ".join(sorted(fits.engine.unique()))}]
    settings += [{"what": f"grid: {k}", "value": grid_text(vals)} for k, vals in grid.items()]
    settings += [{"what": f"params: {k}", "value": json.dumps(v) if isinstance(v, dict) else str(v)}
                 for k, v in spec.get("params", {}).items()]
    if runs:
        last = runs[-1]
        settings.append({"what": "library versions", "value": ", ".join(f"{k} {v}" for k, v in last["versions"].items())})
        m = last["machine"]
        settings.append({"what": "machine", "value": f"{m['cpus']} CPUs, {m['platform']}"})
        settings.append({"what": "layout", "value": f"{last['jobs']} processes × {last['threads_per_fit']} threads per fit"})
    sec.tables.append(table_vm(pd.DataFrame(settings), "Settings"))
    failed = fits[fits.status != "ok"]
    if len(failed):
        sec.commentary.append(f"{len(failed)} fits failed; the first of each kind is listed below.")
        fail = failed.groupby(["dataset", "engine", "error"]).fit_id.count().reset_index(name="fits")
        sec.tables.append(table_vm(fail, "Failures"))
    else:
        sec.commentary.append("No fit failed.")
    return sec


# ---------------------------------------------------------------------------------------------- surfaces

#: (record column, title, colour map, colour rule, reference column at the unpenalized cell)
SURFACES = [
    ("test_error", "Test error (primary metric: {metrics}; lower is better)", "rocket_r", "excess_over_best", None),
    ("generalization_gap", "Train–test gap (test − train error)", "rocket_r", "gap_share", "test_error"),
    ("n_leaves_mean", "Leaves per tree", "mako", "absolute", None),
    ("leaf_abs_mean", "Mean |leaf weight|", "mako", "share_of_unpenalized", "leaf_abs_mean"),
    ("zero_leaf_frac", "Exact-zero leaf fraction", "mako", "absolute", None),
]


def surfaces_section(fits: pd.DataFrame) -> SectionVM:
    sec = SectionVM("surfaces", "Heatmaps over reg_alpha × reg_lambda")
    marks = analysis.surface_marks(fits)
    metrics = ", ".join(sorted({f"{METRIC_NAMES.get(m, m)} ({t})" for t, m in
                                fits[["task", "primary_metric"]].drop_duplicates().itertuples(index=False)}))
    zs = analysis.surface(fits, "zero_leaf_frac")
    if zs.empty:
        sec.commentary.append("No booster fits in this run.")
        return sec
    if (zs.alpha_units == "relative").any() or (zs.lambda_units == "relative").any():
        sec.commentary.append(
            "The grid is in the data's units: reg_alpha as a fraction of α_max (the largest |G| of the unpenalized "
            "fit's first-tree leaves: from 1 on, every leaf of such a first tree is 0) and reg_lambda as a multiple "
            "of H̄ (the mean hessian sum of those leaves: at 1 a typical leaf is halved), so every dataset spans the "
            "same regime.")
    default = fits[fits.get("is_default", pd.Series(False, index=fits.index)).fillna(False).astype(bool)
                   & (fits.engine == "xgboost") & (fits.status == "ok")] if "is_default" in fits else fits.iloc[:0]
    if len(default) and "reg_lambda_relative" in default and (zs.lambda_units == "relative").any():
        rel = default.reg_lambda_relative
        sec.commentary.append(
            f"XGBoost's default reg_lambda = 1 is λ/H̄ = {rel.min():.2g} to {rel.max():.2g} here (median "
            f"{rel.median():.2g}): not a cell of the relative grid; the validation curves show it as a star.")
    at0 = zs[zs.reg_alpha == 0].zero_leaf_frac.max()
    top = zs[zs.reg_alpha == zs.groupby(["dataset", "engine"]).reg_alpha.transform("max")].zero_leaf_frac.mean()
    sec.commentary.append(f"Zero leaves: at most {at0:.3f} of leaves are exactly 0 without L1, "
                          f"{top:.3f} on average at the largest reg_alpha.")
    for value, title, cmap, rule, ref_col in SURFACES:
        surf = analysis.surface(fits, value)
        if surf.empty or surf[value].isna().all():
            continue
        ref = None
        if ref_col is not None:
            base = analysis.surface(fits, ref_col)
            base = base[(base.reg_alpha == 0) & (base.reg_lambda == 0)]
            ref = base[["dataset", "engine", ref_col]].rename(columns={ref_col: "ref"})
        label = title.format(metrics=metrics)
        fig = plots.heatmaps(surf, value, cmap=cmap, rule=rule, unpenalized_ref=ref, marks=marks)
        sec.figures.append(figure(label, fig, f"heatmap of {value}",
                                  f"Mean over folds × seeds; one panel per dataset and engine. {plots.HEATMAP_SCALES[rule]}. "
                                  "Red box: the cell selected most often on the validation split; D: the library default."))
    return sec


# ---------------------------------------------------------------------------------------------- curves

def validation_section(fits: pd.DataFrame) -> SectionVM:
    sec = SectionVM("validation", "Validation curves along each penalty")
    path = analysis.validation_path(fits)
    if path.empty:
        sec.commentary.append("No booster fits in this run.")
        return sec
    test = path[path.split == "test"]
    width = (test.ci_high - test.ci_low).median()
    sec.commentary.append(
        f"Each panel moves one penalty with the other at 0: training error dashed, test error solid, bands are {PCT}% "
        f"corrected t intervals over {int(path.n_fits.max())} folds × seeds clipped to the metric's range (median "
        f"test band width {width:.3g}). A star is the engine's library default.")
    sec.figures.append(figure("Train and test error along reg_alpha and reg_lambda",
                              plots.validation_curves(path, analysis.default_points(fits)), "validation curves"))
    return sec


def learning_section(fits: pd.DataFrame, curves: pd.DataFrame) -> SectionVM:
    sec = SectionVM("learning", "Learning curves")
    mean = analysis.learning_curves(fits, curves)
    if mean.empty:
        sec.commentary.append("No learning curves to show (they need boosters and a validation split).")
        return sec
    final = mean.sort_values("round").groupby(["dataset", "engine", "label"]).tail(1)
    piv = final.pivot_table(index=["dataset", "engine"], columns="label", values=["train_error", "test_error"])
    if ("train_error", "selected on validation") in piv and ("train_error", "unpenalized") in piv:
        up = float((piv["train_error"]["selected on validation"] > piv["train_error"]["unpenalized"]).mean())
        down = float((piv["test_error"]["selected on validation"] < piv["test_error"]["unpenalized"]).mean())
        sec.commentary.append(f"At the last round the validation-selected fit has the higher training error than the "
                              f"unpenalized one in {up:.0%} of dataset × engine pairs, and the lower test error in "
                              f"{down:.0%}.")
    sec.figures.append(figure("Error per boosting round", plots.learning_curves(mean), "learning curves",
                              "Unpenalized, library default and validation-selected fit of each fold group; mean over "
                              "folds and seeds."))
    return sec


# ---------------------------------------------------------------------------------------------- leaves

def leaves_section(fits: pd.DataFrame, lv: pd.DataFrame) -> SectionVM:
    from ..prior import gauss_fit, laplace_fit

    sec = SectionVM("leaves", "Leaf-weight distributions and the Laplace / Gaussian view")
    if lv.empty:
        sec.commentary.append("This run stored no leaf values (OUT/leaves is empty).")
        return sec
    stored = set(lv.fit_id)
    pairs = inference.matched_pairs(fits[fits.fit_id.isin(stored) | fits.group_id.isin(
        fits[fits.fit_id.isin(stored)].group_id)])
    picks = {}
    if not pairs.empty:
        for r in pairs.itertuples():
            for tag, label in (("unpen", "unpenalized"), ("l1", "L1 at matched error"), ("l2", "L2 at matched error")):
                fid = getattr(r, f"{tag}_fit_id")
                if isinstance(fid, str) and fid in stored:
                    picks.setdefault(r.dataset, []).append((fid, label, r.engine))
    if not picks:  # no validation split: the unpenalized fit and the largest single penalties
        for (dataset, engine), g in lv.groupby(["dataset", "engine"]):
            fid = g.groupby("fit_id").first()
            for label, sel in (("unpenalized", (fid.reg_alpha == 0) & (fid.reg_lambda == 0)),
                               ("largest reg_alpha", (fid.reg_alpha == fid.reg_alpha.max()) & (fid.reg_lambda == 0)),
                               ("largest reg_lambda", (fid.reg_lambda == fid.reg_lambda.max()) & (fid.reg_alpha == 0))):
                ids = fid.index[sel]
                if len(ids):
                    picks.setdefault(dataset, []).append((ids[0], label, engine))
    zero = {d: np.mean([np.mean(lv[lv.fit_id == f].value == 0) for f, lab, _ in p if lab.startswith(("L1", "largest reg_a"))] or [0])
            for d, p in picks.items()}
    dataset = max(sorted(zero), key=lambda d: zero[d])  # where the L1 signal is the clearest
    frames = []
    for fid, label, engine in picks[dataset]:
        g = lv[lv.fit_id == fid]
        v = g.value.to_numpy()
        frames.append(g.assign(label=label, laplace_scale=laplace_fit(v), gauss_scale=gauss_fit(v)))
    sel = pd.concat(frames)
    z = sel.groupby(["engine", "label"]).value.apply(lambda v: float(np.mean(v == 0)))
    sec.commentary.append(f"Dataset {dataset}, fold 0 of the first seed: exactly-zero leaves — "
                          + "; ".join(f"{e} {lab}: {v:.0%}" for (e, lab), v in z.items()) + ".")
    sec.commentary.append(analysis.PRIOR_NOTE)
    ratio = analysis.prior_ratio(fits)
    if not ratio.empty:
        sec.tables.append(table_vm(ratio.rename(columns={"laplace_share": "share where Laplace fits better"}),
                                   "Which zero-mean prior fits the leaves better (mean log-likelihood), by kind of fit"))
    sec.figures.append(figure("Leaf values with fitted zero-mean Laplace and Gaussian densities",
                              plots.leaf_distributions(sel), "leaf value histograms",
                              "Log-density scale; curves are the maximum-likelihood zero-mean fits to the same leaves. "
                              "Matched error: the strongest L1-only and L2-only setting whose validation error is "
                              f"within {inference.MATCH_MARGIN:.0%} of the fold group's best."))
    return sec


def theory_section(fits: pd.DataFrame, lv: pd.DataFrame) -> SectionVM:
    sec = SectionVM("theory", "Mechanism checks: every leaf against its closed form")
    checks = analysis.mechanism_checks(fits, lv if not lv.empty else None)
    sec.commentary.append("These restate the closed form w = −T(G, α)/(H + λ) that both engines implement; they are "
                          "checks that the engines and boostreg's reading of them agree, not findings about data.")
    sec.tables.append(TableVM(["check", "status", "agree", "of", "rule", "notes"], [
        [Cell(c.check), Cell(c.status, f"verdict v-{c.status.replace(' ', '-')}"), Cell(str(c.agree), "num"),
         Cell(str(c.total), "num"), Cell(c.rule, "small"), Cell("; ".join(c.details), "small")] for c in checks]))
    ok = fits[(fits.status == "ok") & fits.theory_max_rel_err.notna()]
    if ok.empty:
        sec.commentary.append("No fit carried a theory check.")
        return sec
    worst = ok.loc[ok.theory_max_rel_err.idxmax()]
    sec.commentary.append(
        f"{len(ok)} fits checked; the largest relative error of any leaf is {worst.theory_max_rel_err:.2g} "
        f"({worst.dataset}, {worst.engine}, reg_alpha={worst.reg_alpha:g}, reg_lambda={worst.reg_lambda:g}).")
    na = fits[fits.theory_check.fillna("").str.startswith("not applicable")]
    if len(na):
        sec.commentary.append(f"{len(na)} fits could not be checked: {na.theory_check.iloc[0]}.")
    sampled = fits[fits.theory_check.fillna("").str.startswith("not checked")]
    if len(sampled):
        sec.commentary.append(
            f"{len(ok)} fits were checked and {len(sampled)} sampled out (check = \"sample\", the default: the fits whose "
            "leaves are stored — fold 0 of the first seed — and one in ten of the rest, chosen by fit_id; the closed "
            "form is deterministic, so a sample shows it; check = \"all\" or --check all checks every fit).")
    table = ok.groupby(["dataset", "engine"]).agg(fits=("fit_id", "count"), max_rel_err=("theory_max_rel_err", "max"),
                                                  max_plain_rel_err=("theory_max_plain_rel_err", "max"),
                                                  max_abs_err=("theory_max_abs_err", "max")).reset_index()
    sec.tables.append(table_vm(table, "Largest errors per dataset and engine"))
    if not lv.empty:
        sec.figures.append(figure("Stored leaf values against the closed form", plots.theory_scatter(lv),
                                  "theory scatter", f"{len(lv)} leaves of the fold-0 fits."))
    return sec


def baselines_section(fits: pd.DataFrame) -> SectionVM:
    sec = SectionVM("baselines", "Boosters beside the linear and SVM baselines")
    paths = analysis.penalty_paths(fits)
    if paths.empty:
        sec.commentary.append("No baseline records in this run (add lasso, ridge, logistic_l1, … to engines).")
        return sec
    sec.commentary.extend(analysis.penalty_paths_commentary(paths))
    sec.figures.append(figure("On one normalized penalty axis", plots.penalty_paths(paths), "penalty paths",
                              "Means over datasets, folds and seeds, pooled by the penalty relative to each dataset "
                              f"(quarter-decade bins of the normalized axis), never by its raw value. Solid: L1; dashed: "
                              "L2. The normalized axis is defined in README (penalty_normalized)."))
    return sec


def dynamics_section(out: Path) -> SectionVM:
    sec = SectionVM("dynamics", "Update dynamics: L2 decays in proportion, L1 steps to exact zeros")
    path = out / "dynamics.parquet"
    if not path.exists():
        sec.commentary.append("This run has no update-dynamics table (OUT/dynamics.parquet).")
        return sec
    dyn = pd.read_parquet(path)
    last = dyn[dyn.step == dyn.step.max()]
    zeros = last.groupby("rule").value.apply(lambda v: int((v == 0).sum()))
    sec.commentary.append("Weights exactly 0 at the last step — " + "; ".join(
        f"{r}: {n} of {last[last.rule == r].weight.nunique()}" for r, n in zeros.items()) + ".")
    sec.figures.append(figure("Weight trajectories", plots.update_dynamics(dyn), "update dynamics"))
    return sec


def claims_section(fits: pd.DataFrame, lv: pd.DataFrame) -> SectionVM:
    sec = SectionVM("claims", "Claims ledger")
    claims = analysis.claims_ledger(fits)
    counts = pd.Series([c.verdict for c in claims]).value_counts()
    sec.commentary.append(
        "Each claim of the L1/L2 story is decided where the models still work — at the validation-selected setting, "
        f"or at the strongest L1-only and L2-only settings whose validation error is within "
        f"{inference.MATCH_MARGIN:.0%} of the fold group's best — never at the collapsed corners of the grid. The unit "
        "of replication is dataset × engine: pooled intervals resample those units, per-unit intervals carry the "
        "fold-overlap correction. A verdict is reached the same way for every claim: " + analysis.VERDICT_RULE
        + ". Verdicts here: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ". The closed-form statements "
        "are in the mechanism checks above.")
    rows = []
    for c in claims:
        fmt = "{:+.1%}" if c.pct else "{:+.3g}"
        rows.append([Cell(c.claim), Cell(c.verdict, f"verdict v-{c.verdict.replace(' ', '-')}"),
                     Cell(_f(c.effect, fmt), "num"),
                     Cell("–" if not np.isfinite(c.ci_low) else f"[{_f(c.ci_low, fmt)}, {_f(c.ci_high, fmt)}]", "num"),
                     Cell(c.effect_label), Cell(str(c.n_units), "num"),
                     Cell(c.evidence + ("; " + "; ".join(c.details) if c.details else ""), "small"), Cell(c.rule, "small")])
    sec.tables.append(TableVM(["claim", "verdict", "effect", f"{PCT}% CI", "effect is", "units", "rests on", "rule"], rows))
    return sec
