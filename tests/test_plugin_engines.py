"""The plug-in engines (histgb, catboost, mlp) and an engine registered from a test: real studies, records, report.

histgb and catboost are L2-only boosters (reg_alpha = 0 fits only) with a real theory check; mlp is a baseline.
The catboost tests need the optional extra (``pip install 'boostreg[catboost]'``) and skip without it.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_xy

from boostreg import DatasetSpec, Study, measure, relative, run_study
from boostreg.data import load_builtin
from boostreg.engines import ENGINES, Fold, register_engine
from boostreg.engines.xgboost import XGBoostEngine
from boostreg.report import build_report
from boostreg.tables import summary_table

pytestmark = pytest.mark.slow  # real studies with the plug-in engines

HAS_CATBOOST = "catboost" in ENGINES
NEW_BOOSTERS = ["histgb"] + (["catboost"] if HAS_CATBOOST else [])


class ToyBooster(XGBoostEngine):
    """XGBoost under another name, with a record column of its own: what a user's plug-in looks like."""

    name = "toy_booster"
    library = "xgboost"
    record_columns = {"toy_rounds": "int64"}

    def measure(self, model, prepared, params, fold):
        record, curves = super().measure(model, prepared, params, fold)
        record["toy_rounds"] = int(model.num_boosted_rounds())
        return record, curves


@pytest.fixture(scope="module")
def toy():
    engine = register_engine(ToyBooster())
    try:
        yield engine
    finally:
        ENGINES.pop("toy_booster", None)  # other test modules see the registry as it was


@pytest.fixture(scope="module")
def run(toy, tmp_path_factory):
    """One small study: the new engines beside xgboost and the toy engine; sparse_linear's reg_lambda relative."""
    engines = ["xgboost", "toy_booster", *NEW_BOOSTERS, "mlp"]
    study = Study(
        name="plugins",
        engines=engines,
        datasets=[
            DatasetSpec(name="sparse_linear", params={"n_samples": 300}, grid={"reg_lambda": relative([0, 1])}),
            DatasetSpec(name="breast_cancer", max_rows=300),
        ],
        grid={"reg_lambda": [0, 1]},
        params={"n_estimators": 10, "learning_rate": 0.3, "validation_fraction": 0.2},
        engine_params={"xgboost": {"max_depth": 3}, "toy_booster": {"max_depth": 3}},
        baseline_grid={"mlp": [1e-4, 1.0]},
        folds=2,
        check="all",
    )  # every fit checked
    out = tmp_path_factory.mktemp("plugins") / "out"
    # two single-threaded workers (the toy engine travels to them with cloudpickle); faster than one process with two
    # threads per fit on a busy 2-core machine
    result = run_study(study, out, jobs=2, progress=False)
    fits = result.fits
    html = build_report(result).read_text(encoding="utf-8")
    return {"out": out, "fits": fits, "curves": result.curves, "html": html, "summary": summary_table(fits)}


def test_every_fit_ok_and_each_engine_fits_only_its_penalties(run):
    fits = run["fits"]
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    assert set(fits.engine) == {"xgboost", "toy_booster", "mlp", *NEW_BOOSTERS}
    for engine in NEW_BOOSTERS:  # L2-only: reg_alpha = 0 fits only; the grid's and the library default's reg_lambda
        f = fits[fits.engine == engine]
        assert (f.reg_alpha == 0).all() and f.penalty.isna().all()
        assert set(f.reg_lambda_relative[f.dataset == "sparse_linear"]) >= {0.0, 1.0}
        assert set(f.reg_lambda[f.dataset == "breast_cancer"]) >= {0.0, 1.0}
        assert f.is_default.any() and f.n_trees.eq(10).all() and f.valid_error.notna().all()
    cb = fits[(fits.engine == "catboost") & (fits.dataset == "breast_cancer")]
    assert set(cb.reg_lambda) == ({0.0, 1.0, 3.0} if HAS_CATBOOST else set())  # CatBoost's default 3 is added
    assert set(fits[fits.engine == "histgb"].penalty_kind) == {"none", "l2"}
    mlp = fits[fits.engine == "mlp"]
    assert set(mlp.penalty) == {1e-4, 1.0} and mlp.reg_alpha.isna().all() and (mlp.penalty_kind == "l2").all()
    assert set(mlp.task) == {"regression", "binary"} and mlp.is_default.any()
    assert mlp.valid_error.notna().all() and mlp.lambda_normalized.between(0, 1).all()
    import sklearn

    assert set(fits[fits.engine.isin(["histgb", "mlp"])].engine_version) == {sklearn.__version__}


