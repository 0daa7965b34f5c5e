"""EntityFeatures: a user or video id -> its learned id embedding and encoded table features.

The encoded FeatureTables (tscac_tf/features) are baked into the layer (frozen), so a
query needs ids only (ARCHITECTURE §4). An id maps to its table row with a hash table whose
default is row 0, the unknown entity: unknown and padding ids are valid input, never an
error, and share the unknown row's embedding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


class EntityFeatures(tf.keras.layers.Layer):
    """ids [...] -> features [..., width]: id embedding ++ categorical embeddings ++ numeric.

    Args:
      table_ids: int64 [R], the id of each table row; row 0 is the unknown entity.
      categorical: int64 [R, C] codes, code c of column i in [0, vocab_sizes[i]).
      numeric: float32 [R, M] standardised numeric features.
      vocab_sizes: [C] number of codes of each categorical column.
      id_embedding_dim: size of the per-id embedding.
      feature_embedding_dim: size of each categorical embedding.
    """

    def __init__(
        self,
        table_ids: np.ndarray,
        categorical: np.ndarray,
        numeric: np.ndarray,
        vocab_sizes: Sequence[int],
        id_embedding_dim: int,
        feature_embedding_dim: int,
        name: str | None = None,
    ):
        super().__init__(name=name)
        rows = len(table_ids)
        if categorical.shape != (rows, len(vocab_sizes)) or numeric.shape[0] != rows:
            raise ValueError(
                f"EntityFeatures expects categorical [{rows}, {len(vocab_sizes)}] and numeric "
                f"[{rows}, M] for {rows} table rows, got {categorical.shape} and {numeric.shape}"
            )
        # Row 0 is the unknown entity: it is not a key, so every unknown id falls to it.
        self._rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(np.asarray(table_ids[1:], np.int64)),
                tf.range(1, rows, dtype=tf.int64),
            ),
            default_value=tf.constant(0, tf.int64),
        )
        # Variables rather than constants: saved once in variables/, not in every function.
        self._categorical = tf.Variable(
            np.asarray(categorical, np.int64), trainable=False, name="categorical_codes"
        )
        self._numeric = tf.Variable(
            np.asarray(numeric, np.float32), trainable=False, name="numeric_values"
        )
        self.num_rows = rows
        self.id_embedding = tf.keras.layers.Embedding(rows, id_embedding_dim, name="id")
        # One table for all categorical columns, column i at offset Σ_{j<i} vocab_sizes[j]:
        # one gather instead of C (26 user columns), which keeps the graph small.
        self._offsets = tf.constant(np.cumsum([0, *vocab_sizes[:-1]]), tf.int64)
        self.feature_embedding = tf.keras.layers.Embedding(
            int(sum(vocab_sizes)), feature_embedding_dim, name="categorical"
        )
        self._categorical_width = len(vocab_sizes) * feature_embedding_dim
        self.width = id_embedding_dim + self._categorical_width + numeric.shape[1]

    def rows(self, ids: tf.Tensor) -> tf.Tensor:
        """int64 ids [...] -> int64 table rows [...], 0 for unknown ids."""
        return self._rows.lookup(tf.cast(ids, tf.int64))

    def call(self, ids: tf.Tensor) -> tf.Tensor:
        rows = self.rows(ids)
        codes = tf.gather(self._categorical, rows) + self._offsets  # [..., C]
        categorical = self.feature_embedding(codes)  # [..., C, f]
        categorical = tf.reshape(
            categorical, tf.concat([tf.shape(rows), [self._categorical_width]], axis=0)
        )
        return tf.concat(
            [self.id_embedding(rows), categorical, tf.gather(self._numeric, rows)], axis=-1
        )
