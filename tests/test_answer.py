"""The answer a user can act on: best and smallest-within-noise settings, the verdict (tune / keep the default), the
engine's own class with raw values to paste, and the refit model -- hand-computed cases and small real studies."""

import html
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from boostreg import DatasetSpec, Study, run_study
from boostreg.answer import answer_table
from boostreg.cli import cli
from boostreg.errors import BoostregError
from boostreg.results import open_run
from boostreg.study import relative

pytestmark = pytest.mark.slow  # real studies refitted in every library's own format


def _fit(gid, fold, a, lam, valid, test, *, leaves=10.0, zeros=0.0, default=False, in_grid=True):
    return {
        "study": "t",
        "dataset": "d",
        "task": "regression",
        "engine": "xgboost",
        "fold": fold,
        "seed": 0,
        "group_id": gid,
        "fit_id": f"{gid}-{a}-{lam}-{default}",
        "status": "ok",
        "in_grid": in_grid,
        "is_default": default,
        "reg_alpha": a,
        "reg_lambda": lam,
        "reg_alpha_relative": a,
        "reg_lambda_relative": lam,
        "reg_alpha_units": "raw",
        "reg_lambda_units": "raw",
        "primary_metric": "rmse",
        "n_train": 80,
        "n_test": 40,
        "n_valid": 20,
        "valid_error": valid,
        "test_error": test,
        "fit_time_s": 0.1,
        "n_trees": 10,
        "n_leaves_mean": leaves,
        "zero_leaf_frac": zeros,
        "params_json": json.dumps({"n_estimators": 10, "reg_alpha": a, "reg_lambda": lam}),
    }


def test_best_is_the_lowest_mean_validation_error_and_smallest_the_fewest_leaves_within_one_standard_error():
    rows = []
    # (alpha, lambda): validation errors per fold, leaves, zero share; the default (0, 1) off the grid
    points = {
        (0.0, 0.0): ([1.00, 1.02, 0.98], 12.0, 0.0),
        (1.0, 0.0): ([0.90, 0.96, 0.93], 12.0, 0.5),
        (0.0, 10.0): ([0.89, 0.95, 0.92], 11.0, 0.0),
        (10.0, 0.0): ([0.99, 1.05, 1.01], 12.0, 0.9),
    }
    for k in range(3):
        for (a, lam), (valid, leaves, zeros) in points.items():
            rows.append(_fit(f"g{k}", k, a, lam, valid[k], valid[k], leaves=leaves, zeros=zeros))
        rows.append(_fit(f"g{k}", k, 0.0, 1.0, 1.0, 1.0, default=True, in_grid=False))
    row = answer_table(pd.DataFrame(rows)).iloc[0]
    assert row.best_point == "α=0 λ=10" and row.best_valid_error == pytest.approx(0.92)
    se = np.std([0.89, 0.95, 0.92], ddof=1) / np.sqrt(3)
    assert row.best_valid_se == pytest.approx(se)
    # (1, 0) is within 0.92 + se (0.93 <= 0.937) and keeps 6 leaves with a value against 11; (10, 0) is not
    assert row.smallest_point == "α=1 λ=0" and row.smallest_size == pytest.approx(6.0)
    assert row.best_size == pytest.approx(11.0)


def test_verdict_keeps_the_default_inside_the_band_and_says_tune_above_it():
    def study(gain):
        rows = []
        for k in range(4):
            g = gain + 0.002 * (k - 1.5)
            rows += [
                _fit(f"g{k}", k, 0.0, 0.0, 1.0, 1.0),
                _fit(f"g{k}", k, 1.0, 0.0, 0.9, 1.0 - g),
                _fit(f"g{k}", k, 0.0, 1.0, 1.0, 1.0, default=True, in_grid=False),
            ]
        return answer_table(pd.DataFrame(rows)).iloc[0]

    fine = study(0.0)
    assert fine.verdict == "keep the default" and "no difference beyond ±1%" in fine.verdict_text
    helps = study(0.05)
    assert helps.verdict == "tune" and helps.verdict_text.startswith("tune: +5.0%")
    assert study(0.0)["band"] == 0.01


