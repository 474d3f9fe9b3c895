"""Every claim of the ledger and every mechanism check on records where it holds and records where it does not:
the verdict must flip. Records are built by hand (a fold group per dataset x engine x fold x seed)."""

import json

import numpy as np
import pandas as pd
import pytest

from boostreg.analysis import claims_ledger, mechanism_checks

ALPHAS = (0.0, 0.01, 0.1, 1.0)
LAMBDAS = (0.0, 0.1, 1.0, 10.0)


def records(measure, *, datasets=4, engines=("xgboost", "lightgbm"), folds=3, seeds=(0, 1), synthetic=False, seed=0):
    """Fit records of a relative 4 x 4 grid plus XGBoost's default; ``measure(row, rng)`` fills the measured
    columns (valid_error, test_error, train_error, zero_leaf_frac, n_leaves_mean, n_features_used, ...)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(datasets):
        for engine in engines:
            for s in seeds:
                for k in range(folds):
                    gid = f"d{d}-{engine}-{s}-{k}"
                    points = [(a, l, True, engine == "lightgbm" and a == 0 and l == 0) for a in ALPHAS for l in LAMBDAS]
                    if engine == "xgboost":
                        points.append((0.0, 1.0 / 50, False, True))  # reg_lambda = 1 raw is 1/50 of H-bar here
                    for a, l, in_grid, is_default in points:
                        row = {
                            "study": "t",
                            "dataset": f"d{d}",
                            "task": "regression",
                            "engine": engine,
                            "fold": k,
                            "seed": s,
                            "group_id": gid,
                            "fit_id": f"{gid}-{a}-{l}-{in_grid}",
                            "status": "ok",
                            "in_grid": in_grid,
                            "is_default": is_default,
                            "reg_alpha": a * 10,
                            "reg_lambda": l * 50,
                            "reg_alpha_relative": a,
                            "reg_lambda_relative": l,
                            "reg_alpha_units": "relative" if a else "raw",
                            "reg_lambda_units": "relative" if l and in_grid else "raw",
                            "primary_metric": "rmse",
                            "n_train": 80,
                            "n_test": 50,
                            "n_valid": 20,
                            "fit_time_s": 0.1,
                            "params_json": json.dumps({"n_estimators": 10}),
                            "test_r2": 0.5,
                            "test_rmse": 1.0,
                            "zero_leaf_frac": 0.0,
                            "n_leaves_mean": 10.0,
                            "n_features_used": 10.0,
                            "n_noise_features_used": 5.0 if synthetic else np.nan,
                            "train_error": 0.5,
                        }
                        row.update(measure(row, rng))
                        row["generalization_gap"] = row["test_error"] - row["train_error"]
                        rows.append(row)
    return pd.DataFrame(rows)


def flat(row, rng):
    """Every fit about as good on validation (within 0.5%): all are operating points."""
    return {"valid_error": 1.0 + rng.uniform(0, 0.005), "test_error": 1.0 + rng.normal(0, 0.01)}


def verdicts(fits):
    return {c.claim: c.verdict for c in claims_ledger(fits)}


def _find(v, words):
    (name,) = [k for k in v if words in k]
    return v[name]


def test_tuning_beats_the_default_flips():
    def helps(row, rng):
        better = row["reg_alpha_relative"] == 0.01 and row["reg_lambda_relative"] == 1.0
        e = 0.9 if better else 1.0
        return {"valid_error": e + rng.normal(0, 0.005), "test_error": e + rng.normal(0, 0.01)}

    def hurts(row, rng):  # the setting that wins on validation is worse on the test fold than the default
        tricky = row["reg_alpha_relative"] == 0.01 and row["reg_lambda_relative"] == 1.0
        return {
            "valid_error": (0.9 if tricky else 1.0) + rng.normal(0, 0.001),
            "test_error": (1.2 if tricky else 1.0) + rng.normal(0, 0.01),
        }

    for engine in ("xgboost", "lightgbm"):
        words = f"beats {engine}'s default"
        assert _find(verdicts(records(helps)), words) == "holds"
        assert _find(verdicts(records(hurts)), words) == "does not hold here"
    assert _find(verdicts(records(helps, datasets=2)), "beats xgboost") == "not enough evidence"


def test_l1_smaller_models_at_matched_error_flips():
    def l1_zeros(row, rng):
        return {**flat(row, rng), "zero_leaf_frac": rng.uniform(0.3, 0.5) if row["reg_alpha"] > 0 else 0.0}

    def l2_prunes(row, rng):  # L2 grows smaller trees than L1's zeros save: the L2 model is the smaller one
        l2 = row["reg_alpha"] == 0 and row["reg_lambda"] > 0
        return {
            **flat(row, rng),
            "zero_leaf_frac": rng.uniform(0.1, 0.2) if row["reg_alpha"] > 0 else 0.0,
            "n_leaves_mean": 4.0 + rng.uniform(0, 0.5) if l2 else 10.0,
        }

    def same_size(row, rng):  # neither zeros nor pruning: the sizes agree, within the 1% band
        return {**flat(row, rng), "n_leaves_mean": 10.0 + rng.normal(0, 0.01)}

    words = "L1 gives smaller models than L2"
    assert _find(verdicts(records(l1_zeros)), words) == "holds"
    assert _find(verdicts(records(l2_prunes)), words) == "does not hold here"
    assert _find(verdicts(records(same_size)), words) == "does not hold here"

    def l1_breaks(row, rng):  # L1 is only ever far worse on validation: no L1 fit is an operating point
        out = flat(row, rng)
        if row["reg_alpha"] > 0 and row["reg_lambda"] == 0:
            out["valid_error"] = 2.0
        return {**out, "zero_leaf_frac": 0.9 if row["reg_alpha"] > 0 else 0.0}

    assert _find(verdicts(records(l1_breaks)), words) == "not enough evidence"


def test_noise_features_at_matched_error_flip_and_informative_ones_must_stay():
    def l1_drops_noise(row, rng):
        l1 = row["reg_alpha"] > 0 and row["reg_lambda"] == 0
        return {**flat(row, rng), "n_noise_features_used": 1.0 + rng.integers(0, 2) if l1 else 5.0}

    def l1_keeps_noise(row, rng):
        l2 = row["reg_alpha"] == 0 and row["reg_lambda"] > 0
        return {**flat(row, rng), "n_noise_features_used": 1.0 + rng.integers(0, 2) if l2 else 5.0}

    def l1_drops_everything(row, rng):  # fewer noise features, but the informative ones go too
        l1 = row["reg_alpha"] > 0 and row["reg_lambda"] == 0
        return {
            **flat(row, rng),
            "n_noise_features_used": 1.0 + rng.integers(0, 2) if l1 else 5.0,
            "n_features_used": 2.0 + rng.integers(0, 2) if l1 else 10.0,
        }

    words = "fewer noise features"
    assert _find(verdicts(records(l1_drops_noise, synthetic=True)), words) == "holds"
    assert _find(verdicts(records(l1_keeps_noise, synthetic=True)), words) == "does not hold here"
    assert _find(verdicts(records(l1_drops_everything, synthetic=True)), words) == "does not hold here"
    assert _find(verdicts(records(flat, synthetic=False)), words) == "not enough evidence"  # no known noise features
    # every operating point uses every noise feature: the count cannot differ, so it is not a measurement
    assert _find(verdicts(records(flat, synthetic=True)), words) == "not measurable here"


def test_reg_lambda_limits_tree_size_per_engine_flips():
    def smaller(row, rng):
        return {**flat(row, rng), "n_leaves_mean": 10.0 / (1 + row["reg_lambda_relative"]) + rng.normal(0, 0.1)}

    def grows(row, rng):  # XGBoost's trees grow with lambda, LightGBM's shrink
        lam = row["reg_lambda_relative"]
        size = 10.0 * (1 + lam) if row["engine"] == "xgboost" else 10.0 / (1 + lam)
        return {**flat(row, rng), "n_leaves_mean": size + rng.normal(0, 0.1)}

    v = verdicts(records(smaller))
    assert v["reg_lambda limits tree size (xgboost)"] == v["reg_lambda limits tree size (lightgbm)"] == "holds"
    v = verdicts(records(grows))
    assert v["reg_lambda limits tree size (xgboost)"] == "does not hold here"
    assert v["reg_lambda limits tree size (lightgbm)"] == "holds"


def test_gap_claim_is_the_test_error_falling_not_the_training_error_rising():
    def test_falls(row, rng):
        chosen = row["reg_alpha_relative"] == 0.1 and row["reg_lambda_relative"] == 1.0
        return {
            "valid_error": (0.9 if chosen else 1.0) + rng.uniform(0, 0.001),
            "test_error": (0.9 if chosen else 1.0) + rng.normal(0, 0.005),
            "train_error": 0.5,
        }

    def train_rises(row, rng):  # the gap narrows only because training error rose: the claim must not hold
        chosen = row["reg_alpha_relative"] == 0.1 and row["reg_lambda_relative"] == 1.0
        return {
            "valid_error": (0.9 if chosen else 1.0) + rng.uniform(0, 0.001),
            "test_error": 1.0,
            "train_error": (0.8 if chosen else 0.5) + rng.normal(0, 0.01),
        }

    words = "narrows the train–test gap"
    assert _find(verdicts(records(test_falls)), words) == "holds"
    claim = [c for c in claims_ledger(records(train_rises)) if words in c.claim][0]
    assert claim.verdict == "does not hold here"
    assert "training error up +30.0%" in claim.details[0] and "test error down +0.0%" in claim.details[0]


def test_without_a_validation_split_no_claim_is_decided():
    fits = records(flat).assign(valid_error=np.nan)
    (claim,) = claims_ledger(fits)
    assert claim.verdict == "not enough evidence" and "validation split" in claim.evidence


# ---------------------------------------------------------------------------------------------- mechanism checks


def _leaves(values, G, H, alpha, lam, lr=0.1):
    theory = -lr * np.sign(G) * np.maximum(np.abs(G) - alpha, 0) / (np.asarray(H) + lam)
    return pd.DataFrame(
        {
            "fit_id": "f",
            "tree": 0,
            "leaf": np.arange(len(G)),
            "value": values,
            "theory": theory,
            "G": G,
            "H": H,
            "reg_alpha": alpha,
            "reg_lambda": lam,
            "learning_rate": lr,
            "max_delta_step": 0.0,
        }
    )


def test_zero_iff_and_the_l2_factor_count_leaves_and_fail_on_a_wrong_one():
    fits = pd.DataFrame({"status": ["ok"], "theory_max_rel_err": [1e-9]})
    G, H = np.array([0.5, -2.0, 3.0, -0.2]), np.array([10.0, 20.0, 5.0, 8.0])
    l1 = _leaves(None, G, H, alpha=1.0, lam=0.0)
    l1["value"] = l1.theory  # 0.5 and -0.2 are exactly 0: |G| <= alpha
    l2 = _leaves(None, G, H, alpha=0.0, lam=4.0)
    l2["value"] = -0.1 * G / H * H / (H + 4.0)
    checks = {c.check: c for c in mechanism_checks(fits, pd.concat([l1, l2]))}
    zero = checks["a leaf is exactly 0 iff |G| ≤ reg_alpha"]
    factor = checks["L2 scales the Newton step by H/(H + λ)"]
    assert (zero.agree, zero.total, zero.status) == (4, 4, "passed")
    assert (factor.agree, factor.total, factor.status) == (4, 4, "passed")
    l1.loc[0, "value"] = -8.67e-19  # one bit away from 0: the check must see it
    l2.loc[2, "value"] *= 1.01
    checks = {c.check: c for c in mechanism_checks(fits, pd.concat([l1, l2]))}
    assert (
        checks["a leaf is exactly 0 iff |G| ≤ reg_alpha"].agree,
        checks["a leaf is exactly 0 iff |G| ≤ reg_alpha"].status,
    ) == (3, "failed")
    assert checks["L2 scales the Newton step by H/(H + λ)"].agree == 3


def _theory_rel_err(lv: pd.DataFrame, sum_abs_g: np.ndarray) -> float:
    """The theory check's error of a fit (docs/theory-check.md):
    max |value - theory| / max(|value|, |theory|, lr·Σ|g|/(H + λ))."""
    scale = lv.learning_rate * sum_abs_g / (lv.H + lv.reg_lambda)
    denom = np.maximum(np.maximum(np.abs(lv.value), np.abs(lv.theory)), scale)
    return float((np.abs(lv.value - lv.theory) / denom).max())


def test_a_leaf_off_by_the_float32_rounding_of_a_cancelling_G_is_set_aside_and_a_real_miss_still_fails():
    # leaf 0: 1000 rows whose gradients of ±0.5 cancel to G = -0.002 (Σ|g| = 500); the engine's float32 sum is off
    # by 5e-6 = 1e-8·Σ|g|, 2.5e-3 of G: the plain relative error misses 1e-4, the theory check's tolerance holds
    G, H, A = np.array([-0.002, 3.0, -2.0]), np.array([250.0, 20.0, 8.0]), np.array([500.0, 3.0, 2.0])
    l2 = _leaves(None, G, H, alpha=0.0, lam=4.0)
    l2["value"] = -0.1 * (G + np.array([5e-6, 0.0, 0.0])) / (H + 4.0)
    fits = pd.DataFrame({"fit_id": ["f"], "status": ["ok"], "theory_max_rel_err": [_theory_rel_err(l2, A)]})
    assert fits.theory_max_rel_err[0] == pytest.approx(1e-8)  # the theory check passes this fit
    factor = mechanism_checks(fits, l2)[2]
    assert (factor.agree, factor.total, factor.status) == (2, 2, "passed")
    assert any(
        d.startswith("1 leaves off by more than 0.0001 of their value") and "|G| ≤ 0.002" in d for d in factor.details
    )
    # without the fit's record (or with a fit whose check failed) the same leaf counts as a miss
    assert mechanism_checks(fits.drop(columns="fit_id"), l2)[2].status == "failed"
    # a real mismatch: leaf 1 (nothing cancels: |G| = Σ|g|) 1% off fails the theory check, so every miss counts
    l2.loc[1, "value"] *= 1.01
    fits.loc[0, "theory_max_rel_err"] = _theory_rel_err(l2, A)
    assert fits.theory_max_rel_err[0] > 1e-3
    factor = mechanism_checks(fits, l2)[2]
    assert (factor.agree, factor.total, factor.status) == (1, 3, "failed")
    assert not any("set aside" in d for d in factor.details)


def test_zero_iff_sets_aside_a_leaf_zeroed_by_rounding_but_not_a_nonzero_leaf_below_alpha():
    # alpha = 1. Leaf 0: G = 1.000002 over rows with Σ|g| = 400, whose float32 sum in the engine is 0.999998 <= alpha:
    # stored 0, closed form -lr·2e-6/(H + λ); the theory check's error 2e-6 / 400 = 5e-9 passes. Leaf 1 is kept one
    # bit from 0 with |G| = 0.5, clearly below alpha: the theory check cannot see it (8.67e-19 against lr·Σ|g|/H),
    # the zero-iff check must.
    G, H, A = np.array([1.000002, 0.5, 3.0, -0.2]), np.array([10.0, 20.0, 5.0, 8.0]), np.array([400.0, 0.5, 3.0, 0.2])
    l1 = _leaves(None, G, H, alpha=1.0, lam=0.0)
    l1["value"] = l1.theory.where(np.arange(4) != 0, 0.0)
    fits = pd.DataFrame({"fit_id": ["f"], "status": ["ok"], "theory_max_rel_err": [_theory_rel_err(l1, A)]})
    assert fits.theory_max_rel_err[0] == pytest.approx(5e-9)
    zero = mechanism_checks(fits, l1)[1]
    assert (zero.agree, zero.total, zero.status) == (3, 3, "passed")
    assert zero.details[0].startswith("1 leaves on the wrong side of reg_alpha")
    l1.loc[1, "value"] = -8.67e-19
    fits.loc[0, "theory_max_rel_err"] = _theory_rel_err(l1, A)
    assert fits.theory_max_rel_err[0] < 1e-4  # still passes the theory check
    zero = mechanism_checks(fits, l1)[1]
    assert (zero.agree, zero.total, zero.status) == (2, 3, "failed")
    # in a fit whose theory check failed nothing is set aside
    zero = mechanism_checks(fits.assign(theory_max_rel_err=1e-2), l1)[1]
    assert (zero.agree, zero.total) == (2, 4) and zero.details[0].startswith("0 leaves")


@pytest.mark.parametrize("err, status", [(1e-9, "passed"), (1e-2, "failed")])
def test_closed_form_check_counts_fits(err, status):
    fits = pd.DataFrame({"status": ["ok", "ok"], "theory_max_rel_err": [1e-9, err]})
    check = mechanism_checks(fits, None)[0]
    assert check.status == status and check.total == 2
