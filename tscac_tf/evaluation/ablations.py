"""The ablations of ARCHITECTURE §3.4 (issue 8.6), on a finished training run.

1. **Shared-λ sweep.** Stage two retrained for each λ (one λ for every auxiliary), on the
   same behaviour model and stage-one policies (restored from the run's checkpoints), so
   only λ differs. With one shared λ the closed form π* ∝ Π_i π_i^{1/m} · exp(Â_1 / (mλ))
   keeps the auxiliary exponents at 1/m and λ sets the temperature of the watch-time
   advantage: small λ follows watch time, large λ the auxiliary policies.
2. **Per-response γ vs one shared γ.** Stage one and stage two retrained with every
   γ_i = γ_1 (the main response's), on the same behaviour model.
3. **Fixed vs dual λ.** Stage two retrained with `StageTwoConfig.lagrange_update = "dual"`:
   each λ_i starts at the run's and follows its constraint by dual ascent
   (stage_two_agent.py), on the same behaviour model and stage-one policies.
4. **Multi-critic vs joint critic** (paper §2): for watch time plus one interaction, a
   joint critic learns the value of the summed signal r_1/σ_1 + r_i/σ_i (σ: per-step
   reward standard deviations, so neither term drowns the other), and two separate critics
   learn each term; V_separate = V_1 + V_i. Both use the same network, γ, steps and data,
   and are scored by the Pearson correlation of V(s_t) with the Monte-Carlo discounted
   return of the summed signal on the evaluation split.

The retrained policies are exported through the same `rank` signature as every other
policy and judged by `evaluation.evaluate` (ground truth, NCIS); the sweep becomes the
report's `lambda_sweep.png`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import losses, tscac_training
from tscac_tf.data import reader
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.target_network import make_target, target_updater
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.gradient_step import gradient_step

# With advantages in batch standard deviations and m = 6 auxiliaries, λ = 1 already gives
# exp(Â_1 / 6): the auxiliary policies' geometric mean dominates π*. The sweep therefore
# goes down from the default λ = 1, toward the watch-time advantage.
DEFAULT_LAMBDAS = (0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_CRITIC_INTERACTIONS = ("click", "like")
DUAL_POLICY = "tscac_dual_lambda"
JOINT = "joint"


def _copy_stages(train_dir: str, out_dir: str, stages: Sequence[str]) -> None:
    """Copies finished stages (checkpoints) so that the trainers restore, not retrain, them."""
    os.makedirs(out_dir, exist_ok=True)
    for stage in stages:
        source = os.path.join(train_dir, stage)
        if not os.path.isdir(source):
            raise FileNotFoundError(f"{source}: no such stage in the training run {train_dir}")
        target = os.path.join(out_dir, stage)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def retrain(
    data_dir: str,
    train_dir: str,
    out_dir: str,
    config: tscac_config.TscacConfig,
    reuse: Sequence[str],
) -> str:
    """Trains the stages not in `reuse` with `config` on top of the run's `reuse` stages.

    Returns:
      The `rank` export of the new stage-two policy.
    """
    _copy_stages(train_dir, out_dir, reuse)
    summary = tscac_training.train_tscac(data_dir, out_dir, config)
    return summary["export"]


def stage_two_matches(train_dir: str, config: tscac_config.TscacConfig) -> bool:
    """Whether TRAIN_DIR's stage two was trained with `config`'s stage-two settings, seed and
    batch size, so that its policy is `config`'s point of a λ sweep at the run's own λ.

    A run whose summary predates a stage-two setting does not match (it is retrained).
    """
    with open(os.path.join(train_dir, tscac_training.SUMMARY_FILE)) as f:
        recorded = json.load(f)["config"]
    mine = tscac_training.config_json(config)
    return all(recorded.get(key) == mine[key] for key in ("stage_two", "seed", "batch_size"))


def lambda_sweep_config(base: tscac_config.TscacConfig, lam: float) -> tscac_config.TscacConfig:
    """`base` with one λ for every auxiliary response."""
    specs = tuple(
        dataclasses.replace(r, lagrange=float(lam)) if r.role == "auxiliary" else r
        for r in base.responses
    )
    return dataclasses.replace(base, responses=specs)


def shared_discount_config(base: tscac_config.TscacConfig) -> tscac_config.TscacConfig:
    """`base` with every γ_i equal to the main response's γ_1."""
    gamma = base.main_response.discount
    specs = tuple(dataclasses.replace(r, discount=gamma) for r in base.responses)
    return dataclasses.replace(base, responses=specs)


