"""Normalised capped importance sampling (NCIS): the paper's off-policy protocol.

Cai et al., WWW 2023, §5 (offline evaluation on KuaiRand; ../shared/paper.md §5.2):

  V̂_j(π_e) = Σ_t w_t · r_{t,j} / Σ_t w_t ,    w_t = min( π_e(a_t|s_t) / π_b(a_t|s_t) , cap )

summed over the logged test transitions, one estimate per response j (per-step values).
It needs only logged data, so it is the protocol that works on real KuaiRand logs. With
π_e = π_b every weight is 1 and the estimate is the plain mean of the logged responses.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DEFAULT_CAP = 10.0


def capped_weights(
    target_log_prob: np.ndarray, behavior_log_prob: np.ndarray, cap: float = DEFAULT_CAP
):
    """w_t = min(π_e(a_t|s_t) / π_b(a_t|s_t), cap), computed in log space.

    Args:
      target_log_prob: [N] log π_e of the logged actions.
      behavior_log_prob: [N] log π_b of the logged actions.
      cap: the upper clip (the paper uses 10).

    Returns:
      [N] float64 weights in [0, cap].
    """
    if cap <= 0:
        raise ValueError(f"cap must be > 0, got {cap}")
    target_log_prob = np.asarray(target_log_prob, np.float64)
    behavior_log_prob = np.asarray(behavior_log_prob, np.float64)
    if target_log_prob.shape != behavior_log_prob.shape:
        raise ValueError(
            f"target log-probs have shape {target_log_prob.shape}, behaviour {behavior_log_prob.shape}; expected equal"
        )
    return np.minimum(np.exp(np.minimum(target_log_prob - behavior_log_prob, np.log(cap))), cap)


def ncis_estimate(
    rewards: Mapping[str, np.ndarray],
    target_log_prob: np.ndarray,
    behavior_log_prob: np.ndarray,
    cap: float = DEFAULT_CAP,
) -> dict[str, float]:
    """Per-step NCIS value of each response.

    Args:
      rewards: {response name: [N] per-step values} (raw log values or registry rewards).
      target_log_prob, behavior_log_prob, cap: as in `capped_weights`.

    Returns:
      {response name: V̂_j}; plus two health figures: "effective_sample_size" (Σw)² / Σw²,
      and "capped_share", the share of the non-zero weights at the cap (near 1, the
      estimate is the plain mean of the steps where the target takes the logged action).
    """
    w = capped_weights(target_log_prob, behavior_log_prob, cap)
    total = w.sum()
    if not total > 0:
        raise ValueError(
            "all importance weights are zero: the target policy never takes a logged action"
        )
    out = {}
    for name, r in rewards.items():
        r = np.asarray(r, np.float64)
        if r.shape != w.shape:
            raise ValueError(f"reward {name!r} has shape {r.shape}, the weights {w.shape}")
        out[name] = float((w * r).sum() / total)
    out["effective_sample_size"] = float(total**2 / (w**2).sum())
    out["capped_share"] = float((w[w > 0] >= cap).mean())
    return out
