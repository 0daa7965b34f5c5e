"""Pareto: multi-objective weights by the min-norm gradient (MGDA).

Sener & Koltun (NeurIPS 2018), as used for recommendation by PE-LTR (Lin et al., RecSys
2019) and the multi-objective baselines of Chen et al. (WWW 2021). Every response j
(watch time and each auxiliary) has its own critic (its own γ_j) and its own stage-one
loss L_j on the *shared* actor. Each step the actor moves along the min-norm point of the
convex hull of their gradients, a common descent direction of all of them:

    α = argmin_{α ∈ Δ_m} ‖Σ_j α_j ∇_θ L_j‖²   (Frank-Wolfe, losses.min_norm_weights)
    θ ← θ − Adam(Σ_j α_j ∇_θ L_j − β ∇_θ H)

The gradients g_j are those of the actor's parameters θ (`gradient_space="parameters"`,
MGDA proper: m backward passes through the actor per step) or, by default, those of its
candidate logits z = f_θ(s) (`"logits"`, Sener & Koltun's MGDA-UB: every L_j depends on θ only
through z, so ‖Σ α_j ∇_θ L_j‖ ≤ ‖∂z/∂θ‖ ‖Σ α_j ∇_z L_j‖ and α minimises that upper bound;
m cheap gradients of [B, K] logits, then one backward pass through the actor).

With `normalize_advantages` each Â_j is divided by its batch standard deviation first, so
that seconds of watch time and 0/1 interactions enter the min-norm problem on one scale.
Under a multi-replica strategy α is solved per replica from its own gradients.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.agents.baselines import losses
from tscac_tf.agents.baselines.actor_critic_agent import ActorCriticBaselineAgent
from tscac_tf.agents.baselines.config import BaselinesConfig
from tscac_tf.agents.tscac import losses as tscac_losses
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.training.gradient_step import gradient_step


def pareto_channels(config: BaselinesConfig) -> list[str]:
    """One critic per response, in registry order."""
    return [r.name for r in config.tscac.responses]


class ParetoAgent(ActorCriticBaselineAgent):
    """One actor updated along the min-norm combination of the per-response gradients."""

    def __init__(
        self,
        actor_network: ActorNetwork,
        value_network: ValueNetwork,
        behavior_network: ActorNetwork,
        config: BaselinesConfig,
        train_step_counter: tf.Variable | None = None,
        name: str = "pareto",
    ) -> None:
        responses = config.tscac.responses
        super().__init__(
            actor_network,
            value_network,
            behavior_network,
            {r.name: {r.name: 1.0} for r in responses},
            {r.name: r.discount for r in responses},
            config,
            train_step_counter,
            name,
        )

    def _advantages(self, advantages):
        if not self._config.pareto.normalize_advantages:
            return advantages
        return {c: tscac_losses.scale_advantage(a, None) for c, a in advantages.items()}

    def _standardized(self, advantages):
        # The min-norm step combines the channels convexly: each on its own unit scale.
        return {c: tscac_losses.standardize_advantages({c: a})[c] for c, a in advantages.items()}

    def _actor_step(self, tape, actor_losses, regularization, logits):
        pareto = self._config.pareto
        variables = self._actor.trainable_variables
        sources = [logits] if pareto.gradient_space == "logits" else variables
        gradients = []
        for c in self._channels:
            grads = tape.gradient(actor_losses[c], sources)
            gradients.append(
                [
                    tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                    for g, v in zip(grads, sources, strict=True)
                ]
            )
        alpha = losses.min_norm_weights(
            losses.gradient_gram(gradients), pareto.solver_iterations, pareto.floor
        )
        with tape:  # resumes recording: the combination must be on the tape
            total = regularization + tf.add_n(
                [alpha[j] * actor_losses[c] for j, c in enumerate(self._channels)]
            )
        norm = gradient_step(tape, total, variables, self._actor_optimizer)
        weights = {c: alpha[j] for j, c in enumerate(self._channels)}
        return total, {"grad_norm_actor": norm, "pareto_weight": weights}
