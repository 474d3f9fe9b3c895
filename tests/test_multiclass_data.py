"""Multiclass targets on the data side: which targets are classes (and which are refused until the user says), the
class codes and names, stratified folds, validation splits and subsamples that keep every class, the one-line
answer for a class too small for the folds, and the wine and digits cards."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import one_line_error, run_cli

from boostreg.data import load_builtin, load_frame
from boostreg.folds import fold_indices, outer_split, split_folds, validation_split
from boostreg.study import DatasetSpec, Study


def _frame(y, n: int | None = None) -> pd.DataFrame:
    n = len(y) if n is None else n
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": y})


def _load(y, **kw):
    return load_frame(_frame(y), "y", name="t", **kw)


# ------------------------------------------------------------------------------------------ what is a class


def test_text_target_with_three_values_is_multiclass_with_codes_in_name_order():
    y = np.array(["pear", "apple", "fig", "apple", "pear", "fig"] * 5)
    ds = _load(y)
    assert ds.task == "multiclass" and ds.task_inferred and ds.classes == ("apple", "fig", "pear")
    assert ds.n_classes == 3 and ds.y.dtype == np.float64
    np.testing.assert_array_equal(ds.y[:6], [2.0, 0.0, 1.0, 0.0, 2.0, 1.0])
    np.testing.assert_array_equal(np.asarray(ds.classes)[ds.y.astype(int)], y)  # codes -> names: the labels back


def test_two_values_stay_binary_and_whole_numbers_with_few_values_are_not_guessed():
    assert _load(np.arange(40) % 2).task == "binary"  # 0/1
    assert _load(np.array(["no", "yes"])[np.arange(40) % 2]).task == "binary"
    message = one_line_error(
        lambda: _load(np.arange(40) % 4),
        "4 whole-number values (0..3)",
        "--task multiclass (class codes)",
        "--task regression (numbers)",
        'task = "multiclass"',
        'task = "regression" in the study',
    )
    assert "not supported" not in message
    assert _load((np.arange(40) % 21).astype(float)).task == "regression"  # 21 values: a quantity
    assert _load(np.arange(40) % 4, task="regression").task == "regression"


def test_integer_codes_with_task_multiclass():
    ds = _load(np.array([5, 3, 9, 3, 5, 9] * 5), task="multiclass")  # codes sorted numerically: 3, 5, 9
    assert ds.task == "multiclass" and not ds.task_inferred and ds.classes == ("3", "5", "9")
    np.testing.assert_array_equal(ds.y[:6], [1.0, 0.0, 2.0, 0.0, 1.0, 2.0])
    ten = _load(np.arange(60) % 11, task="multiclass")  # 10 sorts after 9, not after 1
    assert ten.classes == tuple(str(i) for i in range(11)) and ten.y[10] == 10.0


def test_multiclass_refusals_are_one_line():
    one_line_error(lambda: _load(np.arange(40) % 2, task="multiclass"), "2 distinct values", "--task binary")
    one_line_error(lambda: _load(np.arange(400) % 101, task="multiclass"), "101 distinct values", "100")
    one_line_error(lambda: _load(np.array(list("abc"))[np.arange(30) % 3], task="binary"), "--task multiclass")
    one_line_error(
        lambda: _load(np.array(list("abc"))[np.arange(30) % 3], task="regression"), "holds text", "--task multiclass"
    )


def test_fingerprint_of_a_multiclass_dataset_is_its_own():
    codes = np.arange(60) % 3
    multi = _load(codes, task="multiclass")
    assert multi.fingerprint == _load(codes, task="multiclass").fingerprint
    assert multi.fingerprint != _load(codes, task="regression").fingerprint


# ------------------------------------------------------------------------------------------ folds and splits


def test_stratified_folds_keep_every_class_in_every_fold():
    # 3 classes of 30, 12 and 6 rows: every fold of 3 holds 10 / 4 / 2 of them, as stratification gives
    y = np.repeat([0.0, 1.0, 2.0], [30, 12, 6])
    folds = fold_indices(y, "multiclass", 3, seed=0, classes=("a", "b", "c"))
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(48))
    for train, test in folds:
        assert np.bincount(y[test].astype(int)).tolist() == [10, 4, 2]
        assert np.bincount(y[train].astype(int)).tolist() == [20, 8, 4]
    ds = _load(np.array(list("abc"))[np.repeat([0, 1, 2], [30, 12, 6])])
    assert outer_split(ds, Study(name="s", datasets=[DatasetSpec(name="diabetes")], folds=3)).startswith(
        "StratifiedKFold(3"
    )
    for train, test in split_folds(ds, 3, 1):
        assert set(ds.y[train]) == set(ds.y[test]) == {0.0, 1.0, 2.0}


def test_validation_split_is_stratified():
    y = np.repeat([0.0, 1.0, 2.0], [40, 20, 10])
    fit, valid = validation_split(np.arange(70), y, "multiclass", 0.2, seed=0)
    assert np.bincount(y[valid].astype(int)).tolist() == [8, 4, 2]
    assert np.bincount(y[fit].astype(int)).tolist() == [32, 16, 8]


def test_class_smaller_than_the_folds_is_named():
    y = np.array(["a"] * 20 + ["b"] * 20 + ["rare"] * 2)
    ds = _load(y)
    one_line_error(
        lambda: split_folds(ds, 3, 0), "folds = 3", "class 'rare'", "only 2 rows", "use folds <= 2", "merge it"
    )
    assert len(split_folds(ds, 2, 0)) == 2
    lone = _load(np.array(["a"] * 20 + ["b"] * 20 + ["once"]))
    one_line_error(lambda: split_folds(lone, 2, 0), "class 'once'", "only 1 row(s)", "at least 2 rows")
    # the validation split needs 2 rows of each class in the training fold: 'rare' has 1 there with 2 folds
    train = split_folds(ds, 2, 0)[0][0]
    one_line_error(
        lambda: validation_split(train, ds.y, ds.task, 0.2, 0, where="fold 0", classes=ds.classes),
        "from fold 0",
        "1 row(s) of class 'rare'",
    )


def test_too_few_validation_rows_for_the_classes():
    y = np.tile(np.arange(10.0), 3)  # 10 classes of 3 rows: 20% of 30 is 6 validation rows, fewer than 10 classes
    one_line_error(lambda: validation_split(np.arange(30), y, "multiclass", 0.2, 0), "6 would be validation rows")


def test_subsample_is_stratified():
    y = np.array(list("abc"))[np.repeat([0, 1, 2], [300, 150, 60])]
    ds = _load(y, max_rows=51)
    assert ds.n_rows == 51 and np.bincount(ds.y.astype(int)).tolist() == [30, 15, 6]


def test_class_too_small_is_refused_before_the_run_folder(tmp_path):
    frame = _frame(np.array(["a"] * 20 + ["b"] * 20 + ["rare"] * 2))
    frame.to_csv(tmp_path / "f.csv", index=False)
    proc = run_cli(["run", "--data", "f.csv", "--target", "y", "--out", "out"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "class 'rare'" in lines[0] and "folds" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ the cards


@pytest.mark.parametrize(
    ("name", "shape", "classes", "counts"),
    [
        ("wine", (178, 13), ("class_0", "class_1", "class_2"), [59, 71, 48]),
        ("digits", (1797, 61), tuple(str(d) for d in range(10)), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    ],
)
def test_multiclass_cards_load(name, shape, classes, counts):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ds = load_builtin(name)
    assert ds.task == "multiclass" and ds.X.shape == shape and ds.classes == classes
    assert np.bincount(ds.y.astype(int)).tolist() == counts
    assert not ds.categorical and ds.weight is None


def test_group_folds_are_stratified_and_refuse_a_training_fold_without_a_class():
    n = 60
    kinds = np.array(list("abc"))[np.arange(n) % 3]
    frame = _frame(kinds).assign(g=np.arange(n) % 12)  # every group holds every class
    ds = load_frame(frame, "y", name="t", groups="g")
    study = Study(name="s", datasets=[DatasetSpec(name="diabetes")], folds=3)
    assert outer_split(ds, study).startswith("StratifiedGroupKFold(3)")
    for train, test in split_folds(ds, 3, 0):
        assert set(ds.y[train]) == {0.0, 1.0, 2.0} and not set(ds.groups[train]) & set(ds.groups[test])
    # class 'c' only in group 0: the fold that tests group 0 trains without 'c'
    kinds = np.where(np.arange(n) < 5, "c", np.array(["a", "b"])[np.arange(n) % 2])
    ds = load_frame(
        _frame(kinds).assign(g=np.where(np.arange(n) < 5, 0, 1 + np.arange(n) % 6)), "y", name="t", groups="g"
    )
    one_line_error(lambda: split_folds(ds, 2, 0), "keeping its groups whole", "no row of class 'c'")
