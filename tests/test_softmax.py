"""Multiclass and sample weights in the two boosters: each engine's softmax gradient and hessian against hand-computed
numbers, the theory check per class tree on wine, weighted checks, and checks that fail when fed the wrong hessian
or weights."""

import json

import numpy as np
import pytest
from conftest import synthetic_xy
from sklearn.datasets import load_wine

from boostreg import measure, softmax
from boostreg.engines import ENGINES, Fold

ENGINE_NAMES = ["xgboost", "lightgbm"]
LN2 = float(np.log(2.0))
# three rows, three classes: softmax (1/3, 1/3, 1/3), (1/2, 1/4, 1/4), (1/4, 1/4, 1/2); labels 0, 1, 2
MARGIN = np.array([[0.0, 0.0, 0.0], [LN2, 0.0, 0.0], [-1.0, -1.0, LN2 - 1.0]])
Y = np.array([0.0, 1.0, 2.0])
G_HAND = [[-2 / 3, 1 / 3, 1 / 3], [1 / 2, -3 / 4, 1 / 4], [1 / 4, 1 / 4, -1 / 2]]
# XGBoost: h = 2 p (1 - p)
H_XGB = [[4 / 9, 4 / 9, 4 / 9], [1 / 2, 3 / 8, 3 / 8], [3 / 8, 3 / 8, 1 / 2]]
# LightGBM: h = K / (K - 1) p (1 - p) = 1.5 p (1 - p)
H_LGB = [[1 / 3, 1 / 3, 1 / 3], [3 / 8, 9 / 32, 9 / 32], [9 / 32, 9 / 32, 3 / 8]]
XGB = {"hessian_factor": 2.0, "hessian_floor": 1e-16, "arith": np.float32}
LGB = {"hessian_factor": 1.5, "hessian_floor": 0.0, "arith": np.float64}


def test_xgboost_softmax_gradient_and_hessian_by_hand():
    g, h = softmax.gradients(MARGIN, Y, **XGB)
    assert g.dtype == np.float32 and h.dtype == np.float32
    np.testing.assert_allclose(g, G_HAND, rtol=2e-7)
    np.testing.assert_allclose(h, H_XGB, rtol=2e-7)
    g, h = softmax.gradients(MARGIN, Y, weight=np.array([1.0, 2.0, 0.5]), **XGB)
    np.testing.assert_allclose(g[1], [1.0, -1.5, 0.5], rtol=2e-7)
    np.testing.assert_allclose(h[2], [3 / 16, 3 / 16, 1 / 4], rtol=2e-7)


def test_lightgbm_softmax_gradient_and_hessian_by_hand():
    g, h = softmax.gradients(MARGIN, Y, **LGB)
    np.testing.assert_allclose(g, G_HAND, rtol=1e-7)  # stored in float32
    np.testing.assert_allclose(h, H_LGB, rtol=1e-7)
    g, h = softmax.gradients(MARGIN, Y, weight=np.array([1.0, 2.0, 0.5]), **LGB)
    np.testing.assert_allclose(g[1], [1.0, -1.5, 0.5], rtol=1e-7)
    np.testing.assert_allclose(h[1], [3 / 4, 9 / 16, 9 / 16], rtol=1e-7)


def test_xgboost_floors_the_hessian_after_the_weight_and_lightgbm_does_not_floor():
    tiny_p = np.array([[0.0, -100.0, -100.0]])  # p of classes 1, 2 is e^-100 = 3.7e-44
    _, h = softmax.gradients(tiny_p, np.array([0.0]), **XGB)
    assert h[0, 1] == np.float32(1e-16)
    _, h = softmax.gradients(tiny_p, np.array([0.0]), **LGB)
    assert 0 < h[0, 1] < 1e-40  # 1.5 * 3.7e-44, a float32 denormal
    # weight 1e-20 on p = 1/3: XGBoost's fmax(2 p (1 - p) * w, 1e-16) = 1e-16, not 4/9 * 1e-20
    _, h = softmax.gradients(np.zeros((1, 3)), np.array([0.0]), weight=np.array([1e-20]), **XGB)
    assert h[0, 0] == np.float32(1e-16)
    _, h = softmax.gradients(np.zeros((1, 3)), np.array([0.0]), weight=np.array([1e-20]), **LGB)
    assert h[0, 0] == pytest.approx(1 / 3 * 1e-20, rel=1e-6)


