"""Metrics (multiclass and weighted) against hand-computed values and sklearn, and the selection metric a study
chooses: built-in (r2, auc, accuracy, mlogloss) or a boostreg.Metric."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_xy
from sklearn import metrics as skm

from boostreg import measure
from boostreg import metrics as M
from boostreg.errors import BoostregError
from boostreg.study import DatasetSpec, Study

# ---------------------------------------------------------------------------------------------- hand-computed


def test_regression_metrics_by_hand_unweighted_and_weighted():
    y, m = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 3, 2])  # residuals 0, 1, 0, -2
    r = M.metrics(y, m, "regression", "t")
    assert r["t_rmse"] == pytest.approx(math.sqrt(5 / 4)) and r["t_mae"] == 0.75
    assert r["t_r2"] == pytest.approx(0.0)  # ss_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5 = ss_res
    assert M.primary_error(y, m, "regression", "r2")[0] == pytest.approx(1.0)
    w = np.array([2.0, 1, 1, 1])  # weighted mean of y = 11 / 5
    r = M.metrics(y, m, "regression", "t", "r2", weight=w)
    assert r["t_rmse"] == pytest.approx(1.0) and r["t_mae"] == pytest.approx(3 / 5)
    ss_tot = 2 * 1.2**2 + 0.2**2 + 0.8**2 + 1.8**2  # 6.8
    assert r["t_r2"] == pytest.approx(1 - 5 / ss_tot) and r["t_error"] == pytest.approx(5 / ss_tot)


def test_binary_metrics_by_hand():
    y, m = np.array([0.0, 0, 1, 1]), np.array([-1.0, 1, 0.5, 2])
    r = M.metrics(y, m, "binary", "t", "auc")
    assert r["t_auc"] == 0.75  # pairs ranked right: 0.5 > -1, 2 > -1, 2 > 1 (0.5 < 1)
    assert r["t_error"] == 0.25 and r["t_accuracy"] == 0.75
    expected = (
        math.log1p(math.exp(-1)) + math.log1p(math.exp(1)) + math.log1p(math.exp(-0.5)) + math.log1p(math.exp(-2))
    ) / 4
    assert r["t_logloss"] == pytest.approx(expected, rel=1e-12)
    assert M.primary_error(y, m, "binary", "accuracy")[0] == 0.25
    # weighted: negatives weigh 1 (m=-1) and 2 (m=1); pos 0.5 beats weight 1, pos 2 beats 3: 4 / (2 x 3)
    assert M.roc_auc(y, m, np.array([1.0, 2, 1, 1])) == pytest.approx(2 / 3)
    # a tie counts half: pos 1 ties neg 1 and beats 0 (1.5), pos 2 beats both (2): 3.5 / 4
    assert M.roc_auc(y, np.array([0.0, 1, 1, 2]), np.ones(4)) == pytest.approx(0.875)
    assert M.roc_auc(y, np.array([0.0, 1, 1, 2])) == pytest.approx(0.875)
    assert np.isnan(M.roc_auc(np.ones(3), np.arange(3.0), np.ones(3)))


def test_multiclass_metrics_by_hand():
    P = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.25, 0.55, 0.2]])
    y = np.array([0.0, 1, 2, 0])
    margin = np.log(P) + 3.0  # softmax is shift-invariant
    np.testing.assert_allclose(M.softmax(margin), P, rtol=1e-12)
    r = M.metrics(y, margin, "multiclass", "t")
    assert r["t_error"] == pytest.approx(-(math.log(0.7) + math.log(0.5) + math.log(0.4) + math.log(0.25)) / 4)
    assert r["t_logloss"] == r["t_error"]  # mlogloss is the multiclass default
    assert r["t_accuracy"] == 0.75  # the last row's argmax is class 1
    # one-vs-rest: class 0 (.7 beats .2 and .3, .25 beats .2: 3 / 4), class 1 (.5 beats .2 and .3: 2 / 3), class 2: 1
    assert r["t_auc"] == pytest.approx((0.75 + 2 / 3 + 1.0) / 3)
    assert r["t_auc"] == pytest.approx(skm.roc_auc_score(y, P, multi_class="ovr", average="macro"))
    assert M.primary_error(y, margin, "multiclass", "error")[0] == 0.25
    assert M.primary_error(y, margin, "multiclass", "accuracy")[0] == 0.25
    assert M.primary_error(y, margin, "multiclass", "auc")[0] == pytest.approx(1 - r["t_auc"])
    # margins (n, K, m): one value per curve point
    curve = M.primary_error(y, np.stack([margin, 0 * margin], axis=2), "multiclass", "mlogloss")
    assert curve.shape == (2,) and curve[1] == pytest.approx(math.log(3))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_a_weight_of_two_equals_the_row_twice(task):
    rng = np.random.default_rng(1)
    n = 30
    if task == "multiclass":
        y = np.arange(n) % 3.0
        m = rng.normal(size=(n, 3))
    else:
        y = (rng.random(n) < 0.5).astype(float) if task == "binary" else rng.normal(size=n)
        m = y + rng.normal(size=n)
    w = np.ones(n)
    w[[0, 5, 7]] = 2.0
    dup = np.concatenate([np.arange(n), [0, 5, 7]])
    weighted = M.metrics(y, m, task, "t", weight=w)
    twice = M.metrics(y[dup], m[dup], task, "t")
    assert weighted.keys() == twice.keys()
    for key in weighted:
        assert weighted[key] == pytest.approx(twice[key], rel=1e-12), key
    for metric in M.SELECTABLE[task]:
        assert M.primary_error(y, m, task, metric, weight=w)[0] == pytest.approx(
            M.primary_error(y[dup], m[dup], task, metric)[0], rel=1e-12
        )


# ---------------------------------------------------------------------------------------------- against sklearn


@pytest.mark.parametrize("weighted", [False, True])
def test_every_metric_equals_sklearn(weighted):
    rng = np.random.default_rng(0)
    n = 300
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    y = rng.normal(size=n)
    m = y + rng.normal(size=n)
    r = M.metrics(y, m, "regression", "t", weight=w)
    assert r["t_rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, m, sample_weight=w)), rel=1e-12)
    assert r["t_mae"] == pytest.approx(skm.mean_absolute_error(y, m, sample_weight=w), rel=1e-12)
    assert r["t_r2"] == pytest.approx(skm.r2_score(y, m, sample_weight=w), rel=1e-12)
    yb = (rng.random(n) < 0.4).astype(float)
    mb = np.round(rng.normal(size=n) + yb, 1)  # rounded: ties
    r = M.metrics(yb, mb, "binary", "t", weight=w)
    assert r["t_logloss"] == pytest.approx(skm.log_loss(yb, M.sigmoid(mb), sample_weight=w), rel=1e-12)
    assert r["t_auc"] == pytest.approx(skm.roc_auc_score(yb, mb, sample_weight=w), rel=1e-12)
    assert r["t_accuracy"] == pytest.approx(skm.accuracy_score(yb, mb > 0, sample_weight=w), rel=1e-12)
    yc = rng.integers(0, 4, n).astype(float)
    mc = rng.normal(size=(n, 4))
    mc[np.arange(n), yc.astype(int)] += 1
    P = M.softmax(mc)
    r = M.metrics(yc, mc, "multiclass", "t", weight=w)
    assert r["t_logloss"] == pytest.approx(skm.log_loss(yc, P, sample_weight=w), rel=1e-12)
    ovr = skm.roc_auc_score(yc, P, multi_class="ovr", average="macro", sample_weight=w)
    assert r["t_auc"] == pytest.approx(ovr, rel=1e-12)
    assert r["t_accuracy"] == pytest.approx(skm.accuracy_score(yc, mc.argmax(1), sample_weight=w), rel=1e-12)


def test_unweighted_numbers_are_bit_identical_to_the_formulas_before_weights():
    rng = np.random.default_rng(3)
    y = rng.normal(size=101)
    m = y + rng.normal(size=101)
    r = measure.metrics(y, m, "regression", "test")
    resid = m - y
    assert r["test_rmse"] == float(np.sqrt(np.mean(resid**2))) == r["test_error"]
    assert r["test_mae"] == float(np.mean(np.abs(resid)))
    assert r["test_r2"] == float(1 - np.sum(resid**2) / np.sum((y - y.mean()) ** 2))
    yb = (rng.random(101) < 0.5).astype(float)
    r = measure.metrics(yb, m, "binary", "test")
    x = m * (1.0 - 2.0 * yb)
    assert r["test_logloss"] == float(np.mean(np.logaddexp(0.0, x), dtype=np.float64)) == r["test_error"]
    assert r["test_accuracy"] == float(np.mean((m > 0) == (yb > 0.5)))
    curve = measure.primary_error(yb, np.stack([m, 2 * m], 1), "binary", "logloss", np.float32)
    x32 = np.stack([m, 2 * m], 1).astype(np.float32) * (1.0 - 2.0 * yb[:, None]).astype(np.float32)
    assert np.array_equal(curve, np.mean(np.logaddexp(np.float32(0), x32), axis=0, dtype=np.float64))


# ---------------------------------------------------------------------------------------------- gradients


def test_weighted_gradients_multiply_g_and_h_by_the_weight_in_the_engines_precision():
    margin = np.array([0.3, -1.2, 2.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 1.0], dtype=np.float32)
    w = np.array([2.0, 0.5, 1.0 / 3.0])
    g0, h0 = measure.gradients(margin, y, "binary", arith=np.float32, store=np.float32)
    g, h = measure.gradients(margin, y, "binary", arith=np.float32, store=np.float32, weight=w)
    w32 = w.astype(np.float32)
    assert np.array_equal(g, g0 * w32) and np.array_equal(h, h0 * w32)  # float32 products, as XGBoost's
    g, h = measure.gradients(margin, y, "regression", weight=w)
    assert np.array_equal(h, w32.astype(np.float64)) and np.allclose(g, (margin - y) * w32)
    g1, h1 = measure.gradients(margin, y, "binary", arith=np.float32, store=np.float32, weight=np.ones(3))
    assert np.array_equal(g1, g0) and np.array_equal(h1, h0)


def _one_tree(leaf_of_row, values, n_leaves=2):
    return measure.Ensemble(
        leaf_values=[np.asarray(values, dtype=np.float64)],
        is_leaf=[np.ones(n_leaves, dtype=bool)],
        depth=np.array([1]),
        split_features=[np.array([0])],
        feature_names=("x",),
        base_margin=0.0,
        train_leaf=np.asarray(leaf_of_row)[:, None],
        test_leaf=None,
    )


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_weighted_theory_check_sums_weighted_g_and_h(task):
    y = np.array([1.0, 3.0, 0.0, 1.0, 1.0]) if task == "regression" else np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    leaf = np.array([0, 0, 1, 1, 1])
    w = np.array([2.0, 1.0, 0.5, 3.0, 1.0])
    g, h = measure.gradients(np.zeros(5), y, task, weight=w)
    G = np.bincount(leaf, weights=g)
    H = np.bincount(leaf, weights=h)
    if task == "regression":
        np.testing.assert_allclose(H, [3.0, 4.5])  # the weight sums, not the row counts
    lr, lam = 0.3, 1.0
    values = measure.leaf_weight(G, H, reg_alpha=0.0, reg_lambda=lam, learning_rate=lr)
    ens = _one_tree(leaf, values)
    kw = dict(reg_alpha=0.0, reg_lambda=lam, learning_rate=lr)
    assert measure.theory_check(ens, y, task, weight=w, **kw).max_rel_err < 1e-6
    assert measure.theory_check(ens, y, task, **kw).max_rel_err > 1e-2  # unweighted sums give other leaves
    curve, _ = measure.error_curve(ens, y, task, weight=w)
    assert curve[0] == pytest.approx(M.primary_error(y, ens.leaf_values[0][leaf], task, weight=w)[0], rel=1e-6)


# ---------------------------------------------------------------------------------------------- the choice


def test_curve_metric_is_the_nearest_library_loss():
    assert M.curve_metric("regression", "mae") == "mae" and M.curve_metric("regression", "r2") == "rmse"
    assert M.curve_metric("binary", "auc") == "logloss" and M.curve_metric("binary", "accuracy") == "error"
    assert M.curve_metric("multiclass", "accuracy") == "error" and M.curve_metric("multiclass", "auc") == "mlogloss"
    assert M.curve_metric("binary", "auto") == "logloss"
    cost = M.Metric(skm.mean_absolute_error, greater_is_better=False)
    assert M.curve_metric("regression", cost) == "rmse"


def _study(**kw):
    return Study(name="m", datasets=[DatasetSpec(name="diabetes")], **kw)


def test_study_accepts_the_new_metrics_and_lists_the_choices():
    pm = _study(primary_metric={"regression": "r2", "binary": "auc", "multiclass": "accuracy"}).primary_metric
    assert pm == {"regression": "r2", "binary": "auc", "multiclass": "accuracy"}
    assert _study(primary_metric="auc").primary_metric == {
        "regression": "rmse",
        "binary": "auc",
        "multiclass": "auc",
    }
    with pytest.raises(BoostregError, match=r"choose one of logloss, error, auc, accuracy") as err:
        _study(primary_metric={"binary": "r2"})
    assert "\n" not in str(err.value)
    with pytest.raises(BoostregError, match="choose one of mlogloss, error, auc, accuracy"):
        _study(primary_metric={"multiclass": "logloss"})


def test_multiclass_default_stays_out_of_the_identity_and_a_metric_enters_it_by_name():
    spec = _study().to_toml_dict()["study"]["primary_metric"]
    assert spec == {"regression": "rmse", "binary": "logloss"}  # folders written before multiclass keep theirs
    cost = M.Metric(skm.mean_absolute_error, greater_is_better=False, name="cost")
    spec = _study(primary_metric={"regression": cost}).to_toml_dict()["study"]["primary_metric"]
    assert spec["regression"] == "cost" and type(spec["regression"]) is str
    other = M.Metric(skm.mean_absolute_error, greater_is_better=False, name="cost2")
    assert (
        _study(primary_metric={"regression": other}).to_toml_dict()
        != _study(primary_metric={"regression": cost}).to_toml_dict()
    )


def _auc(y, p, sample_weight=None):
    return skm.roc_auc_score(y, p, sample_weight=sample_weight)


def test_metric_is_a_name_that_travels_with_its_callable():
    m = M.Metric(_auc, greater_is_better=True)
    assert m == "_auc" and m.name == "_auc" and m.greater_is_better
    back = pickle.loads(pickle.dumps(m))
    assert back.fn is _auc and back.greater_is_better and back == m
    y, margin = np.array([0.0, 1, 0, 1]), np.array([-1.0, 1, 0.5, 2])
    assert M.metrics(y, margin, "binary", "t", m)["t_error"] == -1.0  # every positive above every negative
    loss = M.Metric(lambda y, p, sample_weight=None: float(np.mean(np.abs(y - p))), greater_is_better=False, name="l")
    assert M.primary_error(y, np.stack([margin, margin], 1), "binary", loss) == pytest.approx(
        [np.mean(np.abs(y - M.sigmoid(margin)))] * 2
    )


@pytest.mark.parametrize(
    "primary, says",
    [
        ({"binary": M.Metric(lambda y, p: 1.0, greater_is_better=True, name="two_args")}, "raised TypeError"),
        (
            {"binary": M.Metric(lambda y, p, sample_weight=None: np.nan, greater_is_better=True, name="nan")},
            "returned nan, not a finite number",
        ),
        ({"binary": M.Metric(_auc, greater_is_better=True, name="auc")}, "not a built-in metric's name"),
        ({"binary": _auc}, "bare callable; wrap it as boostreg.Metric"),
        (M.Metric(_auc, greater_is_better=True), "does not say its task"),
    ],
)
def test_a_bad_metric_is_one_line(primary, says):
    with pytest.raises(BoostregError, match=says) as err:
        _study(primary_metric=primary)
    assert "\n" not in str(err.value)


def test_metric_needs_a_callable_a_direction_and_a_name():
    with pytest.raises(BoostregError, match="needs a callable"):
        M.Metric("auc", greater_is_better=True)
    with pytest.raises(BoostregError, match="True .a score. or False"):
        M.Metric(_auc, greater_is_better="yes")
    with pytest.raises(BoostregError, match="needs a name"):
        M.Metric(lambda y, p, sample_weight=None: 0.0, greater_is_better=True)


# ---------------------------------------------------------------------------------------------- tiny studies


def _frame(task: str, n: int = 240) -> pd.DataFrame:
    X, y = synthetic_xy(task, n, 4, seed=2)
    return X.assign(target=y)


def _run(tmp_path, task, engines, primary):
    from boostreg import run_study

    study = Study(
        name=f"pick-{task}",
        datasets=[DatasetSpec(name=f"syn_{task}", frame=_frame(task), target="target", task=task)],
        engines=engines,
        grid={"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0, 30.0]},
        params={"n_estimators": 8, "learning_rate": 0.3, "max_depth": 2, "validation_fraction": 0.3},
        baseline_grid={"penalty": [0.01, 1.0]},
        folds=2,
        primary_metric={task: primary},
    )
    return run_study(study, tmp_path / "out", jobs=1, progress=False).fits


def _check_selection(fits, value_column, to_error):
    from boostreg import tables

    ok = fits[fits.status == "ok"]
    assert len(ok) and (ok.primary_metric == ok.primary_metric.iloc[0]).all()
    # the records keep every metric; test_error is the chosen one as a loss
    np.testing.assert_allclose(ok.test_error, to_error(ok[value_column]), rtol=1e-9)
    sel = tables.selection_table(fits)
    assert len(sel) == ok.group_id.nunique()
    for row in sel.itertuples():
        group = ok[ok.group_id == row.group_id]
        assert row.valid_error_selected == group.valid_error.min()
        assert ok.set_index("fit_id").valid_error[row.selected_fit_id] == group.valid_error.min()
    return sel


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["ridge", "xgboost"])
def test_a_study_selects_on_r2(tmp_path, engine):
    fits = _run(tmp_path, "regression", [engine], "r2")
    assert (fits.status == "ok").all(), fits.loc[fits.status != "ok", "error"].tolist()
    assert set(fits.primary_metric) == {"r2"}
    _check_selection(fits, "test_r2", lambda v: 1 - v)


def score_auc(y, p, sample_weight=None):
    return skm.roc_auc_score(y, p, sample_weight=sample_weight)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["logistic_l2", "xgboost"])
def test_a_study_selects_on_auc_builtin_or_callable_alike(tmp_path, engine):
    """AUC as the built-in metric (error 1 - AUC) and as a Metric (error -AUC): every fit's validation error differs
    by exactly 1, so both pick the same settings, and each picks its group's best validation AUC."""
    metric = M.Metric(score_auc, greater_is_better=True, name="my_auc")
    engines = [engine]
    builtin = _run(tmp_path / "a", "binary", engines, "auc")
    mine = _run(tmp_path / "b", "binary", engines, metric)
    for fits in (builtin, mine):
        assert (fits.status == "ok").all(), fits.loc[fits.status != "ok", "error"].tolist()
    assert set(builtin.primary_metric) == {"auc"} and set(mine.primary_metric) == {"my_auc"}
    sel_a = _check_selection(builtin, "test_auc", lambda v: 1 - v)
    sel_b = _check_selection(mine, "test_auc", lambda v: -v)  # AUC of the probabilities is AUC of the margins
    key = ["dataset", "engine", "fold", "seed", "params_json"]
    both = builtin.merge(mine, on=key, suffixes=("_a", "_b"))
    assert len(both) == len(builtin) == len(mine)
    np.testing.assert_allclose(both.valid_error_a, 1 + both.valid_error_b, atol=1e-12)
    pick = lambda sel, fits: set(fits.set_index("fit_id").loc[sel.selected_fit_id, "params_json"])  # noqa: E731
    assert pick(sel_a, builtin) == pick(sel_b, mine)


