"""TSCAC loss terms as pure functions: tensors in, tensors out.

Cai et al., WWW 2023 (arXiv 2302.01680) §3 (stage one) and §4 (stage two), in the offline
form ARCHITECTURE §2 writes down: every expectation is over logged transitions, corrected
towards the learned policy by clipped importance ratios against the behaviour policy π_β.
Responses are named: per-response quantities are `{name: tensor}` dicts. Per-example
functions return `[B]` tensors; the agents average them (with optional sample weights).
Quantities that must not be differentiated (TD targets, advantages, importance ratios,
stage-two weights) are wrapped in `tf.stop_gradient` here, so a caller cannot forget it.
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

# π_β(a|s) below this is treated as this (a logged propensity of 0 would give log 0).
MIN_PROPENSITY = 1e-8


# log π_β(a|s) = log p_logged where the log has it and `use_logged`, else log π_β_model(a|s)
def behavior_log_probs(
    logged_propensity: tf.Tensor, model_log_probs: tf.Tensor, use_logged: bool
) -> tf.Tensor:
    """The behaviour log-propensity of the logged action.

    Args:
      logged_propensity: float32 [B], π_β(a|s) from the log, -1 where absent.
      model_log_probs: float32 [B], log π_β(a|s) from the behaviour-cloning model.
      use_logged: prefer the logged propensity where it is present.

    Returns:
      float32 [B], held fixed (no gradient).
    """
    out = model_log_probs
    if use_logged:
        present = logged_propensity > 0.0
        logged = tf.math.log(tf.maximum(logged_propensity, MIN_PROPENSITY))
        out = tf.where(present, logged, model_log_probs)
    return tf.stop_gradient(out)


# y_i = r_i + γ_i · (1 − done) · V_i(s')   for every response i
def td_targets(
    rewards: Mapping[str, tf.Tensor],
    next_values: Mapping[str, tf.Tensor],
    discounts: Mapping[str, float],
    is_last: tf.Tensor,
) -> dict[str, tf.Tensor]:
    """One-step TD targets, each response with its own discount.

    Args:
      rewards: {name: float32 [B]} r_i(s, a).
      next_values: {name: float32 [B]} V_i(s') (from the target network).
      discounts: {name: γ_i}.
      is_last: bool [B], the session ended after this step (no bootstrap).

    Returns:
      {name: float32 [B]}, held fixed.

    Raises:
      ValueError: the three dicts do not name the same responses.
    """
    names = sorted(next_values)
    for what, d in (("rewards", rewards), ("discounts", discounts)):
        if not set(names) <= set(d):
            raise ValueError(f"td_targets: {what} has {sorted(d)}, the values have {names}")
    not_done = 1.0 - tf.cast(is_last, tf.float32)
    return {
        n: tf.stop_gradient(rewards[n] + discounts[n] * not_done * next_values[n]) for n in names
    }


# L_V,i = ½ (y_i − V_i(s))²
def critic_losses(
    values: Mapping[str, tf.Tensor], targets: Mapping[str, tf.Tensor]
) -> dict[str, tf.Tensor]:
    """Per-example squared TD errors {name: float32 [B]}; the targets carry no gradient."""
    return {n: 0.5 * tf.square(tf.stop_gradient(targets[n]) - values[n]) for n in values}


# Â_i = y_i − V_i(s) = r_i + γ_i V_i(s') − V_i(s)
def td_advantages(
    targets: Mapping[str, tf.Tensor], values: Mapping[str, tf.Tensor]
) -> dict[str, tf.Tensor]:
    """One-step TD advantages {name: float32 [B]}, held fixed."""
    return {n: tf.stop_gradient(targets[n] - values[n]) for n in values}


# ρ = min(π(a|s) / π_β(a|s), c) = exp(min(log π − log π_β, log c))
def clipped_importance_ratio(log_pi: tf.Tensor, log_beta: tf.Tensor, clip: float) -> tf.Tensor:
    """Clipped importance ratio, computed in log space. [B] -> [B], held fixed."""
    if not clip > 0:
        raise ValueError(f"ratio clip must be > 0, got {clip}")
    log_ratio = tf.minimum(log_pi - log_beta, tf.math.log(float(clip)))
    return tf.stop_gradient(tf.exp(log_ratio))


# L_i = −clip(π_i(a|s) / π_β(a|s)) · Â_i · log π_i(a|s)
def stage_one_actor_loss(
    log_pi: tf.Tensor, log_beta: tf.Tensor, advantage: tf.Tensor, ratio_clip: float
) -> tf.Tensor:
    """Per-example stage-one actor loss (paper §3 with the offline IS correction).

    Args:
      log_pi: float32 [B], log π_i(a|s) of the logged action (differentiated).
      log_beta: float32 [B], log π_β(a|s).
      advantage: float32 [B], Â_i.
      ratio_clip: c in clip(ρ) = min(ρ, c).

    Returns:
      float32 [B].
    """
    ratio = clipped_importance_ratio(log_pi, log_beta, ratio_clip)
    return -ratio * tf.stop_gradient(advantage) * log_pi


# Â / σ with σ a fixed scale (seconds) or, when None, the batch standard deviation of Â
# Â ← (Â − mean_B Â) / std_B Â
def standardize_advantages(
    advantages: Mapping[str, tf.Tensor],
    weights: Mapping[str, float | tf.Tensor] | None = None,
    epsilon: float = 1e-3,
) -> dict[str, tf.Tensor]:
    """Centres each advantage on its batch mean and divides all by one batch std.

    The common scale is the standard deviation of Σ_c w_c (Â_c − mean Â_c) (w = 1 when
    `weights` is None), so a loss Σ_c w_c L(Â_c) keeps its relative weighting while its
    advantage is on a unit scale, whatever the units of the rewards (seconds, rates).
    Held fixed. {name: [B]} -> {name: [B]}.
    """
    centred = {c: a - tf.reduce_mean(a) for c, a in advantages.items()}
    weights = weights or dict.fromkeys(advantages, 1.0)
    combined = tf.add_n([tf.cast(weights[c], tf.float32) * a for c, a in centred.items()])
    sigma = tf.maximum(tf.math.reduce_std(combined), epsilon)
    return {c: tf.stop_gradient(a / sigma) for c, a in centred.items()}


def scale_advantage(advantage: tf.Tensor, scale: float | None, epsilon: float = 1e-3) -> tf.Tensor:
    """Divides the advantage by a scale; [B] -> [B], held fixed.

    The batch mean is not removed: the stage-two weights are self-normalised over the
    batch, so adding a constant to every Â changes nothing.
    """
    if scale is None:
        sigma = tf.maximum(tf.math.reduce_std(advantage), epsilon)
    else:
        if not scale > 0:
            raise ValueError(f"advantage scale must be > 0 or None, got {scale}")
        sigma = tf.constant(scale, advantage.dtype)
    return tf.stop_gradient(advantage / sigma)


# Λ = Σ_i λ_i;  log w = Σ_i (λ_i/Λ) log π_i(a|s) + Â_1(s,a)/Λ − log π_β(a|s)
def stage_two_log_weights(
    auxiliary_log_probs: Mapping[str, tf.Tensor],
    lagranges: Mapping[str, float | tf.Tensor],
    advantage: tf.Tensor,
    log_beta: tf.Tensor,
) -> tf.Tensor:
    """Log importance weight of π* (paper §4, Theorem 1) relative to π_β.

    π*(a|s) ∝ Π_i π_i(a|s)^{λ_i/Λ} · exp(Â_1(s,a)/Λ), so w = π*·Z(s)/π_β up to the
    per-state normaliser Z(s), which the batch self-normalisation replaces.

    Args:
      auxiliary_log_probs: {auxiliary name: float32 [B]} log π_i(a|s).
      lagranges: {auxiliary name: λ_i >= 0}, same names: numbers, or scalar tensors
        (StageTwoConfig.lagrange_update "dual", whose floor keeps Λ > 0).
      advantage: float32 [B], Â_1 of the main response (already scaled).
      log_beta: float32 [B].

    Returns:
      float32 [B], held fixed.

    Raises:
      ValueError: the names differ, or Λ = Σ λ_i is not > 0.
    """
    if sorted(auxiliary_log_probs) != sorted(lagranges):
        raise ValueError(
            f"stage-two weights: log-probs for {sorted(auxiliary_log_probs)}, "
            f"λ for {sorted(lagranges)}"
        )
    if all(isinstance(v, (int, float)) for v in lagranges.values()):
        total = float(sum(lagranges.values()))
        if not total > 0:
            raise ValueError(f"stage-two weights need Λ = Σ λ_i > 0, got λ = {dict(lagranges)}")
    else:
        lagranges = {n: tf.cast(v, advantage.dtype) for n, v in lagranges.items()}
        total = tf.add_n(list(lagranges.values()))
    log_w = advantage / total - log_beta
    for name, log_p in auxiliary_log_probs.items():
        log_w += (lagranges[name] / total) * log_p
    return tf.stop_gradient(log_w)


# N ← d N + (1 − d) mean_B(ρ r),  D ← d D + (1 − d) mean_B(ρ),  ρ = min(π(a|s)/π_β(a|s), c)
def running_importance_sums(
    numerator: tf.Tensor,
    denominator: tf.Tensor,
    reward: tf.Tensor,
    log_pi: tf.Tensor,
    log_beta: tf.Tensor,
    clip: float,
    decay: float,
) -> tuple[tf.Tensor, tf.Tensor]:
    """One batch's update of a running, self-normalised importance estimate Ĵ = N / D.

    Ĵ estimates E_π[r] per step over the last ~1/(1 − d) batches: a rare response (one
    comment a batch) is then estimated from many events instead of one batch's. Started
    from N = D = 0, Ĵ is from the first batch on a weighted mean of the batches' estimates
    (the start-up bias of each sum cancels in the ratio).

    Args:
      numerator, denominator: scalars N and D so far.
      reward: float32 [B], r of the logged steps.
      log_pi, log_beta: float32 [B], log π(a|s) and log π_β(a|s) of the logged actions.
      clip: c > 0.
      decay: d in [0, 1).

    Returns:
      (N, D), held fixed.
    """
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"running estimate decay must be in [0, 1), got {decay}")
    ratio = clipped_importance_ratio(log_pi, log_beta, clip)
    n = decay * numerator + (1.0 - decay) * tf.reduce_mean(ratio * reward)
    d = decay * denominator + (1.0 - decay) * tf.reduce_mean(ratio)
    return tf.stop_gradient(n), tf.stop_gradient(d)


# λ ← max(f, λ + η (level − Ĵ) / max(|level|, m))   (constraint Ĵ ≥ level; violated -> λ grows)
def relative_dual_ascent(
    lagrange: tf.Tensor,
    level: float,
    estimate: tf.Tensor,
    rate: float,
    floor: float,
    min_scale: float = 1e-4,
) -> tf.Tensor:
    """One projected dual-ascent step on a constraint's deficit relative to its level.

    The relative deficit makes one step size fit responses whose rates differ by orders
    of magnitude (clicks about 0.5 a step, comments about 0.003). For a negative response
    (hate: r = −is_hate) the level is negative and the step means the same: λ grows while
    π's hate rate is above the logged one. `min_scale` m stands in for a level of 0 (a
    response the level batches never saw).

    Raises:
      ValueError: rate, floor or min_scale not > 0.
    """
    if not rate > 0:
        raise ValueError(f"dual ascent rate must be > 0, got {rate}")
    if not floor > 0:
        raise ValueError(f"λ floor must be > 0, got {floor}")
    if not min_scale > 0:
        raise ValueError(f"dual ascent min_scale must be > 0, got {min_scale}")
    deficit = (level - estimate) / max(abs(float(level)), min_scale)
    return tf.stop_gradient(tf.maximum(floor, lagrange + rate * deficit))


# w̃_j = min(B · exp(log w_j) / Σ_k exp(log w_k), c)
def self_normalized_weights(log_weights: tf.Tensor, clip: float) -> tf.Tensor:
    """Batch self-normalised, clipped weights (mean 1 before clipping). [B] -> [B]."""
    if not clip > 0:
        raise ValueError(f"weight clip must be > 0, got {clip}")
    batch = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
    weights = batch * tf.nn.softmax(log_weights)
    return tf.stop_gradient(tf.minimum(weights, clip))


# L = −w̃(s,a) · log π_θ(a|s)   (a sample estimate of KL(π*‖π_θ) up to a constant)
def stage_two_actor_loss(log_pi: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Per-example stage-two actor loss; `weights` from `self_normalized_weights`. [B]."""
    return -tf.stop_gradient(weights) * log_pi


