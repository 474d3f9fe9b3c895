"""The inference protocol on hand-made records: selection on the validation split, paired gains against the library
default, the corrected resampled t interval, grid edges, pooled t intervals over units (their error rate simulated),
verdict rules that can fail, and failed or missing fits that never count as a gain of 0."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from boostreg import inference
from boostreg.errors import BoostregError
from boostreg.inference import Estimate, corrected_t, pooled_t, verdict
from boostreg.tables import selection_table, summary_records, summary_table


def _fit(**kw):
    row = {
        "study": "t",
        "task": "regression",
        "status": "ok",
        "in_grid": True,
        "is_default": False,
        "primary_metric": "rmse",
        "n_train": 80,
        "n_test": 50,
        "n_valid": 20,
        "fit_time_s": 0.1,
        "params_json": json.dumps({"n_estimators": 10}),
        "reg_alpha_units": "raw",
        "reg_lambda_units": "raw",
        "test_r2": 0.5,
        "test_rmse": 1.0,
    }
    row.update(kw)
    row.setdefault("fit_id", f"{row['group_id']}-{row.get('reg_alpha')}-{row.get('reg_lambda')}-{row.get('penalty')}")
    row.setdefault("reg_alpha_relative", row.get("reg_alpha"))
    row.setdefault("reg_lambda_relative", row.get("reg_lambda"))
    return row


def _group(gid, fold, points, *, engine="xgboost", dataset="d", seed=0):
    """points: (reg_alpha, reg_lambda, valid_error, test_error, in_grid, is_default)"""
    return [
        _fit(
            group_id=gid,
            dataset=dataset,
            engine=engine,
            fold=fold,
            seed=seed,
            reg_alpha=a,
            reg_lambda=l,
            valid_error=v,
            test_error=t,
            in_grid=g,
            is_default=dflt,
        )
        for a, l, v, t, g, dflt in points
    ]


def test_selection_uses_the_validation_error_never_the_test_fold():
    fits = pd.DataFrame(
        _group(
            "g0",
            0,
            [
                (0.0, 0.0, 1.00, 0.90, True, False),  # unpenalized
                (0.0, 1.0, 0.98, 0.95, False, True),  # XGBoost's default, not in the grid
                (1.0, 0.0, 0.95, 0.99, True, False),  # best on validation, worse on test
                (10.0, 0.0, 1.20, 0.50, True, False),  # best on test: must not be chosen
            ],
        )
    )
    row = selection_table(fits).iloc[0]
    assert (row.selected_reg_alpha, row.selected_reg_lambda) == (1.0, 0.0)
    assert row.test_error_selected == 0.99 and row.test_error_default == 0.95 and row.test_error_unpenalized == 0.90
    assert row.gain_vs_default == pytest.approx(0.95 - 0.99)
    assert row.gain_vs_unpenalized == pytest.approx(0.90 - 0.99)


def test_ties_go_to_the_more_regularized_fit_for_every_engine_kind():
    fits = pd.DataFrame(
        _group(
            "g0",
            0,
            [
                (0.0, 0.0, 1.0, 0.9, True, False),
                (1.0, 10.0, 0.5, 0.8, True, False),
                (1.0, 1.0, 0.5, 0.7, True, False),
                (0.0, 1.0, 0.9, 0.9, False, True),
            ],
        )
    )
    row = selection_table(fits).iloc[0]
    assert (row.selected_reg_alpha, row.selected_reg_lambda) == (1.0, 10.0)
    fits = pd.DataFrame(
        _group(
            "g0",
            0,
            [
                (0.0, 0.0, 1.0, 0.9, True, False),
                (1.0, 10.0, 0.5, 0.8, True, False),
                (10.0, 0.0, 0.5, 0.6, True, False),
                (0.0, 1.0, 0.9, 0.9, False, True),
            ],
        )
    )
    assert selection_table(fits).iloc[0].selected_reg_alpha == 10.0  # the larger reg_alpha first
    # ridge (alpha: larger is stronger) takes the larger alpha; logistic (C: smaller is stronger) the smaller C
    base = pd.DataFrame(
        [
            _fit(
                group_id="b",
                dataset="d",
                engine="ridge",
                fold=0,
                seed=0,
                penalty=p,
                valid_error=v,
                test_error=t,
                is_default=p == 1.0,
            )
            for p, v, t in ((0.1, 2.0, 1.0), (1.0, 1.0, 1.1), (10.0, 1.0, 1.2))
        ]
    )
    row = selection_table(base).iloc[0]
    assert row.selected_penalty == 10.0 and row.selected_point == "alpha=10"
    assert row.gain_vs_default == pytest.approx(1.1 - 1.2)
    assert row.test_error_unpenalized == 1.0  # ridge: the smallest alpha is the least penalized
    logit = pd.DataFrame(
        [
            _fit(
                group_id="c",
                dataset="d",
                engine="logistic_l2",
                fold=0,
                seed=0,
                penalty=p,
                valid_error=v,
                test_error=t,
                is_default=p == 1.0,
                task="binary",
                primary_metric="logloss",
            )
            for p, v, t in ((0.1, 1.0, 0.5), (1.0, 1.0, 0.6), (10.0, 2.0, 0.7))
        ]
    )
    row = selection_table(logit).iloc[0]
    assert row.selected_penalty == 0.1 and row.selected_point == "C=0.1 (smaller = stronger)"
    assert row.test_error_unpenalized == 0.7  # C: the largest is the least penalized


def test_a_failed_or_missing_fit_gives_no_gain_and_is_counted():
    rows = []
    for j in range(4):
        rows += _group(
            f"g{j}",
            j,
            [(0.0, 0.0, 1.0, 1.0, True, False), (1.0, 0.0, 0.9, 0.9, True, False), (0.0, 1.0, 1.0, 1.0, False, True)],
        )
    fits = pd.DataFrame(rows)
    fits.loc[(fits.group_id == "g1") & fits.is_default, "status"] = "failed"  # default failed
    fits.loc[(fits.group_id == "g2") & (fits.reg_alpha == 1.0), "status"] = "failed"  # the grid point failed
    fits = fits[~((fits.group_id == "g3") & (fits.reg_alpha == 1.0))]  # killed before this fit
    sel = selection_table(fits).set_index("group_id")
    assert sel.complete.to_dict() == {"g0": True, "g1": False, "g2": False, "g3": False}
    assert sel.gain_vs_default.isna().tolist() == [False, True, True, True]  # never a gain of 0.0
    r = summary_table(fits).iloc[0]
    assert (r.n_groups, r.n_used, r.n_failed_groups, r.n_incomplete_groups) == (4, 1, 2, 1)
    assert (r.fits_present, r.fits_planned, r.complete) == (11, 12, False)
    assert r.gain_vs_default == pytest.approx(0.1) and np.isnan(r.gain_ci_low)  # one group: no interval
    # a fold group no fit of this engine reached, but another engine did, is missing too
    other = pd.DataFrame(
        _group("h", 9, [(0.0, 0.0, 1.0, 1.0, True, True), (1.0, 0.0, 0.9, 0.9, True, False)], engine="lightgbm")
    )
    st = inference.group_status(pd.concat([fits, other]))
    assert ((st.engine == "xgboost") & ~st.present).sum() == 1 and ((st.engine == "lightgbm") & ~st.present).sum() == 4


def test_relative_gain_is_the_mean_of_per_group_ratios_with_its_own_interval():
    rows = []
    for j, (default, selected) in enumerate([(1.0, 0.9), (2.0, 1.9), (4.0, 3.0)]):
        rows += _group(
            f"g{j}",
            j,
            [
                (0.0, 0.0, 1.0, default, True, False),
                (1.0, 0.0, 0.5, selected, True, False),
                (0.0, 1.0, 1.0, default, False, True),
            ],
        )
    r = summary_table(pd.DataFrame(rows)).iloc[0]
    ratios = [0.1, 0.05, 0.25]
    est = corrected_t(ratios, 50 / 80)
    assert r.gain_vs_default_relative == pytest.approx(np.mean(ratios))  # not mean(gain) / mean(default) = 0.171
    assert (r.rel_gain_ci_low, r.rel_gain_ci_high) == pytest.approx((est.ci_low, est.ci_high))
    assert r.resolution_relative == pytest.approx(est.width / 2)


def test_paired_model_difference_pairs_by_outer_fold():
    rows = []
    for j, (a, b) in enumerate([(0.80, 0.70), (0.90, 0.81), (0.85, 0.74)]):
        for engine, auc in (("logistic_l2", a), ("xgboost", b)):
            rows.append(
                {
                    "dataset": "d",
                    "engine": engine,
                    "fold": j,
                    "seed": 0,
                    "complete": True,
                    "n_test": 50,
                    "n_train": 100,
                    "test_auc_selected": auc,
                }
            )
    est = inference.paired_model_difference(pd.DataFrame(rows), "d", "logistic_l2", "xgboost", "test_auc_selected")
    ref = corrected_t([0.10, 0.09, 0.11], 0.5)
    assert (est.mean, est.ci_low, est.ci_high) == pytest.approx((ref.mean, ref.ci_low, ref.ci_high))


def test_grid_edge_is_flagged_for_the_largest_penalty_not_for_added_fits():
    pts = [
        (0.0, 0.0, 1.0, 1.0, True, False),
        (1.0, 0.0, 0.9, 1.0, True, False),
        (10.0, 0.0, 0.8, 1.0, True, False),
        (0.0, 1.0, 1.0, 1.0, False, True),
    ]
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
        rows += _group(
            f"g{j}",
            j % 3,
            [
                (0.0, 0.0, 1.0, 1.0, True, False),
                (1.0, 0.0, 0.9, 1.0 - g, True, False),
                (0.0, 1.0, 1.0, 1.0, False, True),
            ],
            seed=j // 3,
        )
    summary = summary_table(pd.DataFrame(rows))
    assert len(summary) == 1
    r = summary.iloc[0]
    est = corrected_t(gains, 50 / 80)
    assert r.n_groups == 6 and r.gain_vs_default == pytest.approx(np.mean(gains))
    assert (r.gain_ci_low, r.gain_ci_high) == pytest.approx((est.ci_low, est.ci_high))
    assert r.selected == "α=1 λ=0" and r.n_selected == 6 and r.at_grid_edge
    assert r.test_train_ratio == pytest.approx(50 / 80)
    records = summary_records(summary)
    assert json.loads(json.dumps(records))[0]["gain_vs_default"] == pytest.approx(np.mean(gains))


def test_records_without_a_validation_split_are_refused():
    fits = pd.DataFrame(_group("g0", 0, [(0.0, 0.0, np.nan, 1.0, True, False)]))
    assert selection_table(fits).empty
    with pytest.raises(BoostregError, match="no validation split"):
        inference.require_validation(fits)


def test_pooled_t_interval_by_hand_and_verdicts_that_can_fail():
    v = [0.1, 0.2, 0.3, 0.15]
    est = pooled_t(v)
    half = stats.t.ppf(0.975, 3) * np.std(v, ddof=1) / 2
    assert est.n == 4 and est.mean == pytest.approx(0.1875)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.1875 - half, 0.1875 + half))
    assert verdict(est, +1) == "holds"
    assert verdict(est, -1, band=0.01) == "does not hold here"  # the opposite side
    assert verdict(pooled_t([-0.2, 0.3, -0.1, 0.25]), +1, band=0.01) == "inconclusive"
    # a consistent null is an answer: no effect beyond the band
    null = pooled_t([0.001, -0.002, 0.0005, 0.0])
    assert verdict(null, +1, band=0.01) == "does not hold here"
    assert inference.equivalence_note(null, 0.01, pct=True) == "no difference beyond ±1%"
    assert verdict(pooled_t([0.0, 0.0, 0.0]), +1, band=0.01) == "does not hold here"
    assert verdict(pooled_t([0.1, 0.2]), +1) == "not enough evidence"
    assert verdict(Estimate(np.nan, np.nan, np.nan, 0, "none"), +1) == "not enough evidence"


def _percentile_bootstrap_holds(v, rng, n_boot=400):
    """The rule this project used before (a percentile bootstrap over units): for the simulation's contrast."""
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    return np.quantile(means, 0.025) > 0