def test_softmax_probabilities_survive_huge_margins():
    p = softmax.probabilities(np.array([[1000.0, 0.0, 1000.0]]), arith=np.float32)
    np.testing.assert_allclose(p, [[0.5, 0.0, 0.5]])


def _wine_fold(weights=False, seed=0):
    X, y = load_wine(return_X_y=True, as_frame=True)
    y = y.to_numpy().astype(np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    tr, te = idx[:130], idx[130:]
    w = rng.uniform(0.2, 3.0, len(y)) if weights else None
    return Fold(
        X.iloc[tr],
        y[tr],
        X.iloc[te],
        y[te],
        "multiclass",
        n_classes=3,
        w_train=None if w is None else w[tr],
        w_test=None if w is None else w[te],
    )


def _params(**kw):
    base = {"n_estimators": 15, "learning_rate": 0.3, "max_depth": 4, "num_leaves": 15, "min_child_samples": 5}
    return {**base, "reg_alpha": 0.0, "reg_lambda": 0.0, **kw}


def _fit(engine, fold, **kw):
    e = ENGINES[engine]
    params = _params(**kw)
    prepared = e.prepare(fold, params, threads=1)
    model = e.fit(prepared, params, seed=0, threads=1)
    record, curves = e.measure(model, prepared, params, fold)
    return e, prepared, model, params, record, curves


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("penalty", [(0, 0), (2, 0), (0, 5), (1, 1), (0.5, 2, 0.3), (8, 0)])
def test_theory_check_per_class_tree_on_wine(engine, penalty):
    alpha, lam = penalty[:2]
    extra = {"max_delta_step": penalty[2]} if len(penalty) == 3 else {}
    fold = _wine_fold()
    e, prepared, model, params, record, curves = _fit(engine, fold, reg_alpha=alpha, reg_lambda=lam, **extra)
    assert record["theory_check"] == "ok"
    assert record["theory_max_rel_err"] <= 1e-4 and record["theory_max_abs_err"] <= 1e-5
    assert record["n_trees"] == 45 and len(curves) == 15  # 3 class trees per round, one curve row per round
    ens = e.ensemble(model, prepared, fold, params)
    assert ens.n_classes == 3 and ens.n_rounds == 15
    check = softmax.theory_check(ens, fold.y_train, reg_alpha=alpha, reg_lambda=lam, learning_rate=0.3, **extra)
    # the closed form, leaf by leaf, from G and H: -sign(G) max(|G| - a, 0) / (H + l), clipped, times eta
    w = -np.sign(check.G) * np.maximum(np.abs(check.G) - alpha, 0) / (check.H + lam)
    if extra:
        w = np.clip(w, -0.3, 0.3)
    reached = check.H > 0
    np.testing.assert_allclose(check.stored[reached], 0.3 * w[reached], rtol=1e-4, atol=1e-6)
    if alpha >= 2:
        assert record["zero_leaf_frac"] > 0 and ((check.stored == 0) == (np.abs(check.G) <= alpha))[reached].all()
    # the engine's own per-round curves end at the record's metrics; the margins are (n, K)
    # (the training curve's log loss is summed from float32 logs: a small loss differs in its last digits)
    assert curves["train_error"].iloc[-1] == pytest.approx(record["train_error"], rel=1e-6, abs=1e-7)
    assert curves["test_error"].iloc[-1] == pytest.approx(record["test_error"], rel=1e-5)
    margin = e.predict_margin(model, prepared, fold)
    assert margin.shape == (len(fold.y_test), 3) and margin.dtype == np.float64
    # LightGBM's own training scores are probabilities: their logs are the margins up to a shift per row
    own = softmax.probabilities(e.predict_train_margin(model, prepared, fold))
    np.testing.assert_allclose(softmax.probabilities(check.final_margin), own, atol=1e-6)
    per_class = json.loads(record["per_class_json"])
    assert [c["class"] for c in per_class] == [0, 1, 2]
    assert sum(c["n_leaves_total"] for c in per_class) == record["n_leaves_total"]
    assert record["first_tree_grad_abs_max"] == max(c["first_tree_grad_abs_max"] for c in per_class)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_the_check_fails_with_the_other_engines_hessian(engine):
    fold = _wine_fold()
    e, prepared, model, params, record, _ = _fit(engine, fold, reg_lambda=1.0)
    ens = e.ensemble(model, prepared, fold, params)
    assert ens.hessian_factor == (2.0 if engine == "xgboost" else 1.5)
    wrong = measure.Ensemble(**{**ens.__dict__, "hessian_factor": 1.5 if engine == "xgboost" else 2.0})
    check = softmax.theory_check(wrong, fold.y_train, reg_alpha=0.0, reg_lambda=1.0, learning_rate=0.3)
    assert check.max_rel_err > 1e-2 and record["theory_max_rel_err"] <= 1e-4


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_weighted_multiclass_theory_check_and_flip(engine):
    fold = _wine_fold(weights=True)
    e, prepared, model, params, record, curves = _fit(engine, fold, reg_alpha=0.5, reg_lambda=1.0)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-4
    ens = e.ensemble(model, prepared, fold, params)
    unweighted = softmax.theory_check(ens, fold.y_train, reg_alpha=0.5, reg_lambda=1.0, learning_rate=0.3)
    assert unweighted.max_rel_err > 1e-2  # the weights are in the leaves: leaving them out breaks the check
    # the record's metrics are weighted: the engine's own weighted per-round test curve ends at them
    assert curves["test_error"].iloc[-1] == pytest.approx(record["test_error"], rel=1e-5)
    # the first round's scales use the weighted G and H
    pooled, _ = softmax.first_round_scales(ens, fold.y_train, fold.w_train)
    assert record["first_tree_hess_mean"] == pytest.approx(pooled["first_tree_hess_mean"])
    assert pooled["first_tree_hess_mean"] != pytest.approx(
        softmax.first_round_scales(ens, fold.y_train)[0]["first_tree_hess_mean"]
    )


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_weighted_theory_check_for_regression_and_binary(engine, task):
    X, y = synthetic_xy(task, 500, 5, offset=10.0, seed=1)
    w = np.random.default_rng(1).uniform(0.1, 4.0, len(y))
    fold = Fold(X.iloc[:350], y[:350], X.iloc[350:], y[350:], task, w_train=w[:350], w_test=w[350:])
    e, prepared, model, params, record, curves = _fit(engine, fold, reg_alpha=0.5, reg_lambda=1.0)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-4
    assert curves["test_error"].iloc[-1] == pytest.approx(record["test_error"], rel=1e-5)
    ens = e.ensemble(model, prepared, fold, params)
    kw = {"reg_alpha": 0.5, "reg_lambda": 1.0, "learning_rate": 0.3}
    assert measure.theory_check(ens, fold.y_train, task, **kw).max_rel_err > 1e-3  # without the weights: fails
    assert "per_class_json" not in record


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_multiclass_fit_the_check_samples_out_reads_the_engines_own_training_curve(engine):
    fold = _wine_fold()
    checked = _fit(engine, fold, reg_lambda=1.0)[4]
    *_, record, curves = _fit(engine, fold, reg_lambda=1.0, _check=False)
    assert record["theory_check"].startswith("not checked")
    assert record["train_error"] == pytest.approx(checked["train_error"], rel=1e-5)
    assert record["test_error"] == pytest.approx(checked["test_error"], rel=1e-9)
    assert record["first_tree_grad_abs_max"] == pytest.approx(checked["first_tree_grad_abs_max"], rel=1e-12)
    assert record["per_class_json"] == checked["per_class_json"]
    assert len(curves) == 15 and curves["train_error"].notna().all()


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_multiclass_early_stopping_keeps_whole_rounds(engine):
    full = _wine_fold()
    cut = 100
    fold = Fold(
        full.X_train.iloc[:cut],
        full.y_train[:cut],
        full.X_test,
        full.y_test,
        "multiclass",
        n_classes=3,
        X_valid=full.X_train.iloc[cut:],
        y_valid=full.y_train[cut:],
    )
    *_, record, curves = _fit(engine, fold, n_estimators=200, learning_rate=0.5, early_stopping_rounds=3)
    assert record["n_trees"] % 3 == 0 and len(curves) == record["n_trees"] // 3 < 200
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-4
    assert record["valid_error"] == pytest.approx(curves["valid_error"].min())


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_multiclass_sklearn_estimator_is_the_classifier(engine):
    cls, _ = ENGINES[engine].sklearn_estimator({"reg_alpha": 1.0}, "multiclass")
    assert cls.endswith("Classifier")
    assert "multiclass" in ENGINES[engine].tasks


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task, metric", [("regression", "r2"), ("binary", "auc"), ("multiclass", "auc")])
def test_a_metric_the_library_lacks_is_evaluated_by_boostreg_each_round(engine, task, metric):
    """r2 and auc have no library metric equal to boostreg's loss (1 - value): the engine evaluates boostreg's own
    (weighted) loss each round, so the curves end at the record's errors and early stopping keeps the best round."""
    if task == "multiclass":
        full = _wine_fold()
        X, y = full.X_train, full.y_train
    else:
        X, y = synthetic_xy(task, 400, 5, offset=10.0, seed=2)
    n = len(y)
    a, b = n // 2, 3 * n // 4
    w = np.random.default_rng(2).uniform(0.5, 2.0, n)
    fold = Fold(
        X.iloc[:a],
        y[:a],
        X.iloc[b:],
        y[b:],
        task,
        primary_metric=metric,
        X_valid=X.iloc[a:b],
        y_valid=y[a:b],
        n_classes=3 if task == "multiclass" else None,
        w_train=w[:a],
        w_test=w[b:],
        w_valid=w[a:b],
    )
    *_, record, curves = _fit(engine, fold, n_estimators=100, early_stopping_rounds=4, reg_lambda=1.0)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-4
    assert curves["test_error"].iloc[-1] == pytest.approx(record["test_error"], rel=1e-9, abs=1e-12)
    assert curves["train_error"].iloc[-1] == pytest.approx(record["train_error"], rel=1e-6, abs=1e-9)
    assert record["valid_error"] == pytest.approx(curves["valid_error"].min()) and len(curves) < 100


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_multiclass_curve_from_the_leaves_where_the_check_does_not_apply(engine):
    fold = _wine_fold(weights=True)
    e, prepared, model, params, record, curves = _fit(engine, fold, subsample=0.7, bagging_freq=1)
    assert record["theory_check"].startswith("not applicable: row subsampling")
    assert curves["train_error"].iloc[-1] == pytest.approx(record["train_error"], rel=1e-6, abs=1e-7)
    ens = e.ensemble(model, prepared, fold, params)
    curve, final = softmax.error_curve(ens, fold.y_train, "mlogloss", weight=fold.w_train)
    assert final.shape == (len(fold.y_train), 3) and len(curve) == 15
    own = softmax.probabilities(e.predict_train_margin(model, prepared, fold))
    np.testing.assert_allclose(softmax.probabilities(final), own, atol=1e-6)
