"""The tuning guide's evidence, as frames computed from fit records only: the rows it uses, the relative
validation surface, the rule's recommended point, its leave-one-dataset-out proof and summaries, where the optima
lie, the tree cap, and α_max and H̄ as the records measured them.

The literature's reference points and ranges set beside these come from the engines that declare them
(``Engine.published``, :func:`boostreg.engines.published`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import inference, tables
from ..engines import ENGINES, declared
from ..inference import corrected_t, pooled_t

#: AUC for binary datasets, R² for regression, accuracy for multiclass: unit-free, higher is better, never averaged
#: together (per task)
SHARED = {"binary": ("test_auc", "AUC"), "regression": ("test_r2", "R²"), "multiclass": ("test_accuracy", "accuracy")}
#: the guide's assumptions (the study's fixed settings), carried into boostreg recommend
TARGET_SHARE_BAND = (0.10, 0.90)


def literature_points() -> list[tuple[str, dict]]:
    """(engine, point) for every published point the registered engines declare (a point has a ``label``: records
    fitted at it carry that ``point_label``), in registration order."""
    return [
        (name, dict(p)) for name, engine in ENGINES.items() for p in declared(engine, "published", ()) if "label" in p
    ]


def literature_point() -> tuple[str, dict] | tuple[None, None]:
    """The first published point (the one the guide sets beside its own, the ``probst_`` columns), or (None, None)."""
    points = literature_points()
    return points[0] if points else (None, None)


def literature_ranges() -> list[dict]:
    """The published search ranges the registered engines declare, in registration order."""
    return [dict(p) for engine in ENGINES.values() for p in declared(engine, "published", ()) if "label" not in p]


# ---------------------------------------------------------------------------------------------- frames


def guide_rows(fits: pd.DataFrame) -> pd.DataFrame:
    """Successful booster fits with a validation error, each grid point keyed by its value in the grid's units."""
    ok = fits[(fits.status == "ok")]
    ok = ok[inference.record_kinds(ok) == "booster"]
    if ok.empty or not inference.has_validation(ok):
        return pd.DataFrame()
    ok = ok[ok.valid_error.notna()].copy()
    ok["alpha_grid"] = inference.grid_value(ok, "reg_alpha")
    ok["lambda_grid"] = inference.grid_value(ok, "reg_lambda")
    ok["synthetic"] = (
        ok.groupby("dataset").n_noise_features_used.transform(lambda s: s.notna().any())
        if "n_noise_features_used" in ok
        else False
    )
    ok["shared"] = shared_metric(ok)
    return ok


def shared_metric(fits: pd.DataFrame) -> np.ndarray:
    """Each record's task's shared metric (:data:`SHARED`: test AUC, R² or accuracy; NaN where it is missing)."""
    out = np.full(len(fits), np.nan)
    for task, (column, _) in SHARED.items():
        if column in fits:
            rows = (fits.task == task).to_numpy()
            out[rows] = fits.loc[rows, column].to_numpy(dtype=np.float64)
    return out