@pytest.mark.parametrize("n", [3, 4, 6, 12])
def test_pooled_verdict_keeps_its_error_rate_at_small_n_and_has_power(n):
    """Unit effects with true mean 0 (normal, Laplace, and normal with unit-to-unit spread of 0.2-5x): the share of
    "holds" must stay at most 2.5% plus 3 Monte Carlo standard errors; the percentile bootstrap exceeded it. And a
    true effect of 1.5 standard deviations must be found ("holds") in at least the power the t test promises."""
    rng = np.random.default_rng(n)
    reps = 3000
    limit = 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)
    draws = {
        "normal": rng.normal(size=(reps, n)),
        "laplace": rng.laplace(size=(reps, n)),
        "mixed scales": rng.normal(size=(reps, n)) * rng.choice([0.2, 1.0, 5.0], size=(reps, n)),
    }
    for name, d in draws.items():
        false_holds = np.mean([verdict(pooled_t(row), +1) == "holds" for row in d])
        assert false_holds <= limit, (name, false_holds)
    boot = np.mean([_percentile_bootstrap_holds(row, rng) for row in draws["normal"][:1000]])
    assert boot > limit  # the old rule fails this test (12.7% at n=3 in the audit)
    effect = 1.5
    power = np.mean([verdict(pooled_t(row + effect), +1) == "holds" for row in draws["normal"]])
    promised = 1 - stats.nct.cdf(stats.t.ppf(0.975, n - 1), n - 1, effect * np.sqrt(n))
    assert power >= promised - 3 * np.sqrt(promised * (1 - promised) / reps), (power, promised)
    # and the equivalence side: a true effect of exactly the band is ruled out ("does not hold here") at most 2.5%
    band = 0.5
    wrong = np.mean([verdict(pooled_t(row + band), +1, band=band) == "does not hold here" for row in draws["normal"]])
    assert wrong <= limit


