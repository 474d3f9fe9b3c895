"""What keeps a sweep's cost flat as tables grow (issue 30): the theory check's budget of training rows x trees a fit,
the cleaned datasets handed to workers as a file of the run's own, and the loaders that hold a table once."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_friedman1

import boostreg.plan as plan
from boostreg import DatasetSpec, Study, load_study, run_study
from boostreg.data.features import _levels
from boostreg.data.files import _read_parquet
from boostreg.loading import _DATASETS, cached_dataset, load_dataset, save_for_workers

ROWS, TREES, BUDGET = 1_000, 30, 5_000  # 500 training rows a fold: the budget checks the first 10 of 30 trees


def _frame(task: str) -> pd.DataFrame:
    if task == "regression":
        X, y = make_friedman1(n_samples=ROWS, n_features=8, random_state=0)
    else:
        X, y = make_classification(n_samples=ROWS, n_features=8, random_state=0)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(8)]).assign(y=y)


def _study(task: str, **kw) -> Study:
    return Study(
        name="budget",
        datasets=[DatasetSpec(frame=_frame(task), target="y", task=task, name=task)],
        engines=["xgboost", "lightgbm"],
        grid={"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0, 1.0]},
        params={"n_estimators": TREES, "validation_fraction": 0.2},
        folds=2,
        **kw,
    )


@pytest.fixture(scope="module", params=["regression", "binary"])
def bounded_and_whole(request, tmp_path_factory):
    """The same study with the default budget (every tree checked at this size) and with a budget of 5,000."""
    tmp = tmp_path_factory.mktemp(request.param)
    whole = run_study(_study(request.param), tmp / "whole", jobs=1, progress=False)
    saved = plan.CHECK_ROW_TREES
    plan.CHECK_ROW_TREES = BUDGET
    try:
        bounded = run_study(_study(request.param), tmp / "bounded", jobs=1, progress=False)
        every = run_study(_study(request.param, check="all"), tmp / "all", jobs=1, progress=False)
    finally:
        plan.CHECK_ROW_TREES = saved
    return request.param, whole, bounded, every


def test_a_bounded_check_recomputes_the_first_trees_and_says_so(bounded_and_whole):
    task, whole, bounded, _ = bounded_and_whole
    fits = bounded.fits.set_index("fit_id")
    n_train = int(fits.n_train.iloc[0])
    rounds = BUDGET // n_train
    assert n_train == 400 and rounds == 12  # 500 training rows less the 20% validation split
    checked = fits[fits.theory_check.str.startswith("ok")]
    assert len(checked) >= 8  # fold 0's fits (their leaves are stored) and the sample of fold 1
    expected = (
        f"ok: the first {rounds} of {TREES} trees (the check's budget, 5,000 training rows x trees a fit; "
        'check = "all" checks every tree)'
    )
    assert (checked.theory_check == expected).all()
    assert checked.theory_max_rel_err.max() < 1e-5  # the closed form holds on the trees it checked
    assert (whole.fits.theory_check.isin(["ok"]) | whole.fits.theory_check.str.startswith("not checked")).all()
    # the stored leaves are those of the checked trees
    leaves = bounded.leaves
    assert leaves.tree.max() == rounds - 1 and whole.leaves.tree.max() == TREES - 1
    same = whole.leaves[whole.leaves.tree < rounds].sort_values(["fit_id", "tree", "leaf"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(leaves.sort_values(["fit_id", "tree", "leaf"]).reset_index(drop=True), same)


def test_a_bounded_check_changes_no_other_number(bounded_and_whole):
    task, whole, bounded, _ = bounded_and_whole
    a, b = whole.fits.set_index("fit_id").sort_index(), bounded.fits.set_index("fit_id").sort_index()
    differ = [c for c in a.columns if not a[c].equals(b[c])]
    allowed = {"theory_check", "theory_max_rel_err", "theory_max_plain_rel_err", "theory_max_abs_err"}
    allowed |= {"fit_time_s", "measure_time_s"}
    # the training metrics of a bounded fit come from the engine's own final margins (as for a sampled-out fit):
    # the same numbers to float32 rounding of the margins
    train = {c for c in a.columns if c.startswith("train_")} | {"generalization_gap"}
    assert set(differ) <= allowed | train
    for c in train & set(differ):
        np.testing.assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), rtol=1e-6, atol=1e-9)
    # curves: test and validation identical; training identical over the checked rounds, NaN after them
    ca = whole.curves.sort_values(["fit_id", "round"]).reset_index(drop=True)
    cb = bounded.curves.sort_values(["fit_id", "round"]).reset_index(drop=True)
    for c in ("fit_id", "round", "test_error", "valid_error"):
        pd.testing.assert_series_equal(ca[c], cb[c])
    bounded_ids = b.index[b.theory_check.str.startswith("ok: the first")]
    rounds = BUDGET // int(b.n_train.iloc[0])
    mine = cb.fit_id.isin(bounded_ids)
    early = mine & (cb["round"] <= rounds)
    pd.testing.assert_series_equal(cb.train_error[early], ca.train_error[early])
    assert cb.train_error[mine & (cb["round"] > rounds)].isna().all()
    assert ca.train_error[mine].notna().all()


def test_check_all_checks_every_tree_whatever_the_budget(bounded_and_whole):
    _, whole, _, every = bounded_and_whole
    assert (every.fits.theory_check == "ok").all()
    assert every.leaves.tree.max() == TREES - 1


def test_a_bounded_check_can_fail(bounded_and_whole):
    """The flip test: the same bounded check on rows that are not the leaves' own (labels shuffled) is far off."""
    from boostreg import measure
    from boostreg.engines import ENGINES, Fold

    X, y = make_friedman1(n_samples=600, n_features=8, random_state=1)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    fold = Fold(X.iloc[:500], y[:500], X.iloc[500:], y[500:], "regression")
    engine = ENGINES["xgboost"]
    prepared = engine.prepare(fold, {}, threads=1)
    params = {"n_estimators": TREES, "learning_rate": 0.3, "reg_alpha": 0.5, "reg_lambda": 1.0, "max_depth": 3}
    model = engine.fit(prepared, params, seed=0, threads=1)
    ens = engine.ensemble(model, prepared, fold, params, test_leaf=False, train_trees=10)
    first = measure.first_trees(ens, 10)
    kw = {"reg_alpha": 0.5, "reg_lambda": 1.0, "learning_rate": 0.3}
    assert measure.theory_check(first, fold.y_train, "regression", **kw).max_rel_err < 1e-5
    shuffled = np.random.default_rng(0).permutation(fold.y_train)
    assert measure.theory_check(first, shuffled, "regression", **kw).max_rel_err > 1e-2