def dual_lambda_config(base: tscac_config.TscacConfig) -> tscac_config.TscacConfig:
    """`base` with stage two's λ_i moved by dual ascent from `base`'s λ_i."""
    return dataclasses.replace(
        base, stage_two=dataclasses.replace(base.stage_two, lagrange_update="dual")
    )


def read_lagranges(run_dir: str) -> dict:
    """A dual-λ run's levels and final λ_i (its train_summary.json's stage_two_lagranges)."""
    path = os.path.join(run_dir, tscac_training.SUMMARY_FILE)
    with open(path) as f:
        summary = json.load(f)
    if "stage_two_lagranges" not in summary:
        raise ValueError(f"{path}: no stage_two_lagranges (not a dual-λ run)")
    return summary["stage_two_lagranges"]


# ---------------------------------------------------------------------------------------
# Multi-critic vs joint critic


def monte_carlo_returns(
    rewards: np.ndarray, position: np.ndarray, is_last: np.ndarray, gamma: float
) -> np.ndarray:
    """G_t = Σ_k γ^k r_{t+k} within each session, for steps in session order.

    Args:
      rewards: float [N]; position: int [N] (0 at a session's first step); is_last: bool
        [N]. Each session's steps are consecutive and in order (an unshuffled reader).

    Raises:
      ValueError: the steps are not whole sessions in order.
    """
    rewards = np.asarray(rewards, np.float64)
    position = np.asarray(position)
    is_last = np.asarray(is_last, bool)
    n = len(rewards)
    if n and (position[0] != 0 or not is_last[-1]):
        raise ValueError("monte_carlo_returns needs whole sessions: first step 0, last step last")
    expected = np.zeros(n, np.int64)
    expected[1:] = np.where(is_last[:-1], 0, position[:-1] + 1)
    if np.any(position != expected):
        bad = int(np.nonzero(position != expected)[0][0])
        raise ValueError(f"step {bad}: position {position[bad]}, expected {expected[bad]}")
    out = np.zeros(n)
    running = 0.0
    for t in range(n - 1, -1, -1):
        running = rewards[t] + (0.0 if is_last[t] else gamma * running)
        out[t] = running
    return out


def _critic_step_fn(network, target, optimizer, update, gamma, scales, channels):
    """One TD step of `network` over {channel: {response: weight}} scaled rewards."""

    @tf.function
    def step(batch):
        rewards = {
            c: tf.add_n([w * batch["reward"][r] / scales[r] for r, w in channels[c].items()])
            for c in channels
        }
        next_values, _ = target(batch["next_observation"])
        targets = losses.td_targets(
            rewards, next_values, dict.fromkeys(channels, gamma), batch["is_last"]
        )
        with tf.GradientTape() as tape:
            values, _ = network(_state(batch["observation"]), training=True)
            loss = tf.add_n(
                [tf.reduce_mean(v) for v in losses.critic_losses(values, targets).values()]
            )
        gradient_step(tape, loss, network.trainable_variables, optimizer)
        update()
        return loss

    return step