# KL(p‖q) = Σ_{a ∈ C_t} p(a) (log p(a) − log q(a)), padded candidates excluded
def kl_divergence(log_p: tf.Tensor, log_q: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """KL between two candidate distributions given as log-probabilities.

    Args:
      log_p, log_q: float32 [B, K].
      mask: bool [B, K], True for real candidates.

    Returns:
      float32 [B].
    """
    terms = tf.exp(log_p) * (log_p - log_q)
    return tf.reduce_sum(tf.where(mask, terms, tf.zeros_like(terms)), axis=-1)


# H(π) = −Σ_{a ∈ C_t} π(a) log π(a), padded candidates excluded
def entropy(log_probs: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Entropy of a candidate distribution. [B, K] log-probs, bool [B, K] mask -> [B]."""
    terms = -tf.exp(log_probs) * log_probs
    return tf.reduce_sum(tf.where(mask, terms, tf.zeros_like(terms)), axis=-1)


# ESS = (Σ w)² / Σ w², as a fraction of the batch size
def effective_sample_fraction(weights: tf.Tensor) -> tf.Tensor:
    """How many examples the weighted batch is worth, over B (1 = uniform). [B] -> []."""
    batch = tf.cast(tf.shape(weights)[0], weights.dtype)
    return (
        tf.square(tf.reduce_sum(weights))
        / tf.maximum(tf.reduce_sum(tf.square(weights)), 1e-12)
        / batch
    )
