"""histgb on multiclass folds: sklearn's HistGradientBoostingClassifier grows K trees per round from its
HalfMultinomialLoss, and every leaf of every class tree is the closed form of sklearn's own G and H (hessian
p_k (1 - p_k), no factor) at the raw predictions before its round. On scikit-learn's wine (3 classes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.engines import ENGINES, Fold
from boostreg.engines.histgb_multiclass import theory_check
from boostreg.errors import BoostregError

K = 3


def _wine_fold(weighted=False, valid=False, keep_leaves=False):
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    y = y.to_numpy(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    w = rng.uniform(0.2, 3.0, len(y)) if weighted else None  # not float32-exact: sklearn weighs in float64
    tr, va, te = (order[:100], order[100:130], order[130:]) if valid else (order[:130], None, order[130:])
    sub = (lambda idx: w[idx]) if weighted else (lambda idx: None)
    return Fold(
        X.iloc[tr],
        y[tr],
        X.iloc[te],
        y[te],
        "multiclass",
        keep_leaves=keep_leaves,
        X_valid=X.iloc[va] if valid else None,
        y_valid=y[va] if valid else None,
        n_classes=K,
        w_train=sub(tr),
        w_test=sub(te),
        w_valid=sub(va) if valid else None,
    )


def _fit(fold, **kw):
    engine = ENGINES["histgb"]
    params = {
        **engine.default_params,
        "n_estimators": 30,
        "learning_rate": 0.3,
        "num_leaves": 8,
        "min_child_samples": 5,
        "reg_alpha": 0.0,
        "reg_lambda": 0.0,
        **kw,
    }
    prepared = engine.prepare(fold, params, threads=1)
    model = engine.fit(prepared, params, seed=0, threads=1)
    ens = engine.ensemble(model, prepared, fold, params)
    record, curves = engine.measure(model, prepared, params, fold)
    return engine, prepared, model, ens, record, curves


def test_histgb_fits_multiclass():
    assert "multiclass" in ENGINES["histgb"].tasks


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reg_lambda", [0.0, 1.0, 10.0])
def test_every_class_tree_leaf_is_the_closed_form(reg_lambda, weighted):
    fold = _wine_fold(weighted, keep_leaves=True)
    engine, prepared, model, ens, record, curves = _fit(fold, reg_lambda=reg_lambda)
    assert model.n_trees_per_iteration_ == K and len(model._predictors) == 30
    assert ens.n_classes == K and ens.n_trees == 30 * K and ens.n_rounds == 30
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-12
    assert record["theory_max_abs_err"] < 1e-15
    # round-major: tree r K + k is sklearn's _predictors[r][k]
    for t in (0, 1, 2, 3 * 7 + 2):
        np.testing.assert_array_equal(ens.leaf_values[t], model._predictors[t // K][t % K].nodes["value"])
    np.testing.assert_array_equal(ens.base_margin, model._baseline_prediction.ravel())
    leaves = record["_leaves"]
    assert len(leaves) == sum(int(m.sum()) for m in ens.is_leaf) and set(leaves.tree) == set(range(90))
    # a class tree that made no split keeps its root's value 0, and the check expects that 0
    stumps = leaves[leaves.tree.isin(np.nonzero(ens.n_leaves() == 1)[0])]
    assert (stumps.value == 0).all() and (stumps.theory == 0).all()
    if reg_lambda == 0:  # without L2, late class trees' hessian sums fall below sklearn's min_hessian_to_split
        assert stumps.tree.nunique() >= 20
    assert curves.test_error.iloc[-1] == pytest.approx(record["test_error"], rel=1e-9)


def test_the_check_is_not_vacuous_a_wrong_hessian_or_lambda_fails():
    fold = _wine_fold(weighted=True)
    _, _, model, ens, record, _ = _fit(fold, reg_lambda=1.0)
    right, _, _ = theory_check(ens, model._loss, fold.y_train, reg_lambda=1.0, learning_rate=0.3, weight=fold.w_train)
    assert right.max_rel_err == 0.0

    class LightGBMHessian:  # LightGBM's K / (K - 1) factor on sklearn's gradients
        def gradient_hessian(self, **kw):
            model._loss.gradient_hessian(**kw)
            kw["hessian_out"] *= np.float32(K / (K - 1))

    wrong, _, _ = theory_check(
        ens, LightGBMHessian(), fold.y_train, reg_lambda=1.0, learning_rate=0.3, weight=fold.w_train
    )
    assert wrong.max_rel_err > 1e-2
    unweighted, _, _ = theory_check(ens, model._loss, fold.y_train, reg_lambda=1.0, learning_rate=0.3)
    assert unweighted.max_rel_err > 1e-3  # the weights matter
    other_lambda, _, _ = theory_check(
        ens, model._loss, fold.y_train, reg_lambda=2.0, learning_rate=0.3, weight=fold.w_train
    )
    assert other_lambda.max_rel_err > 1e-3


@pytest.mark.parametrize("weighted", [False, True])
def test_the_records_metrics_are_sklearns_on_predict_proba(weighted):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    fold = _wine_fold(weighted)
    engine, prepared, model, ens, record, _ = _fit(fold, n_estimators=10, reg_lambda=1.0)
    for prefix, X, y, w in (
        ("train", prepared.X_train, fold.y_train, fold.w_train),
        ("test", prepared.X_test, fold.y_test, fold.w_test),
    ):
        proba = model.predict_proba(X)
        assert record[f"{prefix}_logloss"] == pytest.approx(log_loss(y, proba, sample_weight=w), rel=1e-9)
        assert record[f"{prefix}_error"] == pytest.approx(record[f"{prefix}_logloss"], rel=1e-12)  # mlogloss
        assert record[f"{prefix}_accuracy"] == pytest.approx(
            accuracy_score(y, model.predict(X), sample_weight=w), rel=1e-12
        )
        auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", sample_weight=w)
        assert record[f"{prefix}_auc"] == pytest.approx(auc, rel=1e-9)
    # the margins the check rebuilt are sklearn's raw predictions, bit for bit
    assert record["train_logloss"] < np.log(K)
    np.testing.assert_array_equal(
        engine.predict_margin(model, prepared, fold), model.decision_function(prepared.X_test)
    )


def test_first_round_scales_and_per_class_json():
    fold = _wine_fold(weighted=True)
    _, _, model, ens, record, _ = _fit(fold, n_estimators=5)
    rows = json.loads(record["per_class_json"])
    assert [r["class"] for r in rows] == [0, 1, 2]
    assert record["first_tree_grad_abs_max"] == max(r["first_tree_grad_abs_max"] for r in rows)
    # class k's first tree: G of its leaves from sklearn's gradients at the baseline; over all its leaves
    # they sum to sum_i w_i (p_k - [y_i = k]) with p_k the weighted class share (the baseline's softmax)
    w, y = fold.w_train, fold.y_train
    share = np.array([w[y == k].sum() for k in range(K)]) / w.sum()
    for k in range(K):
        leaves = ens.is_leaf[k]
        counts = np.bincount(ens.train_leaf[:, k], minlength=len(leaves))[leaves]
        assert (counts > 0).all()
        assert rows[k]["first_tree_hess_mean"] == pytest.approx(
            (w * share[k] * (1 - share[k])).sum() / leaves.sum(), rel=1e-6
        )
        assert rows[k]["n_leaves_total"] == sum(int(m.sum()) for m in ens.is_leaf[k::K])


def test_early_stopping_keeps_the_best_round_and_the_check_holds():
    fold = _wine_fold(valid=True)
    _, _, model, ens, record, curves = _fit(fold, n_estimators=300, learning_rate=0.5, early_stopping_rounds=5)
    kept = len(model._predictors)
    assert 1 <= kept < 300 and ens.n_trees == kept * K and np.argmin(curves.valid_error) == kept - 1
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-12


def test_a_training_fold_without_a_class_is_refused():
    fold = _wine_fold()
    keep = fold.y_train != 2
    lacking = Fold(fold.X_train[keep], fold.y_train[keep], fold.X_test, fold.y_test, "multiclass", n_classes=K)
    with pytest.raises(BoostregError, match="class codes"):
        _fit(lacking)


@pytest.mark.slow  # a whole study
def test_a_wine_study_with_histgb_checks_every_fit(tmp_path):
    study = Study(
        name="wine_histgb",
        engines=["histgb"],
        datasets=[DatasetSpec(name="wine")],
        grid={"reg_lambda": [0, 2]},
        params={"n_estimators": 8, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"histgb": {"num_leaves": 8, "min_child_samples": 5}},
        folds=3,
        check="all",
    )
    fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    assert set(fits.engine) == {"histgb"} and set(fits.task) == {"multiclass"} and set(fits.fold) == {0, 1, 2}
    assert len(fits) == 3 * 2  # reg_lambda 0 (also the library default) and 2, per fold
    assert (fits.theory_check == "ok").all(), fits.theory_check.value_counts().to_dict()
    assert fits.theory_max_rel_err.max() < 1e-12
    assert set(fits.primary_metric) == {"mlogloss"} and (fits.test_accuracy > 0.6).all()
    assert fits.per_class_json.map(lambda s: len(json.loads(s))).eq(K).all()
