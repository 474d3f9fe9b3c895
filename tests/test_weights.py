"""Sample weights: a weight of 2 on a row fits the same model as that row written twice (leaf for leaf, in XGBoost and
LightGBM, for every task), the loader's weight column, and ``--weight`` on the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import one_line_error, run_cli

from boostreg.data import load_frame
from boostreg.engines import ENGINES, Fold

N = 60
#: rows 0..11 weigh 2 (and are the rows written twice in the unweighted copy)
DOUBLED = np.arange(12)


def _table(task: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Three features of whole numbers 0..9, each value in exactly 6 of the 60 rows (fewer distinct values than
    max_bin, and at least LightGBM's min_data_in_bin of 3 rows each, so both engines make one bin per value from
    either table); labels multiples of 1/4 (regression) or class codes, so every sum of labels is exact."""
    i = np.arange(N)
    X = pd.DataFrame({"a": (i * 7) % 10, "b": (i * 3) % 10, "c": (i // 6) % 10}).astype(np.float64) + 1
    signal = X.a.to_numpy() - 0.5 * X.b.to_numpy() + 0.25 * ((i * 5) % 4)
    if task == "regression":
        y = np.round(signal * 4) / 4
    elif task == "binary":
        y = (signal + ((i * 11) % 5) - 2 > 2).astype(np.float64)
    else:
        y = np.digitize(signal + ((i * 11) % 5) - 2, [0.5, 3.5]).astype(np.float64)
    return X, y


#: penalties on, no row-count rule: XGBoost's min_child_weight and LightGBM's min_sum_hessian_in_leaf count weights
#: (hessians); LightGBM's min_data_in_leaf (min_child_samples) counts rows, estimated from a bin's hessian sum times
#: the node's rows per unit of hessian (so with weights a 1-row leaf can count as 0 rows): it is 0 here; no bagging
PARAMS = {
    "n_estimators": 6,
    "learning_rate": 0.3,
    "max_depth": 3,
    "reg_alpha": 0.5,
    "reg_lambda": 2.0,
    "min_child_weight": 1e-3,
}
ENGINE_PARAMS = {"xgboost": {}, "lightgbm": {"num_leaves": 8, "min_child_samples": 0}}


def _fit(engine_name: str, task: str, X: pd.DataFrame, y: np.ndarray, w: np.ndarray | None):
    engine = ENGINES[engine_name]
    k = 3 if task == "multiclass" else None
    fold = Fold(X, y, X.iloc[:10], y[:10], task, n_classes=k, w_train=w, w_test=None if w is None else w[:10])
    params = {**PARAMS, **ENGINE_PARAMS[engine_name]}
    prepared = engine.prepare(fold, params, threads=1)
    model = engine.fit(prepared, params, seed=0, threads=1)
    return model, engine.ensemble(model, prepared, fold, params, test_leaf=False)


def _without_counts(node):
    """A LightGBM dumped tree without its row counts (leaf_count, internal_count): the one thing a weight of 2 and
    a duplicated row tell apart. Its hessian sums (leaf_weight, internal_weight) stay."""
    if isinstance(node, dict):
        return {k: _without_counts(v) for k, v in node.items() if k not in ("leaf_count", "internal_count")}
    if isinstance(node, list):
        return [_without_counts(v) for v in node]
    return node


def _trees(engine_name: str, model) -> list:
    if engine_name == "xgboost":  # XGBoost's JSON trees hold hessian sums, no row counts
        return json.loads(model.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    return _without_counts(model.dump_model()["tree_info"])


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("engine_name", ["xgboost", "lightgbm"])
def test_weight_two_is_the_row_written_twice(engine_name, task):
    """A row of weight 2 adds 2g and 2h to every gradient and hessian sum it enters, which is what the same row twice
    adds (g + g, h + h). The equality is exact, not approximate, because: 2g is exact in floating point; the
    engines sum float32 gradients into float64 histograms, where these few sums are exact in any order; the
    labels' weighted mean (the initial score) is the same quotient of the same exact sums (total weight 72 either
    way); the features' few distinct values give one bin per value from either table (so the split candidates are
    the same); and no rule counts rows (min_child_weight / min_sum_hessian_in_leaf count hessians, LightGBM's
    min_data_in_leaf is 0, no bagging or column sampling). So every split, gain and leaf value is the same float;
    only LightGBM's row counts (leaf_count, internal_count) differ, and the comparison of dumped trees leaves them
    out."""
    if task not in ENGINES[engine_name].tasks:
        pytest.skip(f"{engine_name} has no {task} task here yet")
    X, y = _table(task)
    w = np.ones(N)
    w[DOUBLED] = 2.0
    weighted, ens_w = _fit(engine_name, task, X, y, w)
    twice = np.r_[np.arange(N), DOUBLED]
    duplicated, ens_d = _fit(engine_name, task, X.iloc[twice].reset_index(drop=True), y[twice], None)
    assert (
        len(ens_w.leaf_values) == len(ens_d.leaf_values) == PARAMS["n_estimators"] * (3 if task == "multiclass" else 1)
    )
    assert sum(int(leaf.sum()) for leaf in ens_w.is_leaf) > len(ens_w.is_leaf)  # the trees split
    for t, (a, b) in enumerate(zip(ens_w.leaf_values, ens_d.leaf_values, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"tree {t}")
        np.testing.assert_array_equal(ens_w.is_leaf[t], ens_d.is_leaf[t])
        np.testing.assert_array_equal(ens_w.split_features[t], ens_d.split_features[t])
    np.testing.assert_array_equal(np.asarray(ens_w.base_margin), np.asarray(ens_d.base_margin))
    assert _trees(engine_name, weighted) == _trees(engine_name, duplicated)
    # and the weights matter: the same rows unweighted give another model
    _, plain = _fit(engine_name, task, X, y, None)
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(plain.leaf_values, ens_w.leaf_values))


# ------------------------------------------------------------------------------------------ the loader


def test_weight_column_leaves_the_features_and_keeps_rows_aligned():
    X, y = _table("regression")
    frame = X.assign(y=y, w=np.arange(N) % 4 + 0.5)
    ds = load_frame(frame, "y", name="t", weight="w")
    assert list(ds.X.columns) == ["a", "b", "c"] and ds.weight.dtype == np.float64
    np.testing.assert_array_equal(ds.weight, np.arange(N) % 4 + 0.5)
    plain = load_frame(frame.drop(columns="w"), "y", name="t")
    assert plain.weight is None and plain.fingerprint != ds.fingerprint
    assert load_frame(frame, "y", name="t").fingerprint != plain.fingerprint  # w as a feature: another table
    # a subsample keeps each row's weight: the weight is a function of the row's features here
    frame = X.assign(y=y, w=X.a * 10 + X.b + 1)
    sub = load_frame(frame, "y", name="t", weight="w", max_rows=25)
    assert sub.n_rows == 25
    np.testing.assert_array_equal(sub.weight, sub.X.a.to_numpy() * 10 + sub.X.b.to_numpy() + 1)


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        (lambda n: np.where(np.arange(n) == 4, -1.0, 1.0), ("'w'", "1 negative value(s)", "row 5: -1", ">= 0")),
        (lambda n: np.where(np.arange(n) == 2, np.nan, 1.0), ("'w'", "1 missing value(s)", "row 3")),
        (lambda n: np.where(np.arange(n) == 0, np.inf, 1.0), ("'w'", "1 infinite value(s)")),
        (lambda n: np.zeros(n), ("'w'", "0 in every row")),
        (lambda n: np.array(["heavy", "light"])[np.arange(n) % 2], ("'w'", "not numeric", "'heavy'")),
    ],
)
def test_bad_weights_are_one_line(weights, words):
    X, y = _table("regression")
    frame = X.assign(y=y, w=weights(N))
    one_line_error(lambda: load_frame(frame, "y", name="t", weight="w"), *words)


def test_weight_column_must_exist_and_differ_from_target_and_groups():
    X, y = _table("regression")
    frame = X.assign(y=y, w=1.0, g=np.arange(N) % 5)
    one_line_error(lambda: load_frame(frame, "y", name="t", weight="wt"), "'wt' not found", "did you mean 'w'")
    one_line_error(lambda: load_frame(frame, "y", name="t", weight="y"), "is the target")
    one_line_error(lambda: load_frame(frame, "y", name="t", weight="g", groups="g"), "is the groups column")
    one_line_error(lambda: load_frame(frame, "y", name="t", groups="gg"), "groups column 'gg' not found")


def test_study_file_weight_entry(tmp_path):
    from boostreg.loading import load_dataset
    from boostreg.study import load_study

    X, y = _table("regression")
    X.assign(y=y, w=np.arange(N) % 3 + 1.0).to_csv(tmp_path / "f.csv", index=False)
    (tmp_path / "s.toml").write_text(
        '[study]\nname = "s"\n[[datasets]]\nfile = "f.csv"\ntarget = "y"\nweight = "w"\n', encoding="utf-8"
    )
    spec = load_study(tmp_path / "s.toml").datasets[0]
    assert spec.weight == "w" and spec.to_dict()["weight"] == "w"
    ds = load_dataset(spec)
    np.testing.assert_array_equal(ds.weight, np.arange(N) % 3 + 1.0)
    assert "w" not in ds.X.columns


def test_fold_whose_rows_all_weigh_zero_is_refused():
    from boostreg.folds import split_folds

    X, y = _table("regression")
    w = np.zeros(N)
    w[:3] = 1.0  # 3 weighted rows: some 5-fold test fold holds none of them
    ds = load_frame(X.assign(y=y, w=w), "y", name="t", weight="w")
    one_line_error(lambda: split_folds(ds, 5, 0), "weighs 0", "fold")
    assert len(split_folds(load_frame(X.assign(y=y, w=w + 1), "y", name="t", weight="w"), 5, 0)) == 5


def test_prepare_group_aligns_weights_with_the_fold_rows(tmp_path):
    from boostreg.fit import prepare_group
    from boostreg.loading import load_dataset
    from boostreg.plan import make_plan
    from boostreg.study import DatasetSpec, Study

    X, y = _table("regression")
    frame = X.assign(y=y, w=np.arange(N) + 1.0)
    spec = DatasetSpec(name="t", frame=frame, target="y", weight="w")
    study = Study(
        name="w", datasets=[spec], engines=["xgboost"], folds=2, seeds=[0], params={"validation_fraction": 0.25}
    )
    datasets = {"t": load_dataset(spec)}
    group = make_plan(study, datasets)[0]
    ready = prepare_group(group, ENGINES["xgboost"], 1)
    fold = ready.fold
    for rows_X, w in ((fold.X_train, fold.w_train), (fold.X_test, fold.w_test), (fold.X_valid, fold.w_valid)):
        np.testing.assert_array_equal(w, rows_X.index.to_numpy() + 1.0)  # row i weighs i + 1
    assert fold.n_classes is None and len(fold.w_train) + len(fold.w_valid) + len(fold.w_test) == N


@pytest.mark.parametrize("engine_name", ["xgboost", "lightgbm"])
def test_records_hold_the_weighted_test_error(engine_name):
    """A fit's record (fit.run_fits, as a worker runs it) holds the test RMSE weighted by the test rows' weights:
    sqrt(sum w (y - m)^2 / sum w), recomputed here from the same model's test margins, and not the plain RMSE."""
    from boostreg.fit import prepare_group, run_fits
    from boostreg.loading import load_dataset
    from boostreg.plan import make_plan
    from boostreg.study import DatasetSpec, Study

    X, y = _table("regression")
    frame = X.assign(y=y, w=np.where(np.arange(N) % 3 == 0, 9.0, 1.0))
    spec = DatasetSpec(name="t", frame=frame, target="y", weight="w")
    study = Study(
        name="w",
        datasets=[spec],
        engines=[engine_name],
        folds=2,
        seeds=[0],
        grid={"reg_alpha": [0.0], "reg_lambda": [1.0]},
        params={"n_estimators": 5, "learning_rate": 0.3},
    )
    group = make_plan(study, {"t": load_dataset(spec)})[0]
    record = run_fits(group, [group.fits[0].fit_id], None, 1)[0][0]
    assert record["status"] == "ok", record.get("error")
    engine = ENGINES[engine_name]
    ready = prepare_group(group, engine, 1)
    params = {**group.fits[0].params}
    model = engine.fit(ready.prepared, params, seed=group.seed, threads=1)
    m = engine.predict_margin(model, ready.prepared, ready.fold)
    w, yt = ready.fold.w_test, ready.fold.y_test
    assert set(w) == {1.0, 9.0}
    weighted = float(np.sqrt(np.sum(w * (yt - m) ** 2) / np.sum(w)))
    plain = float(np.sqrt(np.mean((yt - m) ** 2)))
    assert abs(weighted - plain) > 1e-3 * plain  # the weights change the number
    assert record["test_rmse"] == pytest.approx(weighted, rel=1e-5)
    assert record["test_error"] == pytest.approx(weighted, rel=1e-5)


# ------------------------------------------------------------------------------------------ command line


def _weighted_csv(folder) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = 2 * frame.x1 + rng.normal(size=n)
    frame["w"] = np.where(np.arange(n) % 3 == 0, 5.0, 1.0)
    frame.to_csv(folder / "f.csv", index=False)
    return frame, "f.csv"


def _wide() -> dict:
    import os

    return {**os.environ, "COLUMNS": "200"}


@pytest.mark.slow
def test_cli_run_and_recommend_take_weight(tmp_path):
    import boostreg

    frame, csv = _weighted_csv(tmp_path)
    proc = run_cli(
        ["run", "--data", csv, "--target", "y", "--weight", "w", "--out", "out", "-q", "--no-report"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    fits = boostreg.open_run(tmp_path / "out").fits
    assert len(fits) and (fits.status == "ok").all() and fits.n_features.eq(2).all()  # w left the features
    # the records' test errors are weighted (test_records_hold_the_weighted_test_error recomputes one by hand); the
    # same file without --weight is another dataset, with w as a feature
    plain = run_cli(["run", "--data", csv, "--target", "y", "--out", "plain", "-q", "--no-report"], tmp_path)
    assert plain.returncode == 0, plain.stderr
    unweighted = boostreg.open_run(tmp_path / "plain").fits
    assert unweighted.n_features.eq(3).all()  # without --weight, w is a feature
    proc = run_cli(["recommend", "--data", csv, "--target", "y", "--weight", "w", "--format", "json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)
    proc = run_cli(["recommend", "--data", csv, "--target", "y", "--weight", "w"], tmp_path, env=_wide())
    assert proc.returncode == 0, proc.stderr
    assert "(regression, 120 rows, weighted by 'w')" in proc.stdout
    proc = run_cli(["recommend", "--data", csv, "--target", "y", "--weight", "nope"], tmp_path)
    assert proc.returncode == 2 and "weight column 'nope' not found" in proc.stderr


def test_cli_weight_needs_data(tmp_path):
    proc = run_cli(["run", "--weight", "w", "--dry-run"], tmp_path)
    assert proc.returncode == 2 and "--weight and --features go with --data FILE" in proc.stderr