def test_theory_check_is_real_for_the_new_boosters(run):
    fits = run["fits"]
    for engine in NEW_BOOSTERS + ["xgboost"]:
        f = fits[fits.engine == engine]
        assert (f.theory_check == "ok").all(), (engine, f.theory_check.unique())
        assert f.theory_max_rel_err.max() < 1e-6 and f.theory_max_plain_rel_err.notna().all(), engine
    for engine in NEW_BOOSTERS:
        assert fits[fits.engine == engine].theory_max_rel_err.max() < 1e-10  # float64 sums: rounding only
    assert fits[fits.engine == "mlp"].theory_check.isna().all()
    from boostreg.store import ParquetStore

    leaves = ParquetStore(run["out"]).leaves().merge(fits[["fit_id", "engine"]], on="fit_id")
    for engine in NEW_BOOSTERS:  # fold 0's leaves, stored for the report: value beside closed form, G and H
        lv = leaves[leaves.engine == engine]
        assert len(lv) > 0 and np.allclose(lv.value, lv.theory, rtol=1e-10, atol=1e-15) and (lv.H >= 0).all()


def test_relative_reg_lambda_comes_from_the_first_tree_of_the_unpenalized_fit(run):
    fits = run["fits"]
    for engine in NEW_BOOSTERS:
        f = fits[(fits.engine == engine) & (fits.dataset == "sparse_linear")]
        assert f.first_tree_hess_mean.gt(0).all() and f.first_tree_grad_abs_max.gt(0).all()
        ref = f[f.reg_lambda == 0].set_index("group_id").first_tree_hess_mean
        rel = f[f.reg_lambda_units == "relative"]
        assert len(rel) == 2 and (rel.reg_lambda_relative == 1).all()  # 2 folds (a 0 is raw in either unit)
        np.testing.assert_allclose(rel.reg_lambda, rel.reg_lambda_relative * rel.group_id.map(ref))
        np.testing.assert_allclose(f.lambda_normalized, f.reg_lambda / (f.reg_lambda + f.group_id.map(ref)))


def test_engine_record_columns_are_stored(run):
    stored = pd.read_parquet(run["out"] / "fits")
    mlp = stored.engine == "mlp"
    assert stored.n_iter[mlp].gt(0).all() and stored.n_iter[~mlp].isna().all()
    assert stored.converged[mlp].notna().all() and stored.converged[~mlp].isna().all()
    toy = stored.engine == "toy_booster"
    assert (stored.toy_rounds[toy] == stored.n_trees[toy]).all() and stored.toy_rounds[~toy].isna().all()
    if HAS_CATBOOST:
        cb = stored.engine == "catboost"
        assert stored.empty_leaf_frac[cb].between(0, 1).all() and stored.empty_leaf_frac[~cb].isna().all()
        assert stored.zero_leaf_frac[cb].between(0, 1).all()  # of the reached leaves: empty ones are apart


