"""Real fits of both engines: the closed-form leaf check, L1 zeros, curves from the one model, categoricals."""

import json

import numpy as np
import pytest
from conftest import synthetic_xy

from boostreg import measure
from boostreg.engines import ENGINES, Fold

ENGINE_NAMES = ["xgboost", "lightgbm"]


def _fold(task, n=600, categorical=False, seed=0):
    X, y = synthetic_xy(task, n, 5, offset=10.0, categorical=categorical, seed=seed)
    cut = int(n * 0.7)
    return Fold(X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:], task, noise_features=("x3", "x4"))


def _with_validation(fold):
    """The fold with the second half of its training rows as a validation split (for early stopping)."""
    import dataclasses

    n = len(fold.y_train)
    return dataclasses.replace(
        fold,
        X_train=fold.X_train.iloc[: n // 2],
        y_train=fold.y_train[: n // 2],
        X_valid=fold.X_train.iloc[n // 2 :],
        y_valid=fold.y_train[n // 2 :],
    )


def _params(**kw):
    return {
        "n_estimators": 30,
        "learning_rate": 0.3,
        "max_depth": 4,
        "num_leaves": 15,
        "reg_alpha": 0.0,
        "reg_lambda": 0.0,
        **kw,
    }


def _fit(engine, fold, **kw):
    e = ENGINES[engine]
    params = _params(**kw)
    prepared = e.prepare(fold, params, threads=1)
    model = e.fit(prepared, params, seed=0, threads=1)
    record, curves = e.measure(model, prepared, params, fold)
    return e, prepared, model, record, curves


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task", ["regression", "binary"])
@pytest.mark.parametrize("penalty", [(0, 0), (0, 5), (2, 0), (1, 1), (0.5, 2, 0.3)])
def test_every_leaf_equals_its_closed_form(engine, task, penalty):
    alpha, lam = penalty[:2]
    extra = {"max_delta_step": penalty[2]} if len(penalty) == 3 else {}
    *_, record, _ = _fit(engine, _fold(task), reg_alpha=alpha, reg_lambda=lam, **extra)
    assert record["theory_check"] == "ok"
    assert record["theory_max_rel_err"] <= 1e-4
    assert record["theory_max_abs_err"] <= 1e-5


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_theory_check_with_native_categoricals(engine):
    *_, record, _ = _fit(engine, _fold("regression", categorical=True), reg_alpha=1.0, reg_lambda=1.0)
    assert record["theory_max_rel_err"] <= 1e-4
    assert record["n_features_used"] >= 3


def test_lightgbm_cat_l2_is_part_of_the_closed_form():
    fold = _fold("regression", n=3000, categorical=True)  # enough rows per category (min_data_per_group = 100)
    e, prepared, model, record, _ = _fit("lightgbm", fold, reg_lambda=1.0)
    ens = e.ensemble(model, prepared, fold, _params(reg_lambda=1.0))
    assert any(x.max() == 10.0 for x in ens.leaf_extra_lambda), "a many-vs-many categorical split is expected"
    without = measure.theory_check(
        measure.Ensemble(**{**ens.__dict__, "leaf_extra_lambda": None}),
        fold.y_train,
        "regression",
        reg_alpha=0.0,
        reg_lambda=1.0,
        learning_rate=0.3,
    )
    assert without.max_rel_err > 1e-3  # leaving out cat_l2 breaks the check: it is not vacuous
    assert record["theory_max_rel_err"] <= 1e-4


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_large_alpha_zeroes_leaves_exactly_when_abs_G_is_below_alpha(engine):
    fold = _fold("regression")
    e, prepared, model, record, _ = _fit(engine, fold, reg_alpha=30.0)
    ens = e.ensemble(model, prepared, fold, _params(reg_alpha=30.0))
    check = measure.theory_check(ens, fold.y_train, "regression", reg_alpha=30.0, reg_lambda=0.0, learning_rate=0.3)
    zero_stored = check.stored == 0.0
    assert zero_stored.any() and (check.predicted[zero_stored] == 0.0).all()
    assert record["zero_leaf_frac"] == pytest.approx(zero_stored.mean())
    *_, unpenalized, _ = _fit(engine, fold)
    assert unpenalized["zero_leaf_frac"] == 0.0
    assert record["leaf_abs_mean"] < unpenalized["leaf_abs_mean"]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_curves_come_from_the_one_model_and_end_at_its_predictions(engine, task):
    fold = _fold(task)
    e, prepared, model, record, curves = _fit(engine, fold, reg_lambda=1.0)
    assert list(curves["round"]) == list(range(1, 31))
    assert curves["test_error"].iloc[-1] == pytest.approx(record["test_error"], rel=1e-6)
    assert curves["train_error"].iloc[-1] == pytest.approx(record["train_error"], rel=1e-6)
    # the engine's own prediction agrees with the margin rebuilt from leaves
    if engine == "xgboost":
        margin = model.predict(prepared[1], output_margin=True)
    else:
        margin = model.predict(fold.X_test, raw_score=True)
    own = measure.metrics(fold.y_test, margin, task, "test")["test_error"]
    assert own == pytest.approx(record["test_error"], rel=1e-5)
    # boosting lowers the training error
    assert curves["train_error"].iloc[-1] < curves["train_error"].iloc[0]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_subsampling_is_reported_as_not_applicable(engine):
    *_, record, _ = _fit(engine, _fold("regression"), subsample=0.7)
    assert record["theory_check"].startswith("not applicable: row subsampling")
    assert np.isnan(record["theory_max_rel_err"])


def test_lightgbm_path_smooth_is_reported_as_not_applicable():
    *_, record, _ = _fit("lightgbm", _fold("regression"), path_smooth=1.0)
    assert record["theory_check"].startswith("not applicable: path_smooth")


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_tree_size_columns(engine):
    *_, record, _ = _fit(engine, _fold("regression"), reg_lambda=1.0)
    assert record["n_trees"] == 30
    assert 1 <= record["depth_mean"] <= record["depth_max"] <= 4 + (engine == "lightgbm") * 10
    assert record["n_leaves_max"] <= 16
    assert 0 <= record["n_noise_features_used"] <= 2
    assert record["n_features_used"] <= 5


# ---------------------------------------------------------------------------------------------- engine edge cases


@pytest.mark.parametrize("early_stopping", [False, True])
def test_lightgbm_stopping_on_its_own_keeps_trees_curves_and_stopping_consistent(early_stopping):
    """LightGBM adds no tree once no split has any gain (a large reg_alpha): the record, the curves and early
    stopping must all describe the trees it kept, not the rounds it was asked for."""
    fold = _fold("binary", n=500)
    if early_stopping:
        cut = 250
        fold = Fold(
            fold.X_train.iloc[:cut],
            fold.y_train[:cut],
            fold.X_test,
            fold.y_test,
            "binary",
            X_valid=fold.X_train.iloc[cut:],
            y_valid=fold.y_train[cut:],
        )
    e = ENGINES["lightgbm"]
    params = _params(
        n_estimators=60, reg_alpha=30.0, learning_rate=0.3, **({"early_stopping_rounds": 5} if early_stopping else {})
    )
    prepared = e.prepare(fold, params, threads=1)
    model = e.fit(prepared, params, seed=0, threads=1)
    record, curves = e.measure(model, prepared, params, fold)
    assert 1 <= record["n_trees"] < 60  # it stopped on its own (or early stopping cut it)
    assert len(curves) == record["n_trees"] and curves[["train_error", "test_error"]].notna().all().all()
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] <= 1e-9
    assert curves.test_error.iloc[-1] == pytest.approx(record["test_error"], rel=1e-6)
    if early_stopping:
        assert len(curves.valid_error.dropna()) == record["n_trees"]
        assert record["valid_error"] == pytest.approx(curves.valid_error.min())


def test_lightgbm_tree0_zero_leaves_are_exactly_zero_bit_for_bit():
    """LightGBM folds its initial score into tree 0; boostreg subtracts the very float LightGBM added (read from
    a constant model on the same rows), so a tree-0 leaf with |G| <= reg_alpha reads exactly 0.0, not -8.7e-19."""
    import lightgbm as lgb

    from boostreg.data import load_builtin
    from boostreg.engines.lightgbm_model import parse_trees as _parse_trees
    from boostreg.folds import fold_indices

    ds = load_builtin("binary_noise")
    checked = 0
    for _fold_no, (train, test) in enumerate(fold_indices(ds.y, "binary", 3, 0)):
        fold = Fold(ds.X.iloc[train], ds.y[train], ds.X.iloc[test], ds.y[test], "binary", keep_leaves=True)
        e = ENGINES["lightgbm"]
        params = _params(n_estimators=5, reg_alpha=8.0, learning_rate=0.1, num_leaves=8)
        prepared = e.prepare(fold, params, threads=1)
        model = e.fit(prepared, params, seed=0, threads=1)
        init = prepared[4]
        # the constant model's leaf is exactly what LightGBM adds into tree 0 of this fit
        stored0 = _parse_trees(model.model_to_string())[0]["leaf_value"]
        ens = e.ensemble(model, prepared, fold, params)
        assert np.array_equal(ens.leaf_values[0] + init, stored0)
        record, _ = e.measure(model, prepared, params, fold)
        leaves = record["_leaves"]
        tree0 = leaves[leaves.tree == 0]
        below = tree0.G.abs() <= 8.0
        assert (tree0.value[below] == 0.0).all() and (tree0.value[~below] != 0.0).all()
        checked += int(below.sum())
        assert isinstance(model, lgb.Booster)
    assert checked > 0


def test_lightgbm_rows_that_feature_bundling_moves_make_the_check_not_applicable():
    """LightGBM's exclusive feature bundling lets two bundled features conflict in a row (both off their most
    frequent bin); training then reads one of them at that bin, the predictor reads the real value, and the row
    sits in different leaves while training and in ``pred_leaf``. On windsor_houses, fold 3 of 5 (seed 0, a 20%
    validation split), 12 of 349 training rows conflict (driveway = no with 2+ bathrooms): the leaves' G and H from
    the predictor's rows missed the stored leaves by up to 31%. The check must say it cannot apply there, and still
    match to 1e-9 on the other folds, where training and predictor route every row alike."""
    from boostreg.data import load_builtin
    from boostreg.folds import fold_indices, validation_split

    ds = load_builtin("windsor_houses")
    e = ENGINES["lightgbm"]
    params = {
        "n_estimators": 500,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "early_stopping_rounds": 30,
        "reg_alpha": 0.0,
        "reg_lambda": 0.0,
    }
    verdicts = {}
    for fold_no, (train, test) in enumerate(fold_indices(ds.y, ds.task, 5, 0)):
        fit_rows, valid = validation_split(train, ds.y, ds.task, 0.2, 0)
        fold = Fold(
            ds.X.iloc[fit_rows],
            ds.y[fit_rows],
            ds.X.iloc[test],
            ds.y[test],
            ds.task,
            X_valid=ds.X.iloc[valid],
            y_valid=ds.y[valid],
        )
        prepared = e.prepare(fold, params, threads=1)
        model = e.fit(prepared, params, seed=0, threads=1)
        record, _ = e.measure(model, prepared, params, fold)
        verdicts[fold_no] = record["theory_check"]
        if record["theory_check"] == "ok":
            assert record["theory_max_rel_err"] <= 1e-9
        else:
            assert np.isnan(record["theory_max_rel_err"])
    assert verdicts[3].startswith("not applicable: LightGBM's feature bundling routed 12 of 349 training rows")
    assert all(v == "ok" for k, v in verdicts.items() if k != 3)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_leaf_ids_read_in_blocks_of_trees_equal_one_pred_leaf_call(engine, task, monkeypatch):
    """pred_leaf is read a block of trees at a time (less memory at a checked fit's peak); the ids must be the
    ones a single call for all trees gives, for every tree and row, with a last block shorter than the others and
    with fewer trees than the model holds (train_trees)."""
    fold = _fold(task, categorical=True)
    e, prepared, model, _, _ = _fit(engine, fold)
    monkeypatch.setattr(measure, "LEAF_BLOCK", 7)
    blocked = e.ensemble(model, prepared, fold, _params())
    blocked_first = e.ensemble(model, prepared, fold, _params(), train_trees=12)
    if engine == "xgboost":
        one_train = model.predict(prepared[0], pred_leaf=True)
        one_first = model.predict(prepared[0], pred_leaf=True, iteration_range=(0, 12))
        one_test = model.predict(prepared[1], pred_leaf=True)
    else:
        one_train = model.predict(fold.X_train, pred_leaf=True)
        one_first = model.predict(fold.X_train, pred_leaf=True, num_iteration=12)
        one_test = model.predict(fold.X_test, pred_leaf=True)
    assert blocked.train_leaf.shape == (len(fold.y_train), 30) and blocked.train_leaf.flags.f_contiguous
    assert np.array_equal(blocked.train_leaf, one_train.astype(np.int32))
    assert np.array_equal(blocked.test_leaf, one_test.astype(np.int32))
    assert np.array_equal(blocked_first.train_leaf, one_first.astype(np.int32))
    assert blocked_first.train_leaf.shape[1] == 12


@pytest.mark.parametrize("threads", [1, 2])
def test_lightgbm_predictions_run_on_the_threads_the_fit_trained_with(threads, monkeypatch):
    """LightGBM's predict does not inherit the booster's num_threads: left out, each single-threaded worker's leaf
    ids and margins ran on every core (0.24 s of CPU in 0.125 s wall for 40k rows), so two workers slowed each
    other. Every prediction a measurement makes, checked or sampled out, must name the fit's threads."""
    import lightgbm as lgb

    seen = []
    real = lgb.Booster.predict

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("num_threads"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(lgb.Booster, "predict", spy)
    fold = _fold("binary")
    e = ENGINES["lightgbm"]
    for check in (True, False):
        params = _params(_check=check)
        prepared = e.prepare(fold, params, threads=threads)
        model = e.fit(prepared, params, seed=0, threads=threads)
        e.measure(model, prepared, params, fold)
    assert len(seen) >= 3 and set(seen) == {threads}


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_xgboost_margins_kept_from_its_prediction_cache_are_the_bits_a_fresh_prediction_gives(task):
    """XGBoost's final margins are read from its prediction cache before xgb.train drops it (a fresh prediction of
    every tree over every row cost 6% of a fit). They must be the bits that prediction gives, on data with missing
    values and a categorical column, with penalties; and a model that early stopping cut back must not use
    margins of the trees it dropped."""

    e = ENGINES["xgboost"]
    fold = _fold(task, categorical=True)
    for check in (True, False):
        params = _params(reg_alpha=1.0, reg_lambda=5.0, max_delta_step=0.5, _check=check)
        prepared = e.prepare(fold, params, threads=1)
        model = e.fit(prepared, params, seed=0, threads=1)
        assert model.boostreg_margins is not None
        fresh_train = model.predict(prepared[0], output_margin=True)
        fresh_test = model.predict(prepared[1], output_margin=True)
        assert np.array_equal(e.predict_train_margin(model, prepared, fold), fresh_train)
        assert np.array_equal(e.predict_margin(model, prepared, fold), fresh_test)
    stopped = _with_validation(fold)
    params = _params(n_estimators=300, learning_rate=0.8, early_stopping_rounds=3, _check=False)
    prepared = e.prepare(stopped, params, threads=1)
    model = e.fit(prepared, params, seed=0, threads=1)
    assert model.num_boosted_rounds() < 300  # stopped and cut back
    assert np.array_equal(e.predict_margin(model, prepared, stopped), model.predict(prepared[1], output_margin=True))
    record, curves = e.measure(model, prepared, params, stopped)
    assert len(curves) == model.num_boosted_rounds()
    assert record["train_error"] == pytest.approx(curves["train_error"].iloc[-1], rel=1e-5)


@pytest.mark.parametrize("task", ["regression", "binary"])
@pytest.mark.parametrize("categorical", [False, True])
def test_xgboost_fits_without_feature_names_give_the_bits_fits_with_them_give(task, categorical, monkeypatch):
    """The sweep's DMatrices drop their feature names (XGBoost checks them in Python every round); the trees,
    margins, curves and records must be the very bits a fit with the names gives, early stopping included, and
    a categorical column must stay categorical (the check would fail if its type were lost)."""

    from boostreg.engines import xgboost as xgb_engine

    e = ENGINES["xgboost"]
    fold = _with_validation(_fold(task, categorical=categorical))
    params = _params(reg_alpha=1.0, reg_lambda=2.0, n_estimators=60, early_stopping_rounds=5)

    def run():
        prepared = e.prepare(fold, params, threads=1)
        model = e.fit(prepared, params, seed=0, threads=1)
        record, curves = e.measure(model, prepared, params, fold)
        return prepared, model.save_raw("json"), record, curves

    prepared, raw, record, curves = run()
    assert prepared[0].feature_names is None and prepared[1].feature_names is None
    assert ("c" in (prepared[0].feature_types or ())) == categorical
    monkeypatch.setattr(xgb_engine, "_unnamed", lambda dmatrix, categorical: None)
    named, raw_named, record_named, curves_named = run()
    assert named[0].feature_names == list(fold.X_train.columns)

    def trees(blob):
        return json.loads(blob)["learner"]["gradient_booster"]["model"]["trees"]

    assert trees(raw) == trees(raw_named)
    assert record["theory_check"] == "ok"
    same = {k: v for k, v in record.items() if not k.startswith("time_")}
    same_named = {k: v for k, v in record_named.items() if not k.startswith("time_")}
    assert same.keys() == same_named.keys()
    for k in same:
        assert same[k] == same_named[k] or (same[k] != same[k] and same_named[k] != same_named[k]), k
    assert curves.equals(curves_named)


# ---------------------------------------------------------------------------------------------- the registry API


def test_get_engine_returns_the_registered_engine_and_suggests_a_near_miss():
    from boostreg.engines import get_engine
    from boostreg.errors import BoostregError

    assert get_engine("xgboost") is ENGINES["xgboost"]
    with pytest.raises(BoostregError, match=r"unknown engine 'xgbost'; did you mean 'xgboost'\? Known engines: "):
        get_engine("xgbost")
    with pytest.raises(BoostregError, match=r"unknown engine 'zzzz' in study.toml\. Known engines: xgboost, lightgbm"):
        get_engine("zzzz", where="study.toml")


def test_an_optional_engine_without_its_library_names_the_pip_extra():
    from boostreg.engines import OPTIONAL_ENGINES, get_engine, register_optional
    from boostreg.errors import BoostregError

    try:
        assert register_optional("fancy_booster", "boostreg_no_such_module.engine", "FancyEngine", "fancy") is None
        assert "fancy_booster" not in ENGINES  # declared, not registered: its module does not import
        with pytest.raises(BoostregError) as err:
            get_engine("fancy_booster")
        assert str(err.value) == "engine 'fancy_booster' needs its library: pip install \"boostreg[fancy]\""
        with pytest.raises(BoostregError, match="did you mean 'fancy_booster'"):
            get_engine("fancy_boster")
    finally:
        OPTIONAL_ENGINES.pop("fancy_booster", None)


def test_a_study_and_the_cli_name_the_pip_extra_of_an_optional_engine_not_installed(tmp_path):
    from click.testing import CliRunner

    from boostreg.cli import cli
    from boostreg.engines import OPTIONAL_ENGINES, register_optional
    from boostreg.errors import BoostregError
    from boostreg.study import DatasetSpec, Study

    pip = 'pip install "boostreg[fancy]"'
    try:
        register_optional("fancy_booster", "boostreg_no_such_module.engine", "FancyEngine", "fancy")
        with pytest.raises(BoostregError) as err:
            Study(name="s", datasets=[DatasetSpec(name="diabetes")], engines=["fancy_booster"])
        assert str(err.value).startswith("engine 'fancy_booster' in ") and str(err.value).endswith(pip)
        with pytest.raises(BoostregError, match=r"\[params\.fancy_booster\].*boostreg\[fancy\]"):
            Study(name="s", datasets=[DatasetSpec(name="diabetes")], engine_params={"fancy_booster": {"x": 1}})
        (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{i % 7},{i * 0.5}\n" for i in range(30)))
        res = CliRunner().invoke(
            cli, ["recommend", "--data", str(tmp_path / "d.csv"), "--target", "y", "--engine", "fancy_booster"]
        )
        assert res.exit_code == 2 and pip in res.output and "unknown" not in res.output
    finally:
        OPTIONAL_ENGINES.pop("fancy_booster", None)


def test_an_optional_engine_whose_library_is_installed_is_registered():
    from boostreg.engines import OPTIONAL_ENGINES

    catboost = pytest.importorskip("catboost")  # noqa: F841
    assert "catboost" in OPTIONAL_ENGINES and "catboost" in ENGINES
    assert ENGINES["catboost"].extra == "catboost"


def test_engine_names_kinds_and_defaults():
    from boostreg.engines import default_engines, engine_kind, engine_names
    from boostreg.errors import BoostregError

    assert engine_names() == list(ENGINES)
    boosters, baselines = engine_names("booster"), engine_names("baseline")
    assert boosters[:2] == ["xgboost", "lightgbm"] and {"histgb"} <= set(boosters)
    assert {"lasso", "ridge", "logistic_l1", "mlp", "svr_rbf"} <= set(baselines)
    assert sorted(boosters + baselines) == sorted(ENGINES)
    assert default_engines() == ["xgboost", "lightgbm"]
    assert engine_kind("lasso") == "baseline" and engine_kind("lightgbm") == "booster"
    assert engine_kind("written_elsewhere") == "booster"
    with pytest.raises(BoostregError, match='use "booster" or "baseline"'):
        engine_names("tree")


def test_a_plugin_subclass_does_not_inherit_default_or_published_points():
    from boostreg.engines import default_engines, published, register_engine
    from boostreg.engines.xgboost import XGBoostEngine

    class Mine(XGBoostEngine):
        name = "registry_test_booster"

    before = published()
    register_engine(Mine())
    try:
        assert default_engines() == ["xgboost", "lightgbm"]
        assert published() == before
    finally:
        ENGINES.pop("registry_test_booster", None)


def test_published_points_and_ranges_are_the_engines_own():
    from boostreg.engines import published

    (point,) = published("point")
    assert point["label"] == "probst2019" and (point["reg_alpha"], point["reg_lambda"]) == (1.113, 0.982)
    assert [r["engine"] for r in published("range")] == ["xgboost", "lightgbm"]
    assert published() == [*ENGINES["xgboost"].published, *ENGINES["lightgbm"].published]


def test_library_versions_are_the_libraries_own():
    import lightgbm
    import sklearn
    import xgboost

    from boostreg.engines import library_versions

    versions = library_versions(["xgboost", "lightgbm", "lasso", "mlp"])
    assert versions == {
        "lightgbm": lightgbm.__version__,
        "sklearn": sklearn.__version__,
        "xgboost": xgboost.__version__,
    }
    assert list(versions) == ["sklearn", "lightgbm", "xgboost"]  # engines taken in name order: lasso first
    assert set(library_versions()) >= {"xgboost", "lightgbm", "sklearn"}
    assert ENGINES["histgb"].version() == sklearn.__version__


def test_a_library_version_is_read_without_importing_the_library():
    import subprocess
    import sys

    code = (
        "import sys; from boostreg.engines import library_versions; v = library_versions(); "
        "print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost', 'sklearn') if m in sys.modules), "
        "v['xgboost'] != '?')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True"


def test_importing_the_engines_imports_no_engine_library():
    import subprocess
    import sys

    code = (
        "import boostreg.engines, sys; print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost', "
        "'sklearn.linear_model', 'sklearn.svm', 'sklearn.ensemble', 'sklearn.neural_network', "
        "'sklearn.preprocessing') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_defaults_sentence_names_each_engines_library_defaults():
    from boostreg.engines import defaults_sentence

    assert defaults_sentence(["lasso", "xgboost", "mlp", "lightgbm", "not_here"]) == (
        "lightgbm reg_alpha 0, reg_lambda 0 (lambda_l1, lambda_l2); not_here not declared by the engine; "
        "xgboost reg_alpha 0, reg_lambda 1 (alpha, lambda); lasso alpha 1; mlp alpha 0.0001"
    )
