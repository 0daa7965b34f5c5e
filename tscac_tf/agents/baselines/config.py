"""Configuration of the baselines: frozen, validated dataclasses and the named presets.

Every baseline shares TSCAC's network sizes, batch size, behaviour model, loop cadence,
seed, response registry (γ_i, initial λ_i) and propensity source (`TscacConfig`), so the
comparison differs only in the objective. The presets are TSCAC's (small/default/pure):
an actor-critic baseline trains as many steps as TSCAC's stage two, with its optimisers,
ratio clip, behaviour-cloning term, advantage standardisation, entropy bonus and target
update taken from TSCAC's stage one.
"""

from __future__ import annotations

import dataclasses

from tscac_tf.agents.baselines.response_model import config as response_model_config
from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.training.optimizer_config import OptimizerConfig

PRESET_NAMES = tscac_config.PRESET_NAMES


@dataclasses.dataclass(frozen=True)
class ActorCriticConfig:
    """One single-actor baseline's training (shared by all of them).

    Attributes:
      num_steps: training steps.
      actor_optimizer, critic_optimizer: Adam settings.
      ratio_clip: c in min(π(a|s) / π_β(a|s), c) of the actor loss.
      behavior_regularization: α of the behaviour-cloning term α·(−log π(a|s)) (as TSCAC
        stage one).
      standardize_advantages: centre the actor's advantages and divide them by the batch
        std of their weighted sum (as TSCAC stage one; the weights keep RCPO's λ intact).
      entropy_coefficient: β of the entropy bonus −β·H(π(·|s)) (as TSCAC stage one).
      target_update_tau, target_update_period: soft update of the target critic.
    """

    num_steps: int = 20000
    actor_optimizer: OptimizerConfig = OptimizerConfig(learning_rate=3e-4)
    critic_optimizer: OptimizerConfig = OptimizerConfig(learning_rate=1e-3)
    ratio_clip: float = 10.0
    behavior_regularization: float = 1.0
    standardize_advantages: bool = True
    entropy_coefficient: float = 0.0
    target_update_tau: float = 0.01
    target_update_period: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.num_steps, int) or self.num_steps < 0:
            raise ValueError(
                f"ActorCriticConfig.num_steps must be an int >= 0, got {self.num_steps!r}"
            )
        if not self.behavior_regularization >= 0:
            raise ValueError(
                "ActorCriticConfig.behavior_regularization must be >= 0, "
                f"got {self.behavior_regularization}"
            )
        if not self.ratio_clip > 0:
            raise ValueError(f"ActorCriticConfig.ratio_clip must be > 0, got {self.ratio_clip}")
        if not self.entropy_coefficient >= 0:
            raise ValueError(
                f"ActorCriticConfig.entropy_coefficient must be >= 0, got {self.entropy_coefficient}"
            )
        if not 0.0 < self.target_update_tau <= 1.0:
            raise ValueError(
                f"ActorCriticConfig.target_update_tau must be in (0, 1], got {self.target_update_tau}"
            )
        if not isinstance(self.target_update_period, int) or self.target_update_period < 1:
            raise ValueError(
                "ActorCriticConfig.target_update_period must be an int >= 1, "
                f"got {self.target_update_period!r}"
            )


@dataclasses.dataclass(frozen=True)
class LagrangianConfig:
    """RCPO's dual ascent on λ_i (both RCPO variants).

    Attributes:
      learning_rate: η in λ_i ← max(0, λ_i + η (level_i − Ĵ_i)).
      estimate_clip: c of the clipped importance ratios of the estimate Ĵ_i of E_π[r_i].
      level_batches: training batches averaged for the constraint levels (the logged
        per-step rates of the auxiliary rewards).
    """

    learning_rate: float = 0.05
    estimate_clip: float = 10.0
    level_batches: int = 200

    def __post_init__(self) -> None:
        if not self.learning_rate > 0:
            raise ValueError(
                f"LagrangianConfig.learning_rate must be > 0, got {self.learning_rate}"
            )
        if not self.estimate_clip > 0:
            raise ValueError(
                f"LagrangianConfig.estimate_clip must be > 0, got {self.estimate_clip}"
            )
        if not isinstance(self.level_batches, int) or self.level_batches < 1:
            raise ValueError(
                f"LagrangianConfig.level_batches must be an int >= 1, got {self.level_batches!r}"
            )


