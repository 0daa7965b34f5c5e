"""CandidateTower: a video id -> its retrieval embedding e(v) (the TFRS candidate model).

Built from the video id embedding and the encoded video features (author, type, upload
type, first tag, music type, log duration, aspect ratio), so a video with few logged
exposures still lands near videos that share its features.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval.config import TowerConfig
from tscac_tf.retrieval.entity_features import EntityFeatures


def projection(config: TowerConfig, name: str) -> tf.keras.Sequential:
    """The MLP on top of a tower's features: ReLU layers, then a linear map to d."""
    layers = [tf.keras.layers.Dense(u, activation="relu") for u in config.hidden_units]
    layers.append(tf.keras.layers.Dense(config.embedding_dim))
    return tf.keras.Sequential(layers, name=name)


class CandidateTower(tf.keras.Model):
    """video ids int64 [...] -> L2-normalised embeddings float32 [..., d].

    Unknown ids (and padding -1) map to the unknown video row; the result is defined for
    them but they are never in the index.
    """

    def __init__(self, tables: FeatureTables, config: TowerConfig, name: str = "candidate_tower"):
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
        self.mlp = projection(config, "video_projection")

    def get_config(self) -> dict:
        # Saved through RetrievalIndex (tf.saved_model), never rebuilt from a Keras config;
        # this keeps Keras from warning that the tables are not JSON-serialisable.
        return {"name": self.name}

    def call(self, video_ids: tf.Tensor) -> tf.Tensor:
        return tf.math.l2_normalize(self.mlp(self.features(video_ids)), axis=-1)
