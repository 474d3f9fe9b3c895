"""The report's sections on the study itself: what was run (datasets, settings, failures), the heatmaps over
reg_alpha × reg_lambda, and the validation and learning curves.

Every sentence is filled from computed numbers (``boostreg.analysis``); the study's settings and run log come from
the :class:`~boostreg.results.Run` the report is handed, never from the folder.
"""

from __future__ import annotations

import json
from functools import partial

import pandas as pd

from .. import analysis, plots
from ..engines import ENGINES
from ..fmt import num
from ..views import Section, figure, table
from .common import PCT, metric_name

# ---------------------------------------------------------------------------------------------- the study


def study_section(fits: pd.DataFrame, spec: dict, runs: list[dict]) -> Section:
    """What was run: ``spec`` is the study's TOML as a dict ({} when the run kept none), ``runs`` the run log
    (``Run.runs()``)."""
    sec = Section("study", "The study")
    head = spec.get("study", {})
    n_ok = int((fits.status == "ok").sum())
    wall = sum(r.get("wall_time_s", 0) for r in runs)
    sec.paragraphs.append(
        f"{len(fits)} fits ({n_ok} ok, {len(fits) - n_ok} failed) of {fits.dataset.nunique()} datasets × "
        f"{fits.engine.nunique()} engines, {head.get('folds', '?')} folds × {len(head.get('seeds', [])) or '?'} seeds; "
        f"{len(runs)} run(s) took {wall:.0f} s of wall time in all."
    )
    if head.get("description"):
        sec.paragraphs.append(f"Study '{head.get('name', '')}': {head['description']}")
    data = (
        fits.assign(rows=fits.n_train + fits.n_test + fits.n_valid.fillna(0))
        .groupby("dataset")
        .agg(
            task=("task", "first"),
            rows=("rows", "max"),
            columns=("n_features", "max"),
            fits=("fit_id", "count"),
            failed=("status", lambda s: int((s != "ok").sum())),
        )
        .reset_index()
    )
    sec.tables.append(table(data, "Datasets"))
    grid = spec.get("grid", {})

    def grid_text(vals):
        if isinstance(vals, dict) and "relative" in vals:
            return "relative: " + ", ".join(f"{v:g}" for v in vals["relative"])
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)

    settings = [{"what": "engines", "value": ", ".join(sorted(fits.engine.unique()))}]
    settings += [{"what": f"grid: {k}", "value": grid_text(vals)} for k, vals in grid.items()]
    settings += [
        {"what": f"params: {k}", "value": json.dumps(v) if isinstance(v, dict) else str(v)}
        for k, v in spec.get("params", {}).items()
    ]
    if runs:
        last = runs[-1]
        settings.append(
            {"what": "library versions", "value": ", ".join(f"{k} {v}" for k, v in last["versions"].items())}
        )
        m = last["machine"]
        settings.append({"what": "machine", "value": f"{m['cpus']} CPUs, {m['platform']}"})
        settings.append(
            {"what": "layout", "value": f"{last['jobs']} processes × {last['threads_per_fit']} threads per fit"}
        )
    sec.tables.append(table(pd.DataFrame(settings), "Settings"))
    failed = fits[fits.status != "ok"]
    if len(failed):
        sec.paragraphs.append(f"{len(failed)} fits failed; the first of each kind is listed below.")
        fail = failed.groupby(["dataset", "engine", "error"]).fit_id.count().reset_index(name="fits")
        sec.tables.append(table(fail, "Failures"))
    else:
        sec.paragraphs.append("No fit failed.")
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


def surfaces_section(fits: pd.DataFrame) -> Section:
    sec = Section("surfaces", "Heatmaps over reg_alpha × reg_lambda")
    marks = analysis.surface_marks(fits)
    metrics = ", ".join(
        sorted(
            {
                f"{metric_name(m)} ({t})"
                for t, m in fits[["task", "primary_metric"]].drop_duplicates().itertuples(index=False)
            }
        )
    )
    zs = analysis.surface(fits, "zero_leaf_frac")
    if zs.empty:
        sec.paragraphs.append("No booster fits in this run.")
        return sec
    if (zs.alpha_units == "relative").any() or (zs.lambda_units == "relative").any():
        sec.paragraphs.append(
            "The grid is in the data's units: reg_alpha as a fraction of α_max (the largest |G| of the unpenalized "
            "fit's first-tree leaves: from 1 on, every leaf of such a first tree is 0) and reg_lambda as a multiple "
            "of H̄ (the mean hessian sum of those leaves: at 1 a typical leaf is halved), so every dataset spans the "
            "same regime."
        )
    if "reg_lambda_relative" in fits and (zs.lambda_units == "relative").any():
        sec.paragraphs.extend(_default_lambda_notes(fits))
    at0 = zs[zs.reg_alpha == 0].zero_leaf_frac.max()
    top = zs[zs.reg_alpha == zs.groupby(["dataset", "engine"]).reg_alpha.transform("max")].zero_leaf_frac.mean()
    sec.paragraphs.append(
        f"Zero leaves: at most {at0:.3f} of leaves are exactly 0 without L1, "
        f"{top:.3f} on average at the largest reg_alpha."
    )
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
        fig = partial(plots.heatmaps, surf, value, cmap=cmap, rule=rule, unpenalized_ref=ref, marks=marks)
        sec.figures.append(
            figure(
                label,
                fig,
                f"heatmap of {value}",
                f"Mean over folds × seeds; one panel per dataset and engine. {plots.HEATMAP_SCALES[rule]}. "
                "Red box: the cell selected most often on the validation split; D: the library default.",
            )
        )
    return sec


