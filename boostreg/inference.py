"""How fit records become a gain, an interval and a verdict: the one module every conclusion comes from.

The protocol (docs/protocol.md):

* A **fold group** is one dataset x engine x fold x seed with every non-penalty parameter fixed: the records'
  ``group_id``. Its fits are the penalty grid, the unpenalized reference and the library default.
* The **selected** fit of a group is its ok fit with the lowest ``valid_error`` (the validation split carved
  from the training fold; the test fold is never seen), ties to the more regularized fit for every engine
  kind: the larger reg_alpha, then the larger reg_lambda; baselines the stronger penalty (larger alpha, smaller
  C). A group with a failed fit, or missing fits of its grid, gives no gain (``complete`` is False): it is
  counted (``n_failed_groups``, ``n_incomplete_groups``), never scored as 0. The **default** is the fit with the
  library's own penalties (``is_default``: each engine's ``library_defaults``, or scikit-learn's alpha or C). The
  **unpenalized** fit is the group's reference (boosters reg_alpha = reg_lambda = 0; baselines the least
  penalized grid point).
* The **gain** of a group is test_error(default) - test_error(selected) on the outer test fold (positive =
  tuning helped), one paired observation d_j. The **relative gain** is d_j / test_error(default) of the same
  group, and a relative effect is always the mean of those per-group ratios (never mean(d) / mean(default)):
  each fold is then one paired observation on its own scale and the same interval applies to it. Over the
  J = folds x seeds groups of a dataset x engine, the mean gets the **corrected resampled t interval** of Nadeau &
  Bengio (2003): var(d-bar) = (1/J + n_test/n_train) s^2, because K-fold training sets overlap (a plain t
  interval over folds is too narrow).
* **Pooled** effects (across datasets) are means over the replication unit, dataset x engine, with a one-sample
  t interval over the unit means (``pooled_t``): its false "holds" rate stays at the nominal 2.5% from 3 units
  on (tests/test_inference.py simulates it), where the percentile bootstrap it replaced said "holds" for a null
  effect in 12.7% of draws at 3 units. Fewer than ``MIN_UNITS`` units is "not enough evidence".
* A **verdict** can fail: "holds" when the interval lies on the claimed side of 0; "does not hold here" when it
  rules out an effect of practical size on that side (its far end is short of the claim's equivalence band, so
  a consistent null is an answer, not a shrug); else "inconclusive" (``verdict``).
* **Operating points** (for the claims): fits whose validation error is within ``MATCH_MARGIN`` x |best| of the group's
  best, never the collapsed corners of a grid; L1 and L2 are compared at the strongest penalty of each kind
  that still stays within that margin (matched validation error).

Everything here is a pure function of a fit-record frame. The per-fold-group selection and the per dataset x
engine summary built from these rules are in :mod:`boostreg.tables`; the CLI's summary, the report, the claims
ledger and the guide all read those tables, so they cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # t quantiles: scipy.stats.t.ppf's own routine, without importing scipy.stats

from .engines import ENGINES, engine_kind
from .errors import BoostregError
from .memo import shared_table
from .metrics import METRIC_RANGE, error_range  # noqa: F401 (where each metric and each *_error can lie)

CONFIDENCE = 0.95
#: a fit is at an operating point when its validation error is at most MATCH_MARGIN x |best| above its group's
#: best: wide enough to hold settings the validation split cannot tell apart (at 1% few fold groups of the default
#: study had both an L1-only and an L2-only setting inside), narrow enough to exclude collapsed fits (tens of % worse)
MATCH_MARGIN = 0.05
#: pooled verdicts need at least this many replication units (dataset x engine)
MIN_UNITS = 3
#: the metrics every model reports on every task, for the models side by side (higher is better first)
SHARED_METRICS = {"binary": ("auc", "accuracy"), "regression": ("r2", "rmse"), "multiclass": ("auc", "accuracy")}


def relative_to(difference, reference):
    """``difference`` as a share of the size of ``reference`` (a default's test error): divided by its absolute
    value, so a gain keeps its sign when the error is the negated score of a user's metric (negative)."""
    return difference / np.abs(reference)


# ---------------------------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Estimate:
    """A mean with its interval: ``method`` says how the interval was made; NaN bounds when it cannot be."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    method: str

    @property
    def width(self) -> float:
        return self.ci_high - self.ci_low

    def excludes_zero(self) -> bool:
        return bool(np.isfinite(self.ci_low) and (self.ci_low > 0 or self.ci_high < 0))


def corrected_t(values, test_train_ratio: float, confidence: float = CONFIDENCE) -> Estimate:
    """Mean of J paired resampled-CV differences with the Nadeau-Bengio corrected t interval.

    ``test_train_ratio`` is n_test / n_train of the resampling; ``var(mean) = (1/J + ratio) s^2`` and the
    interval is mean +- t(J-1) sqrt(var). With ratio 0 this is the plain t interval, which is never wider.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    j = len(v)
    if j == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "none")
    m = float(v.mean())
    if j < 2 or not np.isfinite(test_train_ratio):
        return Estimate(m, np.nan, np.nan, j, "corrected t (needs 2 or more folds)")
    half = float(stdtrit(j - 1, 0.5 + confidence / 2) * np.sqrt((1 / j + test_train_ratio) * v.var(ddof=1)))
    return Estimate(m, m - half, m + half, j, "corrected resampled t (Nadeau & Bengio 2003)")


