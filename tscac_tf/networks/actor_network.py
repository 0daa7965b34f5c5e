"""The actor: a preference vector p(s) ∈ R^d and the candidate scores it induces.

ARCHITECTURE §2 (the paper's production form, made exact over the candidate set C_t):

    score(v | s) = ⟨p_θ(s), e(v)⟩ / τ,   π_θ(v | s) = softmax_{v ∈ C_t} score(v | s)

Padded candidates (id -1) get PADDED_SCORE, so they have probability 0 and rank last.
The actor owns its state encoder and candidate tower; they share one video encoder
(history entries and candidates are the same kind of object).
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.networks import network

from tscac_tf.networks.candidate_network import CandidateNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.networks.state_encoder import StateEncoder
from tscac_tf.networks.video_encoder import VideoEncoder
from tscac_tf.specs import session_schema as ss

PADDED_SCORE = -1e9


# score(v|s) = ⟨p(s), e(v)⟩ / τ for real candidates, PADDED_SCORE for padding (id -1)
def candidate_scores(
    preference: tf.Tensor,
    candidate_embeddings: tf.Tensor,
    candidate_video_ids: tf.Tensor,
    temperature: float,
) -> tf.Tensor:
    """Masked candidate scores.

    Args:
      preference: float32 [B, d].
      candidate_embeddings: float32 [B, K, d].
      candidate_video_ids: int64 [B, K], -1 = padding.
      temperature: τ > 0.

    Returns:
      float32 [B, K].
    """
    scores = tf.einsum("bd,bkd->bk", preference, candidate_embeddings) / temperature
    padded = tf.equal(candidate_video_ids, ss.PADDING_ID)
    return tf.where(padded, tf.constant(PADDED_SCORE, scores.dtype), scores)


class ActorNetwork(network.Network):
    """observation -> ({"logits": [B, K], "preference": [B, d]}, ()).

    `logits` are the masked scores ⟨p(s), e(v)⟩ / τ; π(·|s) = softmax(logits).
    Call `preference` and `candidate_embeddings` directly to score a candidate set of
    another size K than the training spec (serving).
    """

    def __init__(
        self,
        input_tensor_spec: dict[str, tf.TensorSpec],
        lookup: FeatureLookup,
        config: NetworkConfig,
        name: str = "actor_network",
    ) -> None:
        super().__init__(input_tensor_spec=input_tensor_spec, state_spec=(), name=name)
        self._config = config
        self._lookup = lookup
        self._video_encoder = VideoEncoder(lookup, config)
        self._state_encoder = StateEncoder(lookup, self._video_encoder, config)
        self._preference_head = tf.keras.layers.Dense(config.preference_dim, name="preference")
        self._candidate_tower = CandidateNetwork(self._video_encoder, config)

    @classmethod
    def from_config(
        cls, lookup: FeatureLookup, config: NetworkConfig, name: str = "actor_network"
    ) -> ActorNetwork:
        """An actor whose input spec is `observation_spec(config.history_length, config.num_candidates)`."""
        spec = ss.observation_spec(config.history_length, config.num_candidates)
        return cls(spec, lookup, config, name=name)

    @property
    def config(self) -> NetworkConfig:
        return self._config

    @property
    def lookup(self) -> FeatureLookup:
        return self._lookup

    def copy_from(self, other: ActorNetwork) -> None:
        """Sets this actor's weights to a copy of `other`'s (same configuration).

        Raises:
          ValueError: the two actors' trainable variables differ in number or shape.
        """
        self.create_variables()
        other.create_variables()
        mine, theirs = self.trainable_variables, other.trainable_variables
        shapes = [tuple(v.shape) for v in mine], [tuple(v.shape) for v in theirs]
        if shapes[0] != shapes[1]:
            raise ValueError(
                f"{self.name} cannot copy {other.name}: variables {shapes[0]} vs {shapes[1]}"
            )
        for target, source in zip(mine, theirs, strict=True):
            target.assign(source)

    def preference(self, observation: dict[str, tf.Tensor]) -> tf.Tensor:
        """p(s), float32 [B, d]."""
        return self._preference_head(self._state_encoder(observation))

    def candidate_embeddings(self, candidate_video_ids: tf.Tensor) -> tf.Tensor:
        """e(v), float32 [B, K, d], for any K."""
        return self._candidate_tower(candidate_video_ids)

    def scores(self, observation: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """(masked logits [B, K], p(s) [B, d]) for the observation's candidates (any K)."""
        preference = self.preference(observation)
        candidates = observation["candidate_video_ids"]
        logits = candidate_scores(
            preference,
            self.candidate_embeddings(candidates),
            candidates,
            self._config.temperature,
        )
        return logits, preference

    def call(self, observation, step_type=None, network_state=(), training=False):
        del step_type, training  # no recurrence, no dropout
        logits, preference = self.scores(observation)
        return {"logits": logits, "preference": preference}, network_state
