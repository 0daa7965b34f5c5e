"""Tests of the offset categorical embedding."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.networks.categorical_embedding import CategoricalEmbedding


def test_columns_use_their_own_rows_and_out_of_range_falls_back_to_code_zero():
    layer = CategoricalEmbedding([3, 4], dim=2)
    out = layer(tf.constant([[1, 1], [0, 0], [7, 3]], tf.int64))
    assert out.shape == (3, 4) and layer.output_dim == 4
    table = layer.trainable_variables[0].numpy()  # rows 0..2 column 0, rows 3..6 column 1
    np.testing.assert_allclose(out[0], np.concatenate([table[1], table[3 + 1]]))
    np.testing.assert_allclose(out[2], np.concatenate([table[0], table[3 + 3]]))


def test_leading_dimensions_are_kept():
    out = CategoricalEmbedding([2, 2, 2], dim=3)(tf.zeros([2, 5, 3], tf.int64))
    assert out.shape == (2, 5, 9)


def test_bad_vocab_sizes():
    with pytest.raises(ValueError, match="vocab_sizes"):
        CategoricalEmbedding([], dim=2)
    with pytest.raises(ValueError, match="vocab_sizes"):
        CategoricalEmbedding([3, 0], dim=2)
