"""How fit records become a gain, an interval and a verdict: the one module every conclusion comes from.

The protocol (README, "From records to advice"):

* A **fold group** is one dataset x engine x fold x seed with every non-penalty parameter fixed: the records'
  ``group_id``. Its fits are the penalty grid, the unpenalized reference and the library default.
* The **selected** fit of a group is its ok fit with the lowest ``valid_error`` (the validation split carved
  from the training fold; the test fold is never seen), ties to the more regularized fit for every engine
  kind: the larger reg_alpha, then the larger reg_lambda; baselines the stronger penalty (larger alpha, smaller
  C). A group with a failed fit, or missing fits of its grid, gives no gain (``complete`` is False): it is
  counted (``n_failed_groups``, ``n_incomplete_groups``), never scored as 0. The **default** is the fit with the library's own penalties
  (``is_default``: XGBoost reg_alpha 0, reg_lambda 1; LightGBM 0, 0; scikit-learn's alpha or C). The
  **unpenalized** fit is the group's reference (boosters reg_alpha = reg_lambda = 0; baselines the least
  penalized grid point).
* The **gain** of a group is test_error(default) - test_error(selected) on the outer test fold (positive =
  tuning helped), one paired observation d_j. The **relative gain** is d_j / test_error(default) of the same
  group, and a relative effect is always the mean of those per-group ratios (never mean(d) / mean(default)):
  each fold is then one paired observation on its own scale and the same interval applies to it. Over the J = folds x seeds groups of a dataset x engine, the mean
  gets the **corrected resampled t interval** of Nadeau & Bengio (2003): var(d-bar) = (1/J + n_test/n_train) s^2,
  because K-fold training sets overlap (a plain t interval over folds is too narrow).
* **Pooled** effects (across datasets) are means over the replication unit, dataset x engine, with a one-sample
  t interval over the unit means (``pooled_t``): its false "holds" rate stays at the nominal 2.5% from 3 units
  on (tests/test_inference.py simulates it), where the percentile bootstrap it replaced said "holds" for a null
  effect in 12.7% of draws at 3 units. Fewer than ``MIN_UNITS`` units is "not enough evidence".
* A **verdict** can fail: "holds" when the interval lies on the claimed side of 0; "does not hold here" when it
  rules out an effect of practical size on that side (its far end is short of the claim's equivalence band, so
  a consistent null is an answer, not a shrug); else "inconclusive" (``verdict``).
* **Operating points** (for the claims): fits whose validation error is within ``MATCH_MARGIN`` of the group's
  best, never the collapsed corners of a grid; L1 and L2 are compared at the strongest penalty of each kind
  that still stays within that margin (matched validation error).

Everything here is a pure function of a fit-record frame; the CLI's summary, the report, the claims ledger
and the guide all read these tables, so they cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .errors import BoostregError

CONFIDENCE = 0.95
N_BOOT = 2000
BOOT_SEED = 0
#: a fit is at an operating point when its validation error is at most (1 + MATCH_MARGIN) x the group's best: wide
#: enough to hold settings the validation split cannot tell apart (on the default study 1% matched an L1 and an L2
#: setting in 9 of 72 fold groups, 5% in 44), narrow enough to exclude collapsed fits (tens of % worse)
MATCH_MARGIN = 0.05
#: pooled verdicts need at least this many replication units (dataset x engine)
MIN_UNITS = 3
#: where each metric can lie (intervals of a mean metric are clipped to it)
METRIC_RANGE = {"rmse": (0.0, np.inf), "mae": (0.0, np.inf), "logloss": (0.0, np.inf), "error": (0.0, 1.0),
                "auc": (0.0, 1.0), "accuracy": (0.0, 1.0), "r2": (-np.inf, 1.0)}
#: the metrics every model reports on every task, for the models side by side (higher is better first)
SHARED_METRICS = {"binary": ("auc", "accuracy"), "regression": ("r2", "rmse")}


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
    half = float(stats.t.ppf(0.5 + confidence / 2, j - 1) * np.sqrt((1 / j + test_train_ratio) * v.var(ddof=1)))
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
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
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

def engine_kind(engine: str) -> str:
    """"booster" or "baseline" (engines not registered here count as boosters when they have reg_alpha)."""
    from .engines import ENGINES

    return ENGINES[engine].kind if engine in ENGINES else "booster"


def has_validation(fits: pd.DataFrame) -> bool:
    """Whether these records carry a validation split (needed for any selection or gain)."""
    return "valid_error" in fits and bool(fits.valid_error.notna().any())


def require_validation(fits: pd.DataFrame, where: str = "these records") -> None:
    if not has_validation(fits):
        raise BoostregError(f"{where} have no validation split (valid_error is empty), so a setting cannot be selected "
                            "without looking at the test folds; add validation_fraction = 0.2 under [params] of the "
                            "study and run it again (into a new --out).")


def _col(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    return df[name] if name in df else pd.Series(default, index=df.index)


def grid_value(df: pd.DataFrame, key: str) -> pd.Series:
    """A booster penalty as its grid gave it: relative value for relative grids, raw value otherwise."""
    units = _col(df, f"{key}_units", "raw").fillna("raw")
    return pd.Series(np.where(units == "relative", _col(df, f"{key}_relative"), df[key]), index=df.index,
                     dtype=np.float64)


def penalty_name(engine: str) -> str:
    """A baseline's name for its ``penalty`` as its scikit-learn class calls it ("alpha" or "C")."""
    from .engines import ENGINES

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


