"""The tuning guide's evidence sections, assembled from the frames of :mod:`boostreg.guide.evidence`: the
leave-one-dataset-out proof, where the optimum lies in the data's units, how relative advice becomes raw values,
what tuning the penalties is worth, and when L1 helps. Each section's sentences, tables and figures are built by
one function here; :func:`~boostreg.guide.build.build_guide` calls them in order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plots
from ..fmt import num, pct
from ..inference import CONFIDENCE
from ..views import Section, Table, figure
from .evidence import TARGET_SHARE_BAND, literature_point, literature_ranges, modal_settings, tree_cap


def _table(title: str, frame: pd.DataFrame, cols: list[str], percent: tuple = ()) -> Table:
    """The ``cols`` of ``frame`` that it has, as text: the ``percent`` columns as signed percentages, the rest with
    four significant digits."""
    cols = [c for c in cols if c in frame]
    rows = [
        [pct(v) if c in percent else num(v, ".4g") for c, v in zip(cols, row)]
        for row in frame[cols].itertuples(index=False)
    ]
    return Table(title, cols, rows)


def _figure(name: str, title: str, fig, caption: str):
    """A figure of the guide: embedded in the HTML, written as NAME.png beside the Markdown."""
    return figure(title, fig, title, caption, name)


def proof_section(proof: pd.DataFrame, summ: pd.DataFrame, summ_alone: pd.DataFrame) -> Section:
    """The leave-one-dataset-out proof: the advice and the point alone against the library default, pooled and
    per dataset."""
    summary_cols = [
        "engine",
        "task",
        "n_datasets",
        "wins",
        "ties",
        "mean_rel_gain",
        "rel_low",
        "rel_high",
        "worst_dataset",
        "worst_rel_gain",
        "clearly_worse",
        "shared_metric",
        "mean_shared_gain",
        "shared_low",
        "shared_high",
    ]
    summary_pct = ("mean_rel_gain", "rel_low", "rel_high", "worst_rel_gain")
    sec = Section(
        "proof",
        "Proof out of sample (leave one dataset out)",
        [
            (
                "For each real dataset D and engine, the starting point is derived from the other datasets only (the "
                "grid point with the smallest mean validation error relative to the library default). The advice is "
                "to fit that point beside the library default and keep whichever has the lower validation error: on "
                "each of D's fold groups the validation split (carved from the training fold) decides, and the kept "
                "fit is scored on D's outer test fold against the library default, paired by fold; intervals are "
                "corrected resampled t intervals (Nadeau & Bengio 2003) over D's "
                f"{int(proof.rec_n_groups.max()) if len(proof) else '?'} folds. The pooled mean gets a "
                f"{int(CONFIDENCE * 100)}% t interval over datasets. Relative gain = (default's test error − the "
                "advice's) / default's; > 0 helps; a tie is a dataset where the validation split kept the default in "
                "every fold. AUC, R² and (multiclass) accuracy gains are reported per task, never averaged together. "
                "The point alone, applied without the check, is shown beside it."
            )
        ],
    )
    sec.tables.append(_table("Summary per engine (and per task): the advice", summ, summary_cols, percent=summary_pct))
    sec.tables.append(
        _table(
            "The recommended point alone, without the validation check", summ_alone, summary_cols, percent=summary_pct
        )
    )
    if not proof.empty:
        sec.figures.append(
            _figure(
                "lodo_gain",
                "Gain over the library default on data the rule never saw",
                plots.guide_gains(proof),
                "Per dataset: the advice (the recommended point, derived without it, or the "
                "default, whichever each fold's validation split preferred), the point alone, "
                "Probst et al.'s point (XGBoost) and the dataset's own validation-selected "
                "optimum; bars are corrected t intervals over its folds.",
            )
        )
        sec.figures.append(
            _figure(
                "gain_vs_n",
                "Gain against the training rows",
                plots.guide_gain_vs_n(proof),
                "Relative gain of the advice against the rows each fold trained on.",
            )
        )
    sec.tables.append(
        _table(
            "Per dataset",
            proof,
            [
                "engine",
                "dataset",
                "task",
                "n_train",
                "alpha_rel",
                "lambda_rel",
                "chk_rel_gain",
                "chk_rel_low",
                "chk_rel_high",
                "chk_shared_gain",
                "rec_rel_gain",
                "rec_rel_low",
                "rec_rel_high",
                "probst_rel_gain",
                "own_rel_gain",
            ],
            percent=(
                "chk_rel_gain",
                "chk_rel_low",
                "chk_rel_high",
                "rec_rel_gain",
                "rec_rel_low",
                "rec_rel_high",
                "probst_rel_gain",
                "own_rel_gain",
            ),
        )
    )
    return sec


def ranges_section(df: pd.DataFrame, pos: pd.DataFrame, ranges: pd.DataFrame) -> Section:
    """Where the validation-selected optimum lies relative to each dataset, the tree cap and published ranges."""
    sec = Section(
        "ranges",
        "Where the optimum lies, in the data's units",
        [
            (
                "α_max is the largest |G| over the leaves of the fold's unpenalized first tree (from reg_alpha = "
                "α_max on every leaf of such a tree is 0); H̄ is the mean hessian sum of those leaves (reg_lambda = "
                "H̄ halves a typical leaf). Each fold group's validation-selected setting is one point; the range is "
                f"the {TARGET_SHARE_BAND[0]:.0%}–{TARGET_SHARE_BAND[1]:.0%} band of the per-dataset medians."
            )
        ],
    )
    sec.tables.append(
        _table(
            "Search ranges (relative)",
            ranges,
            [
                "engine",
                "alpha_low",
                "alpha_high",
                "lambda_low",
                "lambda_high",
                "edge_share",
                "edge_pairs",
                "interior_share",
                "n_datasets",
            ],
        )
    )
    if not pos.empty:
        sec.figures.append(
            _figure(
                "optima",
                "Validation-selected settings, relative to each dataset",
                plots.guide_optima(pos),
                "One dot per fold group (jittered); 0 is drawn left of the smallest nonzero value.",
            )
        )
    caps = tree_cap(df)
    if not caps.empty:
        strong = caps[caps.lambda_grid == caps.lambda_grid.max()]
        modal = modal_settings(pos)
        n_top = int((modal.in_grid & np.isclose(modal["lambda"], strong.lambda_grid.iloc[0])).sum())
        sec.paragraphs.append(
            "A strong reg_lambda slows every step, so early stopping runs longer; at the grid's largest reg_lambda "
            f"({num(strong.lambda_grid.iloc[0], 'g')} × H̄) "
            + ", ".join(f"{r.at_cap_share:.0%} of {r.engine}'s fits" for r in strong.itertuples())
            + " reached the cap of trees without stopping, so there the grid tests the penalty together with the cap; "
            f"it was the most selected setting of {n_top} of {len(modal)} dataset × engine pairs."
        )
        sec.tables.append(
            _table(
                "Fits that reached the tree cap, by reg_lambda / H̄",
                caps,
                ["engine", "lambda_grid", "fits", "at_cap_share", "mean_trees"],
            )
        )
    pub = pd.DataFrame(literature_ranges(), columns=["source", "engine", "reg_alpha", "reg_lambda", "why"])
    sec.tables.append(
        _table(
            "Published ranges beside ours, and why they differ",
            pub,
            ["source", "engine", "reg_alpha", "reg_lambda", "why"],
        )
    )
    return sec


def units_section(units: pd.DataFrame, rec: pd.DataFrame) -> Section:
    """How the relative advice becomes raw reg_alpha and reg_lambda, with the recorded α_max and H̄."""
    sec = Section(
        "units",
        "From relative advice to raw values",
        [
            (
                "reg_alpha = a × α_max and reg_lambda = l × H̄, with α_max and H̄ read from one unpenalized tree "
                "fitted on the rows you train on (`boostreg recommend --data FILE --target COL` does exactly this in "
                "seconds). Both grow in proportion to the rows: for squared error H̄ is the mean number of training "
                "rows per leaf (n_train / leaves), for log loss Σ p(1 − p) over a leaf's rows (about p̄(1 − p̄) × "
                "n_train / leaves); α_max = H̄ × m, with m the largest |mean gradient| of a first-tree leaf "
                "(regression: a mean residual in the target's units; binary, and each class tree of a multiclass "
                "model: a difference of probabilities, at most 1). So the raw values scale with the rows per leaf and, "
                "for regression, with the target's scale — "
                "which is why one raw number means different things on different data, and why the penalty 'fades' as "
                "the data grow."
            ),
            "Typical raw values from these datasets (mean over folds; leaves per tree of the unpenalized fit):",
        ],
    )
    if not units.empty and len(rec):
        shown = units.merge(rec[["engine", "alpha_rel", "lambda_rel"]], on="engine")
        shown = shown.assign(reg_alpha=shown.alpha_rel * shown.alpha_max, reg_lambda=shown.lambda_rel * shown.h_bar)
        sec.tables.append(
            _table(
                "α_max, H̄ and the recommended raw values per dataset",
                shown,
                [
                    "engine",
                    "dataset",
                    "task",
                    "n_train",
                    "leaves",
                    "alpha_max",
                    "h_bar",
                    "alpha_per_h",
                    "reg_alpha",
                    "reg_lambda",
                ],
            )
        )
    return sec


def worth_section(own: pd.DataFrame, probst: pd.DataFrame) -> Section:
    """What tuning both penalties on a dataset's own validation split is worth, and Probst et al.'s point."""
    point_engine, point = literature_point()
    sec = Section(
        "worth",
        "What tuning the penalties is worth",
        [
            "Tuning both penalties on each dataset's own validation split, scored on its test folds against the "
            "library default (the same protocol as `boostreg summary`)."
            + (
                f" Probst et al. (2019) report the tunability of {point_engine}'s lambda and alpha as about "
                "0.002–0.004 AUC on their datasets."
                if point
                else ""
            )
        ],
    )
    sec.tables.append(
        _table(
            "Own validation-selected optimum vs the default",
            own,
            [
                "engine",
                "task",
                "n_datasets",
                "wins",
                "mean_rel_gain",
                "rel_low",
                "rel_high",
                "shared_metric",
                "mean_shared_gain",
                "shared_low",
                "shared_high",
                "clearly_worse",
            ],
            percent=("mean_rel_gain", "rel_low", "rel_high"),
        )
    )
    if not probst.empty and point:
        sec.paragraphs.append(
            f"Probst et al.'s point (reg_alpha {point['reg_alpha']}, reg_lambda "
            f"{point['reg_lambda']}: {point['source']}) under this study's other settings:"
        )
        sec.tables.append(
            _table(
                "Probst et al.'s point vs the default (XGBoost)",
                probst,
                [
                    "engine",
                    "task",
                    "n_datasets",
                    "wins",
                    "mean_rel_gain",
                    "rel_low",
                    "rel_high",
                    "worst_dataset",
                    "worst_rel_gain",
                    "clearly_worse",
                ],
                percent=("mean_rel_gain", "rel_low", "rel_high", "worst_rel_gain"),
            )
        )
    return sec


def l1_section(claims: list) -> Section:
    """When L1 helps: the claims ledger on these records."""
    sec = Section(
        "l1",
        "When L1 helps",
        [
            (
                "From the claims ledger on these records (decided at matched validation error, pooled over dataset × "
                "engine units; see the report's claims section for the rule):"
            )
        ],
    )
    ledger = pd.DataFrame(
        [
            {
                "claim": c.claim,
                "verdict": c.verdict,
                "effect": c.effect,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "units": c.n_units,
            }
            for c in claims
        ]
    )
    sec.tables.append(_table("Claims", ledger, ["claim", "verdict", "effect", "ci_low", "ci_high", "units"]))
    return sec
