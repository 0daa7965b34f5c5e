"""Single-actor baselines: one actor π_θ trained by the stage-one loss on some critics.

Every actor-critic baseline (watch-time-only, interaction-only, RCPO, RCPO multi-critic,
Pareto) has the same skeleton, which is TSCAC stage one's with one actor:

    reward channels:  r_c = Σ_i w_{c,i} r_i         (the baseline says which)
    critics:          min ½ (r_c + γ_c (1 − done) V_c^target(s') − V_c(s))²
    advantages:       Â_c = r_c + γ_c (1 − done) V_c^target(s') − V_c(s)
    per-channel loss: L_c = −E_D[ min(π(a|s)/π_β(a|s), c) · Â_c · log π(a|s) ]
    actor:            min Σ_c α_c L_c − β E_D[H(π(·|s))]   (the baseline says which α)

The loss terms are TSCAC's (tscac_tf/agents/tscac/losses.py); π_β is the frozen behaviour
model (or the logged propensity, `propensity_source`). Subclasses choose the channels and
the combination α; `SingleObjectiveAgent` is the one-channel case (α = 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.agents.baselines.config import BaselinesConfig
from tscac_tf.agents.baselines.losses import weighted_reward
from tscac_tf.agents.candidate_agent import CandidateAgent
from tscac_tf.agents.tscac import losses as tscac_losses
from tscac_tf.agents.tscac.critic_parts import build_critic_parts
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy, action_log_probs
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import batch_mean, gradient_step


class ActorCriticBaselineAgent(CandidateAgent):
    """One actor, one critic per reward channel; see the module docstring.

    Args:
      actor_network: π_θ.
      value_network: one critic per channel of `channel_weights`.
      behavior_network: the trained behaviour model π_β (frozen here).
      channel_weights: {channel: {response name: weight}}, r_c = Σ_i w_{c,i} r_i.
      channel_discounts: {channel: γ_c}.
      config: the baselines configuration.
    """

    def __init__(
        self,
        actor_network: ActorNetwork,
        value_network: ValueNetwork,
        behavior_network: ActorNetwork,
        channel_weights: Mapping[str, Mapping[str, float]],
        channel_discounts: Mapping[str, float],
        config: BaselinesConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "actor_critic_baseline",
    ) -> None:
        channels = tuple(value_network.channel_names)
        for what, d in (
            ("channel_weights", channel_weights),
            ("channel_discounts", channel_discounts),
        ):
            if sorted(d) != sorted(channels):
                raise ValueError(f"{what} covers {sorted(d)}, the critic has {list(channels)}")
        self._channels = channels
        self._channel_weights = {c: dict(channel_weights[c]) for c in channels}
        self._discounts = {c: float(channel_discounts[c]) for c in channels}
        self._config = config
        ac = config.actor_critic
        actor_network.create_variables()
        self._actor = actor_network
        self._critic = value_network
        (
            self._target_critic,
            self._propensity,
            self._actor_optimizer,
            self._critic_optimizer,
            self._update_target,
        ) = build_critic_parts(
            value_network, behavior_network, config.tscac.propensity_source, ac, name
        )
        net = config.tscac.network
        policy = CandidateSoftmaxPolicy(
            actor_network, net.history_length, net.num_candidates, name=f"{name}_policy"
        )
        super().__init__(policy, net, train_step_counter, name=name)

    @property
    def actor_network(self) -> ActorNetwork:
        return self._actor

    @property
    def value_network(self) -> ValueNetwork:
        return self._critic

    @property
    def channels(self) -> tuple[str, ...]:
        return self._channels

    def optimizer_variables(self):
        return [
            (self._actor_optimizer, self._actor.trainable_variables),
            (self._critic_optimizer, self._critic.trainable_variables),
        ]

    # -- hooks of the subclasses --------------------------------------------------------

    def _channel_rewards(self, rewards: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """{channel: r_c [B]} from the per-response rewards."""
        return {c: weighted_reward(rewards, self._channel_weights[c]) for c in self._channels}

    def _advantages(self, advantages: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """The advantages the actor sees (default: the TD advantages as they are)."""
        return advantages

    def _standardized(self, advantages: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Centred advantages on one unit scale: that of the actor's weighted sum of them."""
        return tscac_losses.standardize_advantages(advantages, self._actor_weights())

    def _actor_weights(self) -> dict[str, tf.Tensor | float]:
        """α_c of every channel's actor loss (default: 1 each)."""
        return {c: 1.0 for c in self._channels}

    def _actor_step(self, tape, actor_losses, regularization, logits) -> tuple[tf.Tensor, dict]:
        """Applies the actor update; returns (the combined loss, extra summaries).

        `regularization` is the behaviour-cloning and entropy terms, added once; `logits`
        [B, K] is the actor's output every loss depends on θ through (Pareto's MGDA-UB).
        """
        del logits
        alpha = self._actor_weights()
        with tape:  # resumes recording: the combination must be on the tape
            total = tf.add_n([alpha[c] * actor_losses[c] for c in self._channels]) + regularization
        norm = gradient_step(tape, total, self._actor.trainable_variables, self._actor_optimizer)
        return total, {"grad_norm_actor": norm}

    def _after_step(self, experience, log_pi: tf.Tensor, log_beta: tf.Tensor) -> dict:
        """Runs after both updates (RCPO's dual ascent); returns extra summaries."""
        del experience, log_pi, log_beta
        return {}

    # -- the train step -----------------------------------------------------------------

    def _train(self, experience, weights=None):
        obs, actions = experience["observation"], experience["action"]
        ac = self._config.actor_critic
        mask = tf.not_equal(obs["candidate_video_ids"], ss.PADDING_ID)
        log_beta = self._propensity(experience)
        rewards = self._channel_rewards(experience["reward"])
        next_values, _ = self._target_critic(experience["next_observation"])
        targets = tscac_losses.td_targets(
            rewards, next_values, self._discounts, experience["is_last"]
        )
        with tf.GradientTape(persistent=True) as tape:
            values, _ = self._critic(obs, training=True)
            critic_loss = {
                c: batch_mean(term, weights)
                for c, term in tscac_losses.critic_losses(values, targets).items()
            }
            advantages = self._advantages(tscac_losses.td_advantages(targets, values))
            if ac.standardize_advantages:
                advantages = self._standardized(advantages)
            outputs, _ = self._actor(obs, training=True)
            log_pi = action_log_probs(outputs["logits"], actions)
            entropy = tscac_losses.entropy(tf.nn.log_softmax(outputs["logits"]), mask)
            actor_loss = {
                c: batch_mean(
                    tscac_losses.stage_one_actor_loss(
                        log_pi, log_beta, advantages[c], ac.ratio_clip
                    ),
                    weights,
                )
                for c in self._channels
            }
            regularization = batch_mean(
                ac.behavior_regularization * -log_pi - ac.entropy_coefficient * entropy, weights
            )
            total_critic = tf.add_n(list(critic_loss.values()))
        critic_norm = gradient_step(
            tape, total_critic, self._critic.trainable_variables, self._critic_optimizer
        )
        total_actor, actor_extra = self._actor_step(
            tape, actor_loss, regularization, outputs["logits"]
        )
        del tape
        self._update_target()
        extra = self._after_step(experience, tf.stop_gradient(log_pi), log_beta)
        self.train_step_counter.assign_add(1)
        ratio = tscac_losses.clipped_importance_ratio(log_pi, log_beta, ac.ratio_clip)
        extra.update(
            {
                "critic_loss": critic_loss,
                "actor_loss": actor_loss,
                "entropy": tf.reduce_mean(entropy),
                "importance_ratio": tf.reduce_mean(ratio),
                "advantage": {c: tf.reduce_mean(a) for c, a in advantages.items()},
                "value": {c: tf.reduce_mean(v) for c, v in values.items()},
                "grad_norm": {"critic": critic_norm, "actor": actor_extra.pop("grad_norm_actor")},
                **actor_extra,
            }
        )
        return tf_agent.LossInfo(loss=total_critic + total_actor, extra=extra)


class SingleObjectiveAgent(ActorCriticBaselineAgent):
    """One reward channel, one critic, no constraint (watch-time-only, interaction-only AC)."""

    def __init__(
        self,
        actor_network: ActorNetwork,
        value_network: ValueNetwork,
        behavior_network: ActorNetwork,
        reward_weights: Mapping[str, float],
        discount: float,
        config: BaselinesConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "single_objective",
    ) -> None:
        if len(value_network.channel_names) != 1:
            raise ValueError(
                f"a single-objective agent has one critic, got {value_network.channel_names}"
            )
        (channel,) = value_network.channel_names
        super().__init__(
            actor_network,
            value_network,
            behavior_network,
            {channel: reward_weights},
            {channel: discount},
            config,
            train_step_counter,
            name,
        )
