"""Tests of the state encoder."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks.state_encoder import STATE_KEYS, StateEncoder, state_spec
from tscac_tf.networks.video_encoder import VideoEncoder


def _encoder(lookup, net_config):
    return StateEncoder(lookup, VideoEncoder(lookup, net_config), net_config)


def test_shape_and_spec(lookup, net_config, observation):
    out = _encoder(lookup, net_config)(observation)
    assert out.shape == (2, net_config.state_hidden[-1])
    assert tuple(state_spec(4)) == STATE_KEYS and state_spec(4)["history_video_ids"].shape == (4,)


def test_padded_slots_are_ignored_and_order_matters(lookup, net_config, observation):
    encoder = _encoder(lookup, net_config)
    base = encoder(observation).numpy()
    noisy = dict(observation)
    noisy["history_play_time_ms"] = tf.constant([[12000, 3000, 999, 5], [7, 7, 7, 7]], tf.int64)
    np.testing.assert_allclose(encoder(noisy), base, rtol=1e-6)
    swapped = dict(observation)
    ids = observation["history_video_ids"].numpy()
    ids[0, [0, 1]] = ids[0, [1, 0]]
    swapped["history_video_ids"] = tf.constant(ids)
    assert not np.allclose(encoder(swapped)[0], base[0])


def test_unknown_users_share_the_unknown_row(lookup, net_config, observation):
    encoder = _encoder(lookup, net_config)
    other = dict(observation)
    other["user_id"] = tf.constant([int(observation["user_id"][0]), 10**12 + 5], tf.int64)
    np.testing.assert_allclose(encoder(other)[1], encoder(observation)[1], rtol=1e-6)
