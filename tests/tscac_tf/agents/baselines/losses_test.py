"""Hand-checked tests of the baselines' pure loss terms."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import itertools

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.baselines import losses


def test_weighted_reward_sums_the_named_responses():
    rewards = {
        "a": tf.constant([1.0, 2.0]),
        "b": tf.constant([10.0, 0.0]),
        "c": tf.constant([5.0, 5.0]),
    }
    out = losses.weighted_reward(rewards, {"a": 1.0, "b": 0.5})
    np.testing.assert_allclose(out.numpy(), [6.0, 2.0])
    with pytest.raises(ValueError, match=r"weights for \['z'\]"):
        losses.weighted_reward(rewards, {"z": 1.0})


def test_importance_weighted_rate_is_clipped_and_self_normalised():
    log_pi = tf.math.log(tf.constant([0.5, 0.1]))
    log_beta = tf.math.log(tf.constant([0.25, 0.2]))
    reward = tf.constant([1.0, 0.0])
    # ρ = (2, 0.5): 2·1 / 2.5
    assert losses.importance_weighted_rate(reward, log_pi, log_beta, 10.0).numpy() == pytest.approx(
        0.8
    )
    # ρ clipped to (1, 0.5): 1 / 1.5
    assert losses.importance_weighted_rate(reward, log_pi, log_beta, 1.0).numpy() == pytest.approx(
        2 / 3
    )


def test_dual_ascent_rises_when_violated_and_falls_to_zero_when_satisfied():
    # constraint E[r] >= 0.3; the estimate 0.1 violates it: λ = 1 + 0.5·0.2
    assert losses.dual_ascent(1.0, 0.3, 0.1, 0.5).numpy() == pytest.approx(1.1)
    # satisfied (0.5 >= 0.3): λ = 1 − 0.5·0.2, and repeated steps stop at 0, not below
    assert losses.dual_ascent(1.0, 0.3, 0.5, 0.5).numpy() == pytest.approx(0.9)
    lam = tf.constant(1.0)
    for _ in range(20):
        lam = losses.dual_ascent(lam, 0.3, 0.5, 0.5)
    assert lam.numpy() == 0.0
    with pytest.raises(ValueError, match="rate must be > 0"):
        losses.dual_ascent(1.0, 0.3, 0.5, 0.0)


def _gram(vectors):
    g = np.asarray(vectors, np.float32)
    return tf.constant(g @ g.T)


def test_min_norm_weights_by_hand():
    np.testing.assert_allclose(losses.min_norm_weights(_gram([[1, 0], [0, 1]])), [0.5, 0.5])
    # g_2 = 2 g_1: the hull's min-norm point is g_1 itself
    np.testing.assert_allclose(losses.min_norm_weights(_gram([[1, 0], [2, 0]])), [1.0, 0.0])
    # opposite gradients cancel: the zero vector at α = (2/3, 1/3)
    np.testing.assert_allclose(
        losses.min_norm_weights(_gram([[1, 0], [-2, 0]])), [2 / 3, 1 / 3], atol=1e-5
    )
    # a floor of 0.1 keeps the second weight at 0.1: 0.1 + 0.8·(1, 0)
    np.testing.assert_allclose(
        losses.min_norm_weights(_gram([[1, 0], [2, 0]]), floor=0.1), [0.9, 0.1], atol=1e-6
    )
    with pytest.raises(ValueError, match="floor"):
        losses.min_norm_weights(_gram([[1, 0], [2, 0]]), floor=0.6)


def test_min_norm_weights_match_brute_force_over_a_simplex_grid():
    rng = np.random.default_rng(0)
    steps = 60
    grid = np.asarray(
        [
            (i / steps, j / steps, (steps - i - j) / steps)
            for i, j in itertools.product(range(steps + 1), repeat=2)
            if i + j <= steps
        ]
    )
    for _ in range(5):
        vectors = rng.normal(size=(3, 4))
        gram = vectors @ vectors.T
        alpha = losses.min_norm_weights(tf.constant(gram, tf.float32), iterations=50).numpy()
        assert alpha.min() >= 0 and alpha.sum() == pytest.approx(1.0, abs=1e-5)
        best = np.min(np.einsum("ni,ij,nj->n", grid, gram, grid))
        assert alpha @ gram @ alpha <= best + 1e-3


def test_gradient_gram_sums_over_variables_and_accepts_sparse_gradients():
    sparse = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), tf.constant([2, 2]))
    gradients = [[tf.constant([1.0]), sparse], [tf.constant([3.0]), tf.zeros([2, 2])]]
    np.testing.assert_allclose(losses.gradient_gram(gradients).numpy(), [[6.0, 3.0], [3.0, 9.0]])
