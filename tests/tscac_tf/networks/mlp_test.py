"""Tests of the dense stack."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks.mlp import mlp


def test_sizes_and_relu():
    out = mlp((5, 3), name="m")(tf.random.normal([4, 7]))
    assert out.shape == (4, 3) and float(tf.reduce_min(out)) >= 0.0


def test_empty_is_identity():
    x = tf.random.normal([2, 3])
    np.testing.assert_allclose(mlp((), name="e")(x), x)
