"""Features of a video from its id: id embedding + categorical embeddings + numeric columns.

Used by the candidate tower (e(v)) and by the state encoder (history entries). The id
embedding has one row per known video and row 0 for every unknown id (cold start), so a
video never seen in training still gets its feature-based representation.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.networks import distinct
from tscac_tf.networks.categorical_embedding import CategoricalEmbedding
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.network_config import NetworkConfig


class VideoEncoder(tf.keras.layers.Layer):
    """video ids int64 [...] -> float32 [..., output_dim]; no trainable projection."""

    def __init__(
        self, lookup: FeatureLookup, config: NetworkConfig, name: str = "video_encoder"
    ) -> None:
        super().__init__(name=name)
        self._lookup = lookup
        self._id_embedding = tf.keras.layers.Embedding(
            lookup.num_video_rows,
            config.video_id_dim,
            embeddings_initializer=tf.keras.initializers.RandomNormal(stddev=0.05),
            name="video_id_embedding",
        )
        self._categorical = CategoricalEmbedding(
            lookup.video_vocab_sizes, config.categorical_dim, name="video_categorical"
        )
        self.output_dim = (
            config.video_id_dim + self._categorical.output_dim + lookup.num_video_numeric
        )

    def encode_rows(self, rows: tf.Tensor) -> tf.Tensor:
        """Table rows int64 [...] -> float32 [..., output_dim].

        Each distinct row is looked up once and gathered back into place (distinct.py): the
        same values and gradients, with fewer and smaller sparse updates of the tables.
        """
        return distinct.map_distinct(self._encode_distinct_rows, rows)

    def encode_distinct(self, video_ids: tf.Tensor) -> tf.Tensor:
        """Like calling the encoder, for ids [N] the caller has already made distinct."""
        return self._encode_distinct_rows(self._lookup.video_rows(video_ids))

    def _encode_distinct_rows(self, rows: tf.Tensor) -> tf.Tensor:
        codes, numeric = self._lookup.video_features(rows)
        return tf.concat([self._id_embedding(rows), self._categorical(codes), numeric], axis=-1)

    def call(self, video_ids: tf.Tensor) -> tf.Tensor:
        return self.encode_rows(self._lookup.video_rows(video_ids))
