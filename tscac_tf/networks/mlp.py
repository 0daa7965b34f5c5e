"""A stack of ReLU dense layers (the hidden part of every head)."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def mlp(sizes: Sequence[int], name: str) -> tf.keras.Sequential:
    """Dense(size, relu) for each size; an identity when `sizes` is empty."""
    return tf.keras.Sequential(
        [
            tf.keras.layers.Dense(s, activation="relu", name=f"dense_{i}")
            for i, s in enumerate(sizes)
        ],
        name=name,
    )
