"""Wide&Deep (Cheng et al., DLRS 2016) as a multi-task response model.

    o(s, v) = Σ_c w_wide[h(c)] + W_out · MLP([fields; dense])        o ∈ R^m, one per response

The wide part is linear in the crossed categorical features c = (user column i = code a,
video column j = code b) for every column pair, hashed into `wide_buckets` rows
(h(i, j, a, b)); the deep part is an MLP over all field embeddings and the dense features.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.agents.baselines.response_model.config import ResponseModelConfig
from tscac_tf.agents.baselines.response_model.fields import ResponseFields
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.mlp import mlp
from tscac_tf.specs import responses as registry


# h(i, j, a, b) = ((p · P1 + a) · P2 + b) mod N,  p = i · Cv + j
def crossed_buckets(user_codes: tf.Tensor, video_codes: tf.Tensor, buckets: int) -> tf.Tensor:
    """Hashed (user column × video column) crosses.

    Args:
      user_codes: int64 [B, Cu].
      video_codes: int64 [B, K, Cv].
      buckets: N.

    Returns:
      int64 [B, K, Cu * Cv] in [0, N).
    """
    cu, cv = user_codes.shape[-1], video_codes.shape[-1]
    pair = tf.reshape(tf.range(cu * cv, dtype=tf.int64), [cu, cv])
    a = tf.cast(user_codes, tf.int64)[:, None, :, None]  # [B, 1, Cu, 1]
    b = tf.cast(video_codes, tf.int64)[:, :, None, :]  # [B, K, 1, Cv]
    h = tf.math.floormod((pair * 1_000_003 + a) * 1_000_033 + b, buckets)  # [B, K, Cu, Cv]
    return tf.reshape(h, tf.concat([tf.shape(h)[:2], [cu * cv]], axis=0))


class WideDeepNetwork(tf.keras.layers.Layer):
    """observation (state + candidates [B, K]) -> {response: output o_j [B, K]}."""

    def __init__(
        self, lookup: FeatureLookup, config: ResponseModelConfig, name: str = "wide_deep"
    ) -> None:
        super().__init__(name=name)
        self._names = registry.RESPONSE_NAMES
        m = len(self._names)
        self._buckets = config.wide_buckets
        self.fields = ResponseFields(lookup, config.field_dim)
        self._wide = tf.keras.layers.Embedding(
            config.wide_buckets, m, embeddings_initializer="zeros", name="wide"
        )
        self._deep = mlp(config.deep_hidden, name="deep")
        self._out = tf.keras.layers.Dense(m, name="deep_out")
        self._flat = self.fields.num_fields * config.field_dim

    def call(self, observation: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        f = self.fields(observation)
        crosses = crossed_buckets(f["user_codes"], f["video_codes"], self._buckets)
        wide = tf.reduce_sum(self._wide(crosses), axis=2)  # [B, K, m]
        shape = tf.concat([tf.shape(f["fields"])[:2], [self._flat]], axis=0)
        deep_in = tf.concat([tf.reshape(f["fields"], shape), f["dense"]], axis=-1)
        out = wide + self._out(self._deep(deep_in))
        return {n: out[..., i] for i, n in enumerate(self._names)}
