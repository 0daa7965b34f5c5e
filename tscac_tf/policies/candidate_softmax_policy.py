"""A TF-Agents policy over the candidate set: π(v|s) = softmax_{v ∈ C_t} ⟨p(s), e(v)⟩ / τ.

ARCHITECTURE §2. The action is the index of the chosen video in the observation's
`candidate_video_ids`; padded candidates (-1) have probability 0. `policy_info` carries
the log-probabilities of every candidate, so a consumer can compute KLs and importance
ratios without running the network again. Serving is greedy: `greedy_policy(policy)`
picks the highest score, which is what the exported `rank` signature ranks by.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import greedy_policy as tfa_greedy
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step
from tf_agents.trajectories import time_step as ts

from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.specs import session_schema as ss

LOG_PROBABILITIES = "log_probabilities"


def candidate_time_step_spec(history_length: int, num_candidates: int) -> ts.TimeStep:
    """TimeStep spec whose observation is `session_schema.observation_spec(H, K)`."""
    return ts.time_step_spec(ss.observation_spec(history_length, num_candidates))


def candidate_action_spec(num_candidates: int) -> tensor_spec.BoundedTensorSpec:
    """int64 [] index into the candidate set, in [0, K - 1]."""
    return tensor_spec.BoundedTensorSpec([], tf.int64, 0, num_candidates - 1, name="action")


class CandidateSoftmaxPolicy(tf_policy.TFPolicy):
    """Categorical policy over the candidate set from an `ActorNetwork`.

    policy_info: {"log_probabilities": float32 [B, K]} (log π(v|s) for every candidate).
    """

    def __init__(
        self,
        actor_network: ActorNetwork,
        history_length: int,
        num_candidates: int,
        emit_log_probability: bool = False,
        name: str | None = None,
    ) -> None:
        info_spec = {LOG_PROBABILITIES: tf.TensorSpec([num_candidates], tf.float32)}
        super().__init__(
            candidate_time_step_spec(history_length, num_candidates),
            candidate_action_spec(num_candidates),
            info_spec=info_spec,
            emit_log_probability=emit_log_probability,
            name=name,
        )
        self._actor_network = actor_network

    @property
    def actor_network(self) -> ActorNetwork:
        return self._actor_network

    def _variables(self):
        return self._actor_network.variables

    def _distribution(self, time_step, policy_state):
        outputs, _ = self._actor_network(time_step.observation, step_type=time_step.step_type)
        logits = outputs["logits"]
        distribution = tfp.distributions.Categorical(logits=logits, dtype=tf.int64)
        info = {LOG_PROBABILITIES: tf.nn.log_softmax(logits, axis=-1)}
        return policy_step.PolicyStep(distribution, policy_state, info)


# log π(a|s) = log_softmax_v(logits(v|s))[a]
def action_log_probs(logits: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
    """Log-probability of the chosen candidate under the candidate softmax.

    Args:
      logits: float32 [B, K], padded candidates already masked.
      actions: int [B], index of the chosen video in the candidate set.

    Returns:
      float32 [B].
    """
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    return tf.gather(log_probs, tf.cast(actions, tf.int32), axis=1, batch_dims=1)


def greedy_policy(policy: CandidateSoftmaxPolicy) -> tf_policy.TFPolicy:
    """The serving policy: always the highest-scoring candidate (mode of the softmax)."""
    return tfa_greedy.GreedyPolicy(policy, name="greedy_" + policy.name)