def test_curves_of_the_new_boosters_end_at_their_records(run):
    fits, curves = run["fits"], run["curves"]
    for engine in NEW_BOOSTERS + ["toy_booster"]:
        f = fits[fits.engine == engine].set_index("fit_id")
        c = curves[curves.fit_id.isin(f.index)]
        assert (c.groupby("fit_id").size().reindex(f.index) == f.n_trees).all()
        last = c.sort_values("round").groupby("fit_id").last()
        rtol = 1e-9 if engine in NEW_BOOSTERS else 1e-6  # XGBoost evaluates its test curve in float32
        np.testing.assert_allclose(last.test_error, f.test_error[last.index], rtol=rtol)
        np.testing.assert_allclose(last.train_error, f.train_error[last.index], rtol=1e-6)  # float32 log loss
        np.testing.assert_allclose(last.valid_error, f.valid_error[last.index], rtol=1e-12)
    assert not curves.fit_id.isin(fits[fits.engine == "mlp"].fit_id).any()  # baselines have no rounds


def test_summary_and_report_have_every_engine(run):
    summary, html = run["summary"], run["html"]
    for engine in ["xgboost", "toy_booster", "mlp", *NEW_BOOSTERS]:
        assert len(summary[summary.engine == engine]) == 2, engine  # both datasets (mlp: regression and binary)
        assert html.count(engine) >= 2, engine  # the subtitle and the tables
    assert set(summary[summary.engine.isin(NEW_BOOSTERS)].kind) == {"booster"}
    assert set(summary[summary.engine == "mlp"].kind) == {"baseline"}


def test_an_engine_registered_from_a_test_file_runs_end_to_end(run, toy):
    fits = run["fits"]
    mine, xgb = fits[fits.engine == "toy_booster"], fits[fits.engine == "xgboost"]
    assert len(mine) == len(xgb) and (mine.engine_version == xgb.engine_version.iloc[0]).all()
    # the same fits as xgboost's (same data, folds, parameters and seeds), under its own name and column
    np.testing.assert_allclose(
        mine.sort_values(["dataset", "fold", "reg_lambda", "in_grid"]).test_error,
        xgb.sort_values(["dataset", "fold", "reg_lambda", "in_grid"]).test_error,
    )
    assert set(mine.toy_rounds) == {10}
    assert "toy_booster" in set(run["summary"].engine) and "toy_booster" in run["html"]


# ---------------------------------------------------------------------------------------------- histgb


def _fold(task, n=500, categorical=False, valid=False, seed=0):
    X, y = synthetic_xy(task, n, 4, offset=3.0, categorical=categorical, colour_missing=True, seed=seed)
    a, b = int(n * 0.6), int(n * 0.8)
    if valid:
        return Fold(X.iloc[:a], y[:a], X.iloc[b:], y[b:], task, X_valid=X.iloc[a:b], y_valid=y[a:b])
    return Fold(X.iloc[:b], y[:b], X.iloc[b:], y[b:], task)


def _fit(name, fold, **kw):
    engine = ENGINES[name]
    params = {
        **engine.default_params,
        "n_estimators": 30,
        "learning_rate": 0.3,
        "reg_alpha": 0.0,
        "reg_lambda": 0.0,
        **kw,
    }
    prepared = engine.prepare(fold, params, threads=1)
    model = engine.fit(prepared, params, seed=0, threads=1)
    ens = engine.ensemble(model, prepared, fold, params)  # before measure() (which may end the model's caches)
    record, curves = engine.measure(model, prepared, params, fold)
    return engine, prepared, model, ens, record, curves


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_histgb_every_leaf_is_the_closed_form_with_categorical_splits(task):
    from boostreg.engines.histgb import theory_check

    fold = _fold(task, categorical=True)
    _, _, model, ens, record, curves = _fit("histgb", fold, reg_lambda=2.0)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-12
    assert any(p[0].nodes["is_categorical"][~p[0].nodes["is_leaf"].astype(bool)].any() for p in model._predictors)
    assert "colour" in {ens.feature_names[i] for f in ens.split_features for i in f}  # mapped back from sklearn's order
    wrong = theory_check(ens, model._loss, fold.y_train, reg_lambda=3.0, learning_rate=0.3)
    assert wrong.max_rel_err > 1e-3  # another lambda does not fit: the check is not vacuous
    assert curves.test_error.iloc[-1] == pytest.approx(record["test_error"], rel=1e-12)


