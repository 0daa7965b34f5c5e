"""QueryTower: (user, in-session history) -> the retrieval query embedding (TFRS query model).

Inputs are the first three serving inputs (ARCHITECTURE §4): `user_id` [B],
`history_video_ids` [B, H] (most recent first, -1 padding) and `history_play_time_ms`
[B, H]. History videos are embedded by the candidate tower's unit directions, so the query
is built in the space it is scored in, and pooled twice: weighted by watch ratio, and
plainly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import history_pooling
from tscac_tf.retrieval.candidate_tower import CandidateTower, projection
from tscac_tf.retrieval.config import TowerConfig
from tscac_tf.retrieval.entity_features import EntityFeatures


class QueryTower(tf.keras.Model):
    """{user_id [B], history_video_ids [B, H], history_play_time_ms [B, H]} -> [B, d + 1 + T].

    The query is [u, 1, w·log P̂(· | user)] with |u| = 1: the constant meets the candidate's
    prior b(v) and the user's tag profile (a baked table, tscac_tf/retrieval/tag_profile.py:
    the fitted θ_u by default, or the counted log P̂(t | u); written log P̂ here), times a
    learned weight w, meets the candidate's tag shares s_v (CandidateTower), so
    ⟨query, e(v)⟩ = cos(u, direction(v)) + b(v) + w Σ_t s_vt log P̂(t | user). Without
    TowerConfig.tag_profile the query is [u, 1], float32 [B, d + 1].

    Args:
      tables, candidate_tower, config: the feature tables, the candidate tower whose
        directions embed the history, the tower sizes.
      tag_log_profile: float32 [U+1, T] the profile by user-table row
        (tag_profile.for_towers(...).table: the fitted θ_u, or the counted log P̂(t | u));
        None: all zeros, so the term is 0 (an untrained index,
        tscac_tf/testing/fake_retrieval_model.py). Ignored without config.tag_profile.
      profile_weight: w's initial value (trainable).

    H may differ between calls. Unknown user ids map to the unknown user row, unknown
    history videos to the unknown video row; padding (-1) is masked out of the pooling.
    """

    def __init__(
        self,
        tables: FeatureTables,
        candidate_tower: CandidateTower,
        config: TowerConfig,
        tag_log_profile: np.ndarray | None = None,
        profile_weight: float = 1.0,
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
        self.tag_log_profile = self.profile_weight = None
        if config.tag_profile:
            shape = (len(tables.user_ids), tables.num_tag_codes)
            if tag_log_profile is None:
                tag_log_profile = np.zeros(shape, np.float32)
            elif tag_log_profile.shape != shape:
                raise ValueError(
                    f"tag_log_profile must be [users + 1, tag codes] = {list(shape)}, got "
                    f"{list(tag_log_profile.shape)}"
                )
            self.tag_log_profile = tf.Variable(
                tag_log_profile.astype(np.float32), trainable=False, name="tag_log_profile"
            )
            self.profile_weight = tf.Variable(profile_weight, name="profile_weight")

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
        parts = [query, tf.ones_like(query[:, :1])]
        if self.tag_log_profile is not None:
            rows = self.user_features.rows(features["user_id"])
            parts.append(self.profile_weight * tf.gather(self.tag_log_profile, rows))
        return tf.concat(parts, axis=-1)