def critic_correlations(
    data_dir: str,
    config: tscac_config.TscacConfig,
    interactions: Sequence[str] = DEFAULT_CRITIC_INTERACTIONS,
    num_steps: int | None = None,
    max_eval_steps: int = 100_000,
) -> dict:
    """Joint vs separate critics for watch time + each interaction (see the module doc).

    Args:
      data_dir: the candidates-step output (train split to learn, eval split to score).
      config: network sizes, batch size, optimiser and γ (the main response's γ_1).
      interactions: the auxiliary responses paired with the main one.
      num_steps: TD steps per critic set (default: the config's stage-two steps).
      max_eval_steps: the first logged eval steps scored (whole sessions).

    Returns:
      {interaction: {"joint": corr, "separate": corr, "separate_minus_joint": ...,
       "component_correlations": {...}}, plus "gamma", "num_steps", "eval_steps"}.
    """
    main = config.main_response.name
    gamma = config.main_response.discount
    steps = num_steps if num_steps is not None else config.stage_two.num_steps
    tables = FeatureTables.load(data_dir)
    lookup = FeatureLookup(tables)
    net = config.network
    k = tscac_training.infer_num_candidates(data_dir)

    def dataset(split, shuffle):
        return reader.transitions_dataset(
            data_dir, split, config.batch_size, net.history_length, num_candidates=k,
            shuffle=shuffle, repeat=shuffle, seed=config.seed, drop_remainder=shuffle,
        )  # fmt: skip

    # Per-step reward scales σ_r on a slice of the training data.
    scales = _reward_scales(dataset(ss.TRAIN_SPLIT, False), [main, *interactions])

    eval_batches = _take_whole_sessions(dataset(ss.EVAL_SPLIT, False), max_eval_steps)
    out: dict = {"gamma": gamma, "num_steps": steps, "eval_steps": len(eval_batches["position"])}
    for interaction in interactions:
        summed = {main: 1.0, interaction: 1.0}
        variants = {
            "joint": {JOINT: summed},
            "separate": {main: {main: 1.0}, interaction: {interaction: 1.0}},
        }
        values = {}
        for variant, channels in variants.items():
            tf.keras.utils.set_random_seed(config.seed)
            network = ValueNetwork.from_config(
                lookup, net, list(channels), name=f"{variant}_{interaction}_critic",
                free_names=True,
            )  # fmt: skip
            target = make_target(network, f"{variant}_{interaction}_target")
            optimizer = config.stage_two.critic_optimizer.make(name=f"{variant}_adam")
            update = target_updater(
                network, target, config.stage_two.target_update_tau,
                config.stage_two.target_update_period,
            )  # fmt: skip
            step = _critic_step_fn(network, target, optimizer, update, gamma, scales, channels)
            for batch in dataset(ss.TRAIN_SPLIT, True).take(steps):
                step(batch)
            predicted = _predict(network, eval_batches["observation"])
            values[variant] = predicted
        signal = {r: np.asarray(eval_batches["reward"][r], np.float64) / scales[r] for r in summed}
        mc = {
            r: monte_carlo_returns(
                signal[r], eval_batches["position"], eval_batches["is_last"], gamma
            )
            for r in summed
        }
        total = mc[main] + mc[interaction]
        joint = values["joint"][JOINT]
        separate = values["separate"][main] + values["separate"][interaction]
        out[interaction] = {
            "joint": _corr(joint, total),
            "separate": _corr(separate, total),
            "separate_minus_joint": _corr(separate, total) - _corr(joint, total),
            "component_correlations": {
                main: _corr(values["separate"][main], mc[main]),
                interaction: _corr(values["separate"][interaction], mc[interaction]),
            },
            "reward_scales": {r: scales[r] for r in summed},
        }
    return out


def _state(observation: Mapping) -> dict:
    """The part of an observation a critic reads (V(s) does not depend on C_t)."""
    return {k: observation[k] for k in reader.HISTORY_KEYS}


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _reward_scales(dataset, names, max_batches: int = 200) -> dict[str, float]:
    sums = {n: [] for n in names}
    for batch in dataset.take(max_batches):
        for n in names:
            sums[n].append(batch["reward"][n].numpy())
    scales = {}
    for n, parts in sums.items():
        sd = float(np.concatenate(parts).std())
        if sd <= 0:
            raise ValueError(f"critic ablation: response {n!r} never varies in the training data")
        scales[n] = sd
    return scales


def _take_whole_sessions(dataset, max_steps: int) -> dict:
    """The first whole sessions of an unshuffled reader, up to about max_steps steps."""
    parts = []
    count = 0
    for batch in dataset:
        parts.append(tf.nest.map_structure(lambda t: t.numpy(), batch))
        count += len(parts[-1]["position"])
        if count >= max_steps:
            break
    merged = tf.nest.map_structure(lambda *xs: np.concatenate(xs), *parts)
    ends = np.nonzero(merged["is_last"])[0]
    if ends.size == 0:
        raise ValueError("critic ablation: the eval split has no complete session")
    keep = ends[-1] + 1
    return tf.nest.map_structure(lambda x: x[:keep], merged)


def _predict(network, observation: Mapping[str, np.ndarray], batch: int = 4096) -> dict:
    observation = _state(observation)
    n = len(observation["user_id"])
    chunks = []
    for start in range(0, n, batch):
        part = {k: tf.constant(v[start : start + batch]) for k, v in observation.items()}
        values, _ = network(part)
        chunks.append({c: v.numpy() for c, v in values.items()})
    return {c: np.concatenate([ch[c] for ch in chunks]) for c in chunks[0]}


def write_json(payload: Mapping, path: str) -> str:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=1, default=float)
    return path