def test_histgb_a_tree_without_a_split_adds_zero():
    fold = _fold("regression", n=200)
    *_, ens, record, _ = _fit("histgb", fold, min_child_samples=150)  # no split leaves 150 rows on each side
    assert record["n_leaves_max"] == 1 and record["zero_leaf_frac"] == 1.0 and record["theory_max_rel_err"] == 0
    assert record["test_error"] == pytest.approx(np.sqrt(np.mean((fold.y_test - fold.y_train.mean()) ** 2)))


def test_histgb_early_stopping_keeps_the_model_one_fit_gives():
    from sklearn.ensemble import HistGradientBoostingRegressor

    fold = _fold("regression", n=300, valid=True)
    engine, prepared, model, _, record, curves = _fit(
        "histgb", fold, n_estimators=400, learning_rate=0.5, early_stopping_rounds=5
    )
    kept = record["n_trees"]
    assert 1 <= kept < 100 and np.argmin(curves.valid_error) == kept - 1  # stopped, the best round kept
    assert record["valid_error"] == curves.valid_error.min()
    once = HistGradientBoostingRegressor(
        max_iter=kept, learning_rate=0.5, max_leaf_nodes=31, early_stopping=False, random_state=0
    ).fit(prepared.X_train, fold.y_train)
    for a, b in zip(model._predictors, once._predictors, strict=True):  # warm-started chunks = one fit, bit for bit
        np.testing.assert_array_equal(a[0].nodes["value"], b[0].nodes["value"])


# ---------------------------------------------------------------------------------------------- catboost


def test_catboost_closed_form_holds_where_its_conditions_do():
    pytest.importorskip("catboost")
    fold = _fold("binary", categorical=True)
    # one-hot splits (colour has 8 levels <= one_hot_max_size) and row sampling: the check applies
    *_, ens, record, _ = _fit(
        "catboost", fold, reg_lambda=2.0, max_depth=4, one_hot_max_size=10, bootstrap_type="Bernoulli", subsample=0.5
    )
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-12
    assert 4 in np.concatenate(ens.split_features)  # colour's one-hot splits are among them
    assert 0 <= record["empty_leaf_frac"] <= 1 and 0 <= record["zero_leaf_frac"] <= 1
    # what breaks it: target-statistic (CTR) splits, several Newton steps per leaf — and the formula then fails
    for kw, reason in (
        ({"one_hot_max_size": 2}, "target statistic"),
        ({"leaf_estimation_iterations": 5}, "leaf_estimation_iterations = 5"),
    ):
        _, _, model, ens, record, _ = _fit("catboost", fold, reg_lambda=2.0, max_depth=4, **kw)
        assert record["theory_check"].startswith("not applicable") and reason in record["theory_check"]
        assert np.isnan(record["theory_max_rel_err"])
        forced = measure.theory_check(
            ens, fold.y_train, "binary", reg_alpha=0.0, reg_lambda=2.0, learning_rate=float(np.float32(0.3))
        )
        assert forced.max_rel_err > 1e-3
    # log loss without L2 on separable data: margins beyond +-30, the leaves' G and H below what can be recomputed
    ds = load_builtin("breast_cancer", max_rows=300)
    sep = Fold(ds.X.iloc[:240], ds.y[:240], ds.X.iloc[240:], ds.y[240:], "binary")
    *_, record, _ = _fit("catboost", sep, learning_rate=0.5, n_estimators=200, max_depth=4)
    assert "training margins beyond" in record["theory_check"] and record["train_logloss"] < 1e-9
    *_, record, _ = _fit("catboost", sep, learning_rate=0.5, n_estimators=200, max_depth=4, reg_lambda=1.0)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-9  # l2_leaf_reg shields them


