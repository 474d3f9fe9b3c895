"""The scikit-learn baselines on a multiclass target (wine, 3 classes) and with sample weights: every multiclass
baseline fits, its recorded metrics equal sklearn.metrics' on the same predictions, and a weight of w on a row fits
what the row repeated w times fits (deterministic estimators, to the solver's tolerance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from boostreg.engines import ENGINES, Fold
from boostreg.engines.linear import exact_intercept
from boostreg.engines.sklearn_base import coef_columns, preprocess

MULTICLASS = sorted(n for n, e in ENGINES.items() if e.kind == "baseline" and "multiclass" in e.tasks)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    return X, y.to_numpy(np.float64), order[:120], order[120:], rng.integers(1, 4, len(y)).astype(np.float64)


def _fold(wine, weighted: bool) -> Fold:
    X, y, tr, te, w = wine
    ws = (w[tr], w[te], w[te]) if weighted else (None, None, None)
    return Fold(
        X.iloc[tr], y[tr], X.iloc[te], y[te], "multiclass", n_classes=3, X_valid=X.iloc[te], y_valid=y[te],
        w_train=ws[0], w_test=ws[1], w_valid=ws[2],
    )  # fmt: skip


def _fit(name, fold, penalty=1.0, **extra):
    eng = ENGINES[name]
    params = {**eng.default_params, "penalty": penalty, **extra}
    prepared = eng.prepare(fold, params, threads=1)
    model = eng.fit(prepared, params, seed=0, threads=1)
    record, curves = eng.measure(model, prepared, params, fold)
    return eng, prepared, model, record, curves


def test_every_classifier_baseline_fits_multiclass():
    assert {"logistic_l1", "logistic_l2", "linear_svc_l1", "linear_svc_l2", "svc_rbf", "mlp"} <= set(MULTICLASS)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", MULTICLASS)
def test_multiclass_metrics_equal_sklearn(wine, name, weighted):
    fold = _fold(wine, weighted)
    eng, prepared, model, record, curves = _fit(name, fold)
    assert curves is None
    margin = eng.margin(model, prepared, prepared.X_test)
    assert margin.shape == (len(fold.y_test), 3) and margin.dtype == np.float64
    w = fold.w_test
    pred = model.predict(prepared.X_test)
    assert record["test_accuracy"] == pytest.approx(accuracy_score(fold.y_test, pred, sample_weight=w), abs=1e-12)
    if eng.has_proba:  # the margin is the log-probabilities: its softmax is predict_proba
        proba = model.predict_proba(prepared.X_test)
        np.testing.assert_allclose(softmax(margin, axis=1), proba, rtol=1e-9, atol=1e-12)
        expected = log_loss(fold.y_test, proba, sample_weight=w)
        assert record["test_logloss"] == pytest.approx(expected, rel=1e-9)
        assert record["primary_metric"] == "mlogloss" and record["test_error"] == record["test_logloss"]
        auc = roc_auc_score(fold.y_test, proba, multi_class="ovr", average="macro", sample_weight=w)
    else:  # decision_function: no log loss; the selection falls back to the misclassification error
        np.testing.assert_array_equal(margin, model.decision_function(prepared.X_test))
        assert np.isnan(record["test_logloss"])
        assert record["primary_metric"] == "error"
        assert record["test_error"] == pytest.approx(1 - record["test_accuracy"], abs=1e-12)
        auc = roc_auc_score(fold.y_test, softmax(margin, axis=1), multi_class="ovr", average="macro", sample_weight=w)
    assert record["test_auc"] == pytest.approx(auc, rel=1e-9)
    assert np.isfinite(record["valid_error"]) and np.isfinite(record["penalty_normalized"])


def _repeated(wine) -> Fold:
    """The weighted fold's rows, each repeated as many times as its weight, unweighted."""
    X, y, tr, te, w = wine
    rep = np.repeat(tr, w[tr].astype(int))
    return Fold(X.iloc[rep], y[rep], X.iloc[te], y[te], "multiclass", n_classes=3, w_test=w[te])


