"""Behaviour cloning over the candidate set: the learned behaviour policy π_β.

ARCHITECTURE §2: π_β(a|s) is needed by every off-policy correction, over *our* candidate
set C_t. The logged propensity (when a log has one) is the logging system's probability
over its own candidate set, so TSCAC uses this model by default
(tscac_tf/agents/tscac/config.py explains the switch). The same agent is the BC baseline.
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.agents.behavior_cloning import losses
from tscac_tf.agents.behavior_cloning.config import BehaviorCloningConfig
from tscac_tf.agents.candidate_agent import CandidateAgent
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy, action_log_probs
from tscac_tf.training.gradient_step import batch_mean, gradient_step


class BehaviorCloningAgent(CandidateAgent):
    """Trains an `ActorNetwork` to predict the logged video among the candidates."""

    def __init__(
        self,
        actor_network: ActorNetwork,
        config: BehaviorCloningConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "behavior_cloning",
    ) -> None:
        net_config = actor_network.config
        actor_network.create_variables()
        self._actor_network = actor_network
        self._optimizer = config.optimizer.make(name="behavior_adam")
        policy = CandidateSoftmaxPolicy(
            actor_network, net_config.history_length, net_config.num_candidates, name="behavior"
        )
        super().__init__(policy, net_config, train_step_counter, name=name)

    @property
    def actor_network(self) -> ActorNetwork:
        return self._actor_network

    def optimizer_variables(self):
        return [(self._optimizer, self._actor_network.trainable_variables)]

    def log_probs(self, observation: dict[str, tf.Tensor], actions: tf.Tensor) -> tf.Tensor:
        """log π_β(a|s) of the given candidate indices, float32 [B] (no gradient)."""
        outputs, _ = self._actor_network(observation)
        return tf.stop_gradient(action_log_probs(outputs["logits"], actions))

    def _train(self, experience, weights=None):
        variables = self._actor_network.trainable_variables
        with tf.GradientTape() as tape:
            outputs, _ = self._actor_network(experience["observation"], training=True)
            nll = losses.cross_entropy(outputs["logits"], experience["action"])
            loss = batch_mean(nll, weights)
        grad_norm = gradient_step(tape, loss, variables, self._optimizer)
        self.train_step_counter.assign_add(1)
        accuracy = tf.reduce_mean(losses.top1_accuracy(outputs["logits"], experience["action"]))
        extra = {"cross_entropy": loss, "top1_accuracy": accuracy, "grad_norm": grad_norm}
        return tf_agent.LossInfo(loss=loss, extra=extra)
