"""Every claim of the ledger decided on real XGBoost and LightGBM fits, both ways: a study where the effect is there
("holds") and a flip study where it is not ("does not hold here"). No record here is made by hand.

* ``overfit``: small noisy synthetic data, deep trees, 150 rounds at learning rate 0.3 and a split-gain threshold
  (gamma 0.5): the unpenalized fit overfits, penalties in the data's units up to 0.5 alpha_max and 100 H-bar.
* ``null``: the same kind of data with penalties of 1e-10 of the data's units next to 0, LightGBM only (its
  default is reg_alpha = reg_lambda = 0), few small trees so that not every noise feature is used: every penalized
  fit equals the unpenalized one, so every effect is 0 and every claim must come out "does not hold here" (no
  effect beyond its band) -- neither "holds" nor a shrug.
"""

import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.analysis import claims_ledger
from boostreg.study import relative

pytestmark = pytest.mark.slow  # two real studies whose claims must hold and fail


def _data(kind, seed, **params):
    return DatasetSpec(name=kind, alias=f"{kind}_{seed}", params={"n_samples": 400, "seed": seed, **params})


def _verdicts(tmp_path_factory, name, study):
    out = tmp_path_factory.mktemp(name) / "out"
    run_study(study, out, jobs=2, progress=False)
    fits = pd.read_parquet(out / "fits")
    assert (fits.status == "ok").all()
    return {c.claim: c for c in claims_ledger(fits)}


@pytest.fixture(scope="module")
def overfit(tmp_path_factory):
    study = Study(
        name="overfit",
        engines=["xgboost", "lightgbm"],
        datasets=[
            _data("sparse_linear", 1, noise=3.0),
            _data("sparse_linear", 2, noise=3.0),
            _data("friedman1_noise", 1),
            _data("friedman1_noise", 2),
        ],
        grid={"reg_alpha": relative([0, 0.01, 0.1, 0.5]), "reg_lambda": relative([0, 1, 10, 100])},
        params={"n_estimators": 150, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={
            "xgboost": {"max_depth": 6, "min_child_weight": 0, "gamma": 0.5},
            "lightgbm": {"num_leaves": 31, "min_child_samples": 3, "gamma": 0.5},
        },
        folds=3,
        seeds=[0],
    )
    return _verdicts(tmp_path_factory, "overfit", study)


@pytest.fixture(scope="module")
def null(tmp_path_factory):
    study = Study(
        name="null",
        engines=["lightgbm"],
        datasets=[_data("sparse_linear", 1), _data("sparse_linear", 2), _data("friedman1_noise", 1)],
        grid={"reg_alpha": relative([0, 1e-10]), "reg_lambda": relative([0, 1e-10])},
        params={"n_estimators": 6, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"lightgbm": {"num_leaves": 4}},
        folds=3,
        seeds=[0],
    )
    return _verdicts(tmp_path_factory, "null", study)


def _pick(claims, words):
    (claim,) = [c for k, c in claims.items() if words in k]
    return claim


def test_tuning_beats_the_default_holds_where_the_default_overfits_and_not_where_penalties_are_nil(overfit, null):
    for engine in ("xgboost", "lightgbm"):
        claim = _pick(overfit, f"beats {engine}'s default")
        assert claim.verdict == "holds" and claim.ci_low > 0
    claim = _pick(null, "beats lightgbm's default")
    assert claim.verdict == "does not hold here" and abs(claim.effect) < 1e-6
    assert "no difference beyond ±1%" in claim.details


def test_l1_gives_smaller_models_than_l2_only_where_it_zeroes_leaves(overfit, null):
    claim = _pick(overfit, "L1 gives smaller models than L2")
    assert claim.verdict == "holds" and claim.ci_low > 0.1
    claim = _pick(null, "L1 gives smaller models than L2")
    assert claim.verdict == "does not hold here" and claim.effect == 0


def test_noise_features_claim_is_decided_where_the_count_is_not_saturated(null):
    claim = _pick(null, "fewer noise features")
    assert claim.verdict == "does not hold here" and claim.effect == 0


def test_reg_lambda_limits_tree_size_holds_for_lightgbm_and_flips_for_xgboost(overfit, null):
    assert _pick(overfit, "tree size (lightgbm)").verdict == "holds"
    # with min_child_weight 0 and a split-gain threshold, XGBoost's trees grow with reg_lambda: the opposite effect
    grows = _pick(overfit, "tree size (xgboost)")
    assert grows.verdict == "does not hold here" and grows.ci_low > 0
    assert _pick(null, "tree size (lightgbm)").verdict == "does not hold here"


def test_gap_claim_is_the_test_error_falling_and_says_how_much_training_error_rose(overfit, null):
    claim = _pick(overfit, "narrows the train–test gap")
    assert claim.verdict == "holds" and claim.ci_low > 0
    assert "training error up" in claim.details[0] and "test error down" in claim.details[0]
    assert _pick(null, "narrows the train–test gap").verdict == "does not hold here"
