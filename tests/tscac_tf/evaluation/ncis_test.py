"""NCIS, and the health figures beside it, against numbers worked by hand."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest

from tscac_tf.evaluation import ncis, offline


def test_weights_are_ratios_capped_at_ten():
    # ratios: 0.5/0.25 = 2, 0.9/0.05 = 18 -> capped to 10, 0.1/0.4 = 0.25
    w = ncis.capped_weights(np.log([0.5, 0.9, 0.1]), np.log([0.25, 0.05, 0.4]))
    np.testing.assert_allclose(w, [2.0, 10.0, 0.25])


def test_estimate_worked_by_hand():
    # weights 2, 10, 0.25; rewards 1, 0, 4 -> (2*1 + 10*0 + 0.25*4) / 12.25 = 3 / 12.25
    est = ncis.ncis_estimate(
        {"click": np.array([1.0, 0.0, 4.0])}, np.log([0.5, 0.9, 0.1]), np.log([0.25, 0.05, 0.4])
    )
    assert est["click"] == pytest.approx(3.0 / 12.25)
    # ESS = 12.25^2 / (4 + 100 + 0.0625)
    assert est["effective_sample_size"] == pytest.approx(12.25**2 / 104.0625)
    assert est["capped_share"] == pytest.approx(1 / 3)  # the 10 of 2, 10, 0.25


def test_capped_share_counts_only_the_steps_the_target_takes():
    # a greedy target: the logged action on steps 0, 2, 3 (log 1 = 0), never on 1 and 4
    target = np.array([0.0, -np.inf, 0.0, 0.0, -np.inf])
    behavior = np.log([0.05, 0.5, 0.5, 0.02, 0.01])  # weights 10 (capped), -, 2, 10, -
    est = ncis.ncis_estimate({"r": np.array([1.0, 9.0, 4.0, 7.0, 9.0])}, target, behavior)
    assert est["capped_share"] == pytest.approx(2 / 3)
    assert est["r"] == pytest.approx((10 * 1 + 2 * 4 + 10 * 7) / 22)


def test_on_policy_estimate_is_the_plain_mean():
    rng = np.random.default_rng(0)
    logp = np.log(rng.uniform(0.01, 1, 100))
    r = rng.normal(size=100)
    assert ncis.ncis_estimate({"w": r}, logp, logp)["w"] == pytest.approx(r.mean())


def test_loop_matches_vectorised():
    rng = np.random.default_rng(1)
    t, b, r = (
        np.log(rng.uniform(0.01, 1, 50)),
        np.log(rng.uniform(0.01, 1, 50)),
        rng.normal(size=50),
    )
    num = den = 0.0
    for ti, bi, ri in zip(t, b, r, strict=True):
        w = min(np.exp(ti) / np.exp(bi), 10.0)
        num, den = num + w * ri, den + w
    assert ncis.ncis_estimate({"x": r}, t, b)["x"] == pytest.approx(num / den)


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected equal"):
        ncis.capped_weights(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="reward 'x' has shape"):
        ncis.ncis_estimate({"x": np.zeros(2)}, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="cap must be > 0"):
        ncis.capped_weights(np.zeros(1), np.zeros(1), cap=0)


def test_choice_sharpness_by_hand_leaves_padding_out():
    # Step 1: scores [ln 3, 0, 0] over three real candidates → p = [0.6, 0.2, 0.2],
    #   H = −(0.6 ln 0.6 + 2 · 0.2 ln 0.2) ≈ 0.950271, top 0.6, uniform ln 3.
    # Step 2: two real candidates with equal scores and a padded one whose score would
    #   dominate if it were counted → p = [½, ½], H = ln 2, top ½, uniform ln 2.
    scores = np.array([[np.log(3.0), 0.0, 0.0], [1.0, 1.0, 50.0]])
    candidates = np.array([[5, 6, 7], [8, 9, -1]])
    out = offline.choice_sharpness(scores, candidates)
    h1 = -(0.6 * np.log(0.6) + 2 * 0.2 * np.log(0.2))
    assert out["entropy"] == pytest.approx((h1 + np.log(2)) / 2)
    assert out["uniform_entropy"] == pytest.approx((np.log(3) + np.log(2)) / 2)
    assert out["top_share"] == pytest.approx((0.6 + 0.5) / 2)  # the median of two
    with pytest.raises(ValueError, match="without any valid candidate"):
        offline.choice_sharpness(np.zeros((1, 2)), np.array([[-1, -1]]))
