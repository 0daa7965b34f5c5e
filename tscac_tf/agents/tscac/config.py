"""TSCAC configuration: frozen, validated dataclasses and the named presets.

γ_i and λ_i come from the response registry (tscac_tf/specs/responses.py), optionally
overridden per response (`preset(..., discounts=..., lagranges=..., shared_lagrange=...)`);
every response name is checked against the registry. Presets: `small` (tests, seconds),
`default` (a laptop run), `pure` (KuaiRand-Pure-sized).

Behaviour propensity (`propensity_source`): "model" (the default) takes π_β(a|s) from the
behaviour-cloning model over our candidate set C_t; "logged" uses the log's propensity
where it has one and the model elsewhere. The model is the default because every
importance ratio divides a probability over C_t (K candidates) by π_β(a|s): a logged
propensity is the logging system's probability over *its* candidate set (often the whole
catalogue), so it is not comparable, and real KuaiRand logs have none at all. "logged" is
right only when the log's candidate set is ours (e.g. synthetic logs produced over C_t).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from tscac_tf.agents.behavior_cloning.config import BehaviorCloningConfig
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.specs import responses as registry
from tscac_tf.training.loop_config import LoopConfig
from tscac_tf.training.optimizer_config import OptimizerConfig

PropensitySource = Literal["model", "logged"]
LagrangeUpdate = Literal["fixed", "dual"]
PRESET_NAMES = ("small", "default", "pure")


def _check_target(owner: str, tau: float, period: int) -> None:
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"{owner}.target_update_tau must be in (0, 1], got {tau}")
    if not isinstance(period, int) or period < 1:
        raise ValueError(f"{owner}.target_update_period must be an int >= 1, got {period!r}")


def _check_steps(owner: str, steps: int) -> None:
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"{owner}.num_steps must be an int >= 0, got {steps!r}")


@dataclasses.dataclass(frozen=True)
class StageOneConfig:
    """Stage one: one actor-critic per auxiliary response (paper §3).

    Attributes:
      num_steps: training steps.
      actor_optimizer, critic_optimizer: Adam settings (one optimiser for all actors and
        one for all critics; their parameters are disjoint, so this equals one Adam each).
      ratio_clip: c in min(π_i(a|s) / π_β(a|s), c).
      behavior_regularization: α ≥ 0 of the behaviour-cloning term α·(−log π_i(a|s)) of
        each actor loss, i.e. α·KL(π_β‖π_i) up to a constant (not in the paper; the
        authors' code adds such a term to its actors). It keeps π_i near the logging
        policy where the advantage says nothing: with sparse responses (comment 0.25%,
        forward 0.09%) the policy-gradient term alone, next to an entropy bonus, left
        the stage-one actors uniform over C_t (entropy ln 50 on the default preset).
      standardize_advantages: centre Â_i on its batch mean and divide by its batch std
        before the actor loss, so that α means the same for every response.
      entropy_coefficient: β ≥ 0 of A2C's entropy bonus −β·H(π_i(·|s)) (off by default:
        the behaviour term already stops the actor collapsing onto few candidates).
      target_update_tau, target_update_period: soft update of the target critics.
      shared_critic_trunk: one state encoder for all critics with one head per response
        (cheaper) instead of one network per response (the paper's form, the default).
      init_from_behavior: start every π_i from π_β's weights instead of a freshly
        initialised network (off: the actors then stop raising likes, and TSCAC plays
        below BC on likes and clicks; benchmarks/actor_start.py).
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
    shared_critic_trunk: bool = False
    init_from_behavior: bool = False

    def __post_init__(self) -> None:
        _check_steps("StageOneConfig", self.num_steps)
        if not self.ratio_clip > 0:
            raise ValueError(f"StageOneConfig.ratio_clip must be > 0, got {self.ratio_clip}")
        if not self.entropy_coefficient >= 0:
            raise ValueError(
                f"StageOneConfig.entropy_coefficient must be >= 0, got {self.entropy_coefficient}"
            )
        if not self.behavior_regularization >= 0:
            raise ValueError(
                "StageOneConfig.behavior_regularization must be >= 0, "
                f"got {self.behavior_regularization}"
            )
        _check_target("StageOneConfig", self.target_update_tau, self.target_update_period)


@dataclasses.dataclass(frozen=True)
class StageTwoConfig:
    """Stage two: the watch-time actor-critic pulled towards the stage-one policies (§4).

    Attributes:
      num_steps: training steps.
      actor_optimizer, critic_optimizer: Adam settings.
      weight_clip: upper clip of the self-normalised weights (their batch mean is 1).
      advantage_scale: Â_1 (seconds of watch time) is divided by this many seconds before
        it enters exp(Â_1/Λ); None divides by the batch standard deviation of Â_1 instead,
        which makes λ independent of the unit and spread of watch time (the default).
      target_update_tau, target_update_period: soft update of the target critic.
      init_from_behavior: start π_θ from π_β's weights (the default) instead of a freshly
        initialised network. Trained from a fresh network for the default preset's
        1,500 steps, π_θ's greedy choice depended on the training seed: over four seeds,
        TSCAC's watch time vs BC had sd 14.5 points (−25.2% to +5.5%); started from π_β,
        sd 6.7 (−12.6% to +2.1%), with a similar mean (benchmarks/actor_start.py;
        RESULTS.md, "Session 10").
      advantage_critic: take Â_1(s, a) from an advantage critic, a network over the state
        and the candidates (the actor's architecture, its own weights) fitted by least
        squares to the one-step TD errors δ = r + γ(1 − done) V_1(s') − V_1(s), instead
        of δ itself (the paper's form, the default). E[δ | s, a] is the advantage of a
        under the logged continuation; one δ is that plus the noise of one transition,
        which on the default preset is dominated by whether the session happened to end
        there (sd of δ about 100 s against about 17 s watched a step). Measured on the
        default preset (four stage-two seeds, three λ each; RESULTS.md, "Session 11"): at
        λ = 1 it gave +9.3% watch time vs BC against +6.0% with δ, with fewer clicks and
        likes, about what δ gives at λ = 0.5–0.7; the two trade-off curves were not
        told apart, so it is off.
      lagrange_update: "fixed" keeps every λ_i at the registry's value (the paper's
        production form, one shared λ; the default); "dual" starts there and moves each
        λ_i by projected dual ascent on its constraint, as RCPO does, so that λ is
        chosen from the data instead of by the preset (see `dual_*` below and
        stage_two_agent.py). With a fixed λ the default preset's TSCAC switches between
        the watch-time side and the interaction side between λ = 0.1 and 0.3, and no λ
        of session 7's sweep met every constraint (RESULTS.md, Ablations).
      dual_learning_rate: η in λ_i ← max(f, λ_i + η (level_i − Ĵ_i) / |level_i|). The
        deficit is relative to the level, so one η serves clicks (about 0.5 a step) and
        comments (about 0.003) alike.
      dual_estimate_decay: d of the running estimate Ĵ_i of π_θ's per-step rate of r_i:
        exponentially weighted sums over batches of the clipped importance-weighted
        reward and of the weights (one batch has about one comment; d = 0.99 averages
        about a hundred).
      dual_estimate_clip: c of those importance ratios min(π_θ(a|s)/π_β(a|s), c).
      lagrange_floor: f, the least λ_i may fall to (Λ = Σ λ_i divides Â_1).
      level_batches: training batches averaged for the levels, the logged per-step rates.
    """

    num_steps: int = 20000
    actor_optimizer: OptimizerConfig = OptimizerConfig(learning_rate=3e-4)
    critic_optimizer: OptimizerConfig = OptimizerConfig(learning_rate=1e-3)
    weight_clip: float = 10.0
    advantage_scale: float | None = None
    init_from_behavior: bool = True
    advantage_critic: bool = False
    target_update_tau: float = 0.01
    target_update_period: int = 1
    lagrange_update: LagrangeUpdate = "fixed"
    dual_learning_rate: float = 0.01
    dual_estimate_decay: float = 0.99
    dual_estimate_clip: float = 10.0
    lagrange_floor: float = 0.01
    level_batches: int = 200

    def __post_init__(self) -> None:
        _check_steps("StageTwoConfig", self.num_steps)
        if self.lagrange_update not in ("fixed", "dual"):
            raise ValueError(
                "StageTwoConfig.lagrange_update must be 'fixed' or 'dual', "
                f"got {self.lagrange_update!r}"
            )
        if not self.dual_learning_rate > 0:
            raise ValueError(
                f"StageTwoConfig.dual_learning_rate must be > 0, got {self.dual_learning_rate}"
            )
        if not 0.0 <= self.dual_estimate_decay < 1.0:
            raise ValueError(
                "StageTwoConfig.dual_estimate_decay must be in [0, 1), "
                f"got {self.dual_estimate_decay}"
            )
        if not self.dual_estimate_clip > 0:
            raise ValueError(
                f"StageTwoConfig.dual_estimate_clip must be > 0, got {self.dual_estimate_clip}"
            )
        if not self.lagrange_floor > 0:
            raise ValueError(
                f"StageTwoConfig.lagrange_floor must be > 0, got {self.lagrange_floor}"
            )
        if not isinstance(self.level_batches, int) or self.level_batches < 1:
            raise ValueError(
                f"StageTwoConfig.level_batches must be an int >= 1, got {self.level_batches!r}"
            )
        if not self.weight_clip > 0:
            raise ValueError(f"StageTwoConfig.weight_clip must be > 0, got {self.weight_clip}")
        if self.advantage_scale is not None and not self.advantage_scale > 0:
            raise ValueError(
                f"StageTwoConfig.advantage_scale must be > 0 or None, got {self.advantage_scale}"
            )
        _check_target("StageTwoConfig", self.target_update_tau, self.target_update_period)


@dataclasses.dataclass(frozen=True)
class TscacConfig:
    """Everything one TSCAC training run needs.

    Attributes:
      network: network sizes, H and K.
      responses: the registry with this run's γ_i / λ_i (all registry names, in order).
      batch_size: transitions per train step (global, over all replicas).
      propensity_source: "model" or "logged" (see the module docstring).
      retrieved_steps_only: train on the logged steps whose video retrieval ranked into
        C_t itself, not those where it was inserted (reader.transitions_dataset explains
        why: on the default preset, behaviour cloning on every step scored candidates
        against their true watch time and played 41.9 s/session against 100.5 s on the
        retrieved steps only; the logging ranker plays 157.8).
      cache_training_data: keep the training split's transitions in memory after the
        first epoch (reader.transitions_dataset's cache_in_memory): later epochs then cost
        the reader about 9 ms of CPU per batch of 256 instead of about 60. About 1 KB per
        transition at H = 20, K = 50 (0.15 GB on the default preset); turn it off when the
        split does not fit in memory (KuaiRand-27K).
      behavior, stage_one, stage_two: per-stage settings.
      loop: checkpoint / summary / logging cadence.
      seed: seeds data shuffling and initialisation.
    """

    network: NetworkConfig = NetworkConfig()
    responses: tuple[registry.ResponseSpec, ...] = registry.RESPONSES
    batch_size: int = 256
    propensity_source: PropensitySource = "model"
    retrieved_steps_only: bool = True
    cache_training_data: bool = True
    behavior: BehaviorCloningConfig = BehaviorCloningConfig()
    stage_one: StageOneConfig = StageOneConfig()
    stage_two: StageTwoConfig = StageTwoConfig()
    loop: LoopConfig = LoopConfig()
    seed: int = 0

    def __post_init__(self) -> None:
        names = tuple(r.name for r in self.responses)
        if names != registry.RESPONSE_NAMES:
            raise ValueError(
                f"TscacConfig.responses has {list(names)}, the registry has "
                f"{list(registry.RESPONSE_NAMES)} (same names, same order)"
            )
        for spec in self.responses:
            if spec.role != registry.get(spec.name).role:
                raise ValueError(
                    f"response {spec.name!r}: role {spec.role!r} differs from the registry"
                )
        if sum(r.lagrange for r in self.responses if r.role == "auxiliary") <= 0:
            raise ValueError("stage two needs Λ = Σ λ_i > 0; every auxiliary λ is 0")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"TscacConfig.batch_size must be an int >= 1, got {self.batch_size!r}")
        if self.propensity_source not in ("model", "logged"):
            raise ValueError(
                f"TscacConfig.propensity_source must be 'model' or 'logged', "
                f"got {self.propensity_source!r}"
            )

    @property
    def main_response(self) -> registry.ResponseSpec:
        return next(r for r in self.responses if r.role == "main")

    @property
    def auxiliary_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.responses if r.role == "auxiliary")

    @property
    def discounts(self) -> dict[str, float]:
        """{response name: γ_i}."""
        return {r.name: r.discount for r in self.responses}

    @property
    def lagranges(self) -> dict[str, float]:
        """{auxiliary name: λ_i}."""
        return {r.name: r.lagrange for r in self.responses if r.role == "auxiliary"}