@pytest.mark.parametrize("name", ["logistic_l2", "mlp"])
def test_weight_equals_repeated_rows(wine, name):
    """lbfgs is deterministic: weights w and rows repeated w times give the same coefficients and metrics (the
    preprocessing's means and scales are weighted too)."""
    extra = {"tol": 1e-12, "max_iter": 20000} if name == "logistic_l2" else {"tol": 1e-12, "max_iter": 30}
    _, pw, mw, rw, _ = _fit(name, _fold(wine, True), **extra)
    _, pr, mr, rr, _ = _fit(name, _repeated(wine), **extra)
    np.testing.assert_allclose(pw.X_test, pr.X_test, rtol=1e-12, atol=1e-12)
    if name == "logistic_l2":
        np.testing.assert_allclose(mw.coef_, mr.coef_, rtol=1e-5, atol=1e-6)
        for key in ("test_logloss", "test_accuracy", "test_auc", "coef_l2_norm", "lambda_normalized"):
            assert rw[key] == pytest.approx(rr[key], rel=1e-5), key
    else:  # the same initial weights (seed), objective and gradient (scaled by sum(w)): the same first 30
        # lbfgs steps up to rounding (rounding differences grow over a long non-convex path)
        for key in ("test_logloss", "test_accuracy", "lambda_normalized"):
            assert rw[key] == pytest.approx(rr[key], rel=1e-6), key


def test_weighted_regression_preprocessing_and_ridge_equal_repeated_rows():
    """Regression: the target's standardization, the scaling and Ridge (closed form) under weights are those of
    the repeated rows; an integer weight of 3 is three copies."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    X.loc[[3, 7], "a"] = np.nan  # weighted imputation means too
    y = X.a.fillna(0).to_numpy() * 2 + rng.normal(size=40)
    w = rng.integers(1, 4, 40).astype(np.float64)
    tr, te = np.arange(30), np.arange(30, 40)
    weighted = Fold(X.iloc[tr], y[tr], X.iloc[te], y[te], "regression", w_train=w[tr], w_test=w[te])
    rep = np.repeat(tr, w[tr].astype(int))
    repeated = Fold(X.iloc[rep], y[rep], X.iloc[te], y[te], "regression", w_test=w[te])
    a, b = preprocess(weighted), preprocess(repeated)
    assert (a.y_mean, a.y_scale) == pytest.approx((b.y_mean, b.y_scale), rel=1e-12)
    np.testing.assert_allclose(a.X_test, b.X_test, rtol=1e-12, atol=1e-12)
    for name in ("ridge", "lasso"):
        ra, rb = _fit(name, weighted, penalty=0.1)[3], _fit(name, repeated, penalty=0.1)[3]
        for key in ("test_rmse", "coef_l1_norm", "alpha_normalized", "lambda_normalized"):
            assert ra[key] == pytest.approx(rb[key], rel=1e-6, abs=1e-12), (name, key)


def test_multinomial_saga_intercepts_are_exact(wine):
    """After saga (L1) the K intercepts solve sum_i w_i p_ik = sum_i w_i [y_i = k] given the coefficients."""
    fold = _fold(wine, True)
    _, prepared, model, _, _ = _fit("logistic_l1", fold, penalty=0.01)
    p = model.predict_proba(prepared.X_train)
    w = fold.w_train
    onehot = fold.y_train[:, None] == np.arange(3)[None, :]
    np.testing.assert_allclose(p.T @ w, onehot.T @ w, rtol=1e-10)
    model.intercept_ = model.intercept_ + 0.3  # moved away, and back
    exact_intercept(model, prepared.X_train, prepared.y_train, w)
    np.testing.assert_allclose(model.predict_proba(prepared.X_train).T @ w, onehot.T @ w, rtol=1e-10)


def test_binary_exact_intercept_weighted():
    """Binary with every coefficient 0: the intercept is the logit of the weighted base rate."""
    from sklearn.linear_model import LogisticRegression

    X = np.zeros((4, 1))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    w = np.array([1.0, 3.0, 1.0, 1.0])  # weighted base rate 4 / 6
    model = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
    model.coef_ = np.zeros((1, 1))
    exact_intercept(model, X, y, w)
    assert model.intercept_[0] == pytest.approx(np.log(4 / 2), abs=1e-12)


def test_strong_l1_multinomial_predicts_the_weighted_base_rates(wine):
    fold = _fold(wine, True)
    _, prepared, model, record, _ = _fit("logistic_l1", fold, penalty=1e-4)
    assert record["zero_coef_frac"] == 1.0 and record["n_features_used"] == 0
    assert record["alpha_normalized"] > 1  # past l1_min_c: everything zero, as the axis says
    rates = np.array([(fold.w_train * (fold.y_train == k)).sum() for k in range(3)]) / fold.w_train.sum()
    np.testing.assert_allclose(model.predict_proba(prepared.X_test[:2]), np.tile(rates, (2, 1)), rtol=1e-10)


def test_coefficients_pooled_over_classes():
    """K coefficient vectors pooled: a column is used when any class uses it; sizes over all K * p values."""
    from boostreg.engines.sklearn_base import Prepared

    prepared = Prepared(
        np.zeros((2, 3)), np.zeros((1, 3)), np.zeros(2), 0.0, 1.0, np.array([0, 1, 1]), ("x", "c"), "multiclass"
    )
    coef = np.array([[1.0, 0.0, 0.0], [-2.0, 0.0, 4.0]])
    out = coef_columns(coef, prepared, ("c",))
    assert out["n_features_used"] == 2 and out["n_noise_features_used"] == 1
    assert out["zero_coef_frac"] == pytest.approx(3 / 6)
    assert out["coef_l1_norm"] == pytest.approx(7.0) and out["coef_abs_mean"] == pytest.approx(7 / 6)
    assert coef_columns(np.array([[1.0, 0.0, 0.0], [-2.0, 0.0, 0.0]]), prepared, ())["n_features_used"] == 1


def test_weighted_refit_pipeline_equals_repeated_rows():
    """refit_weighted: the pipeline a refit saves, fitted with weights, predicts as the repeated rows' refit."""
    from boostreg.engines.sklearn_base import SklearnEngine

    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=30), "k": pd.Categorical(rng.choice(["u", "v"], 30))})
    X.loc[4, "a"] = np.nan
    y = X.a.fillna(0).to_numpy() + rng.normal(size=30)
    w = rng.integers(1, 4, 30).astype(np.float64)
    rep = np.repeat(np.arange(30), w.astype(int))
    eng = ENGINES["ridge"]
    assert isinstance(eng, SklearnEngine)
    weighted = eng.refit_model(eng.estimator(0.5, {}, 0), X, "regression", True)
    eng.refit_weighted(weighted, X, y, w)
    repeated = eng.refit_model(eng.estimator(0.5, {}, 0), X.iloc[rep], "regression", True)
    repeated.fit(X.iloc[rep], y[rep])
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-8)


