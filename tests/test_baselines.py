"""scikit-learn baselines on the boosters' folds: real fits, the same records, sparsity signals, one penalty axis."""

import numpy as np
import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.data import load_builtin
from boostreg.engines import ENGINES, Fold
from boostreg.engines.base import primary_metric_name
from boostreg.engines.linear import coef_columns, preprocess
from boostreg.folds import fold_indices
from boostreg.plan import make_plan
from boostreg.study import study_from_dict

pytestmark = pytest.mark.slow  # every baseline fitted on real data against plain scikit-learn

BASELINES = ["lasso", "ridge", "elasticnet", "logistic_l1", "linear_svc_l1", "svr_rbf", "svc_rbf"]


def baseline_study(name="baselines"):
    return Study(
        name=name,
        engines=["xgboost", *BASELINES],
        datasets=[
            DatasetSpec(name="sparse_linear", params={"n_samples": 400}),
            DatasetSpec(name="breast_cancer", max_rows=300),
        ],
        grid={"reg_alpha": [0, 10], "reg_lambda": [0, 1]},
        params={"n_estimators": 10, "learning_rate": 0.3},
        engine_params={"xgboost": {"max_depth": 3}},
        baseline_grid={
            "lasso": [0.001, 0.01, 0.05, 0.2, 1.0],
            "ridge": [0.1, 10, 1000],
            "svr_rbf": [0.1, 10],
            "svc_rbf": [0.1, 10],
        },
        folds=2,
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_study(baseline_study(), tmp_path_factory.mktemp("bl") / "out", jobs=1, progress=False)


@pytest.fixture(scope="module")
def fits(result):
    return result.fits


def test_every_fit_ok_and_engines_only_on_their_tasks(fits):
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    tasks = fits.groupby("engine").task.agg(set)
    assert tasks["lasso"] == tasks["ridge"] == tasks["svr_rbf"] == {"regression"}
    assert tasks["logistic_l1"] == tasks["linear_svc_l1"] == tasks["svc_rbf"] == {"binary"}
    assert tasks["xgboost"] == {"regression", "binary"}
    # lasso: 5 penalties + Lasso() as users run it (a fit of its own: raw y) x 2 folds; logistic_l1 default grid
    # 6 x 2, its default the grid's C = 1
    assert (fits.engine == "lasso").sum() == 12 and (fits.engine == "logistic_l1").sum() == 12
    lasso = fits[fits.engine == "lasso"]
    assert (lasso.is_default == ~lasso.in_grid).all() and lasso[lasso.is_default].penalty.eq(1.0).all()
    logit = fits[fits.engine == "logistic_l1"]
    assert logit.in_grid.all() and logit[logit.is_default].penalty.eq(1.0).all()


def test_lasso_sparsity_rises_with_alpha_ridge_has_none(fits):
    lasso = fits[(fits.engine == "lasso") & (fits.dataset == "sparse_linear") & fits.in_grid]
    zeros = lasso.groupby("penalty").zero_coef_frac.mean()
    assert zeros.is_monotonic_increasing and zeros.iloc[0] < 0.5 and zeros.iloc[-1] == 1.0
    noise = lasso.groupby("penalty").n_noise_features_used.mean()
    assert noise.is_monotonic_decreasing and noise.iloc[0] > 20 and noise.iloc[-1] == 0
    ridge = fits[fits.engine == "ridge"]
    assert (ridge.zero_coef_frac == 0).all() and (ridge.n_features_used == 50).all()
    assert (ridge.n_noise_features_used == 45).all()


def test_all_engines_share_the_folds(fits):
    digests = fits.groupby(["dataset", "fold", "seed"]).fold_digest.nunique()
    assert (digests == 1).all()
    engines = fits.groupby(["dataset", "fold", "seed"]).engine.nunique()
    assert (engines >= 4).all()  # xgboost and the three baselines of each task


def test_baseline_records_carry_the_same_columns(fits):
    base = fits[fits.engine.isin(BASELINES)]
    assert base.reg_alpha.isna().all() and base.reg_lambda.isna().all()
    assert base.penalty.notna().all() and fits[fits.engine == "xgboost"].penalty.isna().all()
    assert base.engine_version.notna().all() and base.fold_digest.notna().all()
    kinds = base.groupby("engine").penalty_kind.first()
    assert kinds.to_dict() == {
        "lasso": "l1",
        "ridge": "l2",
        "elasticnet": "elasticnet",
        "logistic_l1": "l1",
        "linear_svc_l1": "l1",
        "svr_rbf": "c",
        "svc_rbf": "c",
    }
    reg = base[base.task == "regression"]
    np.testing.assert_allclose(reg.test_error, reg.test_rmse)
    logit = base[base.engine == "logistic_l1"]
    np.testing.assert_allclose(logit.test_error, logit.test_logloss)
    assert (logit.primary_metric == "logloss").all()
    # no probabilities: no log loss, accuracy and AUC from the margin, and the primary metric falls back to error
    svc = base[base.engine.isin(["linear_svc_l1", "svc_rbf"])]
    assert svc.test_logloss.isna().all() and svc.train_logloss.isna().all() and (svc.primary_metric == "error").all()
    np.testing.assert_allclose(svc.test_error, 1 - svc.test_accuracy)
    np.testing.assert_allclose(svc.train_error, 1 - svc.train_accuracy)
    assert svc.test_accuracy.between(0.5, 1).all() and svc.test_auc.notna().all()
    assert base.valid_error.isna().all()  # no validation split in this study
    assert fits[fits.engine == "svc_rbf"].test_accuracy.max() > 0.9


def test_shrinkage_is_against_the_least_penalized_fit_of_the_group(fits):
    base = fits[fits.engine.isin(["lasso", "ridge", "elasticnet", "logistic_l1", "linear_svc_l1"])]
    for engine, df in base.groupby("engine"):
        least = df.penalty.min() if ENGINES[engine].penalty_param == "alpha" else df.penalty.max()
        ref = df[df.penalty == least].set_index("group_id").coef_abs_mean
        np.testing.assert_allclose(df.shrinkage_vs_unpenalized, 1 - df.coef_abs_mean / df.group_id.map(ref))
        assert (df[df.penalty == least].shrinkage_vs_unpenalized == 0).all()


def test_svms_count_support_vectors_and_have_no_coefficients(fits):
    svm = fits[fits.engine.isin(["svr_rbf", "svc_rbf"])]
    assert svm.coef_abs_mean.isna().all() and svm.prior_laplace_scale.isna().all()
    assert (svm.n_support > 0).all() and svm.support_frac.between(0, 1, inclusive="right").all()
    np.testing.assert_allclose(svm.support_frac, svm.n_support / svm.n_train)
    assert fits[~fits.engine.isin(["svr_rbf", "svc_rbf"])].n_support.isna().all()


def test_penalty_axis_for_every_fit(fits):
    lasso = fits[fits.engine == "lasso"].sort_values("penalty")
    assert lasso.penalty_normalized.notna().all()
    # >= 1 means every coefficient is zero
    assert (lasso[lasso.penalty_normalized >= 1].zero_coef_frac == 1).all()
    assert (lasso[lasso.penalty_normalized < 0.9].zero_coef_frac < 1).all()
    ridge = fits[fits.engine == "ridge"]
    assert ridge.lambda_normalized.between(0, 1).all() and (ridge.alpha_normalized == 0).all()
    assert ridge.groupby("penalty").lambda_normalized.mean().is_monotonic_increasing
    xgb = fits[fits.engine == "xgboost"]
    assert xgb.penalty_normalized.notna().all() and xgb.first_tree_grad_abs_max.gt(0).all()
    ref = xgb[(xgb.reg_alpha == 0) & (xgb.reg_lambda == 0)].set_index("group_id")
    np.testing.assert_allclose(xgb.alpha_normalized, xgb.reg_alpha / xgb.group_id.map(ref.first_tree_grad_abs_max))
    hbar = xgb.group_id.map(ref.first_tree_hess_mean)
    np.testing.assert_allclose(xgb.lambda_normalized, xgb.reg_lambda / (xgb.reg_lambda + hbar))
    assert set(xgb.penalty_kind) == {"none", "l1", "l2", "elasticnet"}


def test_prior_columns_for_boosters_and_linear_models(fits):
    xgb = fits[fits.engine == "xgboost"]
    assert xgb.prior_laplace_scale.gt(0).all() and xgb.prior_gauss_scale.gt(0).all()
    np.testing.assert_allclose(xgb.prior_laplace_scale, xgb.leaf_abs_mean, rtol=1e-6)
    np.testing.assert_allclose(xgb.prior_implied_l1, 1 / xgb.prior_laplace_scale)
    ridge = fits[fits.engine == "ridge"]
    np.testing.assert_allclose(ridge.prior_laplace_scale, ridge.coef_abs_mean)
    np.testing.assert_allclose(ridge.prior_implied_l2, 1 / (2 * ridge.prior_gauss_scale**2))


def test_no_curves_for_baselines_and_dynamics_written(result, fits):
    curves = result.curves
    assert set(curves.fit_id) <= set(fits[fits.engine == "xgboost"].fit_id)
    dyn = pd.read_parquet(result.out / "dynamics.parquet")
    assert set(dyn.rule) == {"l2", "l1_subgradient", "l1_proximal"}


def test_rerun_skips_every_stored_fit(result):
    again = run_study(baseline_study(), result.out, jobs=1, progress=False)
    assert again.n_run == 0 and again.n_skipped == result.n_planned


def test_resume_after_losing_baseline_fits_restores_the_same_records(result, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(result.out, out)
    fits = result.fits
    lost = fits[fits.engine.isin(["lasso", "logistic_l1"])].fit_id.iloc[::2]  # references among them
    from boostreg.store import ParquetStore

    ParquetStore(out).remove(set(lost))
    again = run_study(baseline_study(), out, jobs=1, progress=False)
    assert again.n_run == len(lost)
    cols = ["fit_id", "test_error", "coef_abs_mean", "shrinkage_vs_unpenalized", "penalty_normalized"]
    a = fits[cols].sort_values("fit_id").reset_index(drop=True)
    b = again.fits[cols].sort_values("fit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_one_hot_feature_counts_once_when_any_dummy_is_used():
    X = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "c": pd.Categorical(["x", "y", "z", "x", None, "y"]),
            "b": [0.0, 1, 0, 1, 0, 1],
        }
    )
    fold = Fold(X.iloc[:4], np.arange(4.0), X.iloc[4:], np.arange(2.0), "regression", noise_features=("b", "c"))
    prep = preprocess(fold)
    assert prep.X_train.shape == (4, 2 + 3) and not np.isnan(prep.X_train).any()  # a, b, c=x/y/z
    assert list(prep.feature_of_column) == [0, 2, 1, 1, 1]
    coef = np.array([0.0, 0.0, 0.0, 0.3, 0.0])  # one dummy of c
    cols = coef_columns(coef, prep, fold.noise_features)
    assert cols["n_features_used"] == 1 and cols["n_noise_features_used"] == 1
    assert cols["zero_coef_frac"] == 0.8 and cols["coef_l1_norm"] == pytest.approx(0.3)
    assert prep.X_test.shape == (2, 5)  # missing level at test: ignored, not an error


def test_categorical_data_fits_end_to_end():
    ds = load_builtin("credit_data", max_rows=400)
    engine = ENGINES["logistic_l1"]
    fold = Fold(ds.X.iloc[:300], ds.y[:300], ds.X.iloc[300:], ds.y[300:], "binary", primary_metric="logloss")
    prep = engine.prepare(fold, {}, threads=1)
    record, curves = engine.measure(engine.fit(prep, {"penalty": 1.0}, seed=0, threads=1), prep, {"penalty": 1.0}, fold)
    assert curves is None and 0 < record["n_features_used"] <= ds.X.shape[1]
    assert np.isfinite(record["test_error"]) and 0 < record["penalty_normalized"] < 1


def test_baseline_grid_from_toml_and_deterministic_fit_ids():
    doc = {
        "study": {"name": "t", "engines": ["lasso", "logistic_l2", "svc_rbf"], "folds": 2},
        "datasets": [{"name": "diabetes"}, {"name": "breast_cancer"}],
        "baseline_grid": {"penalty": {"log": [0.01, 1], "num": 3}, "svc_rbf": {"penalty": [0.5, 5]}},
    }
    study = study_from_dict(doc)
    assert study.baseline_penalties("lasso") == [0.01, 0.1, 1.0]  # alpha: ascending
    assert study.baseline_penalties("logistic_l2") == [1.0, 0.1, 0.01]  # C: descending
    assert study.baseline_penalties("svc_rbf") == [5.0, 0.5]
    data = {"diabetes": load_builtin("diabetes"), "breast_cancer": load_builtin("breast_cancer")}
    groups = make_plan(study, data)
    assert {(g.engine, g.task) for g in groups} == {
        ("lasso", "regression"),
        ("logistic_l2", "binary"),
        ("svc_rbf", "binary"),
    }
    ids = [f.fit_id for g in groups for f in g.fits]
    # lasso: Lasso() on raw y is a fit of its own beside the grid's alpha = 1; svc_rbf: scikit-learn's C = 1 added
    assert len(set(ids)) == len(ids) == 2 * (3 + 1) + 2 * 3 + 2 * (2 + 1)
    assert ids == [f.fit_id for g in make_plan(study_from_dict(doc), data) for f in g.fits]
    assert study_from_dict(study.to_toml_dict()) == study  # [baseline_grid] survives the round trip
    default = study_from_dict({**doc, "baseline_grid": {}})
    assert default.baseline_penalties("lasso") == ENGINES["lasso"].least_penalized_first(
        default.baseline_penalties("lasso")
    )


@pytest.mark.parametrize(
    "grid, message",
    [
        ({"penalty": [0, 1]}, "must be > 0"),
        ({"xgboost": {"penalty": [1]}}, "unknown key 'xgboost'"),
        ({"lasso": {"alpha": [1]}}, "unknown key 'alpha'"),
    ],
)
def test_bad_baseline_grids_are_refused(grid, message):
    from boostreg.errors import BoostregError

    with pytest.raises(BoostregError, match=message):
        study_from_dict(
            {"study": {"name": "t", "engines": ["lasso"]}, "datasets": [{"name": "diabetes"}], "baseline_grid": grid}
        )


BASELINE_ENGINES = sorted(name for name, engine in ENGINES.items() if engine.kind == "baseline")
BINARY_BASELINES = [
    name for name in BASELINE_ENGINES if "binary" in ENGINES[name].tasks and "regression" not in ENGINES[name].tasks
]


def split_fold(ds, primary_metric="auto", valid=True, n_train=240, n_valid=80, n_test=80):
    """A fold of the first rows (train), the next (validation, when asked) and the next (test)."""
    X, y = ds.X, ds.y
    v0, t0 = n_train, n_train + (n_valid if valid else 0)
    return Fold(
        X.iloc[:n_train],
        y[:n_train],
        X.iloc[t0 : t0 + n_test],
        y[t0 : t0 + n_test],
        ds.task,
        primary_metric=primary_metric,
        noise_features=ds.noise,
        X_valid=X.iloc[v0:t0] if valid else None,
        y_valid=y[v0:t0] if valid else None,
    )


def fit_and_measure(name, fold, penalty=1.0, params=None):
    engine = ENGINES[name]
    params = {**engine.default_params, **(params or {}), "penalty": penalty}
    prep = engine.prepare(fold, params, threads=1)
    model = engine.fit(prep, params, seed=0, threads=1)
    record, curves = engine.measure(model, prep, params, fold)
    assert curves is None
    return record, model, prep


@pytest.mark.parametrize("name", BINARY_BASELINES)
@pytest.mark.parametrize("chosen", ["logloss", "error"])
def test_a_model_without_probabilities_falls_back_to_the_error(name, chosen):
    engine = ENGINES[name]
    fold = split_fold(load_builtin("breast_cancer"), primary_metric=chosen, valid=False)
    record, model, prep = fit_and_measure(name, fold)
    metric = chosen if engine.has_proba else "error"
    assert record["primary_metric"] == metric
    for prefix, X, y in (("train", prep.X_train, fold.y_train), ("test", prep.X_test, fold.y_test)):
        assert np.isfinite(record[f"{prefix}_error"])
        accuracy = np.mean((model.decision_function(X) > 0) == (y > 0.5))
        assert record[f"{prefix}_accuracy"] == pytest.approx(accuracy)
        if metric == "error":
            assert record[f"{prefix}_error"] == pytest.approx(1 - accuracy)
        else:
            assert record[f"{prefix}_error"] == pytest.approx(record[f"{prefix}_logloss"])
        assert np.isnan(record[f"{prefix}_logloss"]) != engine.has_proba  # no probabilities: no log loss
    assert np.isnan(record["valid_error"])  # no validation split


@pytest.mark.parametrize(
    "name, dataset, metric",
    [
        ("ridge", "sparse_linear", "rmse"),
        ("svr_rbf", "diabetes", "mae"),
        ("linear_svr_l2loss", "diabetes", "auto"),
        ("logistic_l2", "breast_cancer", "logloss"),
        ("logistic_l1", "credit_data", "logloss"),
        ("linear_svc_l2", "breast_cancer", "logloss"),
        ("svc_rbf", "binary_noise", "error"),
    ],
)
def test_valid_error_is_the_primary_metric_on_the_validation_rows(name, dataset, metric):
    from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error

    ds = load_builtin(dataset, max_rows=500)
    fold = split_fold(ds, primary_metric=metric)
    record, model, prep = fit_and_measure(name, fold, penalty=0.5)
    # the validation rows are transformed by the preprocessing fitted on the training rows only
    assert prep.X_valid.shape == (len(fold.y_valid), prep.X_train.shape[1])
    assert len(prep.y_train) == len(fold.y_train)
    num = [c for c in fold.X_train.columns if not isinstance(fold.X_train[c].dtype, pd.CategoricalDtype)]
    if not any(fold.X_train[num].isna().any()) and num:
        Xtr, Xva = fold.X_train[num].to_numpy(float), fold.X_valid[num].to_numpy(float)
        np.testing.assert_allclose(prep.X_valid[:, : len(num)], (Xva - Xtr.mean(0)) / Xtr.std(0), atol=1e-10)
    resolved = ENGINES[name].primary_metric(fold)
    assert record["primary_metric"] == resolved
    if fold.task == "regression":
        pred = model.predict(prep.X_valid) * prep.y_scale + prep.y_mean
        expected = {
            "rmse": lambda: np.sqrt(mean_squared_error(fold.y_valid, pred)),
            "mae": lambda: mean_absolute_error(fold.y_valid, pred),
        }[resolved]()
    elif resolved == "logloss":
        expected = log_loss(fold.y_valid, model.predict_proba(prep.X_valid)[:, 1])
    else:
        expected = 1 - accuracy_score(fold.y_valid, model.predict(prep.X_valid))
    assert resolved == (primary_metric_name(fold) if ENGINES[name].has_proba or fold.task == "regression" else "error")
    assert record["valid_error"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # and the same model without a split: valid_error NaN, the other columns unchanged
    nosplit = Fold(
        fold.X_train,
        fold.y_train,
        fold.X_test,
        fold.y_test,
        fold.task,
        primary_metric=metric,
        noise_features=fold.noise_features,
    )
    again, _, _ = fit_and_measure(name, nosplit, penalty=0.5)
    assert np.isnan(again["valid_error"]) and again["test_error"] == pytest.approx(record["test_error"])


@pytest.mark.parametrize("name", ["logistic_l1", "logistic_elasticnet"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "credit_data"])
def test_strongest_l1_logistic_predicts_the_base_rate_not_one_half(name, dataset):
    """The intercept is not penalized: with every coefficient 0 the model is the training base rate."""
    ds = load_builtin(dataset)
    train, test = fold_indices(ds.y, ds.task, 3, 0)[0]  # a fold of the default study
    fold = Fold(ds.X.iloc[train], ds.y[train], ds.X.iloc[test], ds.y[test], ds.task, primary_metric="logloss")
    engine = ENGINES[name]
    record, model, prep = fit_and_measure(name, fold, penalty=1e-3)  # the default grid's strongest
    assert np.all(model.coef_ == 0) and record["zero_coef_frac"] == 1 and record["alpha_normalized"] >= 1
    q = fold.y_train.mean()
    by_hand = -np.mean(fold.y_test * np.log(q) + (1 - fold.y_test) * np.log(1 - q))
    assert record["test_logloss"] == pytest.approx(by_hand, abs=1e-6)
    assert abs(record["test_logloss"] - np.log(2)) > 0.02
    # the L1 axis: >= 1 exactly when every coefficient is 0 (intercept free: C <= l1_ratio / max|X^T (y - ybar)|)
    y = prep.y_train
    c0 = float(engine.default_params.get("l1_ratio", engine.l1_ratio)) / np.abs(prep.X_train.T @ (y - y.mean())).max()
    for factor, zero in ((0.99, True), (1.5, False)):
        rec, m, _ = fit_and_measure(name, fold, penalty=factor * c0)
        assert (rec["alpha_normalized"] >= 1) == zero and bool(np.all(m.coef_ == 0)) == zero


@pytest.mark.parametrize("name", BASELINE_ENGINES)
def test_library_default_is_the_estimators_own(name):
    """library_defaults["penalty"] is the default of the estimator's alpha or C, and penalty reaches that argument."""
    import inspect

    engine = ENGINES[name]
    params = {**engine.default_params, "penalty": 0.37}
    est = engine.estimator(0.37, params, 0)
    default = inspect.signature(type(est)).parameters[engine.penalty_param].default
    assert engine.library_defaults == {"penalty": default}  # 1.0 for alpha and C; 1e-4 for the MLP's weight decay
    assert est.get_params()[engine.penalty_param] == 0.37


NOISE_DATA = {"regression": ("sparse_linear", {"n_samples": 400}), "binary": ("binary_noise", {"n_samples": 600})}


def noise_fold(task):
    """Fold 0 of 3 of a synthetic dataset with known noise features (45 of 50 / 15 of 20)."""
    name, params = NOISE_DATA[task]
    ds = load_builtin(name, params=params)
    train, test = fold_indices(ds.y, ds.task, 3, 0)[0]
    return Fold(ds.X.iloc[train], ds.y[train], ds.X.iloc[test], ds.y[test], ds.task, noise_features=ds.noise)


def strongest(engine):
    """The most penalized point of the engine's default grid (largest alpha, smallest C)."""
    return engine.least_penalized_first(list(engine.default_grid["log"]))[-1]


@pytest.mark.parametrize("name", BASELINE_ENGINES)
def test_the_penalty_kind_shows_in_the_fit(name):
    """l1 / elasticnet: exact zeros at a moderate penalty, most of them on noise features; l2: no zero at any
    penalty; c (RBF SVMs): fewer support vectors as C grows. A new baseline is covered by its penalty_kind."""
    engine = ENGINES[name]
    for task in engine.tasks:
        if task in NOISE_DATA:  # no synthetic multiclass data with known noise (test_multiclass_baselines.py)
            _penalty_kind_shows(name, engine, task)


def _penalty_kind_shows(name, engine, task):
    fold = noise_fold(task)
    n_noise = len(fold.noise_features)
    params = dict(engine.default_params)
    if engine.penalty_kind in ("l1", "elasticnet"):
        prep = engine.prepare(fold, params, threads=1)
        a1 = engine.axis(prep, 1.0, params)[0]  # the L1 axis at penalty 1: linear in alpha, 1/C in C
        penalty = 0.3 / a1 if engine.penalty_param == "alpha" else a1 / 0.3  # 30% of the all-zero penalty
        record, _, _ = fit_and_measure(name, fold, penalty, params)
        assert record["alpha_normalized"] == pytest.approx(0.3)
        assert 0 < record["zero_coef_frac"] < 1 and record["n_noise_features_used"] < n_noise / 2
        assert record["n_features_used"] - record["n_noise_features_used"] >= 3  # the signal stays
    elif engine.penalty_kind == "l2":
        for penalty in (engine.library_defaults["penalty"], strongest(engine)):
            record, _, _ = fit_and_measure(name, fold, penalty, params)
            assert record["zero_coef_frac"] == 0 and record["n_noise_features_used"] == n_noise, penalty
            assert record["coef_abs_mean"] > 0
    elif engine.penalty_kind == "c":
        low, high = sorted(engine.default_grid["log"])
        frac = [fit_and_measure(name, fold, c, params)[0]["support_frac"] for c in (low, 1.0, high)]
        assert frac[0] > frac[1] > frac[2] > 0, frac
    else:
        pytest.fail(f"no check for penalty_kind {engine.penalty_kind!r}: add one here")


# ------------------------------------------------------------------------------------ defaults as users run them


def _plain_preprocessing(X):
    """What a user puts before the estimator in a Pipeline: mean-impute and standardize the numbers, one-hot the
    categories (unknown test levels ignored). Written out here, not taken from boostreg's ``preprocess``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cat = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    num = [c for c in X.columns if c not in cat]
    parts = [("num", make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), StandardScaler()), num)]
    if cat:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def _plain(name, seed=0):
    """The scikit-learn estimator a user runs for each baseline: the class with its own defaults (the engine's loss
    or penalty type where the engine is one of the class's variants; a fixed seed where the solver shuffles)."""
    from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
    from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR

    return {
        "lasso": Lasso(),
        "ridge": Ridge(),
        "elasticnet": ElasticNet(),
        "svr_rbf": SVR(),
        "linear_svr_l1loss": LinearSVR(random_state=seed),
        "linear_svr_l2loss": LinearSVR(loss="squared_epsilon_insensitive", random_state=seed),
        "logistic_l2": LogisticRegression(),
        "linear_svc_l2": LinearSVC(random_state=seed),
        "linear_svc_l1": LinearSVC(penalty="l1", random_state=seed),
        "svc_rbf": SVC(),
        # L1 / elastic-net logistic: saga is scikit-learn's one solver for them with an unpenalized intercept;
        # boostreg solves the same problem to its optimum (see _Logistic), so compare with a converged saga
        "logistic_l1": LogisticRegression(l1_ratio=1.0, solver="saga", max_iter=100_000, tol=1e-10),
        "logistic_elasticnet": LogisticRegression(l1_ratio=0.5, solver="saga", max_iter=100_000, tol=1e-10),
    }[name]


def default_fit_and_plain(name, dataset, max_rows=None):
    """boostreg's library-default fit of ``name`` on fold 0 of a 3-fold study (planned and run as a study runs
    it), and the plain scikit-learn pipeline fitted on the same training rows: (record, pipeline, dataset, train,
    test)."""
    import warnings

    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline

    from boostreg.fit import run_fits
    from boostreg.folds import split_folds

    spec = DatasetSpec(name=dataset, max_rows=max_rows)
    ds = load_builtin(dataset, max_rows=max_rows)
    study = Study(name="defaults", engines=[name], datasets=[spec], folds=3)
    group = next(g for g in make_plan(study, {spec.label: ds}) if g.fold == 0)
    default = [f for f in group.fits if f.is_default]
    assert len(default) == 1 and default[0].params["penalty"] == ENGINES[name].library_defaults["penalty"]
    ((record, _),) = run_fits(group, [default[0].fit_id], None, 1)
    assert record["status"] == "ok", record.get("error")
    train, test = split_folds(ds, 3, group.seed)[0]
    pipe = make_pipeline(_plain_preprocessing(ds.X), clone(_plain(name, group.seed)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # as a user's run may warn
        pipe.fit(ds.X.iloc[train], ds.y[train])
    return record, pipe, ds, train, test


REGRESSION_DEFAULTS = ["lasso", "ridge", "elasticnet", "svr_rbf", "linear_svr_l1loss", "linear_svr_l2loss"]


@pytest.mark.parametrize("dataset, max_rows", [("diabetes", None), ("diamonds", 3000)])
@pytest.mark.parametrize("name", REGRESSION_DEFAULTS)
def test_regression_default_is_the_plain_estimator_on_the_users_target(name, dataset, max_rows):
    """The is_default fit is what ``make_pipeline(<preprocessing>, Lasso())`` gives on the same fold: fitted on y
    as the user has it, not on the standardized y of the grid (where Lasso(alpha=1) zeroes every coefficient)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    record, pipe, ds, train, test = default_fit_and_plain(name, dataset, max_rows)
    for prefix, rows in (("test", test), ("train", train)):
        pred = pipe.predict(ds.X.iloc[rows])
        y = ds.y[rows]
        assert record[f"{prefix}_rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)), rel=1e-6), prefix
        assert record[f"{prefix}_mae"] == pytest.approx(mean_absolute_error(y, pred), rel=1e-6), prefix
        assert record[f"{prefix}_r2"] == pytest.approx(r2_score(y, pred), rel=1e-6, abs=1e-9), prefix
    assert record["test_error"] == record["test_rmse"] and not record["in_grid"] and record["is_default"]
    model = pipe[-1]
    sd = float(np.std(ds.y[train]))
    if hasattr(model, "coef_"):  # the record's coefficients: the user's, in standardized-y units (/ sd of y)
        coef = np.ravel(model.coef_)
        assert record["coef_abs_mean"] == pytest.approx(np.abs(coef).mean() / sd, rel=1e-6)
        assert record["zero_coef_frac"] == np.mean(coef == 0)
    else:
        assert record["n_support"] == len(model.support_)
    if name in ("lasso", "elasticnet"):  # the L1 axis of the user's alpha: >= 1 exactly when every coefficient is 0
        Xs = pipe[0].transform(ds.X.iloc[train])
        alpha_max = np.abs((Xs - Xs.mean(0)).T @ (ds.y[train] - ds.y[train].mean())).max() / len(train)
        rho = 1.0 if name == "lasso" else 0.5
        assert record["alpha_normalized"] == pytest.approx(rho / alpha_max, rel=1e-9)
        assert (record["alpha_normalized"] >= 1) == bool(np.all(np.ravel(model.coef_) == 0))


@pytest.mark.parametrize("name", BINARY_BASELINES)
def test_binary_default_is_the_plain_estimator(name):
    """Binary baselines have no target to scale: the default fit is the class with its own C on the same fold."""
    from scipy.special import expit
    from sklearn.metrics import accuracy_score, roc_auc_score

    record, pipe, ds, train, test = default_fit_and_plain(name, "breast_cancer")
    assert record["in_grid"] and record["is_default"]  # C = 1 is in the default grid: that grid fit is the default
    margin = pipe.decision_function(ds.X.iloc[test])
    y = ds.y[test]
    converged = name in ("logistic_l1", "logistic_elasticnet")  # the same optimum, reached by another solver
    rel = 2e-2 if converged else 1e-6
    assert record["test_accuracy"] == pytest.approx(accuracy_score(y, margin > 0), rel=rel)
    assert record["test_auc"] == pytest.approx(roc_auc_score(y, margin), rel=rel / 10 if converged else rel)
    if ENGINES[name].has_proba:
        p = expit(margin)
        assert record["test_logloss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=rel)


def test_the_grid_keeps_its_standardized_point_beside_the_users_default():
    """Lasso's grid point alpha = 1 (standardized y: every coefficient 0 on diabetes) stays in the grid as it was;
    Lasso() as users run it is another fit, with its own fit_id, the same params and penalty."""
    from boostreg.fit import run_fits

    spec = DatasetSpec(name="diabetes")
    ds = load_builtin("diabetes")
    study = Study(name="defaults", engines=["lasso"], datasets=[spec], folds=3)
    group = next(g for g in make_plan(study, {spec.label: ds}) if g.fold == 0)
    grid = [f for f in group.fits if f.in_grid and f.params["penalty"] == 1.0]
    default = [f for f in group.fits if f.is_default]
    assert len(grid) == len(default) == 1 and not grid[0].is_default and not default[0].in_grid
    assert grid[0].params == default[0].params and grid[0].fit_id != default[0].fit_id
    assert group.fits[1] is default[0]  # right after the reference, as an added default always was
    records = {r["fit_id"]: r for r, _ in run_fits(group, [grid[0].fit_id, default[0].fit_id], None, 1)}
    on_grid, users = records[grid[0].fit_id], records[default[0].fit_id]
    assert on_grid["zero_coef_frac"] == 1 and on_grid["alpha_normalized"] > 1 and on_grid["test_r2"] < 0.01
    assert users["zero_coef_frac"] < 1 and users["alpha_normalized"] < 1 and users["test_r2"] > 0.3