def _study(name, grid, engines, **params):
    return Study(
        name=name,
        engines=engines,
        datasets=[DatasetSpec(name="diabetes"), DatasetSpec(name="breast_cancer")],
        grid=grid,
        params={"n_estimators": 60, "learning_rate": 0.2, "validation_fraction": 0.2, **params},
        engine_params={"xgboost": {"max_depth": 3}, "lightgbm": {"num_leaves": 7}},
        folds=3,
        seeds=[0],
    )


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("answer") / "out"
    study = _study(
        "answer",
        {"reg_alpha": relative([0, 0.01, 0.3]), "reg_lambda": relative([0, 1, 10])},
        ["xgboost", "lightgbm", "lasso", "logistic_l1"],
        early_stopping_rounds=10,
    )
    run_study(study, out, jobs=2, progress=False)
    return open_run(out)


def test_params_are_the_engines_own_class_arguments_with_raw_values_for_the_whole_table(tuned):
    from boostreg.refit import load_data, paste
    from boostreg.units import data_units

    row = tuned.answers().set_index(["dataset", "engine"]).loc[("diabetes", "xgboost")]
    p = paste(tuned, "diabetes", "xgboost")
    assert p["class"] == "xgboost.XGBRegressor"
    ds = load_data(tuned, "diabetes")
    alpha_max, h_bar = data_units(ds, "xgboost", {"max_depth": 3, "learning_rate": 0.2})
    if row.best_is_default:
        assert (p["params"]["reg_alpha"], p["params"]["reg_lambda"]) == (0.0, 1.0)
    else:
        assert p["params"]["reg_alpha"] == pytest.approx(row.best_alpha_relative * alpha_max, rel=1e-3)
        assert p["params"]["reg_lambda"] == pytest.approx(row.best_lambda_relative * h_bar, rel=1e-3)
    # early stopping in the study: the rounds it kept for that setting, so no validation split is needed
    assert p["params"]["n_estimators"] == int(round(row.best_n_trees)) < 60 or row.best_n_trees == 60
    assert tuned.best_params("breast_cancer", "lightgbm")["reg_alpha"] >= 0
    import xgboost

    xgboost.XGBRegressor(**tuned.best_params("diabetes", "xgboost", rule="smallest"))  # no unknown argument
    lasso = paste(tuned, "diabetes", "lasso")
    assert lasso["class"] == "sklearn.linear_model.Lasso" and "standardized" in lasso["scale"]


@pytest.mark.parametrize("engine", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("dataset", ["diabetes", "breast_cancer"])
def test_refit_saves_the_libraries_own_model_that_a_users_call_reproduces(tuned, engine, dataset):
    import lightgbm
    import xgboost

    from boostreg.refit import load_data

    path = tuned.refit(dataset, engine)
    card = json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".card.json").read_text())
    ds = load_data(tuned, dataset)
    assert card["rows"] == ds.n_rows and card["data_fingerprint"] == ds.fingerprint
    assert np.isfinite(card["expected_test_error"]["mean"]) and card["expected_test_error"]["n_folds"] == 3
    params = tuned.best_params(dataset, engine)
    cls = {
        "xgboost": {"regression": xgboost.XGBRegressor, "binary": xgboost.XGBClassifier},
        "lightgbm": {"regression": lightgbm.LGBMRegressor, "binary": lightgbm.LGBMClassifier},
    }[engine][ds.task]
    user = cls(**params).fit(ds.X, ds.y)  # what a user pastes, on the whole table
    mine = user.predict_proba(ds.X)[:, 1] if ds.task == "binary" else user.predict(ds.X)
    if engine == "xgboost":
        saved = xgboost.Booster(model_file=str(path)).predict(xgboost.DMatrix(ds.X, enable_categorical=True))
    else:
        saved = lightgbm.Booster(model_file=str(path)).predict(ds.X)
    np.testing.assert_allclose(saved, mine, rtol=1e-6, atol=1e-7)


def test_summary_prints_paste_lines_and_json_gives_params_apart_from_metadata(tuned):
    res = CliRunner().invoke(cli, ["summary", str(tuned.out)])
    assert res.exit_code == 0, res.output
    assert "What to use" in res.output and "XGBRegressor(" in res.output and "LGBMClassifier(" in res.output
    rows = json.loads(CliRunner().invoke(cli, ["summary", str(tuned.out), "--format", "json"]).output)
    xgb = [r for r in rows if r["engine"] == "xgboost" and r["dataset"] == "diabetes"][0]
    assert xgb["estimator"] == "xgboost.XGBRegressor" and set(xgb["params"]) >= {"reg_alpha", "reg_lambda"}
    assert not {"rows", "note", "validation_fraction"} & set(xgb["params"])
    assert xgb["verdict"] in ("tune", "keep the default", "not enough evidence")


