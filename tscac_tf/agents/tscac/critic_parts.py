"""What both TSCAC stages build around their critic: target, π_β, optimisers, target update."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import tensorflow as tf

from tscac_tf.agents.tscac.behavior_propensity import BehaviorPropensity
from tscac_tf.agents.tscac.config import PropensitySource, StageOneConfig, StageTwoConfig
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.target_network import make_target, target_updater
from tscac_tf.networks.value_network import ValueNetwork

if TYPE_CHECKING:  # the baselines import this module; no import cycle at run time
    from tscac_tf.agents.baselines.config import ActorCriticConfig


class CriticParts(NamedTuple):
    """The pieces an agent assigns to its own attributes (so that checkpoints track them)."""

    target_value_network: ValueNetwork
    propensity: BehaviorPropensity
    actor_optimizer: tf.keras.optimizers.legacy.Optimizer
    critic_optimizer: tf.keras.optimizers.legacy.Optimizer
    update_target: Callable[[], object]


def build_critic_parts(
    value_network: ValueNetwork,
    behavior_network: ActorNetwork,
    propensity_source: PropensitySource,
    stage: StageOneConfig | StageTwoConfig | ActorCriticConfig,
    prefix: str,
) -> CriticParts:
    """The target critic (a soft-updated copy), π_β of logged actions and both optimisers.

    Args:
      value_network: the agent's critic.
      behavior_network: the trained behaviour model (frozen).
      propensity_source: "model" or "logged" (TscacConfig.propensity_source).
      stage: the agent's settings (optimisers, target update): a TSCAC stage or a
        baseline's ActorCriticConfig.
      prefix: names the optimisers, e.g. "stage_one".
    """
    target = make_target(value_network, name="target_" + value_network.name)
    return CriticParts(
        target_value_network=target,
        propensity=BehaviorPropensity(behavior_network, propensity_source),
        actor_optimizer=stage.actor_optimizer.make(name=f"{prefix}_actor_adam"),
        critic_optimizer=stage.critic_optimizer.make(name=f"{prefix}_critic_adam"),
        update_target=target_updater(
            value_network, target, stage.target_update_tau, stage.target_update_period
        ),
    )