def test_the_default_study_is_checked_whole():
    """No fit of the default study reaches the budget, so its records are those of a check of every tree."""
    study = load_study(Path(__file__).parents[1] / "studies" / "quickstart.toml")
    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    groups = plan.make_plan(study, datasets)
    boosters = [g for g in groups if g.fits and "n_estimators" in g.fits[0].params]
    assert boosters
    for g in boosters:
        n_train = len(g.rows[0]) if g.rows is not None else len(datasets[g.dataset].y)
        assert n_train * g.fits[0].params["n_estimators"] <= plan.CHECK_ROW_TREES, g.dataset


def test_workers_read_the_runs_copy_of_a_dataset(tmp_path):
    spec = DatasetSpec(frame=_frame("binary"), target="y", task="binary", name="copy")
    ds = load_dataset(spec)
    path = save_for_workers(ds, tmp_path)
    assert Path(path).name == f"{ds.fingerprint}.pickle"
    _DATASETS.clear()
    read = cached_dataset(spec, path)
    pd.testing.assert_frame_equal(read.X, ds.X)
    np.testing.assert_array_equal(read.y, ds.y)
    assert (read.fingerprint, read.task) == (ds.fingerprint, ds.task)
    assert not _DATASETS  # read from the file, not kept: the worker holds the table only while it cuts a fold
    # where the file is not (a Dask worker on another machine), the worker loads the entry itself, once
    again = cached_dataset(spec, str(tmp_path / "elsewhere.pickle"))
    assert again.fingerprint == ds.fingerprint and len(_DATASETS) == 1
    _DATASETS.clear()


def test_a_run_leaves_no_copy_of_its_data_behind(tmp_path):
    def copies():
        return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("boostreg-data-")}

    before = copies()
    study = dataclasses.replace(_study("regression"), engines=["lightgbm"], params={"n_estimators": 5})
    result = run_study(study, tmp_path / "out", jobs=2, progress=False)
    assert result.n_run == 8 and (result.fits.status == "ok").all()
    assert copies() == before


def test_parquet_is_read_a_column_at_a_time_into_the_same_frame(tmp_path):
    frame = pd.DataFrame(
        {
            "f32": np.arange(6, dtype=np.float32) / 3,
            "i64": np.arange(6),
            "text": list("abcabc"),
            "cat": pd.Categorical(list("xyxyxy")),
            "missing": [1.0, None, 3.0, None, 5.0, 6.0],
        },
        index=pd.Index([10, 11, 12, 13, 14, 15], name="row"),
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    whole = pd.read_parquet(path).reset_index(drop=True).astype({"f32": np.float64})  # float32 comes as float64
    pd.testing.assert_frame_equal(_read_parquet(path), whole)
    frame.reset_index(drop=True).to_parquet(path)
    pd.testing.assert_frame_equal(_read_parquet(path), pd.read_parquet(path).astype({"f32": np.float64}))


@pytest.mark.parametrize(
    "values, levels",
    [([np.nan, np.nan], 0), ([2.0, 2.0, np.nan], 1), ([0.0, -0.0], 1), ([1.0, 2.0, 1.0], 2), ([3.0], 1)],
)
def test_levels_of_a_number_column(values, levels):
    s = pd.Series(values, dtype=np.float64)
    assert _levels(s) == levels == min(s.nunique(dropna=True), 2)
