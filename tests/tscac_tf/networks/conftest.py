"""Shared fixtures of the network tests: real (small) feature tables and a tiny config."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest
import tensorflow as tf

from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.testing import fake_transitions


@pytest.fixture(scope="session")
def tables():
    return fake_transitions.fake_feature_tables(num_users=60, num_videos=80)


@pytest.fixture(scope="session")
def lookup(tables):
    return FeatureLookup(tables)


@pytest.fixture(scope="session")
def net_config():
    return NetworkConfig(
        history_length=4,
        num_candidates=5,
        categorical_dim=2,
        video_id_dim=3,
        history_item_dim=4,
        state_hidden=(8,),
        candidate_hidden=(6,),
        value_hidden=(4,),
        preference_dim=3,
    )


@pytest.fixture()
def observation(tables):
    """Two states: a known user with 2 watched videos, an unknown user with none."""
    videos = tables.video_ids
    return {
        "user_id": tf.constant([int(tables.user_ids[3]), 10**12], tf.int64),
        "history_video_ids": tf.constant([[videos[5], videos[9], -1, -1], [-1] * 4], tf.int64),
        "history_play_time_ms": tf.constant([[12000, 3000, 0, 0], [0] * 4], tf.int64),
        "candidate_video_ids": tf.constant(
            [
                [videos[1], videos[2], videos[3], -1, -1],
                [videos[4], 10**9, videos[6], videos[7], -1],
            ],
            tf.int64,
        ),
    }
