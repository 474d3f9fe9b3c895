"""The inference protocol on hand-made records: selection on the validation split, paired gains against the library
default, the corrected resampled t interval, grid edges, pooled bootstrap over units, and verdict rules."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from boostreg import inference
from boostreg.errors import BoostregError
from boostreg.inference import Estimate, bootstrap_units, corrected_t, selection_table, summary_table, verdict


def _fit(**kw):
    row = {"study": "t", "task": "regression", "status": "ok", "in_grid": True, "is_default": False,
           "primary_metric": "rmse", "n_train": 80, "n_test": 50, "n_valid": 20, "fit_time_s": 0.1,
           "params_json": json.dumps({"n_estimators": 10}), "reg_alpha_units": "raw", "reg_lambda_units": "raw",
           "test_r2": 0.5, "test_rmse": 1.0}
    row.update(kw)
    row.setdefault("fit_id", f"{row['group_id']}-{row.get('reg_alpha')}-{row.get('reg_lambda')}-{row.get('penalty')}")
    row.setdefault("reg_alpha_relative", row.get("reg_alpha"))
    row.setdefault("reg_lambda_relative", row.get("reg_lambda"))
    return row


def _group(gid, fold, points, *, engine="xgboost", dataset="d", seed=0):
    """points: (reg_alpha, reg_lambda, valid_error, test_error, in_grid, is_default)"""
    return [_fit(group_id=gid, dataset=dataset, engine=engine, fold=fold, seed=seed, reg_alpha=a, reg_lambda=l,
                 valid_error=v, test_error=t, in_grid=g, is_default=dflt)
            for a, l, v, t, g, dflt in points]


def test_selection_uses_the_validation_error_never_the_test_fold():
    fits = pd.DataFrame(_group("g0", 0, [
        (0.0, 0.0, 1.00, 0.90, True, False),   # unpenalized
        (0.0, 1.0, 0.98, 0.95, False, True),   # XGBoost's default, not in the grid
        (1.0, 0.0, 0.95, 0.99, True, False),   # best on validation, worse on test
        (10.0, 0.0, 1.20, 0.50, True, False),  # best on test: must not be chosen
    ]))
    row = selection_table(fits).iloc[0]
    assert (row.selected_reg_alpha, row.selected_reg_lambda) == (1.0, 0.0)
    assert row.test_error_selected == 0.99 and row.test_error_default == 0.95 and row.test_error_unpenalized == 0.90
    assert row.gain_vs_default == pytest.approx(0.95 - 0.99)
    assert row.gain_vs_unpenalized == pytest.approx(0.90 - 0.99)


def test_ties_go_to_the_smaller_reg_alpha_then_the_smaller_reg_lambda():
    fits = pd.DataFrame(_group("g0", 0, [
        (0.0, 0.0, 1.0, 0.9, True, False), (1.0, 10.0, 0.5, 0.8, True, False), (1.0, 1.0, 0.5, 0.7, True, False),
        (10.0, 0.0, 0.5, 0.6, True, False), (0.0, 1.0, 0.9, 0.9, False, True)]))
    row = selection_table(fits).iloc[0]
    assert (row.selected_reg_alpha, row.selected_reg_lambda) == (1.0, 1.0)
    base = pd.DataFrame([_fit(group_id="b", dataset="d", engine="ridge", fold=0, seed=0, penalty=p, valid_error=v,
                              test_error=t, is_default=p == 1.0) for p, v, t in ((0.1, 2.0, 1.0), (1.0, 1.0, 1.1),
                                                                                   (10.0, 1.0, 1.2))])
    row = selection_table(base).iloc[0]
    assert row.selected_penalty == 1.0 and row.gain_vs_default == 0.0
    assert row.test_error_unpenalized == 1.0  # ridge: the smallest alpha is the least penalized
    assert not row.at_grid_edge


def test_grid_edge_is_flagged_for_the_largest_penalty_not_for_added_fits():
    pts = [(0.0, 0.0, 1.0, 1.0, True, False), (1.0, 0.0, 0.9, 1.0, True, False), (10.0, 0.0, 0.8, 1.0, True, False),
           (0.0, 1.0, 1.0, 1.0, False, True)]
    assert bool(selection_table(pd.DataFrame(_group("g", 0, pts))).iloc[0].at_grid_edge)
    pts[2] = (10.0, 0.0, 0.95, 1.0, True, False)
    assert not bool(selection_table(pd.DataFrame(_group("g", 0, pts))).iloc[0].at_grid_edge)  # 1.0 is interior
    pts[3] = (0.0, 1.0, 0.5, 1.0, False, True)  # the default wins: it is not part of the grid, so not on its edge
    assert not bool(selection_table(pd.DataFrame(_group("g", 0, pts))).iloc[0].at_grid_edge)


def test_corrected_t_by_hand_and_never_narrower_than_plain_t():
    d = [1.0, 2.0, 3.0, 4.0]
    est = corrected_t(d, 0.5)
    half = stats.t.ppf(0.975, 3) * np.sqrt((1 / 4 + 0.5) * np.var(d, ddof=1))
    assert (est.mean, est.ci_low, est.ci_high) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    plain = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert corrected_t(d, 0.0).ci_low == pytest.approx(plain.low) and est.ci_low < plain.low
    assert np.isnan(corrected_t([1.0], 0.5).ci_low)


def test_summary_gain_is_the_mean_over_folds_with_the_corrected_interval():
    rows = []
    gains = [0.10, 0.02, 0.05, -0.01, 0.07, 0.03]
    for j, g in enumerate(gains):
        rows += _group(f"g{j}", j % 3, [(0.0, 0.0, 1.0, 1.0, True, False), (1.0, 0.0, 0.9, 1.0 - g, True, False),
                                       (0.0, 1.0, 1.0, 1.0, False, True)], seed=j // 3)
    summary = summary_table(pd.DataFrame(rows))
    assert len(summary) == 1
    r = summary.iloc[0]
    est = corrected_t(gains, 50 / 80)
    assert r.n_groups == 6 and r.gain_vs_default == pytest.approx(np.mean(gains))
    assert (r.gain_ci_low, r.gain_ci_high) == pytest.approx((est.ci_low, est.ci_high))
    assert r.selected == "α=1 λ=0" and r.n_selected == 6 and r.at_grid_edge
    assert r.test_train_ratio == pytest.approx(50 / 80)
    records = inference.summary_records(summary)
    assert json.loads(json.dumps(records))[0]["gain_vs_default"] == pytest.approx(np.mean(gains))


def test_records_without_a_validation_split_are_refused():
    fits = pd.DataFrame(_group("g0", 0, [(0.0, 0.0, np.nan, 1.0, True, False)]))
    assert selection_table(fits).empty
    with pytest.raises(BoostregError, match="no validation split"):
        inference.require_validation(fits)


def test_bootstrap_resamples_units_and_verdicts_can_fail():
    est = bootstrap_units([0.1, 0.2, 0.3, 0.15])
    assert est.n == 4 and est.ci_low > 0 and est.mean == pytest.approx(0.1875)
    assert verdict(est, +1, unit_values=[0.1, 0.2, 0.3, 0.15]) == "holds"
    assert verdict(est, -1, unit_values=[0.1, 0.2, 0.3, 0.15]) == "does not hold here"
    mixed = bootstrap_units([-0.2, 0.3, -0.1, 0.25])
    assert verdict(mixed, +1, unit_values=[-0.2, 0.3, -0.1, 0.25]) == "inconclusive"
    two = bootstrap_units([0.1, 0.2])
    assert verdict(two, +1, unit_values=[0.1, 0.2]) == "not enough evidence"
    flat = bootstrap_units([0.5, 0.5, 0.5])
    assert verdict(flat, +1, unit_values=[0.5, 0.5, 0.5]) == "not enough evidence"  # a zero-width interval decides nothing
    assert verdict(Estimate(np.nan, np.nan, np.nan, 0, "none"), +1) == "not enough evidence"
