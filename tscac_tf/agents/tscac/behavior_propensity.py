"""π_β(a|s) of logged actions, from the behaviour model or from the log.

Both TSCAC stages correct logged data towards the learned policies with π_β(a|s); which
source is used is `TscacConfig.propensity_source` (config.py says why "model" is the
default). The behaviour network is frozen here: it was trained before stage one.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.agents.tscac import losses
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.policies.candidate_softmax_policy import action_log_probs


class BehaviorPropensity(tf.Module):
    """experience -> log π_β(a|s), float32 [B], held fixed."""

    def __init__(self, behavior_network: ActorNetwork, source: str) -> None:
        super().__init__(name="behavior_propensity")
        if source not in ("model", "logged"):
            raise ValueError(f"propensity source must be 'model' or 'logged', got {source!r}")
        behavior_network.create_variables()
        self._network = behavior_network
        self._use_logged = source == "logged"

    @property
    def network(self) -> ActorNetwork:
        return self._network

    def __call__(self, experience: dict) -> tf.Tensor:
        outputs, _ = self._network(experience["observation"])
        model = action_log_probs(outputs["logits"], experience["action"])
        return losses.behavior_log_probs(experience["behavior_propensity"], model, self._use_logged)