# ---------------------------------------------------------------------------------------------- losses downstream


def test_error_ranges_follow_the_loss_form():
    from boostreg.inference import error_range

    assert error_range("auc") == (0.0, 1.0) and error_range("accuracy") == (0.0, 1.0)
    assert error_range("r2") == (0.0, np.inf) and error_range("mlogloss") == (0.0, np.inf)
    assert error_range("my_score") == (-np.inf, np.inf)


def test_relative_gain_keeps_its_sign_when_errors_are_negated_scores():
    from boostreg.inference import relative_to

    # score 0.8 by default, 0.9 selected: error -0.8 and -0.9, gain +0.1, a 12.5% improvement
    assert relative_to(-0.8 - -0.9, -0.8) == pytest.approx(0.125)
    assert relative_to(0.2 - 0.1, 0.2) == pytest.approx(0.5)  # 1 - AUC from 0.2 to 0.1: half the error gone


def test_operating_points_margin_is_a_share_of_the_best_size_even_when_negative():
    from boostreg.inference import operating_points

    rows = []
    for i, v in enumerate([-0.90, -0.86, -0.80]):  # within 5% of |best| = 0.045 of -0.90: the first two
        rows.append(
            {
                "group_id": "g",
                "fit_id": f"f{i}",
                "status": "ok",
                "engine": "xgboost",
                "kind": "booster",
                "valid_error": v,
            }
        )
    op = operating_points(pd.DataFrame(rows))
    assert op.within_margin.tolist() == [True, True, False]
    rows = [dict(r, valid_error=v) for r, v in zip(rows, [0.10, 0.104, 0.106])]  # 1 - AUC: within 0.005 of 0.10
    assert operating_points(pd.DataFrame(rows)).within_margin.tolist() == [True, True, False]


