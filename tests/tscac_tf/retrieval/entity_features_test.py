"""EntityFeatures: ids -> table rows (unknown -> 0) -> id embedding ++ features."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval.entity_features import EntityFeatures


def _layer():
    ids = np.array([-1, 40, 10, 30])
    categorical = np.array([[0, 0], [1, 2], [2, 1], [1, 1]])
    numeric = np.array([[0.0], [0.5], [-1.5], [2.0]], np.float32)
    return EntityFeatures(ids, categorical, numeric, [3, 3], 4, 2)


def test_rows_map_known_ids_and_send_unknown_and_padding_to_row_zero():
    layer = _layer()
    rows = layer.rows(tf.constant([[10, 40, 30], [77, -1, 10]], tf.int64))
    np.testing.assert_array_equal(rows.numpy(), [[2, 1, 3], [0, 0, 2]])


def test_output_width_and_unknown_ids_share_one_vector():
    layer = _layer()
    out = layer(tf.constant([30, 77, 12345], tf.int64))
    assert out.shape == (3, 4 + 2 * 2 + 1) and layer.width == 9
    np.testing.assert_allclose(out[1], out[2])
    assert out[0, -1].numpy() == pytest.approx(2.0)  # the numeric feature of id 30


def test_rejects_tables_of_mismatched_rows():
    with pytest.raises(ValueError, match="categorical"):
        EntityFeatures(
            np.array([-1, 1]), np.zeros((3, 2), np.int64), np.zeros((2, 1)), [2, 2], 4, 2
        )
