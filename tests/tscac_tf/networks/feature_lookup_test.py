"""Tests of the in-graph feature lookup."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.networks.feature_lookup import FeatureLookup, rows_of, sorted_index


def test_rows_match_the_numpy_tables_for_known_unknown_and_padding(tables, lookup):
    users = np.array(
        [[tables.user_ids[1], tables.user_ids[7], 10**12], [-1, tables.user_ids[60], 5]]
    )
    videos = np.array([tables.video_ids[80], -1, 10**9, tables.video_ids[2]])
    np.testing.assert_array_equal(lookup.user_rows(tf.constant(users)), tables.user_rows(users))
    np.testing.assert_array_equal(lookup.video_rows(tf.constant(videos)), tables.video_rows(videos))
    assert lookup.video_rows(tf.constant([-1, 10**9])).numpy().tolist() == [0, 0]


def test_features_are_the_table_rows(tables, lookup):
    rows = tf.constant([0, 3, 17], tf.int64)
    codes, numeric = lookup.user_features(rows)
    np.testing.assert_array_equal(codes, tables.user_categorical[[0, 3, 17]])
    np.testing.assert_allclose(numeric, tables.user_numeric[[0, 3, 17]])
    codes, numeric = lookup.video_features(rows)
    np.testing.assert_array_equal(codes, tables.video_categorical[[0, 3, 17]])
    np.testing.assert_allclose(lookup.video_duration(rows), tables.video_duration_ms[[0, 3, 17]])


def test_tables_are_non_trainable_variables(lookup, tables):
    assert not lookup.trainable_variables
    assert len(lookup.non_trainable_variables) == 9
    assert lookup.num_video_rows == len(tables.video_ids)
    assert lookup.user_vocab_sizes == tuple(tables.user_vocab_sizes)


def test_rows_of_an_empty_table_are_all_unknown():
    ids, rows = sorted_index(np.array([-1]))  # only the unknown row
    assert rows_of(ids, rows, tf.constant([3, -1, 2**63 - 1], tf.int64)).numpy().tolist() == [
        0,
        0,
        0,
    ]


def test_rows_in_a_graph():
    ids, rows = sorted_index(np.array([-1, 30, 10, 20]))
    fn = tf.function(lambda x: rows_of(tf.constant(ids), tf.constant(rows), x))
    assert fn(tf.constant([[10, 20], [30, 40]], tf.int64)).numpy().tolist() == [[2, 3], [1, 0]]


def test_duplicate_ids_are_rejected(tables):
    import dataclasses

    dup = tables.user_ids.copy()
    dup[2] = dup[1]
    with pytest.raises(ValueError, match="duplicates"):
        FeatureLookup(dataclasses.replace(tables, user_ids=dup))