GRADIENT_SPACES = ("logits", "parameters")


@dataclasses.dataclass(frozen=True)
class ParetoConfig:
    """Pareto's min-norm weights (MGDA).

    Attributes:
      solver_iterations: Frank-Wolfe steps per train step.
      floor: lower bound f of every weight α_j (0 <= f <= 1/m).
      normalize_advantages: divide each response's advantage by its batch standard
        deviation first (watch time is in seconds, interactions are 0/1; without it the
        min-norm point is decided by the units).
      gradient_space: where the per-response gradients g_j of the min-norm problem are
        taken: "logits" (MGDA-UB, Sener & Koltun 2018 §3.3: gradients of the actor's
        candidate logits, one backward pass through the actor per step) or "parameters"
        (MGDA proper: one backward pass per response). pareto_agent.py says more.
    """

    solver_iterations: int = 25
    floor: float = 0.0
    normalize_advantages: bool = True
    gradient_space: str = "logits"

    def __post_init__(self) -> None:
        if not isinstance(self.solver_iterations, int) or self.solver_iterations < 1:
            raise ValueError(
                f"ParetoConfig.solver_iterations must be an int >= 1, got {self.solver_iterations!r}"
            )
        if not 0.0 <= self.floor < 1.0:
            raise ValueError(f"ParetoConfig.floor must be in [0, 1/m], got {self.floor}")
        if self.gradient_space not in GRADIENT_SPACES:
            raise ValueError(
                f"ParetoConfig.gradient_space must be one of {GRADIENT_SPACES}, "
                f"got {self.gradient_space!r}"
            )


@dataclasses.dataclass(frozen=True)
class BaselinesConfig:
    """Everything a baselines run needs.

    Attributes:
      tscac: the TSCAC configuration the baselines share (networks, batch, π_β, loop, γ_i).
      actor_critic: training of every single-actor baseline.
      lagrangian: RCPO's dual ascent.
      pareto: Pareto's min-norm weights.
      response_model: Wide&Deep and DeepFM (training and fusion).
    """

    tscac: tscac_config.TscacConfig = tscac_config.TscacConfig()
    actor_critic: ActorCriticConfig = ActorCriticConfig()
    lagrangian: LagrangianConfig = LagrangianConfig()
    pareto: ParetoConfig = ParetoConfig()
    response_model: response_model_config.ResponseModelConfig = (
        response_model_config.ResponseModelConfig()
    )


def preset(name: str, **tscac_replacements) -> BaselinesConfig:
    """The baselines matching TSCAC preset `name` (`tscac_replacements` go to its preset).

    Raises:
      KeyError: unknown preset.
    """
    tscac = tscac_config.preset(name, **tscac_replacements)
    one, two = tscac.stage_one, tscac.stage_two
    actor_critic = ActorCriticConfig(
        num_steps=two.num_steps,
        actor_optimizer=one.actor_optimizer,
        critic_optimizer=one.critic_optimizer,
        ratio_clip=one.ratio_clip,
        behavior_regularization=one.behavior_regularization,
        standardize_advantages=one.standardize_advantages,
        entropy_coefficient=one.entropy_coefficient,
        target_update_tau=one.target_update_tau,
        target_update_period=one.target_update_period,
    )
    small = name == "small"
    lagrangian = LagrangianConfig(level_batches=20) if small else LagrangianConfig()
    response_model = (
        response_model_config.SMALL
        if small
        else response_model_config.ResponseModelConfig(num_steps=tscac.behavior.num_steps)
    )
    return BaselinesConfig(
        tscac=tscac,
        actor_critic=actor_critic,
        lagrangian=lagrangian,
        response_model=response_model,
    )
