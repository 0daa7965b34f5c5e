"""Base of the agents that learn from logged candidate-set transitions.

Every agent here (behaviour cloning, TSCAC stage one and two, and the baselines) trains on
batches shaped like `session_schema.transition_spec(H, K)` (one logged step each, not
TF-Agents trajectories) and acts through a `CandidateSoftmaxPolicy`. This base wires the
TF-Agents plumbing once: specs, the step counter, and building the optimisers' slot
variables in `initialize()` so that a checkpoint restores them before the first step.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import create_train_step_counter
from tscac_tf.training.optimizer_config import build_slots


class CandidateAgent(tf_agent.TFAgent, abc.ABC):
    """A TFAgent trained on `transition_spec(H, K)` batches; `train(experience)`."""

    def __init__(
        self,
        policy: CandidateSoftmaxPolicy,
        network_config: NetworkConfig,
        train_step_counter: tf.Variable | None = None,
        name: str | None = None,
    ) -> None:
        tf.Module.__init__(self, name=name)
        self._network_config = network_config
        super().__init__(
            policy.time_step_spec,
            policy.action_spec,
            policy=policy,
            collect_policy=policy,
            train_sequence_length=None,
            training_data_spec=ss.transition_spec(
                network_config.history_length, network_config.num_candidates
            ),
            train_step_counter=train_step_counter or create_train_step_counter(),
        )

    @property
    def network_config(self) -> NetworkConfig:
        return self._network_config

    @abc.abstractmethod
    def optimizer_variables(
        self,
    ) -> Sequence[tuple[tf.keras.optimizers.legacy.Optimizer, Sequence[tf.Variable]]]:
        """Each optimiser with the variables it updates."""

    def _initialize(self):
        # Creating the slot variables now (not lazily at the first step) lets a checkpoint
        # restore them immediately, so a resumed run continues with the same Adam moments.
        for optimizer, variables in self.optimizer_variables():
            build_slots(optimizer, variables)
        return tf.no_op()