def pooled_t(values, confidence: float = CONFIDENCE) -> Estimate:
    """Mean over replication units (dataset x engine) with a one-sample t interval over the unit means.

    The units are independent datasets, so no fold-overlap correction applies here (each unit's own mean already
    carries it). Chosen over the percentile bootstrap because its error rate holds at 3-12 units: the bootstrap
    interval of 3 values is roughly their range, so it excluded 0 whenever all 3 units had the same sign.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "none")
    m = float(v.mean())
    if len(v) < 2:
        return Estimate(m, np.nan, np.nan, len(v), "t interval over units (needs 2 or more)")
    half = float(stdtrit(len(v) - 1, 0.5 + confidence / 2) * v.std(ddof=1) / np.sqrt(len(v)))
    return Estimate(m, m - half, m + half, len(v), "t interval over dataset x engine units")


#: the verdict strings, in the order the report lists them
VERDICTS = ("holds", "does not hold here", "inconclusive", "not enough evidence", "not measurable here")


def verdict(pooled: Estimate, side: int, *, band: float = 0.0) -> str:
    """The verdict of a pooled effect claimed to lie on ``side`` (+1 above 0, -1 below).

    "not enough evidence" with fewer than MIN_UNITS units (or no interval); "holds" when the whole interval
    lies on the claimed side of 0; "does not hold here" when the interval's end on the claimed side is short of
    ``band`` (an effect of practical size on that side is ruled out: the effect is opposite, or within +-band
    of none); else "inconclusive". ``band`` >= 0 is the claim's smallest effect worth stating.
    """
    if pooled.n < MIN_UNITS or not (np.isfinite(pooled.ci_low) and np.isfinite(pooled.ci_high)):
        return "not enough evidence"
    near, far = sorted((side * pooled.ci_low, side * pooled.ci_high))
    if near > 0:
        return "holds"
    if far < band or (band == 0 and far <= 0 and pooled.width > 0):
        return "does not hold here"
    return "inconclusive"


def equivalence_note(pooled: Estimate, band: float, *, pct: bool = False) -> str:
    """'no difference beyond +-x' when the interval lies inside (-band, band), else ''."""
    if not (np.isfinite(pooled.ci_low) and band > 0) or pooled.n < MIN_UNITS:
        return ""
    if -band < pooled.ci_low and pooled.ci_high < band:
        return f"no difference beyond ±{band:.0%}" if pct else f"no difference beyond ±{band:g}"
    return ""


# ---------------------------------------------------------------------------------------------- records


def record_kinds(fits: pd.DataFrame) -> pd.Series:
    """Each record's engine kind ("booster" or "baseline"): its ``kind`` column, and for records written before
    that column existed the registry's word for its engine (:func:`boostreg.engines.engine_kind`; an engine not
    registered in this process counts as a booster)."""
    by_name = fits.engine.map(engine_kind) if len(fits) else pd.Series(dtype=object, index=fits.index)
    if "kind" not in fits:
        return by_name
    return fits["kind"].where(fits["kind"].notna(), by_name).astype(object)


def has_validation(fits: pd.DataFrame) -> bool:
    """Whether these records carry a validation split (needed for any selection or gain)."""
    return "valid_error" in fits and bool(fits.valid_error.notna().any())


def require_validation(fits: pd.DataFrame, where: str = "these records") -> None:
    if not has_validation(fits):
        raise BoostregError(
            f"{where} have no validation split (valid_error is empty), so a setting cannot be selected "
            "without looking at the test folds; add validation_fraction = 0.2 under [params] of the "
            "study and run it again (into a new --out)."
        )


def column(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    """``df[name]``, or a column of ``default`` when the records have no such column (older records)."""
    return df[name] if name in df else pd.Series(default, index=df.index)


def grid_value(df: pd.DataFrame, key: str) -> pd.Series:
    """A booster penalty as its grid gave it: relative value for relative grids, raw value otherwise."""
    units = column(df, f"{key}_units", "raw").fillna("raw")
    return pd.Series(
        np.where(units == "relative", column(df, f"{key}_relative"), df[key]), index=df.index, dtype=np.float64
    )


def penalty_name(engine: str) -> str:
    """A baseline's name for its ``penalty`` as its scikit-learn class calls it ("alpha" or "C")."""
    return str(getattr(ENGINES.get(engine), "penalty_param", "penalty"))


