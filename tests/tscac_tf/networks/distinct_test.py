"""Tests of map_distinct: a per-id function computed once per distinct id."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks.distinct import map_distinct


def _features(ids):
    x = tf.cast(ids, tf.float32)[:, None]
    return tf.concat([x, x * x, tf.ones_like(x)], axis=-1)


def test_equals_the_function_on_every_slot_for_any_shape():
    calls = []

    def fn(ids):
        calls.append(int(ids.shape[0]))
        return _features(ids)

    ids = tf.constant([[[3, 1], [3, -1]], [[1, 1], [7, 3]]], tf.int64)
    out = map_distinct(fn, ids)
    assert out.shape == (2, 2, 2, 3)
    np.testing.assert_array_equal(
        out.numpy(), _features(tf.reshape(ids, [-1])).numpy().reshape(2, 2, 2, 3)
    )
    assert calls == [4]  # 3, 1, -1, 7: each distinct id once


def test_empty_input_gives_an_empty_result():
    out = map_distinct(_features, tf.zeros([0, 5], tf.int64))
    assert out.shape == (0, 5, 3)