def _default_lambda_notes(fits: pd.DataFrame) -> list[str]:
    """Where a booster's library default reg_lambda is above 0 (read from the engine registry), what it is in the
    relative grid's units (λ/H̄), one sentence per such engine of the run."""
    out = []
    if "is_default" not in fits:
        return out
    ok = fits[fits.is_default.fillna(False).astype(bool) & (fits.status == "ok")]
    for name in sorted(ok.engine.unique()):
        engine = ENGINES.get(name)
        lam = float((getattr(engine, "library_defaults", None) or {}).get("reg_lambda", 0.0))
        if getattr(engine, "kind", None) != "booster" or not lam > 0:
            continue
        rel = ok[ok.engine == name].reg_lambda_relative.dropna()
        if len(rel):
            out.append(
                f"{name}'s default reg_lambda = {num(lam, 'g')} is λ/H̄ = {rel.min():.2g} to {rel.max():.2g} "
                f"here (median {rel.median():.2g}): not a cell of the relative grid; the validation curves "
                "show it as a star."
            )
    return out


# ---------------------------------------------------------------------------------------------- curves


def validation_section(fits: pd.DataFrame) -> Section:
    sec = Section("validation", "Validation curves along each penalty")
    path = analysis.validation_path(fits)
    if path.empty:
        sec.paragraphs.append("No booster fits in this run.")
        return sec
    test = path[path.split == "test"]
    width = (test.ci_high - test.ci_low).median()
    sec.paragraphs.append(
        f"Each panel moves one penalty with the other at 0: training error dashed, test error solid, bands are {PCT}% "
        f"corrected t intervals over {int(path.n_fits.max())} folds × seeds clipped to the metric's range (median "
        f"test band width {width:.3g}). A star is the engine's library default."
    )
    sec.figures.append(
        figure(
            "Train and test error along reg_alpha and reg_lambda",
            partial(plots.validation_curves, path, analysis.default_points(fits)),
            "validation curves",
        )
    )
    return sec


def learning_section(fits: pd.DataFrame, curves: pd.DataFrame) -> Section:
    sec = Section("learning", "Learning curves")
    mean = analysis.learning_curves(fits, curves)
    if mean.empty:
        sec.paragraphs.append("No learning curves to show (they need boosters and a validation split).")
        return sec
    final = mean.sort_values("round").groupby(["dataset", "engine", "label"]).tail(1)
    piv = final.pivot_table(index=["dataset", "engine"], columns="label", values=["train_error", "test_error"])
    if ("train_error", "selected on validation") in piv and ("train_error", "unpenalized") in piv:
        up = float((piv["train_error"]["selected on validation"] > piv["train_error"]["unpenalized"]).mean())
        down = float((piv["test_error"]["selected on validation"] < piv["test_error"]["unpenalized"]).mean())
        sec.paragraphs.append(
            f"At the last round the validation-selected fit has the higher training error than the "
            f"unpenalized one in {up:.0%} of dataset × engine pairs, and the lower test error in "
            f"{down:.0%}."
        )
    sec.figures.append(
        figure(
            "Error per boosting round",
            partial(plots.learning_curves, mean),
            "learning curves",
            "Unpenalized, library default and validation-selected fit of each fold group; mean over the "
            f"{_groups_range(mean)} fold groups whose fits kept a per-round training curve (the theory-checked "
            'ones; curves = "all" keeps every fit\'s).',
        )
    )
    return sec


def _groups_range(mean) -> str:
    """How many fold groups the learning curves average: "3", or "1–3" when it differs between lines."""
    n = mean.groupby(["dataset", "engine", "label"]).n_groups.max()
    lo, hi = int(n.min()), int(n.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"
