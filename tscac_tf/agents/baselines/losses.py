"""Loss terms of the baselines that TSCAC does not have, as pure functions.

The actor-critic terms themselves (TD targets, critic loss, clipped importance-weighted
advantage loss) are TSCAC's stage-one functions (tscac_tf/agents/tscac/losses.py); here
are only what the baselines add: summed reward channels, RCPO's dual ascent and its
importance-weighted constraint estimate, and the min-norm (MGDA) weights of Pareto.
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf


# r_c = Σ_i w_{c,i} r_i   (e.g. interactions: Σ_aux r_i; RCPO: r_1 + Σ_i λ_i r_i)
def weighted_reward(
    rewards: Mapping[str, tf.Tensor], weights: Mapping[str, float | tf.Tensor]
) -> tf.Tensor:
    """A weighted sum of per-response rewards, held fixed.

    Args:
      rewards: {response name: float32 [B]}.
      weights: {response name: scalar weight} (a subset of `rewards`' names).

    Returns:
      float32 [B].

    Raises:
      ValueError: no weights, or a weight for a response the rewards do not have.
    """
    if not weights:
        raise ValueError("weighted_reward needs at least one weight")
    missing = sorted(set(weights) - set(rewards))
    if missing:
        raise ValueError(f"weighted_reward: weights for {missing}, rewards have {sorted(rewards)}")
    terms = [tf.cast(weights[n], tf.float32) * rewards[n] for n in sorted(weights)]
    return tf.stop_gradient(tf.add_n(terms))


# Ĵ_i = Σ_j ρ_j r_ij / Σ_j ρ_j,   ρ_j = min(π(a_j|s_j) / π_β(a_j|s_j), c)
def importance_weighted_rate(
    reward: tf.Tensor, log_pi: tf.Tensor, log_beta: tf.Tensor, clip: float
) -> tf.Tensor:
    """Clipped, self-normalised importance estimate of E_π[r] per step. [B] x3 -> []."""
    if not clip > 0:
        raise ValueError(f"importance clip must be > 0, got {clip}")
    ratio = tf.exp(tf.minimum(log_pi - log_beta, tf.math.log(float(clip))))
    ratio = tf.stop_gradient(ratio)
    return tf.reduce_sum(ratio * reward) / tf.maximum(tf.reduce_sum(ratio), 1e-12)


# λ_i ← max(0, λ_i + η (level_i − Ĵ_i))   (constraint Ĵ_i ≥ level_i; violated -> λ grows)
def dual_ascent(lagrange: tf.Tensor, level: tf.Tensor, estimate: tf.Tensor, rate: float):
    """One projected dual-ascent step of a Lagrange multiplier (any matching shapes)."""
    if not rate > 0:
        raise ValueError(f"dual ascent rate must be > 0, got {rate}")
    return tf.maximum(0.0, lagrange + rate * (level - estimate))


# M_jk = ⟨g_j, g_k⟩, summed over variables
def gradient_gram(gradients: list[list[tf.Tensor]]) -> tf.Tensor:
    """Gram matrix of m gradient lists (one list of per-variable tensors each). -> [m, m]."""
    flat = tf.stack(
        [tf.concat([tf.reshape(tf.convert_to_tensor(g), [-1]) for g in gs], 0) for gs in gradients]
    )
    return tf.matmul(flat, flat, transpose_b=True)


# α* = argmin_{α ∈ Δ_m} ‖Σ_j α_j g_j‖² = argmin αᵀ M α  (MGDA, Sener & Koltun 2018)
def min_norm_weights(gram: tf.Tensor, iterations: int = 25, floor: float = 0.0) -> tf.Tensor:
    """The min-norm point of the convex hull of m gradients, as simplex weights.

    Pairwise Frank-Wolfe from the uniform point (plain Frank-Wolfe converges slowly when
    the optimum lies on a face; moving weight between two vertices converges linearly):
    the toward vertex t = argmin_r (Mα)_r, the away vertex s = argmax_{r: α_r > 0} (Mα)_r,
    direction d = e_t − e_s and the exact line search on f(α + γd) = αᵀMα + 2γ dᵀMα + γ² dᵀMd:

        γ = clip(−((Mα)_t − (Mα)_s) / (M_tt − 2 M_ts + M_ss), 0, α_s)

    A `floor` f keeps every weight at least f: α ← f + (1 − m f) α.

    Args:
      gram: float32 [m, m], M_jk = ⟨g_j, g_k⟩ (positive semi-definite).
      iterations: Frank-Wolfe steps (fixed; the loop is unrolled in the graph).
      floor: 0 <= f <= 1/m.

    Returns:
      float32 [m], α >= 0 with Σ α = 1, held fixed.
    """
    gram = tf.convert_to_tensor(gram, tf.float32)
    m = int(gram.shape[0])
    if not 0.0 <= floor <= 1.0 / m:
        raise ValueError(f"min-norm floor must be in [0, 1/{m}], got {floor}")
    alpha = tf.fill([m], 1.0 / m)
    for _ in range(iterations):
        m_alpha = tf.linalg.matvec(gram, alpha)
        t = tf.argmin(m_alpha, output_type=tf.int32)
        support = tf.where(alpha > 0.0, m_alpha, tf.fill([m], -float("inf")))
        s = tf.argmax(support, output_type=tf.int32)
        slope = m_alpha[t] - m_alpha[s]  # dᵀMα <= 0
        curvature = gram[t, t] - 2.0 * gram[t, s] + gram[s, s]  # dᵀMd >= 0
        step = tf.where(curvature > 1e-12, -slope / tf.maximum(curvature, 1e-12), alpha[s])
        step = tf.clip_by_value(step, 0.0, alpha[s])
        alpha = alpha + step * (tf.one_hot(t, m) - tf.one_hot(s, m))
        alpha = tf.maximum(alpha, 0.0)  # rounding below 0 when a vertex is emptied
    return tf.stop_gradient(floor + (1.0 - m * floor) * alpha)
