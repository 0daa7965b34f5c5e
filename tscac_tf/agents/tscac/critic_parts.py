"""What both TSCAC stages build around their critic: target, π_β, optimisers, target update."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import tensorflow as tf

from tscac_tf.agents.tscac.behavior_propensity import BehaviorPropensity
from tscac_tf.agents.tscac.config import StageOneConfig, StageTwoConfig, TscacConfig
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.target_network import make_target, target_updater
from tscac_tf.networks.value_network import ValueNetwork


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
    config: TscacConfig,
    stage: StageOneConfig | StageTwoConfig,
    prefix: str,
) -> CriticParts:
    """The target critic (a soft-updated copy), π_β of logged actions and both optimisers.

    Args:
      value_network: the stage's critic.
      behavior_network: the trained behaviour model (frozen).
      config: the run's configuration (its propensity source).
      stage: the stage's settings (optimisers, target update).
      prefix: names the optimisers, e.g. "stage_one".
    """
    target = make_target(value_network, name="target_" + value_network.name)
    return CriticParts(
        target_value_network=target,
        propensity=BehaviorPropensity(behavior_network, config.propensity_source),
        actor_optimizer=stage.actor_optimizer.make(name=f"{prefix}_actor_adam"),
        critic_optimizer=stage.critic_optimizer.make(name=f"{prefix}_critic_adam"),
        update_target=target_updater(
            value_network, target, stage.target_update_tau, stage.target_update_period
        ),
    )
