"""TSCAC stage one: one actor-critic per auxiliary response (paper §3).

For every auxiliary response i (click, like, follow, comment, forward, hate; hate's reward
is already −is_hate) there is an actor π_i and a critic V_i, trained on logged data:

    critic:  min ½ (r_i + γ_i (1 − done) V_i^target(s') − V_i(s))²
    actor:   Â_i = r_i + γ_i (1 − done) V_i^target(s') − V_i(s)
             L_i = −E_D[ min(π_i(a|s)/π_β(a|s), c) · Ã_i · log π_i(a|s) ] − α E_D[log π_i(a|s)]
             Ã_i = (Â_i − mean_B Â_i) / std_B Â_i

as the paper describes (one policy per auxiliary), not the authors' code (one policy
against a weighted multi-critic; ../shared/paper.md §9). V_i(s') comes from a soft-updated
target network; α's behaviour-cloning term (−log π_i of the logged action, i.e. a KL to
π_β) and the standardised advantage are additions to the paper (config.py says why; an
optional entropy bonus β is off by default). The output is the set {π_i}, the anchors of
stage two.
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
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy, action_log_probs
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import batch_mean, gradient_step


def _check_names(what: str, got, want: tuple[str, ...]) -> None:
    if tuple(sorted(got)) != tuple(sorted(want)):
        raise ValueError(f"{what} covers {sorted(got)}, the auxiliary responses are {list(want)}")


class StageOneAgent(CandidateAgent):
    """Trains {π_i, V_i} for every auxiliary response i in one step.

    `policy` is the first auxiliary's policy (TF-Agents needs one); use
    `auxiliary_policies[name]` for a given response.
    """

    def __init__(
        self,
        actor_networks: Mapping[str, ActorNetwork],
        value_network: ValueNetwork,
        behavior_network: ActorNetwork,
        config: TscacConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "tscac_stage_one",
    ) -> None:
        names = config.auxiliary_names
        _check_names("actor_networks", actor_networks, names)
        _check_names("value_network", value_network.response_names, names)
        self._names = names
        self._config = config
        self._actors = {n: actor_networks[n] for n in names}
        for actor in self._actors.values():
            actor.create_variables()
        self._value_network = value_network
        self._behavior_network = behavior_network
        (
            self._target_value_network,
            self._propensity,
            self._actor_optimizer,
            self._critic_optimizer,
            self._update_target,
        ) = build_critic_parts(
            value_network, behavior_network, config.propensity_source, config.stage_one, "stage_one"
        )
        net = config.network
        self._policies = {
            n: CandidateSoftmaxPolicy(a, net.history_length, net.num_candidates, name=f"{n}_policy")
            for n, a in self._actors.items()
        }
        super().__init__(self._policies[names[0]], net, train_step_counter, name=name)

    @property
    def auxiliary_policies(self) -> dict[str, CandidateSoftmaxPolicy]:
        """{auxiliary name: π_i}."""
        return dict(self._policies)

    @property
    def actor_networks(self) -> dict[str, ActorNetwork]:
        return dict(self._actors)

    @property
    def value_network(self) -> ValueNetwork:
        return self._value_network

    def _initialize(self):
        # Every π_i starts as a copy of π_β (StageOneConfig.init_from_behavior). A checkpoint
        # restored after this (the trainer's resume) overrides the copies.
        if self._config.stage_one.init_from_behavior:
            for actor in self._actors.values():
                actor.copy_from(self._behavior_network)
        return super()._initialize()

    def _actor_variables(self) -> list[tf.Variable]:
        return [v for n in self._names for v in self._actors[n].trainable_variables]

    def optimizer_variables(self):
        return [
            (self._actor_optimizer, self._actor_variables()),
            (self._critic_optimizer, self._value_network.trainable_variables),
        ]

    def _train(self, experience, weights=None):
        obs, actions = experience["observation"], experience["action"]
        stage = self._config.stage_one
        clip, beta, alpha = (
            stage.ratio_clip,
            stage.entropy_coefficient,
            stage.behavior_regularization,
        )
        mask = tf.not_equal(obs["candidate_video_ids"], ss.PADDING_ID)
        log_beta = self._propensity(experience)
        next_values, _ = self._target_value_network(experience["next_observation"])
        targets = losses.td_targets(
            experience["reward"], next_values, self._config.discounts, experience["is_last"]
        )
        with tf.GradientTape(persistent=True) as tape:
            values, _ = self._value_network(obs, training=True)
            critic_loss = {
                n: batch_mean(term, weights)
                for n, term in losses.critic_losses(values, targets).items()
            }
            advantages = losses.td_advantages(targets, values)
            actor_advantages = {
                n: losses.standardize_advantages({n: a})[n] if stage.standardize_advantages else a
                for n, a in advantages.items()
            }
            actor_loss, ratio, entropy = {}, {}, {}
            for n in self._names:
                outputs, _ = self._actors[n](obs, training=True)
                log_pi = action_log_probs(outputs["logits"], actions)
                entropy[n] = losses.entropy(tf.nn.log_softmax(outputs["logits"]), mask)
                per_example = losses.stage_one_actor_loss(
                    log_pi, log_beta, actor_advantages[n], clip
                )
                per_example += alpha * -log_pi - beta * entropy[n]
                actor_loss[n] = batch_mean(per_example, weights)
                ratio[n] = tf.reduce_mean(losses.clipped_importance_ratio(log_pi, log_beta, clip))
            total_critic = tf.add_n(list(critic_loss.values()))
            total_actor = tf.add_n(list(actor_loss.values()))
        critic_norm = gradient_step(
            tape, total_critic, self._value_network.trainable_variables, self._critic_optimizer
        )
        actor_norm = gradient_step(
            tape, total_actor, self._actor_variables(), self._actor_optimizer
        )
        del tape
        self._update_target()
        self.train_step_counter.assign_add(1)
        extra = {
            "critic_loss": critic_loss,
            "actor_loss": actor_loss,
            "importance_ratio": ratio,
            "entropy": {n: tf.reduce_mean(h) for n, h in entropy.items()},
            "advantage": {n: tf.reduce_mean(a) for n, a in advantages.items()},
            "value": {n: tf.reduce_mean(v) for n, v in values.items()},
            "grad_norm": {"actor": actor_norm, "critic": critic_norm},
        }
        return tf_agent.LossInfo(loss=total_critic + total_actor, extra=extra)