def test_catboost_empty_leaves_are_not_penalty_zeros():
    pytest.importorskip("catboost")
    # depth 6 on 240 training rows: a symmetric tree has 64 leaves, many of which no row reaches (stored as 0)
    fold = _fold("regression", n=300)
    *_, ens, record, _ = _fit("catboost", fold, reg_lambda=2.0, max_depth=6)
    values = ens.leaves()
    reached = np.concatenate(
        [np.bincount(ens.train_leaf[:, t], minlength=len(v)) > 0 for t, v in enumerate(ens.leaf_values)]
    )
    assert (values[~reached] == 0).all() and record["empty_leaf_frac"] == pytest.approx(np.mean(~reached))
    assert record["empty_leaf_frac"] > 0.5  # measured 0.69
    # L2 alone never makes a reached leaf exactly 0: no zero leaves, though over half of all leaves are 0.0
    assert np.mean(values == 0) >= record["empty_leaf_frac"] and record["zero_leaf_frac"] == 0.0


def test_catboost_early_stopping_and_curves():
    pytest.importorskip("catboost")
    fold = _fold("regression", n=300, valid=True)
    *_, record, curves = _fit(
        "catboost", fold, n_estimators=400, learning_rate=0.5, max_depth=3, early_stopping_rounds=5
    )
    kept = record["n_trees"]
    assert 1 <= kept < 100 and np.argmin(curves.valid_error) == kept - 1
    assert record["valid_error"] == curves.valid_error.min() and record["theory_check"] == "ok"
    assert curves.test_error.iloc[-1] == pytest.approx(record["test_error"], rel=1e-9)


def test_engines_import_without_catboost():
    code = (
        "import sys; sys.modules['catboost'] = None\n"
        "from boostreg.engines import ENGINES\n"
        "import boostreg.engines.catboost\n"
        "assert 'catboost' not in ENGINES and 'histgb' in ENGINES and 'mlp' in ENGINES\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ---------------------------------------------------------------------------------------------- mlp


def test_mlp_columns_are_the_networks():
    from boostreg.engines.mlp import raw_output

    engine = ENGINES["mlp"]
    fold = _fold("binary", categorical=True, valid=True)
    params = {**engine.default_params, "penalty": 0.1}
    prepared = engine.prepare(fold, params, threads=1)
    model = engine.fit(prepared, params, seed=0, threads=1)
    record, curves = engine.measure(model, prepared, params, fold)
    assert curves is None and record["primary_metric"] == "logloss" and record["alpha_normalized"] == 0
    norms = np.linalg.norm(model.coefs_[0], axis=1)  # one per encoded column (the colour dummies too)
    assert len(norms) == prepared.X_train.shape[1] == 4 + 9
    assert record["coef_abs_mean"] == pytest.approx(norms.mean()) and record["zero_coef_frac"] == 0
    assert record["n_features_used"] == 5
    p = model.predict_proba(prepared.X_valid)[:, 1]
    assert np.allclose(1 / (1 + np.exp(-raw_output(model, prepared.X_valid))), p, rtol=1e-12)
    logloss = -np.mean(fold.y_valid * np.log(p) + (1 - fold.y_valid) * np.log(1 - p))
    assert record["valid_error"] == pytest.approx(logloss, rel=1e-9)
    weights = np.concatenate([w.ravel() for w in model.coefs_])
    assert record["prior_laplace_scale"] == pytest.approx(np.abs(weights).mean())
    assert record["n_iter"] == model.n_iter_ and record["converged"] == (model.n_iter_ < 500)
    strong = {**params, "penalty": 10.0}
    heavy = engine.fit(prepared, strong, seed=0, threads=1)
    stronger, _ = engine.measure(heavy, prepared, strong, fold)
    assert heavy.alpha == 10.0 and stronger["coef_l2_norm"] < record["coef_l2_norm"]
    assert stronger["lambda_normalized"] > record["lambda_normalized"]
