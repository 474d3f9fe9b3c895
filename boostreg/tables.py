"""The two tables every conclusion is read from: one row per fold group (``selection_table``) and one row per
dataset x engine (``summary_table``, exported as ``boostreg.summarize``).

The rules (which fit a fold group selects, its gain over the default, the corrected interval) are those of
:mod:`boostreg.inference`; this module applies them to a whole frame of fit records. The CLI's summary, the report,
the claims ledger, the answer and the guide all read these tables, so they cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engines import engine_kind
from .inference import (
    METRIC_RANGE,
    SHARED_METRICS,
    column,
    corrected_t,
    flag,
    grid_value,
    group_status,
    has_validation,
    least_penalized_is_largest,
    ok_fits,
    penalty_name,
    point_label,
    record_kinds,
    relative_to,
    setting_labels,
)
from .memo import shared_frame, shared_table, shared_tables  # noqa: F401 - report and analysis use them from here


def _per_group_first(df: pd.DataFrame, mask, prefix: str, cols) -> pd.DataFrame:
    """The first row of each group_id among ``mask``, with ``cols`` renamed ``prefix + col`` (indexed by group)."""
    first = df[mask].groupby("group_id", sort=False).head(1).set_index("group_id")
    return first[list(cols)].add_prefix(prefix)


@shared_frame
def selection_table(fits: pd.DataFrame) -> pd.DataFrame:
    """One row per fold group: the selected, default and unpenalized fits and the paired gains (a flat table).

    Columns: dataset, engine, kind, task, setting, group_id, fold, seed, metric, n_train, n_test, n_valid,
    selected_fit_id, selected_in_grid, selected_point, selected_reg_alpha, selected_reg_lambda,
    selected_alpha_grid, selected_lambda_grid (the grid's own values: relative for relative grids),
    selected_alpha_relative, selected_lambda_relative, selected_penalty, at_grid_edge, valid_error_selected,
    test_error_selected, test_error_default, test_error_unpenalized, gain_vs_default, gain_vs_unpenalized,
    test_<shared metric>_selected / _default, fit_time_s_selected, fit_time_s_group, n_failed_fits, complete.
    A group with a failed fit or missing fits (``complete`` False) has NaN gains: never a gain of 0. A group's row
    depends on the records alone: the run's plan (``group_status``'s identity) only adds groups no fit reached,
    which have no row here; :func:`summary_table` counts them.
    """
    status = group_status(fits).set_index("group_id")
    ok = ok_fits(fits)
    if ok.empty or not has_validation(ok):
        return pd.DataFrame()
    ok = ok.assign(
        setting=setting_labels(ok),
        kind=record_kinds(ok),
        alpha_grid=grid_value(ok, "reg_alpha") if "reg_alpha" in ok else np.nan,
        lambda_grid=grid_value(ok, "reg_lambda") if "reg_lambda" in ok else np.nan,
        in_grid_=flag(ok, "in_grid", True),
        is_default_=flag(ok, "is_default", False),
    )
    booster = ok.kind == "booster"
    largest = ok.engine.map(least_penalized_is_largest)
    # tie-breaks: the more regularized fit for every kind (larger reg_alpha, then larger reg_lambda; baselines the
    # stronger penalty: a larger alpha, a smaller C), so a tie never prefers the weaker model
    ok = ok.assign(
        tie1=np.where(
            booster, -column(ok, "reg_alpha"), np.where(largest, column(ok, "penalty"), -column(ok, "penalty"))
        ),
        tie2=np.where(booster, -column(ok, "reg_lambda"), 0.0),
    )
    cand = ok[ok.valid_error.notna()].sort_values(["group_id", "valid_error", "tie1", "tie2"], kind="mergesort")
    shared = sorted({f"test_{m}" for ms in SHARED_METRICS.values() for m in ms} & set(ok.columns))
    sel_cols = [
        "dataset",
        "engine",
        "kind",
        "task",
        "setting",
        "fold",
        "seed",
        "primary_metric",
        "n_train",
        "n_test",
        "fit_id",
        "in_grid_",
        "valid_error",
        "test_error",
        "fit_time_s",
        "reg_alpha",
        "reg_lambda",
        "alpha_grid",
        "lambda_grid",
        "penalty",
        "reg_alpha_units",
        "reg_lambda_units",
        "reg_alpha_relative",
        "reg_lambda_relative",
    ] + shared
    cand = cand.assign(**{c: np.nan for c in sel_cols if c not in cand})
    out = _per_group_first(
        cand, np.ones(len(cand), dtype=bool), "", sel_cols + ["n_valid"] if "n_valid" in cand else sel_cols
    )
    # the reference: boosters (0, 0); baselines the least penalized grid point
    grid_pen = ok.penalty.where(ok.in_grid_) if "penalty" in ok else pd.Series(np.nan, index=ok.index)
    lo, hi = grid_pen.groupby(ok.group_id).transform("min"), grid_pen.groupby(ok.group_id).transform("max")
    is_ref = np.where(
        booster,
        (ok.reg_alpha == 0) & (ok.reg_lambda == 0) if "reg_alpha" in ok else False,
        ok.in_grid_ & np.where(largest, grid_pen == hi, grid_pen == lo),
    )
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
    out = out.reset_index().rename(
        columns={
            "fit_id": "selected_fit_id",
            "in_grid_": "selected_in_grid",
            "primary_metric": "metric",
            "valid_error": "valid_error_selected",
            "test_error": "test_error_selected",
            "fit_time_s": "fit_time_s_selected",
            "reg_alpha": "selected_reg_alpha",
            "reg_lambda": "selected_reg_lambda",
            "alpha_grid": "selected_alpha_grid",
            "lambda_grid": "selected_lambda_grid",
            "penalty": "selected_penalty",
            "reg_alpha_units": "selected_alpha_units",
            "reg_lambda_units": "selected_lambda_units",
            "reg_alpha_relative": "selected_alpha_relative",
            "reg_lambda_relative": "selected_lambda_relative",
            **{c: f"{c}_selected" for c in shared},
        }
    )
    out["selected_point"] = [
        point_label(
            k,
            {
                "penalty": p,
                "reg_alpha": a,
                "reg_lambda": lam,
                "reg_alpha_units": au,
                "reg_lambda_units": lu,
                "reg_alpha_relative": ar,
                "reg_lambda_relative": lr,
            },
            e,
        )
        for e, k, p, a, lam, au, lu, ar, lr in zip(
            out.engine,
            out.kind,
            out.selected_penalty,
            out.selected_reg_alpha,
            out.selected_reg_lambda,
            out.selected_alpha_units,
            out.selected_lambda_units,
            out.selected_alpha_relative,
            out.selected_lambda_relative,
        )
    ]
    base = out.kind == "baseline"
    for c in (
        "selected_reg_alpha",
        "selected_reg_lambda",
        "selected_alpha_grid",
        "selected_lambda_grid",
        "selected_alpha_relative",
        "selected_lambda_relative",
    ):
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
    out["rel_gain_vs_default"] = relative_to(out.gain_vs_default, out.test_error_default)
    for _task, metrics in SHARED_METRICS.items():  # a task's shared metrics only (the others are NaN)
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
    stronger_is_smaller = kind == "baseline" and least_penalized_is_largest(str(rows.engine.iloc[0]))
    counts = rows.groupby(keys + ["selected_in_grid"], dropna=False).size().reset_index(name="n")
    counts = counts.sort_values(["n"] + keys, ascending=[False] + [stronger_is_smaller] * len(keys), kind="mergesort")
    top = counts.iloc[0]
    match = np.ones(len(rows), dtype=bool)
    for k in keys:
        match &= np.isclose(rows[k].to_numpy(dtype=float), float(top[k]), equal_nan=True)
    return rows[match].assign(n_selected=int(top.n))


@shared_table
def summary_table(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
    """One row per dataset x engine (x varying setting): what to use, and what tuning it is worth.

    Gains are means over the fold groups of paired outer-fold differences (positive = the validation-selected
    setting beat the library default / the unpenalized fit) with the corrected resampled t interval; the
    selected setting is the one chosen most often over the groups (``n_selected`` of ``n_groups``);
    ``at_grid_edge`` flags it when it sits on the grid's edge, ``edge_share`` is the share of groups whose
    choice did. The shared metrics (AUC and accuracy, or R² and RMSE) of the selected fits, with the same
    interval clipped to the metric's range, put every model on one scale.

    Parameters
    ----------
    fits : pandas.DataFrame
        Fit records, one row per fit (``Run.fits``, or ``pandas.read_parquet`` of ``OUT/fits`` or of a file
        written by ``boostreg export``). They need a validation split (``valid_error``) for any row to be given.
    identity : dict, optional
        The run's identity (``OUT/study.json``, ``Run.identity``). With it, fold groups that no fit reached count
        as missing (``n_incomplete_groups``, ``fits_planned``) and a planned dataset x engine without any fit gets
        a row that says "not reached".

    Returns
    -------
    pandas.DataFrame
        One row per dataset x engine x varying setting: ``dataset``, ``engine``, ``kind``, ``task``, ``setting``,
        ``metric``, the counts (``n_groups``, ``n_used``, ``n_failed_groups``, ``n_incomplete_groups``,
        ``fits_present``, ``fits_planned``, ``complete``), the selected setting (``selected``, ``n_selected``,
        ``at_grid_edge``, ``edge_share``, ``selected_reg_alpha`` / ``selected_reg_lambda`` and their relative
        values, or ``selected_penalty`` and ``penalty_name`` for a baseline), mean test errors of the selected,
        default and unpenalized fits, the gains with their intervals (``gain_vs_default``, ``gain_ci_low``,
        ``gain_ci_high``, ``gain_vs_default_relative``, ``rel_gain_ci_low``, ``rel_gain_ci_high``,
        ``resolution_relative``, ``gain_vs_unpenalized`` ...), the shared metrics (``shared_metric``,
        ``shared_selected``, ``shared_ci_low``, ``shared_ci_high``, ``shared_default``, and ``shared2_*``), fit
        times and ``n_not_converged_selected`` / ``_default``. Empty when no fold group can be selected (no
        validation split, or no successful fit).

    See Also
    --------
    selection_table : the per-fold-group table it is built from.
    boostreg.results.Run.summary : the same table for a run folder.
    """
    sel = selection_table(fits)
    if sel.empty:
        return pd.DataFrame()
    status = group_status(fits, identity)
    # fits that report whether their solver converged (the ``converged`` column: MLP's stopped before max_iter);
    # NA for engines that do not say. Per fold group: the selected fit's and the library default's
    reported = column(fits, "converged").astype("boolean")
    unfinished = pd.Series((~reported).fillna(False).to_numpy(bool), index=fits.fit_id)
    says = pd.Series(reported.notna().to_numpy(), index=fits.fit_id)
    default_fit = (
        fits[flag(fits, "is_default", False) & (fits.status == "ok")]
        .drop_duplicates("group_id")
        .set_index("group_id")
        .fit_id
    )
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
        row = {
            "dataset": dataset,
            "engine": engine,
            "kind": kind,
            "task": g_all.task.iloc[0],
            "setting": setting,
            "metric": g_all.metric.iloc[0],
            "n_groups": int(len(st)),
            "n_used": int(len(g)),
            "n_failed_groups": int((st.n_failed > 0).sum()),
            "n_incomplete_groups": int((~st.present | (st.n_fits < st.n_expected)).sum()),
            "fits_present": int(st.n_fits.sum()),
            "fits_planned": int(st.n_expected.sum()),
            "complete": bool(st.complete.all()),
            "test_train_ratio": ratio,
            "selected": first.selected_point,
            "n_selected": int(first.n_selected),
            "at_grid_edge": bool(first.at_grid_edge),
            "edge_share": float(g.at_grid_edge.mean()),
            "test_error_selected": float(g.test_error_selected.mean()) if len(g) else np.nan,
            "test_error_default": float(g.test_error_default.mean()) if len(g) else np.nan,
            "test_error_unpenalized": float(g.test_error_unpenalized.mean()) if len(g) else np.nan,
            "gain_vs_default": gain.mean,
            "gain_ci_low": gain.ci_low,
            "gain_ci_high": gain.ci_high,
            # the one relative gain: the mean of per-group ratios (module doc), with the same interval
            "gain_vs_default_relative": rel.mean,
            "rel_gain_ci_low": rel.ci_low,
            "rel_gain_ci_high": rel.ci_high,
            # the smallest relative change this comparison could tell from none: its interval's half-width
            "resolution_relative": rel.width / 2 if np.isfinite(rel.width) else np.nan,
            "gain_vs_unpenalized": unpen.mean,
            "gain_unpenalized_ci_low": unpen.ci_low,
            "gain_unpenalized_ci_high": unpen.ci_high,
            "fit_time_s": float(g_all.fit_time_s_selected.mean()),
            "tuning_time_s": float(g_all.fit_time_s_group.mean()),
        }
        # of the n_used fold groups behind the gain: selected and default fits that did not converge (NaN where the
        # engine does not report convergence)
        for which, ids in (("selected", g.selected_fit_id), ("default", g.group_id.map(default_fit).dropna())):
            row[f"n_not_converged_{which}"] = (
                int(unfinished.reindex(ids).fillna(False).sum()) if says.reindex(ids).fillna(False).any() else np.nan
            )
        if kind == "baseline":
            row.update(
                selected_penalty=float(first.selected_penalty),
                penalty_name=penalty_name(engine),
                selected_reg_alpha=np.nan,
                selected_reg_lambda=np.nan,
                selected_alpha_relative=np.nan,
                selected_lambda_relative=np.nan,
            )
        else:
            row.update(
                selected_penalty=np.nan,
                selected_reg_alpha=float(top.selected_reg_alpha.median()),
                selected_reg_lambda=float(top.selected_reg_lambda.median()),
                selected_alpha_relative=float(top.selected_alpha_relative.median()),
                selected_lambda_relative=float(top.selected_lambda_relative.median()),
            )
        for i, m in enumerate(SHARED_METRICS[row["task"]]):
            est = corrected_t(g[f"test_{m}_selected"], ratio)
            lo, hi = METRIC_RANGE[m]
            tag = "shared" if i == 0 else "shared2"
            row.update(
                {
                    f"{tag}_metric": m,
                    f"{tag}_selected": est.mean,
                    f"{tag}_ci_low": float(np.clip(est.ci_low, lo, hi)),
                    f"{tag}_ci_high": float(np.clip(est.ci_high, lo, hi)),
                    f"{tag}_default": float(g[f"test_{m}_default"].mean()) if len(g) else np.nan,
                }
            )
        rows.append(row)
    # a planned dataset x engine that no fit reached: a row that says so (no setting, no gain)
    done = {(r["dataset"], r["engine"]) for r in rows}
    for (dataset, engine), st in status[~status.present].groupby(["dataset", "engine"], sort=True):
        if (dataset, engine) not in done:
            rows.append(
                {
                    "dataset": dataset,
                    "engine": engine,
                    "kind": engine_kind(engine),
                    "setting": "",
                    "n_groups": int(len(st)),
                    "n_used": 0,
                    "n_failed_groups": 0,
                    "n_incomplete_groups": int(len(st)),
                    "fits_present": 0,
                    "fits_planned": np.nan,
                    "complete": False,
                    "selected": "not reached",
                }
            )
    return pd.DataFrame(rows)


def summary_records(summary: pd.DataFrame) -> list[dict]:
    """The summary as JSON-ready dicts (NaN -> None)."""
    out = []
    for rec in summary.to_dict(orient="records"):
        out.append(
            {
                k: (
                    None
                    if isinstance(v, float) and not np.isfinite(v)
                    else (v.item() if isinstance(v, np.generic) else v)
                )
                for k, v in rec.items()
            }
        )
    return out