# ---------------------------------------------------------------------------------------------- matched pairs


def test_matched_pairs_picks_by_hand():
    """Within 5% of the group's best validation error (0.98 -> 1.029): the strongest L1-only and L2-only fits, the
    unpenalized fit and the selected one; a group with no L1-only fit inside the margin has NaN on that side."""
    g1 = _group(
        "g1",
        0,
        [
            (0.0, 0.0, 1.00, 1.1, True, False),
            (0.1, 0.0, 1.01, 1.2, True, False),
            (1.0, 0.0, 1.02, 1.3, True, False),  # the strongest L1 inside
            (10.0, 0.0, 1.50, 1.6, True, False),  # outside the margin
            (0.0, 1.0, 0.99, 1.0, True, False),
            (0.0, 10.0, 1.03, 1.4, True, False),  # L2: 1.03 > 1.029, outside
            (0.1, 1.0, 0.98, 0.9, True, False),  # selected
        ],
    )
    g2 = _group("g2", 1, [(0.0, 0.0, 1.0, 1.0, True, False), (5.0, 0.0, 2.0, 2.0, True, False)])
    pairs = inference.matched_pairs(pd.DataFrame(g1 + g2)).set_index("group_id")
    assert pairs.loc["g1", "l1_reg_alpha"] == 1.0 and pairs.loc["g1", "l1_test_error"] == 1.3
    assert pairs.loc["g1", "l2_reg_lambda"] == 1.0
    assert pairs.loc["g1", "unpen_valid_error"] == 1.00
    assert (pairs.loc["g1", "sel_reg_alpha"], pairs.loc["g1", "sel_reg_lambda"]) == (0.1, 1.0)
    assert np.isnan(pairs.loc["g2", "l1_reg_alpha"]) and np.isnan(pairs.loc["g2", "l2_fit_id"])
    assert pairs.loc["g2", "sel_reg_alpha"] == 0.0
    assert list(pairs.index) == ["g1", "g2"]