def test_bad_requests_are_one_line_errors_and_write_nothing(tuned, tmp_path):
    with pytest.raises(BoostregError, match="dataset 'nope' is not in this run; use one of breast_cancer, diabetes"):
        tuned.best_params("nope", "xgboost")
    with pytest.raises(BoostregError, match="engine 'lasso' has no fits of 'breast_cancer'"):
        tuned.best_params("breast_cancer", "lasso")
    with pytest.raises(BoostregError, match="unknown rule 'median'"):
        tuned.best_params("diabetes", "xgboost", rule="median")
    with pytest.raises(BoostregError, match="dataset 'nope' is not in this run"):
        tuned.refit("nope", "lasso")
    # a group whose default failed everywhere: no complete group, no answer
    out = tmp_path / "failed"
    import shutil

    shutil.copytree(tuned.out, out, ignore=shutil.ignore_patterns("models"))
    run = open_run(out)
    fits = run.fits.copy()
    fits.loc[(fits.engine == "xgboost") & (fits.dataset == "diabetes") & fits.is_default.astype(bool), "status"] = (
        "failed"
    )
    run.__dict__["fits"] = fits
    with pytest.raises(BoostregError, match="has no complete fold group"):
        run.best_params("diabetes", "xgboost")
    assert not (out / "models").exists()


def test_a_run_shows_in_a_notebook_as_counts_and_its_answer_table(tuned, tmp_path):
    from boostreg.results import Run

    page = tuned._repr_html_()
    answers = tuned.answers()
    n_ok = int((tuned.fits.status == "ok").sum())
    assert f"<code>{tuned.out}</code>" in page and f"{n_ok} fits ok, 0 fits failed, 2 datasets, 4 engines" in page
    assert page.count("<tr>") == 1 + len(answers) and "<th>verdict</th><th>best setting</th>" in page
    row = answers.iloc[0]
    assert f"<td>{row.dataset}</td><td>{row.engine}</td><td>{html.escape(row.verdict_text)}</td>" in page
    assert "<img" not in page and "<svg" not in page  # no figures
    odd = Run(tmp_path / "<b>&odd")  # no records: counts only, the folder's name escaped
    shown = odd._repr_html_()
    assert "&lt;b&gt;&amp;odd" in shown and "0 fits ok" in shown and "<table>" not in shown
    without = tuned.fits.copy()
    without["valid_error"] = np.nan  # no validation split: no answers, counts only
    bare = Run(tuned.out)
    bare.__dict__["fits"] = without
    assert "<table>" not in bare._repr_html_() and f"{n_ok} fits ok" in bare._repr_html_()


def _real_answer(tmp_path, name, grid, rounds=150, **lightgbm):
    study = Study(
        name=name,
        engines=["lightgbm"],
        datasets=[DatasetSpec(name="friedman1_noise", params={"n_samples": 500, "noise": 3.0})],
        grid=grid,
        params={"n_estimators": rounds, "learning_rate": 0.5, "validation_fraction": 0.25},
        engine_params={"lightgbm": lightgbm},
        folds=3,
        seeds=[0, 1],
    )
    run_study(study, tmp_path / name, jobs=2, progress=False)
    return open_run(tmp_path / name).answers().iloc[0]


def test_on_real_fits_tuning_clearly_helps_where_the_default_overfits(tmp_path):
    """LightGBM at learning rate 0.5 with leaves of 2 rows on noisy data: its default (no penalty) overfits."""
    row = _real_answer(
        tmp_path,
        "overfits",
        {"reg_alpha": relative([0]), "reg_lambda": relative([0, 10, 100])},
        num_leaves=31,
        min_child_samples=2,
    )
    assert row.verdict == "tune" and row.gain_ci_low > 0.02
    assert row.best_point != "library default"


def test_on_real_fits_the_default_is_declared_fine_where_penalties_change_nothing(tmp_path):
    row = _real_answer(
        tmp_path,
        "nil",
        {"reg_alpha": relative([0, 1e-10]), "reg_lambda": relative([0, 1e-10])},
        rounds=20,
        num_leaves=4,
    )
    assert row.verdict == "keep the default" and "no difference beyond ±1%" in row.verdict_text


