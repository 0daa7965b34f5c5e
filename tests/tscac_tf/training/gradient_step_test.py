"""Tests of the strategy-aware gradient step and the batch mean."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.training import gradient_step as gs
from tscac_tf.training.optimizer_config import OptimizerConfig


def test_batch_mean_with_weights():
    # mean([1·2, 3·0, 5·1]) = 7/3
    assert float(
        gs.batch_mean(tf.constant([1.0, 3.0, 5.0]), tf.constant([2, 0, 1]))
    ) == pytest.approx(7 / 3)
    assert float(gs.batch_mean(tf.constant([1.0, 3.0]))) == 2.0


def test_gradient_step_applies_the_gradient_of_the_mean_loss():
    # L = ½ x²  at x = 2: gradient 2, plain SGD-like first Adam step moves x by −lr.
    x = tf.Variable(2.0)
    optimizer = OptimizerConfig(learning_rate=0.1, global_clipnorm=None).make()
    with tf.GradientTape() as tape:
        loss = 0.5 * x * x
    norm = gs.gradient_step(tape, loss, [x], optimizer)
    assert float(norm) == pytest.approx(2.0)
    assert float(x) == pytest.approx(1.9, abs=1e-4)


def test_a_variable_without_gradient_is_an_error():
    x, unused = tf.Variable(1.0), tf.Variable(1.0, name="unused")
    with tf.GradientTape() as tape:
        loss = x * 3.0
    with pytest.raises(ValueError, match="unused"):
        gs.gradient_step(tape, loss, [x, unused], OptimizerConfig().make())


def test_counter():
    counter = gs.create_train_step_counter()
    assert counter.dtype == tf.int64 and not counter.trainable
    np.testing.assert_array_equal(counter.numpy(), 0)
