"""Per-video functions evaluated once per distinct video of a batch.

A training batch holds B·K candidate slots and B·H history slots, but far fewer distinct
videos: popular videos recur across rows, and a session's videos recur in the histories of
all its later steps. When a function depends on the video alone (an embedding lookup, a
candidate tower), computing it on the distinct ids and gathering the result back into place
gives the same values and the same gradients at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def map_distinct(fn: Callable[[tf.Tensor], tf.Tensor], ids: tf.Tensor) -> tf.Tensor:
    """fn applied to every element of `ids`, computed once per distinct id.

    Args:
      fn: int [N] -> float [N, D], row n depending on ids[n] alone.
      ids: int [...], any shape.

    Returns:
      float [..., D], equal to fn(ids) reshaped.
    """
    ids = tf.convert_to_tensor(ids)
    distinct, position = tf.unique(tf.reshape(ids, [-1]))
    values = fn(distinct)
    shape = tf.concat([tf.shape(ids), tf.shape(values)[-1:]], axis=0)
    return tf.reshape(tf.gather(values, position), shape)
