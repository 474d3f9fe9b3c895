"""The one model of what a run costs: the scheduler orders and cuts tasks with :func:`fit_seconds`, and
``boostreg run --dry-run`` estimates a study's wall time with the same function plus :func:`run_seconds` (start-up
and preparing each fit group) and :func:`report_seconds` (the report).

A fit costs what a worker spends on it, engine fit plus measurement (the records' ``fit_time_s`` +
``measure_time_s``):

* a booster: ``rounds x SCALE x n_train^ROWS x n_features^FEATURES x (bins / n_features)^BINS x leaves^LEAVES``:
  per boosting round, a power law in the training rows, the features, the histogram bins each feature fills (its
  distinct values up to 256: continuous features cost more than coded ones) and the leaves per tree; ``rounds``
  is n_estimators (with early stopping, :data:`EARLY_STOPPING_SHARE` of them). Leaf-wise boosters (a
  ``num_leaves`` parameter) and depth-wise ones (``max_depth``: 2^depth leaves) have their own constants;
* a kernel machine (libsvm's ``cache_size`` among its parameters): ``KERNEL_FIT + KERNEL_ROW2 x n_train^2``;
* any other baseline: ``LINEAR_FIT + LINEAR_CELL x n_train x n_features``.

The constants were fitted to the records of the default study and of the tuning guide (31 dataset x booster
means, within a factor of 1.5 for most; benchmarks/README.md, "--dry-run against measured runs"); the scheduler
needs only their ratios, the estimate their size. Where the data's shape is unknown (the scheduler sees a group,
not its data), :data:`TYPICAL_FEATURES` features filling :data:`TYPICAL_BINS` bins each are assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import FitGroup

#: (SCALE, ROWS, FEATURES, BINS, LEAVES) of a round's seconds, for boosters that grow trees leaf by leaf (num_leaves)
LEAF_WISE = (6.78e-6, 0.519, 0.365, 0.081, -0.14)
#: the same for boosters that grow trees level by level (max_depth)
DEPTH_WISE = (2.99e-6, 0.383, 0.577, 0.235, 0.201)
#: share of ``n_estimators`` a fit with early stopping trains (the tuning guide's records, learning rate 0.1 and
#: patience 30: 0.46 of them for depth-wise, 0.58 for leaf-wise trees)
EARLY_STOPPING_SHARE = 0.5
#: kernel machines (a kernel cache among their parameters): seconds per fit and per squared training row
KERNEL_FIT, KERNEL_ROW2 = 0.01, 8.5e-8
#: other baselines (linear models, ...): seconds per fit and per training cell (row x feature)
LINEAR_FIT, LINEAR_CELL = 0.012, 2.0e-7
#: the data's shape where it is unknown (the scheduler)
TYPICAL_FEATURES, TYPICAL_BINS = 20, 64
#: a run's fixed cost on each worker (starting it, importing the engines) and per fit group (the fold's split,
#: preparing it: binning, scaling), in seconds
STARTUP_SECONDS, GROUP_SECONDS = 3.0, 0.05
#: the report: what one process does first (starting, imports, reading the records), then CPU seconds shared by one
#: drawing process per core: a fixed part (the tables, a figure of each kind), one per booster heatmap panel
#: (dataset x booster: its cells in five heatmaps, its curves) and one per dataset (its answer card and gains).
#: Fitted to the default study (6 datasets, 12 panels: 6.6-6.8 s) and two studies of 2 datasets and 4 panels (6.3 s
#: each on a busier machine), the figures drawn by 2 processes (benchmarks/README.md, issue 31 item 5)
REPORT_SERIAL, REPORT_BASE, REPORT_PER_PANEL, REPORT_PER_DATASET = 2.5, 4.0, 0.3, 0.3


@dataclass(frozen=True)
class DataShape:
    """What a fit's cost depends on in its data: rows, features, the histogram bins they fill, and the trees a
    booster grows per round (one per class for a multiclass target, else one)."""

    n_rows: int
    n_features: int = TYPICAL_FEATURES
    bins: int = TYPICAL_FEATURES * TYPICAL_BINS
    trees_per_round: int = 1


def data_shape(X, n_classes: int | None = None) -> DataShape:
    """The shape of a feature frame: rows, columns, and per column its distinct values up to 256 (a histogram
    booster's bins), summed; ``n_classes`` for a multiclass target (its boosters grow a tree per class a round)."""
    bins = sum(min(256, int(X[c].nunique())) for c in X.columns)
    return DataShape(len(X), X.shape[1], max(bins, 1), int(n_classes or 1))


def _engine(name: str):
    from ..engines import ENGINES

    return ENGINES.get(name)


def group_rounds(group: FitGroup) -> float:
    """The boosting rounds a fit of ``group`` is expected to train (0 for an engine without rounds): its
    n_estimators, or :data:`EARLY_STOPPING_SHARE` of them with early stopping."""
    engine = _engine(group.engine)
    defaults = getattr(engine, "default_params", None) or {}
    rounds = float(group.fixed.get("n_estimators", defaults.get("n_estimators", 0)) or 0)
    if getattr(engine, "kind", "booster") != "booster":
        return 0.0
    if group.fixed.get("early_stopping_rounds"):
        rounds *= EARLY_STOPPING_SHARE
    return rounds


def _training_rows(group: FitGroup, n_rows: int) -> float:
    """Rows a fit trains on: the outer training fold less its validation split."""
    folds = max(int(group.n_splits or 1), 1)
    share = (1 - 1 / folds) if folds > 1 else 1.0
    return n_rows * share * (1 - float(group.validation_fraction or 0.0))


def fit_seconds(group: FitGroup, shape: DataShape | None = None) -> float:
    """Estimated CPU seconds of one fit of ``group`` (one thread), engine fit and measurement. ``shape``: the
    dataset's (:func:`data_shape`); without it, ``group.n_rows`` rows of a typical width."""
    shape = shape or DataShape(int(group.n_rows or 0))
    n_train = _training_rows(group, shape.n_rows)
    engine = _engine(group.engine)
    kind = getattr(engine, "kind", "booster")
    if kind == "booster":
        defaults = getattr(engine, "default_params", None) or {}
        params = {**defaults, **group.fixed}
        if "num_leaves" in params:
            scale, rows, features, bins, leaves = LEAF_WISE
            n_leaves = float(params["num_leaves"])
        else:
            scale, rows, features, bins, leaves = DEPTH_WISE
            n_leaves = 2.0 ** float(params.get("max_depth") or 6)
        p = max(shape.n_features, 1)
        per_round = scale * max(n_train, 1) ** rows * p**features * (shape.bins / p) ** bins * n_leaves**leaves
        return group_rounds(group) * per_round * shape.trees_per_round
    if "cache_size" in (getattr(engine, "native_params", None) or ()):
        return KERNEL_FIT + KERNEL_ROW2 * n_train**2
    return LINEAR_FIT + LINEAR_CELL * n_train * shape.n_features


def estimate_seconds(n_rows: int, rounds: float, n_fits: int = 1) -> float:
    """Estimated CPU seconds of ``n_fits`` depth-wise booster fits of ``rounds`` rounds (0 or None: a baseline)
    on ``n_rows`` training rows of a typical width (:data:`TYPICAL_FEATURES`, :data:`TYPICAL_BINS`, depth 6)."""
    rounds = float(rounds or 0)
    if not rounds:
        return (LINEAR_FIT + LINEAR_CELL * n_rows * TYPICAL_FEATURES) * n_fits
    scale, rows, features, bins, leaves = DEPTH_WISE
    per_round = scale * max(n_rows, 1) ** rows * TYPICAL_FEATURES**features * TYPICAL_BINS**bins * 64.0**leaves
    return rounds * per_round * n_fits


def run_seconds(fit_cpu_seconds: float, n_groups: int, workers: int) -> float:
    """Wall seconds of a sweep: every worker's start-up, then the fits' and the groups' CPU seconds shared by
    ``workers`` processes."""
    workers = max(int(workers), 1)
    return STARTUP_SECONDS + (fit_cpu_seconds + GROUP_SECONDS * n_groups) / workers


def report_seconds(n_datasets: int, n_panels: int, workers: int) -> float:
    """Wall seconds of the report of a run with ``n_datasets`` datasets and ``n_panels`` dataset x booster pairs,
    its figures drawn by ``workers`` processes (:func:`boostreg.views.drawing_in_parallel`)."""
    workers = max(int(workers), 1)
    return REPORT_SERIAL + (REPORT_BASE + REPORT_PER_PANEL * n_panels + REPORT_PER_DATASET * n_datasets) / workers
