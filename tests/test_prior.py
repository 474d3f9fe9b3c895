"""Prior fits (zero-mean Laplace and Gaussian MLEs) against scipy, and the implied penalties."""

import numpy as np
import pytest
from scipy import stats

from boostreg import prior


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(0)
    return {"laplace": rng.laplace(0.0, 0.7, size=20000), "gauss": rng.normal(0.0, 1.3, size=20000)}


@pytest.mark.parametrize("kind", ["laplace", "gauss"])
def test_scales_equal_scipy_mles_with_the_location_fixed_at_zero(samples, kind):
    w = samples[kind]
    assert prior.laplace_fit(w) == pytest.approx(stats.laplace.fit(w, floc=0)[1], rel=1e-6)
    assert prior.gauss_fit(w) == pytest.approx(stats.norm.fit(w, floc=0)[1], rel=1e-6)


@pytest.mark.parametrize("kind", ["laplace", "gauss"])
def test_mean_log_likelihoods_equal_scipy_logpdf(samples, kind):
    w = samples[kind]
    b, s = prior.laplace_fit(w), prior.gauss_fit(w)
    assert prior.laplace_loglik(w, b) == pytest.approx(stats.laplace.logpdf(w, 0, b).mean(), rel=1e-10)
    assert prior.gauss_loglik(w, s) == pytest.approx(stats.norm.logpdf(w, 0, s).mean(), rel=1e-10)
    # at the MLE the mean log-likelihoods have closed forms
    assert prior.laplace_loglik(w, b) == pytest.approx(-np.log(2 * b) - 1, rel=1e-12)
    assert prior.gauss_loglik(w, s) == pytest.approx(-0.5 * np.log(2 * np.pi * s**2) - 0.5, rel=1e-12)


def test_recovers_the_true_scales_and_prefers_the_true_family(samples):
    lap, gau = samples["laplace"], samples["gauss"]
    assert prior.laplace_fit(lap) == pytest.approx(0.7, rel=0.03)
    assert prior.gauss_fit(gau) == pytest.approx(1.3, rel=0.03)
    cols_lap, cols_gau = prior.prior_columns(lap), prior.prior_columns(gau)
    assert cols_lap["prior_loglik_laplace"] > cols_lap["prior_loglik_gauss"]
    assert cols_gau["prior_loglik_gauss"] > cols_gau["prior_loglik_laplace"]


def test_implied_penalties_by_hand():
    w = np.array([1.0, -3.0, 0.0, 2.0])  # mean|w| = 1.5, mean w^2 = 3.5
    cols = prior.prior_columns(w)
    assert cols["prior_laplace_scale"] == 1.5
    assert cols["prior_implied_l1"] == pytest.approx(1 / 1.5)
    assert cols["prior_gauss_scale"] == pytest.approx(np.sqrt(3.5))
    assert cols["prior_implied_l2"] == pytest.approx(1 / 7.0)
    assert cols["prior_loglik_laplace"] == pytest.approx(np.mean(-np.log(3.0) - np.abs(w) / 1.5))


def test_degenerate_weights_give_nan():
    for w in (np.zeros(5), np.zeros(0), None):
        assert all(np.isnan(v) for v in prior.prior_columns(w).values())
    assert set(prior.prior_columns(np.ones(3))) == set(prior.COLUMNS)
