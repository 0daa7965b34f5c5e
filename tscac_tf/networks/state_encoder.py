"""The state encoder: user features + watch history -> a state vector.

ARCHITECTURE §2 state s_t, restricted to what the serving `rank` signature receives
(tscac_tf/specs/session_schema.py): the user's features looked up by user id (unknown ids
use row 0), the last H videos (most recent first, -1 padding) each with its video
features, watch ratio and KuaiRand click / long-view flags, and the session position,
which is the number of valid history entries. There is deliberately no user-id
embedding: users are represented by their features, so a new user is not a special case.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.networks import history_features
from tscac_tf.networks.categorical_embedding import CategoricalEmbedding
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.mlp import mlp
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.networks.video_encoder import VideoEncoder
from tscac_tf.specs import session_schema as ss

# The observation keys the state is built from (V(s') needs no candidates).
STATE_KEYS = ("user_id", "history_video_ids", "history_play_time_ms")


class StateEncoder(tf.keras.layers.Layer):
    """{user_id [B], history_video_ids [B, H], history_play_time_ms [B, H]} -> [B, S].

    S is the last size of `config.state_hidden`. The history is summarised by the masked
    mean of its projected entries plus the most recent entry on its own (recency matters
    most in a feed).
    """

    def __init__(
        self,
        lookup: FeatureLookup,
        video_encoder: VideoEncoder,
        config: NetworkConfig,
        name: str = "state_encoder",
    ) -> None:
        super().__init__(name=name)
        self._lookup = lookup
        self._video_encoder = video_encoder
        self._user_categorical = CategoricalEmbedding(
            lookup.user_vocab_sizes, config.categorical_dim, name="user_categorical"
        )
        self._item_projection = tf.keras.layers.Dense(
            config.history_item_dim, activation="relu", name="history_item"
        )
        self._mlp = mlp(config.state_hidden, name="state_mlp")
        self.output_dim = config.state_hidden[-1]

    def call(self, observation: dict[str, tf.Tensor]) -> tf.Tensor:
        user_rows = self._lookup.user_rows(observation["user_id"])
        codes, numeric = self._lookup.user_features(user_rows)
        user = tf.concat([self._user_categorical(codes), numeric], axis=-1)  # [B, Du]

        ids = observation["history_video_ids"]
        mask = history_features.history_mask(ids)  # [B, H]
        rows = self._lookup.video_rows(ids)
        duration = self._lookup.video_duration(rows)
        entries = tf.concat(
            [
                self._video_encoder.encode_rows(rows),
                history_features.entry_features(
                    observation["history_play_time_ms"], duration, mask
                ),
            ],
            axis=-1,
        )
        items = self._item_projection(entries) * mask[..., None]  # [B, H, Di]
        count = history_features.session_position(mask)  # [B]
        pooled = tf.reduce_sum(items, axis=1) / tf.maximum(count, 1.0)[:, None]
        most_recent = items[:, 0, :]
        position = tf.math.log1p(count)[:, None]
        return self._mlp(tf.concat([user, pooled, most_recent, position], axis=-1))


def state_spec(history_length: int) -> dict[str, tf.TensorSpec]:
    """{key: spec} of the state part of an observation (no batch dimension)."""
    obs = ss.observation_spec(history_length)
    return {k: obs[k] for k in STATE_KEYS}
