"""Φ, Φ⁻¹ and lognormal moments against Python's statistics.NormalDist and Monte Carlo."""

import statistics

import numpy as np
import pytest

from tscac_tf.simulator import gaussian

_STANDARD = statistics.NormalDist()
_POINTS = [-6.0, -3.2, -1.0, -0.3, 0.0, 0.25, 1.7, 4.0]


def test_cdf_matches_normal_dist():
    expected = [_STANDARD.cdf(x) for x in _POINTS]
    np.testing.assert_allclose(gaussian.normal_cdf(np.array(_POINTS)), expected, atol=2e-7)


@pytest.mark.parametrize("p", [1e-9, 0.001, 0.02, 0.3, 0.5, 0.77, 0.98, 0.999999])
def test_ppf_matches_normal_dist(p):
    assert gaussian.normal_ppf(np.array([p]))[0] == pytest.approx(_STANDARD.inv_cdf(p), rel=1e-8)


def test_lognormal_survival_is_the_normal_cdf_of_the_log_distance():
    mu, sigma, c = 1.0, 2.0, np.array([0.5, np.e, 30.0])
    expected = [_STANDARD.cdf((mu - np.log(x)) / sigma) for x in c]
    np.testing.assert_allclose(
        gaussian.lognormal_survival(mu, sigma, np.log(c)), expected, atol=1e-6
    )


def test_capped_mean_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mu, sigma, cap = 1.2, 1.5, 20.0
    x = np.exp(mu + sigma * rng.standard_normal(2_000_000))
    assert gaussian.lognormal_capped_mean(mu, sigma, cap, np.log(cap)) == pytest.approx(
        np.minimum(x, cap).mean(), rel=3e-3
    )


def test_capped_mean_limits():
    # A huge cap gives the lognormal mean e^{mu + sigma^2/2}; a tiny one gives the cap.
    assert gaussian.lognormal_capped_mean(0.5, 0.8, 1e9, np.log(1e9)) == pytest.approx(
        np.exp(0.5 + 0.32), rel=1e-6
    )
    assert gaussian.lognormal_capped_mean(0.5, 0.8, 1e-6, np.log(1e-6)) == pytest.approx(1e-6)


def test_normal_from_hash_is_a_coarse_standard_normal():
    from tscac_tf.simulator import random_streams as rs

    z = gaussian.normal_from_hash(rs.hash_keys(1, np.arange(100_000)))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    assert np.abs(z).max() == pytest.approx(-_STANDARD.inv_cdf(0.5 / 4096))  # table ends
