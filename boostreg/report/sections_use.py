"""The report's first sections: the answer per dataset (cards) and what to use (gains over the library default,
the models side by side).

Every sentence is filled from computed numbers; selection, gains and verdicts come from ``boostreg.inference`` /
``boostreg.answer``, never from here.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from .. import inference, plots, tables
from ..fmt import interval, num
from ..refit import answer_rows
from ..views import Answer, Card, Cell, Section, Table, figure
from .common import PCT, library_defaults_text, metric_name, not_converged_mark, not_converged_notes

# ---------------------------------------------------------------------------------------------- what should I use?


def answer_section(run) -> Section:
    """The first screen: one card per dataset, per engine the verdict, the line to paste and the smaller model."""
    sec = Section("answer", "The answer")
    if not inference.has_validation(run.fits):
        sec.paragraphs.append(
            "No validation split in this study, so no setting is chosen: add validation_fraction = "
            "0.2 under [params] and run it again."
        )
        return sec
    rows = answer_rows(run)
    summary = run.summary()
    sec.paragraphs.append(
        "Per dataset and engine: the verdict on tuning (the validation-selected setting against the library default "
        f'on the test folds, relative, with its {PCT}% corrected interval; "keep the default" when the interval '
        "lies within ±1% or below 0), the setting with the lowest mean validation error as the engine's own "
        "class with raw values for the whole table, and the smallest model within one standard error of it."
    )
    for dataset in sorted({r["dataset"] for r in rows}):
        answers = []
        for r in (r for r in rows if r["dataset"] == dataset):
            smaller = ""
            if r.get("params_smallest_line") and r["params_smallest"] != r["params"]:
                size = (
                    f"{r['smallest_leaves_per_tree']:.3g} leaves carrying a value per tree against "
                    f"{r['best_leaves_per_tree']:.3g}; "
                    if r["kind"] == "booster"
                    else ""
                )
                smaller = f"Smaller model within noise ({size}{r['smallest_point']}): {r['params_smallest_line']}"
            answers.append(
                Answer(
                    r["engine"] + (f" ({r['setting']})" if r["setting"] else ""),
                    r["verdict_text"],
                    f"v-{r['verdict'].replace(' ', '-')}",
                    r.get("params_line") or "",
                    smaller,
                )
            )
        sub = summary[(summary.dataset == dataset) & (summary.fits_present > 0)]
        fig = (
            figure(
                "",
                partial(plots.gains, sub),
                f"gain over the default on {dataset}",
                "Relative gain of the validation-selected setting over the library default, with its interval.",
            )
            if len(sub)
            else None
        )
        sec.cards.append(Card(dataset, answers, fig))
    return sec


def use_section(fits: pd.DataFrame, identity: dict | None = None) -> Section:
    sec = Section("use", "What should I use?")
    if not inference.has_validation(fits):
        sec.paragraphs.append(
            "This study carved no validation split from its training folds, so no setting can be "
            "selected without looking at the test folds, and no gain is computed. Add "
            "validation_fraction = 0.2 under [params] and run it again."
        )
        return sec
    summary = tables.summary_table(fits, identity)
    if summary.empty:
        sec.paragraphs.append("No fold group has a fit with a validation error.")
        return sec
    sec.paragraphs.append(
        "In each fold group (dataset × engine × fold × seed) the setting with the lowest validation error is selected "
        "— the test fold is never seen — and compared on the same outer test fold with the library's default "
        f"penalties ({library_defaults_text(fits.engine.unique())}). Intervals are "
        f"{PCT}% corrected resampled t intervals over folds × seeds (Nadeau & Bengio 2003), which allow for the "
        "overlap of the training folds."
    )
    sec.paragraphs.extend(not_converged_notes(summary))
    status = inference.group_status(fits, identity)
    unreached = status[~status.present].groupby(["dataset", "engine"]).size()
    if len(unreached):
        sec.paragraphs.append(
            f"Incomplete run: {int(status.n_fits.sum())} of {int(status.n_expected.sum())} planned fits are stored; "
            + "; ".join(f"{d} · {e}: {n} fold groups without a fit" for (d, e), n in unreached.items())
            + ". Run the same command again to finish it."
        )
    summary = summary[summary.fits_present > 0]  # the unreached pairs are named above and have nothing to show
    bad = summary[~summary.complete]
    if len(bad):
        sec.paragraphs.append(
            f"Incomplete: {len(bad)} dataset × engine pairs have failed or missing fits ("
            + "; ".join(
                f"{r.dataset} · {r.engine}: {r.fits_present} of {r.fits_planned} fits, "
                f"{r.n_failed_groups} fold groups with a failed fit"
                for r in bad.itertuples()
            )
            + "). A fold group with a failed or missing fit gives no gain (never a gain of 0); their gains rest on "
            "the complete fold groups only, and a pair without one has none."
        )
    for engine, g in summary[summary.kind == "booster"].groupby("engine"):
        better = int((g.gain_vs_default > 0).sum())
        sure = int((g.gain_ci_low > 0).sum())
        worse = int((g.gain_ci_high < 0).sum())
        sec.paragraphs.append(
            f"{engine}: the selected setting beat the default on {better} of {len(g)} datasets (interval above 0 on "
            f"{sure}, below 0 on {worse}); mean relative gain {g.gain_vs_default_relative.mean():+.1%}, largest "
            f"{g.gain_vs_default_relative.max():+.1%}, smallest {g.gain_vs_default_relative.min():+.1%}."
        )
    edge = summary[summary.at_grid_edge]
    sec.paragraphs.append(
        f"The setting selected most often sat on the grid's edge for {len(edge)} of {len(summary)} dataset × engine "
        "pairs"
        + (
            f" ({', '.join(f'{r.dataset} · {r.engine}' for r in edge.itertuples())}): widen the grid there."
            if len(edge)
            else "."
        )
    )
    sec.paragraphs.extend(_models_commentary(summary, tables.selection_table(fits)))
    rows = []
    for r in summary.itertuples():
        rows.append(
            [
                Cell(r.dataset),
                Cell(r.engine + (f" ({r.setting})" if r.setting else "")),
                Cell(f"{r.selected} ({r.n_selected}/{r.n_groups})"),
                Cell("edge" if r.at_grid_edge else ""),
                Cell(metric_name(r.metric)),
                Cell(interval(r.gain_vs_default, r.gain_ci_low, r.gain_ci_high), "num"),
                Cell(num(r.gain_vs_default_relative, "+.1%") + not_converged_mark(r, "default selected"), "num"),
                Cell(interval(r.gain_vs_unpenalized, r.gain_unpenalized_ci_low, r.gain_unpenalized_ci_high), "num"),
            ]
        )
    sec.tables.append(
        Table(
            "Validation-selected setting against the library default (gain > 0: tuning helped)",
            [
                "dataset",
                "engine",
                "selected (times of folds × seeds)",
                "grid edge",
                "error",
                f"gain vs default [{PCT}% CI]",
                "relative",
                f"gain vs unpenalized [{PCT}% CI]",
            ],
            rows,
        )
    )
    sec.tables.append(_models_table(summary))
    sec.figures.append(
        figure(
            "Gain over the library default",
            partial(plots.gains, summary),
            "gain forest plot",
            f"Relative gain with its {PCT}% corrected t interval; a red arrow marks a selection on "
            "the grid's edge; an interval end beyond the axis is clipped: an arrow at the edge with "
            "its value.",
        )
    )
    return sec


def _models_table(summary: pd.DataFrame) -> Table:
    rows = []
    for dataset, g in summary.groupby("dataset", sort=True):
        for r in g.sort_values("shared_selected", ascending=False).itertuples():
            rows.append(
                [
                    Cell(dataset),
                    Cell(r.engine + (f" ({r.setting})" if r.setting else "")),
                    Cell(r.kind),
                    Cell(r.selected + not_converged_mark(r, "selected")),
                    Cell(
                        f"{metric_name(r.shared_metric)} "
                        f"{interval(r.shared_selected, r.shared_ci_low, r.shared_ci_high)}",
                        "num",
                    ),
                    Cell(
                        f"{metric_name(r.shared2_metric)} "
                        f"{interval(r.shared2_selected, r.shared2_ci_low, r.shared2_ci_high)}",
                        "num",
                    ),
                    Cell(num(r.fit_time_s, ".3f"), "num"),
                    Cell(num(r.tuning_time_s, ".2f"), "num"),
                ]
            )
    return Table(
        "Models side by side: each engine's selected setting on one scale (AUC and accuracy, or R² and RMSE)",
        [
            "dataset",
            "engine",
            "kind",
            "selected",
            "shared metric (higher is better)",
            "second metric",
            "fit s",
            "grid s per fold",
        ],
        rows,
    )


def _models_commentary(summary: pd.DataFrame, sel: pd.DataFrame) -> list[str]:
    """Which model scored higher, decided by paired corrected intervals (a point estimate alone decides nothing)."""
    out, beaten, close = [], [], []
    for dataset, g in summary.groupby("dataset", sort=True):
        if g.shared_selected.isna().all():  # R² of one-row test folds (LeaveOneOut) is undefined
            out.append(f"{dataset}: no shared metric to compare models on (undefined on its test folds).")
            continue
        top = g.loc[g.shared_selected.idxmax()]
        boost, base = g[g.kind == "booster"], g[g.kind == "baseline"]
        out.append(
            f"{dataset}: highest {metric_name(top.shared_metric)} from {top.engine} ({top.shared_selected:.3g})."
        )
        if not (len(boost) and len(base)):
            continue
        b = base.loc[base.shared_selected.idxmax()]
        col = f"test_{b.shared_metric}_selected"
        diffs = [inference.paired_model_difference(sel, dataset, b.engine, e, col) for e in boost.engine]
        if all(d.ci_low > 0 for d in diffs):
            beaten.append(
                f"{dataset} ({b.engine} {metric_name(b.shared_metric)} {b.shared_selected:.3g}; paired "
                "difference over the better booster "
                + ", ".join(f"{e} {interval(d.mean, d.ci_low, d.ci_high)}" for e, d in zip(boost.engine, diffs))
                + ")"
            )
        elif b.shared_selected > boost.shared_selected.max():
            close.append(dataset)
    n = summary.dataset.nunique()
    if not (summary.kind == "baseline").any() or not (summary.kind == "booster").any():
        return [" ".join(out)]
    lead = (
        f"On {len(beaten)} of {n} datasets a baseline's selected setting scored higher than every booster, with "
        f"the paired {PCT}% interval above 0: " + "; ".join(beaten) + "."
        if beaten
        else f"On none of the {n} datasets did a baseline score higher than every booster with a paired interval "
        "above 0."
    )
    if close:
        lead += (
            f" On {', '.join(close)} a baseline's mean was higher but the paired intervals hold 0: indistinguishable."
        )
    return [lead, " ".join(out)]
