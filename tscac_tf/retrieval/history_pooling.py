"""Pooling of the in-session history into one vector: watch-ratio weights and masked means.

A video the user watched to the end says more about the next positive than one skipped
after a second, so the query tower pools history embeddings weighted by watch ratio, next
to a plain mean over the shown videos (which keeps skipped videos visible to the tower).
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.specs import session_schema as ss


def history_mask(history_video_ids: tf.Tensor) -> tf.Tensor:
    """bool [B, H]: True where the slot holds a video, False at padding (-1)."""
    return tf.not_equal(tf.cast(history_video_ids, tf.int64), ss.PADDING_ID)


# ratio_j = min(play_j / duration_j, r_max)   when duration_j > 0
#         = 1[play_j > 0]                       when the duration is unknown (0)
# and 0 at padding.
def watch_ratios(
    play_time_ms: tf.Tensor, duration_ms: tf.Tensor, mask: tf.Tensor, max_ratio: float
) -> tf.Tensor:
    """Capped play_time / duration of each history slot.

    Args:
      play_time_ms: [B, H] play times (any numeric dtype).
      duration_ms: float32 [B, H] durations, 0 where unknown.
      mask: bool [B, H], False at padding.
      max_ratio: r_max, the cap (replays can exceed 1).

    Returns:
      float32 [B, H] in [0, max_ratio].
    """
    play = tf.cast(play_time_ms, tf.float32)
    duration = tf.cast(duration_ms, tf.float32)
    known = duration > 0
    ratio = tf.where(known, play / tf.where(known, duration, 1.0), tf.cast(play > 0, tf.float32))
    ratio = tf.clip_by_value(ratio, 0.0, max_ratio)
    return tf.where(mask, ratio, 0.0)


# pooled = Σ_j w_j e_j / Σ_j w_j, and 0 when Σ_j w_j = 0 (empty history, or all skipped)
def weighted_mean(embeddings: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Weighted mean over the history axis.

    Args:
      embeddings: float32 [B, H, d].
      weights: float32 [B, H], >= 0 (0 at padding).

    Returns:
      float32 [B, d].
    """
    total = tf.reduce_sum(weights, axis=1, keepdims=True)  # [B, 1]
    summed = tf.einsum("bh,bhd->bd", weights, embeddings)
    return tf.math.divide_no_nan(summed, total)
