"""End-to-end small studies: records, sparsity and shrinkage signals, resume, executors agree."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.store import ParquetStore, fit_schema

REQUIRED = [
    "study",
    "dataset",
    "engine",
    "fold",
    "seed",
    "reg_alpha",
    "reg_lambda",
    "fit_id",
    "status",
    "primary_metric",
    "train_error",
    "test_error",
    "n_trees",
    "n_leaves_mean",
    "n_leaves_max",
    "depth_mean",
    "n_features_used",
    "leaf_abs_mean",
    "zero_leaf_frac",
    "shrinkage_vs_unpenalized",
    "theory_max_rel_err",
    "fit_time_s",
    "measure_time_s",
    "n_noise_features_used",
    "test_r2",
    "test_auc",
    "test_accuracy",
]


def small_study(name="small", grid=None, seeds=(0,)):
    return Study(
        name=name,
        datasets=[DatasetSpec(name="sparse_linear", params={"n_samples": 400}), DatasetSpec(name="breast_cancer")],
        grid=grid or {"reg_alpha": [0, 1, 10, 100], "reg_lambda": [0, 1]},
        params={"n_estimators": 20, "learning_rate": 0.3},
        engine_params={"xgboost": {"max_depth": 3}, "lightgbm": {"num_leaves": 8}},
        folds=2,
        seeds=list(seeds),
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    return run_study(small_study(), out, jobs=1, progress=False)


def test_one_record_per_fit_with_the_promised_columns(result):
    fits = pd.read_parquet(result.out / "fits")
    assert len(fits) == result.n_planned == 2 * 2 * 2 * 8
    assert set(REQUIRED) <= set(fits.columns)
    assert (fits.status == "ok").all()
    assert fits.fit_id.is_unique
    assert set(fits.primary_metric) == {"rmse", "logloss"}


def test_theory_check_holds_on_every_fit(result):
    assert result.fits.theory_max_rel_err.max() <= 1e-4


def test_zero_leaves_rise_with_alpha_and_vanish_without_it(result):
    fits = result.fits
    sparse = fits[fits.dataset == "sparse_linear"]
    assert (sparse[sparse.reg_alpha == 0].zero_leaf_frac == 0).all()
    for (engine, lam), df in sparse.groupby(["engine", "reg_lambda"]):
        by_alpha = df.groupby("reg_alpha").zero_leaf_frac.mean()
        assert by_alpha.is_monotonic_increasing, (engine, lam, by_alpha)
        assert by_alpha.iloc[-1] > 0.3


def test_shrinkage_is_measured_against_the_unpenalized_fit_of_the_same_fold(result):
    fits = result.fits
    ref = fits[(fits.reg_alpha == 0) & (fits.reg_lambda == 0)].set_index("group_id").leaf_abs_mean
    expected = 1 - fits.leaf_abs_mean / fits.group_id.map(ref)
    np.testing.assert_allclose(fits.shrinkage_vs_unpenalized, expected, rtol=1e-12)
    assert (fits[(fits.reg_alpha == 0) & (fits.reg_lambda == 0)].shrinkage_vs_unpenalized == 0).all()
    assert (fits[fits.reg_lambda == 1].shrinkage_vs_unpenalized > 0).all()


def test_noise_features_only_for_synthetic_data(result):
    fits = result.fits
    assert fits[fits.dataset == "sparse_linear"].n_noise_features_used.notna().all()
    assert fits[fits.dataset == "breast_cancer"].n_noise_features_used.isna().all()


def test_curves_hold_every_round_of_every_fit(result):
    curves = pd.read_parquet(result.out / "curves")
    fits = result.fits
    assert len(curves) == fits.n_trees.sum()
    last = curves.sort_values("round").groupby("fit_id").last()
    np.testing.assert_allclose(last.test_error, fits.set_index("fit_id").loc[last.index].test_error)


def test_rerun_skips_everything_stored(result):
    again = run_study(small_study(), result.out, jobs=1, progress=False)
    assert again.n_run == 0 and again.n_skipped == result.n_planned


def test_resume_after_losing_fits_restores_the_same_records(result, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(result.out, out)
    lost = set(sorted(result.fits.fit_id)[::3])  # lose a third of the fits, references included
    ParquetStore(out).remove(lost)
    assert len(ParquetStore(out).fits()) == len(result.fits) - len(lost)
    again = run_study(small_study(), out, jobs=1, progress=False)
    assert again.n_run == len(lost)
    cols = ["fit_id", "test_error", "leaf_abs_mean", "zero_leaf_frac", "shrinkage_vs_unpenalized"]
    a = result.fits[cols].sort_values("fit_id").reset_index(drop=True)
    b = again.fits[cols].sort_values("fit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow  # worker pools
def test_process_pool_gives_the_same_records(result, tmp_path):
    """Bit for bit: every measured column of every fit, whether one process or a pool of 2 ran it (chunks, cached
    folds, any order)."""
    parallel = run_study(small_study(), tmp_path / "par", jobs=2, progress=False)
    drop = ["fit_time_s", "measure_time_s"]  # wall times differ, nothing else may
    a = result.fits.drop(columns=drop).sort_values("fit_id").reset_index(drop=True)
    b = parallel.fits.drop(columns=drop).sort_values("fit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ca = result.curves.sort_values(["fit_id", "round"]).reset_index(drop=True)
    cb = parallel.curves.sort_values(["fit_id", "round"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ca, cb, check_exact=True)


@pytest.mark.slow  # worker pools
def test_sampled_theory_checks_change_nothing_but_the_check_and_the_training_side_arithmetic(tmp_path):
    """check = "sample" (the default) skips the closed-form check on most fits: every record column is the same as
    with check = "all" except the theory columns, and the training metrics, which then come from the engine's own
    prediction (float32 arithmetic: within 1e-6)."""
    import dataclasses

    from boostreg.plan import CHECK_EVERY, checked

    assert checked("ffffffff00", keep_leaves=True, mode="sample") and checked("00000000ab", False, "sample")
    assert checked("00000001ab", False, "all") and not checked("00000001ab", False, "sample")
    study = small_study()
    sampled = run_study(dataclasses.replace(study, check="sample"), tmp_path / "s", jobs=1, progress=False).fits
    full = run_study(dataclasses.replace(study, check="all"), tmp_path / "a", jobs=1, progress=False).fits
    sampled, full = (f.set_index("fit_id").sort_index() for f in (sampled, full))
    out = sampled.theory_check.str.startswith("not checked: sampled")
    assert 0 < out.sum() < len(sampled) and (full.theory_check == "ok").all()
    keep = sampled.fold.eq(0) & sampled.seed.eq(study.seeds[0])
    assert (sampled.theory_check[keep] == "ok").all()  # the fits whose leaves are stored are always checked
    assert out[~keep].mean() == pytest.approx(1 - 1 / CHECK_EVERY, abs=0.2)  # one in ten of the others is checked
    training = {
        "train_error",
        "train_rmse",
        "train_mae",
        "train_r2",
        "train_logloss",
        "train_auc",
        "train_accuracy",
        "generalization_gap",
    }
    skip = {
        "theory_check",
        "theory_max_rel_err",
        "theory_max_plain_rel_err",
        "theory_max_abs_err",
        "fit_time_s",
        "measure_time_s",
        "study_fingerprint",
    }
    for col in full.columns:
        if col in skip:
            continue
        if col in training:
            np.testing.assert_allclose(sampled[col], full[col], rtol=1e-6, err_msg=col)
        else:
            pd.testing.assert_series_equal(sampled[col], full[col], check_exact=True)


def test_grid_without_zero_still_fits_the_unpenalized_reference(tmp_path):
    study = Study(
        name="nozero",
        datasets=[DatasetSpec(name="diabetes")],
        grid={"reg_alpha": [1.0], "reg_lambda": [1.0, 10.0]},
        params={"n_estimators": 10},
        engines=["lightgbm"],
        folds=2,
    )
    fits = run_study(study, tmp_path / "o", jobs=1, progress=False).fits
    assert len(fits) == 2 * 3
    ref = fits[(fits.reg_alpha == 0) & (fits.reg_lambda == 0)]
    assert len(ref) == 2 and not ref.in_grid.any()
    assert fits[fits.in_grid].shrinkage_vs_unpenalized.notna().all()


def test_a_failing_fit_is_recorded_and_the_sweep_goes_on(tmp_path):
    # max_cat_to_onehot = 0 is rejected by LightGBM at Dataset construction: every fit of that engine fails,
    # xgboost's run
    study = Study(
        name="failing",
        datasets=[DatasetSpec(name="diabetes")],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 5},
        engine_params={"lightgbm": {"max_cat_to_onehot": 0}},
        folds=2,
    )
    fits = run_study(study, tmp_path / "o", jobs=1, progress=False).fits
    failed = fits[fits.engine == "lightgbm"]
    assert (failed.status == "failed").all() and failed.error.str.len().gt(0).all()
    assert (fits[fits.engine == "xgboost"].status == "ok").all()
    assert list(pd.read_parquet(tmp_path / "o" / "fits").columns) == fit_schema().names


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_records(result, tmp_path):
    pytest.importorskip("distributed")
    from boostreg.executors.dask import local_cluster

    with local_cluster(2) as address:
        dask_run = run_study(small_study(), tmp_path / "dask", progress=False, scheduler=address)
    cols = ["fit_id", "train_error", "test_error", "leaf_abs_mean", "zero_leaf_frac", "theory_max_rel_err"]
    a = result.fits[cols].sort_values("fit_id").reset_index(drop=True)
    b = dask_run.fits[cols].sort_values("fit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_fit_queue_sends_references_first_then_chunks_that_shrink_with_the_work_left():
    """Groups too large for one task: every reference alone first; then chunks of the first group (in plan order)
    whose reference has returned, each at most a quarter (2 workers) of the work not yet sent (27 fits: 6.75, so a
    group of 9 cannot go whole), so the last ones are single fits."""
    from boostreg.executors import FitQueue

    entries = [(k, [f"{k}{i}" for i in range(9)], 1.0, True) for k in "abc"]
    queue = FitQueue(entries, jobs=2)
    assert [queue.next() for _ in range(3)] == [("a", ["a0"], True), ("b", ["b0"], True), ("c", ["c0"], True)]
    assert queue.next() is None  # no other fit may go before its group's reference returns
    queue.reference_known("b")  # references may return out of plan order
    sent = [queue.next()]
    assert sent == [("b", ["b1", "b2", "b3", "b4", "b5", "b6"], False)]  # 24 fits left: a chunk of 6
    queue.reference_known("a")
    while (task := queue.next()) is not None:
        sent.append(task)
    assert [(k, len(ids)) for k, ids, _ in sent[1:]] == [("a", 5), ("a", 3), ("b", 2)]  # a before b: plan order
    queue.reference_known("c")
    while (task := queue.next()) is not None:
        sent.append(task)
    assert [len(ids) for k, ids, _ in sent if k == "c"] == [2, 2, 1, 1, 1, 1]
    for k in "abc":  # every fit once, in the group's order
        assert [i for key, ids, _ in sent if key == k for i in ids] == [f"{k}{i}" for i in range(1, 9)]
    stored_ref = FitQueue([("a", ["a1", "a2"], 1.0, False)], jobs=2)  # a stored reference is not fitted again
    assert stored_ref.next() == ("a", ["a1"], False)


def test_fit_queue_sends_a_group_that_fits_one_task_whole_with_its_reference_first():
    """Small groups go whole (reference first, in the same task: the worker bins the fold once); a group over
    MAX_CHUNK fits, and toward the end any group over its share of the work left, sends its reference alone first."""
    from boostreg.executors import MAX_CHUNK, FitQueue

    big = MAX_CHUNK + 4
    entries = [("big", [f"big{i}" for i in range(big)], 1.0, True)] + [
        (k, [f"{k}{i}" for i in range(4)], 1.0, True) for k in "abcdefgh"
    ]  # 20 + 32 fits
    queue = FitQueue(entries, jobs=2)
    first = [queue.next() for _ in range(3)]
    assert first[0] == ("big", ["big0"], True)  # too large for one task: its reference alone, before anything
    assert first[1:] == [("a", ["a0", "a1", "a2", "a3"], True), ("b", ["b0", "b1", "b2", "b3"], True)]
    queue.reference_known("big")  # plan order: the big group's chunks, 43 / 4 -> 11 fits, then its last 8
    sent = []
    while (task := queue.next()) is not None:
        sent.append(task)
    assert [(k, len(ids), ref) for k, ids, ref in sent] == [
        ("big", 11, False),
        ("big", 8, False),
        ("c", 4, True),
        ("d", 4, True),
        ("e", 4, True),
        # 12 fits left: a group of 4 is over 12 / 4 = 3, so the last groups' references go alone
        ("f", 1, True),
        ("g", 1, True),
        ("h", 1, True),
    ]
    queue.reference_known("h")
    assert queue.next() == ("h", ["h1", "h2", "h3"], False) and queue.next() is None
    every = first + sent + [("h", ["h1", "h2", "h3"], False)]
    for k, n in [
        ("big", big),
        *[(k, 4) for k in "abcdeh"],
        ("f", 1),
        ("g", 1),
    ]:  # f, g: chunks wait for their references
        assert [i for key, ids, _ in every if key == k for i in ids] == [f"{k}{i}" for i in range(n)]


@pytest.mark.slow  # worker pools
def test_fits_give_the_same_records_on_any_number_of_workers_and_any_cut_into_tasks(tmp_path, monkeypatch):
    """3 folds of a 3 x 3 grid in the data's units (every fit needs its group's reference): 1 worker, 2 workers
    with each group whole in one task (the reference computed in the worker that uses it), and 2 workers with tasks
    of at most 2 fits (the reference alone first, its columns sent back with the chunks). Every column but the
    timings is the same, bit for bit."""
    from boostreg.executors import local as execute
    from boostreg.study import relative

    study = Study(
        name="split",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm", "xgboost"],
        grid={"reg_alpha": relative([0.0, 0.1, 1.0]), "reg_lambda": relative([0.0, 1.0, 10.0])},
        params={"n_estimators": 10},
        folds=3,
    )
    sent = []
    queue_next = execute.FitQueue.next

    def spy(self, *args, **kwargs):
        task = queue_next(self, *args, **kwargs)
        if task is not None:
            sent.append((len(task[1]), task[2]))
        return task

    monkeypatch.setattr(execute.FitQueue, "next", spy)
    monkeypatch.setattr(execute, "fit_seconds", lambda group: 1.0)  # every fit costs the same: the cuts below
    run_study(study, tmp_path / "one", jobs=1, progress=False)
    sent.clear()
    run_study(study, tmp_path / "whole", jobs=2, progress=False)
    assert sent[:3] == [(10, True)] * 3  # XGBoost groups: the grid and the default, 10 fits; the first go whole
    sent.clear()
    monkeypatch.setattr(execute, "MAX_CHUNK", 2)
    run_study(study, tmp_path / "chunks", jobs=2, progress=False)
    assert (1, True) in sent and (2, False) in sent and max(n for n, _ in sent) == 2

    def records(name):
        fits = pd.read_parquet(tmp_path / name / "fits").drop(columns=["fit_time_s", "measure_time_s"])
        return fits.sort_values("fit_id").reset_index(drop=True)

    one = records("one")
    assert len(one) == 57 and one.shrinkage_vs_unpenalized.notna().all() and (one.reg_alpha > 0).sum() == 36
    pd.testing.assert_frame_equal(one, records("whole"), check_exact=True)
    pd.testing.assert_frame_equal(one, records("chunks"), check_exact=True)


def test_run_study_checks_a_study_changed_after_it_was_built(tmp_path):
    from boostreg.errors import BoostregError

    study = Study(
        name="changed",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1]},
        params={"n_estimators": 3},
        folds=2,
    )
    study.params["learning_rate"] = 0
    with pytest.raises(BoostregError, match="learning_rate = 0"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)
    del study.params["learning_rate"]
    study.grid["reg_alpha"].append(-5)
    with pytest.raises(BoostregError, match="reg_alpha value -5"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_a_fit_with_non_finite_metrics_is_failed_with_the_reason(tmp_path):
    from boostreg.engines import ENGINES, register_engine
    from boostreg.engines.lightgbm import LightGBMEngine

    class NaNBooster(LightGBMEngine):
        """A plug-in whose metrics are NaN (test) and -inf (validation): never an "ok" fit."""

        name = "nan_booster"
        library = "lightgbm"

        def measure(self, model, prepared, params, fold):
            record, curves = super().measure(model, prepared, params, fold)
            return {**record, "test_error": float("nan"), "valid_error": float("-inf")}, curves

    register_engine(NaNBooster())
    try:
        study = Study(
            name="nonfinite",
            datasets=[DatasetSpec(name="diabetes")],
            engines=["lightgbm", "nan_booster"],
            grid={"reg_alpha": [0]},
            params={"n_estimators": 3, "validation_fraction": 0.2},
            folds=2,
        )
        fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    finally:
        ENGINES.pop("nan_booster", None)
    lgb, toy = fits[fits.engine == "lightgbm"], fits[fits.engine == "nan_booster"]
    assert len(lgb) and (lgb.status == "ok").all()
    assert len(toy) and (toy.status == "failed").all() and toy.error.str.contains("non-finite metric").all()
    assert toy.error.str.contains("test_error = nan").all() and toy.error.str.contains("valid_error = -inf").all()


def test_a_learning_rate_above_one_is_refused():
    """learning_rate = 1e30 once ran: XGBoost's predictions all NaN, LightGBM's finite and absurd, stored "ok"."""
    from boostreg.errors import BoostregError

    for rate in (1e30, 1.5):
        with pytest.raises(
            BoostregError, match=rf"learning_rate = {re.escape(repr(rate))} .*above 1 overshoots.*\(0, 1\]"
        ):
            Study(name="lr", datasets=[DatasetSpec(name="diabetes")], params={"learning_rate": rate})
    Study(name="lr", datasets=[DatasetSpec(name="diabetes")], params={"learning_rate": 1.0})  # 1 itself is allowed


def _cv_study(cv, frame):
    return Study(
        name="cv_rows",
        datasets=[DatasetSpec(name="t", frame=frame, target="y")],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
        cv=cv,
    )


def test_a_splitter_is_identified_by_its_rows(tmp_path):
    """PredefinedSplits over 1,200 rows that differ in the middle share a repr: the second is another study (refused,
    never resumed into); a RandomState splitter reruns as the same study, every engine scored on the same rows."""
    from sklearn.model_selection import KFold, PredefinedSplit

    from boostreg.errors import BoostregError

    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["y"] = 2 * frame.a + rng.normal(size=n)
    first = np.repeat([0, 1], n // 2)
    second = first.copy()
    second[n // 2 - 1], second[n // 2] = 1, 0
    assert repr(PredefinedSplit(first)) == repr(PredefinedSplit(second))
    run_study(_cv_study(PredefinedSplit(first), frame), tmp_path / "p", jobs=1, progress=False)
    with pytest.raises(BoostregError, match="changed: cv"):
        run_study(_cv_study(PredefinedSplit(second), frame), tmp_path / "p", jobs=1, progress=False)

    def seeded():
        return KFold(2, shuffle=True, random_state=np.random.RandomState(0))

    study = _cv_study(seeded(), frame)
    first_run = run_study(study, tmp_path / "k", jobs=1, progress=False)
    assert first_run.n_run == first_run.n_planned > 0
    for again in (study, _cv_study(seeded(), frame)):  # the same object (its RandomState drawn from) or a new one
        rerun = run_study(again, tmp_path / "k", jobs=1, progress=False)
        assert rerun.n_run == 0 and rerun.n_skipped == first_run.n_planned
    fits = rerun.fits
    assert set(fits.engine) == {"xgboost", "lightgbm"}
    per_fold = fits.groupby(["dataset", "fold", "seed"]).fold_digest.nunique()
    assert len(per_fold) == 2 and (per_fold == 1).all()  # equal fold digests across engines


def test_a_wrong_typed_record_value_fails_the_fit_not_the_run(tmp_path):
    from boostreg.engines import ENGINES, register_engine
    from boostreg.engines.lightgbm import LightGBMEngine

    class TextBooster(LightGBMEngine):
        """A plug-in whose measure returns text in a number column."""

        name = "text_booster"
        library = "lightgbm"

        def measure(self, model, prepared, params, fold):
            record, curves = super().measure(model, prepared, params, fold)
            return {**record, "n_leaves_mean": "abc"}, curves

    register_engine(TextBooster())
    try:
        study = Study(
            name="wrongtype",
            datasets=[DatasetSpec(name="diabetes")],
            engines=["lightgbm", "text_booster"],
            grid={"reg_alpha": [0, 1]},
            params={"n_estimators": 3},
            folds=2,
        )
        fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    finally:
        ENGINES.pop("text_booster", None)
    text, ok = fits[fits.engine == "text_booster"], fits[fits.engine == "lightgbm"]
    assert len(text) and (text.status == "failed").all() and text.n_leaves_mean.isna().all()
    assert text.error.str.contains("n_leaves_mean = 'abc'").all(), text.error.iloc[0]
    assert len(ok) and (ok.status == "ok").all()
