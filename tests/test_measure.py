"""Each measurement against a small case computed by hand."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, r2_score, roc_auc_score

from boostreg import measure
from boostreg.measure import Ensemble


def test_threshold_l1_by_hand():
    np.testing.assert_array_equal(measure.threshold_l1(np.array([-5.0, 2.0, 0.5, -1.0]), 1.0), [-4.0, 1.0, 0.0, 0.0])


def test_leaf_weight_by_hand():
    # G=-5,H=3: -(-4)/(3+2) = 0.8 ; G=2,H=1: -(1)/(1+2) = -1/3 ; |G|=0.5 <= alpha: exactly 0
    G, H = np.array([-5.0, 2.0, 0.5]), np.array([3.0, 1.0, 4.0])
    w = measure.leaf_weight(G, H, reg_alpha=1.0, reg_lambda=2.0)
    np.testing.assert_allclose(w, [0.8, -1 / 3, 0.0])
    assert w[2] == 0.0
    clipped = measure.leaf_weight(G, H, reg_alpha=1.0, reg_lambda=2.0, max_delta_step=0.5, learning_rate=0.1)
    np.testing.assert_allclose(clipped, [0.05, -1 / 30, 0.0])


def test_l2_alone_is_the_diagonal_hessian_shrink():
    # Goodfellow et al. 7.1.2: w = H / (H + lambda) * w_newton, w_newton = -G / H
    G, H = np.array([-6.0, 4.0]), np.array([2.0, 8.0])
    w_newton = -G / H
    np.testing.assert_allclose(measure.leaf_weight(G, H, reg_alpha=0, reg_lambda=2.0), H / (H + 2.0) * w_newton)


def test_l1_alone_is_soft_thresholding_of_the_newton_step():
    # Goodfellow et al. eq. 7.23: w = sign(w_N) max(|w_N| - alpha / H, 0)
    G, H = np.array([-6.0, 4.0, 0.3]), np.array([2.0, 8.0, 1.0])
    w_newton = -G / H
    expected = np.sign(w_newton) * np.maximum(np.abs(w_newton) - 0.5 / H, 0)
    np.testing.assert_allclose(measure.leaf_weight(G, H, reg_alpha=0.5, reg_lambda=0), expected)
    assert measure.leaf_weight(G, H, reg_alpha=0.5, reg_lambda=0)[2] == 0.0


def test_gradients_by_hand():
    g, h = measure.gradients(np.array([1.0, 3.0]), np.array([2.0, 1.0]), "regression")
    np.testing.assert_array_equal(g, [-1.0, 2.0])
    np.testing.assert_array_equal(h, [1.0, 1.0])
    g, h = measure.gradients(np.array([0.0, 0.0]), np.array([1.0, 0.0]), "binary")
    np.testing.assert_allclose(g, [-0.5, 0.5])
    np.testing.assert_allclose(h, [0.25, 0.25])
    g, h = measure.gradients(np.array([2.0]), np.array([1.0]), "binary", arith=np.float32, store=np.float32)
    p = expit(2.0)
    np.testing.assert_allclose(g, [p - 1], rtol=1e-6)
    np.testing.assert_allclose(h, [p * (1 - p)], rtol=1e-6)


def _toy_ensemble(leaf_values, train_leaf, test_leaf=None, base=0.0, **kw):
    leaf_values = [np.asarray(v, dtype=np.float64) for v in leaf_values]
    return Ensemble(
        leaf_values=leaf_values,
        is_leaf=[np.ones(len(v), bool) for v in leaf_values],
        depth=np.array([1] * len(leaf_values)),
        split_features=[np.array([0])] * len(leaf_values),
        feature_names=("a", "b", "noise1", "noise2"),
        base_margin=base,
        train_leaf=np.asarray(train_leaf),
        test_leaf=np.asarray(train_leaf if test_leaf is None else test_leaf),
        **kw,
    )


def test_margins_before_each_tree_by_hand():
    ens = _toy_ensemble([[1.0, -1.0], [0.5, 0.25]], train_leaf=[[0, 1], [1, 0], [1, 1]], base=10.0)
    m = measure.margins_before_each_tree(ens)
    np.testing.assert_allclose(m, [[10, 11, 11.25], [10, 9, 9.5], [10, 9, 9.25]])


def test_theory_check_recovers_hand_built_leaves_and_flags_a_wrong_one():
    # 4 rows, squared error, base margin 0, one tree with 2 leaves; y = [1, 3, -2, -2]
    # leaf 0 holds rows 0,1: G = (0-1)+(0-3) = -4, H = 2 ; leaf 1 holds rows 2,3: G = 4, H = 2
    # alpha=1, lambda=1, lr=0.5: w0 = 0.5 * 3/3 = 0.5 ; w1 = 0.5 * -3/3 = -0.5
    y = np.array([1.0, 3.0, -2.0, -2.0])
    leaf = [[0], [0], [1], [1]]
    good = _toy_ensemble([[0.5, -0.5]], leaf)
    check = measure.theory_check(good, y, "regression", reg_alpha=1.0, reg_lambda=1.0, learning_rate=0.5)
    np.testing.assert_allclose(check.predicted, [0.5, -0.5])
    assert check.max_rel_err == 0.0 and check.n_leaves_checked == 2
    bad = _toy_ensemble([[0.5, -0.6]], leaf)
    check = measure.theory_check(bad, y, "regression", reg_alpha=1.0, reg_lambda=1.0, learning_rate=0.5)
    assert check.max_plain_rel_err == pytest.approx(0.1 / 0.6)
    # scale-aware: leaf 1's gradients do not cancel (sum|g| = |G| = 4), so scale = 0.5 * 4 / 3 = 2/3
    assert check.max_rel_err == pytest.approx(0.1 / (2 / 3))
    assert check.max_abs_err == pytest.approx(0.1)


def test_theory_check_uses_each_trees_starting_margin_and_extra_lambda():
    # tree 0 (one leaf, all rows): G = -(1+3) = -4, H = 2, lambda = 0 -> w = 2 (lr 1) -> margins become 2
    # tree 1: rows 0 / 1 in leaves 0 / 1; G0 = 2-1 = 1, G1 = 2-3 = -1 ; leaf 1 gets extra lambda 1
    y = np.array([1.0, 3.0])
    ens = _toy_ensemble(
        [[2.0], [-1.0, 0.5]], train_leaf=[[0, 0], [0, 1]], leaf_extra_lambda=[np.array([0.0]), np.array([0.0, 1.0])]
    )
    check = measure.theory_check(ens, y, "regression", reg_alpha=0.0, reg_lambda=0.0, learning_rate=1.0)
    np.testing.assert_allclose(check.predicted, [2.0, -1.0, 0.5])
    assert check.max_rel_err == 0.0


def test_tree_size_and_noise_features():
    ens = Ensemble(
        leaf_values=[np.zeros(3), np.zeros(5)],
        is_leaf=[np.array([False, True, True]), np.array([False, False, True, True, True])],
        depth=np.array([1, 2]),
        split_features=[np.array([0]), np.array([2, 0])],
        feature_names=("a", "b", "noise1"),
        base_margin=0.0,
        train_leaf=np.zeros((1, 2), int),
        test_leaf=np.zeros((1, 2), int),
    )
    size = measure.tree_size(ens, noise_features=("noise1",))
    assert size == {
        "n_trees": 2,
        "n_leaves_mean": 2.5,
        "n_leaves_max": 3,
        "depth_mean": 1.5,
        "depth_max": 2,
        "n_features_used": 2,
        "n_noise_features_used": 1,
    }
    assert np.isnan(measure.tree_size(ens)["n_noise_features_used"])


def test_leaf_stats_and_shrinkage_by_hand():
    stats = measure.leaf_stats(np.array([0.0, -0.5, 0.25, 0.0]))
    assert stats == {"leaf_abs_mean": 0.1875, "zero_leaf_frac": 0.5, "n_leaves_total": 4}
    assert measure.shrinkage(0.25, 1.0) == 0.75
    assert measure.shrinkage(1.0, 1.0) == 0.0
    assert np.isnan(measure.shrinkage(0.3, 0.0))


def test_primary_errors_by_hand():
    y = np.array([1.0, 3.0])
    assert measure.primary_error(y, np.array([2.0, 1.0]), "regression")[0] == pytest.approx(np.sqrt((1 + 4) / 2))
    assert measure.primary_error(y, np.array([2.0, 1.0]), "regression", "mae")[0] == pytest.approx(1.5)
    yb = np.array([1.0, 0.0])
    assert measure.primary_error(yb, np.zeros(2), "binary")[0] == pytest.approx(np.log(2))
    assert measure.primary_error(yb, np.array([1.0, 1.0]), "binary", "error")[0] == 0.5
    # columns are rounds: one call gives a whole learning curve
    curve = measure.primary_error(y, np.array([[1.0, 2.0], [3.0, 2.0]]), "regression")
    np.testing.assert_allclose(curve, [0.0, 1.0])  # round 2: [2, 2] vs [1, 3]


def test_metrics_equal_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    pred = y + rng.normal(scale=0.5, size=200)
    m = measure.metrics(y, pred, "regression", "test")
    assert m["test_r2"] == pytest.approx(r2_score(y, pred))
    assert m["test_mae"] == pytest.approx(mean_absolute_error(y, pred))
    assert m["test_error"] == m["test_rmse"] == pytest.approx(np.sqrt(np.mean((y - pred) ** 2)))
    yb = (rng.random(300) < 0.4).astype(float)
    margin = np.round(rng.normal(size=300) + yb, 1)  # rounding makes ties, which AUC must average
    m = measure.metrics(yb, margin, "binary", "train")
    assert m["train_auc"] == pytest.approx(roc_auc_score(yb, margin))
    assert m["train_logloss"] == m["train_error"] == pytest.approx(log_loss(yb, expit(margin)))
    assert m["train_accuracy"] == pytest.approx(accuracy_score(yb, margin > 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_margin_blocks_are_bit_identical_to_the_whole_matrix(dtype):
    rng = np.random.default_rng(5)
    n_trees, n = 70, 200
    leaf_values = [rng.normal(size=7).astype(dtype) * 0.1 for _ in range(n_trees)]
    train_leaf = rng.integers(0, 7, size=(n, n_trees))
    ens = _toy_ensemble(leaf_values, train_leaf, base=0.3, margin_dtype=dtype)
    whole = measure.margins_before_each_tree(ens)
    seen = []
    for t0, t1, before, after in measure.margin_blocks(ens, block=16):
        assert before.dtype == dtype and np.array_equal(before, whole[:, t0:t1])
        assert np.array_equal(after, whole[:, t1])
        seen.append((t0, t1))
    assert seen[0] == (0, 16) and seen[-1] == (64, 70)


@pytest.mark.parametrize(
    "task,metric", [("regression", "rmse"), ("regression", "mae"), ("binary", "logloss"), ("binary", "error")]
)
def test_error_curve_walks_the_blocks_to_the_whole_matrix_curve(task, metric):
    """error_curve (block by block, BLOCK trees at a time) and the theory check's own curve give, after each of 70
    trees, the primary error of the margin that the whole (rows x trees) matrix gives, and the same final margin;
    float32 log loss stays within 1e-7 of float64."""
    rng = np.random.default_rng(8)
    n_trees, n = 70, 300
    leaf_values = [rng.normal(size=5).astype(np.float32) * 0.1 for _ in range(n_trees)]
    train_leaf = np.asfortranarray(rng.integers(0, 5, size=(n, n_trees)), dtype=np.int32)
    ens = _toy_ensemble(leaf_values, train_leaf, base=0.2, margin_dtype=np.float32)
    y = rng.normal(size=n) if task == "regression" else (rng.random(n) < 0.5).astype(float)
    whole = measure.margins_before_each_tree(ens)
    expected = measure.primary_error(y, whole[:, 1:], task, metric, arith=np.float32)  # curves: float32 log loss
    curve, final = measure.error_curve(ens, y, task, metric)
    assert curve.shape == (n_trees,)
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    np.testing.assert_allclose(curve, measure.primary_error(y, whole[:, 1:], task, metric), rtol=1e-7)
    assert np.array_equal(final, whole[:, -1])
    check = measure.theory_check(ens, y, task, reg_alpha=0.0, reg_lambda=1.0, learning_rate=0.1, curve_metric=metric)
    np.testing.assert_allclose(check.curve, expected, rtol=1e-12)
    assert np.array_equal(check.final_margin, whole[:, -1])
    assert measure.theory_check(ens, y, task, reg_alpha=0.0, reg_lambda=1.0, learning_rate=0.1).curve is None


def test_an_ensemble_without_trees_has_the_base_margin_and_an_empty_curve():
    ens = _toy_ensemble([], np.zeros((3, 0), dtype=np.int32), base=0.5)
    y = np.array([1.0, 0.0, 2.0])
    check = measure.theory_check(
        ens, y, "regression", reg_alpha=0.0, reg_lambda=1.0, learning_rate=0.1, curve_metric="rmse"
    )
    np.testing.assert_array_equal(check.final_margin, [0.5, 0.5, 0.5])
    assert check.curve.shape == (0,) and check.n_leaves_checked == 0
    curve, final = measure.error_curve(ens, y, "regression", "rmse")
    assert curve.shape == (0,)
    np.testing.assert_array_equal(final, [0.5, 0.5, 0.5])