def test_validation_path_bands_clip_to_the_loss_range():
    from boostreg.analysis.frames import _band

    mean, lo, hi = _band([0.01, 0.02, 0.0, 0.03], 0.5, "auc")  # 1 - AUC near 0: the band stops at 0
    assert lo == 0.0 and hi > mean > 0
    mean, lo, hi = _band([0.9, 1.0, 1.3], 0.5, "r2")  # 1 - R² above 1 (worse than the mean): not cut at 1
    assert hi > 1.3 and lo < mean
    mean, lo, hi = _band([-0.9, -0.8, -0.95], 0.5, "my_score")  # a negated score: negative bounds stay
    assert lo < -0.95 and -0.8 < hi < 0


@pytest.mark.parametrize("engine", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_weighted_gradients_recompute_the_engines_leaves(engine, task):
    """The engines' own weighted fits: every leaf equals the closed form from G = sum g w and H = sum h w."""
    from boostreg.engines import ENGINES
    from boostreg.engines.base import Fold

    X, y = synthetic_xy(task, 400, 4, seed=1)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    fold = Fold(X.iloc[:300], y[:300], X.iloc[300:], y[300:], task, w_train=w[:300], w_test=w[300:])
    eng = ENGINES[engine]
    params = {**eng.default_params, "n_estimators": 10, "learning_rate": 0.3, "reg_alpha": 0.5, "reg_lambda": 2.0}
    prepared = eng.prepare(fold, params, threads=1)
    record, _ = eng.measure(eng.fit(prepared, params, seed=0, threads=1), prepared, params, fold)
    assert record["theory_check"] == "ok" and record["theory_max_rel_err"] < 1e-5
