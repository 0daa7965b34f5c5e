"""Embeddings of several categorical columns with one table and per-column offsets.

Column j with vocabulary size n_j owns rows [o_j, o_j + n_j) of a single embedding matrix,
o_j = Σ_{k<j} n_k, so all columns of a row are embedded with one gather instead of one
lookup per column. Code 0 (missing / unseen) of every column has its own learned row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


class CategoricalEmbedding(tf.keras.layers.Layer):
    """codes int64 [..., C] -> float32 [..., C * dim] (the C column embeddings, concatenated)."""

    def __init__(self, vocab_sizes: Sequence[int], dim: int, name: str | None = None) -> None:
        super().__init__(name=name)
        sizes = [int(n) for n in vocab_sizes]
        if not sizes or min(sizes) < 1:
            raise ValueError(f"vocab_sizes must be a non-empty list of sizes >= 1, got {sizes}")
        self._num_columns = len(sizes)
        self._dim = int(dim)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._offsets = tf.constant(offsets)
        self._sizes = tf.constant(np.asarray(sizes, np.int64))
        self._embedding = tf.keras.layers.Embedding(
            int(sum(sizes)),
            self._dim,
            embeddings_initializer=tf.keras.initializers.RandomNormal(stddev=0.05),
            name="table",
        )

    @property
    def output_dim(self) -> int:
        return self._num_columns * self._dim

    def call(self, codes: tf.Tensor) -> tf.Tensor:
        # Codes outside a column's vocabulary (never produced by FeatureTables) fall back to
        # that column's code 0 instead of reading another column's rows.
        codes = tf.where((codes >= 0) & (codes < self._sizes), codes, tf.zeros_like(codes))
        vectors = self._embedding(codes + self._offsets)  # [..., C, dim]
        new_shape = tf.concat([tf.shape(codes)[:-1], [self.output_dim]], axis=0)
        return tf.reshape(vectors, new_shape)
