"""Walker's alias method: O(1) draws from a fixed discrete distribution.

Vose's construction ("A linear algorithm for generating random numbers with a given
distribution", IEEE TSE 1991): every bin i keeps its own index with probability prob[i] and
otherwise answers alias[i]; a draw is one uniform bin and one coin. The candidate generator
draws every popular video and every video within a tag this way.
"""

from __future__ import annotations

import numpy as np


def build(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prob float64 [n], alias int64 [n]) for weights >= 0 with a positive sum.

    P(draw = j) = (prob[j] + Σ_{i: alias[i] = j} (1 − prob[i])) / n = weights[j] / Σ weights.
    """
    weights = np.asarray(weights, np.float64)
    if weights.ndim != 1 or weights.size == 0 or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(
            f"alias table: expected 1-D weights >= 0 with a positive sum, got {weights}"
        )
    n = weights.size
    scaled = weights * (n / weights.sum())
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias  # leftovers keep prob 1 (rounding)


def draw(
    prob: np.ndarray, alias: np.ndarray, u_bin: np.ndarray, u_coin: np.ndarray, offset=0, size=None
):
    """Draws for uniforms (u_bin, u_coin) in (0, 1); with offset/size, from the sub-table
    prob[offset:offset + size] (one per draw, for per-group tables stored back to back)."""
    size = prob.size if size is None else size
    slot = offset + np.minimum((u_bin * size).astype(np.int64), size - 1)
    return np.where(u_coin < prob[slot], slot, alias[slot])
