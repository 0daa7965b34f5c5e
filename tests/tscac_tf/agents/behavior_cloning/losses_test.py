"""Tests of the behaviour-cloning loss terms."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import math

import numpy as np
import tensorflow as tf

from tscac_tf.agents.behavior_cloning import losses


def test_cross_entropy_by_hand():
    # softmax([0, ln 3, −1e9]) = [¼, ¾, 0]: −ln ¾ ≈ 0.287682 for action 1, −ln ¼ for action 0
    logits = tf.constant([[0.0, math.log(3.0), -1e9]] * 2)
    got = losses.cross_entropy(logits, tf.constant([1, 0], tf.int64))
    np.testing.assert_allclose(got, [-math.log(0.75), -math.log(0.25)], rtol=1e-6)


def test_top1_accuracy():
    logits = tf.constant([[0.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    got = losses.top1_accuracy(logits, tf.constant([1, 2], tf.int64))
    np.testing.assert_array_equal(got, [1.0, 0.0])
