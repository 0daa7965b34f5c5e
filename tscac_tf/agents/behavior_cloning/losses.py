"""Behaviour-cloning loss: the cross-entropy of the logged action over the candidate set."""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.policies.candidate_softmax_policy import action_log_probs


# L_BC = −log π_β(a|s),  π_β(·|s) = softmax over C_t
def cross_entropy(logits: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
    """Per-example negative log-likelihood of the logged action. [B, K], [B] -> [B]."""
    return -action_log_probs(logits, actions)


# acc = 1[argmax_v logits(v|s) = a]
def top1_accuracy(logits: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
    """Per-example 0/1 hit of the logged action at rank 1. [B, K], [B] -> [B]."""
    best = tf.argmax(logits, axis=-1, output_type=tf.int64)
    return tf.cast(tf.equal(best, tf.cast(actions, tf.int64)), tf.float32)
