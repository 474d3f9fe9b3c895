"""A multiclass study end to end (issue 29's "done when"): the wine card (3 classes) through XGBoost, LightGBM and
the multiclass baselines, every booster fit theory-checked, its summary, answers, refits and report; and
``boostreg recommend`` on wine, which refuses a class-coded target without ``--task`` and works with it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from boostreg import DatasetSpec, Study, run_study
from boostreg.advice import recommend
from boostreg.engines import ENGINES

pytestmark = pytest.mark.slow  # a whole study and CLI processes

BASELINES = ["logistic_l1", "logistic_l2", "linear_svc_l2", "svc_rbf", "mlp"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    study = Study(
        name="wine_multiclass",
        engines=["xgboost", "lightgbm", *BASELINES],
        datasets=[DatasetSpec(name="wine")],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0, 2]},
        params={"n_estimators": 8, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"xgboost": {"max_depth": 3}, "lightgbm": {"num_leaves": 8, "min_child_samples": 5}},
        baseline_grid={name: [0.1, 1.0] for name in BASELINES},
        folds=3,
        check="all",
    )
    return run_study(study, tmp_path_factory.mktemp("wine") / "out", jobs=1, progress=False)


def test_every_fit_ok_and_multiclass(result):
    fits = result.fits
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    assert set(fits.engine) == {"xgboost", "lightgbm", *BASELINES}
    assert set(fits.task) == {"multiclass"} and set(fits.fold) == {0, 1, 2}
    with_proba = fits.engine.isin(["xgboost", "lightgbm", "logistic_l1", "logistic_l2", "mlp"])
    assert set(fits[with_proba].primary_metric) == {"mlogloss"}
    assert set(fits[~with_proba].primary_metric) == {"error"}  # decision_function only: 1 - accuracy
    assert fits[with_proba].test_logloss.notna().all() and fits[~with_proba].test_logloss.isna().all()
    assert fits.test_accuracy.between(0, 1).all() and (fits.test_accuracy > 0.6).all()  # wine separates easily
    assert fits.valid_error.notna().all()


def test_theory_check_ok_on_every_booster_fit(result):
    boosters = result.fits[result.fits.engine.isin(["xgboost", "lightgbm"])]
    # folds x (XGBoost's grid and its default (0, 1) off the grid + LightGBM's grid, its default (0, 0) on it)
    assert len(boosters) == 3 * (4 + 1 + 4)
    assert (boosters.theory_check == "ok").all(), boosters.theory_check.value_counts().to_dict()
    assert boosters.theory_max_rel_err.max() <= 1e-4


def test_summary_answers_and_refits_read_multiclass(result):
    summary = result.summary()
    assert set(summary.engine) >= {"xgboost", "lightgbm", *BASELINES}
    answers = result.answers()
    assert set(answers.dataset) == {"wine"}
    for engine in ("xgboost", "logistic_l2"):
        path = result.refit("wine", engine)
        card = json.loads(path.with_name(path.name.split(".")[0] + ".card.json").read_text())
        assert card["task"] == "multiclass" and card["weighted"] is False
        assert card["classes"] is not None and len(card["classes"]) == 3
        assert card["class"].endswith(("XGBClassifier", "LogisticRegression"))


def test_the_report_builds(result):
    path = result.report()
    text = path.read_text(encoding="utf-8")
    assert "wine" in text and "multiclass" in text


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame  # the target column holds the class codes 0, 1, 2
    folder = tmp_path_factory.mktemp("recommend")
    frame.to_csv(folder / "wine.csv", index=False)
    return folder, frame


def test_recommend_refuses_class_codes_without_task_and_works_with_it(wine_csv):
    folder, _ = wine_csv
    refused = run_cli(["recommend", "--data", "wine.csv", "--target", "target"], folder)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--task multiclass" in refused.stderr and "Traceback" not in refused.stderr
    ok = run_cli(
        ["recommend", "--data", "wine.csv", "--target", "target", "--task", "multiclass", "--format", "json"], folder
    )
    assert ok.returncode == 0, ok.stderr
    advice = json.loads(ok.stdout)
    assert {a["engine"] for a in advice} == {"xgboost", "lightgbm"}
    for a in advice:
        assert a["rows"] == 178 and a["alpha_max"] > 0 and a["h_bar"] > 0
        assert a["estimator"].endswith(("XGBClassifier", "LGBMClassifier"))
        assert "task_note" in a["assumptions"]  # the guide's records hold no multiclass dataset


def test_recommend_with_weights_from_python(wine_csv):
    _, frame = wine_csv
    plain = {a.engine: a for a in recommend(frame, "target", task="multiclass", engines=["xgboost"])}
    weighted = frame.assign(w=2.0)
    doubled = {a.engine: a for a in recommend(weighted, "target", task="multiclass", engines=["xgboost"], weight="w")}
    a, b = plain["xgboost"], doubled["xgboost"]
    assert b.assumptions.get("weighted") is True and "weighted" not in a.assumptions
    # every weight 2: the first round's gradients and hessians double, so alpha_max does (the trees' structure may
    # differ only through hessian-counting rules; the guide's settings have none that bind on wine's first round)
    assert b.alpha_max == pytest.approx(2 * a.alpha_max, rel=1e-6)


def test_engines_without_multiclass_are_skipped_or_refused(wine_csv):
    from boostreg.errors import BoostregError

    _, frame = wine_csv
    assert "multiclass" not in ENGINES["lasso"].tasks  # a regression baseline
    with pytest.raises(BoostregError, match="does not fit multiclass"):
        recommend(frame, "target", task="multiclass", engines=["lasso"])
    assert np.all(pd.Series(["xgboost", "lightgbm"]).map(lambda e: "multiclass" in ENGINES[e].tasks))


def test_a_weighted_multiclass_study_refits_with_its_weights(wine_csv, tmp_path):
    """A weight column (study file's ``weight``): every fit ok and checked, and the refit is the engine's own
    classifier fitted with ``sample_weight`` (the same model as fitting the card's arguments by hand)."""
    import xgboost

    folder, frame = wine_csv
    weighted = frame.assign(w=np.where(np.arange(len(frame)) % 3 == 0, 2.0, 1.0))
    weighted.to_csv(tmp_path / "wine_w.csv", index=False)
    spec = DatasetSpec(file=str(tmp_path / "wine_w.csv"), target="target", task="multiclass", weight="w")
    study = Study(
        name="wine_weighted",
        engines=["xgboost", "logistic_l2"],
        datasets=[spec],
        grid={"reg_alpha": [0, 1], "reg_lambda": [1]},
        params={"n_estimators": 6, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"xgboost": {"max_depth": 3}},
        baseline_grid={"logistic_l2": [0.1, 1.0]},
        folds=2,
        check="all",
    )
    result = run_study(study, tmp_path / "out", jobs=1, progress=False)
    fits = result.fits
    assert (fits.status == "ok").all(), fits[fits.status != "ok"].error.tolist()
    assert (fits[fits.engine == "xgboost"].theory_check == "ok").all()
    dataset = fits.dataset.iloc[0]
    path = result.refit(dataset, "xgboost")
    card = json.loads(path.with_name(path.name.split(".")[0] + ".card.json").read_text())
    assert card["weighted"] is True and card["task"] == "multiclass"
    X = weighted.drop(columns=["target", "w"])
    by_hand = xgboost.XGBClassifier(**card["params"]).fit(X, weighted.target, sample_weight=weighted.w)
    saved = xgboost.XGBClassifier()
    saved.load_model(path)
    np.testing.assert_array_equal(saved.predict_proba(X), by_hand.predict_proba(X))
    unweighted = xgboost.XGBClassifier(**card["params"]).fit(X, weighted.target)
    assert not np.array_equal(saved.predict_proba(X), unweighted.predict_proba(X))
    assert result.refit(dataset, "logistic_l2").exists()


def test_the_mlp_refits_as_a_classifier(result):
    """The MLP's estimator depends on the task: a multiclass refit is an MLPClassifier, not a regressor."""
    path = result.refit("wine", "mlp")
    card = json.loads(path.with_name(path.name.split(".")[0] + ".card.json").read_text())
    assert card["class"] == "sklearn.neural_network.MLPClassifier"


def test_recommend_check_on_multiclass(wine_csv):
    """--check on a multiclass table: stratified 5-fold splits, the multiclass log loss on each held-out part."""
    _, frame = wine_csv
    (advice,) = recommend(frame, "target", task="multiclass", engines=["lightgbm"], check=True)
    check = advice.check
    assert check["kept"] in ("recommended", "default") and check["folds"] == 5
    errors = check["fold_errors_recommended"] + check["fold_errors_default"]
    assert len(errors) == 10 and all(0 < e < np.log(3) for e in errors)  # better than the uniform guess
    assert (advice.reg_alpha, advice.reg_lambda) == ((check["reg_alpha"], check["reg_lambda"]))
