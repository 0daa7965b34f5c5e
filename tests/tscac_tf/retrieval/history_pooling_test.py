"""History pooling: watch ratios and weighted means against hand-worked numbers."""

import numpy as np
import tensorflow as tf

from tscac_tf.retrieval import history_pooling


def test_watch_ratios_by_hand():
    play = tf.constant([[5000, 30000, 700, 0]], tf.int64)
    duration = tf.constant([[10000.0, 10000.0, 0.0, 8000.0]])
    mask = history_pooling.history_mask(tf.constant([[3, 4, 5, -1]], tf.int64))
    ratios = history_pooling.watch_ratios(play, duration, mask, max_ratio=2.0)
    # 5 s of 10 s; 30 s of 10 s capped at 2; unknown duration with play -> 1; padding -> 0.
    np.testing.assert_allclose(ratios.numpy(), [[0.5, 2.0, 1.0, 0.0]])


def test_weighted_mean_by_hand_and_empty_history_is_zero():
    embeddings = tf.constant(
        [[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]
    )
    weights = tf.constant([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    pooled = history_pooling.weighted_mean(embeddings, weights)
    np.testing.assert_allclose(pooled.numpy(), [[0.25, 0.75], [0.0, 0.0]])