def point_label(engine_kind_: str, row, engine: str = "") -> str:
    """A grid point as people read it: 'α=0.1·α_max λ=1', 'alpha=0.01' or 'C=0.1 (smaller = stronger)'."""
    if engine_kind_ == "baseline":
        name = penalty_name(engine)
        return f"{name}={row['penalty']:g}" + (" (smaller = stronger)" if name == "C" else "")
    parts = []
    for key, sym, unit in (("reg_alpha", "α", "·α_max"), ("reg_lambda", "λ", "·H̄")):
        rel = row.get(f"{key}_units") == "relative"
        value = row.get(f"{key}_relative") if rel else row.get(key)
        parts.append(f"{sym}={value:g}{unit if rel and value != 0 else ''}")
    return " ".join(parts)


def setting_labels(df: pd.DataFrame) -> pd.Series:
    """The non-penalty parameters that vary within a dataset x engine, as a short label ('' when none vary)."""
    drop = {"reg_alpha", "reg_lambda", "penalty"}
    params = df.params_json.map(
        lambda s: {k: v for k, v in json.loads(s).items() if k not in drop} if isinstance(s, str) else {}
    )
    out = pd.Series("", index=df.index, dtype=object)
    for _, idx in df.groupby(["dataset", "engine"]).groups.items():
        sub = params.loc[idx]
        keys = sorted({k for p in sub for k in p})
        varying = [k for k in keys if len({json.dumps(p.get(k)) for p in sub}) > 1]
        if varying:
            out.loc[idx] = sub.map(lambda p, varying=varying: ", ".join(f"{k}={p.get(k)}" for k in varying))
    return out


def least_penalized_is_largest(engine: str) -> bool:
    """Whether an engine's least penalized ``penalty`` is its largest value (C-type) rather than its smallest."""
    eng = ENGINES.get(engine)
    return bool(
        eng is not None and hasattr(eng, "least_penalized_first") and eng.least_penalized_first([1.0, 2.0])[0] == 2.0
    )


def ok_fits(fits: pd.DataFrame) -> pd.DataFrame:
    """The fits that succeeded (``status`` "ok")."""
    return fits[fits.status == "ok"]


def flag(df: pd.DataFrame, name: str, default: bool) -> pd.Series:
    """A boolean column (``in_grid``, ``is_default``), ``default`` where it is missing or NA."""
    return column(df, name, default).fillna(default).astype(bool)


def planned_cells(identity: dict | None, fits: pd.DataFrame) -> pd.DataFrame:
    """The (dataset, engine, fold, seed) cells a study planned, from its identity (OUT/study.json): its datasets,
    engines (each on the datasets of its tasks; a dataset without any record yet is planned for every engine),
    folds and seeds. Empty when the identity does not say (e.g. a study with its own splitter)."""
    cols = ["dataset", "engine", "fold", "seed"]
    parts = (identity or {}).get("parts", {})
    head = parts.get("study", {}).get("study", {})
    folds, seeds, engines = head.get("folds"), head.get("seeds"), head.get("engines")
    if "cv" in head or not (isinstance(folds, int) and isinstance(seeds, list) and isinstance(engines, list)):
        return pd.DataFrame(columns=cols)
    task = fits.groupby("dataset").task.first().to_dict() if len(fits) else {}
    rows = []
    for dataset in sorted(parts.get("data", {})):
        for engine in engines:
            tasks = getattr(ENGINES.get(engine), "tasks", None)
            if dataset in task and tasks is not None and task[dataset] not in tasks:
                continue
            rows += [(dataset, engine, k, sd) for k in range(folds) for sd in seeds]
    return pd.DataFrame(rows, columns=cols)


