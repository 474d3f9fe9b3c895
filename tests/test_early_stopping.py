"""Early stopping on a validation split carved from the training fold: the split, where training stops, and
what the record says about it."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from test_engines import _fold, _params

from boostreg import measure
from boostreg.engines import ENGINES
from boostreg.errors import BoostregError
from boostreg.folds import fold_indices, validation_split
from boostreg.run import run_study
from boostreg.study import DatasetSpec, Study, study_from_dict

ENGINE_NAMES = ["xgboost", "lightgbm"]


def test_validation_split_partitions_the_training_rows_and_keeps_class_shares():
    rng = np.random.default_rng(3)
    y = (rng.random(1000) < 0.2).astype(float)
    train, test = fold_indices(y, "binary", 5, seed=0)[1]
    fit, valid = validation_split(train, y, "binary", 0.25, seed=0)
    assert len(valid) == 200 and len(fit) == 600  # 25% of the 800 training rows
    assert set(fit) | set(valid) == set(train) and not set(fit) & set(valid)
    assert not set(valid) & set(test)
    assert abs(y[valid].mean() - y[train].mean()) < 0.01  # stratified: same share of positives
    again = validation_split(train, y, "binary", 0.25, seed=0)
    assert np.array_equal(again[1], valid)
    assert not np.array_equal(validation_split(train, y, "binary", 0.25, seed=1)[1], valid)


def _with_valid(fold, share=0.3):
    n = len(fold.y_train)
    cut = int(n * (1 - share))
    return dataclasses.replace(
        fold,
        X_train=fold.X_train.iloc[:cut],
        y_train=fold.y_train[:cut],
        X_valid=fold.X_train.iloc[cut:],
        y_valid=fold.y_train[cut:],
    )


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_training_stops_at_the_best_validation_round(engine, task):
    e = ENGINES[engine]
    fold = _with_valid(_fold(task, n=800, seed=1))
    patience = 10
    params = _params(n_estimators=400, learning_rate=0.5, max_depth=6, num_leaves=63, early_stopping_rounds=patience)
    prepared = e.prepare(fold, params, threads=1)
    model = e.fit(prepared, params, seed=0, threads=1)
    record, curves = e.measure(model, prepared, params, fold)
    kept = int(record["n_trees"])
    assert kept < 400 and len(curves) == kept

    # The same fit without early stopping, once with the validation rows as its test rows: its validation error
    # per round, computed here from its leaves.
    full_params = {**params, "early_stopping_rounds": 0}
    on_valid = dataclasses.replace(fold, X_test=fold.X_valid, y_test=fold.y_valid, X_valid=None, y_valid=None)
    prep_v = e.prepare(on_valid, full_params, threads=1)
    ens = e.ensemble(e.fit(prep_v, full_params, seed=0, threads=1), prep_v, on_valid, full_params)
    valid_curve = measure.primary_error(fold.y_valid, measure.margins_before_each_tree(ens, "test")[:, 1:], task)
    best = int(np.argmin(valid_curve[: kept + patience]))  # stopping saw rounds up to kept + patience
    assert kept == best + 1
    assert np.all(valid_curve[kept : kept + patience] >= valid_curve[best] - 1e-6)
    assert record["valid_error"] == pytest.approx(valid_curve[best], rel=1e-5)
    # The kept model is the full model's first `kept` trees: its test error is the full curve's at that round.
    full = e.fit(prepared, full_params, seed=0, threads=1)
    test_curve = measure.primary_error(
        fold.y_test,
        measure.margins_before_each_tree(e.ensemble(full, prepared, fold, full_params), "test")[:, 1:],
        task,
    )
    assert record["test_error"] == pytest.approx(test_curve[kept - 1], rel=1e-5)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-4


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_without_a_validation_split_every_tree_is_grown(engine):
    e = ENGINES[engine]
    fold = _fold("regression")
    params = _params(n_estimators=25, early_stopping_rounds=5)  # no X_valid: nothing to stop on
    prepared = e.prepare(fold, params, threads=1)
    record, _ = e.measure(e.fit(prepared, params, seed=0, threads=1), prepared, params, fold)
    assert record["n_trees"] == 25 and np.isnan(record["valid_error"])


def test_study_with_early_stopping_records_the_split(tmp_path):
    study = Study(
        name="es",
        datasets=[DatasetSpec(name="breast_cancer")],
        engines=["xgboost", "lightgbm", "logistic_l2"],
        grid={"reg_alpha": [0.0, 1.0], "reg_lambda": [1.0]},
        folds=3,
        params={"n_estimators": 300, "learning_rate": 0.3, "early_stopping_rounds": 10, "validation_fraction": 0.25},
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    fits = pd.read_parquet(tmp_path / "out" / "fits")
    boosters = fits[fits.engine != "logistic_l2"]
    assert (fits.status == "ok").all()
    # 569 rows, 3 folds: 379 or 380 training rows, a quarter of them (95) held out for early stopping
    assert set(boosters.n_valid) == {95} and set(boosters.n_train + boosters.n_valid) == {379, 380}
    assert (boosters.n_trees < 300).all() and boosters.valid_error.notna().all()
    # the baselines train on the same rows and are selected on the same validation rows as the boosters
    per_fold = fits.groupby("fold").agg(n_train=("n_train", "nunique"), n_valid=("n_valid", "nunique"))
    assert (per_fold == 1).all().all() and (fits[fits.engine == "logistic_l2"].n_valid == 95).all()
    # the test folds are those of a study without early stopping
    digests = boosters.groupby("fold").fold_digest.unique()
    assert all(len(d) == 1 for d in digests)
    assert set(fits.fold_digest) == set(fits[fits.engine == "logistic_l2"].fold_digest)


def test_validation_fraction_is_checked():
    doc = {
        "study": {"name": "x"},
        "datasets": [{"name": "diabetes"}],
        "params": {"early_stopping_rounds": 10, "validation_fraction": 0.9},
    }
    with pytest.raises(BoostregError, match=r"validation_fraction = 0.9 .* must be in \(0, 0.5\]"):
        study_from_dict(doc)
