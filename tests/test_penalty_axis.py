"""The dimensionless penalty axis: hand-computed cases."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.svm import l1_min_c

from boostreg.engines import penalty_axis as pa


def test_lasso_alpha_max_by_hand_and_it_zeroes_every_coefficient():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    y = np.array([2.0, 1.0, -2.0, -1.0])
    # X is centred; X^T y = [4, 2]; / n = [1, 0.5]
    assert pa.lasso_alpha_max(X, y) == pytest.approx(1.0)
    assert pa.l1_linear(0.5, 1.0) == 0.5 and pa.l1_linear(0.5, 1.0, l1_ratio=0.5) == 0.25
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 5)), rng.standard_normal(60)
    amax = pa.lasso_alpha_max(X, y)
    assert np.all(Lasso(alpha=amax * 1.0001).fit(X, y).coef_ == 0)
    assert np.any(Lasso(alpha=amax * 0.9).fit(X, y).coef_ != 0)


def test_l1_logistic_normalization_is_min_c_over_c():
    assert pa.l1_from_min_c(C=2.0, min_c=0.5) == 0.25
    assert pa.l1_from_min_c(C=2.0, min_c=0.5, l1_ratio=0.5) == 0.125
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 4))
    y = (X[:, 0] + 0.5 * rng.standard_normal(80) > 0).astype(int)
    c0 = l1_min_c(X, y, loss="log")
    below = LogisticRegression(C=c0 * 0.99, l1_ratio=1.0, solver="liblinear").fit(X, y)
    above = LogisticRegression(C=c0 * 3, l1_ratio=1.0, solver="liblinear").fit(X, y)
    assert np.all(below.coef_ == 0) and np.any(above.coef_ != 0)


def test_ridge_shrink_by_hand():
    # eigenvalues 1 and 3, lambda 1: 1 - mean(1/2, 3/4) = 0.375; a zero eigenvalue is left out
    assert pa.l2_shrink(np.array([1.0, 3.0]), 1.0) == pytest.approx(0.375)
    assert pa.l2_shrink(np.array([0.0, 1.0, 3.0]), 1.0) == pytest.approx(0.375)
    assert pa.l2_shrink(np.array([1.0, 3.0]), 0.0) == 0.0
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])  # centred; X^T X = diag(2, 8)
    np.testing.assert_allclose(np.sort(pa.design_eigenvalues(X)), [2.0, 8.0])
    assert pa.l2_shrink(pa.design_eigenvalues(X), 2.0) == pytest.approx(1 - (0.5 + 0.8) / 2)


def test_c_to_ridge_equivalent():
    assert pa.ridge_equivalent_of_c(C=2.0, curvature=0.25) == 2.0
    assert pa.ridge_equivalent_of_c(C=2.0, curvature=0.25, l1_ratio=0.5) == 1.0
    assert pa.logistic_curvature(np.array([0, 0, 0, 1])) == pytest.approx(0.1875)


def test_booster_axis_by_hand():
    assert pa.booster_l1(3.0, 12.0) == 0.25
    assert pa.booster_l2(3.0, 9.0) == 0.25  # 1 - H / (H + lambda) = 3 / 12
    assert pa.booster_l2(0.0, 9.0) == 0.0
    assert np.isnan(pa.booster_l1(1.0, 0.0))
    assert [pa.booster_kind(a, l) for a, l in [(0, 0), (1, 0), (0, 1), (1, 1)]] == ["none", "l1", "l2", "elasticnet"]
    assert pa.combine("l1", 0.3, 0.7) == 0.3 and pa.combine("elasticnet", 0.3, 0.7) == 0.3
    assert pa.combine("l2", 0.3, 0.7) == 0.7 and pa.combine("c", 0.0, 0.7) == 0.7 and pa.combine("none", 0, 0) == 0