def _setting_labels(df: pd.DataFrame) -> pd.Series:
    """The non-penalty parameters that vary within a dataset x engine, as a short label ('' when none vary)."""
    drop = {"reg_alpha", "reg_lambda", "penalty"}
    params = df.params_json.map(lambda s: {k: v for k, v in json.loads(s).items() if k not in drop}
                                if isinstance(s, str) else {})
    out = pd.Series("", index=df.index, dtype=object)
    for _, idx in df.groupby(["dataset", "engine"]).groups.items():
        sub = params.loc[idx]
        keys = sorted({k for p in sub for k in p})
        varying = [k for k in keys if len({json.dumps(p.get(k)) for p in sub}) > 1]
        if varying:
            out.loc[idx] = sub.map(lambda p: ", ".join(f"{k}={p.get(k)}" for k in varying))
    return out


def _least_penalized_is_largest(engine: str) -> bool:
    """Whether an engine's least penalized ``penalty`` is its largest value (C-type) rather than its smallest."""
    from .engines import ENGINES

    eng = ENGINES.get(engine)
    return bool(eng is not None and hasattr(eng, "least_penalized_first") and eng.least_penalized_first([1.0, 2.0])[0] == 2.0)


def _ok(fits: pd.DataFrame) -> pd.DataFrame:
    return fits[fits.status == "ok"]


def _flag(df: pd.DataFrame, name: str, default: bool) -> pd.Series:
    return _col(df, name, default).fillna(default).astype(bool)


def _per_group_first(df: pd.DataFrame, mask, prefix: str, cols) -> pd.DataFrame:
    """The first row of each group_id among ``mask``, with ``cols`` renamed ``prefix + col`` (indexed by group)."""
    first = df[mask].groupby("group_id", sort=False).head(1).set_index("group_id")
    return first[list(cols)].add_prefix(prefix)


def planned_cells(identity: dict | None, fits: pd.DataFrame) -> pd.DataFrame:
    """The (dataset, engine, fold, seed) cells a study planned, from its identity (OUT/study.json): its datasets,
    engines (each on the datasets of its tasks; a dataset without any record yet is planned for every engine),
    folds and seeds. Empty when the identity does not say (e.g. a study with its own splitter)."""
    from .engines import ENGINES

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


