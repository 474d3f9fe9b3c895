"""catboost on multiclass folds: CatBoost's MultiClass loss grows one oblivious tree per iteration whose leaves hold
K-vectors, each one Newton step with the full K x K softmax hessian, ``-lr (H + l2 I)^-1 G``, l2 being
l2_leaf_reg times the mean weight rounded to float32. boostreg holds K pseudo-trees per CatBoost tree. On
scikit-learn's wine (3 classes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("catboost")

from boostreg import DatasetSpec, Study, run_study  # noqa: E402
from boostreg.engines import ENGINES, Fold  # noqa: E402
from boostreg.engines.catboost_multiclass import theory_check  # noqa: E402

K = 3


def _wine_fold(weighted=False, keep_leaves=False):
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    y = y.to_numpy(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    w = rng.uniform(0.2, 3.0, len(y)) if weighted else None
    tr, te = order[:130], order[130:]
    return Fold(
        X.iloc[tr],
        y[tr],
        X.iloc[te],
        y[te],
        "multiclass",
        keep_leaves=keep_leaves,
        n_classes=K,
        w_train=w[tr] if weighted else None,
        w_test=w[te] if weighted else None,
    )


def _fit(fold, **kw):
    engine = ENGINES["catboost"]
    params = {**engine.default_params, "n_estimators": 20, "learning_rate": 0.3, "max_depth": 3, "reg_alpha": 0.0}
    params.update({"reg_lambda": 3.0, **kw})
    prepared = engine.prepare(fold, params, threads=1)
    model = engine.fit(prepared, params, seed=0, threads=1)
    record, curves = engine.measure(model, prepared, params, fold)
    ens = engine.ensemble(model, prepared, fold, params)
    return engine, prepared, model, ens, record, curves


def _lam(reg_lambda, w):
    mean = 1.0 if w is None else float(np.sum(np.asarray(w).astype(np.float32), dtype=np.float64)) / len(w)
    return float(np.float32(float(np.float32(reg_lambda)) * mean))


def test_catboost_fits_multiclass():
    assert "multiclass" in ENGINES["catboost"].tasks


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reg_lambda", [0.1, 1.0, 10.0])
def test_every_leaf_vector_is_the_full_hessian_newton_step(reg_lambda, weighted):
    fold = _wine_fold(weighted, keep_leaves=True)
    engine, prepared, model, ens, record, curves = _fit(fold, reg_lambda=reg_lambda)
    assert model.tree_count_ == 20 and ens.n_classes == K and ens.n_trees == 20 * K and ens.n_rounds == 20
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-11, record["theory_max_rel_err"]
    # pseudo-tree r K + k is column k of CatBoost tree r's leaf vectors; all K share its leaf ids and depth
    flat = np.asarray(model.get_leaf_values()).reshape(-1, K)
    np.testing.assert_array_equal(ens.leaf_values[3 * 5 + 2], flat[5 * 8 : 6 * 8, 2])
    np.testing.assert_array_equal(ens.train_leaf[:, 3 * 5], ens.train_leaf[:, 3 * 5 + 1])
    assert record["n_trees"] == 20 * K and record["depth_max"] == 3 and record["n_leaves_mean"] == 8
    assert len(record["_leaves"]) == 20 * K * 8
    # the margins the check rebuilt are CatBoost's own (RawFormulaVal), and the record's curve ends at the test error
    assert curves.test_error.iloc[-1] == pytest.approx(record["test_error"], rel=1e-9)
    train = model.predict(prepared.train, prediction_type="RawFormulaVal")
    lr = float(np.float32(0.3))
    check = theory_check(
        ens, fold.y_train, reg_lambda=_lam(reg_lambda, fold.w_train), learning_rate=lr, weight=fold.w_train
    )
    np.testing.assert_allclose(check.final_margin, train, rtol=0, atol=1e-12)


def test_the_check_is_not_vacuous_a_diagonal_hessian_or_a_float64_l2_fails():
    fold = _wine_fold(weighted=True)
    _, _, model, ens, record, _ = _fit(fold, reg_lambda=1.0)
    lr, w, y = float(np.float32(0.3)), fold.w_train, fold.y_train
    right = theory_check(ens, y, reg_lambda=_lam(1.0, w), learning_rate=lr, weight=w)
    assert right.max_rel_err < 1e-11
    assert theory_check(ens, y, reg_lambda=_lam(1.0, w), learning_rate=lr, weight=w, diagonal=True).max_rel_err > 1e-2
    l2_64 = 1.0 * float(np.mean(w))  # the l2 scaling without CatBoost's float rounding
    assert theory_check(ens, y, reg_lambda=l2_64, learning_rate=lr, weight=w).max_rel_err > 1e-9
    assert theory_check(ens, y, reg_lambda=1.0, learning_rate=lr, weight=w).max_rel_err > 1e-3  # unscaled l2
    assert theory_check(ens, y, reg_lambda=_lam(1.0, w), learning_rate=lr).max_rel_err > 1e-3  # weights matter


@pytest.mark.parametrize("weighted", [False, True])
def test_the_records_metrics_are_sklearns_on_predict_proba(weighted):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    fold = _wine_fold(weighted)
    engine, prepared, model, ens, record, _ = _fit(fold, n_estimators=10, reg_lambda=1.0)
    for prefix, pool, y, w in (
        ("train", prepared.train, fold.y_train, fold.w_train),
        ("test", prepared.test, fold.y_test, fold.w_test),
    ):
        proba = model.predict_proba(pool)
        assert record[f"{prefix}_logloss"] == pytest.approx(log_loss(y, proba, sample_weight=w), rel=1e-9)
        assert record[f"{prefix}_accuracy"] == pytest.approx(
            accuracy_score(y, proba.argmax(axis=1), sample_weight=w), rel=1e-12
        )
        auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", sample_weight=w)
        assert record[f"{prefix}_auc"] == pytest.approx(auc, rel=1e-9)
    margin = engine.predict_margin(model, prepared, fold)
    assert margin.shape == (len(fold.y_test), K) and margin.dtype == np.float64


def test_early_stopping_keeps_the_best_round_and_the_check_holds():
    base = _wine_fold()
    n = len(base.y_train)
    fold = Fold(
        base.X_train.iloc[: n - 30],
        base.y_train[: n - 30],
        base.X_test,
        base.y_test,
        "multiclass",
        X_valid=base.X_train.iloc[n - 30 :],
        y_valid=base.y_train[n - 30 :],
        n_classes=K,
    )
    _, _, model, ens, record, curves = _fit(fold, n_estimators=300, learning_rate=0.5, early_stopping_rounds=5)
    kept = model.tree_count_
    assert 1 <= kept < 300 and ens.n_trees == kept * K and np.argmin(curves.valid_error) == kept - 1
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-11


def test_a_training_fold_without_a_class_is_refused():
    from boostreg.errors import BoostregError

    fold = _wine_fold()
    keep = fold.y_train != 2
    lacking = Fold(fold.X_train[keep], fold.y_train[keep], fold.X_test, fold.y_test, "multiclass", n_classes=K)
    with pytest.raises(BoostregError, match="class codes"):
        _fit(lacking)


def test_l2_leaf_reg_zero_is_not_applicable():
    _, _, _, _, record, _ = _fit(_wine_fold(), n_estimators=3, reg_lambda=0.0)
    assert record["theory_check"].startswith("not applicable") and "singular" in record["theory_check"]


@pytest.mark.slow  # a whole study
def test_a_wine_study_with_catboost_checks_every_fit(tmp_path):
    study = Study(
        name="wine_catboost",
        engines=["catboost"],
        datasets=[DatasetSpec(name="wine")],
        grid={"reg_lambda": [1, 3]},
        params={"n_estimators": 8, "learning_rate": 0.3, "max_depth": 3},
        folds=2,
        check="all",
    )
    fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    assert set(fits.engine) == {"catboost"} and set(fits.task) == {"multiclass"}
    # the planner's unpenalized fit (l2_leaf_reg 0) has a singular Newton system: not applicable; the rest exact
    zero = fits.reg_lambda == 0
    assert len(fits) == 2 * 3 and zero.sum() == 2
    assert fits.theory_check[zero].str.contains("singular").all()
    assert (fits.theory_check[~zero] == "ok").all(), fits.theory_check.value_counts().to_dict()
    assert fits.theory_max_rel_err[~zero].max() < 1e-11
    assert set(fits.primary_metric) == {"mlogloss"} and (fits.test_accuracy > 0.6).all()
    assert fits.per_class_json.map(lambda s: len(json.loads(s))).eq(K).all()
