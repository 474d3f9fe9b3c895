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

``build_guide`` (:mod:`~boostreg.guide.build`) is a pure function of the records; every sentence is chosen by a
rule function (:mod:`~boostreg.guide.rules`) from the frames of :mod:`~boostreg.guide.evidence`, and each evidence
section is assembled by :mod:`~boostreg.guide.sections`. ``write_guide``
(:mod:`~boostreg.guide.render`) is handed the records (it never opens a run folder) and writes HTML (autoescaped
Jinja2, figures embedded), Markdown (figures in a ``NAME_files/`` folder beside it) and ``recommendation.json``
(what ``boostreg recommend`` applies).
"""

from __future__ import annotations

from ..advice import recommendation_for
from ..views import Cell, Figure, Section, Table
from .build import Guide, build_guide, provenance
from .evidence import (
    SHARED,
    TARGET_SHARE_BAND,
    guide_rows,
    literature_point,
    literature_points,
    literature_ranges,
    lodo,
    lodo_summary,
    modal_settings,
    optimum_positions,
    recommend,
    recorded_units,
    relative_surface,
    search_ranges,
    tree_cap,
    validated,
)
from .render import render_html, render_markdown, write_guide
from .rules import EQUIVALENCE_BAND, Step, contradictions

__all__ = [
    "EQUIVALENCE_BAND",
    "SHARED",
    "TARGET_SHARE_BAND",
    "Cell",
    "Figure",
    "Guide",
    "Section",
    "Step",
    "Table",
    "build_guide",
    "contradictions",
    "guide_rows",
    "literature_point",
    "literature_points",
    "literature_ranges",
    "lodo",
    "lodo_summary",
    "modal_settings",
    "optimum_positions",
    "provenance",
    "recommend",
    "recommendation_for",
    "recorded_units",
    "relative_surface",
    "render_html",
    "render_markdown",
    "search_ranges",
    "tree_cap",
    "validated",
    "write_guide",
]
