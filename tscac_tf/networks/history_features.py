"""Per-entry features of the watch history, computed in the graph from ids and play times.

ARCHITECTURE §2 state: the last H watched videos "with their watch ratio and interaction
flags". The serving request carries only `history_video_ids` and `history_play_time_ms`
(tscac_tf/specs/session_schema.py explains why), so the flags are the ones KuaiRand
itself defines from play time and duration (tscac_tf/specs/kuairand_schema.py): `is_click`
(a valid play) and `long_view`.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import session_schema as ss

# Watch ratios above this are replays; capping keeps one looped video from dominating.
MAX_WATCH_RATIO = 5.0


def watch_ratio(play_time_ms: tf.Tensor, duration_ms: tf.Tensor) -> tf.Tensor:
    """ratio = min(play_time / duration, MAX_WATCH_RATIO); 0 where the duration is unknown.

    Args:
      play_time_ms: float32 [...].
      duration_ms: float32 [...], 0 where the video's duration is unknown.

    Returns:
      float32 [...].
    """
    ratio = tf.math.divide_no_nan(play_time_ms, duration_ms)
    return tf.minimum(ratio, MAX_WATCH_RATIO)


def click_flag(play_time_ms: tf.Tensor, duration_ms: tf.Tensor) -> tf.Tensor:
    """KuaiRand is_click: play >= duration if duration <= 7 s, else play > 7 s (float 0/1)."""
    threshold = float(ks.CLICK_THRESHOLD_MS)
    short = duration_ms <= threshold
    flag = tf.where(short, play_time_ms >= duration_ms, play_time_ms > threshold)
    return tf.cast(flag, tf.float32)


def long_view_flag(play_time_ms: tf.Tensor, duration_ms: tf.Tensor) -> tf.Tensor:
    """KuaiRand long_view: play >= duration if duration <= 18 s, else play >= 18 s (0/1)."""
    threshold = float(ks.LONG_VIEW_THRESHOLD_MS)
    short = duration_ms <= threshold
    flag = tf.where(short, play_time_ms >= duration_ms, play_time_ms >= threshold)
    return tf.cast(flag, tf.float32)


def history_mask(history_video_ids: tf.Tensor) -> tf.Tensor:
    """1.0 where a history slot holds a video, 0.0 where it is padding (-1). [B, H]."""
    return tf.cast(tf.not_equal(history_video_ids, ss.PADDING_ID), tf.float32)


def entry_features(play_time_ms: tf.Tensor, duration_ms: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """[watch ratio, click, long view] of every history entry, zero where padded.

    Args:
      play_time_ms: int64 or float [B, H].
      duration_ms: float32 [B, H].
      mask: float32 [B, H] from `history_mask`.

    Returns:
      float32 [B, H, 3].
    """
    play = tf.cast(play_time_ms, tf.float32)
    feats = tf.stack(
        [
            watch_ratio(play, duration_ms),
            click_flag(play, duration_ms),
            long_view_flag(play, duration_ms),
        ],
        axis=-1,
    )
    return feats * mask[..., None]


def session_position(mask: tf.Tensor) -> tf.Tensor:
    """Number of valid history entries (the session position the state can see). [B]."""
    return tf.reduce_sum(mask, axis=-1)