def relative_surface(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine, dataset and in-grid point: mean over fold groups of valid_error / the default's valid_error."""
    default = df[df.is_default.fillna(False).astype(bool)].set_index("group_id").valid_error
    grid = df[df.in_grid.fillna(True).astype(bool)]
    grid = grid.assign(ratio=grid.valid_error / grid.group_id.map(default))
    return grid.groupby(["engine", "dataset", "alpha_grid", "lambda_grid"], as_index=False).agg(
        ratio=("ratio", "mean"), n_groups=("ratio", "size")
    )


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
        rows.append(
            {
                "engine": engine,
                "alpha_rel": float(top.alpha_grid),
                "lambda_rel": float(top.lambda_grid),
                "mean_valid_ratio": float(top["mean"]),
                "n_datasets": n,
            }
        )
    return pd.DataFrame(rows, columns=["engine", "alpha_rel", "lambda_rel", "mean_valid_ratio", "n_datasets"])


def _gains_at(df: pd.DataFrame, pick: pd.Series) -> pd.DataFrame:
    """Per fold group: test error and shared metric of the default and of the picked fit (``pick``: a mask)."""
    default = df[df.is_default.fillna(False).astype(bool)].set_index("group_id")
    chosen = df[pick].drop_duplicates("group_id").set_index("group_id")
    both = chosen[["dataset", "engine", "task", "fold", "seed", "n_train", "n_test", "test_error", "shared"]].join(
        default[["test_error", "shared"]].rename(columns={"test_error": "default_error", "shared": "default_shared"}),
        how="inner",
    )
    return both.assign(gain=both.default_error - both.test_error, shared_gain=both.shared - both.default_shared)


def _per_dataset(g: pd.DataFrame) -> dict:
    """Mean gains over one dataset's fold groups with corrected t intervals (error units, relative, shared)."""
    ratio = float((g.n_test / g.n_train).mean())
    err = corrected_t(g.gain, ratio)
    # relative gain as everywhere (boostreg.inference): the mean of per-group ratios, with its own interval
    rel = corrected_t(inference.relative_to(g.gain, g.default_error), ratio)
    shared = corrected_t(g.shared_gain, ratio)
    return {
        "gain": err.mean,
        "gain_low": err.ci_low,
        "gain_high": err.ci_high,
        "rel_gain": rel.mean,
        "rel_low": rel.ci_low,
        "rel_high": rel.ci_high,
        "shared_gain": shared.mean,
        "shared_low": shared.ci_low,
        "shared_high": shared.ci_high,
        "n_groups": err.n,
        "n_train": float(g.n_train.mean()),
        "clearly_worse": bool(err.ci_high < 0),
        "clearly_better": bool(err.ci_low > 0),
    }


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
    sel = tables.selection_table(real)
    _, point = literature_point()
    rows = []
    for (engine, dataset), d in real.groupby(["engine", "dataset"], sort=True):
        others = sorted(set(real[real.engine == engine].dataset) - {dataset})
        rec = recommend(surface[surface.engine == engine], others)
        if rec.empty:
            continue
        a, lam = rec.alpha_rel.iloc[0], rec.lambda_rel.iloc[0]
        row = {
            "engine": engine,
            "dataset": dataset,
            "task": d.task.iloc[0],
            "alpha_rel": a,
            "lambda_rel": lam,
            "n_train": float(d.n_train.mean()),
        }
        at = d.in_grid.fillna(True).astype(bool) & np.isclose(d.alpha_grid, a) & np.isclose(d.lambda_grid, lam)
        row.update({f"rec_{k}": v for k, v in _per_dataset(_gains_at(d, at)).items()})
        row.update({f"chk_{k}": v for k, v in _per_dataset(_gains_at(d, validated(d, at))).items()})
        probst = d.get("point_label", pd.Series(None, index=d.index)) == (point or {}).get("label")
        if probst.any():
            row.update({f"probst_{k}": v for k, v in _per_dataset(_gains_at(d, probst)).items()})
        own = d.fit_id.isin(sel[(sel.engine == engine) & (sel.dataset == dataset)].selected_fit_id)
        row.update({f"own_{k}": v for k, v in _per_dataset(_gains_at(d, own)).items()})
        rows.append(row)
    if not rows:
        return pd.DataFrame(
            columns=[
                "engine",
                "dataset",
                "task",
                "alpha_rel",
                "lambda_rel",
                "n_train",
                "rec_rel_gain",
                "rec_clearly_worse",
                "rec_n_groups",
                "chk_rel_gain",
                "chk_clearly_worse",
                "chk_n_groups",
            ]
        )
    return pd.DataFrame(rows)


def lodo_summary(proof: pd.DataFrame, prefix: str = "rec") -> pd.DataFrame:
    """Per engine (and both engines: dataset x engine pairs), per task and both tasks (relative error only): wins
    (relative gain > 0), ties (the same fit as the default), mean relative gain with a t interval over
    datasets, the worst case, and how many datasets were clearly worse off (interval below 0)."""
    rows = []
    columns = [
        "engine",
        "task",
        "n_datasets",
        "wins",
        "ties",
        "win_rate",
        "mean_rel_gain",
        "rel_low",
        "rel_high",
        "worst_dataset",
        "worst_rel_gain",
        "clearly_worse",
        "clearly_better",
    ]
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
            row = {
                "engine": engine,
                "task": task,
                "n_datasets": len(sub),
                "wins": int((sub[f"{prefix}_rel_gain"] > 0).sum()),
                "ties": int((sub[f"{prefix}_rel_gain"] == 0).sum()),
                "win_rate": float((sub[f"{prefix}_rel_gain"] > 0).mean()),
                "mean_rel_gain": est.mean,
                "rel_low": est.ci_low,
                "rel_high": est.ci_high,
                "worst_dataset": worst.dataset,
                "worst_rel_gain": float(worst[f"{prefix}_rel_gain"]),
                "clearly_worse": int(sub[f"{prefix}_clearly_worse"].sum()),
                "clearly_better": int(sub[f"{prefix}_clearly_better"].sum()),
            }
            if task != "all":
                shared = pooled_t(sub[f"{prefix}_shared_gain"])
                row.update(
                    shared_metric=SHARED[task][1],
                    mean_shared_gain=shared.mean,
                    shared_low=shared.ci_low,
                    shared_high=shared.ci_high,
                )
            rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def optimum_positions(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and real dataset: where the validation-selected settings lie, in the data's units (each fold
    group's choice), and whether the grid's edge was hit."""
    sel = tables.selection_table(df[~df.synthetic])
    if sel.empty:
        return pd.DataFrame(
            columns=[
                "engine",
                "dataset",
                "task",
                "selected_alpha_grid",
                "selected_lambda_grid",
                "selected_in_grid",
                "at_grid_edge",
                "n_train",
            ]
        )
    sel = sel[sel.kind == "booster"]
    return sel[
        [
            "engine",
            "dataset",
            "task",
            "fold",
            "seed",
            "selected_alpha_grid",
            "selected_lambda_grid",
            "selected_in_grid",
            "at_grid_edge",
            "n_train",
        ]
    ]


def modal_settings(pos: pd.DataFrame) -> pd.DataFrame:
    """Per engine and dataset: the setting its fold groups selected most often (ties: the smaller reg_alpha, then
    reg_lambda; the library default counts as a setting off the grid), and whether it lies on the grid's edge."""
    rows = []
    for (engine, dataset), g in pos.groupby(["engine", "dataset"], sort=True):
        counts = (
            g.groupby(["selected_alpha_grid", "selected_lambda_grid", "selected_in_grid"], dropna=False)
            .at_grid_edge.agg(["size", "first"])
            .reset_index()
            .sort_values(
                ["size", "selected_alpha_grid", "selected_lambda_grid"], ascending=[False, True, True], kind="mergesort"
            )
        )
        top = counts.iloc[0]
        rows.append(
            {
                "engine": engine,
                "dataset": dataset,
                "alpha": float(top.selected_alpha_grid),
                "lambda": float(top.selected_lambda_grid),
                "in_grid": bool(top.selected_in_grid),
                "at_grid_edge": bool(top["first"]),
                "n_selected": int(top["size"]),
                "n_groups": len(g),
            }
        )
    return pd.DataFrame(
        rows, columns=["engine", "dataset", "alpha", "lambda", "in_grid", "at_grid_edge", "n_selected", "n_groups"]
    )


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
        q = {
            k: (float(per[k].quantile(lo, interpolation="lower")), float(per[k].quantile(hi, interpolation="higher")))
            for k in per
        }
        m = modal[modal.engine == engine]
        rows.append(
            {
                "engine": engine,
                "alpha_low": q["selected_alpha_grid"][0],
                "alpha_high": q["selected_alpha_grid"][1],
                "lambda_low": q["selected_lambda_grid"][0],
                "lambda_high": q["selected_lambda_grid"][1],
                "edge_share": float(g.at_grid_edge.mean()),
                "edge_pairs": int(m.at_grid_edge.sum()),
                "interior_share": float(1 - m.at_grid_edge.mean()) if len(m) else np.nan,
                "n_datasets": len(m),
                "n_groups": len(g),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "engine",
            "alpha_low",
            "alpha_high",
            "lambda_low",
            "lambda_high",
            "edge_share",
            "edge_pairs",
            "interior_share",
            "n_datasets",
            "n_groups",
        ],
    )


def tree_cap(df: pd.DataFrame) -> pd.DataFrame:
    """Per engine and in-grid reg_lambda (grid units): the share of fits whose early stopping never stopped them
    before the tree cap (n_estimators), and their mean trees. A strong L2 penalty slows each step, so there the grid
    measures reg_lambda together with the cap."""
    grid = df[df.in_grid.fillna(True).astype(bool) & ~df.synthetic]
    if "n_trees" not in grid or "params_json" not in grid or grid.empty:
        return pd.DataFrame(columns=["engine", "lambda_grid", "fits", "at_cap_share", "mean_trees"])
    cap = grid.params_json.map(lambda p: json.loads(p).get("n_estimators", np.nan) if isinstance(p, str) else np.nan)
    grid = grid.assign(at_cap=grid.n_trees >= cap)
    return grid.groupby(["engine", "lambda_grid"], as_index=False).agg(
        fits=("at_cap", "size"), at_cap_share=("at_cap", "mean"), mean_trees=("n_trees", "mean")
    )


def recorded_units(df: pd.DataFrame) -> pd.DataFrame:
    """The data's units as the records measured them (:func:`boostreg.units.data_units` measures them on a user's
    table). Per engine and dataset: α_max and H̄ of the unpenalized first tree (mean over folds), rows trained on,
    and α_max / H̄ (the largest |mean gradient| of a first-tree leaf): what turns relative advice into raw values."""
    unpen = df[(df.reg_alpha == 0) & (df.reg_lambda == 0) & ~df.synthetic]
    out = unpen.groupby(["engine", "dataset", "task"], as_index=False).agg(
        n_train=("n_train", "mean"),
        alpha_max=("first_tree_grad_abs_max", "mean"),
        h_bar=("first_tree_hess_mean", "mean"),
        leaves=("n_leaves_mean", "mean"),
    )
    return out.assign(alpha_per_h=out.alpha_max / out.h_bar)
