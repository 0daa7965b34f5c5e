"""The candidate tower: a video's embedding e(v) ∈ R^d in the actor's preference space.

ARCHITECTURE §2: a candidate's score is ⟨p(s), e(v)⟩; e(v) is computed from the video id
embedding (row 0 for unknown ids) and the video's features.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.networks import distinct
from tscac_tf.networks.mlp import mlp
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.networks.video_encoder import VideoEncoder


class CandidateNetwork(tf.keras.layers.Layer):
    """candidate video ids int64 [B, K] -> e(v) float32 [B, K, d]."""

    def __init__(
        self, video_encoder: VideoEncoder, config: NetworkConfig, name: str = "candidate_tower"
    ) -> None:
        super().__init__(name=name)
        self._video_encoder = video_encoder
        self._mlp = mlp(config.candidate_hidden, name="candidate_mlp")
        self._output = tf.keras.layers.Dense(config.preference_dim, name="embedding")

    def call(self, candidate_video_ids: tf.Tensor) -> tf.Tensor:
        # e(v) depends on v alone: the tower runs once per distinct video of the batch
        # (distinct.py; ~3-5K of a training batch's B·K = 12,800 slots).
        return distinct.map_distinct(self._embed, candidate_video_ids)

    def _embed(self, video_ids: tf.Tensor) -> tf.Tensor:
        return self._output(self._mlp(self._video_encoder.encode_distinct(video_ids)))
