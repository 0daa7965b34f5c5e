"""One optimiser step that is correct under any tf.distribute strategy, and the step counter.

Under MirroredStrategy every replica computes the mean loss of its own slice of the
batch and the optimiser sums the replicas' gradients, so the loss is divided by the
number of replicas before differentiating: the applied gradient is that of the mean loss
over the global batch, exactly as with the default strategy.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def create_train_step_counter(name: str = "train_step") -> tf.Variable:
    """int64 scalar counter, written by the first replica only (create it in the scope)."""
    return tf.Variable(
        0,
        dtype=tf.int64,
        trainable=False,
        name=name,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
    )


def gradient_step(
    tape: tf.GradientTape,
    loss: tf.Tensor,
    variables: Sequence[tf.Variable],
    optimizer: tf.keras.optimizers.legacy.Optimizer,
) -> tf.Tensor:
    """Differentiates `loss` (this replica's batch mean, computed under `tape`) and applies.

    Returns:
      The global norm of this replica's (scaled) gradients, float32 [].
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    # Scaling the gradients, not the loss: a loss scaled outside the tape is not recorded.
    grads = tape.gradient(loss, variables)
    missing = [v.name for v, g in zip(variables, grads, strict=True) if g is None]
    if missing:
        raise ValueError(f"the loss does not depend on these trainable variables: {missing}")
    if replicas > 1:
        grads = [_scale(g, 1.0 / replicas) for g in grads]
    optimizer.apply_gradients(zip(grads, variables, strict=True))
    return tf.linalg.global_norm(grads)


def _scale(grad, factor: float):
    if isinstance(grad, tf.IndexedSlices):  # embedding gradients stay sparse
        return tf.IndexedSlices(grad.values * factor, grad.indices, grad.dense_shape)
    return grad * factor


def batch_mean(values: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
    """mean_j(w_j · x_j) over this replica's batch; w = 1 when `weights` is None. [B] -> []."""
    if weights is not None:
        values = values * tf.cast(weights, values.dtype)
    return tf.reduce_mean(values)