def _small() -> TscacConfig:
    network = NetworkConfig(
        history_length=5,
        num_candidates=8,
        categorical_dim=2,
        video_id_dim=4,
        history_item_dim=8,
        state_hidden=(16,),
        candidate_hidden=(),
        value_hidden=(8,),
        preference_dim=8,
    )
    fast = OptimizerConfig(learning_rate=1e-2)
    return TscacConfig(
        network=network,
        batch_size=32,
        behavior=BehaviorCloningConfig(num_steps=40, optimizer=fast),
        # One critic trunk with six heads: far fewer ops to trace, which is what a test pays.
        stage_one=StageOneConfig(
            num_steps=40,
            actor_optimizer=fast,
            critic_optimizer=fast,
            target_update_tau=0.1,
            shared_critic_trunk=True,
        ),
        stage_two=StageTwoConfig(
            num_steps=40, actor_optimizer=fast, critic_optimizer=fast, target_update_tau=0.1
        ),
        loop=LoopConfig(steps_per_call=10, checkpoint_every=20, summary_every=10, log_every=20),
    )


def _default() -> TscacConfig:
    """The dataclass defaults, with step counts sized for the main job's time budget.

    `tscac run` on the default preset (~300K logged steps) must finish in 20 minutes on a
    2-core machine (issue 7), and data preparation takes about half of that: 1,500 steps of
    256 transitions is ~2.5 epochs of the ~150K training steps for each stage.
    """
    return TscacConfig(
        # π_β's held-out fit is best near step 500-600 and worse than uniform by 1,500
        # (RESULTS.md, All policies, sessions 19-20): scored every 200 steps, it stops early.
        behavior=BehaviorCloningConfig(num_steps=1500, heldout_every=200),
        stage_one=StageOneConfig(num_steps=1500),
        stage_two=StageTwoConfig(num_steps=1500),
        loop=LoopConfig(checkpoint_every=500, log_every=250),
    )


