"""TSCAC stage two: the watch-time actor-critic, softly constrained to the stage-one policies.

Paper §4. The main critic V_1 is trained by TD on watch time with its own γ_1. The actor
solves max E_π[Â_1] s.t. KL(π‖π_i) ≤ ε_i, whose closed form (Theorem 1) is

    π*(a|s) ∝ Π_i π_i(a|s)^{λ_i/Λ} · exp(Â_1(s,a)/Λ),   Λ = Σ_i λ_i,

and minimises KL(π*‖π_θ), estimated on logged data by importance weighting:

    log w = Σ_i (λ_i/Λ) log π_i(a|s) + Â_1(s,a)/Λ − log π_β(a|s)
    w̃     = min(B · softmax_batch(log w), c)          (self-normalised, clipped)
    L     = −E_D[ w̃ · log π_θ(a|s) ]

Â_1 is in seconds of watch time; it is divided by `StageTwoConfig.advantage_scale` (or
by its batch standard deviation, the default) before entering exp(·/Λ). It is the
one-step TD error δ = r + γ_1(1 − done) V_1(s') − V_1(s), or, with
`StageTwoConfig.advantage_critic`, an advantage critic's A(s, a), fitted to δ by
least squares:  L_A = ½ (A(s, a) − δ)². The stage-one actors and the behaviour model are
frozen here.
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.agents.candidate_agent import CandidateAgent
from tscac_tf.agents.tscac import losses
from tscac_tf.agents.tscac.config import TscacConfig
from tscac_tf.agents.tscac.critic_parts import build_critic_parts
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import batch_mean, gradient_step


class StageTwoAgent(CandidateAgent):
    """Trains the main actor π_θ, the watch-time critic V_1 and, if asked, the advantage critic.

    Args:
      advantage_network: the advantage critic, whose logits are A(s, ·) in seconds;
        required when `config.stage_two.advantage_critic` is set, refused otherwise.
    """

    def __init__(
        self,
        actor_network: ActorNetwork,
        value_network: ValueNetwork,
        auxiliary_actors: Mapping[str, ActorNetwork],
        behavior_network: ActorNetwork,
        config: TscacConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "tscac_stage_two",
        advantage_network: ActorNetwork | None = None,
    ) -> None:
        main = config.main_response.name
        if tuple(value_network.response_names) != (main,):
            raise ValueError(
                f"the stage-two critic must value only {main!r}, got {value_network.response_names}"
            )
        if sorted(auxiliary_actors) != sorted(config.auxiliary_names):
            raise ValueError(
                f"auxiliary_actors covers {sorted(auxiliary_actors)}, the auxiliary responses "
                f"are {list(config.auxiliary_names)}"
            )
        if (advantage_network is not None) != config.stage_two.advantage_critic:
            raise ValueError(
                "StageTwoAgent needs an advantage_network exactly when "
                f"StageTwoConfig.advantage_critic is set (it is {config.stage_two.advantage_critic})"
            )
        self._config = config
        self._main = main
        self._actor = actor_network
        actor_network.create_variables()
        self._auxiliary_actors = {n: auxiliary_actors[n] for n in config.auxiliary_names}
        for actor in self._auxiliary_actors.values():
            actor.create_variables()
        self._value_network = value_network
        self._behavior_network = behavior_network
        self._advantage_network = advantage_network
        if advantage_network is not None:
            advantage_network.create_variables()
            self._advantage_optimizer = config.stage_two.critic_optimizer.make(
                name="stage_two_advantage_adam"
            )
        (
            self._target_value_network,
            self._propensity,
            self._actor_optimizer,
            self._critic_optimizer,
            self._update_target,
        ) = build_critic_parts(
            value_network, behavior_network, config.propensity_source, config.stage_two, "stage_two"
        )
        net = config.network
        policy = CandidateSoftmaxPolicy(
            actor_network, net.history_length, net.num_candidates, name="main_policy"
        )
        super().__init__(policy, net, train_step_counter, name=name)

    @property
    def actor_network(self) -> ActorNetwork:
        return self._actor

    @property
    def value_network(self) -> ValueNetwork:
        return self._value_network

    @property
    def advantage_network(self) -> ActorNetwork | None:
        """The advantage critic (StageTwoConfig.advantage_critic), or None."""
        return self._advantage_network

    def optimizer_variables(self):
        pairs = [
            (self._actor_optimizer, self._actor.trainable_variables),
            (self._critic_optimizer, self._value_network.trainable_variables),
        ]
        if self._advantage_network is not None:
            pairs.append((self._advantage_optimizer, self._advantage_network.trainable_variables))
        return pairs

    def _initialize(self):
        # π_θ starts as a copy of π_β (StageTwoConfig.init_from_behavior). A checkpoint
        # restored after this (the trainer's resume) overrides the copy.
        if self._config.stage_two.init_from_behavior:
            self._actor.copy_from(self._behavior_network)
        return super()._initialize()

    def _auxiliary_log_probs(self, observation) -> dict[str, tf.Tensor]:
        """{name: log π_i(·|s)} float32 [B, K], frozen."""
        return {
            n: tf.stop_gradient(tf.nn.log_softmax(actor(observation)[0]["logits"], axis=-1))
            for n, actor in self._auxiliary_actors.items()
        }

    def _train(self, experience, weights=None):
        obs, stage = experience["observation"], self._config.stage_two
        actions = tf.cast(experience["action"], tf.int32)
        log_beta = self._propensity(experience)
        aux_all = self._auxiliary_log_probs(obs)
        aux_taken = {n: tf.gather(lp, actions, axis=1, batch_dims=1) for n, lp in aux_all.items()}
        next_values, _ = self._target_value_network(experience["next_observation"])
        main = self._main
        targets = losses.td_targets(
            {main: experience["reward"][main]},
            {main: next_values[main]},
            {main: self._config.discounts[main]},
            experience["is_last"],
        )
        with tf.GradientTape(persistent=True) as tape:
            values, _ = self._value_network(obs, training=True)
            critic_loss = batch_mean(losses.critic_losses(values, targets)[main], weights)
            td_error = losses.td_advantages(targets, values)[main]
            if self._advantage_network is not None:
                fitted = tf.gather(
                    self._advantage_network(obs, training=True)[0]["logits"],
                    actions,
                    axis=1,
                    batch_dims=1,
                )
                advantage_loss = batch_mean(
                    losses.critic_losses({main: fitted}, {main: td_error})[main], weights
                )
                advantage = tf.stop_gradient(fitted)
            else:
                advantage = td_error
            scaled = losses.scale_advantage(advantage, stage.advantage_scale)
            log_w = losses.stage_two_log_weights(
                aux_taken, self._config.lagranges, scaled, log_beta
            )
            w = losses.self_normalized_weights(log_w, stage.weight_clip)
            outputs, _ = self._actor(obs, training=True)
            log_pi_all = tf.nn.log_softmax(outputs["logits"], axis=-1)
            log_pi = tf.gather(log_pi_all, actions, axis=1, batch_dims=1)
            actor_loss = batch_mean(losses.stage_two_actor_loss(log_pi, w), weights)
        critic_norm = gradient_step(
            tape, critic_loss, self._value_network.trainable_variables, self._critic_optimizer
        )
        if self._advantage_network is not None:
            advantage_norm = gradient_step(
                tape,
                advantage_loss,
                self._advantage_network.trainable_variables,
                self._advantage_optimizer,
            )
        actor_norm = gradient_step(
            tape, actor_loss, self._actor.trainable_variables, self._actor_optimizer
        )
        del tape
        self._update_target()
        self.train_step_counter.assign_add(1)
        mask = tf.not_equal(obs["candidate_video_ids"], ss.PADDING_ID)
        kl = {
            n: tf.reduce_mean(losses.kl_divergence(log_pi_all, lp, mask))
            for n, lp in aux_all.items()
        }
        extra = {
            "critic_loss": {main: critic_loss},
            "actor_loss": {main: actor_loss},
            "kl_to_auxiliary": kl,
            "advantage": {main: tf.reduce_mean(advantage)},
            "advantage_std": {main: tf.math.reduce_std(advantage)},
            "value": {main: tf.reduce_mean(values[main])},
            "weight_max": tf.reduce_max(w),
            "weight_effective_fraction": losses.effective_sample_fraction(w),
            "grad_norm": {"actor": actor_norm, "critic": critic_norm},
        }
        loss = critic_loss + actor_loss
        if self._advantage_network is not None:
            extra["advantage_loss"] = {main: advantage_loss}
            extra["td_error_std"] = {main: tf.math.reduce_std(td_error)}  # δ's, beside A's
            extra["grad_norm"]["advantage"] = advantage_norm
            loss += advantage_loss
        return tf_agent.LossInfo(loss=loss, extra=extra)
