"""Tests of the video encoder and the candidate tower."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks.candidate_network import CandidateNetwork
from tscac_tf.networks.video_encoder import VideoEncoder


def test_video_encoding_shape_and_cold_start(lookup, net_config, tables):
    encoder = VideoEncoder(lookup, net_config)
    ids = tf.constant([[tables.video_ids[3], 10**9, 10**9 + 1, -1]], tf.int64)
    out = encoder(ids).numpy()
    assert out.shape == (1, 4, encoder.output_dim)
    # every unknown id (and padding) is the unknown row: identical encodings
    np.testing.assert_allclose(out[0, 1], out[0, 2])
    np.testing.assert_allclose(out[0, 1], out[0, 3])
    assert not np.allclose(out[0, 0], out[0, 1])


def test_candidate_tower_embeds_into_the_preference_space(lookup, net_config, tables):
    tower = CandidateNetwork(VideoEncoder(lookup, net_config), net_config)
    out = tower(tf.constant(np.tile(tables.video_ids[1:8], (2, 1)), tf.int64))
    assert out.shape == (2, 7, net_config.preference_dim)
