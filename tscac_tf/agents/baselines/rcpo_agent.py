"""RCPO (Tessler et al., ICLR 2019) on logged data, with one joint critic or a multi-critic.

Constrained problem: max E_π[Σ γ_1^t r_1] s.t. E_π[r_i] ≥ level_i for every auxiliary i,
level_i = the behaviour policy's logged per-step rate of r_i (hate: r = −is_hate, so its
constraint bounds the hate rate from above). Lagrangian relaxation with λ_i ≥ 0:

    joint critic (`multi_critic=False`):  one critic on r_λ = r_1 + Σ_i λ_i r_i, γ = γ_1;
                                          Â = Â_λ.
    multi-critic (`multi_critic=True`):   one critic per response, each with its own γ_i;
                                          Â = Â_1 + Σ_i λ_i Â_i.

The actor takes the stage-one step on Â (actor_critic_agent.py). After each step every λ_i
takes one projected dual-ascent step towards its level, with Ĵ_i the batch's clipped,
self-normalised importance estimate of E_π[r_i]:

    λ_i ← max(0, λ_i + η (level_i − Ĵ_i))

λ_i starts at the registry's λ_i and is checkpointed with the agent; every step reports
λ_i, Ĵ_i and level_i (TensorBoard: `<name>/lagrange/<response>`).
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

from tscac_tf.agents.baselines import losses
from tscac_tf.agents.baselines.actor_critic_agent import ActorCriticBaselineAgent
from tscac_tf.agents.baselines.config import BaselinesConfig
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork

JOINT_CHANNEL = "lagrangian"


def rcpo_channels(config: BaselinesConfig, multi_critic: bool) -> list[str]:
    """The critic's channel names: one joint channel, or every response."""
    return [r.name for r in config.tscac.responses] if multi_critic else [JOINT_CHANNEL]


class RcpoAgent(ActorCriticBaselineAgent):
    """RCPO with learned λ_i; see the module docstring.

    Args:
      levels: {auxiliary name: level_i}, the logged per-step rates of r_i.
      multi_critic: one critic per response instead of one on r_1 + Σ λ_i r_i.
    """

    def __init__(
        self,
        actor_network: ActorNetwork,
        value_network: ValueNetwork,
        behavior_network: ActorNetwork,
        levels: Mapping[str, float],
        config: BaselinesConfig,
        multi_critic: bool = False,
        train_step_counter: tf.Variable | None = None,
        name: str = "rcpo",
    ) -> None:
        tscac = config.tscac
        aux = tscac.auxiliary_names
        if sorted(levels) != sorted(aux):
            raise ValueError(f"RCPO levels cover {sorted(levels)}, the auxiliaries are {list(aux)}")
        self._aux = aux
        self._main = tscac.main_response.name
        self._multi_critic = multi_critic
        self._levels = {n: tf.constant(float(levels[n]), tf.float32) for n in aux}
        self._lagrange = {
            n: tf.Variable(
                float(lam),
                dtype=tf.float32,
                trainable=False,
                name=f"lagrange_{n}",
                aggregation=tf.VariableAggregation.MEAN,
            )
            for n, lam in tscac.lagranges.items()
        }
        if multi_critic:
            weights = {r.name: {r.name: 1.0} for r in tscac.responses}
            discounts = tscac.discounts
        else:
            # the weights of the joint channel are the current λ (see _channel_rewards)
            weights = {JOINT_CHANNEL: {self._main: 1.0}}
            discounts = {JOINT_CHANNEL: tscac.main_response.discount}
        super().__init__(
            actor_network,
            value_network,
            behavior_network,
            weights,
            discounts,
            config,
            train_step_counter,
            name,
        )

    @property
    def lagranges(self) -> dict[str, tf.Variable]:
        """{auxiliary name: λ_i variable}."""
        return dict(self._lagrange)

    def _current_lagranges(self) -> dict[str, tf.Tensor]:
        return {n: tf.stop_gradient(tf.convert_to_tensor(v)) for n, v in self._lagrange.items()}

    def _channel_rewards(self, rewards):
        if self._multi_critic:
            return super()._channel_rewards(rewards)
        joint = {self._main: 1.0, **self._current_lagranges()}
        return {JOINT_CHANNEL: losses.weighted_reward(rewards, joint)}

    def _actor_weights(self):
        if not self._multi_critic:
            return {JOINT_CHANNEL: 1.0}
        return {self._main: 1.0, **self._current_lagranges()}

    def _after_step(self, experience, log_pi, log_beta):
        lagrangian = self._config.lagrangian
        rewards = experience["reward"]
        estimates, lagranges = {}, {}
        for n in self._aux:
            estimates[n] = losses.importance_weighted_rate(
                rewards[n], log_pi, log_beta, lagrangian.estimate_clip
            )
            updated = losses.dual_ascent(
                self._lagrange[n], self._levels[n], estimates[n], lagrangian.learning_rate
            )
            self._lagrange[n].assign(updated)
            lagranges[n] = tf.identity(updated)
        return {
            "lagrange": lagranges,
            "constraint_estimate": estimates,
            "constraint_level": dict(self._levels),
        }