def _matched_pairs_by_loop(fits, margin=inference.MATCH_MARGIN):
    """The definition, one group at a time (what the vectorized matched_pairs must equal)."""
    op = inference.operating_points(fits, margin)
    cols = [c[len("l1_") :] for c in inference.matched_pairs(fits).columns if c.startswith("l1_")]
    rows = []
    for gid, g in op.groupby("group_id", sort=True):
        first = g.iloc[0]
        row = {"group_id": gid, **{k: first[k] for k in ("dataset", "engine", "task", "fold", "seed")}}
        row.update(n_test=first.n_test, n_train=first.n_train)
        inside = g[g.within_margin]
        picks = {
            "l1": inside[(inside.reg_alpha > 0) & (inside.reg_lambda == 0)]
            .sort_values(["reg_alpha_relative", "reg_alpha"], kind="mergesort")
            .tail(1),
            "l2": inside[(inside.reg_alpha == 0) & (inside.reg_lambda > 0)]
            .sort_values(["reg_lambda_relative", "reg_lambda"], kind="mergesort")
            .tail(1),
            "unpen": g[(g.reg_alpha == 0) & (g.reg_lambda == 0)].head(1),
            "sel": g.sort_values(["valid_error", "reg_alpha", "reg_lambda"], kind="mergesort").head(1),
        }
        for tag, pick in picks.items():
            for c in cols:
                row[f"{tag}_{c}"] = pick[c].iloc[0] if len(pick) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def test_matched_pairs_equal_the_loop_over_groups_on_the_committed_tuning_study():
    """Every pick of all 250 fold groups of the committed tuning study, and of a subset with ties in validation
    error, equals the group-at-a-time definition (values, dtypes, order)."""
    from pathlib import Path

    fits = pd.read_parquet(Path(__file__).resolve().parents[1] / "reports" / "tuning_guide" / "fits.parquet")
    tied = fits[fits.fold == 0].assign(valid_error=lambda f: f.valid_error.round(1))  # many ties
    for frame in (fits, tied):
        fast, loop = inference.matched_pairs(frame), _matched_pairs_by_loop(frame)
        assert len(fast) == frame.group_id.nunique()
        pd.testing.assert_frame_equal(fast, loop)
