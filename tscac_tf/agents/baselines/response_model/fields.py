"""The fields of a (state, candidate) pair for the supervised response models.

Wide&Deep and DeepFM score a (user, history, video) pair from the same inputs as every
other agent (the serving `rank` inputs and the baked feature tables):

    fields  float32 [B, K, F, k]: every user categorical column, the history (masked mean
            of its video-id embeddings), every video categorical column, the video id;
            F = Cu + 1 + Cv + 1 fields of size k
    dense   float32 [B, K, D]: user numeric, history summary (mean watch ratio, click and
            long-view rates, log(1 + length)), video numeric
    user_codes [B, Cu] and video_codes [B, K, Cv]: raw codes (the wide part crosses them)

Video ids of the history and of the candidates share one embedding table.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.networks import history_features
from tscac_tf.networks.categorical_embedding import CategoricalEmbedding
from tscac_tf.networks.feature_lookup import FeatureLookup


def _split_columns(x: tf.Tensor, columns: int, dim: int) -> tf.Tensor:
    """[..., C * k] -> [..., C, k]."""
    return tf.reshape(x, tf.concat([tf.shape(x)[:-1], [columns, dim]], axis=0))


class ResponseFields(tf.keras.layers.Layer):
    """observation (state + candidate_video_ids [B, K]) -> the fields above."""

    def __init__(self, lookup: FeatureLookup, field_dim: int, name: str = "fields") -> None:
        super().__init__(name=name)
        self._lookup = lookup
        self._dim = field_dim
        self._user = CategoricalEmbedding(lookup.user_vocab_sizes, field_dim, name="user")
        self._video = CategoricalEmbedding(lookup.video_vocab_sizes, field_dim, name="video")
        self._video_id = tf.keras.layers.Embedding(
            lookup.num_video_rows,
            field_dim,
            embeddings_initializer=tf.keras.initializers.RandomNormal(stddev=0.05),
            name="video_id",
        )
        self.num_user_columns = len(lookup.user_vocab_sizes)
        self.num_video_columns = len(lookup.video_vocab_sizes)
        self.num_fields = self.num_user_columns + self.num_video_columns + 2
        self.dense_dim = lookup.num_user_numeric + 4 + lookup.num_video_numeric

    def state(self, observation: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Candidate-independent parts: user fields [B, Cu+1, k], dense [B, Nu+4], codes."""
        codes, numeric = self._lookup.user_features(self._lookup.user_rows(observation["user_id"]))
        user = _split_columns(self._user(codes), self.num_user_columns, self._dim)
        ids = observation["history_video_ids"]
        mask = history_features.history_mask(ids)  # [B, H]
        rows = self._lookup.video_rows(ids)
        count = tf.maximum(history_features.session_position(mask), 1.0)[:, None]
        pooled = tf.reduce_sum(self._video_id(rows) * mask[..., None], axis=1) / count
        entries = history_features.entry_features(
            observation["history_play_time_ms"], self._lookup.video_duration(rows), mask
        )
        summary = tf.reduce_sum(entries, axis=1) / count  # [B, 3]
        position = tf.math.log1p(history_features.session_position(mask))[:, None]
        return {
            "fields": tf.concat([user, pooled[:, None, :]], axis=1),
            "dense": tf.concat([numeric, summary, position], axis=-1),
            "user_codes": codes,
        }

    def call(self, observation: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        state = self.state(observation)
        rows = self._lookup.video_rows(observation["candidate_video_ids"])  # [B, K]
        codes, numeric = self._lookup.video_features(rows)
        video = _split_columns(self._video(codes), self.num_video_columns, self._dim)
        video = tf.concat([video, self._video_id(rows)[:, :, None, :]], axis=2)  # [B, K, Cv+1, k]
        k = tf.shape(rows)[1]
        state_fields = tf.tile(state["fields"][:, None], [1, k, 1, 1])
        state_dense = tf.tile(state["dense"][:, None], [1, k, 1])
        return {
            "fields": tf.concat([state_fields, video], axis=2),
            "dense": tf.concat([state_dense, numeric], axis=-1),
            "user_codes": state["user_codes"],
            "video_codes": codes,
        }