def _pure() -> TscacConfig:
    network = NetworkConfig(
        categorical_dim=8,
        video_id_dim=32,
        history_item_dim=64,
        state_hidden=(256, 128),
        candidate_hidden=(128,),
        value_hidden=(128,),
        preference_dim=64,
    )
    return TscacConfig(
        network=network,
        batch_size=512,
        behavior=BehaviorCloningConfig(num_steps=20000, heldout_every=1000),
        stage_one=StageOneConfig(num_steps=100000),
        stage_two=StageTwoConfig(num_steps=100000),
        loop=LoopConfig(
            steps_per_call=100, checkpoint_every=5000, summary_every=500, log_every=2000
        ),
    )


_PRESETS = {"small": _small, "default": _default, "pure": _pure}


def preset(
    name: str,
    *,
    discounts: Mapping[str, float] | None = None,
    lagranges: Mapping[str, float] | None = None,
    shared_lagrange: float | None = None,
    **replacements,
) -> TscacConfig:
    """A named preset with optional γ/λ overrides and top-level field replacements.

    Args:
      name: one of PRESET_NAMES.
      discounts: {response name: γ} overrides.
      lagranges: {auxiliary name: λ} overrides (applied after `shared_lagrange`).
      shared_lagrange: one λ for every auxiliary response.
      **replacements: TscacConfig fields to replace (e.g. batch_size=64).

    Raises:
      KeyError: unknown preset or response name.
      ValueError: an out-of-range value.
    """
    if name not in _PRESETS:
        raise KeyError(f"unknown preset {name!r}; the presets are {list(PRESET_NAMES)}")
    config = _PRESETS[name]()
    specs = registry.with_overrides(discounts, lagranges, shared_lagrange)
    return dataclasses.replace(config, responses=specs, **replacements)