# ---------------------------------------------------------------- sample weights in the L2-only boosters


WEIGHTED_BOOSTERS = ["histgb"] + (["catboost"] if "catboost" in ENGINES else [])


@pytest.mark.parametrize("task", ["regression", "binary"])
@pytest.mark.parametrize("name", WEIGHTED_BOOSTERS)
def test_weighted_l2_boosters_keep_an_exact_theory_check(name, task):
    """histgb and catboost take sample weights with the check exact: each leaf from the weighted G and H (catboost:
    l2_leaf_reg times the mean weight, as CatBoost scales it). Squared error's hessian is the weight, so each
    tree's leaves hold H summing to the training weights."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    X, y = (load_diabetes if task == "regression" else load_breast_cancer)(return_X_y=True, as_frame=True)
    y = y.to_numpy(np.float64)
    w = np.random.default_rng(0).integers(1, 4, len(y)).astype(np.float64)
    tr, te = np.arange(300), np.arange(300, 400)
    fold = Fold(X.iloc[tr], y[tr], X.iloc[te], y[te], task, w_train=w[tr], w_test=w[te], keep_leaves=True)
    eng = ENGINES[name]
    params = {**eng.default_params, "reg_alpha": 0.0, "reg_lambda": 2.0, "n_estimators": 6}
    prepared = eng.prepare(fold, params, threads=1)
    model = eng.fit(prepared, params, seed=0, threads=1)
    record, curves = eng.measure(model, prepared, params, fold)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-9
    assert record["test_error"] == pytest.approx(curves.test_error.iloc[-1], rel=1e-9)  # weighted both ways
    if task == "regression":
        np.testing.assert_allclose(record["_leaves"].groupby("tree").H.sum(), w[tr].sum(), rtol=1e-12)
        unweighted = float(np.sqrt(np.mean((eng.predict_margin(model, prepared, fold) - y[te]) ** 2)))
        weighted = float(np.sqrt(np.average((eng.predict_margin(model, prepared, fold) - y[te]) ** 2, weights=w[te])))
        assert record["test_rmse"] == pytest.approx(weighted, rel=1e-12) and weighted != pytest.approx(unweighted)


def test_the_guide_reads_each_tasks_shared_metric():
    """The guide's shared metric per task: AUC (binary), R² (regression), accuracy (multiclass)."""
    from boostreg.guide.evidence import SHARED, shared_metric

    fits = pd.DataFrame(
        {
            "task": ["binary", "regression", "multiclass", "multiclass"],
            "test_auc": [0.8, np.nan, 0.95, 0.9],
            "test_r2": [np.nan, 0.4, np.nan, np.nan],
            "test_accuracy": [0.7, np.nan, 0.75, 0.5],
        }
    )
    np.testing.assert_array_equal(shared_metric(fits), [0.8, 0.4, 0.75, 0.5])
    assert SHARED["multiclass"] == ("test_accuracy", "accuracy")
