"""CandidateTower: a video id -> its retrieval embedding e(v) (the TFRS candidate model).

Built from the video id embedding, the encoded video features (author, type, upload
type, first tag, music type, log duration, aspect ratio) and the mean embedding of all the
video's tags, so a video with few logged exposures still lands near videos that share its
features. The tag bag matters because a video belongs to every one of its tags: a quarter of
KuaiRand-Pure's videos have two or three, and a user interested in the second one is as
likely to be shown the video as one interested in the first (on the default preset the bag,
with embeddings of 16, took recall@50 from 1.40x to 1.47x popularity's under the evaluation
filter of the time; RESULTS.md).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.networks import distinct
from tscac_tf.retrieval import history_pooling, tag_profile
from tscac_tf.retrieval.config import TowerConfig
from tscac_tf.retrieval.entity_features import EntityFeatures


def projection(config: TowerConfig, name: str) -> tf.keras.Sequential:
    """The MLP on top of a tower's features: ReLU layers, then a linear map to d."""
    layers = [tf.keras.layers.Dense(u, activation="relu") for u in config.hidden_units]
    layers.append(tf.keras.layers.Dense(config.embedding_dim))
    return tf.keras.Sequential(layers, name=name)


class CandidateTower(tf.keras.Model):
    """video ids int64 [...] -> e(v) = [direction(v), b(v), s_v], float32 [..., d + 1 + T].

    direction(v) is L2-normalised; b(v) is the video's prior score (how likely it is a
    positive for anyone: popularity, quality), learned from its features, plus a fixed
    `popularity_prior` when given; s_v is the video's share of each tag code
    (tscac_tf/retrieval/tag_profile.py; only with TowerConfig.tag_profile, else e(v) is
    [..., d + 1]). Against a query [u, 1, w·log P̂(· | user)] with |u| = 1 the inner product
    is  score(u, v) = cos(u, direction(v)) + b(v) + w Σ_t s_vt log P̂(t | user).  Without b,
    popularity would have to be carved out of the unit sphere's directions.

    Unknown ids (and padding -1) map to the unknown video row; the result is defined for
    them but they are never in the index.

    Args:
      tables, config: the feature tables (baked in) and the tower sizes.
      popularity_prior: float [V+1] by video-table row, in score units: a fixed part of
        b(v) (TwoTowerModel passes τ (log q(v) − mean), config.popularity_prior), so that
        training starts from each video's popularity; None: b(v) is learned alone.
    """

    def __init__(
        self,
        tables: FeatureTables,
        config: TowerConfig,
        popularity_prior: np.ndarray | None = None,
        name: str = "candidate_tower",
    ):
        super().__init__(name=name)
        self.features = EntityFeatures(
            tables.video_ids,
            tables.video_categorical,
            tables.video_numeric,
            tables.video_vocab_sizes,
            config.id_embedding_dim,
            config.feature_embedding_dim,
            name="video_features",
        )
        self._tag_codes = tf.Variable(tables.video_tags, trainable=False, name="tag_codes")
        self.tag_embedding = tf.keras.layers.Embedding(
            tables.num_tag_codes, config.feature_embedding_dim, name="tags"
        )
        self.mlp = projection(config, "video_projection")
        self.prior = tf.keras.layers.Dense(1, name="video_prior")
        self._popularity_prior = None
        if popularity_prior is not None:
            shape = (len(tables.video_ids),)
            if np.shape(popularity_prior) != shape:
                raise ValueError(
                    f"popularity_prior must be [video-table rows] = {list(shape)}, got "
                    f"{list(np.shape(popularity_prior))}"
                )
            self._popularity_prior = tf.Variable(
                np.asarray(popularity_prior, np.float32)[:, None],
                trainable=False,
                name="popularity_prior",
            )
        self._tag_shares = None
        if config.tag_profile:
            self._tag_shares = tf.Variable(
                tag_profile.video_tag_shares(tables).astype("float32"),
                trainable=False,
                name="tag_shares",
            )

    def get_config(self) -> dict:
        # Saved through RetrievalIndex (tf.saved_model), never rebuilt from a Keras config;
        # this keeps Keras from warning that the tables are not JSON-serialisable.
        return {"name": self.name}

    def direction(self, video_ids: tf.Tensor) -> tf.Tensor:
        """The unit-norm part, float32 [..., d] (what the query tower pools over history).

        Computed once per distinct video (a session's videos recur in the histories of all
        its later steps; tscac_tf/networks/distinct.py).
        """
        return distinct.map_distinct(self._direction, video_ids)

    def call(self, video_ids: tf.Tensor) -> tf.Tensor:
        return distinct.map_distinct(self._embed, video_ids)

    def _features(self, video_ids: tf.Tensor) -> tf.Tensor:
        """EntityFeatures ++ the mean embedding of the video's tags (0 when it has none)."""
        codes = tf.gather(self._tag_codes, self.features.rows(video_ids))  # [N, T]
        present = tf.cast(codes > 0, tf.float32)
        tag_bag = history_pooling.weighted_mean(self.tag_embedding(codes), present)
        return tf.concat([self.features(video_ids), tag_bag], axis=-1)

    def _direction(self, video_ids: tf.Tensor) -> tf.Tensor:
        return tf.math.l2_normalize(self.mlp(self._features(video_ids)), axis=-1)

    def _embed(self, video_ids: tf.Tensor) -> tf.Tensor:
        features = self._features(video_ids)
        direction = tf.math.l2_normalize(self.mlp(features), axis=-1)
        prior = self.prior(features)
        if self._popularity_prior is not None:
            prior += tf.gather(self._popularity_prior, self.features.rows(video_ids))
        parts = [direction, prior]
        if self._tag_shares is not None:
            parts.append(tf.gather(self._tag_shares, self.features.rows(video_ids)))
        return tf.concat(parts, axis=-1)