def test_every_engine_kind_refits_in_its_own_format_and_loads_back(tmp_path):
    """CatBoost's cbm, scikit-learn's HistGB and the baselines (boostreg's preprocessing pipeline) by joblib: each
    saved model, loaded with its library's own API, predicts what the same call on the same rows predicts."""
    import catboost
    import joblib

    from boostreg.engines import ENGINES
    from boostreg.refit import load_data, paste

    study = Study(
        name="kinds",
        engines=["catboost", "histgb", "lasso", "logistic_l2"],
        datasets=[DatasetSpec(name="diamonds", max_rows=500), DatasetSpec(name="breast_cancer")],
        grid={"reg_alpha": [0], "reg_lambda": relative([0, 1])},
        params={"n_estimators": 15, "validation_fraction": 0.2},
        folds=2,
        seeds=[0],
        refit="best",
    )
    result = run_study(study, tmp_path / "kinds", jobs=2, progress=False)
    names = sorted(p.name for p in result.models)
    assert names == [
        "breast_cancer--catboost--best.cbm",
        "breast_cancer--histgb--best.joblib",
        "breast_cancer--logistic_l2--best.joblib",
        "diamonds--catboost--best.cbm",
        "diamonds--histgb--best.joblib",
        "diamonds--lasso--best.joblib",
    ]
    for path in result.models:
        dataset, engine, _ = path.stem.split("--")
        ds = load_data(result, dataset)
        card = json.loads(path.with_name(path.stem + ".card.json").read_text())
        if engine == "catboost":
            cls = catboost.CatBoostClassifier if ds.task == "binary" else catboost.CatBoostRegressor
            saved = cls().load_model(str(path))
            from boostreg.engines.linear import as_object

            X = as_object(ds.X, ds.categorical)
            again = cls(**card["params"]).fit(X, ds.y)
            np.testing.assert_allclose(saved.predict(X), again.predict(X), rtol=1e-9)
        else:
            saved = joblib.load(path)
            p = paste(result, dataset, engine)
            mod, name = p["class"].rsplit(".", 1)
            est = getattr(__import__(mod, fromlist=[name]), name)(**p["params"])
            est = ENGINES[engine].refit_model(est, ds.X, ds.task, p.get("standardized_y", False))
            np.testing.assert_allclose(saved.predict(ds.X), est.fit(ds.X, ds.y).predict(ds.X), rtol=1e-9)


def test_the_run_stores_all_rows_units_and_the_answer_uses_them_without_fitting_a_tree(tuned, monkeypatch):
    """Fold 0's unpenalized booster fit of a relative grid keeps α_max and H̄ on every row of its dataset: the very
    bits the answer would compute by fitting one tree on the reloaded data. The answer then fits no tree and loads
    no data, and gives the same paste lines; records written without the columns still get them computed."""
    import boostreg.refit as refit_mod
    from boostreg.refit import answer_rows, load_data, paste
    from boostreg.units import ALL_ROWS_COLUMNS, data_units, settings_of

    fits = tuned.fits
    has = fits[ALL_ROWS_COLUMNS[0]].notna()
    boosters = fits.engine.isin(["xgboost", "lightgbm"])
    reference = fits.reg_alpha.eq(0) & fits.reg_lambda.eq(0) & fits.fold.eq(0)  # LightGBM's default is that fit
    assert set(fits[has].fit_id) == set(fits[boosters & reference & fits.in_grid.astype(bool)].fit_id)
    assert has.sum() == 4  # 2 datasets x 2 boosters, one setting each
    for r in fits[has].itertuples():
        expected = data_units(load_data(tuned, r.dataset), r.engine, settings_of(r.params_json))
        assert (r.all_rows_grad_abs_max, r.all_rows_hess_mean) == expected  # bit for bit

    lines = [(r["params"], r["params_smallest"]) for r in answer_rows(tuned)]

    def no_tree(*args, **kwargs):
        raise AssertionError("the answer fitted a tree although the run stored its units")

    monkeypatch.setattr(refit_mod, "data_units", no_tree)
    monkeypatch.setattr(refit_mod, "load_data", no_tree)
    fresh = open_run(tuned.out)
    assert [(r["params"], r["params_smallest"]) for r in answer_rows(fresh)] == lines
    monkeypatch.undo()

    old = open_run(tuned.out)  # records from before the columns existed: computed here, the same lines
    old.fits = fits.drop(columns=list(ALL_ROWS_COLUMNS))
    assert [(r["params"], r["params_smallest"]) for r in answer_rows(old)] == lines
    assert paste(old, "diabetes", "xgboost") == paste(tuned, "diabetes", "xgboost")
