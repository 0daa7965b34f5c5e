"""Feature tables baked into a model: id -> table row -> encoded features, in the graph.

ARCHITECTURE §4: a request carries ids only, so the encoded user and video tables
(tscac_tf/features/feature_tables.py) live inside the model as non-trainable variables
and end up in the SavedModel's variables. Ids are mapped to rows by a binary search over
the sorted known ids (no hash-table resource, so the layer runs under any
tf.distribute strategy and exports as plain variables); an unknown id, or padding (-1),
maps to row 0, the unknown entity (cold start), never to an error.

One `FeatureLookup` is shared by every network of a training run (actors, critics and
their target copies), so the tables are held once.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables

_SENTINEL = np.iinfo(np.int64).max


def sorted_index(table_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted known ids, their rows), each ending with a sentinel id that maps to row 0.

    Row 0 (the unknown entity) is left out of the known ids. The sentinel past the end
    makes every binary-search position a valid index, also for an empty table.
    """
    known = np.asarray(table_ids[1:], np.int64)
    order = np.argsort(known, kind="stable")
    sorted_ids = known[order]
    if np.any(sorted_ids[1:] == sorted_ids[:-1]):
        raise ValueError("feature table ids must be unique; found duplicates")
    rows = (order + 1).astype(np.int64)
    return np.append(sorted_ids, _SENTINEL), np.append(rows, 0).astype(np.int64)


def rows_of(sorted_ids: tf.Tensor, sorted_rows: tf.Tensor, ids: tf.Tensor) -> tf.Tensor:
    """Table row of every id; 0 where the id is not in the table.

    Args:
      sorted_ids: int64 [N + 1], `sorted_index`'s ids (ascending, sentinel last).
      sorted_rows: int64 [N + 1], the table row of each (0 for the sentinel).
      ids: integer ids of any shape (cast to int64).

    Returns:
      int64 of the shape of `ids`.
    """
    ids = tf.cast(ids, tf.int64)
    flat = tf.reshape(ids, [-1])
    pos = tf.searchsorted(sorted_ids, flat, side="left", out_type=tf.int64)
    found = tf.gather(sorted_ids, pos) == flat
    rows = tf.where(found, tf.gather(sorted_rows, pos), tf.zeros_like(flat))
    return tf.reshape(rows, tf.shape(ids))


class FeatureLookup(tf.keras.layers.Layer):
    """Encoded user and video tables as non-trainable variables.

    Attributes:
      user_vocab_sizes, video_vocab_sizes: codes per categorical column (code 0 included).
      num_user_numeric, num_video_numeric: numeric columns per table.
      num_video_rows: V + 1, rows of the video table (row 0 unknown).
    """

    def __init__(self, tables: FeatureTables, name: str = "feature_lookup") -> None:
        super().__init__(name=name, trainable=False)
        self.user_vocab_sizes = tuple(tables.user_vocab_sizes)
        self.video_vocab_sizes = tuple(tables.video_vocab_sizes)
        self.num_user_numeric = int(tables.user_numeric.shape[1])
        self.num_video_numeric = int(tables.video_numeric.shape[1])
        self.num_video_rows = int(tables.video_ids.shape[0])
        user_ids, user_rows = sorted_index(tables.user_ids)
        video_ids, video_rows = sorted_index(tables.video_ids)
        arrays = {
            "user_sorted_ids": user_ids,
            "user_sorted_rows": user_rows,
            "user_categorical": np.asarray(tables.user_categorical, np.int64),
            "user_numeric": np.asarray(tables.user_numeric, np.float32),
            "video_sorted_ids": video_ids,
            "video_sorted_rows": video_rows,
            "video_categorical": np.asarray(tables.video_categorical, np.int64),
            "video_numeric": np.asarray(tables.video_numeric, np.float32),
            "video_duration_ms": np.asarray(tables.video_duration_ms, np.float32),
        }
        for attr, value in arrays.items():
            setattr(
                self,
                attr,
                self.add_weight(
                    name=attr,
                    shape=value.shape,
                    dtype=tf.as_dtype(value.dtype),
                    initializer=tf.constant_initializer(value),
                    trainable=False,
                ),
            )
        self.built = True  # no call(): the tables are read through the methods below

    def user_rows(self, user_ids: tf.Tensor) -> tf.Tensor:
        """int64 user ids of any shape -> table rows (0 = unknown)."""
        return rows_of(self.user_sorted_ids, self.user_sorted_rows, user_ids)

    def video_rows(self, video_ids: tf.Tensor) -> tf.Tensor:
        """int64 video ids of any shape -> table rows (0 = unknown or padding)."""
        return rows_of(self.video_sorted_ids, self.video_sorted_rows, video_ids)

    def user_features(self, rows: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """rows [...] -> (categorical codes int64 [..., Cu], numeric float32 [..., Nu])."""
        return tf.gather(self.user_categorical, rows), tf.gather(self.user_numeric, rows)

    def video_features(self, rows: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """rows [...] -> (categorical codes int64 [..., Cv], numeric float32 [..., Nv])."""
        return tf.gather(self.video_categorical, rows), tf.gather(self.video_numeric, rows)

    def video_duration(self, rows: tf.Tensor) -> tf.Tensor:
        """rows [...] -> raw duration in ms, float32 [...] (0 where unknown)."""
        return tf.gather(self.video_duration_ms, rows)
