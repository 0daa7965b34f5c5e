"""Choosing the fusion weight of the response models on the training split.

The ranking score is Σ_j w_j · sign_j · pred_j with w_watch_time = 1 and one shared
interaction weight w for every auxiliary (losses.fusion_weights). For each w of a grid the
greedy policy (the top-scored candidate) is evaluated off-policy on logged batches by
clipped, self-normalised IPS:

    Ĵ_j(w) = Σ_t ρ_t r_j,t / Σ_t ρ_t,   ρ_t = 1[argmax_v score_w(v|s_t) = a_t] · min(1/π_β(a_t|s_t), c)

and the chosen w maximises the watch-time estimate among the weights whose every
auxiliary estimate is at least its logged per-step rate (the behaviour's level); when no
w is feasible, the one with the smallest total shortfall Σ_i max(0, level_i − Ĵ_i).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from tscac_tf.agents.baselines.response_model import losses
from tscac_tf.specs import responses as registry


def select_weight(
    estimates: dict[float, dict[str, float]], levels: dict[str, float], main: str
) -> float:
    """The chosen interaction weight (see the module docstring).

    Args:
      estimates: {w: {response: Ĵ_j(w)}}.
      levels: {auxiliary: logged per-step rate}.
      main: the main response's name.
    """
    if not estimates:
        raise ValueError("select_weight needs at least one candidate weight")

    def shortfall(w):
        return sum(max(0.0, levels[n] - estimates[w][n]) for n in levels)

    feasible = [w for w in estimates if shortfall(w) == 0.0]
    if feasible:
        return max(feasible, key=lambda w: (estimates[w][main], -w))
    return min(estimates, key=lambda w: (shortfall(w), -estimates[w][main]))


def evaluate_grid(
    network: tf.keras.layers.Layer,
    batches: Sequence[dict],
    behavior_log_probs: Callable[[dict], tf.Tensor],
    grid: Sequence[float],
    clip: float,
) -> tuple[dict[float, dict[str, float]], dict[str, float]]:
    """({w: {response: Ĵ_j(w)}}, {response: logged per-step rate}) over the batches."""
    names = registry.RESPONSE_NAMES
    sums = {w: dict.fromkeys(names, 0.0) for w in grid}
    mass = dict.fromkeys(grid, 0.0)
    logged, count = dict.fromkeys(names, 0.0), 0
    for batch in batches:
        obs = batch["observation"]
        predictions = losses.response_predictions(network(obs))
        inverse = np.minimum(np.exp(-behavior_log_probs(batch).numpy()), clip)
        actions = batch["action"].numpy()
        rewards = {n: batch["reward"][n].numpy() for n in names}
        for n in names:
            logged[n] += float(rewards[n].sum())
        count += len(actions)
        for w in grid:
            scores = losses.fused_scores(
                predictions, losses.fusion_weights(w), obs["candidate_video_ids"]
            )
            rho = (np.argmax(scores.numpy(), axis=1) == actions) * inverse
            mass[w] += float(rho.sum())
            for n in names:
                sums[w][n] += float((rho * rewards[n]).sum())
    estimates = {w: {n: sums[w][n] / max(mass[w], 1e-12) for n in names} for w in grid}
    return estimates, {n: v / max(count, 1) for n, v in logged.items()}
