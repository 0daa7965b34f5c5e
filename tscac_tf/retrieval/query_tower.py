"""QueryTower: (user, in-session history) -> the retrieval query embedding (TFRS query model).

Inputs are the first three serving inputs (ARCHITECTURE §4): `user_id` [B],
`history_video_ids` [B, H] (most recent first, -1 padding) and `history_play_time_ms`
[B, H]. History videos are embedded by the candidate tower's unit directions, so the query
is built in the space it is scored in, and pooled twice: weighted by watch ratio, and
plainly.
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import history_pooling
from tscac_tf.retrieval.candidate_tower import CandidateTower, projection
from tscac_tf.retrieval.config import TowerConfig
from tscac_tf.retrieval.entity_features import EntityFeatures


class QueryTower(tf.keras.Model):
    """{user_id [B], history_video_ids [B, H], history_play_time_ms [B, H]} -> float32 [B, d + 1].

    The query is [u, 1] with |u| = 1: the constant meets the candidate's prior b(v)
    (CandidateTower), so ⟨query, e(v)⟩ = cos(u, direction(v)) + b(v).

    H may differ between calls. Unknown user ids map to the unknown user row, unknown
    history videos to the unknown video row; padding (-1) is masked out of the pooling.
    """

    def __init__(
        self,
        tables: FeatureTables,
        candidate_tower: CandidateTower,
        config: TowerConfig,
        name: str = "query_tower",
    ):
        super().__init__(name=name)
        self.user_features = EntityFeatures(
            tables.user_ids,
            tables.user_categorical,
            tables.user_numeric,
            tables.user_vocab_sizes,
            config.id_embedding_dim,
            config.feature_embedding_dim,
            name="user_features",
        )
        self.candidate_tower = candidate_tower
        self._video_duration_ms = tf.Variable(
            tables.video_duration_ms.astype("float32"), trainable=False, name="video_duration_ms"
        )
        self._max_watch_ratio = config.max_watch_ratio
        self.mlp = projection(config, "query_projection")

    def get_config(self) -> dict:
        # Saved through RetrievalIndex (tf.saved_model), never rebuilt from a Keras config;
        # this keeps Keras from warning that the tables are not JSON-serialisable.
        return {"name": self.name}

    def call(self, features: Mapping[str, tf.Tensor]) -> tf.Tensor:
        history_ids = tf.cast(features["history_video_ids"], tf.int64)
        mask = history_pooling.history_mask(history_ids)
        history = self.candidate_tower.direction(history_ids)  # [B, H, d]
        duration = tf.gather(
            self._video_duration_ms, self.candidate_tower.features.rows(history_ids)
        )
        ratios = history_pooling.watch_ratios(
            features["history_play_time_ms"], duration, mask, self._max_watch_ratio
        )
        shown = tf.cast(mask, tf.float32)
        parts = [
            self.user_features(features["user_id"]),
            history_pooling.weighted_mean(history, ratios),
            history_pooling.weighted_mean(history, shown),
            tf.math.log1p(tf.reduce_sum(shown, axis=1, keepdims=True)),
        ]
        query = tf.math.l2_normalize(self.mlp(tf.concat(parts, axis=-1)), axis=-1)
        return tf.concat([query, tf.ones_like(query[:, :1])], axis=-1)