def group_status(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
    """One row per fold group of the records (failed fits included): how many fits it has, how many failed, how
    many it should have, and whether it can give a gain (``complete``: every planned fit present and ok).

    What a group should have is read from the records themselves: a dataset x engine's groups all run the same
    grid, so the largest group is the plan; a dataset's (fold, seed) pairs are the same for every engine, so a
    pair another engine has is a group this engine is missing (``present`` False). A run killed part-way thus
    shows as incomplete without its plan.
    """
    cols = ["group_id", "dataset", "engine", "fold", "seed", "n_fits", "n_failed", "n_expected", "present",
            "complete"]
    if fits.empty:
        return pd.DataFrame(columns=cols)
    # a fit's place in its group's plan: its penalties as the grid gave them (relative grids: the relative value,
    # the same in every fold) and the other parameters; the plan of a dataset x engine is every place seen in it
    params = _col(fits, "params_json", "{}").map(
        lambda t: json.dumps({k: v for k, v in json.loads(t).items() if k not in ("reg_alpha", "reg_lambda",
                                                                                  "penalty")}, sort_keys=True)
        if isinstance(t, str) else "")
    parts = [params, _flag(fits, "in_grid", True), _flag(fits, "is_default", False), _col(fits, "penalty")]
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
    cells = pd.concat([g.drop_duplicates(["dataset", "fold", "seed"])[["dataset", "fold", "seed"]]
                       .merge(g[["dataset", "engine"]].drop_duplicates(), on="dataset"),
                       planned_cells(identity, fits)], ignore_index=True)
    cells = cells.astype({"fold": int, "seed": int}).drop_duplicates()
    have = set(zip(g.dataset, g.engine, g.fold.astype(int), g.seed.astype(int)))
    size = g.groupby(["dataset", "engine"]).n_expected.first().to_dict()
    missing = [{"group_id": f"(missing) {c.dataset} {c.engine} fold {c.fold} seed {c.seed}", "dataset": c.dataset,
                "engine": c.engine, "fold": c.fold, "seed": c.seed, "n_fits": 0, "n_failed": 0,
                "n_expected": int(size.get((c.dataset, c.engine), 1)), "present": False}
               for c in cells.itertuples() if (c.dataset, c.engine, c.fold, c.seed) not in have]
    if missing:
        g = pd.concat([g, pd.DataFrame(missing)], ignore_index=True)
    g["complete"] = g.present & (g.n_failed == 0) & (g.n_fits >= g.n_expected)
    return g[cols]


def selection_table(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
    """One row per fold group: the selected, default and unpenalized fits and the paired gains (a flat table).

    Columns: dataset, engine, kind, task, setting, group_id, fold, seed, metric, n_train, n_test, n_valid,
    selected_fit_id, selected_in_grid, selected_point, selected_reg_alpha, selected_reg_lambda,
    selected_alpha_grid, selected_lambda_grid (the grid's own values: relative for relative grids),
    selected_alpha_relative, selected_lambda_relative, selected_penalty, at_grid_edge, valid_error_selected,
    test_error_selected, test_error_default, test_error_unpenalized, gain_vs_default, gain_vs_unpenalized,
    test_<shared metric>_selected / _default, fit_time_s_selected, fit_time_s_group, n_failed_fits, complete.
    A group with a failed fit or missing fits (``complete`` False) has NaN gains: never a gain of 0.
    """
    status = group_status(fits, identity).set_index("group_id")
    ok = _ok(fits)
    if ok.empty or not has_validation(ok):
        return pd.DataFrame()
    ok = ok.assign(setting=_setting_labels(ok), kind=ok.engine.map(engine_kind),
                   alpha_grid=grid_value(ok, "reg_alpha") if "reg_alpha" in ok else np.nan,
                   lambda_grid=grid_value(ok, "reg_lambda") if "reg_lambda" in ok else np.nan,
                   in_grid_=_flag(ok, "in_grid", True), is_default_=_flag(ok, "is_default", False))
    booster = ok.kind == "booster"
    largest = ok.engine.map(_least_penalized_is_largest)
    # tie-breaks: the more regularized fit for every kind (larger reg_alpha, then larger reg_lambda; baselines the
    # stronger penalty: a larger alpha, a smaller C), so a tie never prefers the weaker model
    ok = ok.assign(tie1=np.where(booster, -_col(ok, "reg_alpha"),
                                 np.where(largest, _col(ok, "penalty"), -_col(ok, "penalty"))),
                   tie2=np.where(booster, -_col(ok, "reg_lambda"), 0.0))
    cand = ok[ok.valid_error.notna()].sort_values(["group_id", "valid_error", "tie1", "tie2"], kind="mergesort")
    shared = sorted({f"test_{m}" for ms in SHARED_METRICS.values() for m in ms} & set(ok.columns))
    sel_cols = ["dataset", "engine", "kind", "task", "setting", "fold", "seed", "primary_metric", "n_train", "n_test",
                "fit_id", "in_grid_", "valid_error", "test_error", "fit_time_s", "reg_alpha", "reg_lambda",
                "alpha_grid", "lambda_grid", "penalty", "reg_alpha_units", "reg_lambda_units", "reg_alpha_relative",
                "reg_lambda_relative"] + shared
    cand = cand.assign(**{c: np.nan for c in sel_cols if c not in cand})
    out = _per_group_first(cand, np.ones(len(cand), dtype=bool), "", sel_cols + ["n_valid"] if "n_valid" in cand
                           else sel_cols)
    # the reference: boosters (0, 0); baselines the least penalized grid point
    grid_pen = ok.penalty.where(ok.in_grid_) if "penalty" in ok else pd.Series(np.nan, index=ok.index)
    lo, hi = grid_pen.groupby(ok.group_id).transform("min"), grid_pen.groupby(ok.group_id).transform("max")
    is_ref = np.where(booster, (ok.reg_alpha == 0) & (ok.reg_lambda == 0) if "reg_alpha" in ok else False,
                      ok.in_grid_ & np.where(largest, grid_pen == hi, grid_pen == lo))
    ref = _per_group_first(ok, is_ref, "", ["test_error"]).rename(columns={"test_error": "test_error_unpenalized"})
    default = _per_group_first(ok, ok.is_default_, "", ["test_error"] + shared)
    default = default.rename(columns={c: f"{c}_default" for c in default.columns})
    group_time = ok.groupby("group_id").fit_time_s.sum().rename("fit_time_s_group")
    out = out.join(ref).join(default).join(group_time)
    # the grid's edge: the selection equals a penalty's largest grid value (> 0), or its smallest when it is > 0
    grid = ok[ok.in_grid_]
    edge = pd.Series(False, index=out.index)
    for col in ("alpha_grid", "lambda_grid", "penalty"):
        if col not in grid or grid[col].isna().all():
            continue
        stats_ = grid.groupby("group_id")[col].agg(["min", "max", "nunique"])
        v = out[col]
        s_min, s_max, n = (stats_[k].reindex(out.index) for k in ("min", "max", "nunique"))
        at = (n > 1) & (((v == s_max) & ((s_max > 0) | (out.kind == "baseline"))) | ((v == s_min) & (s_min > 0)))
        edge |= at.fillna(False)
    out["at_grid_edge"] = edge & out.in_grid_.astype(bool)
    out = out.reset_index().rename(columns={
        "fit_id": "selected_fit_id", "in_grid_": "selected_in_grid", "primary_metric": "metric",
        "valid_error": "valid_error_selected", "test_error": "test_error_selected", "fit_time_s": "fit_time_s_selected",
        "reg_alpha": "selected_reg_alpha", "reg_lambda": "selected_reg_lambda", "alpha_grid": "selected_alpha_grid",
        "lambda_grid": "selected_lambda_grid", "penalty": "selected_penalty", "reg_alpha_units": "selected_alpha_units",
        "reg_lambda_units": "selected_lambda_units", "reg_alpha_relative": "selected_alpha_relative",
        "reg_lambda_relative": "selected_lambda_relative", **{c: f"{c}_selected" for c in shared}})
    out["selected_point"] = [
        point_label(k, {"penalty": p, "reg_alpha": a, "reg_lambda": lam, "reg_alpha_units": au,
                        "reg_lambda_units": lu, "reg_alpha_relative": ar, "reg_lambda_relative": lr}, e)
        for e, k, p, a, lam, au, lu, ar, lr in zip(out.engine, out.kind, out.selected_penalty, out.selected_reg_alpha,
                                                out.selected_reg_lambda, out.selected_alpha_units,
                                                out.selected_lambda_units, out.selected_alpha_relative,
                                                out.selected_lambda_relative)]
    base = out.kind == "baseline"
    for c in ("selected_reg_alpha", "selected_reg_lambda", "selected_alpha_grid", "selected_lambda_grid",
              "selected_alpha_relative", "selected_lambda_relative"):
        out.loc[base, c] = np.nan
    out.loc[~base, "selected_penalty"] = np.nan
    for c in ("test_error_default", "test_error_unpenalized"):
        if c not in out:
            out[c] = np.nan
    for m in shared:
        if f"{m}_default" not in out:
            out[f"{m}_default"] = np.nan
    out["n_failed_fits"] = out.group_id.map(status.n_failed).fillna(0).astype(int)
    out["complete"] = out.group_id.map(status.complete).fillna(False).astype(bool)
    usable = out.complete.to_numpy()
    out["gain_vs_default"] = (out.test_error_default - out.test_error_selected).where(usable)
    out["gain_vs_unpenalized"] = (out.test_error_unpenalized - out.test_error_selected).where(usable)
    out["rel_gain_vs_default"] = out.gain_vs_default / out.test_error_default
    for task, metrics in SHARED_METRICS.items():  # a task's shared metrics only (the others are NaN)
        for m in metrics:
            for suffix in ("selected", "default"):
                col = f"test_{m}_{suffix}"
                if col not in out:
                    out[col] = np.nan
    return out.sort_values("group_id").reset_index(drop=True)


def _modal(rows: pd.DataFrame, kind: str) -> pd.Series:
    """The setting selected most often over a dataset x engine's fold groups (ties: the more regularized, as in
    the selection itself)."""
    keys = ["selected_penalty"] if kind == "baseline" else ["selected_alpha_grid", "selected_lambda_grid"]
    stronger_is_smaller = kind == "baseline" and _least_penalized_is_largest(str(rows.engine.iloc[0]))
    counts = rows.groupby(keys + ["selected_in_grid"], dropna=False).size().reset_index(name="n")
    counts = counts.sort_values(["n"] + keys, ascending=[False] + [stronger_is_smaller] * len(keys),
                                kind="mergesort")
    top = counts.iloc[0]
    match = np.ones(len(rows), dtype=bool)
    for k in keys:
        match &= np.isclose(rows[k].to_numpy(dtype=float), float(top[k]), equal_nan=True)
    return rows[match].assign(n_selected=int(top.n))


def summary_table(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
    """One row per dataset x engine (x varying setting): what to use, and what tuning it is worth.

    Gains are means over the fold groups of paired outer-fold differences (positive = the validation-selected
    setting beat the library default / the unpenalized fit) with the corrected resampled t interval; the
    selected setting is the one chosen most often over the groups (``n_selected`` of ``n_groups``);
    ``at_grid_edge`` flags it when it sits on the grid's edge, ``edge_share`` is the share of groups whose
    choice did. The shared metrics (AUC and accuracy, or R² and RMSE) of the selected fits, with the same
    interval clipped to the metric's range, put every model on one scale. ``identity`` (OUT/study.json) lets
    groups that no fit reached count as missing (``n_incomplete_groups``, ``fits_planned``).
    """
    sel = selection_table(fits, identity)
    if sel.empty:
        return pd.DataFrame()
    status = group_status(fits, identity)
    # fits that report whether their solver converged (the ``converged`` column: MLP's stopped before max_iter);
    # NA for engines that do not say. Per fold group: the selected fit's and the library default's
    reported = _col(fits, "converged").astype("boolean")
    unfinished = pd.Series((~reported).fillna(False).to_numpy(bool), index=fits.fit_id)
    says = pd.Series(reported.notna().to_numpy(), index=fits.fit_id)
    default_fit = (fits[_flag(fits, "is_default", False) & (fits.status == "ok")]
                   .drop_duplicates("group_id").set_index("group_id").fit_id)
    rows = []
    for (dataset, engine, setting), g_all in sel.groupby(["dataset", "engine", "setting"], sort=True):
        kind = g_all.kind.iloc[0]
        st = status[(status.dataset == dataset) & (status.engine == engine)]
        g = g_all[g_all.complete]
        if g.empty:  # no group can give a gain: its counts, and NaN for every estimate
            g = g_all.iloc[:0]
        ratio = float((g_all.n_test / g_all.n_train).mean())
        gain = corrected_t(g.gain_vs_default, ratio)
        rel = corrected_t(g.rel_gain_vs_default, ratio)
        unpen = corrected_t(g.gain_vs_unpenalized, ratio)
        top = _modal(g if len(g) else g_all, kind)
        first = top.iloc[0]
        row = {"dataset": dataset, "engine": engine, "kind": kind, "task": g_all.task.iloc[0], "setting": setting,
               "metric": g_all.metric.iloc[0], "n_groups": int(len(st)), "n_used": int(len(g)),
               "n_failed_groups": int((st.n_failed > 0).sum()),
               "n_incomplete_groups": int((~st.present | (st.n_fits < st.n_expected)).sum()),
               "fits_present": int(st.n_fits.sum()), "fits_planned": int(st.n_expected.sum()),
               "complete": bool(st.complete.all()), "test_train_ratio": ratio,
               "selected": first.selected_point,
               "n_selected": int(first.n_selected), "at_grid_edge": bool(first.at_grid_edge),
               "edge_share": float(g.at_grid_edge.mean()),
               "test_error_selected": float(g.test_error_selected.mean()) if len(g) else np.nan,
               "test_error_default": float(g.test_error_default.mean()) if len(g) else np.nan,
               "test_error_unpenalized": float(g.test_error_unpenalized.mean()) if len(g) else np.nan,
               "gain_vs_default": gain.mean, "gain_ci_low": gain.ci_low, "gain_ci_high": gain.ci_high,
               # the one relative gain: the mean of per-group ratios (module doc), with the same interval
               "gain_vs_default_relative": rel.mean, "rel_gain_ci_low": rel.ci_low, "rel_gain_ci_high": rel.ci_high,
               # the smallest relative change this comparison could tell from none: its interval's half-width
               "resolution_relative": rel.width / 2 if np.isfinite(rel.width) else np.nan,
               "gain_vs_unpenalized": unpen.mean, "gain_unpenalized_ci_low": unpen.ci_low,
               "gain_unpenalized_ci_high": unpen.ci_high,
               "fit_time_s": float(g_all.fit_time_s_selected.mean()),
               "tuning_time_s": float(g_all.fit_time_s_group.mean())}
        # of the n_used fold groups behind the gain: selected and default fits that did not converge (NaN where the
        # engine does not report convergence)
        for which, ids in (("selected", g.selected_fit_id), ("default", g.group_id.map(default_fit).dropna())):
            row[f"n_not_converged_{which}"] = (int(unfinished.reindex(ids).fillna(False).sum())
                                              if says.reindex(ids).fillna(False).any() else np.nan)
        if kind == "baseline":
            row.update(selected_penalty=float(first.selected_penalty), penalty_name=penalty_name(engine),
                       selected_reg_alpha=np.nan,
                       selected_reg_lambda=np.nan, selected_alpha_relative=np.nan, selected_lambda_relative=np.nan)
        else:
            row.update(selected_penalty=np.nan, selected_reg_alpha=float(top.selected_reg_alpha.median()),
                       selected_reg_lambda=float(top.selected_reg_lambda.median()),
                       selected_alpha_relative=float(top.selected_alpha_relative.median()),
                       selected_lambda_relative=float(top.selected_lambda_relative.median()))
        for i, m in enumerate(SHARED_METRICS[row["task"]]):
            est = corrected_t(g[f"test_{m}_selected"], ratio)
            lo, hi = METRIC_RANGE[m]
            tag = "shared" if i == 0 else "shared2"
            row.update({f"{tag}_metric": m, f"{tag}_selected": est.mean, f"{tag}_ci_low": float(np.clip(est.ci_low, lo, hi)),
                        f"{tag}_ci_high": float(np.clip(est.ci_high, lo, hi)),
                        f"{tag}_default": float(g[f"test_{m}_default"].mean()) if len(g) else np.nan})
        rows.append(row)
    # a planned dataset x engine that no fit reached: a row that says so (no setting, no gain)
    done = {(r["dataset"], r["engine"]) for r in rows}
    for (dataset, engine), st in status[~status.present].groupby(["dataset", "engine"], sort=True):
        if (dataset, engine) not in done:
            rows.append({"dataset": dataset, "engine": engine, "kind": engine_kind(engine), "setting": "",
                         "n_groups": int(len(st)), "n_used": 0, "n_failed_groups": 0,
                         "n_incomplete_groups": int(len(st)), "fits_present": 0, "fits_planned": np.nan,
                         "complete": False, "selected": "not reached"})
    return pd.DataFrame(rows)


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


def summary_records(summary: pd.DataFrame) -> list[dict]:
    """The summary as JSON-ready dicts (NaN -> None)."""
    out = []
    for rec in summary.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not np.isfinite(v) else
                        (v.item() if isinstance(v, np.generic) else v)) for k, v in rec.items()})
    return out


