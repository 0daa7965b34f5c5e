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


def test_repeated_videos_are_encoded_once_with_the_per_slot_values_and_gradients(
    lookup, net_config, tables
):
    # The encoder and the tower embed each distinct video of a batch once and gather the
    # result back; values and gradients must equal embedding every slot on its own.
    encoder = VideoEncoder(lookup, net_config)
    tower = CandidateNetwork(encoder, net_config)
    ids = tf.constant(
        [[tables.video_ids[1], tables.video_ids[2], tables.video_ids[1], -1, 10**9]] * 2
        + [[tables.video_ids[2], tables.video_ids[5], tables.video_ids[1], -1, -1]],
        tf.int64,
    )
    weights = tf.random.stateless_normal([3, 5, net_config.preference_dim], seed=[1, 2])
    with tf.GradientTape(persistent=True) as tape:
        batched = tower(ids)
        one_by_one = tf.stack(
            [tf.stack([tower(ids[b : b + 1, k : k + 1])[0, 0] for k in range(5)]) for b in range(3)]
        )
        loss_batched = tf.reduce_sum(batched * weights)
        loss_one_by_one = tf.reduce_sum(one_by_one * weights)
    np.testing.assert_allclose(batched.numpy(), one_by_one.numpy(), rtol=1e-6, atol=1e-7)
    variables = tower.trainable_variables
    assert any(v.name.endswith("video_id_embedding/embeddings:0") for v in variables)
    for variable, got, want in zip(
        variables,
        tape.gradient(loss_batched, variables),
        tape.gradient(loss_one_by_one, variables),
        strict=True,
    ):
        np.testing.assert_allclose(
            tf.convert_to_tensor(got).numpy(),
            tf.convert_to_tensor(want).numpy(),
            rtol=1e-5,
            atol=1e-6,
            err_msg=variable.name,
        )
