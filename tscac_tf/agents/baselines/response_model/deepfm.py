"""DeepFM (Guo et al., IJCAI 2017) as a multi-task response model.

    o(s, v) = first order + W_fm · ½((Σ_f e_f)² − Σ_f e_f²) + W_out · MLP([fields; dense])

First order: a learned weight per categorical code and per video id (one per response),
plus a linear map of the dense features. The FM term is the pairwise interaction
Σ_{f<g} ⟨e_f, e_g⟩ kept per embedding dimension, so that each response weighs it with its
own W_fm (W_fm = 1 is the classic single-task FM scalar). The deep part shares the
field embeddings with the FM term, as in the paper.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.agents.baselines.response_model.config import ResponseModelConfig
from tscac_tf.agents.baselines.response_model.fields import ResponseFields
from tscac_tf.networks.categorical_embedding import CategoricalEmbedding
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.mlp import mlp
from tscac_tf.specs import responses as registry


# fm = ½ ((Σ_f e_f)² − Σ_f e_f²) = Σ_{f<g} e_f ⊙ e_g
def fm_interactions(fields: tf.Tensor) -> tf.Tensor:
    """Pairwise field interactions per dimension. [..., F, k] -> [..., k]."""
    total = tf.reduce_sum(fields, axis=-2)
    return 0.5 * (tf.square(total) - tf.reduce_sum(tf.square(fields), axis=-2))


class DeepFMNetwork(tf.keras.layers.Layer):
    """observation (state + candidates [B, K]) -> {response: output o_j [B, K]}."""

    def __init__(
        self, lookup: FeatureLookup, config: ResponseModelConfig, name: str = "deepfm"
    ) -> None:
        super().__init__(name=name)
        self._lookup = lookup
        self._names = registry.RESPONSE_NAMES
        m = len(self._names)
        self.fields = ResponseFields(lookup, config.field_dim)
        self._user_linear = CategoricalEmbedding(lookup.user_vocab_sizes, m, name="user_linear")
        self._video_linear = CategoricalEmbedding(lookup.video_vocab_sizes, m, name="video_linear")
        self._id_linear = tf.keras.layers.Embedding(
            lookup.num_video_rows, m, embeddings_initializer="zeros", name="id_linear"
        )
        self._dense_linear = tf.keras.layers.Dense(m, name="dense_linear")
        self._fm_out = tf.keras.layers.Dense(m, use_bias=False, name="fm_out")
        self._deep = mlp(config.deep_hidden, name="deep")
        self._out = tf.keras.layers.Dense(m, name="deep_out")
        self._flat = self.fields.num_fields * config.field_dim
        self._m = m

    def _first_order(self, f: dict, observation: dict) -> tf.Tensor:
        m = self._m
        user = self._user_linear(f["user_codes"])  # [B, Cu * m]
        user = tf.reduce_sum(tf.reshape(user, [-1, len(self._lookup.user_vocab_sizes), m]), 1)
        video = self._video_linear(f["video_codes"])  # [B, K, Cv * m]
        cv = len(self._lookup.video_vocab_sizes)
        video = tf.reduce_sum(
            tf.reshape(video, tf.concat([tf.shape(video)[:2], [cv, m]], axis=0)), axis=2
        )
        ids = self._id_linear(self._lookup.video_rows(observation["candidate_video_ids"]))
        return user[:, None, :] + video + ids + self._dense_linear(f["dense"])

    def call(self, observation: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        f = self.fields(observation)
        shape = tf.concat([tf.shape(f["fields"])[:2], [self._flat]], axis=0)
        deep_in = tf.concat([tf.reshape(f["fields"], shape), f["dense"]], axis=-1)
        out = (
            self._first_order(f, observation)
            + self._fm_out(fm_interactions(f["fields"]))
            + self._out(self._deep(deep_in))
        )
        return {n: out[..., i] for i, n in enumerate(self._names)}
