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

λ_i is the registry's (`StageTwoConfig.lagrange_update = "fixed"`, the paper's form) or,
with "dual", a variable that starts there and after every step takes one projected
dual-ascent step on the constraint E_π[r_i] ≥ level_i, level_i being the logged per-step
rate of r_i (as RCPO's levels; hate: r = −is_hate bounds the hate rate from above):

    λ_i ← max(f, λ_i + η (level_i − Ĵ_i) / |level_i|)

with Ĵ_i a running, clipped, self-normalised importance estimate of π_θ's rate
(losses.running_importance_sums). A violated constraint pulls π* towards its stage-one
policy π_i (its share λ_i/Λ of the geometric mean grows) and lowers the watch-time
advantage's weight 1/Λ; met constraints let go. The paper's Lagrangian is over KL
constraints KL(π‖π_i) ≤ ε_i whose ε_i are not known; this sets them implicitly, from
the constraints the evaluation judges. λ_i, Ĵ_i and their sums are checkpointed with
the agent.
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
      levels: {auxiliary name: level_i}, the logged per-step rates of r_i; required when
        `config.stage_two.lagrange_update` is "dual", refused otherwise.
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
        levels: Mapping[str, float] | None = None,
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
        dual = config.stage_two.lagrange_update == "dual"
        if (levels is not None) != dual:
            raise ValueError(
                "StageTwoAgent needs constraint levels exactly when "
                f"StageTwoConfig.lagrange_update is 'dual' (it is {config.stage_two.lagrange_update!r})"
            )
        if dual and sorted(levels) != sorted(config.auxiliary_names):
            raise ValueError(
                f"stage-two levels cover {sorted(levels)}, the auxiliary responses are "
                f"{list(config.auxiliary_names)}"
            )
        self._levels = {n: float(levels[n]) for n in config.auxiliary_names} if dual else None
        self._lagrange, self._rate_sums = None, None
        if dual:

            def variable(value, name):
                return tf.Variable(
                    float(value),
                    dtype=tf.float32,
                    trainable=False,
                    name=name,
                    aggregation=tf.VariableAggregation.MEAN,
                )

            self._lagrange = {
                n: variable(lam, f"lagrange_{n}") for n, lam in config.lagranges.items()
            }
            # Both sums start at 0, so Ĵ = N / D is an average over the batches seen,
            # weighted by d^age, from the first step on (no start-up bias to correct).
            self._rate_sums = {
                n: (variable(0.0, f"rate_numerator_{n}"), variable(0.0, f"rate_denominator_{n}"))
                for n in config.auxiliary_names
            }
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

    @property
    def lagranges(self) -> dict[str, float]:
        """{auxiliary name: λ_i} now: the registry's, or the dual variables' values."""
        if self._lagrange is None:
            return dict(self._config.lagranges)
        return {n: float(v.numpy()) for n, v in self._lagrange.items()}

    @property
    def levels(self) -> dict[str, float] | None:
        """{auxiliary name: level_i} of the dual update, or None (fixed λ)."""
        return None if self._levels is None else dict(self._levels)

    def _current_lagranges(self) -> Mapping[str, float | tf.Tensor]:
        if self._lagrange is None:
            return self._config.lagranges
        return {n: tf.convert_to_tensor(v) for n, v in self._lagrange.items()}

    def _dual_step(self, experience, log_pi, log_beta) -> dict:
        """Updates Ĵ_i and λ_i after a step (the "dual" update); returns their summaries."""
        stage = self._config.stage_two
        estimates, lagranges = {}, {}
        for n in self._config.auxiliary_names:
            numerator, denominator = self._rate_sums[n]
            new_n, new_d = losses.running_importance_sums(
                numerator,
                denominator,
                experience["reward"][n],
                tf.stop_gradient(log_pi),
                log_beta,
                stage.dual_estimate_clip,
                stage.dual_estimate_decay,
            )
            numerator.assign(new_n)
            denominator.assign(new_d)
            estimates[n] = new_n / tf.maximum(new_d, 1e-12)
            updated = losses.relative_dual_ascent(
                self._lagrange[n],
                self._levels[n],
                estimates[n],
                stage.dual_learning_rate,
                stage.lagrange_floor,
            )
            self._lagrange[n].assign(updated)
            lagranges[n] = tf.identity(updated)
        return {
            "lagrange": lagranges,
            "constraint_estimate": estimates,
            "constraint_level": {n: tf.constant(v) for n, v in self._levels.items()},
        }

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
                aux_taken, self._current_lagranges(), scaled, log_beta
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
        if self._lagrange is not None:
            extra.update(self._dual_step(experience, log_pi, log_beta))
        if self._advantage_network is not None:
            extra["advantage_loss"] = {main: advantage_loss}
            extra["td_error_std"] = {main: tf.math.reduce_std(td_error)}  # δ's, beside A's
            extra["grad_norm"]["advantage"] = advantage_norm
            loss += advantage_loss
        return tf_agent.LossInfo(loss=loss, extra=extra)