@shared_table  # inside memo.shared_tables (a report), once per fits frame and identity
def group_status(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
    """One row per fold group of the records (failed fits included): how many fits it has, how many failed, how
    many it should have, and whether it can give a gain (``complete``: every planned fit present and ok).

    What a group should have is read from the records themselves: a dataset x engine's groups all run the same
    grid, so the largest group is the plan; a dataset's (fold, seed) pairs are the same for every engine, so a
    pair another engine has is a group this engine is missing (``present`` False). A run killed part-way thus
    shows as incomplete without its plan.
    """
    cols = ["group_id", "dataset", "engine", "fold", "seed", "n_fits", "n_failed", "n_expected", "present", "complete"]
    if fits.empty:
        return pd.DataFrame(columns=cols)
    # a fit's place in its group's plan: its penalties as the grid gave them (relative grids: the relative value,
    # the same in every fold) and the other parameters; the plan of a dataset x engine is every place seen in it
    params = column(fits, "params_json", "{}").map(
        lambda t: (
            json.dumps(
                {k: v for k, v in json.loads(t).items() if k not in ("reg_alpha", "reg_lambda", "penalty")},
                sort_keys=True,
            )
            if isinstance(t, str)
            else ""
        )
    )
    parts = [params, flag(fits, "in_grid", True), flag(fits, "is_default", False), column(fits, "penalty")]
    parts += [grid_value(fits, k) for k in ("reg_alpha", "reg_lambda") if k in fits]
    place = pd.Series(list(zip(*(p.map(repr) for p in parts))), index=fits.index).map("|".join)  # repr: NaN too
    by = fits.assign(_place=place).groupby("group_id", sort=True)
    # (not named aggregation: agg's own ``engine`` keyword would swallow an output column called "engine")
    g = by[["dataset", "engine", "fold", "seed"]].first()
    g["n_fits"] = by._place.nunique()
    g["n_failed"] = (fits.status != "ok").groupby(fits.group_id).sum().astype(int)
    g = g.reset_index()
    plan = fits.assign(_place=place).groupby(["dataset", "engine"])._place.nunique()
    g["n_expected"] = [int(plan[(d, e)]) for d, e in zip(g.dataset, g.engine)]
    g["present"] = True
    # the cells that should exist: every other engine's (fold, seed) of the dataset, and the study's plan
    cells = pd.concat(
        [
            g.drop_duplicates(["dataset", "fold", "seed"])[["dataset", "fold", "seed"]].merge(
                g[["dataset", "engine"]].drop_duplicates(), on="dataset"
            ),
            planned_cells(identity, fits),
        ],
        ignore_index=True,
    )
    cells = cells.astype({"fold": int, "seed": int}).drop_duplicates()
    have = set(zip(g.dataset, g.engine, g.fold.astype(int), g.seed.astype(int)))
    size = g.groupby(["dataset", "engine"]).n_expected.first().to_dict()
    missing = [
        {
            "group_id": f"(missing) {c.dataset} {c.engine} fold {c.fold} seed {c.seed}",
            "dataset": c.dataset,
            "engine": c.engine,
            "fold": c.fold,
            "seed": c.seed,
            "n_fits": 0,
            "n_failed": 0,
            "n_expected": int(size.get((c.dataset, c.engine), 1)),
            "present": False,
        }
        for c in cells.itertuples()
        if (c.dataset, c.engine, c.fold, c.seed) not in have
    ]
    if missing:
        g = pd.concat([g, pd.DataFrame(missing)], ignore_index=True)
    g["complete"] = g.present & (g.n_failed == 0) & (g.n_fits >= g.n_expected)
    return g[cols]


def paired_model_difference(sel: pd.DataFrame, dataset: str, engine_a: str, engine_b: str, column: str) -> Estimate:
    """Mean of ``column`` (a selected fit's test metric) of engine A minus engine B on one dataset, paired by
    outer fold (fold, seed: both engines are scored on the same rows), with the corrected resampled t interval."""
    rows = sel[(sel.dataset == dataset) & sel.complete]
    a = rows[rows.engine == engine_a].drop_duplicates(["fold", "seed"]).set_index(["fold", "seed"])
    b = rows[rows.engine == engine_b].drop_duplicates(["fold", "seed"]).set_index(["fold", "seed"])
    both = a[[column, "n_test", "n_train"]].join(b[[column]].add_suffix("_b"), how="inner")
    if both.empty:
        return Estimate(np.nan, np.nan, np.nan, 0, "none")
    return corrected_t(both[column] - both[f"{column}_b"], float((both.n_test / both.n_train).mean()))


# ---------------------------------------------------------------------------------------------- operating points


def operating_points(fits: pd.DataFrame, margin: float = MATCH_MARGIN) -> pd.DataFrame:
    """Per booster fold group, the fits that still work: valid_error <= best + margin x |best| (the group's best).

    Adds ``best_valid_error`` and ``within_margin``; only groups with a validation split and ok fits.
    """
    ok = ok_fits(fits)
    ok = ok[record_kinds(ok) == "booster"] if not ok.empty else ok
    if ok.empty or not has_validation(ok):
        return pd.DataFrame()
    ok = ok[ok.valid_error.notna()].copy()
    best = ok.groupby("group_id").valid_error.transform("min")
    # a margin of the best's size: |best| so that a negative error (the negated score of a user's metric) widens it
    return ok.assign(best_valid_error=best, within_margin=ok.valid_error <= best + margin * best.abs() + 1e-12)


def matched_pairs(fits: pd.DataFrame, margin: float = MATCH_MARGIN) -> pd.DataFrame:
    """Per booster fold group: the strongest L1-only and the strongest L2-only fit within the margin, and the
    unpenalized and selected fits, side by side (one row per group; columns prefixed l1_, l2_, unpen_, sel_).

    L1-only: reg_alpha > 0, reg_lambda = 0; L2-only: reg_alpha = 0, reg_lambda > 0; "strongest" by the
    penalty's value relative to the data (reg_alpha_relative / reg_lambda_relative, raw when those are missing).
    Groups where either kind has no fit within the margin have NaN on that side.
    """
    op = operating_points(fits, margin)
    if op.empty:
        return pd.DataFrame()
    cols = [
        "fit_id",
        "valid_error",
        "test_error",
        "train_error",
        "generalization_gap",
        "zero_leaf_frac",
        "n_leaves_mean",
        "n_features_used",
        "n_noise_features_used",
        "reg_alpha",
        "reg_lambda",
        "reg_alpha_relative",
        "reg_lambda_relative",
    ]
    # one pass per pick over every group at once (a stable sort keeps the fits' order among ties, as a loop over
    # groups would): the last of each group by penalty strength, the first unpenalized, the first by validation error
    op = op.reset_index(drop=True)
    key = ["group_id", "dataset", "engine", "task", "fold", "seed", "n_test", "n_train"]
    out = op.groupby("group_id").head(1)[key].set_index("group_id", drop=False).sort_index()
    inside = op[op.within_margin]

    def strongest(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        return rows.sort_values(["group_id", *by], kind="mergesort").groupby("group_id").tail(1)

    alpha_by = ["reg_alpha_relative", "reg_alpha"] if "reg_alpha_relative" in op else ["reg_alpha"]
    lambda_by = ["reg_lambda_relative", "reg_lambda"] if "reg_lambda_relative" in op else ["reg_lambda"]
    picks = {
        "l1": strongest(inside[(inside.reg_alpha > 0) & (inside.reg_lambda == 0)], alpha_by),
        "l2": strongest(inside[(inside.reg_alpha == 0) & (inside.reg_lambda > 0)], lambda_by),
        "unpen": op[(op.reg_alpha == 0) & (op.reg_lambda == 0)].groupby("group_id").head(1),
        "sel": op.sort_values(["group_id", "valid_error", "reg_alpha", "reg_lambda"], kind="mergesort")
        .groupby("group_id")
        .head(1),
    }
    columns = {}
    for tag, pick in picks.items():
        pick = pick.set_index("group_id").reindex(out.index)
        for c in cols:
            columns[f"{tag}_{c}"] = pick[c].to_numpy() if c in pick else np.nan
    return pd.concat([out.reset_index(drop=True), pd.DataFrame(columns)], axis=1)


def unit_effects(pairs: pd.DataFrame, value: pd.Series, *, by=("dataset", "engine")) -> pd.DataFrame:
    """Per replication unit: the mean of a per-group effect with its corrected t interval (one row per unit)."""
    frame = pairs.assign(_v=value.to_numpy(dtype=float))
    rows = []
    for key, g in frame.groupby(list(by), sort=True):
        g = g[np.isfinite(g._v)]
        if g.empty:
            continue
        est = corrected_t(g._v, float((g.n_test / g.n_train).mean()))
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,))),
                "effect": est.mean,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "n_groups": est.n,
            }
        )
    return pd.DataFrame(rows)


def estimate_dict(est: Estimate) -> dict:
    return asdict(est)