# ---------------------------------------------------------------------------------------------- operating points

def operating_points(fits: pd.DataFrame, margin: float = MATCH_MARGIN) -> pd.DataFrame:
    """Per booster fold group, the fits that still work: valid_error <= (1 + margin) x the group's best.

    Adds ``best_valid_error`` and ``within_margin``; only groups with a validation split and ok fits.
    """
    ok = _ok(fits)
    ok = ok[ok.engine.map(engine_kind) == "booster"] if not ok.empty else ok
    if ok.empty or not has_validation(ok):
        return pd.DataFrame()
    ok = ok[ok.valid_error.notna()].copy()
    best = ok.groupby("group_id").valid_error.transform("min")
    return ok.assign(best_valid_error=best, within_margin=ok.valid_error <= best * (1 + margin) + 1e-12)


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
    cols = ["fit_id", "valid_error", "test_error", "train_error", "generalization_gap", "zero_leaf_frac",
            "n_leaves_mean", "n_features_used", "n_noise_features_used", "reg_alpha", "reg_lambda",
            "reg_alpha_relative", "reg_lambda_relative"]
    rows = []
    for gid, g in op.groupby("group_id", sort=True):
        first = g.iloc[0]
        row = {"group_id": gid, "dataset": first.dataset, "engine": first.engine, "task": first.task,
               "fold": first.fold, "seed": first.seed, "n_test": first.n_test, "n_train": first.n_train}
        inside = g[g.within_margin]
        picks = {
            "l1": inside[(inside.reg_alpha > 0) & (inside.reg_lambda == 0)].sort_values(
                ["reg_alpha_relative", "reg_alpha"] if "reg_alpha_relative" in g else ["reg_alpha"]).tail(1),
            "l2": inside[(inside.reg_alpha == 0) & (inside.reg_lambda > 0)].sort_values(
                ["reg_lambda_relative", "reg_lambda"] if "reg_lambda_relative" in g else ["reg_lambda"]).tail(1),
            "unpen": g[(g.reg_alpha == 0) & (g.reg_lambda == 0)].head(1),
            "sel": g.sort_values(["valid_error", "reg_alpha", "reg_lambda"], kind="mergesort").head(1),
        }
        for tag, pick in picks.items():
            for c in cols:
                row[f"{tag}_{c}"] = pick[c].iloc[0] if len(pick) and c in pick else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def unit_effects(pairs: pd.DataFrame, value: pd.Series, *, by=("dataset", "engine")) -> pd.DataFrame:
    """Per replication unit: the mean of a per-group effect with its corrected t interval (one row per unit)."""
    frame = pairs.assign(_v=value.to_numpy(dtype=float))
    rows = []
    for key, g in frame.groupby(list(by), sort=True):
        g = g[np.isfinite(g._v)]
        if g.empty:
            continue
        est = corrected_t(g._v, float((g.n_test / g.n_train).mean()))
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "effect": est.mean,
                     "ci_low": est.ci_low, "ci_high": est.ci_high, "n_groups": est.n})
    return pd.DataFrame(rows)


def estimate_dict(est: Estimate) -> dict:
    return asdict(est)
